package reports_test

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/healthscore"
	"github.com/opsgraph/opsgraph/ent/healthsignal"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/health"
	"github.com/opsgraph/opsgraph/internal/reports"
	"github.com/opsgraph/opsgraph/internal/seed"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/sla"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// opsNow is the instant the demo data is seeded up to and the reports are
// computed at.
var opsNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// opsSeed seeds the demo data and returns the database.
func opsSeed(t *testing.T, dia string) *store.DB {
	t.Helper()
	return seedtest.Demo(t, dia, opsNow)
}

// opsCSM is the context of a CSM viewer (row rules on).
func opsCSM(subject string) context.Context {
	return viewer.NewContext(context.Background(), &viewer.Viewer{Subject: subject, Roles: []string{viewer.RoleCSM}})
}

// opsBook computes a CSM's book independently of the row rules: the accounts
// they own and all their descendants. It returns the user's id and the
// book's account ids.
func opsBook(t *testing.T, c *ent.Client, email string) (int, map[int]bool) {
	t.Helper()
	ctx := viewer.System(context.Background(), "test")
	u, err := c.User.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	uid := 0
	for _, x := range u {
		if x.Email == email {
			uid = x.ID
		}
	}
	if uid == 0 {
		t.Fatalf("no user %s", email)
	}
	all := c.Account.Query().AllX(ctx)
	in := map[int]bool{}
	for changed := true; changed; {
		changed = false
		for _, a := range all {
			if !in[a.ID] && (a.OwnerID == uid || (a.ParentID != 0 && in[a.ParentID])) {
				in[a.ID] = true
				changed = true
			}
		}
	}
	return uid, in
}

// healthOracle is the health overview computed in plain Go from every row.
type healthOracle struct {
	byBand    map[healthscore.Band]int
	unscored  int
	coverage  reports.Completeness
	signals   []reports.SignalFreshness
	moverIDs  []int
	moverVals map[int][3]float64 // previous, score, change
	moverAt   map[int]time.Time
}

// expectHealth computes the report over the non-churned accounts for which
// keep is true, at now under model, listing up to limit movers.
func expectHealth(t *testing.T, c *ent.Client, model health.Model, now time.Time, limit int, keep func(int) bool) healthOracle {
	t.Helper()
	ctx := viewer.System(context.Background(), "test")
	accounts := c.Account.Query().AllX(ctx)
	scores := map[int]*ent.HealthScore{}
	for _, s := range c.HealthScore.Query().AllX(ctx) {
		scores[s.ID] = s
	}
	// account → kind → latest observed_at, of every stored signal: the
	// report reads the latest stored signal (ingest refuses signals beyond
	// the clock skew, so it need not leave them out as scoring does); one
	// written around ingest in the future of now counts, as fresh.
	latest := map[int]map[string]time.Time{}
	for _, s := range c.HealthSignal.Query().AllX(ctx) {
		if latest[s.AccountID] == nil {
			latest[s.AccountID] = map[string]time.Time{}
		}
		if cur, ok := latest[s.AccountID][string(s.Kind)]; !ok || s.ObservedAt.After(cur) {
			latest[s.AccountID][string(s.Kind)] = s.ObservedAt
		}
	}
	// The freshness window of a score: the model's shortest.
	window := time.Duration(math.MaxInt64)
	fresh := func(m health.Measure) time.Duration {
		if m.Freshness == 0 {
			return 24 * time.Hour
		}
		return m.Freshness
	}
	for _, m := range model.Measures {
		window = min(window, fresh(m))
	}
	o := healthOracle{byBand: map[healthscore.Band]int{}, moverVals: map[int][3]float64{}, moverAt: map[int]time.Time{}}
	stale, missing := map[string]int{}, map[string]int{}
	type mover struct {
		id    int
		tenth float64
	}
	var movers []mover
	for _, a := range accounts {
		if a.LifecycleStage == account.LifecycleStageCHURNED || !keep(a.ID) {
			continue
		}
		o.coverage.Total++
		if a.HealthScoreID == nil {
			o.unscored++
		} else {
			s := scores[*a.HealthScoreID]
			o.byBand[s.Band]++
			if now.Sub(s.ComputedAt) < window {
				o.coverage.Complete++
			}
			if s.PreviousScore != nil {
				if d := math.Round((*s.PreviousScore - s.Score) * 10); d >= 1 {
					movers = append(movers, mover{a.ID, d})
					o.moverVals[a.ID] = [3]float64{*s.PreviousScore, s.Score, -d / 10}
					o.moverAt[a.ID] = s.ComputedAt
				}
			}
		}
		for _, m := range model.Measures {
			at, ok := latest[a.ID][m.Kind]
			switch {
			case !ok:
				missing[m.Kind]++
			case now.Sub(at) >= fresh(m):
				stale[m.Kind]++
			}
		}
	}
	for _, m := range model.Measures {
		o.signals = append(o.signals, reports.SignalFreshness{Kind: healthsignal.Kind(m.Kind), Stale: stale[m.Kind], Missing: missing[m.Kind]})
	}
	slices.SortFunc(movers, func(x, y mover) int {
		if x.tenth != y.tenth {
			if x.tenth > y.tenth {
				return -1
			}
			return 1
		}
		return x.id - y.id
	})
	for i, m := range movers {
		if i == limit {
			break
		}
		o.moverIDs = append(o.moverIDs, m.id)
	}
	return o
}

// checkHealth compares the report computed in ctx with the oracle.
func checkHealth(t *testing.T, ctx context.Context, svc *reports.Service, limit int, want healthOracle) {
	t.Helper()
	r, err := svc.HealthOverview(&limit)
	if err != nil {
		t.Fatal(err)
	}
	bands, err := r.ByBand(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []healthscore.Band
	for _, b := range bands {
		got = append(got, b.Band)
		if b.Accounts != want.byBand[b.Band] {
			t.Errorf("byBand %s = %d, want %d", b.Band, b.Accounts, want.byBand[b.Band])
		}
	}
	if !slices.Equal(got, []healthscore.Band{healthscore.BandGREEN, healthscore.BandYELLOW, healthscore.BandRED}) {
		t.Errorf("bands listed: %v", got)
	}
	if n, err := r.Unscored(ctx); err != nil || n != want.unscored {
		t.Errorf("unscored = %d (%v), want %d", n, err, want.unscored)
	}
	cov, err := r.Coverage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cov.Total != want.coverage.Total || cov.Complete != want.coverage.Complete {
		t.Errorf("coverage = %d/%d, want %d/%d", cov.Complete, cov.Total, want.coverage.Complete, want.coverage.Total)
	}
	if (cov.Rate == nil) != (cov.Total == 0) || (cov.Rate != nil && *cov.Rate != float64(cov.Complete)/float64(cov.Total)) {
		t.Errorf("coverage rate = %v for %d/%d", cov.Rate, cov.Complete, cov.Total)
	}
	sigs, err := r.Signals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs) != len(want.signals) {
		t.Fatalf("signals: %d kinds, want %d", len(sigs), len(want.signals))
	}
	for i, s := range sigs {
		if *s != want.signals[i] {
			t.Errorf("signals[%d] = %+v, want %+v", i, *s, want.signals[i])
		}
	}
	movers, err := r.Movers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	for _, m := range movers {
		ids = append(ids, m.Account.ID)
		v := want.moverVals[m.Account.ID]
		if m.PreviousScore != v[0] || m.Score != v[1] || m.Change != v[2] || !m.ComputedAt.Equal(want.moverAt[m.Account.ID]) {
			t.Errorf("mover %d = %v %v %v %s, want %v %s", m.Account.ID, m.PreviousScore, m.Score, m.Change, m.ComputedAt, v, want.moverAt[m.Account.ID])
		}
	}
	if !slices.Equal(ids, want.moverIDs) {
		t.Errorf("movers = %v, want %v", ids, want.moverIDs)
	}
}

// The ops reports on the demo data equal their plain-Go oracles, on both
// databases (one seed each).
func TestOpsReportsOracle(t *testing.T) {
	for _, dia := range testdb.Dialects {
		t.Run(dia, func(t *testing.T) {
			db := opsSeed(t, dia)
			t.Run("healthOverview", func(t *testing.T) { healthOverviewOracle(t, db) })
			t.Run("requestQueue", func(t *testing.T) { requestQueueOracle(t, db) })
		})
	}
}

// healthOverviewOracle checks the health overview against the oracle, for
// the whole base and for a CSM's book.
func healthOverviewOracle(t *testing.T, db *store.DB) {
	model := seed.HealthModel()
	all := func(int) bool { return true }
	for _, now := range []time.Time{opsNow, opsNow.Add(36 * time.Hour), opsNow.Add(-72 * time.Hour)} {
		svc := reports.New(db.Client, func() time.Time { return now }, sla.DefaultPolicy(), model)
		for _, limit := range []int{1, 7, 100} {
			want := expectHealth(t, db.Client, model, now, limit, all)
			if limit == 100 && now.Equal(opsNow) {
				t.Logf("demo: bands %v, unscored %d, coverage %d/%d, signals %+v, %d movers",
					want.byBand, want.unscored, want.coverage.Complete, want.coverage.Total, want.signals, len(want.moverIDs))
				if len(want.moverIDs) == 0 {
					t.Fatal("the demo data has no movers")
				}
			}
			checkHealth(t, context.Background(), svc, limit, want)
		}
	}
	const me = "csm1@opsgraph.example"
	_, in := opsBook(t, db.Client, me)
	if len(in) == 0 {
		t.Fatal("csm1 has no book")
	}
	svc := reports.New(db.Client, func() time.Time { return opsNow }, sla.DefaultPolicy(), model)
	want := expectHealth(t, db.Client, model, opsNow, 100, func(id int) bool { return in[id] })
	checkHealth(t, opsCSM(me), svc, 100, want)
	// A model with other freshness windows changes stale and coverage.
	short := model
	short.Measures = slices.Clone(model.Measures)
	for i := range short.Measures {
		short.Measures[i].Freshness = time.Duration(i+1) * 6 * time.Hour
	}
	svc = reports.New(db.Client, func() time.Time { return opsNow }, sla.DefaultPolicy(), short)
	checkHealth(t, context.Background(), svc, 20, expectHealth(t, db.Client, short, opsNow, 20, all))
}

// Edge cases on hand-built rows: no accounts at all, churned accounts left
// out, ties among movers broken by account id, rises and sub-0.1 drops left
// out, a signal exactly at its freshness limit (stale), one a nanosecond
// inside it (fresh), a signal in the future of now (the latest, fresh:
// ingest refuses signals beyond the clock skew, and the report reads the
// latest stored signal), a score exactly at the coverage window (not
// covered).
func TestHealthOverviewEdges(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := viewer.System(context.Background(), "test")
		c := db.Client
		now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		model := health.DefaultModel() // shortest freshness 24h
		svc := reports.New(c, func() time.Time { return now }, sla.DefaultPolicy(), model)

		empty := healthOracle{byBand: map[healthscore.Band]int{}}
		for _, m := range model.Measures {
			empty.signals = append(empty.signals, reports.SignalFreshness{Kind: healthsignal.Kind(m.Kind)})
		}
		checkHealth(t, ctx, svc, 5, empty)

		acct := func(name string, stage account.LifecycleStage) *ent.Account {
			return c.Account.Create().SetName(name).SetSegment(account.SegmentSMB).SetRegion(schematype.RegionNA).SetLifecycleStage(stage).SaveX(ctx)
		}
		score := func(a *ent.Account, s float64, prev *float64, at time.Time) {
			band := health.DefaultModel().Bands.Band(s)
			hs := c.HealthScore.Create().SetAccount(a).SetScore(s).SetBand(healthscore.Band(band)).SetCoverage(1).
				SetModelVersion(1).SetNillablePreviousScore(prev).SetComputedAt(at).SaveX(ctx)
			c.Account.UpdateOne(a).SetHealthScoreID(hs.ID).ExecX(ctx)
		}
		signal := func(a *ent.Account, kind healthsignal.Kind, at time.Time) {
			c.HealthSignal.Create().SetAccount(a).SetKind(kind).SetValue(1).SetObservedAt(at).SetSource("test").ExecX(ctx)
		}
		f := func(v float64) *float64 { return &v }
		a1 := acct("A1", account.LifecycleStageGROWTH)
		a2 := acct("A2", account.LifecycleStageAT_RISK)
		a3 := acct("A3", account.LifecycleStageONBOARDING)
		a4 := acct("A4", account.LifecycleStageRENEWAL)
		a5 := acct("A5", account.LifecycleStageADOPTION)
		gone := acct("Gone", account.LifecycleStageCHURNED)
		score(a1, 50, f(60.3), now.Add(-24*time.Hour))               // drop 10.3, exactly at the window: not covered
		score(a2, 20.3, f(30.6), now.Add(-24*time.Hour+time.Second)) // drop 10.3 (a tie), covered
		score(a3, 80, f(79.9), now)                                  // a rise
		score(a4, 45.04, f(45.08), now)                              // a drop under 0.05: none
		score(gone, 10, f(90), now)                                  // churned
		_ = a5                                                       // unscored
		// PRODUCT_USAGE is 7 days fresh, SUPPORT_TICKETS 24h.
		signal(a1, healthsignal.KindPRODUCT_USAGE, now.Add(-7*24*time.Hour))            // exactly at the limit: stale
		signal(a2, healthsignal.KindPRODUCT_USAGE, now.Add(-7*24*time.Hour+1000))       // a microsecond inside: fresh
		signal(a3, healthsignal.KindPRODUCT_USAGE, now.Add(time.Hour))                  // beyond the skew (written around ingest): the latest, fresh
		signal(a4, healthsignal.KindSUPPORT_TICKETS, now.Add(-48*time.Hour))            // stale …
		signal(a4, healthsignal.KindSUPPORT_TICKETS, now.Add(health.MaxClockSkew))      // … but the latest is fresh
		signal(gone, healthsignal.KindSUPPORT_TICKETS, now.Add(-48*time.Hour))          // churned
		signal(a5, healthsignal.KindSUPPORT_TICKETS, now.Add(-24*time.Hour).Add(-1000)) // stale

		want := expectHealth(t, c, model, now, 10, func(int) bool { return true })
		if want.coverage.Total != 5 || want.coverage.Complete != 3 || want.unscored != 1 {
			t.Fatalf("oracle: coverage %+v, unscored %d", want.coverage, want.unscored)
		}
		if !slices.Equal(want.moverIDs, []int{a1.ID, a2.ID}) {
			t.Fatalf("oracle movers %v", want.moverIDs)
		}
		if want.signals[0] != (reports.SignalFreshness{Kind: healthsignal.KindPRODUCT_USAGE, Stale: 1, Missing: 2}) ||
			want.signals[2] != (reports.SignalFreshness{Kind: healthsignal.KindSUPPORT_TICKETS, Stale: 1, Missing: 3}) {
			t.Fatalf("oracle signals %+v", want.signals)
		}
		checkHealth(t, ctx, svc, 10, want)
		checkHealth(t, ctx, svc, 1, expectHealth(t, c, model, now, 1, func(int) bool { return true }))
	})
}

// moversLimit outside 1..100 is refused.
func TestHealthOverviewLimit(t *testing.T) {
	svc := reports.New(nil, nil, sla.DefaultPolicy(), health.DefaultModel())
	for _, n := range []int{0, -1, 101} {
		if _, err := svc.HealthOverview(&n); err == nil {
			t.Errorf("moversLimit %d accepted", n)
		}
	}
	if r, err := svc.HealthOverview(nil); err != nil || r == nil {
		t.Errorf("default moversLimit: %v", err)
	}
}
