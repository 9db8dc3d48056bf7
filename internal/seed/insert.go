package seed

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/contractitem"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/healthscore"
	"github.com/opsgraph/opsgraph/ent/healthsignal"
	"github.com/opsgraph/opsgraph/ent/order"
	"github.com/opsgraph/opsgraph/ent/orderevent"
	"github.com/opsgraph/opsgraph/ent/orderline"
	"github.com/opsgraph/opsgraph/ent/product"
	"github.com/opsgraph/opsgraph/ent/request"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/ent/user"
	"github.com/opsgraph/opsgraph/internal/requests"
	"github.com/opsgraph/opsgraph/internal/scoring"
	"github.com/opsgraph/opsgraph/internal/sla"
)

// The Bulk writer: the plan's end state with multi-row INSERTs (ent
// CreateBulk) in one transaction, mapping generator indexes to database
// ids. It writes what the replay of the same plan would leave (statuses,
// limits, stamps, order timelines, request histories, health scores and
// the accounts' latest score), without the history of each change.

// maxParams caps the bind parameters of one INSERT: SQLite's default limit
// (32766); PostgreSQL's is 65535.
const maxParams = 32766

type writer struct {
	tx           *ent.Tx
	g            *generator
	batch        int
	users        []int // ids by user index
	products     []int // ids by catalog index
	modelVersion int
	sum          *Summary
}

// perStatement returns how many rows of a table with the given columns go in
// one INSERT: BatchSize, lowered so the statement stays under maxParams.
func (w *writer) perStatement(columns []string) int {
	return max(1, min(w.batch, maxParams/len(columns)))
}

// inBatches calls save for consecutive ranges of at most per of n rows.
func inBatches(ctx context.Context, n, per int, save func(lo, hi int) error) error {
	for lo := 0; lo < n; lo += per {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := save(lo, min(n, lo+per)); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) writeUsers(ctx context.Context, users []userRow) error {
	w.users = make([]int, len(users))
	err := inBatches(ctx, len(users), w.perStatement(user.Columns), func(lo, hi int) error {
		bs := make([]*ent.UserCreate, 0, hi-lo)
		for _, u := range users[lo:hi] {
			updated := u.created
			if u.inactive {
				updated = w.g.formerLeft
			}
			b := w.tx.User.Create().
				SetEmail(u.email).SetName(u.name).SetRoles(u.roles).SetTeam(u.team).
				SetActive(!u.inactive).SetCreatedAt(u.created).SetUpdatedAt(updated)
			if u.region != "" {
				b.SetRegion(u.region)
			}
			bs = append(bs, b)
		}
		created, err := w.tx.User.CreateBulk(bs...).Save(ctx)
		for i, x := range created {
			w.users[lo+i] = x.ID
		}
		return err
	})
	w.sum.Users += len(users)
	return wrap("users", err)
}

func (w *writer) writeProducts(ctx context.Context) error {
	w.products = make([]int, len(catalog))
	err := inBatches(ctx, len(catalog), w.perStatement(product.Columns), func(lo, hi int) error {
		bs := make([]*ent.ProductCreate, 0, hi-lo)
		for i, p := range catalog[lo:hi] {
			at := w.g.catalogAt.Add(time.Duration(lo+i) * time.Minute)
			updated := at
			if !p.active {
				updated = w.g.retiredAt
			}
			bs = append(bs, w.tx.Product.Create().
				SetSku(p.sku).SetName(p.name).SetFeatureKey(p.featureKey).SetEntitlementKind(p.kind).
				SetNillableUnit(opt(p.unit)).SetTiers(p.tiers).SetActive(p.active).
				SetCreatedAt(at).SetUpdatedAt(updated))
		}
		created, err := w.tx.Product.CreateBulk(bs...).Save(ctx)
		for i, x := range created {
			w.products[lo+i] = x.ID
		}
		return err
	})
	w.sum.Products += len(catalog)
	return wrap("products", err)
}

// writeModel stores the health model version the scores are computed with,
// the way the scoring service does on first use.
func (w *writer) writeModel(ctx context.Context, client *ent.Client) error {
	at := w.g.runs[0]
	ctx = context.WithValue(ctx, clockKey{}, clock{now: func() time.Time { return at }})
	row, err := scoring.New(client, func() time.Time { return at }, HealthModel()).Model(ctx)
	if err != nil {
		return fmt.Errorf("seed: storing the health model: %w", err)
	}
	w.modelVersion = row.Version
	return nil
}

// writeChunk inserts a chunk, parents before children.
func (w *writer) writeChunk(ctx context.Context, c *chunk) error {
	tx, g := w.tx, w.g
	lastSweep := g.sweeps[len(g.sweeps)-1]

	// Accounts, one hierarchy level at a time so parent ids are known.
	accountIDs := make([]int, len(c.accounts))
	for depth := 0; depth <= 2; depth++ {
		var idx []int
		for i := range c.accounts {
			if c.accounts[i].depth == depth {
				idx = append(idx, i)
			}
		}
		err := inBatches(ctx, len(idx), w.perStatement(account.Columns), func(lo, hi int) error {
			bs := make([]*ent.AccountCreate, 0, hi-lo)
			for _, i := range idx[lo:hi] {
				a := &c.accounts[i]
				bs = append(bs, tx.Account.Create().
					SetName(a.name).SetNillableDomain(opt(a.domain)).SetSegment(a.segment).SetRegion(a.region).
					SetNillableIndustry(opt(a.industry)).SetLifecycleStage(a.stage).SetLifecycleStageChangedAt(a.stageAt).
					SetNillableOwnerID(ref(w.users, a.owner)).SetNillableParentID(ref(accountIDs, a.parent)).
					SetNillableExternalCrmID(opt(a.crmID)).
					SetNillableBillingContactName(opt(a.billingName)).SetNillableBillingContactEmail(opt(a.billingMail)).
					SetCreatedAt(a.created).SetUpdatedAt(a.stageAt))
			}
			created, err := tx.Account.CreateBulk(bs...).Save(ctx)
			for k, x := range created {
				accountIDs[idx[lo+k]] = x.ID
			}
			return err
		})
		if err != nil {
			return wrap("accounts", err)
		}
	}
	w.sum.Accounts += len(c.accounts)

	contractIDs := make([]int, len(c.contracts))
	err := inBatches(ctx, len(c.contracts), w.perStatement(contract.Columns), func(lo, hi int) error {
		bs := make([]*ent.ContractCreate, 0, hi-lo)
		for _, k := range c.contracts[lo:hi] {
			bs = append(bs, tx.Contract.Create().
				SetNumber(k.number).SetAccountID(accountIDs[k.account]).SetStatus(k.status).
				SetStartDate(k.start).SetEndDate(k.end).SetNillableRenewalDate(k.renewal).
				SetNillableRenewalOwnerID(ref(w.users, k.renewalOwner)).SetArrMinor(k.arr).
				SetCurrency(k.currency).SetAutoRenew(k.autoRenew).
				SetCreatedAt(k.created).SetUpdatedAt(k.updated()))
		}
		created, err := tx.Contract.CreateBulk(bs...).Save(ctx)
		for i, x := range created {
			contractIDs[lo+i] = x.ID
		}
		return err
	})
	if err != nil {
		return wrap("contracts", err)
	}
	w.sum.Contracts += len(c.contracts)

	err = inBatches(ctx, len(c.items), w.perStatement(contractitem.Columns), func(lo, hi int) error {
		bs := make([]*ent.ContractItemCreate, 0, hi-lo)
		for _, it := range c.items[lo:hi] {
			updated := it.created
			if it.lowered != nil {
				updated = *it.lowered
			}
			bs = append(bs, tx.ContractItem.Create().
				SetContractID(contractIDs[it.contract]).SetProductID(w.products[it.product]).
				SetQuantity(it.qty).SetNillableTier(opt(it.tier)).SetUnitPriceMinor(it.price).
				SetCreatedAt(it.created).SetUpdatedAt(updated))
		}
		return tx.ContractItem.CreateBulk(bs...).Exec(ctx)
	})
	if err != nil {
		return wrap("contract items", err)
	}
	w.sum.ContractItems += len(c.items)

	orderIDs := make([]int, len(c.orders))
	err = inBatches(ctx, len(c.orders), w.perStatement(order.Columns), func(lo, hi int) error {
		bs := make([]*ent.OrderCreate, 0, hi-lo)
		for _, o := range c.orders[lo:hi] {
			b := tx.Order.Create().
				SetNumber(o.number).SetAccountID(accountIDs[o.account]).SetNillableContractID(ref(contractIDs, o.contract)).
				SetStatus(o.status).SetNillableIdempotencyKey(opt(o.idempotencyKey)).
				SetNillableSubmittedAt(o.at(stS)).SetNillableValidatedAt(o.at(stV)).
				SetNillableProvisioningAt(o.at(stP)).SetNillableFulfilledAt(o.at(stF)).
				SetNillableRejectedAt(o.at(stR)).SetNillableCancelledAt(o.at(stC)).
				SetNillableRejectionReason(opt(o.reason)).SetNillableRejectionNote(opt(o.rejectionNote())).
				SetBillingStatus(o.billing).SetNillableInvoiceReference(opt(o.invoice)).
				SetCreatedAt(o.created()).SetUpdatedAt(o.updated())
			if o.expected != nil {
				b.SetValidationErrors(o.expected)
			}
			bs = append(bs, b)
		}
		created, err := tx.Order.CreateBulk(bs...).Save(ctx)
		for i, x := range created {
			orderIDs[lo+i] = x.ID
		}
		return err
	})
	if err != nil {
		return wrap("orders", err)
	}
	w.sum.Orders += len(c.orders)

	lineIDs := make([]int, len(c.lines))
	err = inBatches(ctx, len(c.lines), w.perStatement(orderline.Columns), func(lo, hi int) error {
		bs := make([]*ent.OrderLineCreate, 0, hi-lo)
		for _, l := range c.lines[lo:hi] {
			at := c.orders[l.order].created()
			bs = append(bs, tx.OrderLine.Create().
				SetOrderID(orderIDs[l.order]).SetAction(l.action).SetProductID(w.products[l.product]).
				SetQuantity(l.qty).SetNillableTier(opt(l.tier)).
				SetCreatedAt(at).SetUpdatedAt(at))
		}
		created, err := tx.OrderLine.CreateBulk(bs...).Save(ctx)
		for i, x := range created {
			lineIDs[lo+i] = x.ID
		}
		return err
	})
	if err != nil {
		return wrap("order lines", err)
	}
	w.sum.OrderLines += len(c.lines)

	type event struct {
		order int
		i     int
	}
	var events []event
	for oi := range c.orders {
		for i := range c.orders[oi].path {
			events = append(events, event{oi, i})
		}
	}
	err = inBatches(ctx, len(events), w.perStatement(orderevent.Columns), func(lo, hi int) error {
		bs := make([]*ent.OrderEventCreate, 0, hi-lo)
		for _, e := range events[lo:hi] {
			o := &c.orders[e.order]
			b := tx.OrderEvent.Create().
				SetOrderID(orderIDs[e.order]).SetToStatus(o.path[e.i]).
				SetActor(o.actors[e.i]).SetNillableNote(opt(o.notes[e.i])).SetAt(o.times[e.i]).
				SetCreatedAt(o.times[e.i]).SetUpdatedAt(o.times[e.i])
			if e.i == 0 {
				b.SetNote("created")
			} else {
				b.SetFromStatus(o.path[e.i-1])
			}
			bs = append(bs, b)
		}
		return tx.OrderEvent.CreateBulk(bs...).Exec(ctx)
	})
	if err != nil {
		return wrap("order events", err)
	}
	w.sum.OrderEvents += len(events)

	err = inBatches(ctx, len(c.ents), w.perStatement(entitlement.Columns), func(lo, hi int) error {
		bs := make([]*ent.EntitlementCreate, 0, hi-lo)
		for _, e := range c.ents[lo:hi] {
			status := e.stored(lastSweep, g.now)
			updated := e.changed
			for _, t := range []*time.Time{&e.usageReported, &e.overrideAt, e.suspended, e.revoked} {
				if t != nil && !t.IsZero() {
					updated = maxTime(updated, *t)
				}
			}
			b := tx.Entitlement.Create().
				SetAccountID(accountIDs[e.account]).SetNillableContractID(ref(contractIDs, e.contract)).
				SetProductID(w.products[e.product]).SetNillableSourceOrderLineID(ref(lineIDs, e.src)).
				SetKind(e.kind).SetNillableLimit(e.limit).SetUsage(e.usage).SetNillableUsageUpdatedAt(e.usageAt).
				SetTier(e.tier).SetActiveFrom(e.from).SetNillableActiveTo(e.to).
				SetStatus(status).SetSoftLimit(e.soft).
				SetCreatedAt(e.created).SetUpdatedAt(updated)
			if e.overrideLimit != nil && e.overrideExpires.After(lastSweep) {
				b.SetOverrideLimit(*e.overrideLimit).SetOverrideReason(e.overrideReason).SetOverrideExpiresAt(*e.overrideExpires)
			} else if e.overrideLimit != nil {
				b.SetOverrideReason(e.overrideReason) // the sweep clears the limit and expiry, not the reason
			}
			bs = append(bs, b)
		}
		return tx.Entitlement.CreateBulk(bs...).Exec(ctx)
	})
	if err != nil {
		return wrap("entitlements", err)
	}
	w.sum.Entitlements += len(c.ents)

	err = inBatches(ctx, len(c.signals), w.perStatement(healthsignal.Columns), func(lo, hi int) error {
		bs := make([]*ent.HealthSignalCreate, 0, hi-lo)
		for _, s := range c.signals[lo:hi] {
			in := g.runs[s.run]
			bs = append(bs, tx.HealthSignal.Create().
				SetAccountID(accountIDs[s.account]).SetKind(signalKinds[s.kind].kind).SetValue(s.value).
				SetObservedAt(s.observed).SetSource(s.source).SetIngestedAt(in).
				SetCreatedAt(in).SetUpdatedAt(in))
		}
		return tx.HealthSignal.CreateBulk(bs...).Exec(ctx)
	})
	if err != nil {
		return wrap("health signals", err)
	}
	w.sum.HealthSignals += len(c.signals)

	latest := map[int]*ent.HealthScore{} // account id → its latest score
	err = inBatches(ctx, len(c.scores), w.perStatement(healthscore.Columns), func(lo, hi int) error {
		bs := make([]*ent.HealthScoreCreate, 0, hi-lo)
		for _, s := range c.scores[lo:hi] {
			b := tx.HealthScore.Create().
				SetAccountID(accountIDs[s.account]).SetScore(s.score).SetBand(healthscore.Band(s.band)).
				SetCoverage(s.coverage).SetModelVersion(w.modelVersion).SetComponents(s.components).
				SetComputedAt(s.computed).SetCreatedAt(s.computed).SetUpdatedAt(s.computed)
			if p := s.previous; p != nil {
				b.SetPreviousScore(p.score).SetPreviousBand(healthscore.PreviousBand(p.band))
			}
			bs = append(bs, b)
		}
		created, err := tx.HealthScore.CreateBulk(bs...).Save(ctx)
		for _, x := range created {
			latest[x.AccountID] = x // scores are in time order per account
		}
		return err
	})
	if err != nil {
		return wrap("health scores", err)
	}
	w.sum.HealthScores += len(c.scores)
	if err := w.pointScores(ctx, latest); err != nil {
		return err
	}

	err = inBatches(ctx, len(c.requests), w.perStatement(request.Columns), func(lo, hi int) error {
		bs := make([]*ent.RequestCreate, 0, hi-lo)
		for i := range c.requests[lo:hi] {
			b, err := w.request(&c.requests[lo+i], accountIDs, orderIDs)
			if err != nil {
				return err
			}
			bs = append(bs, b)
		}
		return tx.Request.CreateBulk(bs...).Exec(ctx)
	})
	if err != nil {
		return wrap("requests", err)
	}
	w.sum.Requests += len(c.requests)
	return nil
}

// pointScores points accounts at their latest score, as the delivery that
// scored them did (and when: the accounts' updated_at), a few hundred
// accounts per UPDATE (health_score_id = CASE id WHEN … END).
func (w *writer) pointScores(ctx context.Context, latest map[int]*ent.HealthScore) error {
	for _, at := range w.g.runs {
		var ids []int
		for id, sc := range latest {
			if sc.ComputedAt.Equal(at) {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		ctx := context.WithValue(ctx, clockKey{}, clock{now: func() time.Time { return at }})
		err := inBatches(ctx, len(ids), 500, func(lo, hi int) error {
			part := ids[lo:hi]
			cases := entsql.ExprFunc(func(b *entsql.Builder) {
				b.WriteString("CASE ").Ident(account.FieldID)
				for _, id := range part {
					b.WriteString(" WHEN " + strconv.Itoa(id) + " THEN " + strconv.Itoa(latest[id].ID))
				}
				b.WriteString(" END")
			})
			return w.tx.Account.Update().Where(account.IDIn(part...)).
				Modify(func(u *entsql.UpdateBuilder) { u.Set(account.FieldHealthScoreID, cases) }).Exec(ctx)
		})
		if err != nil {
			return wrap("account health", err)
		}
	}
	return nil
}

// request builds the row the request service would leave after the
// request's actions: its history, status, priority, assignee, stamps and
// SLA due times as of its last action.
func (w *writer) request(r *requestRow, accountIDs, orderIDs []int) (*ent.RequestCreate, error) {
	g := w.g
	status, priority := request.StatusNEW, r.priority
	h := []schematype.RequestEvent{{At: r.created, Action: string(requests.ActionCreate), Actor: g.email(r.requester),
		ToStatus: string(status), Priority: string(priority)}}
	var assignee *int
	var first, resolved *time.Time
	var notes string
	for _, a := range r.actions {
		to, err := requests.Next(status, a.action, a.status)
		if err != nil {
			return nil, fmt.Errorf("request %s: %w", r.number, err)
		}
		switch a.action {
		case requests.ActionTriage:
			priority = a.priority
		case requests.ActionAssign:
			assignee = &w.users[a.assignee]
		case requests.ActionRespond:
			if first == nil {
				first = ptr(a.at)
			}
		case requests.ActionResolve:
			resolved, notes = ptr(a.at), a.note
		case requests.ActionReopen:
			resolved, notes = nil, ""
		}
		h = append(h, schematype.RequestEvent{At: a.at, Action: string(a.action), Actor: g.email(a.actor),
			FromStatus: string(status), ToStatus: string(to), Priority: string(priority), Note: a.note})
		status = to
	}
	last := h[len(h)-1].At
	st, err := requests.Evaluate(SLAPolicy(), &ent.Request{History: h}, last)
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", r.number, err)
	}
	return w.tx.Request.Create().
		SetNumber(r.number).SetTitle(r.title).SetNillableDescription(opt(r.description)).
		SetCategory(r.category).SetPriority(priority).SetStatus(status).
		SetRequesterID(w.users[r.requester]).SetNillableAssigneeID(assignee).
		SetNillableAccountID(ref(accountIDs, r.account)).SetNillableOrderID(ref(orderIDs, r.order)).
		SetNillableFirstResponseAt(first).SetNillableResolvedAt(resolved).SetNillableResolutionNotes(opt(notes)).
		SetNillableResponseDueAt(st.Response.DueAt).SetNillableResolutionDueAt(st.Resolution.DueAt).
		SetNillableResponseMet(met(st.Response)).SetNillableResolutionMet(met(st.Resolution)).
		SetResponseBreached(st.Response.State == sla.StateBreached).SetResolutionBreached(st.Resolution.State == sla.StateBreached).
		SetHistory(h).SetCreatedAt(r.created).SetUpdatedAt(last), nil
}

// met is whether a stopped clock met its target (nil while it runs), as
// the request service stores it.
func met(c sla.Clock) *bool {
	if c.StoppedAt == nil {
		return nil
	}
	return ptr(c.State == sla.StateMet)
}

func wrap(table string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("seed: inserting %s: %w", table, err)
}
