package server

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

func TestDecodeBody(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       *request // nil: an error
		code       string
		msgHas     string
	}{
		{name: "query only", body: `{"query":"{ a }"}`, want: &request{params: params("{ a }", "", nil, nil)}},
		{name: "every member", body: ` {"query":"q","operationName":"Op","variables":{"n":2,"s":"x","l":[1,2.5]},"extensions":{"e":true}} `,
			want: &request{params: params("q", "Op", map[string]any{"n": json.Number("2"), "s": "x", "l": []any{json.Number("1"), json.Number("2.5")}}, map[string]any{"e": true})}},
		{name: "nulls are absent", body: `{"query":"q","operationName":null,"variables":null,"extensions":null,"documentId":null}`,
			want: &request{params: params("q", "", nil, nil)}},
		{name: "documentId", body: `{"documentId":"sha256:ab"}`, want: &request{documentID: "sha256:ab"}},
		{name: "unknown members are skipped", body: `{"other":{"deep":[1,{"x":null}]},"query":"q"}`, want: &request{params: params("q", "", nil, nil)}},
		{name: "keys match exactly", body: `{"Query":"q"}`, code: codeBadRequest, msgHas: "no query"},
		{name: "the last of a repeated key wins", body: `{"query":"a","query":"b"}`, want: &request{params: params("b", "", nil, nil)}},
		{name: "a repeated object replaces", body: `{"query":"q","variables":{"a":1},"variables":{"b":2}}`,
			want: &request{params: params("q", "", map[string]any{"b": json.Number("2")}, nil)}},
		{name: "empty", body: "  \n", code: codeBadRequest, msgHas: "empty"},
		{name: "batch", body: `[{"query":"q"}]`, code: codeBatching},
		{name: "a string", body: `"secret"`, code: codeBadRequest, msgHas: "must be a JSON object with query"},
		{name: "a number", body: `12`, code: codeBadRequest, msgHas: "must be a JSON object with query"},
		{name: "truncated", body: `{"query":"secret"`, code: codeBadRequest, msgHas: "not valid JSON"},
		{name: "truncated in a value", body: `{"query":"q","variables":{"a":`, code: codeBadRequest, msgHas: "not valid JSON"},
		{name: "syntax error", body: `{"query" "secret"}`, code: codeBadRequest, msgHas: "not valid JSON"},
		{name: "bad unknown member", body: `{"x":[1,}`, code: codeBadRequest, msgHas: "not valid JSON"},
		{name: "trailing value", body: `{"query":"q"} {"query":"r"}`, code: codeBadRequest, msgHas: "nothing after it"},
		{name: "trailing garbage", body: `{"query":"q"}x`, code: codeBadRequest, msgHas: "nothing after it"},
		{name: "query a number", body: `{"query":5}`, code: codeBadRequest, msgHas: "query must be a string"},
		{name: "operationName an object", body: `{"query":"q","operationName":{}}`, code: codeBadRequest, msgHas: "operationName must be a string"},
		{name: "documentId an array", body: `{"documentId":[]}`, code: codeBadRequest, msgHas: "documentId must be a string"},
		{name: "variables a string", body: `{"query":"q","variables":"n=1"}`, code: codeBadRequest, msgHas: "variables must be a JSON object, not a string"},
		{name: "variables an array", body: `{"query":"q","variables":[1]}`, code: codeBadRequest, msgHas: "variables must be a JSON object, not an array"},
		{name: "extensions a number", body: `{"query":"q","extensions":3}`, code: codeBadRequest, msgHas: "extensions must be a JSON object, not a number"},
		{name: "extensions a boolean", body: `{"query":"q","extensions":false}`, code: codeBadRequest, msgHas: "not a boolean"},
		{name: "no document", body: `{"variables":{}}`, code: codeBadRequest, msgHas: "no query"},
		{name: "a persisted query hash is a document", body: `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"ab"}}}`,
			want: &request{params: params("", "", nil, map[string]any{"persistedQuery": map[string]any{"version": json.Number("1"), "sha256Hash": "ab"}})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, e := decodeBody([]byte(tc.body))
			if tc.want != nil {
				if e != nil {
					t.Fatalf("error %s: %s", e.code, e.msg)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("got %+v, want %+v", got, tc.want)
				}
				return
			}
			if e == nil {
				t.Fatalf("accepted as %+v", got)
			}
			if e.status != 400 || e.code != tc.code || !strings.Contains(e.msg, tc.msgHas) {
				t.Fatalf("got %d %s %q, want 400 %s containing %q", e.status, e.code, e.msg, tc.code, tc.msgHas)
			}
			if strings.Contains(e.msg, "secret") {
				t.Fatalf("the message repeats the body: %q", e.msg)
			}
		})
	}
}

func params(query, op string, vars, ext map[string]any) (p graphql.RawParams) {
	p.Query, p.OperationName, p.Variables, p.Extensions = query, op, vars, ext
	return p
}

// FuzzDecodeBody holds decodeBody to the straightforward decoding it
// replaces (the body as a map of raw members, each member decoded on its
// own): the same bodies accepted, the same values. Bodies that repeat a
// member are left out: decodeBody checks every occurrence, the map only
// the last.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		`{"query":"{ a }","variables":{"n":1}}`, `{"query":null}`, `[]`, `{"query":"q"} x`, `{"query":5}`,
		`{"documentId":"d","extensions":{"persistedQuery":{}}}`, `{"x":{"y":[1,"2",null]},"query":"q"}`, `{"variables":{"a":1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, name := range []string{"query", "operationName", "documentId", "variables", "extensions"} {
			if bytes.Count(body, []byte(`"`+name+`"`)) > 1 {
				t.Skip("a repeated member")
			}
		}
		got, e := decodeBody(body)
		want, ok := referenceDecode(body)
		if ok != (e == nil) {
			t.Fatalf("decodeBody error %v, reference accepts: %v (%q)", e, ok, body)
		}
		if ok && !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeBody %+v, reference %+v (%q)", got, want, body)
		}
	})
}

func referenceDecode(body []byte) (*request, bool) {
	var fields map[string]json.RawMessage
	if bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("[")) || json.Unmarshal(body, &fields) != nil || fields == nil {
		return nil, false
	}
	req := &request{}
	for name, dst := range map[string]*string{"query": &req.params.Query, "operationName": &req.params.OperationName, "documentId": &req.documentID} {
		if raw, ok := fields[name]; ok && json.Unmarshal(raw, dst) != nil {
			return nil, false
		}
	}
	for name, dst := range map[string]*map[string]any{"variables": &req.params.Variables, "extensions": &req.params.Extensions} {
		if raw, ok := fields[name]; ok {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			if dec.Decode(dst) != nil {
				return nil, false
			}
		}
	}
	return req, req.check() == nil
}

func BenchmarkDecodeBody(b *testing.B) {
	body := []byte(`{"query":"query Q2($id: ID!) { node(id: $id) { ... on Account { id name segment lifecycleStage healthSignals(first: 20, orderBy: [{field: OBSERVED_AT, direction: DESC}]) { edges { node { id kind value observedAt source } } } } } }","variables":{"id":"YWNjb3VudHM6NDI1MTc"},"operationName":"Q2"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, e := decodeBody(body); e != nil {
			b.Fatal(e.msg)
		}
	}
}

func BenchmarkReferenceDecode(b *testing.B) {
	body := []byte(`{"query":"query Q2($id: ID!) { node(id: $id) { ... on Account { id name segment lifecycleStage healthSignals(first: 20, orderBy: [{field: OBSERVED_AT, direction: DESC}]) { edges { node { id kind value observedAt source } } } } } }","variables":{"id":"YWNjb3VudHM6NDI1MTc"},"operationName":"Q2"}`)
	b.ReportAllocs()
	for b.Loop() {
		referenceDecode(body)
	}
}
