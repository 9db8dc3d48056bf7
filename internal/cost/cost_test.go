package cost

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// loadSchema reads the server's schema files (the same SDL gqlgen compiles).
func loadSchema(t testing.TB) *ast.Schema {
	t.Helper()
	files, err := filepath.Glob("../../schema/*.graphql")
	if err != nil || len(files) == 0 {
		t.Fatalf("schema files: %v", err)
	}
	var src []*ast.Source
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, &ast.Source{Name: f, Input: string(b)})
	}
	s, err := gqlparser.LoadSchema(src...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func analyze(t *testing.T, s *ast.Schema, query string, vars map[string]any) Analysis {
	t.Helper()
	doc, errs := gqlparser.LoadQuery(s, query)
	if errs != nil {
		t.Fatalf("query does not validate: %v", errs)
	}
	return Analyze(s, doc.Operations[0], vars)
}

func TestAnalyze(t *testing.T) {
	s := loadSchema(t)
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		want  Analysis
	}{
		{"scalars are free", `{ node(id: "x") { id ... on User { email roles } } }`, nil,
			Analysis{Cost: 1, Depth: 2, Fields: 4}},
		{"a page of nodes: 1 + 10 × (edge + node)", `{ accounts(first: 10) { edges { node { name } } } }`, nil,
			Analysis{Cost: 21, Depth: 4, Fields: 4}},
		{"pageInfo and totalCount count once", `{ accounts(first: 10) { totalCount pageInfo { hasNextPage } edges { node { id } } } }`, nil,
			Analysis{Cost: 22, Depth: 4, Fields: 7}},
		{"no first: the default page", `{ accounts { edges { node { id } } } }`, nil,
			Analysis{Cost: 1 + DefaultPage*2, Depth: 4, Fields: 4}},
		{"last prices like first", `{ accounts(last: 3) { edges { cursor } } }`, nil,
			Analysis{Cost: 4, Depth: 3, Fields: 3}},
		{"the page size from a variable", `query($n: Int) { accounts(first: $n) { edges { node { id } } } }`, map[string]any{"n": int64(7)},
			Analysis{Cost: 15, Depth: 4, Fields: 4}},
		{"nested connections multiply",
			`{ accounts(first: 10) { edges { node { contracts(first: 5) { edges { node { id } } } } } } }`, nil,
			Analysis{Cost: 1 + 10*(1+1+(1+5*2)), Depth: 7, Fields: 7}},
		{"an interface costs its most expensive type",
			`{ node(id: "x") { id ... on Account { owner { email } parent { name } } ... on Contract { id } } }`, nil,
			Analysis{Cost: 3, Depth: 3, Fields: 6}},
		{"fragments expand",
			`{ a: accounts(first: 2) { ...Page } b: accounts(first: 3) { ...Page } } fragment Page on AccountConnection { edges { node { owner { email } } } }`, nil,
			Analysis{Cost: (1 + 2*3) + (1 + 3*3), Depth: 5, Fields: 10, Aliases: 2}},
		{"a report is priced above an object read, its lists by their argument",
			`{ healthOverview(moversLimit: 5) { movers { account { id } change } } }`, nil,
			Analysis{Cost: 100 + 5*(1+1), Depth: 4, Fields: 5}},
		{"a list sized by its default argument",
			`{ healthOverview { movers { account { id } } } }`, nil,
			Analysis{Cost: 100 + 20*(1+1), Depth: 4, Fields: 4}},
		{"nodes by ids",
			`{ nodes(ids: ["a", "b", "c"]) { id } }`, nil,
			Analysis{Cost: 3, Depth: 2, Fields: 2}},
		{"introspection is free", `{ __schema { types { name fields { name } } } __typename }`, nil,
			Analysis{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := analyze(t, s, tt.query, tt.vars); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCostSaturates(t *testing.T) {
	s := loadSchema(t)
	q := `{ accounts(first: 100) { edges { node { children(first: 100) { edges { node { children(first: 100) { edges { node { children(first: 100) { edges { node { children(first: 100) { edges { node { children(first: 100) { edges { node { children(first: 100) { edges { node { children(first: 100) { edges { node { children(first: 100) { edges { node { children(first: 100) { edges { node { id } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } }`
	a := analyze(t, s, q, nil)
	if a.Cost < 1_000_000_000 {
		t.Errorf("a 10-deep nest of 100-item pages priced at %d", a.Cost)
	}
}

// TestEveryListIsPriced walks the schema: every connection pages with
// first/last (so its price follows the page size) and every other list of
// objects has a bound, so no field is priced by the fallback.
func TestEveryListIsPriced(t *testing.T) {
	s := loadSchema(t)
	connections := 0
	for _, d := range s.Types {
		if d.Kind != ast.Object || strings.HasPrefix(d.Name, "__") {
			continue
		}
		for _, f := range d.Fields {
			if strings.HasSuffix(f.Type.Name(), "Connection") {
				connections++
				if !IsConnection(f) {
					t.Errorf("%s.%s returns a connection without first: it has no cost function", d.Name, f.Name)
				}
				continue
			}
			if err := Priced(s, d.Name, f); err != nil {
				t.Error(err)
			}
		}
	}
	if connections < 20 {
		t.Errorf("found %d connection fields; is the schema loaded?", connections)
	}
	for key := range FieldCosts {
		parts := strings.SplitN(key, ".", 2)
		if d := s.Types[parts[0]]; d == nil || d.Fields.ForName(parts[1]) == nil {
			t.Errorf("FieldCosts names %s, which the schema does not have", key)
		}
	}
	for key := range ListSizes {
		parts := strings.SplitN(key, ".", 2)
		if d := s.Types[parts[0]]; d == nil || d.Fields.ForName(parts[1]) == nil || d.Fields.ForName(parts[1]).Type.Elem == nil {
			t.Errorf("ListSizes names %s, which is not a list field of the schema", key)
		}
	}
}

func TestUnits(t *testing.T) {
	def := &ast.FieldDefinition{Name: "owner"}
	var nilPtr *struct{}
	tests := []struct {
		name   string
		typ    string
		def    *ast.FieldDefinition
		result any
		want   int
	}{
		{"an object", "Account", def, &struct{}{}, 1},
		{"null", "Account", def, nil, 0},
		{"a typed nil", "Account", def, nilPtr, 0},
		{"a list", "Account", def, []int{1, 2, 3}, 3},
		{"no definition", "Account", nil, &struct{}{}, 0},
		{"a priced field", "Query", &ast.FieldDefinition{Name: "healthOverview"}, &struct{}{}, 100},
	}
	for _, tt := range tests {
		if got := Units(tt.typ, tt.def, tt.result); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestShippedOperationsFit prices every operation the SDK sends and every
// saved explorer operation, with its variables at their defaults: each
// must pass the default limits, or the product's own clients would be
// refused.
func TestShippedOperationsFit(t *testing.T) {
	s := loadSchema(t)
	var docs []struct{ name, query string }
	raw, err := os.ReadFile("../../sdk/operations.json")
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Operations []struct{ OperationName, Query string }
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	for _, op := range manifest.Operations {
		docs = append(docs, struct{ name, query string }{"sdk " + op.OperationName, op.Query})
	}
	files, _ := filepath.Glob("../explorer/operations/*.graphql")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, struct{ name, query string }{"explorer " + filepath.Base(f), string(b)})
	}
	if len(manifest.Operations) < 50 || len(files) < 8 {
		t.Fatalf("found %d SDK and %d explorer operations", len(manifest.Operations), len(files))
	}
	for _, d := range docs {
		doc, errs := gqlparser.LoadQuery(s, d.query)
		if errs != nil {
			t.Errorf("%s does not validate: %v", d.name, errs)
			continue
		}
		for _, op := range doc.Operations {
			// The variables' defaults, as gqlgen coerces them; a page size
			// left unset is priced (and served) at DefaultPage.
			vars := map[string]any{}
			for _, v := range op.VariableDefinitions {
				if v.DefaultValue != nil {
					vars[v.Variable], _ = v.DefaultValue.Value(nil)
				}
			}
			a := Analyze(s, op, vars)
			if a.Cost > DefaultMaxCost || a.Depth > DefaultMaxDepth || a.Fields > DefaultMaxFields || a.Aliases > DefaultMaxAliases {
				t.Errorf("%s %s: %+v is over the default limits", d.name, op.Name, a)
			}
		}
	}
}

// BenchmarkAnalyze prices the explorer's Account 360 operation (49 fields,
// three nested connections): the work pricing adds to every request.
func BenchmarkAnalyze(b *testing.B) {
	s := loadSchema(b)
	raw, err := os.ReadFile("../explorer/operations/20-account-360.graphql")
	if err != nil {
		b.Fatal(err)
	}
	doc, errs := gqlparser.LoadQuery(s, string(raw))
	if errs != nil {
		b.Fatal(errs)
	}
	vars := map[string]any{"name": "atlas", "first": int64(5)}
	b.ReportAllocs()
	for b.Loop() {
		Analyze(s, doc.Operations[0], vars)
	}
}
