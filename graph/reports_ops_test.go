package graph_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/reports"
	"github.com/opsgraph/opsgraph/internal/seed"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// opsReportsNow is the server clock of the ops report tests: the demo
// data's reference time.
var opsReportsNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// opsReports is the response of both ops reports, every part selected
// (reportQueries).
type opsReports struct {
	HealthOverview struct {
		ByBand []struct {
			Band     string
			Accounts int
		}
		Unscored int
		Coverage struct {
			Total, Complete int
			Rate            *float64
		}
		Signals []struct {
			Kind           string
			Stale, Missing int
		}
		Movers []struct {
			Account                      struct{ ID, Name string }
			PreviousScore, Score, Change float64
			ComputedAt                   time.Time
		}
	}
	RequestQueue struct {
		Open []struct {
			Priority, Status string
			Count            int
		}
		ResolvedFrom, ResolvedTo time.Time
		ResolutionCompliance     []opsCompliance
		ResponseCompliance       []opsCompliance
		Aging                    []struct {
			Bucket  string
			MinDays int
			MaxDays *int
			Count   int
		}
		Breached []struct {
			ID, Number, Priority, Status   string
			ResponseDueAt, ResolutionDueAt *time.Time
		}
		BreachedCount int
	}
}

type opsCompliance struct {
	Priority   string
	Compliance struct {
		Total, Complete int
		Rate            *float64
	}
}

// checkOpsReports compares the API's answer with the report service run
// directly in ctx (whose results the oracle tests in internal/reports
// check): the GraphQL layer passes every part through.
func checkOpsReports(t *testing.T, ctx context.Context, svc *reports.Service, got opsReports) {
	t.Helper()
	h, err := svc.HealthOverview(nil)
	if err != nil {
		t.Fatal(err)
	}
	bands, _ := h.ByBand(ctx)
	for i, b := range bands {
		if g := got.HealthOverview.ByBand[i]; g.Band != string(b.Band) || g.Accounts != b.Accounts {
			t.Errorf("byBand[%d] = %+v, want %+v", i, g, *b)
		}
	}
	if n, _ := h.Unscored(ctx); got.HealthOverview.Unscored != n {
		t.Errorf("unscored = %d, want %d", got.HealthOverview.Unscored, n)
	}
	cov, _ := h.Coverage(ctx)
	if c := got.HealthOverview.Coverage; c.Total != cov.Total || c.Complete != cov.Complete || (c.Rate == nil) != (cov.Rate == nil) || (c.Rate != nil && *c.Rate != *cov.Rate) {
		t.Errorf("coverage = %+v, want %+v", c, *cov)
	}
	sigs, _ := h.Signals(ctx)
	for i, s := range sigs {
		if g := got.HealthOverview.Signals[i]; g.Kind != string(s.Kind) || g.Stale != s.Stale || g.Missing != s.Missing {
			t.Errorf("signals[%d] = %+v, want %+v", i, g, *s)
		}
	}
	movers, err := h.Movers(ctx)
	if err != nil || len(movers) != len(got.HealthOverview.Movers) {
		t.Fatalf("movers: %d, want %d (%v)", len(got.HealthOverview.Movers), len(movers), err)
	}
	for i, m := range movers {
		g := got.HealthOverview.Movers[i]
		if decodeID(t, g.Account.ID) != m.Account.ID || g.Account.Name != m.Account.Name || g.Score != m.Score ||
			g.PreviousScore != m.PreviousScore || g.Change != m.Change || !g.ComputedAt.Equal(m.ComputedAt) {
			t.Errorf("movers[%d] = %+v, want account %d %v→%v", i, g, m.Account.ID, m.PreviousScore, m.Score)
		}
	}

	q, err := svc.RequestQueue(nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rq := got.RequestQueue
	if !rq.ResolvedFrom.Equal(q.ResolvedFrom) || !rq.ResolvedTo.Equal(q.ResolvedTo) {
		t.Errorf("window %s..%s, want %s..%s", rq.ResolvedFrom, rq.ResolvedTo, q.ResolvedFrom, q.ResolvedTo)
	}
	open, _ := q.Open(ctx)
	for i, c := range open {
		if g := rq.Open[i]; g.Priority != string(c.Priority) || g.Status != string(c.Status) || g.Count != c.Count {
			t.Errorf("open[%d] = %+v, want %+v", i, g, *c)
		}
	}
	for _, x := range []struct {
		got  []opsCompliance
		want func(context.Context) ([]*reports.SlaCompliance, error)
	}{{rq.ResolutionCompliance, q.ResolutionCompliance}, {rq.ResponseCompliance, q.ResponseCompliance}} {
		want, _ := x.want(ctx)
		for i, c := range want {
			g := x.got[i]
			if g.Priority != string(c.Priority) || g.Compliance.Total != c.Compliance.Total || g.Compliance.Complete != c.Compliance.Complete {
				t.Errorf("compliance[%d] = %+v, want %s %d/%d", i, g, c.Priority, c.Compliance.Complete, c.Compliance.Total)
			}
		}
	}
	aging, _ := q.Aging(ctx)
	for i, b := range aging {
		g := rq.Aging[i]
		if g.Bucket != b.Bucket || g.MinDays != b.MinDays || g.Count != b.Count || (g.MaxDays == nil) != (b.MaxDays == nil) || (g.MaxDays != nil && *g.MaxDays != *b.MaxDays) {
			t.Errorf("aging[%d] = %+v, want %+v", i, g, *b)
		}
	}
	breached, _ := q.Breached(ctx)
	if len(breached) != len(rq.Breached) {
		t.Fatalf("breached: %d, want %d", len(rq.Breached), len(breached))
	}
	for i, r := range breached {
		if decodeID(t, rq.Breached[i].ID) != r.ID || rq.Breached[i].Number != r.Number {
			t.Errorf("breached[%d] = %s, want %s", i, rq.Breached[i].Number, r.Number)
		}
	}
	if n, _ := q.BreachedCount(ctx); rq.BreachedCount != n {
		t.Errorf("breachedCount = %d, want %d", rq.BreachedCount, n)
	}
}

// The ops reports end to end: an ADMIN gets the whole base, a CSM exactly
// their book (checked against the rows in plain Go), in a constant number
// of SQL statements; arguments out of range are BAD_USER_INPUT.
func TestOpsReportsAPI(t *testing.T) {
	seedtest.EachDemo(t, opsReportsNow, func(t *testing.T, db *store.DB) {
		srv := apitest.NewAt(t, db, func() time.Time { return opsReportsNow })
		svc := reports.New(db.Client, func() time.Time { return opsReportsNow }, seed.SLAPolicy(), seed.HealthModel())
		query := "query { " + reportQueries["healthOverview"][1:len(reportQueries["healthOverview"])-1] +
			reportQueries["requestQueue"][1:len(reportQueries["requestQueue"])-1] + " }"

		var admin opsReports
		srv.Post(query, nil).MustData(t, &admin)
		checkOpsReports(t, viewer.System(context.Background(), "test"), svc, admin)

		const me = "csm1@opsgraph.example"
		csm := &viewer.Viewer{Subject: me, Roles: []string{viewer.RoleCSM}}
		var mine opsReports
		srv.PostAs(tokenFor(t, srv, csm), query, nil).MustData(t, &mine)
		checkOpsReports(t, viewer.NewContext(context.Background(), csm), svc, mine)

		// The CSM's figures are those of their book, from the rows.
		ctx := viewer.System(context.Background(), "test")
		uid, bookIDs := expectedBook(t, db.Client, me)
		inBook := func(id int) bool { _, ok := slices.BinarySearch(bookIDs, id); return ok }
		accounts := 0
		for _, a := range db.Client.Account.Query().Where(account.LifecycleStageNEQ(account.LifecycleStageCHURNED)).AllX(ctx) {
			if inBook(a.ID) {
				accounts++
			}
		}
		h := mine.HealthOverview
		scored := 0
		for _, b := range h.ByBand {
			scored += b.Accounts
		}
		if scored+h.Unscored != accounts || h.Coverage.Total != accounts {
			t.Errorf("CSM: %d scored + %d unscored, coverage of %d; the book has %d non-churned accounts", scored, h.Unscored, h.Coverage.Total, accounts)
		}
		for _, m := range h.Movers {
			if !inBook(decodeID(t, m.Account.ID)) {
				t.Errorf("mover %s is outside the book", m.Account.Name)
			}
		}
		visible := func(r *ent.Request) bool {
			return (r.AccountID != nil && inBook(*r.AccountID)) || r.RequesterID == uid || (r.AssigneeID != nil && *r.AssigneeID == uid)
		}
		openRows := 0
		for _, r := range db.Client.Request.Query().AllX(ctx) {
			if visible(r) && slices.Contains(reports.OpenStatuses, r.Status) {
				openRows++
			}
		}
		openCount := func(r opsReports) (n int) {
			for _, c := range r.RequestQueue.Open {
				n += c.Count
			}
			return n
		}
		if openCount(mine) != openRows || openCount(admin) <= openRows {
			t.Errorf("open requests: CSM %d, want %d; ADMIN %d", openCount(mine), openRows, openCount(admin))
		}
		for _, b := range mine.RequestQueue.Breached {
			if !visible(db.Client.Request.GetX(ctx, decodeID(t, b.ID))) {
				t.Errorf("breached request %s is not the CSM's", b.Number)
			}
		}
		if mine.RequestQueue.BreachedCount >= admin.RequestQueue.BreachedCount {
			t.Errorf("breachedCount: CSM %d, ADMIN %d", mine.RequestQueue.BreachedCount, admin.RequestQueue.BreachedCount)
		}

		// Statements per request: constant, whatever the limits.
		count := func(token, q string, vars map[string]any) int64 {
			db.Counter.Reset()
			res := srv.PostAs(token, q, vars)
			if len(res.Errors) > 0 {
				t.Fatalf("errors: %s", res.Raw)
			}
			return db.Counter.Count()
		}
		const limited = `query($m: Int!, $b: Int!) { healthOverview(moversLimit: $m) { byBand { band accounts } unscored coverage { rate }
			signals { kind stale missing } movers { account { name } change } }
			requestQueue(breachedLimit: $b) { open { count } resolutionCompliance { compliance { rate } } responseCompliance { compliance { rate } }
			aging { count } breached { number } breachedCount } }`
		adminTok := srv.Token("admin@opsgraph.example", viewer.RoleAdmin)
		for _, tc := range []struct {
			name  string
			token string
			want  int64
		}{{"ADMIN", adminTok, 8}, {"CSM", tokenFor(t, srv, csm), 10}} {
			small := count(tc.token, limited, map[string]any{"m": 1, "b": 1})
			large := count(tc.token, limited, map[string]any{"m": 100, "b": 100})
			// health: bands, signals, movers (the accounts themselves);
			// queue: open, compliance, aging, breached, breached count; a
			// CSM's user id and book (resolved once for the query).
			if small != tc.want || large != tc.want {
				t.Errorf("%s: %d statements with limits 1, %d with 100; want %d", tc.name, small, large, tc.want)
			}
		}
		if n := count(adminTok, `{ healthOverview { unscored coverage { rate } } }`, nil); n != 1 {
			t.Errorf("unscored and coverage: %d statements, want 1 (they share the bands query)", n)
		}

		// Arguments out of range.
		for _, q := range []string{
			`{ healthOverview(moversLimit: 0) { unscored } }`,
			`{ healthOverview(moversLimit: 101) { unscored } }`,
			`{ requestQueue(breachedLimit: 0) { breachedCount } }`,
			`{ requestQueue(breachedLimit: 101) { breachedCount } }`,
			`{ requestQueue(resolvedFrom: "2026-11-01T00:00:00Z", resolvedTo: "2026-10-01T00:00:00Z") { breachedCount } }`,
		} {
			res := srv.Post(q, nil)
			if len(res.Errors) != 1 || res.Errors[0].Code() != "BAD_USER_INPUT" || len(res.Errors[0].Path) != 1 {
				t.Errorf("%s: %s", q, res.Raw)
			}
		}
		// An explicit window, empty.
		var empty struct {
			RequestQueue struct {
				ResolutionCompliance []opsCompliance
			}
		}
		srv.Post(`{ requestQueue(resolvedFrom: "2026-10-01T00:00:00Z", resolvedTo: "2026-10-01T00:00:00Z") { resolutionCompliance { priority compliance { total complete rate } } } }`, nil).MustData(t, &empty)
		for _, c := range empty.RequestQueue.ResolutionCompliance {
			if c.Compliance.Total != 0 || c.Compliance.Rate != nil {
				t.Errorf("empty window: %+v", c)
			}
		}
	})
}
