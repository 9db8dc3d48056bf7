package sdk_test

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/opsgraph/opsgraph/sdk"
)

// Every Query and Mutation field of the schema, now or added later, has an
// operation in the SDK's manifest and a *Client method that sends it.
func TestEveryRootFieldHasAMethod(t *testing.T) {
	sdl, err := os.ReadFile("schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: string(sdl)})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("operations.json")
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Operations []struct {
			OperationName string `json:"operationName"`
			Query         string `json:"query"`
		} `json:"operations"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	methods := map[string]bool{}
	ct := reflect.TypeOf(&sdk.Client{})
	for i := range ct.NumMethod() {
		methods[ct.Method(i).Name] = true
	}
	// root field → the manifest operations selecting it
	selectedBy := map[string][]string{}
	for _, op := range manifest.Operations {
		doc, err := parser.ParseQuery(&ast.Source{Input: op.Query})
		if err != nil {
			t.Fatalf("%s: %v", op.OperationName, err)
		}
		for _, o := range doc.Operations {
			for _, s := range o.SelectionSet {
				if f, ok := s.(*ast.Field); ok {
					selectedBy[string(o.Operation)+"."+f.Name] = append(selectedBy[string(o.Operation)+"."+f.Name], o.Name)
				}
			}
		}
	}
	fields := 0
	for kind, def := range map[string]*ast.Definition{"query": schema.Query, "mutation": schema.Mutation} {
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			fields++
			ops := selectedBy[kind+"."+f.Name]
			if len(ops) == 0 {
				t.Errorf("%s.%s: no SDK operation selects it (run go generate ./...)", kind, f.Name)
				continue
			}
			found := false
			for _, name := range append(ops, upperFirst(f.Name)) {
				found = found || methods[name]
			}
			if !found {
				t.Errorf("%s.%s: selected by %v, but *sdk.Client has no method %s or %v", kind, f.Name, ops, upperFirst(f.Name), ops)
			}
		}
	}
	if fields < 50 {
		t.Fatalf("only %d root fields in schema.graphql", fields)
	}
}

func upperFirst(s string) string { return strings.ToUpper(s[:1]) + s[1:] }
