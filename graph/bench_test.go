package graph_test

import (
	"testing"

	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/seedtest"
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
