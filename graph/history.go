package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/internal/loaded"
)

// historyBatch names one batched read of health histories: the accounts
// read together with the one asked about (named by the first of them), the
// field asking (its selection is collected) and its arguments.
type historyBatch struct {
	first *ent.Account
	field *ast.Field
	since time.Time
	last  int
}

// healthHistory is Account.healthHistory for every account read together
// with a, in one statement per selection (and the scores' edges
// eager-loaded), so a page of accounts does not read one history each.
func (r *Resolver) healthHistory(ctx context.Context, a *ent.Account, since *time.Time, last int) ([]*ent.HealthScore, error) {
	accounts := loaded.Accounts(ctx, a)
	key := historyBatch{first: accounts[0], last: last}
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		key.field = fc.Field.Field
	}
	if since != nil {
		key.since = since.UTC()
	}
	m, err := loaded.Once(ctx, key, func() (map[int][]*ent.HealthScore, error) {
		ids := make([]int, len(accounts))
		for i, x := range accounts {
			ids[i] = x.ID
		}
		return r.scoring.Histories(ctx, ids, since, last, func(q *ent.HealthScoreQuery) (*ent.HealthScoreQuery, error) {
			return q.CollectFields(ctx)
		})
	})
	if err != nil {
		return nil, err
	}
	if h := m[a.ID]; h != nil {
		return h, nil
	}
	return []*ent.HealthScore{}, nil
}
