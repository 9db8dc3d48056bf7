package health

import (
	"math"
	"time"

	"github.com/opsgraph/opsgraph/ent/schema/schematype"
)

// MaxClockSkew is how far in the future of now a signal's ObservedAt may be
// and still count (source clocks drift). Signals observed later than
// now+MaxClockSkew are ignored entirely: they are neither fresh nor latest.
const MaxClockSkew = 5 * time.Minute

// Signal is one observation of an account's health.
type Signal struct {
	Kind       string
	Value      float64
	ObservedAt time.Time
}

// Result is one computation of an account's health by a model.
type Result struct {
	// Score is the weighted score over the fresh measures, 0–100, rounded to
	// 0.1; 0 when not Scored.
	Score float64
	// Band is the band of the rounded Score; empty when not Scored.
	Band string
	// Coverage is the share of the model's total weight whose measures had a
	// fresh signal, 0–1.
	Coverage float64
	// ModelVersion is the Version of the model that computed the result.
	ModelVersion int
	// Components has one entry per measure, in model order. Value and Score
	// are set only when the measure was fresh; Score is unrounded.
	Components []schematype.ScoreComponent
	// Scored is false when no measure was fresh (Coverage 0): there is no
	// score and no band.
	Scored bool
}

// round1 rounds to one decimal place, halves away from zero.
func round1(x float64) float64 { return math.Round(x*10) / 10 }

// Score computes the health of one account from its signals at time now.
//
// For each measure it takes the latest signal of the measure's kind that is
// fresh: now−freshness < ObservedAt <= now+MaxClockSkew. The lower bound is
// exclusive — a signal exactly Freshness old is stale. If two fresh signals of
// a kind share the latest ObservedAt the higher Value wins, so the result
// never depends on the order of signals. Signals with a NaN or infinite Value,
// or of a kind the model does not read, are ignored.
//
// Stale and missing measures are excluded and the weights of the rest
// renormalised: Score = Σ weight·score / Σ weight over fresh measures. The
// score is rounded to 0.1 and the band taken from the rounded score.
//
// Score expects a valid model (see Validate).
func (m Model) Score(signals []Signal, now time.Time) Result {
	res := Result{ModelVersion: m.Version, Components: make([]schematype.ScoreComponent, 0, len(m.Measures))}
	var totalWeight, freshWeight, weighted float64
	for _, ms := range m.Measures {
		totalWeight += ms.Weight
		comp := schematype.ScoreComponent{Kind: ms.Kind, Weight: ms.Weight}
		if sig, ok := latestFresh(signals, ms.Kind, now.Add(-ms.EffectiveFreshness()), now.Add(MaxClockSkew)); ok {
			v, s := sig.Value, ms.normalise(sig.Value)
			comp.Value, comp.Score, comp.Fresh = &v, &s, true
			freshWeight += ms.Weight
			weighted += ms.Weight * s
		}
		res.Components = append(res.Components, comp)
	}
	if freshWeight <= 0 || totalWeight <= 0 {
		return res
	}
	res.Scored = true
	res.Coverage = math.Min(1, freshWeight/totalWeight)
	res.Score = math.Max(0, math.Min(100, round1(weighted/freshWeight)))
	res.Band = m.Bands.Band(res.Score)
	return res
}

// latestFresh returns the latest signal of kind with after < ObservedAt <=
// notAfter, breaking ties on ObservedAt by the higher Value.
func latestFresh(signals []Signal, kind string, after, notAfter time.Time) (Signal, bool) {
	var best Signal
	found := false
	for _, s := range signals {
		if s.Kind != kind || !finite(s.Value) || !s.ObservedAt.After(after) || s.ObservedAt.After(notAfter) {
			continue
		}
		if !found || s.ObservedAt.After(best.ObservedAt) ||
			(s.ObservedAt.Equal(best.ObservedAt) && s.Value > best.Value) {
			best, found = s, true
		}
	}
	return best, found
}

// Trend directions.
const (
	TrendUp   = "UP"
	TrendDown = "DOWN"
	TrendFlat = "FLAT"
)

// Delta is the trend of a score versus the previous one.
type Delta struct {
	// Comparable is true when both results exist and are Scored; the other
	// fields except FromBand/ToBand are meaningful only then.
	Comparable bool
	// Change is current.Score − previous.Score, rounded to 0.1.
	Change float64
	// Direction is UP, DOWN or FLAT (Change 0); empty when not Comparable.
	Direction string
	// FromBand and ToBand are the previous and current bands ("" when absent
	// or not Scored).
	FromBand, ToBand string
	// BandChanged is true when Comparable and the bands differ.
	BandChanged bool
	// ModelChanged is true when Comparable and the results were computed by
	// different model versions (the change may come from the model).
	ModelChanged bool
}

// Trend compares the current result with the previous one; either may be nil
// (no score yet).
func Trend(current, previous *Result) Delta {
	var d Delta
	if current != nil && current.Scored {
		d.ToBand = current.Band
	}
	if previous != nil && previous.Scored {
		d.FromBand = previous.Band
	}
	if d.ToBand == "" || d.FromBand == "" {
		return d
	}
	d.Comparable = true
	d.Change = round1(current.Score - previous.Score)
	switch {
	case d.Change > 0:
		d.Direction = TrendUp
	case d.Change < 0:
		d.Direction = TrendDown
	default:
		d.Change = 0 // no -0
		d.Direction = TrendFlat
	}
	d.BandChanged = d.FromBand != d.ToBand
	d.ModelChanged = current.ModelVersion != previous.ModelVersion
	return d
}
