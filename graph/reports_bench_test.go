package graph_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// reportQueries are one complete query per report: every part selected.
var reportQueries = map[string]string{
	"orderPipeline": `{ orderPipeline { byStatus { status count } fulfilledFrom fulfilledTo
		leadTime { count p50Seconds p90Seconds maxSeconds } stages { stage duration { count p50Seconds p90Seconds } }
		stuckOrders(olderThanHours: 72, limit: 50) { order { id number } status lastTransitionAt stuckSeconds } } }`,
	"entitlementDiscrepancies": `{ entitlementDiscrepancies(first: 50) { totalCount countsByKind { kind count }
		edges { cursor node { kind detail account { id name } entitlement { id } contract { id number } order { id number } orderLine { id } product { sku } } } } }`,
	"billingReconciliation": `{ billingReconciliation { from to fulfilledNotInvoiced fulfilledNotInvoicedArr { currency amountMinor } invoicedNotFulfilled
		months { month fulfilledNotInvoiced fulfilledNotInvoicedArr { currency amountMinor } invoicedNotFulfilled } } }`,
	"renewalCalendar": `{ renewalCalendar(withinDays: 120, first: 50) { totalCount withinDays byMonth { month contracts arr { currency amountMinor } }
		edges { node { contract { id number } account { id name } owner { name } renewalOwner { name } renewalDate daysUntil arrMinor currency autoRenew healthBand } } } }`,
	"renewalHygiene": `{ renewalHygiene(first: 50) { totalCount countsByKind { kind count } completeness { total complete rate }
		edges { node { kind detail contract { id number } account { id name } } } } }`,
	"dataQuality": `{ dataQuality { fields { entity field scope completeness { total complete rate } }
		staleOnboarding { account { id name } since days } staleOnboardingCount duplicateGroups { reason key accounts { id name } } duplicateGroupCount } }`,
	"healthOverview": `{ healthOverview { byBand { band accounts } unscored coverage { total complete rate } signals { kind stale missing }
		movers { account { id name } previousScore score change computedAt } } }`,
	"requestQueue": `{ requestQueue { open { priority status count } resolvedFrom resolvedTo
		resolutionCompliance { priority compliance { total complete rate } } responseCompliance { priority compliance { total complete rate } }
		aging { bucket minDays maxDays count } breached { id number priority status responseDueAt resolutionDueAt } breachedCount } }`,
}

// BenchmarkReports runs every report through the whole HTTP stack as an
// ADMIN and as a CSM, reporting the median and p90 request time and SQL
// statements per request. With OPSGRAPH_BENCH_DATABASE_URL it runs on that
// PostgreSQL database (e.g. one loaded with `opsgraph seed --accounts
// 100000`, see docs/benchmarks.md); without, on the demo data of each
// dialect:
//
//	OPSGRAPH_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsgraph_bench?sslmode=disable \
//	  go test -run '^$' -bench Reports -benchtime 20x ./graph/
func BenchmarkReports(b *testing.B) {
	if url := os.Getenv("OPSGRAPH_BENCH_DATABASE_URL"); url != "" {
		db, err := store.Open(context.Background(), store.Options{URL: url})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = db.Close() })
		benchReports(b, db, apitest.New(b, db))
		return
	}
	for _, dia := range testdb.Dialects {
		b.Run(dia, func(b *testing.B) {
			db := seedtest.Demo(b, dia, demoNow)
			benchReports(b, db, apitest.New(b, db))
		})
	}
}

func benchReports(b *testing.B, db *store.DB, srv *apitest.Server) {
	names := make([]string, 0, len(reportQueries))
	for n := range reportQueries {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range []*viewer.Viewer{
			{Subject: "admin@opsgraph.example", Roles: []string{viewer.RoleAdmin}},
			{Subject: "csm1@opsgraph.example", Roles: []string{viewer.RoleCSM}},
		} {
			b.Run(name+"/"+v.Roles[0], func(b *testing.B) {
				tok := tokenFor(b, srv, v)
				if res := srv.PostAs(tok, reportQueries[name], nil); len(res.Errors) > 0 { // warm up, and check
					b.Fatalf("errors: %s", res.Raw)
				}
				took := make([]time.Duration, 0, b.N)
				db.Counter.Reset()
				b.ResetTimer()
				for range b.N {
					start := time.Now()
					res := srv.PostAs(tok, reportQueries[name], nil)
					took = append(took, time.Since(start))
					if len(res.Errors) > 0 {
						b.Fatalf("errors: %s", res.Raw)
					}
				}
				b.StopTimer()
				slices.Sort(took)
				b.ReportMetric(float64(took[(len(took)-1)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(took[(len(took)*9-1)/10].Microseconds())/1000, "p90-ms")
				b.ReportMetric(float64(db.Counter.Count())/float64(b.N), "sql/op")
			})
		}
	}
}
