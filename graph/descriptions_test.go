package graph_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/opsgraph/opsgraph/graph"
)

// kindName names a type kind as the SDL keyword that defines it.
var kindName = map[ast.DefinitionKind]string{
	ast.Object: "type", ast.Interface: "interface", ast.InputObject: "input",
	ast.Enum: "enum", ast.Scalar: "scalar", ast.Union: "union",
}

// undescribed lists every element of the schema that has no description:
// types, fields and their arguments, input fields, enum values, directives
// and their arguments. Introspection (__*) and what gqlparser's prelude
// defines (the built-in scalars and directives) are left out.
func undescribed(s *ast.Schema) []string {
	var missing []string
	blank := func(d string) bool { return strings.TrimSpace(d) == "" }
	args := func(owner string, list ast.ArgumentDefinitionList) {
		for _, a := range list {
			if blank(a.Description) {
				missing = append(missing, fmt.Sprintf("argument %s(%s:)", owner, a.Name))
			}
		}
	}
	for name, def := range s.Types {
		if def.BuiltIn || strings.HasPrefix(name, "__") {
			continue
		}
		if blank(def.Description) {
			missing = append(missing, fmt.Sprintf("%s %s", kindName[def.Kind], name))
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			kind := "field"
			if def.Kind == ast.InputObject {
				kind = "input field"
			}
			if blank(f.Description) {
				missing = append(missing, fmt.Sprintf("%s %s.%s", kind, name, f.Name))
			}
			args(name+"."+f.Name, f.Arguments)
		}
		for _, v := range def.EnumValues {
			if blank(v.Description) {
				missing = append(missing, fmt.Sprintf("enum value %s.%s", name, v.Name))
			}
		}
	}
	for name, dir := range s.Directives {
		if dir.Position != nil && dir.Position.Src != nil && dir.Position.Src.BuiltIn {
			continue
		}
		if blank(dir.Description) {
			missing = append(missing, "directive @"+name)
		}
		args("@"+name, dir.Arguments)
	}
	sort.Strings(missing)
	return missing
}

// Every type, field, argument, input field, enum value and directive of the
// served schema is documented, so the explorer's docs pane explains all of
// it. The SDL is the one `opsgraph schema` prints and introspection serves.
func TestSchemaDescriptions(t *testing.T) {
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "opsgraph.graphql", Input: graph.SDL()})
	if err != nil {
		t.Fatalf("parsing the served SDL: %v", err)
	}
	if missing := undescribed(s); len(missing) > 0 {
		t.Errorf("%d schema elements have no description:\n  %s", len(missing), strings.Join(missing, "\n  "))
	}
}

// The check itself finds what it must: an undocumented element of each kind.
func TestSchemaDescriptionsCheck(t *testing.T) {
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "t.graphql", Input: `
"documented" directive @d("documented" a: Int, b: Int) on FIELD_DEFINITION
directive @e on OBJECT
type Query { "documented" q("documented" a: Int, b: Int): T, r: E }
"documented" type T { "documented" x: Int }
enum E { "documented" A B }
input I { "documented" x: Int, y: Int }
scalar S
`})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"argument @d(b:)",
		"argument Query.q(b:)",
		"directive @e",
		"enum E",
		"enum value E.B",
		"field Query.r",
		"input I",
		"input field I.y",
		"scalar S",
		"type Query",
	}
	if got := undescribed(s); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("undescribed:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
