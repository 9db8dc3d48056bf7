package seed

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/orderline"
	"github.com/opsgraph/opsgraph/internal/audit"
	"github.com/opsgraph/opsgraph/internal/entitlements"
	"github.com/opsgraph/opsgraph/internal/masterdata"
	"github.com/opsgraph/opsgraph/internal/orders"
	"github.com/opsgraph/opsgraph/internal/requests"
	"github.com/opsgraph/opsgraph/internal/scoring"
	"github.com/opsgraph/opsgraph/internal/usererr"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// The replay: Demo turns the plan into the business actions that would have
// produced it and runs them through the domain services, in time order,
// each at its planned instant on a clock the seed drives — so order
// timelines, SLA histories, health score histories and the audit trail read
// as if it all had happened, and the data obeys the rules because the
// services enforced them. A plan that breaks a rule makes Demo fail with
// the service's userErrors.
//
// Everything runs in one transaction (every service joins the transaction
// in its context, see internal/txn), so a failed seed leaves nothing
// behind.

// step is one action at one instant; seq orders the steps of one instant
// (the order in which they were planned).
type step struct {
	at    time.Time
	seq   int
	actor string
	what  string
	do    func(ctx context.Context) error
}

type replayer struct {
	g    *generator
	c    *chunk
	tx   *ent.Tx
	base context.Context
	// clock is the instant of the step being run: every service reads it.
	clock time.Time

	md      *masterdata.Service
	ord     *orders.Service
	ents    *entitlements.Service
	sweeper *entitlements.Sweeper
	health  *scoring.Service
	queue   *requests.Service

	// Database ids by generator index.
	userIDs, productIDs, accountIDs, contractIDs, itemIDs, orderIDs, entIDs, requestIDs []int

	steps []step
	// calls counts the actions run, for the log.
	calls int
}

// clockKey carries the seed's clock to the timestamp hook.
type clockKey struct{}

// clock is what the timestamp hook reads: the current instant and whether
// only audit events take it (legacy rows carry their own times).
type clock struct {
	now       func() time.Time
	auditOnly bool
}

// timestampHook stamps rows written under a seed clock (created_at,
// updated_at, and an audit event's at) with the clock's instant instead of
// the wall clock: the schema's defaults are time.Now. Writes made without a
// seed clock in their context pass through untouched.
func timestampHook() ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			c, ok := ctx.Value(clockKey{}).(clock)
			if !ok || !m.Op().Is(ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne) {
				return next.Mutate(ctx, m)
			}
			audited := m.Type() == "AuditEvent"
			if c.auditOnly && !audited {
				return next.Mutate(ctx, m)
			}
			t := c.now()
			if m.Op().Is(ent.OpCreate) {
				_ = m.SetField("created_at", t) // every entity has both stamps
				if audited {
					_ = m.SetField("at", t)
				}
			}
			_ = m.SetField("updated_at", t)
			return next.Mutate(ctx, m)
		})
	}
}

func newReplayer(ctx context.Context, g *generator, c *chunk, client *ent.Client, tx *ent.Tx) *replayer {
	r := &replayer{g: g, c: c, tx: tx}
	now := func() time.Time { return r.clock }
	r.base = context.WithValue(ent.NewTxContext(ctx, tx), clockKey{}, clock{now: now})
	r.md = masterdata.New(client, now)
	r.ord = orders.New(client, now)
	r.ents = entitlements.New(client, now)
	// The sweep's instance lock (PostgreSQL) is for servers sweeping at
	// once; the seed's transaction is the only writer of the database it
	// found empty, so the sweeper runs without it.
	r.sweeper = entitlements.NewSweeper(client, "", now)
	r.health = scoring.New(client, now, HealthModel())
	r.queue = requests.New(client, now, SLAPolicy())
	return r
}

func (r *replayer) add(at time.Time, actor, what string, do func(ctx context.Context) error) {
	r.steps = append(r.steps, step{at: at, seq: len(r.steps), actor: actor, what: what, do: do})
}

// ok turns an action's outcome into the step's error: a failure of a rule
// means the plan is wrong.
func ok(what string, l usererr.List, err error) error {
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", what, err)
	case !l.Empty():
		return fmt.Errorf("%s: refused: %s", what, l.Error())
	}
	return nil
}

// run runs the steps in time order.
func (r *replayer) run(logf func(string, ...any)) error {
	slices.SortStableFunc(r.steps, func(a, b step) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	for i, s := range r.steps {
		if err := r.base.Err(); err != nil {
			return err
		}
		r.clock = s.at
		// The step's audit events are written together when it ends (one
		// INSERT instead of one per row it changed), at the step's instant.
		err := audit.Batched(viewer.System(r.base, s.actor), s.do)
		if err != nil {
			return fmt.Errorf("seed: step %d (%s at %s by %s): %w", i, s.what, s.at.Format(time.RFC3339), s.actor, err)
		}
		r.calls++
		if (i+1)%5000 == 0 {
			logf("seed demo: %d/%d actions", i+1, len(r.steps))
		}
	}
	return nil
}

// plan turns the generated data into steps.
func (r *replayer) plan() {
	g, c := r.g, r.c
	r.userIDs = make([]int, len(g.users))
	r.productIDs = make([]int, len(catalog))
	r.accountIDs = make([]int, len(c.accounts))
	r.contractIDs = make([]int, len(c.contracts))
	r.itemIDs = make([]int, len(c.items))
	r.orderIDs = make([]int, len(c.orders))
	r.entIDs = make([]int, len(c.ents))
	r.requestIDs = make([]int, len(c.requests))
	admin := g.email(0)

	for i := range g.users {
		r.planUser(i, admin)
	}
	for i := range catalog {
		r.planProduct(i, admin)
	}
	for ai := range c.accounts {
		r.planAccount(ai)
	}
	for ci := range c.contracts {
		r.planContract(ci)
	}
	for oi := range c.orders {
		if c.orders[oi].legacy {
			r.planLegacyOrder(oi)
		} else {
			r.planOrder(oi)
		}
	}
	first := g.now
	for ei := range c.ents {
		if c.ents[ei].trial {
			r.planTrial(ei)
		} else {
			r.planEntitlement(ei)
		}
		first = minTime(first, c.ents[ei].from)
	}
	for _, at := range g.sweeps {
		if at.After(first) {
			r.add(at, "system:sweep", "entitlement sweep", func(ctx context.Context) error {
				_, err := r.sweeper.Sweep(ctx)
				return err
			})
		}
	}
	r.planHealth()
	for qi := range c.requests {
		r.planRequest(qi)
	}
}

// ---- master data ----

func (r *replayer) planUser(i int, admin string) {
	g := r.g
	u := &g.users[i]
	actor := admin
	if i == 0 {
		actor = SystemActor
	}
	r.add(u.created, actor, "userCreate "+u.email, func(ctx context.Context) error {
		in := ent.CreateUserInput{Email: u.email, Name: u.name, Roles: u.roles, Team: &u.team}
		if u.region != "" {
			in.Region = &u.region
		}
		x, l, err := r.md.CreateUser(ctx, in, nil)
		if err := ok("userCreate", l, err); err != nil {
			return err
		}
		r.userIDs[i] = x.ID
		return nil
	})
	if u.inactive {
		r.add(g.formerLeft, admin, "userUpdate (left) "+u.email, func(ctx context.Context) error {
			_, l, err := r.md.UpdateUser(ctx, r.userIDs[i], ent.UpdateUserInput{Active: ptr(false)})
			return ok("userUpdate", l, err)
		})
	}
}

func (r *replayer) planProduct(i int, admin string) {
	p := &catalog[i]
	r.add(r.g.catalogAt.Add(time.Duration(i)*time.Minute), admin, "productCreate "+p.sku, func(ctx context.Context) error {
		x, l, err := r.md.CreateProduct(ctx, ent.CreateProductInput{
			Sku: p.sku, Name: p.name, FeatureKey: p.featureKey, EntitlementKind: p.kind,
			Unit: opt(p.unit), Tiers: p.tiers,
		}, nil)
		if err := ok("productCreate", l, err); err != nil {
			return err
		}
		r.productIDs[i] = x.ID
		return nil
	})
	if !p.active {
		r.add(r.g.retiredAt, admin, "productUpdate (retired) "+p.sku, func(ctx context.Context) error {
			_, l, err := r.md.UpdateProduct(ctx, r.productIDs[i], ent.UpdateProductInput{Active: ptr(false)})
			return ok("productUpdate", l, err)
		})
	}
}

// ref returns the id of index i in ids, or nil for none.
func ref(ids []int, i int) *int {
	if i == none {
		return nil
	}
	return &ids[i]
}

// opt returns nil for the empty string, so that missing values are NULL.
func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (r *replayer) planAccount(ai int) {
	g, a := r.g, &r.c.accounts[ai]
	r.add(a.created, crmActor, "accountCreate "+a.name, func(ctx context.Context) error {
		in := ent.CreateAccountInput{
			Name: a.name, Domain: opt(a.domain), Segment: a.segment, Region: a.region, Industry: opt(a.industry),
			ExternalCrmID: opt(a.crmID), BillingContactName: opt(a.billingName), BillingContactEmail: opt(a.billingMail),
		}
		if a.owner != none {
			in.OwnerID = &r.userIDs[a.owner]
		}
		if a.parent != none {
			in.ParentID = &r.accountIDs[a.parent]
		}
		x, l, err := r.md.CreateAccount(ctx, in, nil)
		if err := ok("accountCreate", l, err); err != nil {
			return err
		}
		r.accountIDs[ai] = x.ID
		return nil
	})
	if a.stageAt.After(a.created) {
		actor := g.email(1) // the CS Ops lead, unless the account has an active CSM
		if a.owner != none && a.owner != g.formerCSM {
			actor = g.email(a.owner)
		}
		r.add(a.stageAt, actor, "accountUpdate (stage) "+a.name, func(ctx context.Context) error {
			_, l, err := r.md.UpdateAccount(ctx, r.accountIDs[ai], ent.UpdateAccountInput{LifecycleStage: &a.stage})
			return ok("accountUpdate", l, err)
		})
	}
}

func (r *replayer) planContract(ci int) {
	g, c := r.g, r.c
	k := &c.contracts[ci]
	author := g.email(k.author)
	r.add(k.created, author, "contractCreate "+k.number, func(ctx context.Context) error {
		in := ent.CreateContractInput{
			Number: k.number, Status: ptr(contract.StatusDRAFT), StartDate: k.start, EndDate: k.end,
			RenewalDate: k.renewal, ArrMinor: &k.arr0, Currency: &k.currency, AutoRenew: &k.autoRenew,
			AccountID: r.accountIDs[k.account],
		}
		if k.renewalOwner != none {
			in.RenewalOwnerID = &r.userIDs[k.renewalOwner]
		}
		x, l, err := r.md.CreateContract(ctx, in, nil)
		if err := ok("contractCreate", l, err); err != nil {
			return err
		}
		r.contractIDs[ci] = x.ID
		return nil
	})
	for _, ii := range k.items {
		it := &c.items[ii]
		r.add(k.created, author, "contractItemCreate "+k.number+" "+catalog[it.product].sku, func(ctx context.Context) error {
			x, l, err := r.md.CreateContractItem(ctx, ent.CreateContractItemInput{
				Quantity: it.qty0, Tier: opt(it.tier), UnitPriceMinor: &it.price,
				ContractID: r.contractIDs[ci], ProductID: r.productIDs[it.product],
			}, nil)
			if err := ok("contractItemCreate", l, err); err != nil {
				return err
			}
			r.itemIDs[ii] = x.ID
			return nil
		})
	}
	status := func(at time.Time, actor string, st contract.Status) {
		r.add(at, actor, fmt.Sprintf("contractUpdate (%s) %s", st, k.number), func(ctx context.Context) error {
			_, l, err := r.md.UpdateContract(ctx, r.contractIDs[ci], ent.UpdateContractInput{Status: &st})
			return ok("contractUpdate", l, err)
		})
	}
	if k.signed != nil {
		status(*k.signed, author, contract.StatusACTIVE)
	}
	if k.closed != nil {
		actor := lifecycleActor
		if k.status == contract.StatusTERMINATED {
			actor = g.email(g.finance)
		}
		status(*k.closed, actor, k.status)
	}
	// Item quantities lowered after fulfilment, the ARR with them.
	var lowered []int
	for _, ii := range k.items {
		if c.items[ii].lowered != nil {
			lowered = append(lowered, ii)
		}
	}
	slices.SortFunc(lowered, func(x, y int) int { return c.items[x].lowered.Compare(*c.items[y].lowered) })
	arr := k.arr0
	for _, ii := range lowered {
		it := &c.items[ii]
		arr += (it.qty - it.qty0) * it.price
		arrNow := arr
		r.add(*it.lowered, author, "contractItemUpdate (quantity) "+k.number, func(ctx context.Context) error {
			_, l, err := r.md.UpdateContractItem(ctx, r.itemIDs[ii], ent.UpdateContractItemInput{Quantity: &it.qty})
			if err := ok("contractItemUpdate", l, err); err != nil {
				return err
			}
			_, l, err = r.md.UpdateContract(ctx, r.contractIDs[ci], ent.UpdateContractInput{ArrMinor: &arrNow})
			return ok("contractUpdate (ARR)", l, err)
		})
	}
}

// ---- orders ----

func (r *replayer) planOrder(oi int) {
	g, c := r.g, r.c
	o := &c.orders[oi]
	r.add(o.times[0], o.actors[0], "orderCreate "+o.number, func(ctx context.Context) error {
		in := orders.CreateInput{AccountID: r.accountIDs[o.account], Number: &o.number}
		if o.contract != none {
			in.ContractID = &r.contractIDs[o.contract]
		}
		for _, li := range o.lines {
			l := &c.lines[li]
			ln := orders.LineInput{Action: l.action, ProductID: r.productIDs[l.product], Tier: opt(l.tier)}
			if l.qty != 0 {
				ln.Quantity = ptr(l.qty)
			}
			in.Lines = append(in.Lines, ln)
		}
		x, l, err := r.ord.Create(ctx, in, nil)
		if err := ok("orderCreate", l, err); err != nil {
			return err
		}
		r.orderIDs[oi] = x.ID
		return nil
	})
	for i := 1; i < len(o.path); i++ {
		to, from, note := o.path[i], o.path[i-1], o.notes[i]
		var what string
		var do func(ctx context.Context) (*ent.Order, usererr.List, error)
		id := func() int { return r.orderIDs[oi] }
		switch {
		case to == stS:
			what = "orderSubmit"
			do = func(ctx context.Context) (*ent.Order, usererr.List, error) {
				return r.ord.Submit(ctx, ptr(id()), nil, note, opt(o.idempotencyKey))
			}
		case to == stV:
			what = "orderValidate"
			do = func(ctx context.Context) (*ent.Order, usererr.List, error) {
				return r.ord.Validate(ctx, id(), false, note)
			}
		case to == stR && from == stS:
			what = "orderValidate (rejecting)"
			do = func(ctx context.Context) (*ent.Order, usererr.List, error) {
				x, _, err := r.ord.Validate(ctx, id(), true, note) // the failures are the point
				return x, nil, err
			}
		case to == stP:
			what = "orderStartProvisioning"
			do = func(ctx context.Context) (*ent.Order, usererr.List, error) {
				return r.ord.StartProvisioning(ctx, id(), note)
			}
		case to == stF:
			what = "orderFulfill"
			do = func(ctx context.Context) (*ent.Order, usererr.List, error) { return r.ord.Fulfill(ctx, id(), note) }
		case to == stR:
			what = "orderReject"
			do = func(ctx context.Context) (*ent.Order, usererr.List, error) {
				return r.ord.Reject(ctx, id(), o.reason, note)
			}
		default:
			what = "orderCancel"
			do = func(ctx context.Context) (*ent.Order, usererr.List, error) { return r.ord.Cancel(ctx, id(), note) }
		}
		r.add(o.times[i], o.actors[i], what+" "+o.number, func(ctx context.Context) error {
			x, l, err := do(ctx)
			if err := ok(what, l, err); err != nil {
				return err
			}
			if x == nil || x.Status != to {
				return fmt.Errorf("%s: the order is %v, the plan says %s", what, statusOf(x), to)
			}
			if to == stF {
				return r.fulfilled(ctx, oi)
			}
			return nil
		})
	}
	if o.invoiced != nil {
		r.add(*o.invoiced, g.email(g.finance), "orderMarkInvoiced "+o.number, func(ctx context.Context) error {
			_, l, err := r.ord.MarkInvoiced(ctx, r.orderIDs[oi], o.invoice)
			return ok("orderMarkInvoiced", l, err)
		})
	}
}

func statusOf(o *ent.Order) any {
	if o == nil {
		return "missing"
	}
	return o.Status
}

// fulfilled records the entitlements an order's ADD lines created.
func (r *replayer) fulfilled(ctx context.Context, oi int) error {
	c := r.c
	o := &c.orders[oi]
	tx := r.tx.Client()
	lines, err := tx.OrderLine.Query().Where(orderline.OrderID(r.orderIDs[oi])).Order(orderline.ByID()).IDs(ctx)
	if err != nil || len(lines) != len(o.lines) {
		return fmt.Errorf("reading the lines of %s: %d lines, %v", o.number, len(lines), err)
	}
	made, err := tx.Entitlement.Query().Where(entitlement.SourceOrderLineIDIn(lines...)).
		Select(entitlement.FieldID, entitlement.FieldSourceOrderLineID).All(ctx)
	if err != nil {
		return fmt.Errorf("reading the entitlements of %s: %w", o.number, err)
	}
	byLine := map[int]int{}
	for _, e := range made {
		byLine[*e.SourceOrderLineID] = e.ID
	}
	for i, li := range o.lines {
		l := &c.lines[li]
		if l.ent == none {
			continue
		}
		id, found := byLine[lines[i]]
		if !found {
			return fmt.Errorf("%s line %d made no entitlement", o.number, i+1)
		}
		r.entIDs[l.ent] = id
	}
	return nil
}

// ---- entitlements ----

func (r *replayer) planEntitlement(ei int) {
	g := r.g
	e := &r.c.ents[ei]
	id := func() int { return r.entIDs[ei] }
	if e.usageAt != nil {
		r.add(e.usageReported, meteringActor, "entitlementReportUsage", func(ctx context.Context) error {
			_, applied, l, err := r.ents.ReportUsage(ctx, id(), e.usage, *e.usageAt)
			if err := ok("entitlementReportUsage", l, err); err != nil {
				return err
			}
			if !applied {
				return fmt.Errorf("entitlementReportUsage: the report was not applied")
			}
			return nil
		})
	}
	if e.overrideLimit != nil {
		r.add(e.overrideAt, g.email(e.overrideBy), "entitlementOverride", func(ctx context.Context) error {
			_, l, err := r.ents.Override(ctx, id(), *e.overrideLimit, e.overrideReason, *e.overrideExpires)
			return ok("entitlementOverride", l, err)
		})
	}
	if e.suspended != nil {
		r.add(*e.suspended, g.email(e.suspendedBy), "entitlementSuspend", func(ctx context.Context) error {
			_, l, err := r.ents.Suspend(ctx, id())
			return ok("entitlementSuspend", l, err)
		})
	}
	if e.revoked != nil && e.revokedBy != none {
		r.add(*e.revoked, g.email(e.revokedBy), "entitlementRevoke", func(ctx context.Context) error {
			_, l, err := r.ents.Revoke(ctx, id())
			return ok("entitlementRevoke", l, err)
		})
	}
}

// ---- health ----

// planHealth plans the health pipeline's deliveries: at each, the signals
// observed since the last one, in batches of at most scoring.MaxBatch that
// keep an account's signals together (an account is scored once per
// delivery).
func (r *replayer) planHealth() {
	c := r.c
	for ri, at := range r.g.runs {
		var batch []int
		flush := func() {
			if len(batch) == 0 {
				return
			}
			b := batch
			r.add(at, healthActor, fmt.Sprintf("healthSignalsIngest (%d signals)", len(b)), func(ctx context.Context) error {
				in := make([]scoring.SignalInput, len(b))
				for i, si := range b {
					s := &c.signals[si]
					in[i] = scoring.SignalInput{AccountID: r.accountIDs[s.account], Kind: signalKinds[s.kind].kind,
						Value: s.value, ObservedAt: s.observed, Source: s.source}
				}
				res, l, err := r.health.Ingest(ctx, in)
				if err := ok("healthSignalsIngest", l, err); err != nil {
					return err
				}
				if res.Duplicates > 0 {
					return fmt.Errorf("healthSignalsIngest: %d duplicate signals", res.Duplicates)
				}
				return nil
			})
			batch = nil
		}
		for lo := 0; lo < len(c.signals); {
			hi := lo
			for hi < len(c.signals) && c.signals[hi].account == c.signals[lo].account {
				hi++
			}
			var acct []int
			for si := lo; si < hi; si++ {
				if c.signals[si].run == ri {
					acct = append(acct, si)
				}
			}
			if len(batch)+len(acct) > scoring.MaxBatch {
				flush()
			}
			batch = append(batch, acct...)
			lo = hi
		}
		flush()
	}
}

// ---- requests ----

func (r *replayer) planRequest(qi int) {
	g, c := r.g, r.c
	q := &c.requests[qi]
	r.add(q.created, g.email(q.requester), "requestCreate "+q.number, func(ctx context.Context) error {
		in := requests.CreateInput{
			Title: q.title, Description: opt(q.description), Category: &q.category, Priority: &q.priority,
			RequesterID: &r.userIDs[q.requester], Number: q.number,
		}
		if q.account != none {
			in.AccountID = &r.accountIDs[q.account]
		}
		if q.order != none {
			in.OrderID = &r.orderIDs[q.order]
		}
		x, l, err := r.queue.Create(ctx, in, nil)
		if err := ok("requestCreate", l, err); err != nil {
			return err
		}
		r.requestIDs[qi] = x.ID
		return nil
	})
	for _, a := range q.actions {
		r.add(a.at, g.email(a.actor), string(a.action)+" "+q.number, func(ctx context.Context) error {
			id := r.requestIDs[qi]
			var l usererr.List
			var err error
			note := opt(a.note)
			switch a.action {
			case requests.ActionTriage:
				_, l, err = r.queue.Triage(ctx, id, a.category, a.priority, note)
			case requests.ActionAssign:
				_, l, err = r.queue.Assign(ctx, id, r.userIDs[a.assignee], note)
			case requests.ActionRespond:
				_, l, err = r.queue.Respond(ctx, id, a.note)
			case requests.ActionSetStatus:
				_, l, err = r.queue.SetStatus(ctx, id, a.status, note)
			case requests.ActionResolve:
				_, l, err = r.queue.Resolve(ctx, id, a.note)
			case requests.ActionReopen:
				_, l, err = r.queue.Reopen(ctx, id, note)
			case requests.ActionClose:
				_, l, err = r.queue.Close(ctx, id, note)
			}
			return ok(string(a.action), l, err)
		})
	}
}

// ---- the legacy import (see legacy.go) ----

// legacyCtx is the context of a legacy write: audited as legacyImport by
// the import, with the record's own times (only the audit events take the
// clock's).
func (r *replayer) legacyCtx(ctx context.Context) context.Context {
	ctx = context.WithValue(ctx, clockKey{}, clock{now: func() time.Time { return r.clock }, auditOnly: true})
	return audit.WithAction(ctx, "legacyImport")
}

// planLegacyOrder imports a legacy order with its lines and its history when
// the legacy system last changed it.
func (r *replayer) planLegacyOrder(oi int) {
	c := r.c
	o := &c.orders[oi]
	r.add(o.updated(), legacyActor, "legacy order "+o.number, func(ctx context.Context) error {
		ctx = r.legacyCtx(ctx)
		tx := r.tx.Client()
		x, err := tx.Order.Create().
			SetNumber(o.number).SetAccountID(r.accountIDs[o.account]).SetContractID(r.contractIDs[o.contract]).
			SetStatus(o.status).SetNillableSubmittedAt(o.at(stS)).SetNillableValidatedAt(o.at(stV)).
			SetNillableProvisioningAt(o.at(stP)).SetNillableFulfilledAt(o.at(stF)).
			SetBillingStatus(o.billing).SetNillableInvoiceReference(opt(o.invoice)).
			SetCreatedAt(o.created()).SetUpdatedAt(o.updated()).Save(ctx)
		if err != nil {
			return fmt.Errorf("importing %s: %w", o.number, err)
		}
		r.orderIDs[oi] = x.ID
		var lines []*ent.OrderLineCreate
		for _, li := range o.lines {
			l := &c.lines[li]
			lines = append(lines, tx.OrderLine.Create().SetOrderID(x.ID).SetAction(l.action).SetProductID(r.productIDs[l.product]).
				SetQuantity(l.qty).SetNillableTier(opt(l.tier)).SetCreatedAt(o.created()).SetUpdatedAt(o.created()))
		}
		if err := tx.OrderLine.CreateBulk(lines...).Exec(ctx); err != nil {
			return fmt.Errorf("importing the lines of %s: %w", o.number, err)
		}
		var events []*ent.OrderEventCreate
		for i, st := range o.path {
			ev := tx.OrderEvent.Create().SetOrderID(x.ID).SetToStatus(st).SetActor(o.actors[i]).SetNote(o.notes[i]).
				SetAt(o.times[i]).SetCreatedAt(o.times[i]).SetUpdatedAt(o.times[i])
			if i > 0 {
				ev.SetFromStatus(o.path[i-1])
			}
			events = append(events, ev)
		}
		if err := tx.OrderEvent.CreateBulk(events...).Exec(ctx); err != nil {
			return fmt.Errorf("importing the history of %s: %w", o.number, err)
		}
		return nil
	})
}

// planTrial imports a trial when the legacy trial tool last changed it.
func (r *replayer) planTrial(ei int) {
	e := &r.c.ents[ei]
	r.add(e.imported(r.g.now), legacyActor, "legacy trial", func(ctx context.Context) error {
		ctx = r.legacyCtx(ctx)
		status := entitlement.StatusACTIVE
		if e.trialClosed {
			status = entitlement.StatusEXPIRED
		}
		x, err := r.tx.Client().Entitlement.Create().
			SetAccountID(r.accountIDs[e.account]).SetProductID(r.productIDs[e.product]).
			SetKind(e.kind).SetNillableLimit(e.limit).SetUsage(e.usage).SetNillableUsageUpdatedAt(e.usageAt).
			SetTier(e.tier).SetActiveFrom(e.from).SetNillableActiveTo(e.to).SetStatus(status).SetSoftLimit(e.soft).
			SetCreatedAt(e.created).SetUpdatedAt(e.imported(r.g.now)).Save(ctx)
		if err != nil {
			return fmt.Errorf("importing a trial: %w", err)
		}
		r.entIDs[ei] = x.ID
		return nil
	})
}

// imported is when the legacy trial tool last changed a trial: its latest
// usage report, or its expiry.
func (e *entRow) imported(now time.Time) time.Time {
	t := e.from
	if e.usageAt != nil {
		t = maxTime(t, *e.usageAt)
	}
	if e.trialClosed {
		t = maxTime(t, e.to.Add(time.Hour))
	}
	return minTime(t.Add(5*time.Minute), now)
}

// summarize counts what the replay wrote.
func (r *replayer) summarize(ctx context.Context, sum *Summary) error {
	tx := r.tx.Client()
	for _, c := range []struct {
		n     *int
		count func(context.Context) (int, error)
	}{
		{&sum.Users, tx.User.Query().Count}, {&sum.Accounts, tx.Account.Query().Count},
		{&sum.Products, tx.Product.Query().Count}, {&sum.Contracts, tx.Contract.Query().Count},
		{&sum.ContractItems, tx.ContractItem.Query().Count}, {&sum.Orders, tx.Order.Query().Count},
		{&sum.OrderLines, tx.OrderLine.Query().Count}, {&sum.OrderEvents, tx.OrderEvent.Query().Count},
		{&sum.Entitlements, tx.Entitlement.Query().Count}, {&sum.HealthSignals, tx.HealthSignal.Query().Count},
		{&sum.HealthScores, tx.HealthScore.Query().Count}, {&sum.Requests, tx.Request.Query().Count},
	} {
		n, err := c.count(ctx)
		if err != nil {
			return fmt.Errorf("seed: counting: %w", err)
		}
		*c.n = n
	}
	return nil
}
