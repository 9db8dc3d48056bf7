package reports_test

// Tests of the order reports (order pipeline, entitlement discrepancies,
// billing reconciliation) against the independent oracle in
// internal/reports/orderoracle, on the demo data and on small hand-built
// fixtures, on SQLite and PostgreSQL. Helpers are prefixed ord.

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/orderline"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/reports"
	"github.com/opsgraph/opsgraph/internal/reports/orderoracle"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// ordCSM is the demo data's CSM with a book.
const ordCSM = "csm1@opsgraph.example"

func ordLoad(t *testing.T, db *store.DB) *orderoracle.Data {
	t.Helper()
	d, err := orderoracle.Load(context.Background(), db.Client)
	if err != nil {
		t.Fatalf("loading rows: %v", err)
	}
	return d
}

// ordWindow fails unless a report's window is [wantFrom, wantTo).
func ordWindow(t *testing.T, from, to, wantFrom, wantTo time.Time) {
	t.Helper()
	if !from.Equal(wantFrom) || !to.Equal(wantTo) {
		t.Fatalf("window [%s, %s), want [%s, %s)", from, to, wantFrom, wantTo)
	}
}

// ordStats formats a DurationStats like orderoracle.Stats.
func ordStats(s *reports.DurationStats) string {
	return orderoracle.Stats{Count: s.Count, P50: s.P50Seconds, P90: s.P90Seconds, Max: s.MaxSeconds}.String()
}

// checkPipeline compares the pipeline report (every part) with the oracle.
func checkPipeline(t *testing.T, ctx context.Context, svc *reports.Service, d *orderoracle.Data, keep orderoracle.Keep, now time.Time, from, to *time.Time) {
	t.Helper()
	r, err := svc.OrderPipeline(from, to)
	if err != nil {
		t.Fatal(err)
	}
	wantTo, wantFrom := now, now.Add(-30*24*time.Hour)
	if to != nil {
		wantTo, wantFrom = *to, to.Add(-30*24*time.Hour)
	}
	if from != nil {
		wantFrom = *from
	}
	ordWindow(t, r.FulfilledFrom, r.FulfilledTo, wantFrom, wantTo)
	want := d.OrderPipeline(keep, wantFrom, wantTo)
	by, err := r.ByStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(by) != len(schematype.AllOrderStatuses) {
		t.Fatalf("byStatus has %d statuses", len(by))
	}
	for i, c := range by {
		if c.Status != schematype.AllOrderStatuses[i] || c.Count != want.ByStatus[c.Status] {
			t.Errorf("byStatus[%d] = %s %d, want %s %d", i, c.Status, c.Count, schematype.AllOrderStatuses[i], want.ByStatus[schematype.AllOrderStatuses[i]])
		}
	}
	lead, err := r.LeadTime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := ordStats(lead); got != want.LeadTime.String() {
		t.Errorf("lead time %s, want %s", got, want.LeadTime)
	}
	stages, err := r.Stages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range stages {
		if g.Stage != reports.AllOrderStages[i] || ordStats(g.Duration) != want.Stages[i].String() {
			t.Errorf("stage %d: %s %s, want %s %s", i, g.Stage, ordStats(g.Duration), reports.AllOrderStages[i], want.Stages[i])
		}
	}
}

// checkStuck compares the stuck orders with the oracle.
func checkStuck(t *testing.T, ctx context.Context, svc *reports.Service, d *orderoracle.Data, keep orderoracle.Keep, now time.Time, hours, limit int) []orderoracle.Stuck {
	t.Helper()
	r, err := svc.OrderPipeline(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.StuckOrders(ctx, &hours, &limit)
	if err != nil {
		t.Fatal(err)
	}
	want := d.StuckOrders(keep, now, hours, limit)
	var g []orderoracle.Stuck
	for _, s := range got {
		if s.Order.Status != s.Status {
			t.Errorf("stuck order %d: status %s, order's %s", s.Order.ID, s.Status, s.Order.Status)
		}
		g = append(g, orderoracle.Stuck{Order: s.Order.ID, Status: s.Status, Last: s.LastTransitionAt, Seconds: s.StuckSeconds})
	}
	if fmt.Sprint(g) != fmt.Sprint(want) {
		t.Errorf("stuck orders (%dh, limit %d):\n got %v\nwant %v", hours, limit, g, want)
	}
	return want
}

// TestOrderReportsOracle runs the three order reports on the demo data, as
// the system and as a CSM (their book only), and compares every figure
// with the oracle.
func TestOrderReportsOracle(t *testing.T) {
	seedtest.EachDemo(t, accNow, func(t *testing.T, db *store.DB) {
		now := accNow
		svc := accService(db, now)
		d := ordLoad(t, db)
		book, err := orderoracle.Book(context.Background(), db.Client, ordCSM)
		if err != nil || len(book) == 0 {
			t.Fatalf("the CSM's book: %v (%d accounts)", err, len(book))
		}
		for _, who := range []struct {
			name string
			ctx  context.Context
			keep orderoracle.Keep
		}{
			{"all", accSys(), nil},
			{"admin", accAs("admin@opsgraph.example", viewer.RoleAdmin), nil},
			{"csm", accAs(ordCSM, viewer.RoleCSM), book},
		} {
			t.Run(who.name, func(t *testing.T) {
				ctx, keep := who.ctx, who.keep
				t.Run("pipeline", func(t *testing.T) {
					// A boundary taken from the data: an order fulfilled
					// exactly at the window's start counts, one exactly at
					// its end does not.
					var edges []time.Time
					for _, o := range d.Orders {
						if o.FulfilledAt != nil && keep.Has(o.AccountID) {
							edges = append(edges, *o.FulfilledAt)
						}
					}
					if len(edges) < 2 {
						t.Fatal("too few fulfilled orders")
					}
					a, b := edges[len(edges)/3], edges[2*len(edges)/3]
					if b.Before(a) {
						a, b = b, a
					}
					all := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
					empty := now.Add(-100 * 24 * time.Hour)
					for _, w := range [][2]*time.Time{{nil, nil}, {&all, nil}, {&a, &b}, {nil, &b}, {&empty, &empty}} {
						checkPipeline(t, ctx, svc, d, keep, now, w[0], w[1])
					}
					for _, h := range []int{0, 72, 24 * 30} {
						for _, limit := range []int{1, 5, 100} {
							checkStuck(t, ctx, svc, d, keep, now, h, limit)
						}
					}
					if len(d.StuckOrders(keep, now, 72, 100)) == 0 {
						t.Error("the demo data has no stuck orders to check")
					}
				})
				t.Run("discrepancies", func(t *testing.T) {
					recs := checkDiscrepancies(t, ctx, svc, d, keep, now, nil, 30, 7)
					counts := map[string]int{}
					for _, r := range recs {
						counts[r.Kind]++
					}
					for _, k := range orderoracle.Kinds {
						if keep == nil && counts[k] == 0 {
							t.Errorf("the demo data has no %s", k)
						}
					}
					checkDiscrepancies(t, ctx, svc, d, keep, now, []string{"EXCEEDS_CONTRACT", "OVER_LIMIT"}, 30, 3)
					checkDiscrepancies(t, ctx, svc, d, keep, now, []string{"FULFILLED_NOT_INVOICED"}, 0, 100)
					checkDiscrepancies(t, ctx, svc, d, keep, now, []string{"FULFILLED_NOT_INVOICED", "FULFILLED_WITHOUT_ENTITLEMENT"}, 365, 2)
				})
				t.Run("billing", func(t *testing.T) {
					from := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
					mid := time.Date(2026, 3, 15, 6, 30, 0, 0, time.UTC)
					for _, w := range [][2]*time.Time{{nil, nil}, {&from, nil}, {&mid, nil}, {&from, &mid}, {&mid, &mid}} {
						checkBilling(t, ctx, svc, d, keep, now, w[0], w[1])
					}
				})
			})
		}
	})
}

// ordFixture builds small order data sets by hand, as the system.
type ordFixture struct {
	t   *testing.T
	c   *ent.Client
	ctx context.Context
	now time.Time
	n   int
	acc *ent.Account
}

// newOrdFixture returns a fixture with one account, and the reports at now.
func newOrdFixture(t *testing.T, db *store.DB, now time.Time) (*ordFixture, *reports.Service) {
	f := &ordFixture{t: t, c: db.Client, ctx: accSys(), now: now}
	f.acc = f.account()
	return f, accService(db, now)
}

func (f *ordFixture) next() int { f.n++; return f.n }

func (f *ordFixture) account() *ent.Account {
	f.t.Helper()
	return f.c.Account.Create().SetName(fmt.Sprintf("Account %d", f.next())).SetSegment("SMB").SetRegion(schematype.RegionNA).SaveX(f.ctx)
}

func (f *ordFixture) product(kind schematype.EntitlementKind) *ent.Product {
	f.t.Helper()
	n := f.next()
	return f.c.Product.Create().SetSku(fmt.Sprintf("P-%d", n)).SetName(fmt.Sprintf("Product %d", n)).SetFeatureKey(fmt.Sprintf("p%d", n)).
		SetEntitlementKind(kind).SaveX(f.ctx)
}

// contract creates a contract of a; set customises it.
func (f *ordFixture) contract(a *ent.Account, status contract.Status, end time.Time, set ...func(*ent.ContractCreate)) *ent.Contract {
	f.t.Helper()
	q := f.c.Contract.Create().SetNumber(fmt.Sprintf("C-%d", f.next())).SetAccount(a).SetStatus(status).
		SetStartDate(end.AddDate(-1, 0, 0)).SetEndDate(end).SetArrMinor(int64(1000 * f.n)).SetCurrency("USD")
	for _, s := range set {
		s(q)
	}
	return q.SaveX(f.ctx)
}

// order creates an order of a in status with the given stamps; set
// customises it.
func (f *ordFixture) order(a *ent.Account, status schematype.OrderStatus, set ...func(*ent.OrderCreate)) *ent.Order {
	f.t.Helper()
	q := f.c.Order.Create().SetNumber(fmt.Sprintf("O-%d", f.next())).SetAccount(a).SetStatus(status)
	for _, s := range set {
		s(q)
	}
	return q.SaveX(f.ctx)
}

func (f *ordFixture) line(o *ent.Order, action orderline.Action, p *ent.Product) *ent.OrderLine {
	f.t.Helper()
	return f.c.OrderLine.Create().SetOrder(o).SetAction(action).SetProduct(p).SetQuantity(1).SaveX(f.ctx)
}

func (f *ordFixture) event(o *ent.Order, to schematype.OrderStatus, at time.Time) {
	f.t.Helper()
	f.c.OrderEvent.Create().SetOrder(o).SetToStatus(to).SetActor("test").SetAt(at).ExecX(f.ctx)
}

// entitlement creates an ACTIVE entitlement of a to p (limit nil for a
// flag) active from a year ago; set customises it.
func (f *ordFixture) entitlement(a *ent.Account, p *ent.Product, k *ent.Contract, limit *int64, usage int64, set ...func(*ent.EntitlementCreate)) *ent.Entitlement {
	f.t.Helper()
	q := f.c.Entitlement.Create().SetAccount(a).SetProduct(p).SetKind(p.EntitlementKind).SetNillableLimit(limit).SetUsage(usage).
		SetActiveFrom(f.now.AddDate(-1, 0, 0)).SetStatus(entitlement.StatusACTIVE)
	if k != nil {
		q.SetContract(k)
	}
	for _, s := range set {
		s(q)
	}
	return q.SaveX(f.ctx)
}

func TestOrderPipelineEdges(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f, svc := newOrdFixture(t, db, now)
		ctx := f.ctx
		from, to := now.Add(-10*24*time.Hour), now
		fulfilled := func(at time.Time, lead, s1, s2 *time.Duration) *ent.Order {
			return f.order(f.acc, schematype.OrderStatusFulfilled, func(q *ent.OrderCreate) {
				q.SetFulfilledAt(at)
				p := at
				for i, d := range []*time.Duration{s2, s1} {
					if d != nil {
						p = p.Add(-*d)
						if i == 0 {
							q.SetProvisioningAt(p)
						} else {
							q.SetValidatedAt(p)
						}
					}
				}
				if lead != nil {
					q.SetSubmittedAt(at.Add(-*lead))
				}
			})
		}
		dur := func(d time.Duration) *time.Duration { return &d }
		// Lead times 100.25 s (twice: a tie), 1000.5 s, 7200 s; the order
		// exactly at the window's end and the one before it do not count.
		fulfilled(from, dur(100250*time.Millisecond), dur(50*time.Second), dur(25*time.Second))      // at the start: counts
		fulfilled(to.Add(-time.Microsecond), dur(100250*time.Millisecond), nil, dur(10*time.Second)) // just before the end; no validation stamp
		fulfilled(from.Add(time.Hour), dur(1000500*time.Millisecond), dur(500*time.Second), nil)     // no provisioning stamp
		fulfilled(from.Add(2*time.Hour), dur(2*time.Hour), dur(time.Hour), dur(1800*time.Second))    //
		fulfilled(from.Add(3*time.Hour), nil, nil, dur(60*time.Second))                              // no submission stamp
		fulfilled(to, dur(time.Hour), dur(time.Minute), dur(time.Minute))                            // at the end: no
		fulfilled(from.Add(-time.Microsecond), dur(time.Hour), dur(time.Minute), dur(time.Minute))   // before the start: no
		f.order(f.acc, schematype.OrderStatusDraft)
		d := ordLoad(t, db)
		checkPipeline(t, ctx, svc, d, nil, now, &from, &to)
		r, _ := svc.OrderPipeline(&from, &to)
		lead, _ := r.LeadTime(ctx)
		// By hand: 100.25, 100.25, 1000.5, 7200 → p50 rank 2, p90 rank 4.
		if got, want := ordStats(lead), "{n=4 p50=100.25 p90=7200 max=7200}"; got != want {
			t.Errorf("lead time %s, want %s", got, want)
		}
		stages, _ := r.Stages(ctx)
		// submitted→validated: 100.25−(50+25)=25.25, 1000.5−500=500.5, 7200−3600−1800=1800.
		if got, want := ordStats(stages[0].Duration), "{n=3 p50=500.5 p90=1800 max=1800}"; got != want {
			t.Errorf("submitted → validated %s, want %s", got, want)
		}
		// An empty window: nothing counted, every percentile null; the
		// statuses are counted all the same.
		checkPipeline(t, ctx, svc, d, nil, now, &from, &from)
		r, _ = svc.OrderPipeline(&from, &from)
		if lead, _ := r.LeadTime(ctx); lead.Count != 0 || lead.P50Seconds != nil || lead.P90Seconds != nil || lead.MaxSeconds != nil {
			t.Errorf("empty window: lead time %s", ordStats(lead))
		}
		if by, _ := r.ByStatus(ctx); by[4].Status != schematype.OrderStatusFulfilled || by[4].Count != 7 || by[0].Count != 1 {
			t.Errorf("byStatus %v", by)
		}

		// Stuck orders.
		h72 := now.Add(-72 * time.Hour)
		exact := f.order(f.acc, schematype.OrderStatusSubmitted, func(q *ent.OrderCreate) { q.SetSubmittedAt(h72.Add(-time.Hour)) })
		f.event(exact, schematype.OrderStatusDraft, h72.Add(-2*time.Hour))
		f.event(exact, schematype.OrderStatusSubmitted, h72) // exactly 72 h: not stuck at 72
		stamp := f.order(f.acc, schematype.OrderStatusValidated, func(q *ent.OrderCreate) { q.SetValidatedAt(h72.Add(-time.Microsecond)) })
		latest := f.order(f.acc, schematype.OrderStatusProvisioning, func(q *ent.OrderCreate) { q.SetProvisioningAt(now.Add(-200 * time.Hour)) })
		f.event(latest, schematype.OrderStatusValidated, now.Add(-100*time.Hour))
		f.event(latest, schematype.OrderStatusProvisioning, now.Add(-80*time.Hour)) // the latest event wins over the stamp
		tie := f.order(f.acc, schematype.OrderStatusSubmitted, func(q *ent.OrderCreate) { q.SetSubmittedAt(now.Add(-80 * time.Hour)) })
		created := f.order(f.acc, schematype.OrderStatusSubmitted, func(q *ent.OrderCreate) { q.SetCreatedAt(now.Add(-1000 * time.Hour)) })
		f.order(f.acc, schematype.OrderStatusFulfilled, func(q *ent.OrderCreate) { q.SetFulfilledAt(now.Add(-2000 * time.Hour)) }) // final: never stuck
		d = ordLoad(t, db)
		got := checkStuck(t, ctx, svc, d, nil, now, 72, 50)
		var ids []int
		for _, s := range got {
			ids = append(ids, s.Order)
		}
		accSameInts(t, "stuck at 72 h", ids, []int{created.ID, latest.ID, tie.ID, stamp.ID})
		if got[1].Last != now.Add(-80*time.Hour) || got[1].Seconds != 80*3600 {
			t.Errorf("latest event: %+v", got[1])
		}
		got = checkStuck(t, ctx, svc, d, nil, now, 71, 2)
		ids = nil
		for _, s := range got {
			ids = append(ids, s.Order)
		}
		accSameInts(t, "stuck at 71 h, limit 2", ids, []int{created.ID, latest.ID})
		checkStuck(t, ctx, svc, d, nil, now, 0, 100)

		// Arguments.
		r, _ = svc.OrderPipeline(nil, nil)
		for _, a := range [][2]int{{-1, 10}, {72, 0}, {72, 101}, {24*3660 + 1, 10}} {
			_, err := r.StuckOrders(ctx, &a[0], &a[1])
			accWantBadInput(t, err)
		}
		_, err := svc.OrderPipeline(&to, &from)
		accWantBadInput(t, err)
	})
}
