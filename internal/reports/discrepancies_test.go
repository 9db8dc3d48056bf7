package reports_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/order"
	"github.com/opsgraph/opsgraph/ent/orderline"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/reports"
	"github.com/opsgraph/opsgraph/internal/reports/orderoracle"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
)

// ordRecord reads a discrepancy the way the oracle writes it.
func ordRecord(t *testing.T, ctx context.Context, n *reports.Discrepancy) orderoracle.Record {
	t.Helper()
	r := orderoracle.Record{Kind: string(n.Kind)}
	a, err := n.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.Account = a.ID
	e, err := n.Entitlement(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e != nil {
		r.Entitlement = e.ID
	}
	k, err := n.Contract(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if k != nil {
		r.Contract = k.ID
	}
	o, err := n.Order(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o != nil {
		r.Order = o.ID
	}
	l, err := n.OrderLine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if l != nil {
		r.Line = l.ID
	}
	p, err := n.Product(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p != nil {
		r.Product = p.ID
	}
	detail, err := n.Detail(ctx)
	if err != nil || detail == "" {
		t.Fatalf("detail %q, %v", detail, err)
	}
	return r
}

// checkDiscrepancies pages through the discrepancies of kinds (all when
// nil), first a page, and compares the records, the counts and the paging
// with the oracle. It returns the records.
func checkDiscrepancies(t *testing.T, ctx context.Context, svc *reports.Service, d *orderoracle.Data, keep orderoracle.Keep, now time.Time, kinds []string, days, first int) []orderoracle.Record {
	t.Helper()
	var want []orderoracle.Record
	for _, r := range d.Discrepancies(keep, now, days) {
		if kinds == nil || slices.Contains(kinds, r.Kind) {
			want = append(want, r)
		}
	}
	var ks []reports.DiscrepancyKind
	for _, k := range kinds {
		ks = append(ks, reports.DiscrepancyKind(k))
	}
	var got []orderoracle.Record
	var after *reports.Cursor
	for pages := 0; ; pages++ {
		c, err := svc.EntitlementDiscrepancies(ctx, ks, &days, &first, after)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Edges) > first || c.PageInfo.HasPreviousPage != (after != nil) {
			t.Fatalf("page %d: %d edges, %+v", pages, len(c.Edges), c.PageInfo)
		}
		for _, e := range c.Edges {
			got = append(got, ordRecord(t, ctx, e.Node))
		}
		if pages == 0 {
			total, err := c.TotalCount(ctx)
			if err != nil || total != len(want) {
				t.Errorf("totalCount %d (%v), want %d", total, err, len(want))
			}
			counts, err := c.CountsByKind(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var g, w []string
			for _, c := range counts {
				g = append(g, fmt.Sprint(c.Kind, " ", c.Count))
			}
			for _, k := range orderoracle.Kinds {
				if kinds == nil || slices.Contains(kinds, k) {
					n := 0
					for _, r := range want {
						if r.Kind == k {
							n++
						}
					}
					w = append(w, fmt.Sprint(k, " ", n))
				}
			}
			if fmt.Sprint(g) != fmt.Sprint(w) {
				t.Errorf("countsByKind %v, want %v", g, w)
			}
		}
		if !c.PageInfo.HasNextPage {
			if first > 0 && len(c.Edges) == 0 && pages > 0 {
				t.Errorf("an empty last page")
			}
			break
		}
		if first == 0 || pages > len(want)+1 {
			break
		}
		after = c.PageInfo.EndCursor
	}
	if first > 0 && fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("discrepancies %v (days %d, first %d):\n got %v\nwant %v", kinds, days, first, got, want)
	}
	return got
}

func TestEntitlementDiscrepanciesEdges(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f, svc := newOrdFixture(t, db, now)
		ctx := f.ctx
		qty, flag, metered, extra := f.product(schematype.EntitlementKindQuantity), f.product(schematype.EntitlementKindBoolean),
			f.product(schematype.EntitlementKindMetered), f.product(schematype.EntitlementKindQuantity)
		a, b := f.acc, f.account()
		ka := f.contract(a, contract.StatusACTIVE, now.AddDate(1, 0, 0))
		for _, it := range []struct {
			p *ent.Product
			q int64
		}{{qty, 6}, {qty, 4}, {flag, 1}, {metered, 1000}} { // qty: two items, 10 in all
			f.c.ContractItem.Create().SetContract(ka).SetProduct(it.p).SetQuantity(it.q).ExecX(f.ctx)
		}
		terminated := f.contract(b, contract.StatusTERMINATED, now.AddDate(1, 0, 0))
		ended := f.contract(b, contract.StatusACTIVE, now)                    // ends exactly now: ended
		kb := f.contract(b, contract.StatusACTIVE, now.Add(time.Microsecond)) // in force for another microsecond
		f.c.ContractItem.Create().SetContract(terminated).SetProduct(qty).SetQuantity(1).ExecX(f.ctx)
		f.c.ContractItem.Create().SetContract(ended).SetProduct(flag).SetQuantity(1).ExecX(f.ctx)
		f.c.ContractItem.Create().SetContract(kb).SetProduct(metered).SetQuantity(100).ExecX(f.ctx)
		f.c.ContractItem.Create().SetContract(kb).SetProduct(extra).SetQuantity(100).ExecX(f.ctx)
		n := func(v int64) *int64 { return &v }
		until := func(t time.Time) func(*ent.EntitlementCreate) {
			return func(q *ent.EntitlementCreate) { q.SetActiveTo(t) }
		}
		override := func(limit int64, expires time.Time) func(*ent.EntitlementCreate) {
			return func(q *ent.EntitlementCreate) {
				q.SetOverrideLimit(limit).SetOverrideExpiresAt(expires).SetOverrideReason("test")
			}
		}
		atLimit := f.entitlement(a, qty, ka, n(10), 10)                                                                      // usage = limit: fine; 10 of 10 contracted
		over := f.entitlement(a, metered, ka, n(1000), 1001)                                                                 // OVER_LIMIT
		f.entitlement(b, metered, kb, n(5), 10, override(20, now.Add(time.Microsecond)))                                     // override in force: fine
		lapsed := f.entitlement(b, extra, kb, n(5), 10, override(20, now))                                                   // override expired exactly now: OVER_LIMIT
		f.entitlement(a, flag, ka, nil, 0)                                                                                   // flags count 1 ...
		f.entitlement(a, flag, ka, nil, 0)                                                                                   // ... twice: EXCEEDS (ka, flag)
		f.entitlement(a, extra, ka, n(3), 0)                                                                                 // not on the contract: EXCEEDS (ka, extra)
		expired := f.entitlement(a, qty, nil, n(1), 50, until(now))                                                          // window ended now: EXPIRED_BUT_ACTIVE only
		trial := f.entitlement(b, qty, nil, n(1), 0, until(now.Add(time.Hour)))                                              // NO_ACTIVE_CONTRACT
		onTerminated := f.entitlement(b, qty, terminated, n(1), 0)                                                           // NO_ACTIVE_CONTRACT
		onEnded := f.entitlement(b, flag, ended, nil, 0)                                                                     // NO_ACTIVE_CONTRACT
		f.entitlement(a, metered, ka, n(1), 99, func(q *ent.EntitlementCreate) { q.SetStatus(entitlement.StatusSUSPENDED) }) // suspended: nothing
		f.entitlement(b, metered, kb, nil, 3)                                                                                // metered without a limit: never over

		// Orders and their lines.
		fulfilled := func(acc *ent.Account, at time.Time, billing order.BillingStatus) *ent.Order {
			return f.order(acc, schematype.OrderStatusFulfilled, func(q *ent.OrderCreate) {
				q.SetFulfilledAt(at).SetBillingStatus(billing).SetContract(ka)
			})
		}
		link := func(e *ent.Entitlement, l *ent.OrderLine) {
			f.c.Entitlement.UpdateOne(e).SetSourceOrderLine(l).ExecX(f.ctx)
		}
		o1 := fulfilled(a, now.Add(-30*24*time.Hour), order.BillingStatusNOT_BILLED) // exactly 30 days: not yet
		link(atLimit, f.line(o1, orderline.ActionADD, qty))
		o2 := fulfilled(a, now.Add(-30*24*time.Hour-time.Microsecond), order.BillingStatusNOT_BILLED) // FULFILLED_NOT_INVOICED
		lost := f.line(o2, orderline.ActionADD, flag)                                                 // FULFILLED_WITHOUT_ENTITLEMENT
		f.line(o2, orderline.ActionREMOVE, flag)                                                      // REMOVE lines never count
		o3 := fulfilled(a, now.Add(-90*24*time.Hour), order.BillingStatusINVOICED)
		f.line(o3, orderline.ActionADD, metered) // its entitlement moved to a later order's line: fine
		o4 := fulfilled(a, now.Add(-60*24*time.Hour), order.BillingStatusNOT_BILLABLE)
		link(over, f.line(o4, orderline.ActionCHANGE, metered))
		o5 := fulfilled(a, now.Add(-10*24*time.Hour), order.BillingStatusINVOICED)
		stale := f.line(o5, orderline.ActionRENEW, qty) // the entitlement is linked to an earlier order's line
		o6 := f.order(a, schematype.OrderStatusProvisioning)
		f.line(o6, orderline.ActionADD, extra) // not FULFILLED: nothing

		d := ordLoad(t, db)
		want := map[string][]string{
			"OVER_LIMIT":                    {fmt.Sprint(over.ID), fmt.Sprint(lapsed.ID)},
			"NO_ACTIVE_CONTRACT":            {fmt.Sprint(trial.ID), fmt.Sprint(onTerminated.ID), fmt.Sprint(onEnded.ID)},
			"FULFILLED_WITHOUT_ENTITLEMENT": {fmt.Sprint(lost.ID), fmt.Sprint(stale.ID)},
			"EXCEEDS_CONTRACT":              {fmt.Sprint(ka.ID, "/", flag.ID), fmt.Sprint(ka.ID, "/", extra.ID)},
			"EXPIRED_BUT_ACTIVE":            {fmt.Sprint(expired.ID)},
			"FULFILLED_NOT_INVOICED":        {fmt.Sprint(o2.ID)},
		}
		// The oracle agrees with the cases above ...
		got := map[string][]string{}
		for _, r := range d.Discrepancies(nil, now, 30) {
			id := map[string]string{"FULFILLED_WITHOUT_ENTITLEMENT": fmt.Sprint(r.Line), "EXCEEDS_CONTRACT": fmt.Sprint(r.Contract, "/", r.Product),
				"FULFILLED_NOT_INVOICED": fmt.Sprint(r.Order)}[r.Kind]
			if id == "" {
				id = fmt.Sprint(r.Entitlement)
			}
			got[r.Kind] = append(got[r.Kind], id)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("oracle:\n got %v\nwant %v", got, want)
		}
		// ... and the report with the oracle, whatever the page size.
		for _, first := range []int{1, 2, 3, 50} {
			checkDiscrepancies(t, ctx, svc, d, nil, now, nil, 30, first)
		}
		checkDiscrepancies(t, ctx, svc, d, nil, now, []string{"EXCEEDS_CONTRACT", "FULFILLED_NOT_INVOICED"}, 0, 1)
		checkDiscrepancies(t, ctx, svc, d, nil, now, []string{"EXPIRED_BUT_ACTIVE"}, 30, 0)

		// Details name numbers, never money.
		c, err := svc.EntitlementDiscrepancies(ctx, nil, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		var details []string
		for _, e := range c.Edges {
			s, _ := e.Node.Detail(ctx)
			details = append(details, s)
		}
		for _, w := range []string{"Usage 1001 is above the limit 1000.", "Usage 10 is above the limit 5.", "No contract grants the entitlement.",
			"Contract " + terminated.Number + " is TERMINATED.", "Contract " + ended.Number + " ended on 2026-06-01.",
			"total 2; the contract grants 1.", "total 3; the contract grants 0.", "window ended on 2026-06-01", "Order " + o2.Number + " was fulfilled on 2026-05-02, 30 days ago"} {
			if !strings.Contains(strings.Join(details, "\n"), w) {
				t.Errorf("no detail says %q:\n%s", w, strings.Join(details, "\n"))
			}
		}

		// Arguments.
		for _, a := range []int{-1, 3661} {
			_, err := svc.EntitlementDiscrepancies(ctx, nil, &a, nil, nil)
			accWantBadInput(t, err)
		}
		for _, a := range []int{-1, 101} {
			_, err := svc.EntitlementDiscrepancies(ctx, nil, nil, &a, nil)
			accWantBadInput(t, err)
		}
		for _, cur := range []*reports.Cursor{{ID: 1, Value: "RENEWAL"}, {ID: 1, Value: 3}, {ID: 1, Value: "EXCEEDS_CONTRACT/x"}} {
			_, err := svc.EntitlementDiscrepancies(ctx, nil, nil, nil, cur)
			accWantBadInput(t, err)
		}
	})
}
