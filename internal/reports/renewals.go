package reports

import (
	"context"
	"fmt"
	"sort"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/healthscore"
	"github.com/opsgraph/opsgraph/ent/predicate"
)

// DefaultRenewalDays is the default horizon of the renewal calendar and of
// the renewal hygiene completeness, in days.
const DefaultRenewalDays = 120

// RenewalConnection is a page of the renewal calendar: ACTIVE contracts
// whose renewal date falls in [now, now + withinDays × 24h), by renewal
// date then contract id.
type RenewalConnection struct {
	lazyPage[*RenewalEdge]
	WithinDays int `json:"withinDays"`

	s        *Service
	from, to time.Time
	first    int
	after    *Cursor
	afterAt  time.Time
	total    lazy[int]
}

// RenewalEdge is an edge of a RenewalConnection.
type RenewalEdge struct {
	Node   *Renewal `json:"node"`
	Cursor Cursor   `json:"cursor"`
}

// Renewal is one contract up for renewal.
type Renewal struct {
	RenewalDate time.Time `json:"renewalDate"`
	// DaysUntil is the whole 24-hour days from now to the renewal date,
	// rounded down.
	DaysUntil int    `json:"daysUntil"`
	ArrMinor  int64  `json:"arrMinor"`
	Currency  string `json:"currency"`
	AutoRenew bool   `json:"autoRenew"`

	contract *ent.Contract
	links    *renewalLinks
}

// RenewalMonth is the renewals of one UTC calendar month.
type RenewalMonth struct {
	Month     string         `json:"month"`
	Contracts int            `json:"contracts"`
	Arr       []*MoneyAmount `json:"arr"`
}

// renewalLinks loads what the renewals of one page link to, once per page.
type renewalLinks struct {
	contractAccounts
	users      lazy[map[int]*ent.User]
	askedUsers collected[*ent.User]
	bands      lazy[map[int]healthscore.Band]
}

// renewalWindow selects the ACTIVE contracts renewing in [from, to).
func renewalWindow(from, to time.Time) []predicate.Contract {
	return []predicate.Contract{activeContract, contract.RenewalDateGTE(from), contract.RenewalDateLT(to)}
}

// RenewalCalendar returns a page of the renewal calendar. withinDays
// defaults to DefaultRenewalDays (1 to MaxHorizonDays), first to
// DefaultPageSize (0 to MaxPageSize); after is the cursor of the last
// renewal of the previous page.
func (s *Service) RenewalCalendar(ctx context.Context, withinDays, first *int, after *Cursor) (*RenewalConnection, error) {
	days, n, err := horizonArgs(withinDays, first)
	if err != nil {
		return nil, err
	}
	now := s.clockUS()
	conn := &RenewalConnection{WithinDays: days, s: s, from: now, to: now.Add(time.Duration(days) * dayLen), first: n, after: after}
	if after != nil {
		at, ok := after.Value.(time.Time)
		if !ok {
			return nil, badInput("`after` is not a cursor of the renewal calendar.")
		}
		conn.afterAt = at.UTC()
	}
	conn.lazyPage.load = conn.load
	return conn, nil
}

// load reads the page: first renewals after the cursor, and one more to
// know whether there is a next page.
func (c *RenewalConnection) load(ctx context.Context) ([]*RenewalEdge, PageInfo, error) {
	q := c.s.client.Contract.Query().Where(renewalWindow(c.from, c.to)...)
	if c.after != nil {
		q.Where(contract.Or(contract.RenewalDateGT(c.afterAt), contract.And(contract.RenewalDateEQ(c.afterAt), contract.IDGT(c.after.ID))))
	}
	rows, err := q.Order(ent.Asc(contract.FieldRenewalDate), ent.Asc(contract.FieldID)).Limit(c.first + 1).All(ctx)
	if err != nil {
		return nil, PageInfo{}, fmt.Errorf("reports: renewal calendar: %w", err)
	}
	rows, cursors, info := page(rows, c.first, c.after, func(k *ent.Contract) Cursor {
		return Cursor{ID: k.ID, Value: k.RenewalDate.UTC()}
	})
	links := &renewalLinks{contractAccounts: contractAccounts{client: c.s.client, contracts: rows}}
	edges := make([]*RenewalEdge, len(rows))
	for i, k := range rows {
		date := k.RenewalDate.UTC()
		edges[i] = &RenewalEdge{Cursor: cursors[i], Node: &Renewal{
			RenewalDate: date,
			DaysUntil:   wholeDays(date.Sub(c.from)),
			ArrMinor:    k.ArrMinor,
			Currency:    k.Currency,
			AutoRenew:   k.AutoRenew,
			contract:    k,
			links:       links,
		}}
	}
	return edges, info, nil
}

// TotalCount is the number of renewals in the horizon, all pages.
func (c *RenewalConnection) TotalCount(ctx context.Context) (int, error) {
	return c.total.get(ctx, func(ctx context.Context) (int, error) {
		n, err := c.s.client.Contract.Query().Where(renewalWindow(c.from, c.to)...).Count(ctx)
		if err != nil {
			return 0, fmt.Errorf("reports: counting renewals: %w", err)
		}
		return n, nil
	})
}

// ByMonth is the number of renewals and their ARR per currency per UTC
// calendar month of the renewal date, soonest first; currencies sorted.
func (c *RenewalConnection) ByMonth(ctx context.Context) ([]*RenewalMonth, error) {
	var rows []struct {
		Month    string `sql:"month"`
		Currency string `sql:"currency"`
		N        int    `sql:"n"`
		Arr      int64  `sql:"arr"`
	}
	err := c.s.client.Contract.Query().Where(renewalWindow(c.from, c.to)...).Modify(func(s *entsql.Selector) {
		month, cur := utcMonth(s, s.C(contract.FieldRenewalDate)), s.C(contract.FieldCurrency)
		s.Select(
			entsql.As(month, "month"), entsql.As(cur, "currency"),
			entsql.As(entsql.Count("*"), "n"), entsql.As(entsql.Sum(s.C(contract.FieldArrMinor)), "arr"),
		).GroupBy(month, cur).OrderBy(month, cur)
	}).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("reports: renewals by month: %w", err)
	}
	out := []*RenewalMonth{}
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].Month != r.Month {
			out = append(out, &RenewalMonth{Month: r.Month, Arr: []*MoneyAmount{}})
		}
		m := out[len(out)-1]
		m.Contracts += r.N
		m.Arr = append(m.Arr, &MoneyAmount{Currency: r.Currency, AmountMinor: r.Arr})
	}
	for _, m := range out { // the database's collation may differ; sort by code
		sort.Slice(m.Arr, func(i, j int) bool { return m.Arr[i].Currency < m.Arr[j].Currency })
	}
	return out, nil
}

// utcMonth is the SQL expression of the UTC calendar month (YYYY-MM) of the
// time column col. SQLite stores times as text beginning with the date
// (times are written in UTC).
func utcMonth(s *entsql.Selector, col string) string {
	if s.Dialect() == dialect.Postgres {
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM')"
	}
	return "substr(" + col + ", 1, 7)"
}

// Contract is the contract up for renewal.
func (r *Renewal) Contract(ctx context.Context) (*ent.Contract, error) {
	return r.links.contractAsked(ctx, r.contract)
}

// Account is the contract's account.
func (r *Renewal) Account(ctx context.Context) (*ent.Account, error) {
	return r.links.accountAsked(ctx, r.contract)
}

// Owner is the account's owner (CSM); nil when the account has none.
func (r *Renewal) Owner(ctx context.Context) (*ent.User, error) {
	a, err := r.links.account(ctx, r.contract)
	if err != nil || a.OwnerID == 0 {
		return nil, err
	}
	return r.links.userAsked(ctx, a.OwnerID)
}

// RenewalOwner is the contract's renewal owner; nil when it has none.
func (r *Renewal) RenewalOwner(ctx context.Context) (*ent.User, error) {
	if r.contract.RenewalOwnerID == nil {
		return nil, nil
	}
	return r.links.userAsked(ctx, *r.contract.RenewalOwnerID)
}

// HealthBand is the band of the account's latest health score; nil when the
// account was never scored.
func (r *Renewal) HealthBand(ctx context.Context) (*healthscore.Band, error) {
	m, err := r.links.bands.get(ctx, func(ctx context.Context) (map[int]healthscore.Band, error) {
		ids := make([]int, len(r.links.contracts))
		for i, k := range r.links.contracts {
			ids[i] = k.AccountID
		}
		// The accounts' latest scores: health scores are in the viewer's
		// rows when their accounts are.
		scores, err := r.links.client.HealthScore.Query().Where(func(s *entsql.Selector) {
			t := entsql.Table(account.Table)
			latest := entsql.Select(t.C(account.FieldHealthScoreID)).From(t).
				Where(entsql.In(t.C(account.FieldID), anys(distinct(ids))...))
			s.Where(entsql.In(s.C(healthscore.FieldID), latest))
		}).Select(healthscore.FieldAccountID, healthscore.FieldBand).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("reports: loading health bands: %w", err)
		}
		bands := make(map[int]healthscore.Band, len(scores))
		for _, h := range scores {
			bands[h.AccountID] = h.Band
		}
		return bands, nil
	})
	if err != nil {
		return nil, err
	}
	if b, ok := m[r.contract.AccountID]; ok {
		return &b, nil
	}
	return nil, nil
}

// userIDs are the account owners and renewal owners of the page.
func (p *renewalLinks) userIDs(ctx context.Context) ([]int, error) {
	ids := make([]int, 0, 2*len(p.contracts))
	for _, k := range p.contracts {
		if k.RenewalOwnerID != nil {
			ids = append(ids, *k.RenewalOwnerID)
		}
		a, err := p.account(ctx, k)
		if err != nil {
			return nil, err
		}
		ids = append(ids, a.OwnerID)
	}
	return ids, nil
}

// userAsked is user(id), its edges as the field being resolved asks them
// loaded for the whole page.
func (p *renewalLinks) userAsked(ctx context.Context, id int) (*ent.User, error) {
	if !nested(ctx) {
		return p.user(ctx, id)
	}
	m, err := p.askedUsers.get(ctx, "users", func() ([]int, error) { return p.userIDs(ctx) },
		func(ctx context.Context, ids []int) ([]*ent.User, error) { return collectUsers(ctx, p.client, ids) }, userID)
	if err != nil {
		return nil, err
	}
	return m[id], nil
}

// user returns the user id, an account owner or renewal owner of the page.
func (p *renewalLinks) user(ctx context.Context, id int) (*ent.User, error) {
	m, err := p.users.get(ctx, func(ctx context.Context) (map[int]*ent.User, error) {
		ids, err := p.userIDs(ctx)
		if err != nil {
			return nil, err
		}
		return usersByID(ctx, p.client, ids)
	})
	if err != nil {
		return nil, err
	}
	return m[id], nil
}
