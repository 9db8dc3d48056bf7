package scoring

import (
	"context"
	"fmt"
	"strconv"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/healthscore"
	"github.com/opsgraph/opsgraph/ent/healthsignal"
	"github.com/opsgraph/opsgraph/ent/predicate"
	"github.com/opsgraph/opsgraph/internal/health"
	"github.com/opsgraph/opsgraph/internal/txn"
)

// lockAccounts reads (id → latest score id, 0 for none) of the accounts
// with ids that exist and the viewer may see, locking them in id order.
func lockAccounts(ctx context.Context, tx *ent.Client, ids []int) (map[int]int, error) {
	if len(ids) == 0 {
		return map[int]int{}, nil
	}
	accts, _, err := lock(ctx, tx.Account.Query().Where(account.IDIn(ids...)))
	return accts, err
}

// lockPage reads and locks the next page of at most n accounts after id
// after, for rescoring every account; it returns their ids in order too.
func lockPage(ctx context.Context, tx *ent.Client, after, n int) (map[int]int, []int, error) {
	return lock(ctx, tx.Account.Query().Where(account.IDGT(after)).Limit(n))
}

// lock reads the accounts of q in id order, locked: id → latest score id
// (0 for none), and the ids in order.
func lock(ctx context.Context, q *ent.AccountQuery) (map[int]int, []int, error) {
	rows, err := q.Order(ent.Asc(account.FieldID)).Modify(txn.ForUpdate).
		Select(account.FieldID, account.FieldHealthScoreID).All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("locking accounts: %w", err)
	}
	accts := make(map[int]int, len(rows))
	ids := make([]int, len(rows))
	for i, a := range rows {
		ids[i] = a.ID
		accts[a.ID] = 0
		if a.HealthScoreID != nil {
			accts[a.ID] = *a.HealthScoreID
		}
	}
	return accts, ids, nil
}

// currentScores reads the latest scores of accts (id → latest score id) in
// one query: account id → its latest score.
func currentScores(ctx context.Context, tx *ent.Client, accts map[int]int) (map[int]*ent.HealthScore, error) {
	var ids []int
	for _, sid := range accts {
		if sid != 0 {
			ids = append(ids, sid)
		}
	}
	out := make(map[int]*ent.HealthScore, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.HealthScore.Query().Where(healthscore.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading current scores: %w", err)
	}
	for _, sc := range rows {
		out[sc.AccountID] = sc
	}
	return out, nil
}

// latestSignals reads, for the accounts ids, what model m needs to score
// them at now: per account and kind the signals at the latest observation
// time up to now+MaxClockSkew, if that time lies within the kind's
// freshness window. One query whatever the number of accounts; m.Score
// picks from the result exactly what it would pick from all the signals.
func latestSignals(ctx context.Context, tx *ent.Client, m health.Model, now time.Time, ids []int) (map[int][]health.Signal, error) {
	upper := now.Add(health.MaxClockSkew)
	windows := make([]predicate.HealthSignal, 0, len(m.Measures))
	for _, ms := range m.Measures {
		windows = append(windows, healthsignal.And(
			healthsignal.KindEQ(healthsignal.Kind(ms.Kind)),
			healthsignal.ObservedAtGT(now.Add(-ms.EffectiveFreshness())),
		))
	}
	latest := func(s *entsql.Selector) {
		l := entsql.Table(healthsignal.Table).As("latest")
		s.Where(entsql.In(s.C(healthsignal.FieldObservedAt),
			entsql.Select(entsql.Max(l.C(healthsignal.FieldObservedAt))).From(l).Where(entsql.And(
				entsql.ColumnsEQ(l.C(healthsignal.FieldAccountID), s.C(healthsignal.FieldAccountID)),
				entsql.ColumnsEQ(l.C(healthsignal.FieldKind), s.C(healthsignal.FieldKind)),
				entsql.LTE(l.C(healthsignal.FieldObservedAt), upper),
			))))
	}
	rows, err := tx.HealthSignal.Query().
		Where(healthsignal.AccountIDIn(ids...), healthsignal.Or(windows...), healthsignal.ObservedAtLTE(upper), latest).
		Select(healthsignal.FieldAccountID, healthsignal.FieldKind, healthsignal.FieldValue, healthsignal.FieldObservedAt).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading latest signals: %w", err)
	}
	out := make(map[int][]health.Signal, len(ids))
	for _, r := range rows {
		out[r.AccountID] = append(out[r.AccountID], health.Signal{Kind: string(r.Kind), Value: r.Value, ObservedAt: r.ObservedAt})
	}
	return out, nil
}

// rescore scores the accounts ids (sorted, locked) with m at now, inserts a
// score for each that has fresh data, and points those accounts at their
// new score: four statements whatever the number of accounts. current holds
// the accounts' latest scores (for the trend). It returns the new scores by
// account. An account without any fresh signal gets no score and keeps its
// latest one: the model cannot score it.
func (s *Service) rescore(ctx context.Context, tx *ent.Client, m health.Model, now time.Time, ids []int, current map[int]*ent.HealthScore) (map[int]*ent.HealthScore, error) {
	out := make(map[int]*ent.HealthScore, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	signals, err := latestSignals(ctx, tx, m, now, ids)
	if err != nil {
		return nil, err
	}
	creates := make([]*ent.HealthScoreCreate, 0, len(ids))
	for _, id := range ids {
		r := m.Score(signals[id], now)
		if !r.Scored {
			continue
		}
		c := tx.HealthScore.Create().SetAccountID(id).SetScore(r.Score).SetBand(healthscore.Band(r.Band)).
			SetCoverage(r.Coverage).SetModelVersion(r.ModelVersion).SetComponents(r.Components).SetComputedAt(now)
		if prev := current[id]; prev != nil {
			c.SetPreviousScore(prev.Score).SetPreviousBand(healthscore.PreviousBand(prev.Band))
		}
		creates = append(creates, c)
	}
	if len(creates) == 0 {
		return out, nil
	}
	scores, err := tx.HealthScore.CreateBulk(creates...).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("storing health scores: %w", err)
	}
	accountIDs := make([]int, len(scores))
	for i, sc := range scores {
		out[sc.AccountID] = sc
		accountIDs[i] = sc.AccountID
	}
	// One UPDATE for all: health_score_id = CASE id WHEN a THEN s … END.
	// The ids are integers the database gave, written as literals so that
	// PostgreSQL types the CASE as an integer.
	pointers := entsql.ExprFunc(func(b *entsql.Builder) {
		b.WriteString("CASE ").Ident(account.FieldID)
		for _, sc := range scores {
			b.WriteString(" WHEN " + strconv.Itoa(sc.AccountID) + " THEN " + strconv.Itoa(sc.ID))
		}
		b.WriteString(" END")
	})
	err = tx.Account.Update().Where(account.IDIn(accountIDs...)).
		Modify(func(u *entsql.UpdateBuilder) { u.Set(account.FieldHealthScoreID, pointers) }).
		Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("pointing accounts at their new scores: %w", err)
	}
	return out, nil
}
