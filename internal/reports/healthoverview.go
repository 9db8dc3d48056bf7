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
	"github.com/opsgraph/opsgraph/ent/latesthealthsignal"
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
// (none: unscored) and those whose latest score is fresh, in one query. It
// reads the copies of the latest score's band and time kept on accounts
// (health_band, health_computed_at) rather than joining health_scores.
func (r *HealthOverviewReport) tally(ctx context.Context) (bandTally, error) {
	return r.bands.get(ctx, func(ctx context.Context) (bandTally, error) {
		var rows []struct {
			Band  *string `sql:"band"`
			N     int     `sql:"n"`
			Fresh int     `sql:"fresh"`
		}
		since := r.now.Add(-scoreFreshness(r.s.model))
		err := r.s.client.Account.Query().Where(notChurned).Modify(func(s *entsql.Selector) {
			s.Select(entsql.As(s.C(account.FieldHealthBand), "band")).
				AppendSelectExprAs(entsql.Expr("COUNT(*)"), "n").
				AppendSelectExprAs(sumIf(after(s, s.C(account.FieldHealthComputedAt), since)), "fresh").
				GroupBy(s.C(account.FieldHealthBand))
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
// signal of the kind. The latest signal is the one latest_health_signals
// keeps per account and kind (the database maintains it on every signal
// insert). Ingest refuses signals observed more than health.MaxClockSkew
// after its clock, so, unlike scoring, the report does not have to leave
// such signals out: no signal stored through the product is later than
// that.
//
// One query, which does not wait for the band tally: the latest signals of
// the non-churned accounts counted per kind, and a row with the number of
// non-churned accounts (UNION ALL), for missing. It reads the latest
// signals alone, leaving out those of churned accounts (NOT EXISTS: an
// anti-join with the ~10% churned accounts) rather than joining every
// account to them: at 100k accounts on PostgreSQL the join, which hashes
// the 470k latest rows, took 375–400 ms against ~230 ms.
func (r *HealthOverviewReport) Signals(ctx context.Context) ([]*SignalFreshness, error) {
	ms := r.s.model.Measures
	if len(ms) == 0 {
		return []*SignalFreshness{}, nil
	}
	var counts []struct {
		Kind  *string `sql:"kind"`
		N     int     `sql:"n"`
		Stale int     `sql:"stale"`
		Total int     `sql:"total"`
	}
	// The population count is read around the ent query (the UNION's
	// second branch), so a CSM's book is applied to it explicitly; the
	// latest signals' branch is the ent query, which has it.
	scope, err := rows.AccountScope(ctx, r.s.client)
	if err != nil {
		return nil, err
	}
	churned := latesthealthsignal.HasAccountWith(account.LifecycleStageEQ(account.LifecycleStageCHURNED))
	err = r.s.client.LatestHealthSignal.Query().Where(latesthealthsignal.Not(churned)).Modify(func(s *entsql.Selector) {
		kind, at := s.C(latesthealthsignal.FieldKind), s.C(latesthealthsignal.FieldObservedAt)
		// CASE kind WHEN k THEN observed_at <= now − freshness(k) … END
		stale := entsql.P(func(b *entsql.Builder) {
			b.WriteString("CASE " + kind)
			for _, m := range ms {
				b.WriteString(" WHEN ").Arg(m.Kind).WriteString(" THEN " + at + " <= ").
					Arg(timeArg(s, r.now.Add(-m.EffectiveFreshness()), false))
			}
			b.WriteString(" END")
		})
		pop := entsql.Dialect(s.Dialect()).Table(account.Table).As("pop")
		where := []*entsql.Predicate{entsql.NEQ(pop.C(account.FieldLifecycleStage), account.LifecycleStageCHURNED)}
		if scope != nil {
			where = append(where, scope(s, pop.C(account.FieldID)))
		}
		total := entsql.Dialect(s.Dialect()).Select().
			AppendSelectExprAs(entsql.Expr("NULL"), "kind").
			AppendSelectExprAs(entsql.Expr("0"), "n").
			AppendSelectExprAs(entsql.Expr("0"), "stale").
			AppendSelectExprAs(entsql.Expr("COUNT(*)"), "total").
			From(pop).Where(entsql.And(where...))
		s.Select(entsql.As(kind, "kind")).
			AppendSelectExprAs(entsql.Expr("COUNT(*)"), "n").
			AppendSelectExprAs(sumIf(stale), "stale").
			AppendSelectExprAs(entsql.Expr("0"), "total").
			GroupBy(kind).
			UnionAll(total)
	}).Scan(ctx, &counts)
	if err != nil {
		return nil, fmt.Errorf("reports: signal freshness: %w", err)
	}
	type count struct{ with, stale int }
	byKind := make(map[string]count, len(counts))
	total := 0
	for _, row := range counts {
		total += row.Total
		if row.Kind != nil {
			byKind[*row.Kind] = count{row.N, row.Stale}
		}
	}
	out := make([]*SignalFreshness, len(ms))
	for i, m := range ms {
		c := byKind[m.Kind]
		out[i] = &SignalFreshness{Kind: healthsignal.Kind(m.Kind), Stale: c.stale, Missing: total - c.with}
	}
	return out, nil
}

// Movers are the non-churned accounts whose latest score is lower than the
// score before it (HealthScore.previous_score), by at least 0.1 after
// rounding the change to 0.1 like the health trend; the largest drop
// first, ties by account id. One query of the accounts, which carry copies
// of their latest score (health_current_score, health_previous_score,
// health_computed_at).
func (r *HealthOverviewReport) Movers(ctx context.Context) ([]*HealthMover, error) {
	accounts, err := r.s.client.Account.Query().Where(notChurned).Modify(func(s *entsql.Selector) {
		prev, score := s.C(account.FieldHealthPreviousScore), s.C(account.FieldHealthCurrentScore)
		drop := "ROUND((" + prev + " - " + score + ") * 10)"
		s.Where(entsql.And(entsql.NotNull(prev), entsql.NotNull(score), entsql.P(func(b *entsql.Builder) { b.WriteString(drop + " >= 1") }))).
			OrderExpr(entsql.Expr(drop + " DESC")).OrderBy(s.C(account.FieldID)).
			Limit(r.moversLimit)
	}).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reports: health movers: %w", err)
	}
	out := make([]*HealthMover, 0, len(accounts))
	for _, a := range accounts {
		if a.HealthPreviousScore == nil || a.HealthCurrentScore == nil || a.HealthComputedAt == nil {
			return nil, fmt.Errorf("reports: mover account %d has no latest score", a.ID)
		}
		prev, score := *a.HealthPreviousScore, *a.HealthCurrentScore
		out = append(out, &HealthMover{
			Account:       a,
			PreviousScore: prev,
			Score:         score,
			Change:        -math.Round((prev-score)*10) / 10,
			ComputedAt:    *a.HealthComputedAt,
		})
	}
	return out, nil
}
