package reports

// A report row's entities (a renewal's contract, account and users, a
// discrepancy's account, contract, entitlement, order and line) are loaded
// once per page. When the GraphQL selection below one of them asks for
// that entity's own edges (`renewalCalendar { edges { node { account {
// contracts { … } } } } }`), the page's entities are read again, once per
// page and field, through entgql's field collection, which eager-loads
// those edges for the whole page: a few statements per page, not per row.

import (
	"context"
	"fmt"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/order"
	"github.com/opsgraph/opsgraph/ent/orderline"
	"github.com/opsgraph/opsgraph/ent/user"
)

// nested reports whether the GraphQL field being resolved selects an object
// below the entity it returns (an edge field collection would eager-load).
func nested(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	return fc != nil && fc.Field.Field != nil && selectsObject(fc.Field.Selections)
}

func selectsObject(set ast.SelectionSet) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.SelectionSet) > 0 {
				return true
			}
		case *ast.InlineFragment:
			if selectsObject(s.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && selectsObject(s.Definition.SelectionSet) {
				return true
			}
		}
	}
	return false
}

// collected holds a page's entities of one kind read with the selection of
// each field that asked (an alias with its own selection reads its own).
type collected[T any] struct {
	mu sync.Mutex
	by map[*ast.Field]*lazy[map[int]T]
}

// get returns the entities with ids (called once) read by query under the
// selection of the field being resolved.
func (c *collected[T]) get(ctx context.Context, what string, ids func() ([]int, error), query func(ctx context.Context, ids []int) ([]T, error), id func(T) int) (map[int]T, error) {
	var key *ast.Field
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		key = fc.Field.Field
	}
	c.mu.Lock()
	l, ok := c.by[key]
	if !ok {
		if c.by == nil {
			c.by = map[*ast.Field]*lazy[map[int]T]{}
		}
		l = &lazy[map[int]T]{}
		c.by[key] = l
	}
	c.mu.Unlock()
	return l.get(ctx, func(ctx context.Context) (map[int]T, error) {
		ids, err := ids()
		if err != nil {
			return nil, err
		}
		return loadByID(ids, what, func(ids []int) ([]T, error) { return query(ctx, ids) }, id)
	})
}

// The queries of field collection, one per entity a report row links to
// (row rules applied).

func collectAccounts(ctx context.Context, c *ent.Client, ids []int) ([]*ent.Account, error) {
	q, err := c.Account.Query().Where(account.IDIn(ids...)).CollectFields(ctx)
	if err != nil {
		return nil, err
	}
	return q.All(ctx)
}

func collectContracts(ctx context.Context, c *ent.Client, ids []int) ([]*ent.Contract, error) {
	q, err := c.Contract.Query().Where(contract.IDIn(ids...)).CollectFields(ctx)
	if err != nil {
		return nil, err
	}
	return q.All(ctx)
}

func collectUsers(ctx context.Context, c *ent.Client, ids []int) ([]*ent.User, error) {
	q, err := c.User.Query().Where(user.IDIn(ids...)).CollectFields(ctx)
	if err != nil {
		return nil, err
	}
	return q.All(ctx)
}

func collectEntitlements(ctx context.Context, c *ent.Client, ids []int) ([]*ent.Entitlement, error) {
	q, err := c.Entitlement.Query().Where(entitlement.IDIn(ids...)).CollectFields(ctx)
	if err != nil {
		return nil, err
	}
	return q.All(ctx)
}

func collectOrders(ctx context.Context, c *ent.Client, ids []int) ([]*ent.Order, error) {
	q, err := c.Order.Query().Where(order.IDIn(ids...)).CollectFields(ctx)
	if err != nil {
		return nil, err
	}
	return q.All(ctx)
}

func collectOrderLines(ctx context.Context, c *ent.Client, ids []int) ([]*ent.OrderLine, error) {
	q, err := c.OrderLine.Query().Where(orderline.IDIn(ids...)).CollectFields(ctx)
	if err != nil {
		return nil, err
	}
	return q.All(ctx)
}

func accountID(a *ent.Account) int         { return a.ID }
func contractID(k *ent.Contract) int       { return k.ID }
func userID(u *ent.User) int               { return u.ID }
func entitlementID(e *ent.Entitlement) int { return e.ID }
func orderID(o *ent.Order) int             { return o.ID }
func orderLineID(l *ent.OrderLine) int     { return l.ID }

// one returns m[id], or an error naming what when the page's read lost it.
func one[T any](m map[int]T, id int, what string) (T, error) {
	v, ok := m[id]
	if !ok {
		var zero T
		return zero, fmt.Errorf("reports: %s %d not found", what, id)
	}
	return v, nil
}

// accountAsked is the account of k, its edges as the field being resolved
// asks them loaded for the whole page.
func (p *contractAccounts) accountAsked(ctx context.Context, k *ent.Contract) (*ent.Account, error) {
	if !nested(ctx) {
		return p.account(ctx, k)
	}
	m, err := p.askedAccounts.get(ctx, "accounts", func() ([]int, error) {
		ids := make([]int, len(p.contracts))
		for i, k := range p.contracts {
			ids[i] = k.AccountID
		}
		return ids, nil
	}, func(ctx context.Context, ids []int) ([]*ent.Account, error) {
		return collectAccounts(ctx, p.client, ids)
	}, accountID)
	if err != nil {
		return nil, err
	}
	return one(m, k.AccountID, "account")
}

// contractAsked is k, its edges as the field being resolved asks them
// loaded for the whole page.
func (p *contractAccounts) contractAsked(ctx context.Context, k *ent.Contract) (*ent.Contract, error) {
	if !nested(ctx) {
		return k, nil
	}
	m, err := p.askedContracts.get(ctx, "contracts", func() ([]int, error) {
		ids := make([]int, len(p.contracts))
		for i, k := range p.contracts {
			ids[i] = k.ID
		}
		return ids, nil
	}, func(ctx context.Context, ids []int) ([]*ent.Contract, error) {
		return collectContracts(ctx, p.client, ids)
	}, contractID)
	if err != nil {
		return nil, err
	}
	return one(m, k.ID, "contract")
}
