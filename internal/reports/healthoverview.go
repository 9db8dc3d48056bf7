package reports

import (
	"context"
	"fmt"
	"math"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/healthscore"
	"github.com/opsgraph/opsgraph/ent/healthsignal"
	"github.com/opsgraph/opsgraph/internal/health"
	"github.com/opsgraph/opsgraph/internal/rows"
)

// Movers listed by the health overview.
const (
	DefaultMoversLimit = 20
	MaxMoversLimit     = 100
)

// Bands lists the health bands in report order.
var Bands = []healthscore.Band{healthscore.BandGREEN, healthscore.BandYELLOW, healthscore.BandRED}

// HealthOverviewReport is the health of the non-churned accounts (those
// whose lifecycle stage is not CHURNED) at one instant. Each part is one
// aggregate query, run when selected; byBand, unscored and coverage share
// one.
type HealthOverviewReport struct {
	s           *Service
	now         time.Time
	moversLimit int
	bands       lazy[bandTally]
}

// HealthBandCount is the number of accounts in one band.
type HealthBandCount struct {
	Band     healthscore.Band `json:"band"`
	Accounts int              `json:"accounts"`
}

// SignalFreshness is the freshness of one signal kind.
type SignalFreshness struct {
	Kind    healthsignal.Kind `json:"kind"`
	Stale   int               `json:"stale"`
	Missing int               `json:"missing"`
}

// HealthMover is an account whose latest score dropped.
type HealthMover struct {
	Account       *ent.Account `json:"account"`
	PreviousScore float64      `json:"previousScore"`
	Score         float64      `json:"score"`
	Change        float64      `json:"change"`
	ComputedAt    time.Time    `json:"computedAt"`
}

// HealthOverview returns the health overview as of now, listing up to
// moversLimit movers (nil: DefaultMoversLimit; 1..MaxMoversLimit).
func (s *Service) HealthOverview(moversLimit *int) (*HealthOverviewReport, error) {
	n, err := intArg("moversLimit", moversLimit, DefaultMoversLimit, 1, MaxMoversLimit)
	if err != nil {
		return nil, err
	}
	return &HealthOverviewReport{s: s, now: s.now(), moversLimit: n}, nil
}

// scoreFreshness is the freshness window of a score: the shortest
// freshness of the model's measures (health.DefaultFreshness for a model
// without measures). A score computed longer ago than that may rest on a
// signal that is no longer fresh.
func scoreFreshness(m health.Model) time.Duration {
	w := time.Duration(0)
	for _, ms := range m.Measures {
		if f := ms.EffectiveFreshness(); w == 0 || f < w {
			w = f
		}
	}
	if w == 0 {
		return health.DefaultFreshness
	}
	return w
}

// notChurned is the population of the report.
var notChurned = account.LifecycleStageNEQ(account.LifecycleStageCHURNED)

// bandTally is the result of the statement byBand, unscored and coverage
// share.
type bandTally struct {
	accounts map[healthscore.Band]int
	unscored int
	fresh    int
	total    int
}

// tally counts the non-churned accounts per band of their latest score
// (none: unscored) and those whose latest score is fresh, in one query.
func (r *HealthOverviewReport) tally(ctx context.Context) (bandTally, error) {
	return r.bands.get(ctx, func(ctx context.Context) (bandTally, error) {
		var rows []struct {
			Band  *string `sql:"band"`
			N     int     `sql:"n"`
			Fresh int     `sql:"fresh"`
		}
		since := r.now.Add(-scoreFreshness(r.s.model))
		err := r.s.client.Account.Query().Where(notChurned).Modify(func(s *entsql.Selector) {
			hs := entsql.Dialect(s.Dialect()).Table(healthscore.Table).As("hs")
			s.LeftJoin(hs).On(s.C(account.FieldHealthScoreID), hs.C(healthscore.FieldID))
			s.Select(entsql.As(hs.C(healthscore.FieldBand), "band")).
				AppendSelectExprAs(entsql.Expr("COUNT(*)"), "n").
				AppendSelectExprAs(sumIf(after(s, hs.C(healthscore.FieldComputedAt), since)), "fresh").
				GroupBy(hs.C(healthscore.FieldBand))
		}).Scan(ctx, &rows)
		if err != nil {
			return bandTally{}, fmt.Errorf("reports: health bands: %w", err)
		}
		t := bandTally{accounts: map[healthscore.Band]int{}}
		for _, row := range rows {
			t.total += row.N
			t.fresh += row.Fresh
			if row.Band == nil {
				t.unscored += row.N
			} else {
				t.accounts[healthscore.Band(*row.Band)] += row.N
			}
		}
		return t, nil
	})
}

// ByBand is the number of non-churned accounts per band of their latest
// score, every band listed (GREEN, YELLOW, RED).
func (r *HealthOverviewReport) ByBand(ctx context.Context) ([]*HealthBandCount, error) {
	t, err := r.tally(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*HealthBandCount, len(Bands))
	for i, b := range Bands {
		out[i] = &HealthBandCount{Band: b, Accounts: t.accounts[b]}
	}
	return out, nil
}

// Unscored is the number of non-churned accounts without a score.
func (r *HealthOverviewReport) Unscored(ctx context.Context) (int, error) {
	t, err := r.tally(ctx)
	return t.unscored, err
}

// Coverage is the share of the non-churned accounts whose latest score was
// computed less than scoreFreshness ago.
func (r *HealthOverviewReport) Coverage(ctx context.Context) (*Completeness, error) {
	t, err := r.tally(ctx)
	if err != nil {
		return nil, err
	}
	return Share(t.fresh, t.total), nil
}

// Signals is, per kind the model reads (in model order), the number of
// non-churned accounts whose latest signal of the kind is stale (observed
// at or before now minus the measure's freshness) and the number with no
// signal of the kind. As in scoring, signals observed more than
// health.MaxClockSkew after now are ignored. One query: the latest signal
// per account and kind, counted per kind.
func (r *HealthOverviewReport) Signals(ctx context.Context) ([]*SignalFreshness, error) {
	t, err := r.tally(ctx)
	if err != nil {
		return nil, err
	}
	ms := r.s.model.Measures
	if len(ms) == 0 {
		return []*SignalFreshness{}, nil
	}
	kinds := make([]any, len(ms))
	for i, m := range ms {
		kinds[i] = m.Kind
	}
	var counts []struct {
		Kind  string `sql:"kind"`
		N     int    `sql:"n"`
		Stale int    `sql:"stale"`
	}
	// The latest signals are read around the ent query (a subquery), so a
	// CSM's book is applied to them explicitly: the outer accounts query
	// has it anyway, but without it the subquery groups every signal.
	scope, err := rows.AccountScope(ctx, r.s.client)
	if err != nil {
		return nil, err
	}
	err = r.s.client.Account.Query().Where(notChurned).Modify(func(s *entsql.Selector) {
		sig := entsql.Dialect(s.Dialect()).Table(healthsignal.Table)
		where := []*entsql.Predicate{
			entsql.In(sig.C(healthsignal.FieldKind), kinds...),
			atOrBefore(s, sig.C(healthsignal.FieldObservedAt), r.now.Add(health.MaxClockSkew)),
		}
		if scope != nil {
			where = append(where, scope(s, sig.C(healthsignal.FieldAccountID)))
		}
		latest := entsql.Dialect(s.Dialect()).
			Select(sig.C(healthsignal.FieldAccountID), sig.C(healthsignal.FieldKind)).
			AppendSelectExprAs(entsql.Expr("MAX("+sig.C(healthsignal.FieldObservedAt)+")"), "latest").
			From(sig).
			Where(entsql.And(where...)).
			GroupBy(sig.C(healthsignal.FieldAccountID), sig.C(healthsignal.FieldKind)).
			As("ls")
		stale := make([]*entsql.Predicate, len(ms))
		for i, m := range ms {
			stale[i] = entsql.And(
				entsql.EQ(latest.C(healthsignal.FieldKind), m.Kind),
				atOrBefore(s, latest.C("latest"), r.now.Add(-m.EffectiveFreshness())),
			)
		}
		s.Join(latest).On(s.C(account.FieldID), latest.C(healthsignal.FieldAccountID))
		s.Select(entsql.As(latest.C(healthsignal.FieldKind), "kind")).
			AppendSelectExprAs(entsql.Expr("COUNT(*)"), "n").
			AppendSelectExprAs(sumIf(entsql.Or(stale...)), "stale").
			GroupBy(latest.C(healthsignal.FieldKind))
	}).Scan(ctx, &counts)
	if err != nil {
		return nil, fmt.Errorf("reports: signal freshness: %w", err)
	}
	type count struct{ with, stale int }
	byKind := make(map[string]count, len(counts))
	for _, row := range counts {
		byKind[row.Kind] = count{row.N, row.Stale}
	}
	out := make([]*SignalFreshness, len(ms))
	for i, m := range ms {
		c := byKind[m.Kind]
		out[i] = &SignalFreshness{Kind: healthsignal.Kind(m.Kind), Stale: c.stale, Missing: t.total - c.with}
	}
	return out, nil
}

// Movers are the non-churned accounts whose latest score is lower than the
// score before it (HealthScore.previous_score), by at least 0.1 after
// rounding the change to 0.1 like the health trend; the largest drop
// first, ties by account id. Two queries: the drops (only the score
// columns), then their accounts.
func (r *HealthOverviewReport) Movers(ctx context.Context) ([]*HealthMover, error) {
	var rows []struct {
		AccountID     int       `sql:"account_id"`
		Score         float64   `sql:"score"`
		PreviousScore float64   `sql:"previous_score"`
		ComputedAt    time.Time `sql:"computed_at"`
	}
	err := r.s.client.Account.Query().Where(notChurned).Modify(func(s *entsql.Selector) {
		hs := entsql.Dialect(s.Dialect()).Table(healthscore.Table).As("hs")
		prev, score := hs.C(healthscore.FieldPreviousScore), hs.C(healthscore.FieldScore)
		drop := "ROUND((" + prev + " - " + score + ") * 10)"
		s.Join(hs).On(s.C(account.FieldHealthScoreID), hs.C(healthscore.FieldID)).
			Where(entsql.And(entsql.NotNull(prev), entsql.P(func(b *entsql.Builder) { b.WriteString(drop + " >= 1") }))).
			Select(
				entsql.As(s.C(account.FieldID), "account_id"), entsql.As(score, "score"),
				entsql.As(prev, "previous_score"), entsql.As(hs.C(healthscore.FieldComputedAt), "computed_at"),
			).
			OrderExpr(entsql.Expr(drop + " DESC")).OrderBy(s.C(account.FieldID)).
			Limit(r.moversLimit)
	}).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("reports: health movers: %w", err)
	}
	ids := make([]int, len(rows))
	for i, row := range rows {
		ids[i] = row.AccountID
	}
	accounts, err := accountsByID(ctx, r.s.client, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*HealthMover, 0, len(rows))
	for _, row := range rows {
		a, ok := accounts[row.AccountID]
		if !ok {
			return nil, fmt.Errorf("reports: mover account %d not found", row.AccountID)
		}
		out = append(out, &HealthMover{
			Account:       a,
			PreviousScore: row.PreviousScore,
			Score:         row.Score,
			Change:        -math.Round((row.PreviousScore-row.Score)*10) / 10,
			ComputedAt:    row.ComputedAt,
		})
	}
	return out, nil
}
