package graph_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/auth"
	"github.com/opsgraph/opsgraph/internal/server"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// fuzzQuery takes every variable the fuzzer writes: where and orderBy
// inputs (decoded by the generated executable schema into ent's
// WhereInput/Order types and turned into SQL), and cursors of a connection
// and of the reports' connections.
const fuzzQuery = `query F($aw: AccountWhereInput, $ao: [AccountOrder!], $ow: OrderWhereInput, $oo: [OrderOrder!],
  $rw: RequestWhereInput, $ro: [RequestOrder!], $after: Cursor, $first: Int, $rafter: Cursor) {
  accounts(where: $aw, orderBy: $ao, after: $after, first: $first) { totalCount edges { cursor node { id } } }
  orders(where: $ow, orderBy: $oo, first: 5) { totalCount }
  requests(where: $rw, orderBy: $ro, first: 5) { totalCount }
  renewalCalendar(after: $rafter) { pageInfo { hasNextPage } }
  renewalHygiene(after: $rafter) { pageInfo { hasNextPage } }
  entitlementDiscrepancies(after: $rafter) { pageInfo { hasNextPage } }
}`

// fuzzCodes are the error codes a request with arbitrary variables may
// get: the input is the client's fault, never the server's.
var fuzzCodes = map[string]bool{
	"BAD_USER_INPUT": true, "GRAPHQL_VALIDATION_FAILED": true, "GRAPHQL_PARSE_FAILED": true, "BAD_REQUEST": true,
	"PAGE_SIZE_EXCEEDED": true, "QUERY_TOO_COSTLY": true, "REQUEST_TOO_LARGE": true,
}

// FuzzWhereOrderVariables posts fuzzQuery with arbitrary JSON as its variables
// through the real HTTP handler (authentication, limits, gqlgen's generated
// input unmarshalling, resolvers, ent) on an empty SQLite database, as
// ADMIN. Every answer is 200 or a client error: never a 5xx, a panic or an
// INTERNAL_SERVER_ERROR, only codes of bad input.
func FuzzWhereOrderVariables(f *testing.F) {
	db := testdb.Open(f, dialect.SQLite)
	cfg := auth.Config{Secret: apitest.Secret}
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		f.Fatal(err)
	}
	h := server.Handler(server.Options{DB: db, Verifier: v, Logger: slog.New(slog.DiscardHandler)})
	tok, err := auth.Mint(cfg, auth.MintOptions{Subject: "fuzz@opsgraph.example", Roles: []string{viewer.RoleAdmin}, TTL: 24 * time.Hour})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		`{}`, `null`, `[]`, `{"aw":null}`, `{"aw":{}}`, `{"first":3}`, `{"first":-1}`, `{"first":1e100}`, `{"first":"3"}`,
		`{"aw":{"name":"Acme"}}`, `{"aw":{"nameContainsFold":"ac","or":[{"id":"YWNjb3VudHM6MQ"},{"not":{"hasContracts":true}}]}}`,
		`{"aw":{"idIn":["YWNjb3VudHM6MQ","x"]}}`, `{"aw":{"createdAtGT":"2026-01-01T00:00:00Z"}}`, `{"aw":{"createdAtGT":"yesterday"}}`,
		`{"aw":{"and":[{"and":[{"and":[{"not":{"not":{}}}]}]}]}}`, `{"aw":{"unknownField":1}}`, `{"aw":"NAME"}`, `{"aw":[{}]}`,
		`{"ao":{"field":"NAME"}}`, `{"ao":[{"field":"NAME","direction":"DESC"}]}`, `{"ao":[{"field":"nope"}]}`, `{"ao":[{"direction":"ASC"}]}`,
		`{"ao":[{"field":"NAME"},{"field":"NAME"}]}`, `{"ow":{"status":"FULFILLED"}}`, `{"ow":{"statusIn":["X"]}}`, `{"oo":[{"field":"CREATED_AT"}]}`,
		`{"rw":{"priority":"P1"}}`, `{"ro":[{"field":"PRIORITY","direction":"ASC"}]}`,
		`{"after":"gqJpZAGhdsA"}`, `{"after":"!!!"}`, `{"after":1}`, `{"after":"gaFp"}`, `{"after":"gqFpAaF2gaFhAQ"}`,
		`{"ao":[{"field":"NAME"}],"after":"gqFpAaF2pEFjbWU"}`, `{"ao":[{"field":"CREATED_AT"}],"after":"gqFpAaF2gaFhAQ"}`,
		`{"rafter":"gqFpAaF2pEFjbWU"}`, `{"rafter":"gqFpAaF2rU9WRVJfTElNSVQveA"}`, `{"rafter":"gaFpAQ"}`, `{"rafter":"gqFpAaF21_8AAAAAAAAAAA"}`,
		`{"aw":{"name":` + strconv.Quote("\x00\xff") + `}}`, `{"aw":{"name":"` + string(bytes.Repeat([]byte("a"), 5000)) + `"}}`,
	} {
		f.Add([]byte(s))
	}
	query, _ := json.Marshal(fuzzQuery)
	f.Fuzz(func(t *testing.T, vars []byte) {
		body := append(append(append([]byte(`{"query":`), query...), `,"variables":`...), vars...)
		body = append(body, '}')
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("variables %s: status %d: %s", vars, rec.Code, rec.Body.Bytes())
		}
		var res struct {
			Errors []apitest.Error `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
			t.Fatalf("variables %s: status %d, body %q is not JSON: %v", vars, rec.Code, rec.Body.Bytes(), err)
		}
		for _, e := range res.Errors {
			if !fuzzCodes[e.Code()] {
				t.Fatalf("variables %s: status %d, error %q with code %q", vars, rec.Code, e.Message, e.Code())
			}
		}
	})
}
