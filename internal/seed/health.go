package seed

import (
	"math"
	"time"

	"github.com/opsgraph/opsgraph/ent/healthscore"
	"github.com/opsgraph/opsgraph/ent/healthsignal"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/health"
)

// signalKind indexes signalKinds.
type signalKind int

const (
	sigUsage signalKind = iota
	sigActiveUsers
	sigTickets
	sigNPS
	sigCSAT
	sigUptime
)

// signalKinds describes each health signal kind: where it comes from, how
// often it is observed and how many accounts report it at all. The values
// are what the health model (health.DefaultModel) reads.
var signalKinds = []struct {
	kind     healthsignal.Kind
	source   string
	cadence  time.Duration
	presence float64
}{
	sigUsage:       {healthsignal.KindPRODUCT_USAGE, "product-analytics", day, 0.95},
	sigActiveUsers: {healthsignal.KindACTIVE_USERS, "product-analytics", week, 0.9},
	sigTickets:     {healthsignal.KindSUPPORT_TICKETS, "zendesk", day, 0.85},
	sigNPS:         {healthsignal.KindNPS, "survey-nps", 30 * day, 0.5},
	sigCSAT:        {healthsignal.KindCSAT, "zendesk", 14 * day, 0.7},
	sigUptime:      {healthsignal.KindTELEMETRY_UPTIME, "telemetry-pipeline", day, 0.8},
}

// HealthModel is the model the seeded scores are computed with: the
// default, stored as version 1 on an empty database.
func HealthModel() health.Model { return health.DefaultModel() }

type signalRow struct {
	account  int
	kind     signalKind
	value    float64
	observed time.Time
	source   string
	run      int // the delivery (generator.runs) that brought it
}

type scoreRow struct {
	account         int
	score, coverage float64
	band            string
	components      []schematype.ScoreComponent
	previous        *scoreRow
	computed        time.Time
}

// signalValue draws one observation of kind k for an account: values follow
// the account's latent health.
//
//	PRODUCT_USAGE     0–100 (% of licensed capacity in use)
//	ACTIVE_USERS      0–100 (% of licensed seats active)
//	SUPPORT_TICKETS   open tickets
//	NPS               -100–100
//	CSAT              1–5
//	TELEMETRY_UPTIME  % over the period, mostly 99–100
func (g *generator) signalValue(k signalKind, a *accountRow) float64 {
	h := clamp(a.health+g.uniform(-0.08, 0.08), 0, 1)
	switch k {
	case sigUsage:
		return round1(100 * h)
	case sigActiveUsers:
		return round1(100 * clamp(h+g.uniform(-0.1, 0.1), 0.02, 1))
	case sigTickets:
		return math.Round((1 - h) * 16 * g.uniform(0.5, 1.5) * []float64{0.6, 1, 1.6}[a.segIdx])
	case sigNPS:
		return math.Round(-100 + 200*h)
	case sigCSAT:
		return round1(1 + 4*h)
	default:
		v := 100 - (1-h)*g.uniform(0, 1.2)
		if g.chance(0.03) {
			v -= g.uniform(1, 5) // an outage
		}
		return math.Round(v*1000) / 1000
	}
}

// Band returns the band of a score under the seeded model: GREEN ≥ 70,
// YELLOW 40–69, RED < 40.
func Band(score float64) healthscore.Band {
	return healthscore.Band(HealthModel().Bands.Band(score))
}

// run returns the index of the first delivery at or after t.
func (g *generator) run(t time.Time) int {
	for i, r := range g.runs {
		if !t.After(r) {
			return i
		}
	}
	return len(g.runs) - 1
}

func (g *generator) signalsAndScores(c *chunk, ai int) {
	a := &c.accounts[ai]
	first := len(c.signals)
	staleAll := g.chance(0.03)
	staleKind := signalKind(none)
	if g.chance(0.1) {
		staleKind = signalKind(g.intn(len(signalKinds)))
	}
	for k, sk := range signalKinds {
		k := signalKind(k)
		if !g.chance(sk.presence) {
			continue // this account has no signals of this kind
		}
		var t time.Time
		if staleAll || k == staleKind {
			t = g.now.Add(-g.days(21, 90)).Add(-g.dur(0, day)) // stale
		} else {
			t = g.now.Add(-g.dur(0, min(sk.cadence, 2*day)))
		}
		t = t.Truncate(time.Minute)
		for i := range g.between(g.prof.obsMin, g.prof.obsMax) {
			if i > 0 {
				t = t.Add(-sk.cadence - g.dur(0, sk.cadence/4)).Truncate(time.Minute)
			}
			v := g.signalValue(k, a)
			// Only what was observed once the account was entered.
			if t.After(a.created.Add(day)) {
				c.signals = append(c.signals, signalRow{account: ai, kind: k, value: v, observed: t, source: sk.source, run: g.run(t)})
			}
		}
	}

	// Scores: at each delivery, the accounts that got a new signal are
	// scored with the signals stored by then (what scoring.Ingest does).
	m := HealthModel()
	signals := c.signals[first:]
	var prev *scoreRow
	for ri, at := range g.runs {
		fresh := false
		var in []health.Signal
		for _, s := range signals {
			if s.run == ri {
				fresh = true
			}
			if s.run <= ri {
				in = append(in, health.Signal{Kind: string(signalKinds[s.kind].kind), Value: s.value, ObservedAt: s.observed})
			}
		}
		if !fresh {
			continue
		}
		r := m.Score(in, at)
		if !r.Scored {
			continue
		}
		s := scoreRow{account: ai, score: r.Score, band: r.Band, coverage: r.Coverage, components: r.Components, previous: prev, computed: at}
		c.scores = append(c.scores, s)
		prev = &s
	}
}
