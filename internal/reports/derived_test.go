package reports_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/orderline"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
)

// TestEntitlementGapFollowsWrites checks that order_lines.entitlement_gap,
// which the database's triggers keep, equals the oracle's
// FULFILLED_WITHOUT_ENTITLEMENT lines after every kind of write that can
// change the rule's answer: lines inserted into fulfilled orders,
// entitlements created (one and in bulk), linked, moved, re-pointed and
// deleted, orders fulfilled, re-dated and moved to another account, lines
// changed.
func TestEntitlementGapFollowsWrites(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f, _ := newOrdFixture(t, db, now)
		ctx := f.ctx
		seats, api := f.product(schematype.EntitlementKindQuantity), f.product(schematype.EntitlementKindMetered)
		a, b := f.acc, f.account()
		day := func(n int) time.Time { return now.AddDate(0, 0, n) }
		fulfilled := func(acc *ent.Account, at time.Time) *ent.Order {
			return f.order(acc, schematype.OrderStatusFulfilled, func(q *ent.OrderCreate) { q.SetFulfilledAt(at) })
		}
		var (
			o1, o2, o3 *ent.Order
			l1, l2, l3 *ent.OrderLine
			e          *ent.Entitlement
		)
		steps := []struct {
			name  string
			write func()
		}{
			{"an ADD line of a fulfilled order, unlinked", func() {
				o1 = fulfilled(a, day(-30))
				l1 = f.line(o1, orderline.ActionADD, seats)
				f.line(o1, orderline.ActionREMOVE, seats) // never a gap
			}},
			{"an entitlement linked to it", func() {
				e = f.entitlement(a, seats, nil, nil, 0, func(q *ent.EntitlementCreate) { q.SetSourceOrderLine(l1) })
			}},
			{"a later RENEW line, unlinked", func() {
				o2 = fulfilled(a, day(-10))
				l2 = f.line(o2, orderline.ActionRENEW, seats)
			}},
			{"the link moved to the later line", func() { f.c.Entitlement.UpdateOne(e).SetSourceOrderLine(l2).ExecX(ctx) }},
			{"the earlier order re-dated after the later one", func() { f.c.Order.UpdateOne(o1).SetFulfilledAt(day(-5)).ExecX(ctx) }},
			{"a provisioning order's line", func() {
				o3 = f.order(a, schematype.OrderStatusProvisioning)
				l3 = f.line(o3, orderline.ActionADD, api)
			}},
			{"that order fulfilled", func() {
				f.c.Order.UpdateOne(o3).SetStatus(schematype.OrderStatusFulfilled).SetFulfilledAt(day(-1)).ExecX(ctx)
			}},
			{"entitlements created in bulk, one linked to it", func() {
				f.c.Entitlement.CreateBulk(
					f.c.Entitlement.Create().SetAccount(a).SetProduct(api).SetKind(api.EntitlementKind).SetActiveFrom(day(-1)).SetSourceOrderLine(l3),
					f.c.Entitlement.Create().SetAccount(b).SetProduct(api).SetKind(api.EntitlementKind).SetActiveFrom(day(-1)),
				).ExecX(ctx)
			}},
			{"the line's product changed", func() { f.c.OrderLine.UpdateOne(l3).SetProduct(seats).ExecX(ctx) }},
			{"the line's product changed back", func() { f.c.OrderLine.UpdateOne(l3).SetProduct(api).ExecX(ctx) }},
			{"the order moved to another account", func() { f.c.Order.UpdateOne(o3).SetAccount(b).ExecX(ctx) }},
			{"an entitlement moved to another account", func() {
				f.c.Entitlement.Update().Where(entitlement.SourceOrderLineID(l3.ID)).SetAccount(b).ExecX(ctx)
			}},
			{"the link cleared", func() { f.c.Entitlement.UpdateOne(e).ClearSourceOrderLine().ExecX(ctx) }},
			{"an entitlement deleted", func() {
				f.c.Entitlement.UpdateOne(e).SetSourceOrderLine(l2).ExecX(ctx)
				f.c.Entitlement.DeleteOne(e).ExecX(ctx)
			}},
		}
		for _, st := range steps {
			st.write()
			var want []int
			for _, r := range ordLoad(t, db).Discrepancies(nil, now, 30) {
				if r.Kind == "FULFILLED_WITHOUT_ENTITLEMENT" {
					want = append(want, r.Line)
				}
			}
			got := f.c.OrderLine.Query().Where(orderline.EntitlementGap(true)).IDsX(ctx)
			slices.Sort(got)
			slices.Sort(want)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("after %s: lines flagged %v, want %v", st.name, got, want)
			}
		}
	})
}

// TestEntitlementRuleColumnsFollowWrites checks the two columns the
// database keeps on entitlements for the discrepancy report's candidates
// against their definitions, recomputed here from the rows, after every
// kind of write that can change them.
func TestEntitlementRuleColumnsFollowWrites(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f, _ := newOrdFixture(t, db, now)
		ctx := f.ctx
		seats := f.product(schematype.EntitlementKindQuantity)
		k1 := f.contract(f.acc, contract.StatusACTIVE, now.AddDate(1, 0, 0))
		k2 := f.contract(f.acc, contract.StatusDRAFT, now.AddDate(2, 0, 0))
		n := func(v int64) *int64 { return &v }
		var e *ent.Entitlement
		steps := []struct {
			name  string
			write func()
		}{
			{"created under an ACTIVE contract, within its limit", func() { e = f.entitlement(f.acc, seats, k1, n(10), 5) }},
			{"usage above the limit", func() { f.c.Entitlement.UpdateOne(e).SetUsage(11).ExecX(ctx) }},
			{"an override above the usage", func() {
				f.c.Entitlement.UpdateOne(e).SetOverrideLimit(20).SetOverrideReason("test").SetOverrideExpiresAt(now.Add(time.Hour)).ExecX(ctx)
			}},
			{"the limit raised above the usage", func() { f.c.Entitlement.UpdateOne(e).SetLimit(30).ExecX(ctx) }},
			{"usage above the override only", func() { f.c.Entitlement.UpdateOne(e).SetUsage(25).ExecX(ctx) }},
			{"the override cleared", func() { f.c.Entitlement.UpdateOne(e).ClearOverrideLimit().ClearOverrideExpiresAt().ExecX(ctx) }},
			{"the contract terminated", func() { f.c.Contract.UpdateOne(k1).SetStatus(contract.StatusTERMINATED).ExecX(ctx) }},
			{"the contract active again, ending later", func() {
				f.c.Contract.UpdateOne(k1).SetStatus(contract.StatusACTIVE).SetEndDate(now.AddDate(3, 0, 0)).ExecX(ctx)
			}},
			{"the contract's end date moved", func() { f.c.Contract.UpdateOne(k1).SetEndDate(now.AddDate(0, 0, -1)).ExecX(ctx) }},
			{"moved to a DRAFT contract", func() { f.c.Entitlement.UpdateOne(e).SetContract(k2).ExecX(ctx) }},
			{"that contract activated", func() { f.c.Contract.UpdateOne(k2).SetStatus(contract.StatusACTIVE).ExecX(ctx) }},
			{"the contract cleared", func() { f.c.Entitlement.UpdateOne(e).ClearContract().ExecX(ctx) }},
			{"entitlements created in bulk, updated in bulk", func() {
				f.c.Entitlement.CreateBulk(
					f.c.Entitlement.Create().SetAccount(f.acc).SetProduct(seats).SetKind(seats.EntitlementKind).SetActiveFrom(now).SetContract(k1).SetLimit(1).SetUsage(2),
					f.c.Entitlement.Create().SetAccount(f.acc).SetProduct(seats).SetKind(seats.EntitlementKind).SetActiveFrom(now).SetContract(k2).SetLimit(3).SetUsage(2),
				).ExecX(ctx)
				f.c.Entitlement.Update().Where(entitlement.ContractIDNotNil()).SetUsage(4).ExecX(ctx)
			}},
		}
		for _, st := range steps {
			st.write()
			contracts := map[int]*ent.Contract{}
			for _, k := range f.c.Contract.Query().AllX(ctx) {
				contracts[k.ID] = k
			}
			for _, e := range f.c.Entitlement.Query().AllX(ctx) {
				over := e.Limit != nil && e.Usage > *e.Limit || e.OverrideLimit != nil && e.Usage > *e.OverrideLimit
				var until *time.Time
				if e.ContractID != nil && contracts[*e.ContractID].Status == contract.StatusACTIVE {
					until = &contracts[*e.ContractID].EndDate
				}
				if e.OverLimitCandidate != over {
					t.Errorf("after %s: entitlement %d over_limit_candidate %v, want %v", st.name, e.ID, e.OverLimitCandidate, over)
				}
				if (e.ContractInForceUntil == nil) != (until == nil) || until != nil && !e.ContractInForceUntil.Equal(*until) {
					t.Errorf("after %s: entitlement %d contract_in_force_until %v, want %v", st.name, e.ID, e.ContractInForceUntil, until)
				}
			}
		}
	})
}
