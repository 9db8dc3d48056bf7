package seed

import (
	"math"
	"time"

	"github.com/opsgraph/opsgraph/ent/healthscore"
	"github.com/opsgraph/opsgraph/ent/healthsignal"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
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
// often it is observed, how many accounts report it at all, and its weight in
// the version 1 health model the seeded scores were computed with.
var signalKinds = []struct {
	kind     healthsignal.Kind
	source   string
	cadence  time.Duration
	presence float64
	weight   float64
}{
	sigUsage:       {healthsignal.KindPRODUCT_USAGE, "product-analytics", day, 0.95, 0.30},
	sigActiveUsers: {healthsignal.KindACTIVE_USERS, "product-analytics", week, 0.9, 0.20},
	sigTickets:     {healthsignal.KindSUPPORT_TICKETS, "zendesk", week, 0.85, 0.15},
	sigNPS:         {healthsignal.KindNPS, "survey-nps", 30 * day, 0.5, 0.15},
	sigCSAT:        {healthsignal.KindCSAT, "zendesk", 14 * day, 0.7, 0.10},
	sigUptime:      {healthsignal.KindTELEMETRY_UPTIME, "telemetry-pipeline", day, 0.8, 0.10},
}

// ModelVersion is the health model version the seeded scores claim.
const ModelVersion = 1

// signalValue draws one observation of kind k for an account: values follow
// the account's latent health.
//
//	PRODUCT_USAGE     0–100 (% of licensed capacity in use)
//	ACTIVE_USERS      count
//	SUPPORT_TICKETS   open tickets
//	NPS               -100–100
//	CSAT              1–5
//	TELEMETRY_UPTIME  % over the period, mostly 98–100
func (g *generator) signalValue(k signalKind, a *accountRow) float64 {
	h := clamp(a.health+g.uniform(-0.08, 0.08), 0, 1)
	switch k {
	case sigUsage:
		return round1(100 * h)
	case sigActiveUsers:
		return math.Round(a.users * clamp(h+g.uniform(-0.1, 0.1), 0.05, 1.2))
	case sigTickets:
		return math.Round((1 - h) * 20 * g.uniform(0.5, 1.5) * []float64{0.6, 1, 1.6}[a.segIdx])
	case sigNPS:
		return math.Round(-100 + 200*h)
	case sigCSAT:
		return round1(1 + 4*h)
	default:
		v := 100 - (1-h)*g.uniform(0, 2)
		if g.chance(0.03) {
			v -= g.uniform(1, 5) // an outage
		}
		return math.Round(v*1000) / 1000
	}
}

// componentScore normalises a signal value to 0–100 the way model version 1
// does (ACTIVE_USERS against the account's expected user base).
func componentScore(k signalKind, v float64, a *accountRow) float64 {
	switch k {
	case sigUsage:
		return clamp(v, 0, 100)
	case sigActiveUsers:
		return clamp(100*v/a.users, 0, 100)
	case sigTickets:
		return clamp(100-5*v, 0, 100)
	case sigNPS:
		return clamp((v+100)/2, 0, 100)
	case sigCSAT:
		return clamp((v-1)/4*100, 0, 100)
	default:
		return clamp((v-95)/5*100, 0, 100)
	}
}

// Band returns the band of a score: GREEN ≥ 70, YELLOW 40–69, RED < 40.
func Band(score float64) healthscore.Band {
	switch {
	case score >= 70:
		return healthscore.BandGREEN
	case score >= 40:
		return healthscore.BandYELLOW
	}
	return healthscore.BandRED
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
			c.signals = append(c.signals, signalRow{
				account: ai, kind: k, value: g.signalValue(k, a), observed: t,
				ingested: g.past(t.Add(g.dur(time.Minute, 2*time.Hour))), source: sk.source,
			})
			a.created = minTime(a.created, t.Add(-day))
		}
	}
	signals := c.signals[first:]

	// Scores: a weekly history, oldest first, each computed from the signals
	// that were fresh at the time. A computation without any fresh signal is
	// skipped, as the model would; an account whose signals are all stale
	// keeps the score computed when they were last fresh.
	n := g.between(1, 4)
	times := make([]time.Time, n)
	for i := range n {
		times[n-1-i] = g.now.Add(-g.dur(0, 36*time.Hour)).Add(-time.Duration(i) * week).Truncate(time.Minute)
	}
	scored := false
	for _, at := range times {
		if s, ok := score(a, ai, signals, at); ok {
			c.scores = append(c.scores, s)
			scored = true
		}
	}
	if !scored && len(signals) > 0 {
		var last time.Time
		for _, s := range signals {
			last = maxTime(last, s.observed)
		}
		if s, ok := score(a, ai, signals, g.past(last.Add(g.dur(time.Hour, 2*day))).Truncate(time.Minute)); ok {
			c.scores = append(c.scores, s)
		}
	}
}

// score computes account a's score at time at from its signals with model
// version 1; ok is false when no signal was fresh then.
func score(a *accountRow, ai int, signals []signalRow, at time.Time) (scoreRow, bool) {
	var total, covered, sum float64
	comps := make([]schematype.ScoreComponent, 0, len(signalKinds))
	for k, sk := range signalKinds {
		k := signalKind(k)
		total += sk.weight
		comp := schematype.ScoreComponent{Kind: string(sk.kind), Weight: sk.weight}
		var latest *signalRow
		for i := range signals {
			s := &signals[i]
			if s.kind == k && !s.observed.After(at) && (latest == nil || s.observed.After(latest.observed)) {
				latest = s
			}
		}
		if latest != nil && at.Sub(latest.observed) <= freshWindow {
			score := round1(componentScore(k, latest.value, a))
			comp.Fresh, comp.Value, comp.Score = true, ptr(latest.value), ptr(score)
			covered += sk.weight
			sum += sk.weight * score
		}
		comps = append(comps, comp)
	}
	if covered == 0 {
		return scoreRow{}, false
	}
	score := round1(sum / covered)
	return scoreRow{
		account: ai, score: score, band: string(Band(score)),
		coverage: math.Round(covered/total*1000) / 1000, components: comps, computed: at,
	}, true
}
