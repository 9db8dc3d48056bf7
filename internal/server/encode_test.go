package server

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// TestEncodeResponse: encodeResponse writes what json.Marshal writes for
// every member of a response, byte for byte.
func TestEncodeResponse(t *testing.T) {
	yes := true
	for _, tt := range []struct {
		name string
		res  *graphql.Response
	}{
		{"nil", nil},
		{"data only", &graphql.Response{Data: json.RawMessage(`{"a":[1,2,{"b":"c \"q\""}]}`)}},
		{"no data", &graphql.Response{}},
		{"null data with errors", &graphql.Response{Data: json.RawMessage(`null`), Errors: gqlerror.List{
			{Message: "boom", Path: ast.Path{ast.PathName("a"), ast.PathIndex(0)}, Extensions: map[string]any{"code": "FORBIDDEN", "data": nil}}}}},
		{"everything", &graphql.Response{Data: json.RawMessage(`{"x":1}`), Errors: gqlerror.List{{Message: "m"}},
			Label: "l", Path: ast.Path{ast.PathName("p")}, HasNext: &yes,
			Extensions: map[string]any{"cost": map[string]any{"requested": 3, "actual": 1}, "traceId": "abc"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal(tt.res)
			if err != nil {
				t.Fatal(err)
			}
			got, err := encodeResponse(tt.res)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("encodeResponse:\n%s\njson.Marshal:\n%s", got, want)
			}
		})
	}
	// data is copied, not re-encoded: what gqlgen wrote arrives as it is.
	got, _ := encodeResponse(&graphql.Response{Data: json.RawMessage(`{"s":"<b>"}`)})
	if !strings.Contains(string(got), `"<b>"`) {
		t.Fatalf("data re-encoded: %s", got)
	}
}
