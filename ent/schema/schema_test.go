package schema_test

import (
	"testing"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

// Every column a connection can sort on (an entgql OrderField) and every
// foreign key leads an index, so sorting and joining never scan a table.
func TestSortKeysAndForeignKeysAreIndexed(t *testing.T) {
	g, err := entc.LoadGraph(".", &gen.Config{})
	if err != nil {
		t.Fatalf("loading schema: %v", err)
	}
	for _, n := range g.Nodes {
		leading := map[string]bool{"id": true}
		for _, idx := range n.Indexes {
			leading[idx.Columns[0]] = true
		}
		for _, f := range n.Fields {
			if f.Unique {
				leading[f.StorageKey()] = true
			}
		}
		for _, f := range n.Fields {
			ant := &entgql.Annotation{}
			if raw, ok := f.Annotations[ant.Name()]; ok {
				if err := ant.Decode(raw); err != nil {
					t.Fatal(err)
				}
			}
			if ant.OrderField != "" && !leading[f.StorageKey()] {
				t.Errorf("%s.%s sorts connections (orderBy %s) but leads no index", n.Name, f.Name, ant.OrderField)
			}
			if f.IsEdgeField() && !leading[f.StorageKey()] {
				t.Errorf("%s.%s is a foreign key but leads no index", n.Name, f.Name)
			}
		}
	}
}
