package orders

import (
	"context"
	"fmt"
	"slices"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/orderline"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/entitlements"
	"github.com/opsgraph/opsgraph/internal/idempotency"
	"github.com/opsgraph/opsgraph/internal/usererr"
)

// ReasonValidationFailed is the rejection reason of an order orderValidate
// rejects.
const ReasonValidationFailed = "VALIDATION_FAILED"

// step is what fulfilling one line will do.
type step struct {
	line *ent.OrderLine
	// contracted is the quantity of the product on the contract.
	contracted int64
	// item is the contract item of the product (its tier and quantity are
	// the defaults of an ADD).
	item *ent.ContractItem
	// existing is the account's entitlement the line changes, removes or
	// renews; nil for ADD.
	existing *ent.Entitlement
	// quantity is the limit the line asks for (0: keep, for RENEW).
	quantity int64
	// tier the line asks for ("" for RENEW/CHANGE: keep).
	tier string
}

// plan is an order checked against its contract and the catalog.
type plan struct {
	contract *ent.Contract
	steps    []step
}

// problems collects validation failures as recorded on the order.
type problems []schematype.OrderValidationError

func (p *problems) add(code usererr.Code, line int, format string, args ...any) {
	*p = append(*p, schematype.OrderValidationError{Code: string(code), Line: line, Message: fmt.Sprintf(format, args...)})
}

// userErrors returns the failures as userErrors on input.orderID, each
// message naming its line.
func (p problems) userErrors() usererr.List {
	var l usererr.List
	for _, e := range p {
		msg := e.Message
		if e.Line > 0 {
			msg = fmt.Sprintf("line %d: %s", e.Line, msg)
		}
		l.Add(usererr.Code(e.Code), msg, in("orderID")...)
	}
	return l
}

// live reports whether an entitlement still grants something now (ACTIVE or
// SUSPENDED, window not ended); renewable also admits EXPIRED ones.
func (s *Service) live(e *ent.Entitlement, renewable bool) bool {
	switch entitlements.Derive(e, s.now()).Status {
	case entitlement.StatusACTIVE, entitlement.StatusSUSPENDED:
		return true
	case entitlement.StatusEXPIRED:
		return renewable
	}
	return false
}

// units is what an entitlement counts against the contracted quantity: its
// limit, or 1 for a feature flag.
func units(e *ent.Entitlement) int64 {
	if e.Kind == schematype.EntitlementKindBoolean || e.Limit == nil {
		return 1
	}
	return *e.Limit
}

// check judges o against the rules: the contract is ACTIVE, in force and the
// account's; each product is active, on the contract and offers the tier;
// quantities are positive and, after the order, within the contracted
// quantity; CHANGE, REMOVE and RENEW find an entitlement to act on and ADD
// finds none. It reads the lines, products, contract items and the
// account's entitlements to those products in five statements.
func (s *Service) check(ctx context.Context, tx *ent.Client, o *ent.Order) (*plan, problems, error) {
	var p problems
	lines, err := tx.OrderLine.Query().Where(orderline.OrderID(o.ID)).WithProduct().Order(orderline.ByID()).All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("reading order lines: %w", err)
	}
	if len(lines) == 0 {
		p.add(usererr.OrderHasNoLines, 0, "the order has no lines")
	}
	if o.ContractID == nil {
		p.add(usererr.ContractRequired, 0, "the order names no contract")
		return nil, p, nil
	}
	c, err := tx.Contract.Query().Where(contract.ID(*o.ContractID)).WithItems().Only(ctx)
	if ent.IsNotFound(err) {
		p.add(usererr.ContractRequired, 0, "the order's contract no longer exists")
		return nil, p, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading contract: %w", err)
	}
	if c.AccountID != o.AccountID {
		p.add(usererr.ContractAccountMismatch, 0, "contract %s belongs to another account", c.Number)
	}
	if c.Status != contract.StatusACTIVE {
		p.add(usererr.ContractNotActive, 0, "contract %s is %s, not ACTIVE", c.Number, c.Status)
	} else if !c.EndDate.After(s.now()) {
		p.add(usererr.ContractNotActive, 0, "contract %s ended on %s", c.Number, c.EndDate.Format("2006-01-02"))
	}
	productIDs := make([]int, len(lines))
	for i, ln := range lines {
		productIDs[i] = ln.ProductID
	}
	ents, err := tx.Entitlement.Query().
		Where(entitlement.AccountID(o.AccountID), entitlement.ProductIDIn(productIDs...), entitlement.StatusNEQ(entitlement.StatusREVOKED)).
		Order(entitlement.ByActiveFrom(), entitlement.ByID()).All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("reading entitlements: %w", err)
	}
	pl := &plan{contract: c}
	for i, ln := range lines {
		n := i + 1
		prod := ln.Edges.Product
		st := step{line: ln, quantity: ln.Quantity, tier: ln.Tier}
		if !prod.Active {
			p.add(usererr.ProductInactive, n, "product %s is not active in the catalog", prod.Sku)
		}
		for _, it := range c.Edges.Items {
			if it.ProductID == ln.ProductID {
				st.contracted += it.Quantity
				if st.item == nil {
					st.item = it
				}
			}
		}
		if st.item == nil {
			p.add(usererr.ProductNotOnContract, n, "product %s is not on contract %s", prod.Sku, c.Number)
		}
		if st.tier != "" && !slices.Contains(prod.Tiers, st.tier) {
			p.add(usererr.TierNotOffered, n, "product %s does not offer tier %q", prod.Sku, st.tier)
		}
		// The entitlement the line acts on: the account's live one to the
		// product, preferring one under this contract, else the latest.
		onC := func(e *ent.Entitlement) bool { return e.ContractID != nil && *e.ContractID == c.ID }
		var onContract int64 // units the account holds under this contract now
		for _, e := range ents {
			if e.ProductID != ln.ProductID || !s.live(e, ln.Action == orderline.ActionRENEW) {
				continue
			}
			if onC(e) && s.live(e, false) {
				onContract += units(e)
			}
			if st.existing == nil || onC(e) || !onC(st.existing) {
				st.existing = e
			}
		}
		switch ln.Action {
		case orderline.ActionADD:
			if st.existing != nil && s.live(st.existing, false) {
				p.add(usererr.EntitlementMismatch, n, "the account already has an entitlement to %s; use CHANGE or RENEW", prod.Sku)
			}
			st.existing = nil
			if st.quantity == 0 && st.item != nil {
				st.quantity = st.item.Quantity
			}
			if st.tier == "" && st.item != nil {
				st.tier = st.item.Tier
			}
		default:
			if st.existing == nil {
				p.add(usererr.EntitlementMismatch, n, "the account has no entitlement to %s to %s", prod.Sku, map[orderline.Action]string{
					orderline.ActionCHANGE: "change", orderline.ActionREMOVE: "remove", orderline.ActionRENEW: "renew"}[ln.Action])
			}
		}
		if prod.EntitlementKind == schematype.EntitlementKindBoolean && ln.Action != orderline.ActionREMOVE {
			st.quantity = 1
		}
		switch {
		case ln.Action == orderline.ActionREMOVE:
		case ln.Action == orderline.ActionRENEW && st.quantity == 0:
		case st.quantity <= 0:
			p.add(usererr.QuantityNotPositive, n, "quantity must be above zero")
		default:
			after := onContract + st.quantity
			if st.existing != nil && onC(st.existing) && s.live(st.existing, false) {
				after -= units(st.existing)
			}
			if st.item != nil && after > st.contracted {
				p.add(usererr.QuantityExceedsContract, n, "after the order the account would hold %d of %s under contract %s, which grants %d", after, prod.Sku, c.Number, st.contracted)
			}
		}
		pl.steps = append(pl.steps, st)
	}
	return pl, p, nil
}

// validation is the outcome of orderValidate: the order, committed with its
// recorded failures, and those failures.
type validation struct {
	order    *ent.Order
	problems usererr.List
}

// Validate checks a SUBMITTED order against its contract and the catalog.
// When it passes the order becomes VALIDATED; when it fails the failures
// are recorded on the order and returned, and the order stays SUBMITTED or,
// with reject, becomes REJECTED (reason VALIDATION_FAILED). The recorded
// failures are committed either way.
func (s *Service) Validate(ctx context.Context, id int, reject bool, note string) (*ent.Order, usererr.List, error) {
	res, l, err := idempotency.Run(ctx, s.client, "orderValidate", func(ctx context.Context, tx *ent.Client) (validation, usererr.List, error) {
		var l usererr.List
		checkNote(&l, note, "note")
		if !l.Empty() {
			return validation{}, l, nil
		}
		o, l, err := lock(ctx, tx, id)
		if err != nil || !l.Empty() {
			return validation{}, l, err
		}
		if _, err := Next(o.Status, ActionValidate); err != nil {
			_, l, err := s.transition(ctx, tx, o, ActionValidate, note, nil) // reports the refusal
			return validation{}, l, err
		}
		_, found, err := s.check(ctx, tx, o)
		if err != nil {
			return validation{}, nil, err
		}
		var saved *ent.Order
		switch {
		case len(found) == 0:
			saved, l, err = s.transition(ctx, tx, o, ActionValidate, note, func(u *ent.OrderUpdateOne) { u.ClearValidationErrors() })
		case reject:
			if note == "" {
				note = "validation failed"
			}
			saved, l, err = s.transition(ctx, tx, o, ActionReject, note, func(u *ent.OrderUpdateOne) {
				u.SetValidationErrors(found).SetRejectionReason(ReasonValidationFailed).SetRejectionNote(note)
			})
		default:
			saved, err = tx.Order.UpdateOneID(o.ID).SetValidationErrors(found).Save(ctx)
		}
		if err != nil || !l.Empty() {
			return validation{}, l, err
		}
		return validation{order: saved.Unwrap(), problems: found.userErrors()}, nil, nil
	})
	if err != nil || !l.Empty() {
		return nil, l, err
	}
	return res.order, res.problems, nil
}

// Fulfill fulfils a PROVISIONING order: it checks the order again (the
// account's entitlements may have changed since validation) and, in the same
// transaction, applies each line to the account's entitlements — ADD
// creates an ACTIVE one from the contract item's quantity and tier, CHANGE
// sets the new limit and tier, REMOVE revokes, RENEW extends the window to
// the contract's end — linking each to its line. The order row is locked
// first, so of concurrent fulfilments one applies and the rest find the
// order FULFILLED (INVALID_TRANSITION).
func (s *Service) Fulfill(ctx context.Context, id int, note string) (*ent.Order, usererr.List, error) {
	return idempotency.Run(ctx, s.client, "orderFulfill", func(ctx context.Context, tx *ent.Client) (*ent.Order, usererr.List, error) {
		var l usererr.List
		checkNote(&l, note, "note")
		if !l.Empty() {
			return nil, l, nil
		}
		o, l, err := lock(ctx, tx, id)
		if err != nil || !l.Empty() {
			return nil, l, err
		}
		if _, err := Next(o.Status, ActionFulfill); err != nil {
			return s.transition(ctx, tx, o, ActionFulfill, note, nil) // reports the refusal
		}
		pl, found, err := s.check(ctx, tx, o)
		if err != nil {
			return nil, nil, err
		}
		if len(found) > 0 {
			return nil, found.userErrors(), nil
		}
		for _, st := range pl.steps {
			if err := s.apply(ctx, tx, o, pl.contract, st); err != nil {
				return nil, nil, err
			}
		}
		return s.transition(ctx, tx, o, ActionFulfill, note, nil)
	})
}

// apply makes one line's change to the account's entitlements.
func (s *Service) apply(ctx context.Context, tx *ent.Client, o *ent.Order, c *ent.Contract, st step) error {
	ln, prod := st.line, st.line.Edges.Product
	var limit *int64
	if prod.EntitlementKind != schematype.EntitlementKindBoolean {
		limit = &st.quantity
	}
	var err error
	switch ln.Action {
	case orderline.ActionADD:
		err = tx.Entitlement.Create().
			SetAccountID(o.AccountID).SetContractID(c.ID).SetProductID(prod.ID).SetSourceOrderLineID(ln.ID).
			SetKind(prod.EntitlementKind).SetNillableLimit(limit).SetTier(st.tier).
			SetActiveFrom(s.now()).SetActiveTo(c.EndDate).SetStatus(entitlement.StatusACTIVE).
			Exec(ctx)
	case orderline.ActionCHANGE:
		u := tx.Entitlement.UpdateOneID(st.existing.ID).SetSourceOrderLineID(ln.ID).SetNillableLimit(limit)
		if st.tier != "" {
			u.SetTier(st.tier)
		}
		err = u.Exec(ctx)
	case orderline.ActionREMOVE:
		err = tx.Entitlement.UpdateOneID(st.existing.ID).SetSourceOrderLineID(ln.ID).SetStatus(entitlement.StatusREVOKED).Exec(ctx)
	case orderline.ActionRENEW:
		e := st.existing
		u := tx.Entitlement.UpdateOneID(e.ID).SetSourceOrderLineID(ln.ID).SetContractID(c.ID)
		if e.ActiveTo != nil && c.EndDate.After(*e.ActiveTo) {
			u.SetActiveTo(c.EndDate)
		}
		if entitlements.Derive(e, s.now()).Status == entitlement.StatusEXPIRED {
			u.SetStatus(entitlement.StatusACTIVE)
		}
		if st.quantity > 0 && limit != nil {
			u.SetLimit(st.quantity)
		}
		if st.tier != "" {
			u.SetTier(st.tier)
		}
		err = u.Exec(ctx)
	}
	if err != nil {
		return fmt.Errorf("fulfilling line %d (%s %s): %w", ln.ID, ln.Action, prod.Sku, err)
	}
	return nil
}
