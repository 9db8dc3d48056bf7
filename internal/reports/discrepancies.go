package reports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/contractallocation"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/order"
	"github.com/opsgraph/opsgraph/ent/orderline"
	"github.com/opsgraph/opsgraph/ent/predicate"
	"github.com/opsgraph/opsgraph/ent/product"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/entitlements"
	"github.com/opsgraph/opsgraph/internal/rows"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// DefaultNotInvoicedAfterDays is the default age, in days, of a FULFILLED
// order not invoiced for it to count as FULFILLED_NOT_INVOICED.
const DefaultNotInvoicedAfterDays = 30

// DiscrepancyKind is what disagrees between entitlements, contracts, orders
// and billing.
type DiscrepancyKind string

// Discrepancy kinds, in report order.
const (
	DiscrepancyOverLimit                   DiscrepancyKind = "OVER_LIMIT"
	DiscrepancyNoActiveContract            DiscrepancyKind = "NO_ACTIVE_CONTRACT"
	DiscrepancyFulfilledWithoutEntitlement DiscrepancyKind = "FULFILLED_WITHOUT_ENTITLEMENT"
	DiscrepancyExceedsContract             DiscrepancyKind = "EXCEEDS_CONTRACT"
	DiscrepancyExpiredButActive            DiscrepancyKind = "EXPIRED_BUT_ACTIVE"
	DiscrepancyFulfilledNotInvoiced        DiscrepancyKind = "FULFILLED_NOT_INVOICED"
)

// AllDiscrepancyKinds lists the kinds in report order.
var AllDiscrepancyKinds = []DiscrepancyKind{
	DiscrepancyOverLimit, DiscrepancyNoActiveContract, DiscrepancyFulfilledWithoutEntitlement,
	DiscrepancyExceedsContract, DiscrepancyExpiredButActive, DiscrepancyFulfilledNotInvoiced,
}

// MarshalGQL implements graphql.Marshaler.
func (k DiscrepancyKind) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(k))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (k *DiscrepancyKind) UnmarshalGQL(v any) (err error) {
	*k, err = parseEnum(v, AllDiscrepancyKinds, "DiscrepancyKind")
	return err
}

// order is the kind's position in report order (-1 for no kind).
func (k DiscrepancyKind) order() int { return slices.Index(AllDiscrepancyKinds, k) }

// DiscrepancyConnection is a page of discrepancies, by kind (report order)
// then by the id of the record's main object: the entitlement, the order
// line, the order, or for EXCEEDS_CONTRACT the contract then the product.
type DiscrepancyConnection struct {
	Edges    []*DiscrepancyEdge `json:"edges"`
	PageInfo PageInfo           `json:"pageInfo"`

	s      *Service
	at     discrepancyClock
	kinds  []DiscrepancyKind
	counts lazy[map[DiscrepancyKind]int]
}

// discrepancyClock holds the instants the rules compare with.
type discrepancyClock struct {
	now time.Time
	// notInvoiced: FULFILLED_NOT_INVOICED counts orders fulfilled before it.
	notInvoiced time.Time
}

// DiscrepancyEdge is an edge of a DiscrepancyConnection.
type DiscrepancyEdge struct {
	Node   *Discrepancy `json:"node"`
	Cursor Cursor       `json:"cursor"`
}

// DiscrepancyCount is the number of discrepancies of one kind.
type DiscrepancyCount struct {
	Kind  DiscrepancyKind `json:"kind"`
	Count int             `json:"count"`
}

// Discrepancy is one record: a kind, the account concerned and the objects
// involved. The objects it only refers to by id are loaded for the whole
// page, once, when the first record asks.
type Discrepancy struct {
	Kind DiscrepancyKind `json:"kind"`

	detail      string
	accountID   int
	contractID  *int
	productID   int
	entitlement *ent.Entitlement
	order       *ent.Order
	line        *ent.OrderLine
	page        *discrepancyPage
}

// discrepancyPage loads what the records of one page refer to.
type discrepancyPage struct {
	client    *ent.Client
	nodes     []*Discrepancy
	accounts  lazy[map[int]*ent.Account]
	contracts lazy[map[int]*ent.Contract]
	products  lazy[map[int]*ent.Product]
	// The same and the page's entitlements, orders and lines, read with
	// the selection of a field that asks for their edges (see collect.go).
	askedAccounts     collected[*ent.Account]
	askedContracts    collected[*ent.Contract]
	askedEntitlements collected[*ent.Entitlement]
	askedOrders       collected[*ent.Order]
	askedLines        collected[*ent.OrderLine]
}

// ids returns the non-nil ids of the page's records.
func (p *discrepancyPage) ids(id func(*Discrepancy) *int) func() ([]int, error) {
	return func() ([]int, error) {
		var ids []int
		for _, n := range p.nodes {
			if v := id(n); v != nil {
				ids = append(ids, *v)
			}
		}
		return ids, nil
	}
}

// Entitlement is the entitlement involved, if any.
func (d *Discrepancy) Entitlement(ctx context.Context) (*ent.Entitlement, error) {
	if d.entitlement == nil || !nested(ctx) {
		return d.entitlement, nil
	}
	m, err := d.page.askedEntitlements.get(ctx, "entitlements", d.page.ids(func(n *Discrepancy) *int {
		if n.entitlement == nil {
			return nil
		}
		return &n.entitlement.ID
	}), func(ctx context.Context, ids []int) ([]*ent.Entitlement, error) {
		return collectEntitlements(ctx, d.page.client, ids)
	}, entitlementID)
	return m[d.entitlement.ID], err
}

// Order is the order involved, if any.
func (d *Discrepancy) Order(ctx context.Context) (*ent.Order, error) {
	if d.order == nil || !nested(ctx) {
		return d.order, nil
	}
	m, err := d.page.askedOrders.get(ctx, "orders", d.page.ids(func(n *Discrepancy) *int {
		if n.order == nil {
			return nil
		}
		return &n.order.ID
	}), func(ctx context.Context, ids []int) ([]*ent.Order, error) {
		return collectOrders(ctx, d.page.client, ids)
	}, orderID)
	return m[d.order.ID], err
}

// OrderLine is the order line involved, if any.
func (d *Discrepancy) OrderLine(ctx context.Context) (*ent.OrderLine, error) {
	if d.line == nil || !nested(ctx) {
		return d.line, nil
	}
	m, err := d.page.askedLines.get(ctx, "order lines", d.page.ids(func(n *Discrepancy) *int {
		if n.line == nil {
			return nil
		}
		return &n.line.ID
	}), func(ctx context.Context, ids []int) ([]*ent.OrderLine, error) {
		return collectOrderLines(ctx, d.page.client, ids)
	}, orderLineID)
	return m[d.line.ID], err
}

// Account is the account concerned.
func (d *Discrepancy) Account(ctx context.Context) (*ent.Account, error) {
	p := d.page
	if nested(ctx) {
		m, err := p.askedAccounts.get(ctx, "accounts", p.ids(func(n *Discrepancy) *int { return &n.accountID }),
			func(ctx context.Context, ids []int) ([]*ent.Account, error) {
				return collectAccounts(ctx, p.client, ids)
			}, accountID)
		if err != nil {
			return nil, err
		}
		return one(m, d.accountID, "account of a discrepancy")
	}
	m, err := p.accounts.get(ctx, func(ctx context.Context) (map[int]*ent.Account, error) {
		ids := make([]int, len(p.nodes))
		for i, n := range p.nodes {
			ids[i] = n.accountID
		}
		return accountsByID(ctx, p.client, ids)
	})
	if err != nil {
		return nil, err
	}
	a, ok := m[d.accountID]
	if !ok {
		return nil, fmt.Errorf("reports: account %d of a discrepancy not found", d.accountID)
	}
	return a, nil
}

// Contract is the contract involved, if any (and readable).
func (d *Discrepancy) Contract(ctx context.Context) (*ent.Contract, error) {
	if d.contractID == nil {
		return nil, nil
	}
	p := d.page
	if nested(ctx) {
		m, err := p.askedContracts.get(ctx, "contracts", p.ids(func(n *Discrepancy) *int { return n.contractID }),
			func(ctx context.Context, ids []int) ([]*ent.Contract, error) {
				return collectContracts(ctx, p.client, ids)
			}, contractID)
		return m[*d.contractID], err
	}
	m, err := p.contracts.get(ctx, func(ctx context.Context) (map[int]*ent.Contract, error) {
		var ids []int
		for _, n := range p.nodes {
			if n.contractID != nil {
				ids = append(ids, *n.contractID)
			}
		}
		if ids = distinct(ids); len(ids) == 0 {
			return nil, nil
		}
		rows, err := p.client.Contract.Query().Where(contract.IDIn(ids...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("reports: loading contracts: %w", err)
		}
		return byID(rows, func(k *ent.Contract) int { return k.ID }), nil
	})
	return m[*d.contractID], err
}

// Product is the product involved, if any.
func (d *Discrepancy) Product(ctx context.Context) (*ent.Product, error) {
	if d.productID == 0 {
		return nil, nil
	}
	p := d.page
	m, err := p.products.get(ctx, func(ctx context.Context) (map[int]*ent.Product, error) {
		ids := make([]int, len(p.nodes))
		for i, n := range p.nodes {
			ids[i] = n.productID
		}
		rows, err := p.client.Product.Query().Where(product.IDIn(distinct(ids)...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("reports: loading products: %w", err)
		}
		return byID(rows, func(p *ent.Product) int { return p.ID }), nil
	})
	return m[d.productID], err
}

// Detail says what is wrong, for a person. It names objects by number and
// states quantities, usage and dates, never a protected value.
func (d *Discrepancy) Detail(ctx context.Context) (string, error) {
	if d.Kind != DiscrepancyNoActiveContract {
		return d.detail, nil
	}
	if d.contractID == nil {
		return "No contract grants the entitlement.", nil
	}
	k, err := d.Contract(ctx)
	switch {
	case err != nil:
		return "", err
	case k == nil:
		return "Its contract is not ACTIVE or has ended.", nil
	case k.Status != contract.StatusACTIVE:
		return fmt.Sprintf("Contract %s is %s.", k.Number, k.Status), nil
	default:
		return fmt.Sprintf("Contract %s ended on %s.", k.Number, day(k.EndDate)), nil
	}
}

// day formats t as a UTC date.
func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// EntitlementDiscrepancies returns a page of the discrepancies of the given
// kinds (all when none are given). notInvoicedAfterDays (default
// DefaultNotInvoicedAfterDays, 0 to MaxHorizonDays) sets the age of
// FULFILLED_NOT_INVOICED; first defaults to DefaultPageSize (0 to
// MaxPageSize); after is the cursor of the last record of the previous page.
func (s *Service) EntitlementDiscrepancies(ctx context.Context, kinds []DiscrepancyKind, notInvoicedAfterDays *int, first *int, after *Cursor) (*DiscrepancyConnection, error) {
	days, err := intArg("notInvoicedAfterDays", notInvoicedAfterDays, DefaultNotInvoicedAfterDays, 0, MaxHorizonDays)
	if err != nil {
		return nil, err
	}
	n, err := firstArg(first)
	if err != nil {
		return nil, err
	}
	asked := AllDiscrepancyKinds
	if len(kinds) > 0 {
		asked = slices.DeleteFunc(slices.Clone(AllDiscrepancyKinds), func(k DiscrepancyKind) bool { return !slices.Contains(kinds, k) })
	}
	now := s.clockUS()
	conn := &DiscrepancyConnection{s: s, kinds: asked, at: discrepancyClock{now: now, notInvoiced: now.Add(-time.Duration(days) * dayLen)}}
	start := 0
	var pos position
	if after != nil {
		v, _ := after.Value.(string)
		kind, sub, _ := strings.Cut(v, "/")
		if start = DiscrepancyKind(kind).order(); start < 0 {
			return nil, badInput("`after` is not a cursor of the discrepancy report.")
		}
		pos.id = after.ID
		if sub != "" {
			if pos.sub, err = strconv.Atoi(sub); err != nil {
				return nil, badInput("`after` is not a cursor of the discrepancy report.")
			}
		}
	}
	// One query per kind, in report order, until the page (and one more
	// record, to know whether there is a next page) is full.
	var rows []discrepancyRow
	for _, kind := range asked {
		if kind.order() < start || len(rows) > n {
			continue
		}
		from := (*position)(nil)
		if after != nil && kind.order() == start {
			from = &pos
		}
		got, err := conn.records(ctx, kind, from, n+1-len(rows))
		if err != nil {
			return nil, fmt.Errorf("reports: discrepancies %s: %w", kind, err)
		}
		rows = append(rows, got...)
	}
	rows, cursors, info := page(rows, n, after, func(r discrepancyRow) Cursor { return r.cursor })
	conn.PageInfo = info
	pg := &discrepancyPage{client: s.client, nodes: make([]*Discrepancy, len(rows))}
	conn.Edges = make([]*DiscrepancyEdge, len(rows))
	for i, r := range rows {
		r.node.page, pg.nodes[i] = pg, r.node
		conn.Edges[i] = &DiscrepancyEdge{Node: r.node, Cursor: cursors[i]}
	}
	return conn, nil
}

// discrepancyRow is a record and its cursor.
type discrepancyRow struct {
	node   *Discrepancy
	cursor Cursor
}

// position is where a page starts within a kind: after the main object id
// (and, for EXCEEDS_CONTRACT, after the product id sub within contract id).
type position struct{ id, sub int }

// records returns up to limit records of kind after from (nil: from the
// first).
func (c *DiscrepancyConnection) records(ctx context.Context, kind DiscrepancyKind, from *position, limit int) ([]discrepancyRow, error) {
	var out []discrepancyRow
	add := func(id int, d *Discrepancy) {
		d.Kind = kind
		out = append(out, discrepancyRow{node: d, cursor: Cursor{ID: id, Value: string(kind)}})
	}
	switch kind {
	case DiscrepancyOverLimit, DiscrepancyNoActiveContract, DiscrepancyExpiredButActive:
		q := c.s.client.Entitlement.Query().Where(c.entitlementRule(kind))
		if from != nil {
			q.Where(entitlement.IDGT(from.id))
		}
		es, err := q.Order(ent.Asc(entitlement.FieldID)).Limit(limit).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			add(e.ID, &Discrepancy{detail: c.entitlementDetail(kind, e), entitlement: e,
				accountID: e.AccountID, contractID: e.ContractID, productID: e.ProductID})
		}
	case DiscrepancyFulfilledWithoutEntitlement:
		q := c.s.client.OrderLine.Query().Where(fulfilledWithoutEntitlement()...)
		if from != nil {
			q.Where(orderline.IDGT(from.id))
		}
		ls, err := q.WithOrder().Order(ent.Asc(orderline.FieldID)).Limit(limit).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			o := l.Edges.Order
			if o == nil {
				return nil, fmt.Errorf("the order of line %d is not readable", l.ID)
			}
			add(l.ID, &Discrepancy{line: l, order: o, accountID: o.AccountID, contractID: o.ContractID, productID: l.ProductID,
				detail: fmt.Sprintf("The %s line of order %s (fulfilled on %s) is linked to no entitlement, and no later order changed one.", l.Action, o.Number, dayPtr(o.FulfilledAt))})
		}
	case DiscrepancyExceedsContract:
		rows, err := c.exceeding(ctx, from, limit)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			add(r.ContractID, &Discrepancy{accountID: r.AccountID, contractID: &r.ContractID, productID: r.ProductID,
				detail: fmt.Sprintf("The live entitlements to the product under the contract total %d; the contract grants %d.", r.Entitled, r.Contracted)})
			out[len(out)-1].cursor.Value = string(kind) + "/" + strconv.Itoa(r.ProductID)
		}
	case DiscrepancyFulfilledNotInvoiced:
		q := c.s.client.Order.Query().Where(c.fulfilledNotInvoiced())
		if from != nil {
			q.Where(order.IDGT(from.id))
		}
		os, err := q.Order(ent.Asc(order.FieldID)).Limit(limit).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range os {
			add(o.ID, &Discrepancy{order: o, accountID: o.AccountID, contractID: o.ContractID,
				detail: fmt.Sprintf("Order %s was fulfilled on %s, %d days ago, and is not invoiced.", o.Number, dayPtr(o.FulfilledAt), wholeDays(c.at.now.Sub(*o.FulfilledAt)))})
		}
	}
	return out, nil
}

func dayPtr(t *time.Time) string {
	if t == nil {
		return "an unknown date"
	}
	return day(*t)
}

// entitlementDetail describes an entitlement's discrepancy of kind (but
// NO_ACTIVE_CONTRACT, which Detail describes from the contract).
func (c *DiscrepancyConnection) entitlementDetail(kind DiscrepancyKind, e *ent.Entitlement) string {
	switch kind {
	case DiscrepancyOverLimit:
		d := entitlements.Derive(e, c.at.now)
		var limit int64
		if d.EffectiveLimit != nil {
			limit = *d.EffectiveLimit
		}
		if d.OverrideActive {
			return fmt.Sprintf("Usage %d is above the effective limit %d (an override).", e.Usage, limit)
		}
		return fmt.Sprintf("Usage %d is above the limit %d.", e.Usage, limit)
	case DiscrepancyExpiredButActive:
		return fmt.Sprintf("Stored ACTIVE, but its active window ended on %s.", dayPtr(e.ActiveTo))
	}
	return ""
}

// The rules, as SQL over the intercepted main table of each kind. They
// mirror internal/entitlements.Derive and the order rules (internal/orders).

// live is "stored ACTIVE and the active window has not ended".
func (c *DiscrepancyConnection) live(s *entsql.Selector) *entsql.Predicate {
	return entsql.And(
		entsql.EQ(s.C(entitlement.FieldStatus), string(entitlement.StatusACTIVE)),
		entsql.Or(entsql.IsNull(s.C(entitlement.FieldActiveTo)), after(s, s.C(entitlement.FieldActiveTo), c.at.now)),
	)
}

// overrideActive is "the override is set and has not expired".
func (c *DiscrepancyConnection) overrideActive(s *entsql.Selector) *entsql.Predicate {
	return entsql.And(
		entsql.NotNull(s.C(entitlement.FieldOverrideLimit)),
		entsql.Or(entsql.IsNull(s.C(entitlement.FieldOverrideExpiresAt)), after(s, s.C(entitlement.FieldOverrideExpiresAt), c.at.now)),
	)
}

// candidates narrows an entitlement kind to the rows an index finds, from
// the columns the database keeps without the clock (see
// ent/schema/entitlement.go): usage above a limit or an override, the
// contract not in force (no end date: not ACTIVE or none; or its end date
// passed), the active window ended. Each alternative is one index range,
// disjoint from the others; entitlementPredicate applies the full rule.
func (c *DiscrepancyConnection) candidates(s *entsql.Selector, kind DiscrepancyKind) []*entsql.Predicate {
	switch kind {
	case DiscrepancyOverLimit:
		return []*entsql.Predicate{entsql.EQ(s.C(entitlement.FieldOverLimitCandidate), true)}
	case DiscrepancyNoActiveContract:
		return []*entsql.Predicate{
			entsql.IsNull(s.C(entitlement.FieldContractInForceUntil)),
			atOrBefore(s, s.C(entitlement.FieldContractInForceUntil), c.at.now),
		}
	default: // DiscrepancyExpiredButActive
		return []*entsql.Predicate{entsql.And(entsql.NotNull(s.C(entitlement.FieldActiveTo)), atOrBefore(s, s.C(entitlement.FieldActiveTo), c.at.now))}
	}
}

// entitlementPredicate is the rule of an entitlement kind, over its
// candidates (all alternatives when alt < 0, else alternative alt).
func (c *DiscrepancyConnection) entitlementPredicate(s *entsql.Selector, kind DiscrepancyKind, alt int) *entsql.Predicate {
	cand := c.candidates(s, kind)
	if alt >= 0 {
		cand = cand[alt : alt+1]
	}
	among := entsql.Or(cand...)
	switch kind {
	case DiscrepancyOverLimit:
		// usage > the effective limit: the unexpired override, else the limit.
		return entsql.And(among, c.live(s), entsql.Or(
			entsql.And(c.overrideActive(s), entsql.ColumnsGT(s.C(entitlement.FieldUsage), s.C(entitlement.FieldOverrideLimit))),
			entsql.And(entsql.Not(c.overrideActive(s)), entsql.NotNull(s.C(entitlement.FieldLimit)),
				entsql.ColumnsGT(s.C(entitlement.FieldUsage), s.C(entitlement.FieldLimit))),
		))
	case DiscrepancyNoActiveContract:
		// No contract, or one that is not ACTIVE or has ended (end ≤ now).
		return entsql.And(c.live(s), among)
	default: // DiscrepancyExpiredButActive
		return entsql.And(entsql.EQ(s.C(entitlement.FieldStatus), string(entitlement.StatusACTIVE)), among)
	}
}

// entitlementRule selects the entitlements with a discrepancy of kind.
func (c *DiscrepancyConnection) entitlementRule(kind DiscrepancyKind) predicate.Entitlement {
	return c.entitlementRuleAlt(kind, -1)
}

// entitlementRuleAlt selects the entitlements with a discrepancy of kind
// among one alternative of its candidates (alt < 0: all).
func (c *DiscrepancyConnection) entitlementRuleAlt(kind DiscrepancyKind, alt int) predicate.Entitlement {
	return func(s *entsql.Selector) { s.Where(c.entitlementPredicate(s, kind, alt)) }
}

// fulfilledWithoutEntitlement selects the ADD, CHANGE and RENEW lines of
// FULFILLED orders that no entitlement is linked to, and whose entitlement
// no later fulfilment took over: fulfilment links the entitlement a line
// creates or changes to the line, and a later line acting on the same
// entitlement (the account's, to the product) moves the link to itself.
//
// The rule reads every fulfilled line against the account's entitlements
// (seconds at 100k accounts), so the database keeps its answer on the line:
// order_lines.entitlement_gap, recomputed by triggers for the (account,
// product) of every write to entitlements, orders and order lines (the
// rule's SQL is in migrations/*/…_report_rules.sql).
func fulfilledWithoutEntitlement() []predicate.OrderLine {
	return []predicate.OrderLine{orderline.EntitlementGap(true)}
}

// fulfilledNotInvoiced selects the FULFILLED orders not billed that were
// fulfilled before the threshold.
func (c *DiscrepancyConnection) fulfilledNotInvoiced() predicate.Order {
	return func(s *entsql.Selector) {
		s.Where(entsql.And(
			entsql.EQ(s.C(order.FieldStatus), string(schematype.OrderStatusFulfilled)),
			entsql.EQ(s.C(order.FieldBillingStatus), string(order.BillingStatusNOT_BILLED)),
			before(s, s.C(order.FieldFulfilledAt), c.at.notInvoiced),
		))
	}
}

// exceedingRow is one (contract, product) whose live entitlements exceed
// the contracted quantity.
type exceedingRow struct {
	ContractID int   `sql:"contract_id"`
	ProductID  int   `sql:"product_id"`
	AccountID  int   `sql:"account_id"`
	Entitled   int64 `sql:"entitled"`
	Contracted int64 `sql:"contracted"`
}

// sumUnits is the sum of the units of the entitlements of t: each counts its
// limit; a flag, or an entitlement without a limit, counts 1 (the order
// validation's rule, and the contract_allocations triggers').
func sumUnits(t interface{ C(string) string }) string {
	return "SUM(CASE WHEN " + t.C(entitlement.FieldKind) + " = '" + string(schematype.EntitlementKindBoolean) + "' OR " +
		t.C(entitlement.FieldLimit) + " IS NULL THEN 1 ELSE " + t.C(entitlement.FieldLimit) + " END)"
}

// exceedsContract groups the live entitlements under a contract by
// (contract, product) and keeps the groups whose units (limits; flags and
// entitlements without a limit count 1) sum above the contract's items'
// quantities for the product (0 without an item). It returns the units and
// the contracted quantity expressions.
//
// Only the pairs whose kept allocation (contract_allocations, maintained by
// database triggers) is over the contract are grouped: it counts every
// ACTIVE entitlement of the pair, whatever its window and whichever account
// holds it, so it is at least the live units of the viewer's rows (units
// are never negative), and a pair that is not over there is not over here.
// The candidates' live entitlements are then summed as before; the row
// rules apply to them as to any entitlement query, so a CSM's book drives
// the plan, and otherwise the candidates do, each read through the
// entitlements' (contract_id, product_id) index.
func (c *DiscrepancyConnection) exceedsContract(s *entsql.Selector) (units, contracted string) {
	units = sumUnits(s)
	a := entsql.Dialect(s.Dialect()).Table(contractallocation.Table).As("ca")
	contracted = a.C(contractallocation.FieldContracted)
	s.Join(a).OnP(entsql.And(
		entsql.ColumnsEQ(a.C(contractallocation.FieldContractID), s.C(entitlement.FieldContractID)),
		entsql.ColumnsEQ(a.C(contractallocation.FieldProductID), s.C(entitlement.FieldProductID)),
	)).
		Where(entsql.And(entsql.GT(a.C(contractallocation.FieldExcess), 0), c.live(s))).
		GroupBy(s.C(entitlement.FieldContractID), s.C(entitlement.FieldProductID), contracted).
		Having(entsql.P(func(b *entsql.Builder) { b.WriteString(units + " > " + contracted) }))
	return units, contracted
}

// exceeding returns up to limit EXCEEDS_CONTRACT groups after from, by
// contract then product.
func (c *DiscrepancyConnection) exceeding(ctx context.Context, from *position, limit int) ([]exceedingRow, error) {
	var rows []exceedingRow
	err := c.s.client.Entitlement.Query().Modify(func(s *entsql.Selector) {
		units, contracted := c.exceedsContract(s)
		k, p := s.C(entitlement.FieldContractID), s.C(entitlement.FieldProductID)
		if from != nil {
			s.Where(entsql.Or(entsql.GT(k, from.id), entsql.And(entsql.EQ(k, from.id), entsql.GT(p, from.sub))))
		}
		s.Select(entsql.As(k, "contract_id"), entsql.As(p, "product_id"),
			entsql.As(entsql.Min(s.C(entitlement.FieldAccountID)), "account_id"),
			entsql.As(units, "entitled"), entsql.As(contracted, "contracted")).
			OrderBy(k, p).Limit(limit)
	}).Scan(ctx, &rows)
	return rows, err
}

// countExceeding counts the EXCEEDS_CONTRACT groups.
//
// A viewer who reads only a CSM's book gets COUNT(*) over the grouped
// query of exceeding: the book's entitlements drive it (the row rules
// apply to them), joined to their pairs' allocations. (Not COUNT(*) OVER ()
// with LIMIT 1, which PostgreSQL may plan as if it could stop early.)
//
// Every other viewer reads every entitlement, so the pairs' kept figures
// answer for all of them: a candidate (excess > 0) is over the contract
// when its excess is still above the units of its ACTIVE entitlements
// whose window has ended (allocated counts them, the live units do not).
// There are none while the pair's earliest end is null or after now; for
// the few other candidates a correlated subquery reads them through the
// entitlements' (contract_id, product_id) index. Everything else comes
// from the (excess, contract_id, product_id, earliest_end) index. (Joining
// the candidates to their entitlements instead, PostgreSQL hashes every
// live entitlement.)
func (c *DiscrepancyConnection) countExceeding(ctx context.Context) (int, error) {
	if !rows.BookOnly(viewer.FromContext(ctx)) {
		// countAll, not Count's COUNT(DISTINCT id): the ids would be read
		// from the table.
		return countAll(ctx, c.s.client.ContractAllocation.Query().Where(func(s *entsql.Selector) {
			e := entsql.Dialect(s.Dialect()).Table(entitlement.Table).As("e")
			ended := entsql.Dialect(s.Dialect()).Select().From(e).
				AppendSelectExpr(entsql.Expr(sumUnits(e))).
				Where(entsql.And(
					entsql.ColumnsEQ(e.C(entitlement.FieldContractID), s.C(contractallocation.FieldContractID)),
					entsql.ColumnsEQ(e.C(entitlement.FieldProductID), s.C(contractallocation.FieldProductID)),
					entsql.EQ(e.C(entitlement.FieldStatus), string(entitlement.StatusACTIVE)),
					atOrBefore(s, e.C(entitlement.FieldActiveTo), c.at.now),
				))
			excess, end := s.C(contractallocation.FieldExcess), s.C(contractallocation.FieldEarliestEnd)
			s.Where(entsql.And(entsql.GT(excess, 0), entsql.Or(
				entsql.IsNull(end),
				after(s, end, c.at.now),
				entsql.P(func(b *entsql.Builder) {
					b.WriteString(excess + " > COALESCE((").Join(ended).WriteString("), 0)")
				}),
			)))
		}))
	}
	var n []struct {
		N int `sql:"n"`
	}
	err := c.s.client.Entitlement.Query().
		Order(afterPredicates(func(t *entsql.Selector) *entsql.Selector {
			return entsql.Dialect(t.Dialect()).Select().From(t.As("t")).AppendSelectExprAs(entsql.Expr("COUNT(*)"), "n")
		})).
		Modify(func(s *entsql.Selector) {
			c.exceedsContract(s)
			s.Select(s.C(entitlement.FieldContractID))
		}).Scan(ctx, &n)
	if err != nil || len(n) != 1 {
		return 0, err
	}
	return n[0].N, nil
}

// countsByKind counts the records of every kind asked for, in one COUNT
// statement per kind (per alternative of an entitlement kind's
// candidates, so each is an index-only read), run concurrently.
func (c *DiscrepancyConnection) countsByKind(ctx context.Context) (map[DiscrepancyKind]int, error) {
	return c.counts.get(ctx, func(ctx context.Context) (map[DiscrepancyKind]int, error) {
		type job struct {
			kind  DiscrepancyKind
			what  string
			count func(context.Context) (int, error)
		}
		var jobs []job
		for _, kind := range c.kinds {
			switch kind {
			case DiscrepancyOverLimit, DiscrepancyNoActiveContract, DiscrepancyExpiredButActive:
				for alt := range c.candidates(entsql.Select().From(entsql.Table(entitlement.Table)), kind) {
					jobs = append(jobs, job{kind, "entitlement discrepancies", func(ctx context.Context) (int, error) {
						return countAll(ctx, c.s.client.Entitlement.Query().Where(c.entitlementRuleAlt(kind, alt)))
					}})
				}
			case DiscrepancyFulfilledWithoutEntitlement:
				jobs = append(jobs, job{kind, "lines without entitlement", func(ctx context.Context) (int, error) {
					return countAll(ctx, c.s.client.OrderLine.Query().Where(fulfilledWithoutEntitlement()...))
				}})
			case DiscrepancyExceedsContract:
				jobs = append(jobs, job{kind, "entitlements beyond contracts", c.countExceeding})
			case DiscrepancyFulfilledNotInvoiced:
				jobs = append(jobs, job{kind, "orders not invoiced", func(ctx context.Context) (int, error) {
					return countAll(ctx, c.s.client.Order.Query().Where(c.fulfilledNotInvoiced()))
				}})
			}
		}
		counts := make([]int, len(jobs))
		errs := make([]error, len(jobs))
		var wg sync.WaitGroup
		for i, j := range jobs {
			wg.Go(func() {
				if counts[i], errs[i] = j.count(ctx); errs[i] != nil {
					errs[i] = fmt.Errorf("reports: counting %s: %w", j.what, errs[i])
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		out := map[DiscrepancyKind]int{}
		for i, j := range jobs {
			out[j.kind] += counts[i]
		}
		return out, nil
	})
}

// TotalCount is the number of records of the kinds asked for, all pages.
func (c *DiscrepancyConnection) TotalCount(ctx context.Context) (int, error) {
	m, err := c.countsByKind(ctx)
	total := 0
	for _, k := range c.kinds {
		total += m[k]
	}
	return total, err
}

// CountsByKind is the number of records of each kind asked for, every such
// kind listed in report order, zero included.
func (c *DiscrepancyConnection) CountsByKind(ctx context.Context) ([]*DiscrepancyCount, error) {
	m, err := c.countsByKind(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*DiscrepancyCount, len(c.kinds))
	for i, k := range c.kinds {
		out[i] = &DiscrepancyCount{Kind: k, Count: m[k]}
	}
	return out, nil
}
