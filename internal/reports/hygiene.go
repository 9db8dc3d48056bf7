package reports

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/predicate"
)

// RenewalHygieneKind is a renewal data problem of an ACTIVE contract.
type RenewalHygieneKind string

// Renewal hygiene kinds, in report order.
const (
	HygieneMissingRenewalDate  RenewalHygieneKind = "MISSING_RENEWAL_DATE"
	HygieneMissingRenewalOwner RenewalHygieneKind = "MISSING_RENEWAL_OWNER"
	HygieneEndedStillActive    RenewalHygieneKind = "ENDED_STILL_ACTIVE"
	HygieneRenewalAfterEnd     RenewalHygieneKind = "RENEWAL_AFTER_END"
)

// AllRenewalHygieneKinds lists the kinds in report order.
var AllRenewalHygieneKinds = []RenewalHygieneKind{
	HygieneMissingRenewalDate, HygieneMissingRenewalOwner, HygieneEndedStillActive, HygieneRenewalAfterEnd,
}

// MarshalGQL implements graphql.Marshaler.
func (k RenewalHygieneKind) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(k)))
}

// UnmarshalGQL implements graphql.Unmarshaler.
func (k *RenewalHygieneKind) UnmarshalGQL(v any) (err error) {
	*k, err = parseEnum(v, AllRenewalHygieneKinds, "RenewalHygieneKind")
	return err
}

// order is the kind's position in report order.
func (k RenewalHygieneKind) order() int { return slices.Index(AllRenewalHygieneKinds, k) }

// where selects the ACTIVE contracts that have the problem at now.
func (k RenewalHygieneKind) where(now time.Time) predicate.Contract {
	switch k {
	case HygieneMissingRenewalDate:
		return contract.RenewalDateIsNil()
	case HygieneMissingRenewalOwner:
		return contract.RenewalOwnerIDIsNil()
	case HygieneEndedStillActive:
		return contract.EndDateLT(now)
	default: // HygieneRenewalAfterEnd
		return func(s *entsql.Selector) {
			s.Where(entsql.ColumnsGT(s.C(contract.FieldRenewalDate), s.C(contract.FieldEndDate)))
		}
	}
}

// detail says what is wrong with k, for a person (no protected values).
func (k RenewalHygieneKind) detail(c *ent.Contract) string {
	date := func(t time.Time) string { return t.UTC().Format(time.DateOnly) }
	switch k {
	case HygieneMissingRenewalDate:
		return fmt.Sprintf("Contract %s has no renewal date (it ends %s).", c.Number, date(c.EndDate))
	case HygieneMissingRenewalOwner:
		if c.RenewalDate == nil {
			return fmt.Sprintf("Contract %s has no renewal owner (and no renewal date).", c.Number)
		}
		return fmt.Sprintf("Contract %s has no renewal owner; it renews %s.", c.Number, date(*c.RenewalDate))
	case HygieneEndedStillActive:
		return fmt.Sprintf("Contract %s ended %s but is still ACTIVE.", c.Number, date(c.EndDate))
	default:
		return fmt.Sprintf("Contract %s renews %s, after its end date %s.", c.Number, date(*c.RenewalDate), date(c.EndDate))
	}
}

// RenewalHygieneConnection is a page of renewal hygiene exceptions, by kind
// (report order) then contract id.
type RenewalHygieneConnection struct {
	lazyPage[*RenewalHygieneEdge]
	s        *Service
	now      time.Time
	days     int
	kinds    []RenewalHygieneKind
	first    int
	after    *Cursor
	from     int // report order of the cursor's kind
	counts   lazy[map[RenewalHygieneKind]int]
	complete lazy[*Completeness]
}

// RenewalHygieneEdge is an edge of a RenewalHygieneConnection.
type RenewalHygieneEdge struct {
	Node   *RenewalHygieneException `json:"node"`
	Cursor Cursor                   `json:"cursor"`
}

// RenewalHygieneException is one renewal data problem of a contract.
type RenewalHygieneException struct {
	Kind   RenewalHygieneKind `json:"kind"`
	Detail string             `json:"detail"`

	contract *ent.Contract
	links    *contractAccounts
}

// RenewalHygieneCount is the number of exceptions of one kind.
type RenewalHygieneCount struct {
	Kind  RenewalHygieneKind `json:"kind"`
	Count int                `json:"count"`
}

// Contract is the contract with the problem.
func (e *RenewalHygieneException) Contract(ctx context.Context) (*ent.Contract, error) {
	return e.links.contractAsked(ctx, e.contract)
}

// Account is the contract's account.
func (e *RenewalHygieneException) Account(ctx context.Context) (*ent.Account, error) {
	return e.links.accountAsked(ctx, e.contract)
}

// RenewalHygiene returns a page of renewal hygiene exceptions of the given
// kinds (all when empty). withinDays (default DefaultRenewalDays, 1 to
// MaxHorizonDays) is the horizon of the completeness rate; first defaults
// to DefaultPageSize (0 to MaxPageSize); after is the cursor of the last
// exception of the previous page.
func (s *Service) RenewalHygiene(ctx context.Context, withinDays *int, kinds []RenewalHygieneKind, first *int, after *Cursor) (*RenewalHygieneConnection, error) {
	days, n, err := horizonArgs(withinDays, first)
	if err != nil {
		return nil, err
	}
	asked := AllRenewalHygieneKinds
	if len(kinds) > 0 {
		asked = nil
		for _, k := range AllRenewalHygieneKinds {
			if slices.Contains(kinds, k) {
				asked = append(asked, k)
			}
		}
	}
	conn := &RenewalHygieneConnection{s: s, now: s.clockUS(), days: days, kinds: asked, first: n, after: after}
	if after != nil {
		k, _ := after.Value.(string)
		if conn.from = RenewalHygieneKind(k).order(); conn.from < 0 {
			return nil, badInput("`after` is not a cursor of the renewal hygiene report.")
		}
	}
	conn.lazyPage.load = conn.load
	return conn, nil
}

// load reads the page: one query per kind, in report order, from the
// cursor's kind (after its contract), until the page and one more
// exception (to know whether there is a next page) are read.
func (c *RenewalHygieneConnection) load(ctx context.Context) ([]*RenewalHygieneEdge, PageInfo, error) {
	type row struct {
		kind RenewalHygieneKind
		k    *ent.Contract
	}
	var rows []row
	for _, kind := range c.kinds {
		if kind.order() < c.from || len(rows) > c.first {
			continue
		}
		q := c.s.client.Contract.Query().Where(activeContract, kind.where(c.now))
		if c.after != nil && kind.order() == c.from {
			q.Where(contract.IDGT(c.after.ID))
		}
		ks, err := q.Order(ent.Asc(contract.FieldID)).Limit(c.first + 1 - len(rows)).All(ctx)
		if err != nil {
			return nil, PageInfo{}, fmt.Errorf("reports: renewal hygiene %s: %w", kind, err)
		}
		for _, k := range ks {
			rows = append(rows, row{kind, k})
		}
	}
	rows, cursors, info := page(rows, c.first, c.after, func(r row) Cursor { return Cursor{ID: r.k.ID, Value: string(r.kind)} })
	links := &contractAccounts{client: c.s.client, contracts: make([]*ent.Contract, len(rows))}
	edges := make([]*RenewalHygieneEdge, len(rows))
	for i, r := range rows {
		links.contracts[i] = r.k
		edges[i] = &RenewalHygieneEdge{Cursor: cursors[i], Node: &RenewalHygieneException{
			Kind: r.kind, Detail: r.kind.detail(r.k), contract: r.k, links: links,
		}}
	}
	return edges, info, nil
}

// countsByKind counts the exceptions of every kind in one aggregate query.
func (c *RenewalHygieneConnection) countsByKind(ctx context.Context) (map[RenewalHygieneKind]int, error) {
	return c.counts.get(ctx, func(ctx context.Context) (map[RenewalHygieneKind]int, error) {
		var rows []struct {
			MissingDate  int `sql:"missing_date"`
			MissingOwner int `sql:"missing_owner"`
			Ended        int `sql:"ended"`
			AfterEnd     int `sql:"after_end"`
		}
		err := c.s.client.Contract.Query().Where(activeContract).Modify(func(s *entsql.Selector) {
			s.SelectExpr().
				AppendSelectExprAs(sumIf(entsql.IsNull(s.C(contract.FieldRenewalDate))), "missing_date").
				AppendSelectExprAs(sumIf(entsql.IsNull(s.C(contract.FieldRenewalOwnerID))), "missing_owner").
				AppendSelectExprAs(sumIf(entsql.LT(s.C(contract.FieldEndDate), c.now)), "ended").
				AppendSelectExprAs(sumIf(entsql.ColumnsGT(s.C(contract.FieldRenewalDate), s.C(contract.FieldEndDate))), "after_end")
		}).Scan(ctx, &rows)
		if err != nil {
			return nil, fmt.Errorf("reports: counting renewal hygiene exceptions: %w", err)
		}
		if len(rows) != 1 {
			return nil, fmt.Errorf("reports: counting renewal hygiene exceptions: %d rows", len(rows))
		}
		r := rows[0]
		return map[RenewalHygieneKind]int{
			HygieneMissingRenewalDate:  r.MissingDate,
			HygieneMissingRenewalOwner: r.MissingOwner,
			HygieneEndedStillActive:    r.Ended,
			HygieneRenewalAfterEnd:     r.AfterEnd,
		}, nil
	})
}

// TotalCount is the number of exceptions of the kinds asked for, all pages.
func (c *RenewalHygieneConnection) TotalCount(ctx context.Context) (int, error) {
	m, err := c.countsByKind(ctx)
	total := 0
	for _, k := range c.kinds {
		total += m[k]
	}
	return total, err
}

// CountsByKind is the number of exceptions of each kind asked for (every
// kind when no kinds were given), zero counts included, in report order.
func (c *RenewalHygieneConnection) CountsByKind(ctx context.Context) ([]*RenewalHygieneCount, error) {
	m, err := c.countsByKind(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*RenewalHygieneCount, len(c.kinds))
	for i, k := range c.kinds {
		out[i] = &RenewalHygieneCount{Kind: k, Count: m[k]}
	}
	return out, nil
}

// Completeness considers the ACTIVE contracts renewing in [now, now +
// withinDays × 24h), and the ACTIVE contracts without a renewal date whose
// end date falls in that window; complete are those with a renewal date, a
// renewal owner and an account with an owner.
func (c *RenewalHygieneConnection) Completeness(ctx context.Context) (*Completeness, error) {
	return c.complete.get(ctx, func(ctx context.Context) (*Completeness, error) {
		from, to := c.now, c.now.Add(time.Duration(c.days)*dayLen)
		var rows []struct {
			Total    int `sql:"total"`
			Complete int `sql:"complete"`
		}
		err := c.s.client.Contract.Query().Where(renewalHorizon(from, to)...).Modify(func(s *entsql.Selector) {
			// The account of a contract the viewer sees is one of the
			// viewer's rows too: a CSM's contracts are those of their book.
			s.SelectExpr().
				AppendSelectExprAs(entsql.Expr("COUNT(*)"), "total").
				AppendSelectExprAs(sumIf(entsql.And(
					entsql.NotNull(s.C(contract.FieldRenewalDate)),
					entsql.NotNull(s.C(contract.FieldRenewalOwnerID)),
					entsql.ExprP(s.C(contract.FieldAccountID)+" IN (SELECT id FROM accounts WHERE owner_id IS NOT NULL)"),
				)), "complete")
		}).Scan(ctx, &rows)
		if err != nil {
			return nil, fmt.Errorf("reports: renewal data completeness: %w", err)
		}
		if len(rows) != 1 {
			return nil, fmt.Errorf("reports: renewal data completeness: %d rows", len(rows))
		}
		return Share(rows[0].Complete, rows[0].Total), nil
	})
}

// renewalHorizon selects the ACTIVE contracts renewing in [from, to), and
// those without a renewal date ending in [from, to).
func renewalHorizon(from, to time.Time) []predicate.Contract {
	return []predicate.Contract{activeContract, contract.Or(
		contract.And(contract.RenewalDateGTE(from), contract.RenewalDateLT(to)),
		contract.And(contract.RenewalDateIsNil(), contract.EndDateGTE(from), contract.EndDateLT(to)),
	)}
}
