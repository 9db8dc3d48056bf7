package graph_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/schema/gid"

	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/server"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// BenchmarkAcceptanceQuery measures the foundation issue's acceptance query
// through the whole HTTP stack (JWT, authorization, gqlgen, ent, SQL) on the
// demo data, as an ADMIN and as a CSM (row rules on), reporting SQL
// statements per request. Run with:
//
//	go test -run '^$' -bench AcceptanceQuery -benchtime 200x ./graph/
func BenchmarkAcceptanceQuery(b *testing.B) {
	for _, dia := range testdb.Dialects {
		b.Run(dia, func(b *testing.B) {
			benchQuery(b, seedtest.Demo(b, dia, demoNow))
		})
	}
}

func benchQuery(b *testing.B, db *store.DB) {
	srv := apitest.New(b, db)
	for _, v := range []*viewer.Viewer{
		{Subject: "admin@opsgraph.example", Roles: []string{viewer.RoleAdmin}},
		{Subject: "csm1@opsgraph.example", Roles: []string{viewer.RoleCSM}},
	} {
		b.Run(v.Roles[0], func(b *testing.B) {
			tok := tokenFor(b, srv, v)
			db.Counter.Reset()
			b.ResetTimer()
			for range b.N {
				res := srv.PostAs(tok, acceptanceQuery, nil)
				if len(res.Errors) > 0 {
					b.Fatalf("errors: %s", res.Raw)
				}
			}
			b.ReportMetric(float64(db.Counter.Count())/float64(b.N), "sql/op")
		})
	}
}

// BenchmarkScenarios runs the load harness's Q1 and Q2 operations
// (bench/scenarios) in process on the demo data, as ADMIN, to profile the
// server's side of them without a load generator:
//
//	go test -run '^$' -bench 'Scenarios/postgres' -benchtime 300x -cpuprofile /tmp/q.pprof ./graph/
func BenchmarkScenarios(b *testing.B) {
	q1 := scenarioQuery(b, "1-q1.json")
	q2 := scenarioQuery(b, "2-q2.json")
	for _, dia := range testdb.Dialects {
		b.Run(dia, func(b *testing.B) {
			db := seedtest.Demo(b, dia, demoNow)
			ids := db.Client.Account.Query().Order(ent.Asc(account.FieldID)).IDsX(b.Context())
			// On PostgreSQL each scenario also runs with compiled reads on
			// (one statement per query, internal/lookahead), as serve does.
			modes := []bool{false}
			if dia == dialect.Postgres {
				modes = append(modes, true)
			}
			for _, compiled := range modes {
				srv := apitest.NewWith(b, db, func(o *server.Options) { o.CompiledReads = compiled })
				tok := srv.Token("bench-admin", viewer.RoleAdmin)
				suffix := ""
				if compiled {
					suffix = "-compiled"
				}
				for _, sc := range []struct {
					name string
					run  func(i int) *apitest.Response
				}{
					{"Q1", func(int) *apitest.Response { return srv.PostAs(tok, q1, nil) }},
					{"Q2", func(i int) *apitest.Response {
						return srv.PostAs(tok, q2, map[string]any{"id": gid.Encode(ids[i%len(ids)])})
					}},
				} {
					b.Run(sc.name+suffix, func(b *testing.B) {
						db.Counter.Reset()
						b.ReportAllocs()
						b.ResetTimer()
						for i := range b.N {
							if res := sc.run(i); len(res.Errors) > 0 || res.Status != 200 {
								b.Fatalf("status %d: %s", res.Status, res.Raw)
							}
						}
						b.ReportMetric(float64(db.Counter.Count())/float64(b.N), "sql/op")
					})
				}
			}
		})
	}
}

// scenarioQuery reads the GraphQL text of one harness scenario file.
func scenarioQuery(b *testing.B, file string) string {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "bench", "scenarios", file))
	if err != nil {
		b.Fatal(err)
	}
	var sc struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(raw, &sc); err != nil || sc.Query == "" {
		b.Fatalf("%s: no query (%v)", file, err)
	}
	return sc.Query
}
