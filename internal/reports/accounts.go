package reports

// Helpers of the account reports (renewals, renewal hygiene, data quality):
// argument checks, lazily computed parts and batched entity loads.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/user"
)

// Page sizes of the report connections (the server's connection limits).
const (
	DefaultPageSize = 50
	MaxPageSize     = 100
)

// MaxHorizonDays is the longest horizon a report argument in days accepts
// (about ten years).
const MaxHorizonDays = 3660

// dayLen is the length of a report day: windows in days are multiples of 24
// hours from now, in UTC.
const dayLen = 24 * time.Hour

// badInput is the error of an argument out of range: BAD_USER_INPUT at the
// field's path.
func badInput(format string, args ...any) error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": "BAD_USER_INPUT"},
	}
}

// intArg returns *v, or def when v is nil, refusing values outside
// [lo, hi].
func intArg(name string, v *int, def, lo, hi int) (int, error) {
	n := def
	if v != nil {
		n = *v
	}
	if n < lo || n > hi {
		return 0, badInput("`%s` must be between %d and %d; got %d.", name, lo, hi, n)
	}
	return n, nil
}

// horizonArgs are the arguments of the renewal reports: a horizon in days
// (default DefaultRenewalDays) and a page size.
func horizonArgs(withinDays, first *int) (days, n int, err error) {
	if days, err = intArg("withinDays", withinDays, DefaultRenewalDays, 1, MaxHorizonDays); err != nil {
		return 0, 0, err
	}
	n, err = firstArg(first)
	return days, n, err
}

// firstArg is the page size of a report connection.
func firstArg(first *int) (int, error) {
	return intArg("first", first, DefaultPageSize, 0, MaxPageSize)
}

// clockUS is the time the account reports are computed at: now in UTC,
// to the microsecond (what PostgreSQL stores), so that bounds derived from
// it compare exactly with stored times on both databases.
func (s *Service) clockUS() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// wholeDays is the number of whole 24-hour days in d, rounded down.
func wholeDays(d time.Duration) int {
	n := int(d / dayLen)
	if d < 0 && d%dayLen != 0 {
		n--
	}
	return n
}

// lazy computes a value once, the first time any caller asks for it; the
// parts of a report that share a query share a lazy.
type lazy[T any] struct {
	once sync.Once
	v    T
	err  error
}

func (l *lazy[T]) get(ctx context.Context, f func(context.Context) (T, error)) (T, error) {
	l.once.Do(func() { l.v, l.err = f(ctx) })
	return l.v, l.err
}

// parallel runs f(0) … f(n-1) at once (the queries of a report part that
// do not depend on each other, each on its own connection) and returns
// their errors joined.
func parallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// lazyPage is the page of a report connection, read by load the first time
// its edges or its page information are asked for. Connections embed it:
// its Edges and PageInfo are theirs.
type lazyPage[E any] struct {
	load func(ctx context.Context) ([]E, PageInfo, error)
	page lazy[pageOfEdges[E]]
}

type pageOfEdges[E any] struct {
	edges []E
	info  PageInfo
}

// Edges are the edges of the page.
func (p *lazyPage[E]) Edges(ctx context.Context) ([]E, error) {
	pg, err := p.get(ctx)
	return pg.edges, err
}

// PageInfo describes the page.
func (p *lazyPage[E]) PageInfo(ctx context.Context) (PageInfo, error) {
	pg, err := p.get(ctx)
	return pg.info, err
}

func (p *lazyPage[E]) get(ctx context.Context) (pageOfEdges[E], error) {
	return p.page.get(ctx, func(ctx context.Context) (pageOfEdges[E], error) {
		edges, info, err := p.load(ctx)
		return pageOfEdges[E]{edges, info}, err
	})
}

// byID indexes entities by id.
func byID[T any](rows []T, id func(T) int) map[int]T {
	m := make(map[int]T, len(rows))
	for _, r := range rows {
		m[id(r)] = r
	}
	return m
}

// distinct returns the non-zero ids once each, in first-seen order.
func distinct(ids []int) []int {
	seen := make(map[int]bool, len(ids))
	out := make([]int, 0, len(ids))
	for _, id := range ids {
		if id != 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// anys returns ids as SQL arguments.
func anys(ids []int) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// loadByID runs query once for the given ids (zeros and repeats dropped;
// no query without ids) and indexes the entities it returns by id.
func loadByID[T any](ids []int, what string, query func(ids []int) ([]T, error), id func(T) int) (map[int]T, error) {
	if ids = distinct(ids); len(ids) == 0 {
		return map[int]T{}, nil
	}
	rows, err := query(ids)
	if err != nil {
		return nil, fmt.Errorf("reports: loading %s: %w", what, err)
	}
	return byID(rows, id), nil
}

// accountsByID loads the accounts with the given ids in one query (row
// rules applied).
func accountsByID(ctx context.Context, c *ent.Client, ids []int) (map[int]*ent.Account, error) {
	return loadByID(ids, "accounts", func(ids []int) ([]*ent.Account, error) {
		return c.Account.Query().Where(account.IDIn(ids...)).All(ctx)
	}, func(a *ent.Account) int { return a.ID })
}

// usersByID loads the users with the given ids in one query.
func usersByID(ctx context.Context, c *ent.Client, ids []int) (map[int]*ent.User, error) {
	return loadByID(ids, "users", func(ids []int) ([]*ent.User, error) {
		return c.User.Query().Where(user.IDIn(ids...)).All(ctx)
	}, func(u *ent.User) int { return u.ID })
}

// contractAccounts loads the accounts of a page of contracts once, for
// every row of the page that asks.
type contractAccounts struct {
	client    *ent.Client
	contracts []*ent.Contract
	accounts  lazy[map[int]*ent.Account]
	// The same, read with the selection of a field that asks for their
	// edges (see collect.go).
	askedAccounts  collected[*ent.Account]
	askedContracts collected[*ent.Contract]
}

// account returns the account of k.
func (p *contractAccounts) account(ctx context.Context, k *ent.Contract) (*ent.Account, error) {
	m, err := p.accounts.get(ctx, func(ctx context.Context) (map[int]*ent.Account, error) {
		ids := make([]int, len(p.contracts))
		for i, k := range p.contracts {
			ids[i] = k.AccountID
		}
		return accountsByID(ctx, p.client, ids)
	})
	if err != nil {
		return nil, err
	}
	a, ok := m[k.AccountID]
	if !ok {
		return nil, fmt.Errorf("reports: account %d of contract %d not found", k.AccountID, k.ID)
	}
	return a, nil
}

// activeContract is the status every renewal report considers.
var activeContract = contract.StatusEQ(contract.StatusACTIVE)
