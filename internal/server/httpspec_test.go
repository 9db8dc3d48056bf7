package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/server"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/trusted"
)

// reply is one raw HTTP answer of /graphql.
type reply struct {
	status int
	header http.Header
	raw    []byte
	// length is the Content-Length the answer declared, -1 if none
	// (chunked).
	length int64
	body   struct {
		Data   json.RawMessage `json:"data"`
		Errors []apitest.Error `json:"errors"`
	}
}

func (r *reply) code() string {
	if len(r.body.Errors) == 0 {
		return ""
	}
	return r.body.Errors[0].Code()
}

// call sends one request; header holds pairs of names and values.
func call(t *testing.T, method, target string, body io.Reader, header ...string) *reply {
	t.Helper()
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := &reply{status: res.StatusCode, header: res.Header, length: res.ContentLength}
	if out.raw, err = io.ReadAll(res.Body); err != nil {
		t.Fatal(err)
	}
	if len(bytes.TrimSpace(out.raw)) > 0 && strings.Contains(res.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(out.raw, &out.body); err != nil {
			t.Fatalf("%s %s: body %q is not JSON: %v", method, target, out.raw, err)
		}
	}
	return out
}

func jsonBody(v any) io.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}

const (
	gqlResponse = "application/graphql-response+json"
	okQuery     = `{ accounts(first: 1) { totalCount } }`
)

// One case per MUST (and chosen SHOULD) of the GraphQL-over-HTTP draft, and
// per limit /graphql enforces at the HTTP level.
func TestGraphQLOverHTTP(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	const maxBody = 4096
	s := apitest.NewWith(t, db, func(o *server.Options) { o.MaxBodyBytes = maxBody })
	auth := "Bearer " + s.Token("admin@opsgraph.example")
	endpoint := s.URL + "/graphql"
	get := func(params url.Values) string { return endpoint + "?" + params.Encode() }
	secret := "do-not-echo-" + strings.Repeat("x", 40)

	type tc struct {
		name   string
		method string
		target string // default: endpoint
		body   io.Reader
		header []string // besides Authorization
		// want
		status      int
		contentType string // media type of the response (without parameters); "" not checked
		code        string // extensions.code of the first error; "" = no errors
		msgHas      string
		check       func(t *testing.T, r *reply)
	}
	post := []string{"Content-Type", "application/json"}
	with := func(h []string, more ...string) []string { return append(append([]string{}, h...), more...) }
	cases := []tc{
		{name: "Accept graphql-response+json gets it, with charset", method: "POST", body: jsonBody(map[string]any{"query": okQuery}),
			header: with(post, "Accept", gqlResponse), status: 200, contentType: gqlResponse,
			check: func(t *testing.T, r *reply) {
				if ct := r.header.Get("Content-Type"); ct != gqlResponse+"; charset=utf-8" {
					t.Errorf("Content-Type %q", ct)
				}
			}},
		{name: "Accept application/json gets application/json", method: "POST", body: jsonBody(map[string]any{"query": okQuery}),
			header: with(post, "Accept", "application/json"), status: 200, contentType: "application/json"},
		{name: "no Accept gets application/json (legacy)", method: "POST", body: jsonBody(map[string]any{"query": okQuery}),
			header: post, status: 200, contentType: "application/json"},
		{name: "*/* gets application/json (legacy)", method: "POST", body: jsonBody(map[string]any{"query": okQuery}),
			header: with(post, "Accept", "*/*"), status: 200, contentType: "application/json"},
		{name: "preferring graphql-response+json by q gets it", method: "POST", body: jsonBody(map[string]any{"query": okQuery}),
			header: with(post, "Accept", "application/json;q=0.9, application/graphql-response+json"), status: 200, contentType: gqlResponse},
		{name: "preferring application/json by q gets it", method: "POST", body: jsonBody(map[string]any{"query": okQuery}),
			header: with(post, "Accept", "application/graphql-response+json;q=0.5, application/json"), status: 200, contentType: "application/json"},
		{name: "Accept allowing neither is 406", method: "POST", body: jsonBody(map[string]any{"query": okQuery}),
			header: with(post, "Accept", "text/html"), status: 406, code: "NOT_ACCEPTABLE"},
		{name: "Accept with a charset other than UTF-8 is 406", method: "POST", body: jsonBody(map[string]any{"query": okQuery}),
			header: with(post, "Accept", "application/json; charset=iso-8859-1"), status: 406, code: "NOT_ACCEPTABLE"},
		{name: "POST text/plain is 415", method: "POST", body: jsonBody(map[string]any{"query": okQuery}),
			header: []string{"Content-Type", "text/plain"}, status: 415, code: "UNSUPPORTED_MEDIA_TYPE"},
		{name: "POST application/graphql is 415", method: "POST", body: strings.NewReader(okQuery),
			header: []string{"Content-Type", "application/graphql"}, status: 415, code: "UNSUPPORTED_MEDIA_TYPE"},
		{name: "POST without Content-Type is 415", method: "POST", body: jsonBody(map[string]any{"query": okQuery}),
			status: 415, code: "UNSUPPORTED_MEDIA_TYPE"},
		{name: "POST in a charset other than UTF-8 is 415", method: "POST", body: jsonBody(map[string]any{"query": okQuery}),
			header: []string{"Content-Type", "application/json; charset=latin1"}, status: 415, code: "UNSUPPORTED_MEDIA_TYPE"},
		{name: "POST application/json; charset=utf-8 is fine", method: "POST", body: jsonBody(map[string]any{"query": okQuery}),
			header: []string{"Content-Type", "application/json; charset=UTF-8"}, status: 200},
		{name: "PUT is 405 with Allow", method: "PUT", body: jsonBody(map[string]any{"query": okQuery}), header: post,
			status: 405, code: "METHOD_NOT_ALLOWED", check: allow("GET, POST")},
		{name: "DELETE is 405 with Allow", method: "DELETE", status: 405, code: "METHOD_NOT_ALLOWED", check: allow("GET, POST")},
		{name: "GET runs a query", method: "GET", target: get(url.Values{"query": {okQuery}}), status: 200},
		{name: "GET with variables", method: "GET",
			target: get(url.Values{"query": {`query($n: Int) { accounts(first: $n) { totalCount } }`}, "variables": {`{"n": 2}`}}), status: 200},
		{name: "GET mutation is 405", method: "GET", target: get(url.Values{"query": {`mutation { __typename }`}}),
			status: 405, code: "METHOD_NOT_ALLOWED", msgHas: "POST", check: allow("GET, POST")},
		{name: "GET mutation is 405 under graphql-response+json too", method: "GET", target: get(url.Values{"query": {`mutation M($x: ID!) { __typename }`}}),
			header: []string{"Accept", gqlResponse}, status: 405, code: "METHOD_NOT_ALLOWED"},
		{name: "GET variables not JSON is 400", method: "GET", target: get(url.Values{"query": {okQuery}, "variables": {`{n: 2`}}),
			status: 400, code: "BAD_REQUEST", msgHas: "variables must be a JSON object"},
		{name: "GET variables not an object is 400", method: "GET", target: get(url.Values{"query": {okQuery}, "variables": {`[1]`}}),
			status: 400, code: "BAD_REQUEST", msgHas: "not an array"},
		{name: "GET without query is 400", method: "GET", target: endpoint, status: 400, code: "BAD_REQUEST", msgHas: "no query"},
		{name: "malformed JSON is 400 and not echoed", method: "POST", body: strings.NewReader(`{"query": "` + secret + `"`), header: post,
			status: 400, code: "BAD_REQUEST", msgHas: "not valid JSON",
			check: func(t *testing.T, r *reply) {
				if bytes.Contains(r.raw, []byte(secret)) {
					t.Errorf("the body is echoed: %s", r.raw)
				}
			}},
		{name: "a JSON body that is not an object is 400", method: "POST", body: strings.NewReader(`"` + secret + `"`), header: post,
			status: 400, code: "BAD_REQUEST", msgHas: "JSON object",
			check: func(t *testing.T, r *reply) {
				if bytes.Contains(r.raw, []byte(secret)) {
					t.Errorf("the body is echoed: %s", r.raw)
				}
			}},
		{name: "empty body is 400", method: "POST", body: strings.NewReader(""), header: post, status: 400, code: "BAD_REQUEST", msgHas: "empty"},
		{name: "missing query is 400", method: "POST", body: jsonBody(map[string]any{"variables": map[string]any{}}), header: post,
			status: 400, code: "BAD_REQUEST", msgHas: "no query"},
		{name: "query not a string is 400", method: "POST", body: jsonBody(map[string]any{"query": 5}), header: post,
			status: 400, code: "BAD_REQUEST", msgHas: "query must be a string"},
		{name: "variables not an object is 400", method: "POST", body: jsonBody(map[string]any{"query": okQuery, "variables": "n=1"}), header: post,
			status: 400, code: "BAD_REQUEST", msgHas: "variables must be a JSON object"},
		{name: "null variables, operationName and extensions are fine", method: "POST",
			body: jsonBody(map[string]any{"query": okQuery, "variables": nil, "operationName": nil, "extensions": nil}), header: post, status: 200},
		{name: "parse error under graphql-response+json is 400", method: "POST", body: jsonBody(map[string]any{"query": "{ accounts("}),
			header: with(post, "Accept", gqlResponse), status: 400, contentType: gqlResponse, code: "GRAPHQL_PARSE_FAILED"},
		{name: "parse error under application/json is 200", method: "POST", body: jsonBody(map[string]any{"query": "{ accounts("}),
			header: with(post, "Accept", "application/json"), status: 200, contentType: "application/json", code: "GRAPHQL_PARSE_FAILED"},
		{name: "validation error under graphql-response+json is 400", method: "POST", body: jsonBody(map[string]any{"query": "{ noSuchField }"}),
			header: with(post, "Accept", gqlResponse), status: 400, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "validation error under application/json is 200", method: "POST", body: jsonBody(map[string]any{"query": "{ noSuchField }"}),
			header: with(post, "Accept", "application/json"), status: 200, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "a request error before execution under graphql-response+json is 400", method: "POST",
			body:   jsonBody(map[string]any{"query": "{ accounts(first: 1000) { totalCount } }"}),
			header: with(post, "Accept", gqlResponse), status: 400, code: "PAGE_SIZE_EXCEEDED"},
		{name: "a body over the limit is 413", method: "POST",
			body:   jsonBody(map[string]any{"query": okQuery, "variables": map[string]any{"pad": strings.Repeat("x", maxBody)}}),
			header: post, status: 413, code: "REQUEST_TOO_LARGE"},
		{name: "a chunked body over the limit is 413", method: "POST",
			body:   io.MultiReader(strings.NewReader(`{"query": "`+okQuery+`", "variables": {"pad": "`), strings.NewReader(strings.Repeat("x", maxBody)), strings.NewReader(`"}}`)),
			header: post, status: 413, code: "REQUEST_TOO_LARGE"},
		{name: "a batch is 400", method: "POST", body: jsonBody([]any{map[string]any{"query": okQuery}, map[string]any{"query": okQuery}}), header: post,
			status: 400, code: "BATCHING_NOT_SUPPORTED", msgHas: "not supported"},
		{name: "OPTIONS outside CORS is 204 with Allow", method: "OPTIONS", status: 204, check: allow("GET, POST, OPTIONS")},
		{name: "an answer over net/http's buffer has its Content-Length, not chunks", method: "POST",
			body: jsonBody(map[string]any{"query": "{ __schema { types { name fields { name } } } }"}), header: post, status: 200,
			check: func(t *testing.T, r *reply) {
				if len(r.raw) <= 4096 || r.length != int64(len(r.raw)) {
					t.Errorf("a %d-byte answer declared Content-Length %d", len(r.raw), r.length)
				}
			}},
		{name: "responses are nosniff", method: "POST", body: jsonBody(map[string]any{"query": okQuery}), header: post, status: 200,
			check: func(t *testing.T, r *reply) {
				if r.header.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("X-Content-Type-Options %q", r.header.Get("X-Content-Type-Options"))
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := c.target
			if target == "" {
				target = endpoint
			}
			r := call(t, c.method, target, c.body, with(c.header, "Authorization", auth)...)
			if r.status != c.status {
				t.Fatalf("status %d, want %d; body %s", r.status, c.status, r.raw)
			}
			if c.contentType != "" && !strings.HasPrefix(r.header.Get("Content-Type"), c.contentType+";") {
				t.Errorf("Content-Type %q, want %s", r.header.Get("Content-Type"), c.contentType)
			}
			switch {
			case c.code == "" && c.status < 300 && len(r.body.Errors) > 0:
				t.Errorf("errors: %s", r.raw)
			case c.code != "":
				if r.code() != c.code || r.body.Errors[0].Message == "" {
					t.Errorf("want a GraphQL error with code %s, got %s", c.code, r.raw)
				}
				// Every error here is a request error: no data entry at all.
				var top map[string]json.RawMessage
				err := json.Unmarshal(r.raw, &top)
				if _, ok := top["data"]; err != nil || ok {
					t.Errorf("a request error with a data entry: %s", r.raw)
				}
			}
			if c.msgHas != "" && (len(r.body.Errors) == 0 || !strings.Contains(r.body.Errors[0].Message, c.msgHas)) {
				t.Errorf("message lacks %q: %s", c.msgHas, r.raw)
			}
			if c.status == 200 && c.code == "" && len(r.body.Data) == 0 {
				t.Errorf("no data: %s", r.raw)
			}
			if c.check != nil {
				c.check(t, r)
			}
		})
	}
}

func allow(want string) func(t *testing.T, r *reply) {
	return func(t *testing.T, r *reply) {
		t.Helper()
		if got := r.header.Get("Allow"); got != want {
			t.Errorf("Allow %q, want %q", got, want)
		}
	}
}

// Automatic persisted queries: a hash the server does not know asks for the
// text; hash and text store it; the hash alone then runs it.
func TestAutomaticPersistedQueries(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	s := apitest.NewWith(t, db, func(o *server.Options) { o.APQCacheSize = 10 })
	auth := "Bearer " + s.Token("admin@opsgraph.example")
	query := `query APQ { accounts(first: 1) { totalCount } }`
	hash := strings.TrimPrefix(trusted.ID(query), "sha256:")
	send := func(body map[string]any) *reply {
		return call(t, "POST", s.URL+"/graphql", jsonBody(body), "Content-Type", "application/json", "Authorization", auth)
	}
	pq := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}

	if r := send(map[string]any{"extensions": pq}); r.code() != "PERSISTED_QUERY_NOT_FOUND" {
		t.Fatalf("unknown hash: %s", r.raw)
	}
	if r := send(map[string]any{"query": query, "extensions": pq}); r.status != 200 || len(r.body.Errors) > 0 || len(r.body.Data) == 0 {
		t.Fatalf("hash and query: %d %s", r.status, r.raw)
	}
	if r := send(map[string]any{"extensions": pq}); r.status != 200 || len(r.body.Errors) > 0 || !bytes.Contains(r.body.Data, []byte("totalCount")) {
		t.Fatalf("the stored hash: %d %s", r.status, r.raw)
	}
	// Over GET too.
	ext, _ := json.Marshal(pq)
	if r := call(t, "GET", s.URL+"/graphql?"+url.Values{"extensions": {string(ext)}}.Encode(), nil, "Authorization", auth); r.status != 200 || len(r.body.Errors) > 0 {
		t.Fatalf("the stored hash over GET: %d %s", r.status, r.raw)
	}
	wrong := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": strings.Repeat("0", 64)}}
	if r := send(map[string]any{"query": query, "extensions": wrong}); len(r.body.Errors) == 0 || !strings.Contains(r.body.Errors[0].Message, "does not match") {
		t.Fatalf("a wrong hash: %s", r.raw)
	}
}
