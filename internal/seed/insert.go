package seed

import (
	"context"
	"fmt"

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
	"github.com/opsgraph/opsgraph/ent/user"
)

// maxParams caps the bind parameters of one INSERT: SQLite's default limit
// (32766); PostgreSQL's is 65535.
const maxParams = 32766

// writer inserts generated rows with multi-row INSERTs (ent CreateBulk) in
// one transaction and maps generator indexes to database ids.
type writer struct {
	tx       *ent.Tx
	batch    int
	users    []int // ids by user index
	products []int // ids by catalog index
	sum      *Summary
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

func (w *writer) writeUsers(ctx context.Context, users []userRow) error {
	w.users = make([]int, len(users))
	err := inBatches(ctx, len(users), w.perStatement(user.Columns), func(lo, hi int) error {
		bs := make([]*ent.UserCreate, 0, hi-lo)
		for _, u := range users[lo:hi] {
			b := w.tx.User.Create().
				SetEmail(u.email).SetName(u.name).SetRoles(u.roles).SetTeam(u.team).
				SetActive(!u.inactive).SetCreatedAt(u.created).SetUpdatedAt(u.created)
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

func (w *writer) writeProducts(ctx context.Context, g *generator) error {
	w.products = make([]int, len(catalog))
	at := g.today.AddDate(-3, 0, 0)
	err := inBatches(ctx, len(catalog), w.perStatement(product.Columns), func(lo, hi int) error {
		bs := make([]*ent.ProductCreate, 0, hi-lo)
		for _, p := range catalog[lo:hi] {
			updated := at
			if !p.active {
				updated = g.today.AddDate(0, -8, 0) // retired
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

// writeChunk inserts a chunk, parents before children.
func (w *writer) writeChunk(ctx context.Context, c *chunk) error {
	tx := w.tx

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
					SetCreatedAt(a.created).SetUpdatedAt(a.updated))
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
				SetCreatedAt(k.created).SetUpdatedAt(k.updated))
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
			bs = append(bs, tx.ContractItem.Create().
				SetContractID(contractIDs[it.contract]).SetProductID(w.products[it.product]).
				SetQuantity(it.qty).SetNillableTier(opt(it.tier)).SetUnitPriceMinor(it.price).
				SetCreatedAt(it.created).SetUpdatedAt(it.created))
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
				SetNillableSubmittedAt(o.submitted).SetNillableValidatedAt(o.validated).
				SetNillableProvisioningAt(o.provisioning).SetNillableFulfilledAt(o.fulfilled).
				SetNillableRejectedAt(o.rejected).SetNillableCancelledAt(o.cancelled).
				SetNillableRejectionReason(opt(o.rejectionReason)).SetNillableRejectionNote(opt(o.rejectionNote)).
				SetBillingStatus(o.billing).SetNillableInvoiceReference(opt(o.invoice)).
				SetCreatedAt(o.created).SetUpdatedAt(o.updated)
			if o.validationErrors != nil {
				b.SetValidationErrors(o.validationErrors)
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
			bs = append(bs, tx.OrderLine.Create().
				SetOrderID(orderIDs[l.order]).SetAction(l.action).SetProductID(w.products[l.product]).
				SetQuantity(l.qty).SetNillableTier(opt(l.tier)).
				SetCreatedAt(l.created).SetUpdatedAt(l.created))
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

	err = inBatches(ctx, len(c.events), w.perStatement(orderevent.Columns), func(lo, hi int) error {
		bs := make([]*ent.OrderEventCreate, 0, hi-lo)
		for _, e := range c.events[lo:hi] {
			bs = append(bs, tx.OrderEvent.Create().
				SetOrderID(orderIDs[e.order]).SetNillableFromStatus(e.from).SetToStatus(e.to).
				SetActor(e.actor).SetNillableNote(opt(e.note)).SetAt(e.at).
				SetCreatedAt(e.at).SetUpdatedAt(e.at))
		}
		return tx.OrderEvent.CreateBulk(bs...).Exec(ctx)
	})
	if err != nil {
		return wrap("order events", err)
	}
	w.sum.OrderEvents += len(c.events)

	err = inBatches(ctx, len(c.ents), w.perStatement(entitlement.Columns), func(lo, hi int) error {
		bs := make([]*ent.EntitlementCreate, 0, hi-lo)
		for _, e := range c.ents[lo:hi] {
			bs = append(bs, tx.Entitlement.Create().
				SetAccountID(accountIDs[e.account]).SetNillableContractID(ref(contractIDs, e.contract)).
				SetProductID(w.products[e.product]).SetNillableSourceOrderLineID(ref(lineIDs, e.line)).
				SetKind(e.kind).SetNillableLimit(e.limit).SetUsage(e.usage).SetNillableUsageUpdatedAt(e.usageAt).
				SetNillableTier(opt(e.tier)).SetActiveFrom(e.from).SetNillableActiveTo(e.to).
				SetStatus(e.status).SetSoftLimit(e.soft).
				SetNillableOverrideLimit(e.overrideLimit).SetNillableOverrideReason(opt(e.overrideReason)).
				SetNillableOverrideExpiresAt(e.overrideExpires).
				SetCreatedAt(e.created).SetUpdatedAt(e.updated))
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
			bs = append(bs, tx.HealthSignal.Create().
				SetAccountID(accountIDs[s.account]).SetKind(signalKinds[s.kind].kind).SetValue(s.value).
				SetObservedAt(s.observed).SetSource(s.source).SetIngestedAt(s.ingested).
				SetCreatedAt(s.ingested).SetUpdatedAt(s.ingested))
		}
		return tx.HealthSignal.CreateBulk(bs...).Exec(ctx)
	})
	if err != nil {
		return wrap("health signals", err)
	}
	w.sum.HealthSignals += len(c.signals)

	err = inBatches(ctx, len(c.scores), w.perStatement(healthscore.Columns), func(lo, hi int) error {
		bs := make([]*ent.HealthScoreCreate, 0, hi-lo)
		for _, s := range c.scores[lo:hi] {
			bs = append(bs, tx.HealthScore.Create().
				SetAccountID(accountIDs[s.account]).SetScore(s.score).SetBand(healthscore.Band(s.band)).
				SetCoverage(s.coverage).SetModelVersion(ModelVersion).SetComponents(s.components).
				SetComputedAt(s.computed).SetCreatedAt(s.computed).SetUpdatedAt(s.computed))
		}
		return tx.HealthScore.CreateBulk(bs...).Exec(ctx)
	})
	if err != nil {
		return wrap("health scores", err)
	}
	w.sum.HealthScores += len(c.scores)

	err = inBatches(ctx, len(c.requests), w.perStatement(request.Columns), func(lo, hi int) error {
		bs := make([]*ent.RequestCreate, 0, hi-lo)
		for _, r := range c.requests[lo:hi] {
			bs = append(bs, tx.Request.Create().
				SetNumber(r.number).SetTitle(r.title).SetNillableDescription(opt(r.description)).
				SetCategory(request.Category(r.category)).SetPriority(request.Priority(r.priority)).
				SetStatus(request.Status(r.status)).
				SetRequesterID(w.users[r.requester]).SetNillableAssigneeID(ref(w.users, r.assignee)).
				SetNillableAccountID(ref(accountIDs, r.account)).SetNillableOrderID(ref(orderIDs, r.order)).
				SetNillableFirstResponseAt(r.firstResponse).
				SetNillableResponseDueAt(r.responseDue).SetNillableResolutionDueAt(r.resolutionDue).
				SetNillableResolvedAt(r.resolved).SetNillableResolutionNotes(opt(r.resolutionNotes)).
				SetCreatedAt(r.created).SetUpdatedAt(r.updated))
		}
		return tx.Request.CreateBulk(bs...).Exec(ctx)
	})
	if err != nil {
		return wrap("requests", err)
	}
	w.sum.Requests += len(c.requests)
	return nil
}

func wrap(table string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("seed: inserting %s: %w", table, err)
}
