package seed

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/order"
	"github.com/opsgraph/opsgraph/ent/orderline"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/orders"
	"github.com/opsgraph/opsgraph/internal/usererr"
)

const (
	stD = schematype.OrderStatusDraft
	stS = schematype.OrderStatusSubmitted
	stV = schematype.OrderStatusValidated
	stP = schematype.OrderStatusProvisioning
	stF = schematype.OrderStatusFulfilled
	stR = schematype.OrderStatusRejected
	stC = schematype.OrderStatusCancelled
)

type orderRow struct {
	account, contract int // contract: chunk index or none
	number            string
	status            schematype.OrderStatus // the last of path
	// path is the order's states from DRAFT, times when it reached them;
	// actors and notes those of the actions that moved it there.
	path   []schematype.OrderStatus
	times  []time.Time
	actors []string
	notes  []string
	// idempotencyKey is sent with the submission.
	idempotencyKey string
	// reason is the rejection reason of an order rejected after validation
	// (orderReject); an order rejected by validation gets
	// orders.ReasonValidationFailed and the errors validation finds (which
	// expected predicts for Bulk).
	reason   string
	expected []schematype.OrderValidationError
	billing  order.BillingStatus
	invoice  string
	invoiced *time.Time
	// legacy orders were fulfilled in the legacy order system and imported
	// as they were (see legacy.go).
	legacy bool
	lines  []int
}

// at returns when the order reached st, nil if it did not.
func (o *orderRow) at(st schematype.OrderStatus) *time.Time {
	for i, s := range o.path {
		if s == st && i > 0 {
			return &o.times[i]
		}
	}
	return nil
}

func (o *orderRow) created() time.Time { return o.times[0] }
func (o *orderRow) last() time.Time    { return o.times[len(o.times)-1] }

// updated is the order's last change (its last transition or its invoice).
func (o *orderRow) updated() time.Time {
	if o.invoiced != nil {
		return maxTime(o.last(), *o.invoiced)
	}
	return o.last()
}

// rejectedByValidation reports whether orderValidate rejected the order.
func (o *orderRow) rejectedByValidation() bool {
	return o.status == stR && o.path[len(o.path)-2] == stS
}

// rejectionNote is the note of the rejection, "" when not rejected.
func (o *orderRow) rejectionNote() string {
	if o.status != stR {
		return ""
	}
	return o.notes[len(o.notes)-1]
}

type lineRow struct {
	order   int
	action  orderline.Action
	product int
	qty     int64
	tier    string
	item    int // the contract item of the product, none when not on the contract
	ent     int // the entitlement the line's fulfilment created (ADD), else none
}

// ---- order plans ----

// intent is a product an order is planned to ask for, before the rules
// decide the line (see resolve).
type intent struct {
	// item is the contract item; for an order under no contract, none and
	// product the product.
	item, product int
	// u and v are draws that pick the action (u) and the new quantity (v)
	// of a change; tier picks a new tier for a feature flag.
	u, v float64
	tier int
}

// plan is an order before its lines are decided.
type plan struct {
	ci        int // contract or none
	provision bool
	path      []schematype.OrderStatus
	times     []time.Time
	intents   []intent
	// reject is the failure validation is to find in an order it rejects
	// (a usererr code); "" for others.
	reject string
	// forced is the status the order covers for the coverage of statuses.
	forced schematype.OrderStatus
	// draws made when planning, used when the order is kept.
	actors     []string
	notes      []string
	reason     string
	billing    int
	invoiceLag time.Duration
	keyed      bool
	key        uint64
}

func (p *plan) final() schematype.OrderStatus { return p.path[len(p.path)-1] }
func (p *plan) has(st schematype.OrderStatus) bool {
	return slices.Contains(p.path, st)
}
func (p *plan) at(st schematype.OrderStatus) time.Time {
	return p.times[slices.Index(p.path, st)]
}

var (
	cancelNotes = []string{
		"Customer postponed the change to next quarter.",
		"Duplicate of another order.",
		"Raised against the wrong contract; re-ordered.",
		"Customer decided not to proceed.",
		"Superseded by renewal quote.",
	}
	rejectAfterValidation = map[string]string{
		"CREDIT_HOLD":     "Account is on credit hold until overdue invoices are settled.",
		"DUPLICATE_ORDER": "Same change already requested in another order.",
	}
)

// pathTo draws a path from DRAFT to final.
func (g *generator) pathTo(final schematype.OrderStatus) []schematype.OrderStatus {
	switch final {
	case stD:
		return []schematype.OrderStatus{stD}
	case stS:
		return []schematype.OrderStatus{stD, stS}
	case stV:
		return []schematype.OrderStatus{stD, stS, stV}
	case stP:
		return []schematype.OrderStatus{stD, stS, stV, stP}
	case stF:
		return []schematype.OrderStatus{stD, stS, stV, stP, stF}
	case stR:
		return [][]schematype.OrderStatus{{stD, stS, stR}, {stD, stS, stV, stR}, {stD, stS, stV, stP, stR}}[g.weighted(60, 15, 25)]
	}
	return [][]schematype.OrderStatus{{stD, stC}, {stD, stS, stC}, {stD, stS, stV, stC}}[g.weighted(40, 35, 25)]
}

// timeline draws the times of path from t0 with realistic gaps, squeezed to
// end before hi; ok is false when there is no room.
func (g *generator) timeline(path []schematype.OrderStatus, t0, hi time.Time) ([]time.Time, bool) {
	times := make([]time.Time, len(path))
	times[0] = t0
	for i := 1; i < len(path); i++ {
		var gap time.Duration
		switch to := path[i]; {
		case to == stS:
			gap = g.dur(5*time.Minute, 3*day)
		case to == stV:
			gap = g.dur(30*time.Second, 2*time.Hour)
		case to == stP:
			gap = g.dur(10*time.Minute, day)
		case to == stF:
			gap = g.dur(15*time.Minute, 4*day)
		case to == stR && path[i-1] == stS:
			gap = g.dur(30*time.Second, 2*time.Hour)
		case to == stR:
			gap = g.dur(time.Hour, 3*day)
		default: // cancelled
			gap = g.dur(time.Hour, 10*day)
		}
		times[i] = times[i-1].Add(gap)
	}
	hi = hi.Add(-time.Minute)
	if !t0.Before(hi) {
		return nil, false
	}
	if last := times[len(times)-1]; last.After(hi) {
		f := float64(hi.Sub(t0)) / float64(last.Sub(t0))
		for i := range times {
			times[i] = t0.Add(time.Duration(float64(times[i].Sub(t0)) * f))
		}
	}
	for i := range times {
		times[i] = times[i].Truncate(time.Second)
	}
	return times, true
}

// draws makes a plan's random choices that do not depend on its lines.
func (g *generator) draws(p *plan, creator, ops string) {
	for i, st := range p.path {
		var actor, note string
		switch st {
		case stD, stS:
			actor = creator
		case stV:
			actor, note = validatorActor, "All lines match the contract and the catalog."
		case stP:
			actor = provisionActor
			if g.chance(0.4) {
				actor = ops
			}
			note = "Provisioning started."
		case stF:
			actor, note = provisionActor, "All lines provisioned."
		case stR:
			switch p.path[i-1] {
			case stS:
				actor, note = validatorActor, "Validation failed; see the validation errors."
			case stV:
				p.reason = []string{"CREDIT_HOLD", "DUPLICATE_ORDER"}[g.intn(2)]
				actor, note = ops, rejectAfterValidation[p.reason]
			default:
				p.reason = "PROVISIONING_FAILED"
				actor, note = provisionActor, "Provisioning failed: capacity not available in the region; re-order after expansion."
			}
		case stC:
			actor, note = creator, pick(g, cancelNotes)
		}
		p.actors = append(p.actors, actor)
		p.notes = append(p.notes, note)
	}
	// Billing of a fulfilled order: mostly invoiced within weeks, some not
	// yet (a reconciliation exception).
	p.billing = g.weighted(80, 20)
	p.invoiceLag = g.days(1, 20) + g.dur(time.Hour, 8*time.Hour)
	p.keyed = p.has(stS) && g.chance(0.08)
	p.key = g.rng.Uint64()
}

// rejectCodes are the failures an order rejected by validation is planned
// to have.
var rejectCodes = []usererr.Code{usererr.ProductNotOnContract, usererr.QuantityExceedsContract, usererr.ProductInactive}

// orders plans the account's orders — for signed contracts sometimes the
// order that provisioned them, and a few change orders in any state — and
// then decides their lines in time order against the entitlements the
// fulfilled ones produce.
func (g *generator) orders(c *chunk, ai int) {
	a := &c.accounts[ai]
	cis := c.accountContracts(ai)
	creator := a.owner
	if creator == none || creator == g.formerCSM {
		creator = pick(g, g.creators)
	}
	var plans []*plan
	for _, ci := range cis {
		k := &c.contracts[ci]
		if k.signed == nil || !g.chance(g.prof.provision) {
			continue
		}
		p := &plan{ci: ci, provision: true}
		for _, ii := range k.items {
			if c.items[ii].want {
				p.intents = append(p.intents, intent{item: ii})
			}
		}
		final := []schematype.OrderStatus{stF, stR, stC}[g.weighted(86, 7, 7)]
		p.path = g.pathTo(final)
		if final == stR && p.path[1] == stS && len(p.path) == 3 {
			p.reject = string(pick(g, rejectCodes))
		}
		t0 := maxTime(k.signed.Add(time.Hour), k.start.Add(-g.days(0, 4))).Add(g.dur(0, 8*time.Hour))
		hi := g.now
		if p.has(stV) {
			hi = minTime(hi, k.end)
			if k.closed != nil {
				hi = minTime(hi, *k.closed)
			}
		}
		var ok bool
		p.times, ok = g.timeline(p.path, t0.Truncate(time.Second), hi)
		g.draws(p, g.email(g.orderCreator(creator)), g.email(pick(g, g.opsUsers)))
		if ok && len(p.intents) > 0 {
			plans = append(plans, p)
		}
	}
	changes := []int{0, 1, 2, 3}[g.weighted(55, 30, 12, 3)]
	for range changes {
		if p := g.changeOrder(c, ai, cis, creator); p != nil {
			plans = append(plans, p)
		}
	}

	// Decide the lines in the order the orders were placed.
	slices.SortStableFunc(plans, func(x, y *plan) int { return x.times[0].Compare(y.times[0]) })
	sim := &simulation{c: c, ai: ai, g: g}
	for _, p := range plans {
		sim.place(p)
	}
	sim.flush(g.now.Add(time.Hour))
}

// orderCreator is who places an order: usually the account's CSM.
func (g *generator) orderCreator(owner int) int {
	if g.chance(0.3) {
		return pick(g, g.creators)
	}
	return owner
}

// changeOrder plans a change to what the account has, in any state.
func (g *generator) changeOrder(c *chunk, ai int, cis []int, creator int) *plan {
	var active []int // contracts orders can be validated under now
	for _, ci := range cis {
		if c.contracts[ci].activeAt(g.now) {
			active = append(active, ci)
		}
	}
	var final schematype.OrderStatus
	p := &plan{ci: none}
	if len(g.orderCover) > 0 && len(active) > 0 {
		final = g.orderCover[0]
		g.orderCover = g.orderCover[1:]
		p.forced = final
	} else {
		final = schematype.AllOrderStatuses[g.weighted(12, 12, 9, 12, 35, 10, 10)]
	}
	switch {
	case p.forced != "":
		p.ci = active[len(active)-1]
	case (final == stD || final == stC) && g.chance(0.2):
		// A new-business order not yet placed under a contract.
	case len(active) > 0 && g.chance(0.92):
		p.ci = active[len(active)-1]
		if len(active) > 1 && g.chance(0.3) {
			p.ci = pick(g, active)
		}
	case len(cis) > 0:
		p.ci = pick(g, cis)
	}
	valid := p.ci != none && c.contracts[p.ci].activeAt(g.now)
	if p.ci != none && !valid {
		// Orders under a contract that is no longer (or not yet) ACTIVE do
		// not get past validation.
		switch final {
		case stV, stP, stF, stR:
			final = stR
		}
	}
	if p.ci == none && final != stD && final != stC {
		final = stD
	}
	p.path = g.pathTo(final)
	switch {
	case p.ci != none && !valid && final == stR:
		p.path = []schematype.OrderStatus{stD, stS, stR}
		p.reject = string(usererr.ContractNotActive)
	case p.ci != none && !valid && final == stC:
		p.path = []schematype.OrderStatus{stD, stS, stC}
	case p.ci == none && final == stC:
		p.path = []schematype.OrderStatus{stD, stC}
	case final == stR && len(p.path) == 3:
		p.reject = string(pick(g, rejectCodes))
	}

	a := &c.accounts[ai]
	if p.ci == none {
		for range g.between(1, 2) {
			prod := g.intn(legacyProduct)
			if len(p.intents) == 0 || p.intents[0].product != prod {
				p.intents = append(p.intents, intent{item: none, product: prod, u: g.f()})
			}
		}
	} else {
		items := slices.Clone(c.contracts[p.ci].items)
		g.rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
		for _, ii := range items[:min(len(items), g.between(1, 3))] {
			p.intents = append(p.intents, intent{item: ii, u: g.f(), v: g.f(), tier: g.intn(3)})
		}
	}
	var t0 time.Time
	switch final {
	case stF, stR, stC:
		t0 = g.now.Add(-g.days(1, 300))
	case stP:
		// Some orders are stuck in provisioning.
		t0 = g.now.Add(-g.days(1, 8))
		if g.chance(0.2) {
			t0 = g.now.Add(-g.days(10, 30))
		}
	default:
		t0 = g.now.Add(-g.dur(time.Hour, 20*day))
	}
	t0 = t0.Add(g.dur(0, 8*time.Hour))
	hi := g.now
	if p.ci != none {
		k := &c.contracts[p.ci]
		switch {
		case valid:
			t0 = maxTime(t0, maxTime(*k.signed, k.start).Add(day))
		case p.reject == string(usererr.ContractNotActive):
			// Placed after the contract stopped being ACTIVE (or before it
			// was signed).
			t0 = maxTime(t0, k.inactiveSince(g.now).Add(time.Hour))
		default:
			t0 = maxTime(t0, k.created.Add(time.Hour))
		}
		if p.has(stV) {
			hi = minTime(hi, k.end)
		}
	} else {
		t0 = maxTime(t0, a.created.Add(day))
	}
	var ok bool
	p.times, ok = g.timeline(p.path, t0.Truncate(time.Second), hi)
	g.draws(p, g.email(g.orderCreator(creator)), g.email(pick(g, g.opsUsers)))
	if !ok {
		g.uncover(p)
		return nil
	}
	return p
}

// inactiveSince is when a contract not ACTIVE at now stopped (or has not
// yet started) being so.
func (k *contractRow) inactiveSince(now time.Time) time.Time {
	switch {
	case k.signed == nil:
		return k.created
	case k.closed != nil && !now.Before(*k.closed):
		return *k.closed
	}
	return k.end
}

// uncover gives back a forced status of a plan that was dropped.
func (g *generator) uncover(p *plan) {
	if p.forced != "" {
		g.orderCover = append([]schematype.OrderStatus{p.forced}, g.orderCover...)
	}
}

// ---- deciding lines ----

// simulation holds an account's entitlements while its orders are placed in
// time order: fulfilments are applied when the clock passes them.
type simulation struct {
	g  *generator
	c  *chunk
	ai int
	// pending are the fulfilments not yet applied, in time order.
	pending []int // order indexes
	// busy is, per product, until when an order that asks for it is in
	// flight: a product is on one in-flight order at a time, so that no
	// fulfilment changes what another order was checked against.
	busy map[int]time.Time
}

// flush applies the pending fulfilments up to t.
func (s *simulation) flush(t time.Time) {
	for len(s.pending) > 0 {
		o := &s.c.orders[s.pending[0]]
		ft := *o.at(stF)
		if ft.After(t) {
			return
		}
		s.pending = s.pending[1:]
		for _, li := range o.lines {
			s.c.apply(li, ft)
		}
	}
}

// place decides the lines of plan p and, when it has some, appends its
// order.
func (s *simulation) place(p *plan) {
	g, c := s.g, s.c
	t0 := p.times[0]
	s.flush(t0)
	if s.busy == nil {
		s.busy = map[int]time.Time{}
	}
	var lines []lineRow
	// checks are the instants the rules judge the order at.
	var checks []time.Time
	for _, st := range []schematype.OrderStatus{stV, stF} {
		if p.has(st) {
			checks = append(checks, p.at(st))
		}
	}
	add := func(l lineRow) bool {
		for _, x := range lines {
			if x.product == l.product {
				return false
			}
		}
		for _, t := range checks {
			if !c.lineOK(s.ai, p.ci, l, t) {
				return false
			}
		}
		lines = append(lines, l)
		return true
	}
	for _, in := range p.intents {
		if p.ci == none {
			// Not under a contract: a draft of new business, never checked.
			prod := &catalog[in.product]
			qty := int64(1)
			if prod.kind != schematype.EntitlementKindBoolean {
				r := prod.qty[c.accounts[s.ai].segIdx]
				qty = niceRound(r[0] + int64(float64(r[1]-r[0])*in.u))
			}
			lines = append(lines, lineRow{action: orderline.ActionADD, product: in.product, qty: qty, tier: prod.tiers[0], item: none, ent: none})
			continue
		}
		it := &c.items[in.item]
		if until, ok := s.busy[it.product]; ok && until.After(t0) {
			continue
		}
		l := c.decide(s.ai, p, in, t0)
		if p.reject == string(usererr.ContractNotActive) {
			lines = append(lines, l) // never judged line by line
			continue
		}
		add(l)
	}
	if len(lines) == 0 {
		g.uncover(p)
		return
	}
	if p.reject != "" && p.reject != string(usererr.ContractNotActive) {
		if !c.spoil(s.ai, p, &lines) {
			g.uncover(p)
			return
		}
	}
	end := p.times[len(p.times)-1]
	for _, l := range lines {
		s.busy[l.product] = end
	}

	oi := len(c.orders)
	g.nOrder++
	o := orderRow{
		account: s.ai, contract: p.ci, number: fmt.Sprintf("O-%06d", g.nOrder),
		status: p.final(), path: p.path, times: p.times, actors: p.actors, notes: p.notes,
		reason: p.reason, billing: order.BillingStatusNOT_BILLED,
	}
	if p.keyed {
		o.idempotencyKey = fmt.Sprintf("portal-%016x", p.key)
	}
	if o.rejectedByValidation() {
		o.reason = orders.ReasonValidationFailed
		o.expected = c.expect(p, lines)
	}
	if o.status == stF && p.billing == 0 {
		g.nInvoice++
		inv := g.past(o.last().Add(p.invoiceLag)).Truncate(time.Second)
		o.billing, o.invoiced = order.BillingStatusINVOICED, &inv
		o.invoice = fmt.Sprintf("INV-%d-%06d", inv.Year(), g.nInvoice)
	}
	for _, l := range lines {
		l.order = oi
		o.lines = append(o.lines, len(c.lines))
		c.lines = append(c.lines, l)
	}
	c.orders = append(c.orders, o)
	a := &c.accounts[s.ai]
	a.orders = append(a.orders, oi)
	if o.status == stF {
		s.pending = append(s.pending, oi)
		slices.SortStableFunc(s.pending, func(x, y int) int { return c.orders[x].at(stF).Compare(*c.orders[y].at(stF)) })
	}
}

// decide turns an intent into a line from the account's entitlements at t:
// a product the account has no entitlement to is added (a provisioning
// order renews one the account already has, moving it to the new
// contract); one it has is changed, removed or renewed.
func (c *chunk) decide(ai int, p *plan, in intent, t time.Time) lineRow {
	it := &c.items[in.item]
	prod := &catalog[it.product]
	l := lineRow{product: it.product, qty: it.qtyAt(t), item: in.item, ent: none}
	if prod.kind == schematype.EntitlementKindBoolean {
		l.qty = 1
	}
	e := c.holding(ai, it.product, t)
	switch {
	case e == none:
		l.action, l.tier = orderline.ActionADD, it.tier
	case p.provision:
		l.action = orderline.ActionRENEW
	case in.u < 0.15:
		l.action, l.qty = orderline.ActionREMOVE, 0
	case in.u < 0.35:
		l.action = orderline.ActionRENEW
	default:
		l.action = orderline.ActionCHANGE
		if prod.kind == schematype.EntitlementKindBoolean {
			l.tier = prod.tiers[in.tier%len(prod.tiers)]
		} else {
			l.qty = max(1, niceRound(int64(math.Round(float64(it.qtyAt(t))*(0.5+0.5*in.v)))))
		}
	}
	return l
}

// spoil adds to lines the failure a plan rejected by validation is to have;
// false when the order cannot have it.
func (c *chunk) spoil(ai int, p *plan, lines *[]lineRow) bool {
	k := &c.contracts[p.ci]
	tv := p.times[len(p.times)-1]
	on := map[int]bool{}
	for _, ii := range k.items {
		on[c.items[ii].product] = true
	}
	for _, l := range *lines {
		on[l.product] = true // one line per product
	}
	code := usererr.Code(p.reject)
	if code == usererr.ProductInactive && (tv.Before(c.retiredAt) || on[legacyProduct]) {
		code = usererr.ProductNotOnContract
	}
	if code == usererr.QuantityExceedsContract {
		for i, l := range *lines {
			if catalog[l.product].kind != schematype.EntitlementKindBoolean && l.action != orderline.ActionREMOVE && l.item != none {
				(*lines)[i].qty = max(l.qty, c.items[l.item].qtyAt(tv)) * 3
				p.reject = string(code)
				return true
			}
		}
		code = usererr.ProductNotOnContract
	}
	switch code {
	case usererr.ProductInactive:
		*lines = append(*lines, lineRow{action: orderline.ActionADD, product: legacyProduct, qty: 4, tier: "standard", item: none, ent: none})
	default:
		off := (ai*7 + len(*lines)*3) % legacyProduct
		for range legacyProduct {
			if !on[off] {
				break
			}
			off = (off + 1) % legacyProduct
		}
		if on[off] {
			return false
		}
		*lines = append(*lines, lineRow{action: orderline.ActionADD, product: off, qty: 1, tier: catalog[off].tiers[0], item: none, ent: none})
	}
	p.reject = string(code)
	return true
}

// expect is the failure validation finds in an order it rejects, as Bulk
// records it (the order service records every failure it finds).
func (c *chunk) expect(p *plan, lines []lineRow) []schematype.OrderValidationError {
	code := usererr.Code(p.reject)
	e := schematype.OrderValidationError{Code: p.reject}
	k := &c.contracts[p.ci]
	switch code {
	case usererr.ContractNotActive:
		e.Message = fmt.Sprintf("contract %s is %s, not ACTIVE", k.number, k.statusAt(p.times[len(p.times)-1]))
	default:
	find:
		for i, l := range lines {
			n := i + 1
			switch {
			case code == usererr.ProductInactive && l.product == legacyProduct:
				e.Line, e.Message = n, fmt.Sprintf("product %s is not active in the catalog", catalog[l.product].sku)
			case code == usererr.ProductNotOnContract && l.item == none:
				e.Line, e.Message = n, fmt.Sprintf("product %s is not on contract %s", catalog[l.product].sku, k.number)
			case code == usererr.QuantityExceedsContract && l.item != none && l.qty > c.items[l.item].qtyAt(p.times[len(p.times)-1]):
				e.Line, e.Message = n, fmt.Sprintf("the account would hold %d of %s under contract %s, which grants %d", l.qty, catalog[l.product].sku, k.number, c.items[l.item].qtyAt(p.times[len(p.times)-1]))
			default:
				continue
			}
			break find
		}
	}
	return []schematype.OrderValidationError{e}
}

// statusAt is the contract's status at t.
func (k *contractRow) statusAt(t time.Time) contract.Status {
	switch {
	case k.signed == nil || t.Before(*k.signed):
		return contract.StatusDRAFT
	case k.closed == nil || t.Before(*k.closed):
		return contract.StatusACTIVE
	}
	return k.status
}
