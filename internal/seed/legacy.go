package seed

import (
	"fmt"
	"time"

	"github.com/opsgraph/opsgraph/ent/order"
	"github.com/opsgraph/opsgraph/ent/orderline"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
)

// The legacy import: a few records no sequence of OpsGraph's actions can
// produce, because they were made by the systems OpsGraph replaced. The
// reports must find them all the same:
//
//   - trials: entitlements without a contract, provisioned by the legacy
//     trial tool (OpsGraph only provisions through orders under a
//     contract); some ended, and the legacy tool marked a few EXPIRED;
//   - legacy orders: orders fulfilled in the legacy order system whose
//     entitlements were never migrated (a FULFILLED order without
//     entitlements), with the billing status the legacy billing system
//     gave them (NOT_BILLABLE, which no OpsGraph action sets, among them).
//
// The replay writes them directly with ent, at the time the legacy system
// last changed them (replay.go, planTrial and planLegacyOrder), audited as
// "legacyImport" by system:legacy-import; Bulk writes them like everything
// else. They are a few per hundred accounts.

// legacy plans the account's legacy records.
func (g *generator) legacy(c *chunk, ai int) {
	a := &c.accounts[ai]
	used := map[int]bool{} // products the account has or ordered
	for _, ei := range a.ents {
		used[c.ents[ei].product] = true
	}
	for _, oi := range a.orders {
		for _, li := range c.orders[oi].lines {
			used[c.lines[li].product] = true
		}
	}
	// A trial, some already past their window but still ACTIVE.
	if g.chance(0.08) {
		p := []int{4, 3, 2}[g.intn(3)]
		prod := &catalog[p]
		from := g.now.Add(-g.days(1, 40)).Truncate(time.Hour)
		e := entRow{
			account: ai, contract: none, product: p, line: none, src: none, kind: prod.kind, tier: prod.tiers[0],
			from: from, to: ptr(from.Add(30 * day)), created: from, changed: from, soft: true, trial: true,
			suspendedBy: none, revokedBy: none, overrideBy: none,
		}
		e.trialClosed = e.to.Before(g.now) && g.chance(0.4)
		if prod.kind != schematype.EntitlementKindBoolean {
			lim := prod.qty[a.segIdx][0]
			e.limit = &lim
			e.usage = int64(float64(lim) * g.uniform(0.1, 1.3))
			e.usageAt = ptr(g.past(maxTime(from, minTime(*e.to, g.now).Add(-g.dur(0, 2*day)))).Truncate(time.Second))
			e.usageReported = *e.usageAt
		}
		// Only a product the account never ordered: the trial must not be
		// what an order of the account acts on.
		if !used[p] && a.created.Before(from) {
			a.ents = append(a.ents, len(c.ents))
			c.ents = append(c.ents, e)
		}
	}
	// An order fulfilled in the legacy order system, under a signed
	// contract, for products the account never got an entitlement to (the
	// first account that can have one has one, so that every dataset shows
	// it).
	if !g.chance(0.04) && g.legacyCover > 0 {
		return
	}
	billing := []order.BillingStatus{order.BillingStatusNOT_BILLABLE, order.BillingStatusINVOICED, order.BillingStatusNOT_BILLED}[g.weighted(35, 40, 25)]
	if g.legacyCover == 0 {
		billing = order.BillingStatusNOT_BILLABLE
	}
	t0off := g.f()
	var ci int = none
	for _, k := range c.accountContracts(ai) {
		if kk := &c.contracts[k]; kk.signed != nil && kk.end.After(kk.signed.Add(30*day)) {
			ci = k
			break
		}
	}
	if ci == none {
		return
	}
	k := &c.contracts[ci]
	var lines []lineRow
	for _, ii := range k.items {
		if it := &c.items[ii]; !used[it.product] && len(lines) < 2 {
			qty := it.qty0
			if catalog[it.product].kind == schematype.EntitlementKindBoolean {
				qty = 1
			}
			lines = append(lines, lineRow{action: orderline.ActionADD, product: it.product, qty: qty, tier: it.tier, item: ii, ent: none})
		}
	}
	hi := minTime(g.now, k.end)
	if k.closed != nil {
		hi = minTime(hi, *k.closed)
	}
	lo := k.signed.Add(time.Hour)
	if len(lines) == 0 || !lo.Before(hi.Add(-10*day)) {
		return
	}
	t0 := lo.Add(time.Duration(float64(hi.Add(-10*day).Sub(lo)) * t0off)).Truncate(time.Second)
	path := []schematype.OrderStatus{stD, stS, stV, stP, stF}
	times, ok := g.timeline(path, t0, hi)
	if !ok {
		return
	}
	g.legacyCover++
	oi := len(c.orders)
	o := orderRow{
		account: ai, contract: ci, number: fmt.Sprintf("LEG-%05d", g.legacyCover), status: stF,
		path: path, times: times, billing: billing, legacy: true,
	}
	for range path {
		o.actors = append(o.actors, legacyActor)
		o.notes = append(o.notes, "Imported from the legacy order system.")
	}
	if billing == order.BillingStatusINVOICED {
		g.nInvoice++
		inv := g.past(o.last().Add(g.days(1, 20))).Truncate(time.Second)
		o.invoiced = &inv
		o.invoice = fmt.Sprintf("INV-%d-%06d", inv.Year(), g.nInvoice)
	}
	for _, l := range lines {
		l.order = oi
		o.lines = append(o.lines, len(c.lines))
		c.lines = append(c.lines, l)
	}
	c.orders = append(c.orders, o)
	a.orders = append(a.orders, oi)
}
