package scoring

import (
	"context"
	"slices"
	"time"

	"entgo.io/contrib/entgql"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/healthscore"
	"github.com/opsgraph/opsgraph/internal/audit"
	"github.com/opsgraph/opsgraph/internal/health"
	"github.com/opsgraph/opsgraph/internal/txn"
	"github.com/opsgraph/opsgraph/internal/usererr"
)

// PageSize is how many accounts recomputing every account rescores per
// transaction.
const PageSize = 500

// RecomputeResult is what a recompute did.
type RecomputeResult struct {
	// Recomputed counts the accounts that got a new score.
	Recomputed int
	// Score is the new score when one account was asked for and could be
	// scored (it has a fresh signal).
	Score *ent.HealthScore
}

// Unwrap rebinds the score read in the transaction to the client.
func (r RecomputeResult) Unwrap() RecomputeResult {
	if r.Score != nil {
		r.Score = r.Score.Unwrap()
	}
	return r
}

// Recompute rescores one account (accountID) or, when accountID is nil,
// every account, writing a new score for each that has a fresh signal
// (history: every computation is kept). Every account is done a page of
// PageSize accounts per transaction, so memory and lock times stay bounded
// with any number of accounts; a failure leaves the pages before it done,
// and running it again is safe.
func (s *Service) Recompute(ctx context.Context, accountID *int) (RecomputeResult, usererr.List, error) {
	m, err := s.scorer(ctx)
	if err != nil {
		return RecomputeResult{}, nil, err
	}
	ctx = audit.WithAction(ctx, "healthScoreRecompute")
	if accountID != nil {
		return s.recomputeOne(ctx, m, *accountID)
	}
	var total RecomputeResult
	after := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, nil, err
		}
		type page struct{ rescored, last, size int }
		p, _, err := retry(ctx, func() (page, usererr.List, error) {
			return txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) (page, usererr.List, error) {
				accts, ids, err := lockPage(ctx, tx, after, PageSize)
				if err != nil || len(ids) == 0 {
					return page{}, nil, err
				}
				var fresh map[int]*ent.HealthScore
				err = audit.Batched(ctx, func(ctx context.Context) error {
					current, err := currentScores(ctx, tx, accts)
					if err != nil {
						return err
					}
					fresh, err = s.rescore(ctx, tx, m, s.clock(), ids, current)
					return err
				})
				return page{rescored: len(fresh), last: ids[len(ids)-1], size: len(ids)}, nil, err
			})
		})
		if err != nil {
			return total, nil, err
		}
		total.Recomputed += p.rescored
		if p.size < PageSize {
			return total, nil, nil
		}
		after = p.last
	}
}

func (s *Service) recomputeOne(ctx context.Context, m health.Model, id int) (RecomputeResult, usererr.List, error) {
	var errs usererr.List
	if code, ok := usererr.ForRef(id, account.Table); !ok {
		errs.Add(code, "accountID does not name an account", "input", "accountID")
		return RecomputeResult{}, errs, nil
	}
	return retry(ctx, func() (RecomputeResult, usererr.List, error) {
		return txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) (RecomputeResult, usererr.List, error) {
			accts, err := lockAccounts(ctx, tx, []int{id})
			if err != nil {
				return RecomputeResult{}, nil, err
			}
			if _, ok := accts[id]; !ok {
				var errs usererr.List
				errs.Add(usererr.NotFound, "accountID does not name an account", "input", "accountID")
				return RecomputeResult{}, errs, nil
			}
			var res RecomputeResult
			err = audit.Batched(ctx, func(ctx context.Context) error {
				current, err := currentScores(ctx, tx, accts)
				if err != nil {
					return err
				}
				fresh, err := s.rescore(ctx, tx, m, s.clock(), []int{id}, current)
				res = RecomputeResult{Recomputed: len(fresh), Score: fresh[id]}
				return err
			})
			return res, nil, err
		})
	})
}

// MaxHistory is the most scores History returns.
const MaxHistory = 100

// History returns the last scores of an account, oldest first: at most last
// (1..MaxHistory, the caller checks), only those computed at or after since
// when it is set.
func (s *Service) History(ctx context.Context, accountID int, since *time.Time, last int) ([]*ent.HealthScore, error) {
	q := s.client.HealthScore.Query().Where(healthscore.AccountID(accountID))
	if since != nil {
		q.Where(healthscore.ComputedAtGTE(since.UTC()))
	}
	scores, err := q.Order(ent.Desc(healthscore.FieldComputedAt), ent.Desc(healthscore.FieldID)).Limit(last).All(ctx)
	if err != nil {
		return nil, err
	}
	slices.Reverse(scores)
	return scores, nil
}

// Trend compares a score with the account's score before it (stored on the
// score); ok is false for an account's first score.
func Trend(sc *ent.HealthScore) (d health.Delta, ok bool) {
	if sc.PreviousScore == nil || sc.PreviousBand == nil {
		return health.Delta{}, false
	}
	cur := health.Result{Scored: true, Score: sc.Score, Band: string(sc.Band), ModelVersion: sc.ModelVersion}
	prev := health.Result{Scored: true, Score: *sc.PreviousScore, Band: string(*sc.PreviousBand), ModelVersion: sc.ModelVersion}
	d = health.Trend(&cur, &prev)
	return d, d.Comparable
}

// Histories is History for many accounts in one statement: each account's
// last scores (since since, if given), oldest first, by account id. prepare,
// if not nil, may change the query first (GraphQL field collection: the
// scores' own edges eager-loaded for every account at once).
func (s *Service) Histories(ctx context.Context, accountIDs []int, since *time.Time, last int, prepare func(*ent.HealthScoreQuery) (*ent.HealthScoreQuery, error)) (map[int][]*ent.HealthScore, error) {
	q := s.client.HealthScore.Query().Where(healthscore.AccountIDIn(accountIDs...))
	if since != nil {
		q.Where(healthscore.ComputedAtGTE(since.UTC()))
	}
	if prepare != nil {
		var err error
		if q, err = prepare(q); err != nil {
			return nil, err
		}
	}
	limit := entgql.LimitPerRow(healthscore.FieldAccountID, last,
		entsql.ExprP(healthscore.FieldComputedAt+" DESC, "+healthscore.FieldID+" DESC"))
	scores, err := q.Modify(func(s *entsql.Selector) {
		// The window orders by these: selected even when the collected
		// fields do not ask for them.
		for _, c := range []string{healthscore.FieldAccountID, healthscore.FieldComputedAt} {
			if !slices.Contains(s.UnqualifiedColumns(), c) {
				s.AppendSelect(s.C(c))
			}
		}
		limit(s)
	}).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int][]*ent.HealthScore, len(accountIDs))
	for _, sc := range scores {
		out[sc.AccountID] = append(out[sc.AccountID], sc)
	}
	for _, h := range out {
		slices.SortFunc(h, func(a, b *ent.HealthScore) int {
			if c := a.ComputedAt.Compare(b.ComputedAt); c != 0 {
				return c
			}
			return a.ID - b.ID
		})
	}
	return out, nil
}
