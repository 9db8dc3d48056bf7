package seed

import (
	"math"
	"slices"
	"time"

	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/orderline"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
)

// entRow is an entitlement: made by the fulfilment of an ADD line (line),
// changed by later lines (src is the last), then used, overridden,
// suspended or revoked by the entitlement actions; or, for a trial, imported
// from the legacy trial tool.
type entRow struct {
	account, contract, product int // contract: none for a trial
	line, src                  int // none for a trial
	kind                       schematype.EntitlementKind
	limit                      *int64
	tier                       string
	from                       time.Time
	to                         *time.Time
	created                    time.Time
	changed                    time.Time // last change by an order line

	// Entitlement actions, each with who and when.
	suspended, revoked       *time.Time
	suspendedBy, revokedBy   int // user index; revokedBy none: an order line (REMOVE)
	usage                    int64
	usageAt                  *time.Time // observation time of the usage report
	usageReported            time.Time  // when it was reported
	overrideLimit            *int64
	overrideReason           string
	overrideExpires          *time.Time
	overrideAt               time.Time
	overrideBy               int
	trial, soft, trialClosed bool // trial: legacy import; trialClosed: imported EXPIRED
}

// statusAt is the entitlement's status at t as the services derive it: an
// ACTIVE one whose window has ended reads EXPIRED (whether or not a sweep
// stored that yet).
func (e *entRow) statusAt(t time.Time) entitlement.Status {
	switch {
	case e.revoked != nil && !t.Before(*e.revoked):
		return entitlement.StatusREVOKED
	case e.suspended != nil && !t.Before(*e.suspended):
		return entitlement.StatusSUSPENDED
	case e.trialClosed || e.to != nil && !e.to.After(t):
		return entitlement.StatusEXPIRED
	}
	return entitlement.StatusACTIVE
}

// stored is the status stored at the end of the run: what the actions set,
// and EXPIRED for an ACTIVE one whose window ended by the last sweep.
func (e *entRow) stored(lastSweep, now time.Time) entitlement.Status {
	switch {
	case e.trial && !e.trialClosed && e.imported(now).After(lastSweep):
		return entitlement.StatusACTIVE // imported after the last sweep
	case e.revoked != nil:
		return entitlement.StatusREVOKED
	case e.suspended != nil:
		return entitlement.StatusSUSPENDED
	case e.trialClosed || e.to != nil && !e.to.After(lastSweep):
		return entitlement.StatusEXPIRED
	}
	return entitlement.StatusACTIVE
}

// live mirrors the order service: ACTIVE or SUSPENDED now; renewable also
// admits EXPIRED.
func (e *entRow) live(t time.Time, renewable bool) bool {
	switch e.statusAt(t) {
	case entitlement.StatusACTIVE, entitlement.StatusSUSPENDED:
		return true
	case entitlement.StatusEXPIRED:
		return renewable
	}
	return false
}

// units is what the entitlement counts against the contracted quantity.
func (e *entRow) units() int64 {
	if e.kind == schematype.EntitlementKindBoolean || e.limit == nil {
		return 1
	}
	return *e.limit
}

// ---- the order rules, mirrored (internal/orders/validate.go) ----

// existing returns the entitlement a line for product under contract ci
// acts on at t, as the order service picks it (the account's live one,
// preferring one under the contract, else the latest), and the units the
// account holds under the contract.
func (c *chunk) existing(ai, ci, product int, renew bool, t time.Time) (int, int64) {
	ex, onContract := none, int64(0)
	for _, ei := range c.accounts[ai].ents {
		e := &c.ents[ei]
		if e.product != product || !e.live(t, renew) {
			continue
		}
		onC := e.contract == ci
		if onC && e.live(t, false) {
			onContract += e.units()
		}
		if ex == none || onC || c.ents[ex].contract != ci {
			ex = ei
		}
	}
	return ex, onContract
}

// holding returns the account's live entitlement to product at t, none if
// it has none.
func (c *chunk) holding(ai, product int, t time.Time) int {
	for _, ei := range c.accounts[ai].ents {
		if e := &c.ents[ei]; e.product == product && e.live(t, false) {
			return ei
		}
	}
	return none
}

// lineOK reports whether the order service accepts line l of an order of
// account ai under contract ci at t (internal/orders check).
func (c *chunk) lineOK(ai, ci int, l lineRow, t time.Time) bool {
	k := &c.contracts[ci]
	if !k.activeAt(t) || k.account != ai {
		return false
	}
	prod := &catalog[l.product]
	if l.product == legacyProduct && !t.Before(c.retiredAt) {
		return false
	}
	var contracted int64
	found := false
	for _, ii := range k.items {
		if it := &c.items[ii]; it.product == l.product {
			contracted += it.qtyAt(t)
			found = true
		}
	}
	if !found || l.tier != "" && !slices.Contains(prod.tiers, l.tier) {
		return false
	}
	ex, onContract := c.existing(ai, ci, l.product, l.action == orderline.ActionRENEW, t)
	switch l.action {
	case orderline.ActionADD:
		if ex != none && c.ents[ex].live(t, false) {
			return false
		}
		ex = none
	default:
		if ex == none {
			return false
		}
	}
	qty := l.qty
	if prod.kind == schematype.EntitlementKindBoolean && l.action != orderline.ActionREMOVE {
		qty = 1
	}
	switch {
	case l.action == orderline.ActionREMOVE:
		return true
	case l.action == orderline.ActionRENEW && qty == 0:
		return true
	case qty <= 0:
		return false
	}
	after := onContract + qty
	if ex != none && c.ents[ex].contract == ci && c.ents[ex].live(t, false) {
		after -= c.ents[ex].units()
	}
	return after <= contracted
}

// apply makes line li's change at its order's fulfilment at t (internal/orders
// apply).
func (c *chunk) apply(li int, t time.Time) {
	l := &c.lines[li]
	o := &c.orders[l.order]
	k := &c.contracts[o.contract]
	prod := &catalog[l.product]
	ex, _ := c.existing(o.account, o.contract, l.product, l.action == orderline.ActionRENEW, t)
	var limit *int64
	if prod.kind != schematype.EntitlementKindBoolean {
		limit = ptr(l.qty)
	}
	if l.action == orderline.ActionADD {
		ei := len(c.ents)
		c.ents = append(c.ents, entRow{
			account: o.account, contract: o.contract, product: l.product, line: li, src: li,
			kind: prod.kind, limit: limit, tier: l.tier, from: t, to: ptr(k.end), created: t, changed: t,
			suspendedBy: none, revokedBy: none, overrideBy: none,
		})
		a := &c.accounts[o.account]
		a.ents = append(a.ents, ei)
		l.ent = ei
		return
	}
	e := &c.ents[ex]
	e.src, e.changed = li, t
	switch l.action {
	case orderline.ActionCHANGE:
		if limit != nil {
			e.limit = limit
		}
		if l.tier != "" {
			e.tier = l.tier
		}
	case orderline.ActionREMOVE:
		e.revoked = ptr(t)
	case orderline.ActionRENEW:
		e.contract = o.contract
		if e.to != nil && k.end.After(*e.to) {
			e.to = ptr(k.end)
		}
		if l.qty > 0 && limit != nil {
			e.limit = limit
		}
		if l.tier != "" {
			e.tier = l.tier
		}
	}
}

// ---- after fulfilment ----

var overrideReasons = []string{
	"Temporary burst capacity for a data migration project.",
	"Goodwill after incident INC-2291.",
	"Pending contract amendment; approved by the account executive.",
	"Seasonal peak; approved by CS Ops.",
	"Proof of concept for an upsell.",
}

// span returns a random instant in [lo, hi), false when it is empty.
func (g *generator) span(lo, hi time.Time) (time.Time, bool) {
	if !lo.Before(hi) {
		return time.Time{}, false
	}
	return g.within(lo, hi), true
}

// entitlementLife plans what happens to the account's entitlements after
// the orders that made them: usage reports (some above the limit, some
// stale), overrides, suspensions and revocations, and a few contract items
// whose quantity is lowered below what is provisioned. All of it happens
// after the last order that asks for the product, so it changes nothing any
// order was judged on.
func (g *generator) entitlementLife(c *chunk, ai int) {
	a := &c.accounts[ai]
	touched := map[int]time.Time{}
	for _, oi := range a.orders {
		o := &c.orders[oi]
		for _, li := range o.lines {
			p := c.lines[li].product
			touched[p] = maxTime(touched[p], o.last())
		}
	}
	end := g.now.Add(-time.Hour)
	for _, ei := range a.ents {
		e := &c.ents[ei]
		k := &c.contracts[e.contract]
		lo := maxTime(e.from, touched[e.product]).Add(time.Hour)
		if e.revoked == nil {
			switch {
			case e.to.After(g.now) && k.activeAt(g.now):
				switch g.weighted(92, 5, 3) {
				case 1:
					if t, ok := g.span(lo, end); ok {
						e.suspended, e.suspendedBy = &t, pick(g, g.managers)
					}
				case 2:
					if t, ok := g.span(lo, end); ok {
						e.revoked, e.revokedBy = &t, pick(g, g.managers)
					}
				}
			case k.closed != nil && k.closed.Before(*e.to):
				// Terminated early: mostly cleaned up, some left ACTIVE (an
				// entitlement of a contract that is not ACTIVE).
				if g.chance(0.6) {
					if t, ok := g.span(maxTime(lo, *k.closed), minTime(end, maxTime(lo, *k.closed).Add(2*day))); ok {
						e.revoked, e.revokedBy = &t, pick(g, g.opsUsers)
					}
				}
			default:
				// The window ended with the contract: the sweep expires
				// most; some were revoked or suspended before.
				switch g.weighted(80, 15, 5) {
				case 1:
					if t, ok := g.span(maxTime(lo, e.to.Add(-2*day)), minTime(end, maxTime(lo, e.to.Add(-2*day)).Add(3*day))); ok {
						e.revoked, e.revokedBy = &t, pick(g, g.opsUsers)
					}
				case 2:
					if t, ok := g.span(lo, minTime(end, *e.to)); ok {
						e.suspended, e.suspendedBy = &t, pick(g, g.managers)
					}
				}
			}
		}
		if e.kind == schematype.EntitlementKindBoolean {
			continue
		}
		lim := *e.limit
		st := e.statusAt(g.now)
		live := st == entitlement.StatusACTIVE || st == entitlement.StatusSUSPENDED
		ratio := g.uniform(0.05, 0.97)
		if st == entitlement.StatusACTIVE && g.chance(0.08) {
			ratio = g.uniform(1.03, 1.6) // over the limit
		}
		stop := g.now
		switch {
		case e.revoked != nil:
			stop = *e.revoked
		case !live:
			stop = minTime(*e.to, g.now)
		}
		var at *time.Time
		switch {
		case live && g.chance(0.88):
			at = ptr(g.now.Add(-g.dur(2*time.Minute, 36*time.Hour)))
		case live && g.chance(0.6):
			at = ptr(g.now.Add(-g.dur(8*day, 40*day))) // stale usage report
		case !live && g.chance(0.9):
			at = ptr(stop.Add(-g.dur(0, 3*day)))
		}
		lag := g.dur(time.Minute, 30*time.Minute)
		if at != nil && !at.Before(e.from.Add(time.Minute)) {
			e.usage = int64(math.Round(float64(lim) * ratio))
			e.usageAt = ptr(at.Truncate(time.Second))
			e.usageReported = g.past(at.Add(lag)).Truncate(time.Second)
		}
		// Overrides: a temporary limit for a few ACTIVE ones.
		if st == entitlement.StatusACTIVE && g.chance(0.05) {
			expires := g.now.Add(g.days(-30, 90)).Truncate(time.Hour)
			from := maxTime(lo, expires.Add(-g.days(30, 120)))
			limit := niceRound(int64(float64(lim) * g.uniform(1.2, 2.0)))
			reason, by := pick(g, overrideReasons), pick(g, g.managers)
			if t, ok := g.span(from, minTime(minTime(end, expires.Add(-time.Hour)), *e.to)); ok {
				e.overrideLimit, e.overrideReason, e.overrideExpires = &limit, reason, &expires
				e.overrideAt, e.overrideBy = t, by
			}
		}
		// Quantities beyond the contract: the item's quantity lowered after
		// fulfilment (a downsell entered on the contract, not provisioned).
		if st == entitlement.StatusACTIVE && lim >= 2 && g.chance(0.04) {
			f := g.uniform(0.5, 0.9)
			for _, ii := range k.items {
				it := &c.items[ii]
				if it.product != e.product || it.lowered != nil {
					continue
				}
				if t, ok := g.span(lo, end); ok {
					it.qty = max(1, min(lim-1, niceRound(int64(float64(lim)*f))))
					it.lowered = &t
					k.arr += (it.qty - it.qty0) * it.price
					if k.changed == nil || t.After(*k.changed) {
						k.changed = &t
					}
				}
			}
		}
	}
}
