// Package health is the versioned account health model: a pure domain
// component (no database) that turns health signals into a 0–100 score, a
// GREEN/YELLOW/RED band and a per-measure breakdown.
//
// The model follows the scorecard pattern (Gainsight): weighted measures, each
// normalised to 0–100, with bands on the weighted score. Missing or stale
// measures are excluded and the remaining weights renormalised (Totango's
// missing-value exclusion), and Coverage reports how much of the model's weight
// was actually backed by fresh data.
//
// The model is data: it is loaded from JSON (LoadModel), validated (Validate),
// and versioned by content (Fingerprint, Bump), so every stored score records
// the version of the model that computed it.
package health

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Signal kinds, as in the ent HealthSignal.kind enum.
const (
	KindProductUsage    = "PRODUCT_USAGE"
	KindActiveUsers     = "ACTIVE_USERS"
	KindSupportTickets  = "SUPPORT_TICKETS"
	KindNPS             = "NPS"
	KindCSAT            = "CSAT"
	KindTelemetryUptime = "TELEMETRY_UPTIME"
)

// AllKinds lists every signal kind a measure may read.
var AllKinds = []string{
	KindProductUsage, KindActiveUsers, KindSupportTickets, KindNPS, KindCSAT, KindTelemetryUptime,
}

// Bands, as in the ent HealthScore.band enum.
const (
	BandGreen  = "GREEN"
	BandYellow = "YELLOW"
	BandRed    = "RED"
)

// Normalisation methods.
const (
	// MethodMinMax maps [Min, Max] linearly onto 0–100, clamping outside it.
	MethodMinMax = "MINMAX"
	// MethodThresholds maps the value onto the score of the first step it
	// reaches (see Normalisation).
	MethodThresholds = "THRESHOLDS"
)

// DefaultFreshness is the freshness window of a measure whose Freshness is 0.
const DefaultFreshness = 24 * time.Hour

// ErrInvalidModel is wrapped by every error Validate and LoadModel report for
// a model that breaks the rules.
var ErrInvalidModel = errors.New("invalid health model")

// Step is one threshold of a THRESHOLDS normalisation.
type Step struct {
	// Bound is the value the signal must reach. Bounds are inclusive: for a
	// higher-is-better measure a value >= Bound reaches the step, for a
	// lower-is-better measure a value <= Bound does.
	Bound float64 `json:"bound"`
	// Score is the 0–100 score of a value that reaches the step.
	Score float64 `json:"score"`
}

// Normalisation maps a raw signal value onto 0–100.
//
// MINMAX: for a higher-is-better measure score = (v−Min)/(Max−Min)·100, for a
// lower-is-better measure the scale is inverted, score = (Max−v)/(Max−Min)·100;
// either way the result is clamped to 0–100 (values outside [Min, Max] score
// 0 or 100).
//
// THRESHOLDS: Steps are ordered from best to worst — strictly decreasing
// bounds for a higher-is-better measure, strictly increasing for a
// lower-is-better one — with non-increasing scores. The value scores the Score
// of the first step it reaches (bounds inclusive, see Step.Bound); a value
// that reaches no step scores Floor (0 by default).
type Normalisation struct {
	Method string  `json:"method"`
	Min    float64 `json:"min,omitempty"`
	Max    float64 `json:"max,omitempty"`
	Steps  []Step  `json:"steps,omitempty"`
	Floor  float64 `json:"floor,omitempty"`
}

// MinMax returns a MINMAX normalisation over [min, max].
func MinMax(min, max float64) Normalisation {
	return Normalisation{Method: MethodMinMax, Min: min, Max: max}
}

// Thresholds returns a THRESHOLDS normalisation with the given steps (best
// first) and a floor score for values that reach none of them.
func Thresholds(floor float64, steps ...Step) Normalisation {
	return Normalisation{Method: MethodThresholds, Steps: slices.Clone(steps), Floor: floor}
}

// Measure is one weighted component of the model: which signal kind it reads,
// how much it counts, which direction is good, how the raw value is mapped to
// 0–100, and how old a signal may be before it is ignored.
type Measure struct {
	Kind           string
	Weight         float64
	HigherIsBetter bool
	Normalise      Normalisation
	// Freshness is how long a signal counts after it was observed; 0 means
	// DefaultFreshness. In JSON it is a Go duration string such as "72h".
	Freshness time.Duration
}

// EffectiveFreshness is Freshness, or DefaultFreshness when it is 0.
func (ms Measure) EffectiveFreshness() time.Duration {
	if ms.Freshness == 0 {
		return DefaultFreshness
	}
	return ms.Freshness
}

type measureJSON struct {
	Kind           string        `json:"kind"`
	Weight         float64       `json:"weight"`
	HigherIsBetter bool          `json:"higherIsBetter"`
	Normalise      Normalisation `json:"normalise"`
	Freshness      string        `json:"freshness,omitempty"`
}

// MarshalJSON encodes the measure with Freshness as a duration string.
func (ms Measure) MarshalJSON() ([]byte, error) {
	j := measureJSON{Kind: ms.Kind, Weight: ms.Weight, HigherIsBetter: ms.HigherIsBetter, Normalise: ms.Normalise}
	if ms.Freshness != 0 {
		j.Freshness = ms.Freshness.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes a measure strictly (unknown fields are errors).
func (ms *Measure) UnmarshalJSON(b []byte) error {
	var j measureJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	var fresh time.Duration
	if j.Freshness != "" {
		d, err := time.ParseDuration(j.Freshness)
		if err != nil {
			return fmt.Errorf("measure %s: freshness: %w", j.Kind, err)
		}
		fresh = d
	}
	*ms = Measure{Kind: j.Kind, Weight: j.Weight, HigherIsBetter: j.HigherIsBetter, Normalise: j.Normalise, Freshness: fresh}
	return nil
}

// Bands are the lower bounds of the bands, both inclusive: a score >= Green is
// GREEN, a score >= Yellow is YELLOW, anything lower is RED. Valid bands have
// 0 <= Yellow < Green <= 100.
type Bands struct {
	Green  float64 `json:"green"`
	Yellow float64 `json:"yellow"`
}

// Band returns the band of a score.
func (b Bands) Band(score float64) string {
	switch {
	case score >= b.Green:
		return BandGreen
	case score >= b.Yellow:
		return BandYellow
	default:
		return BandRed
	}
}

// Model is one version of the health model.
type Model struct {
	Version  int       `json:"version"`
	Measures []Measure `json:"measures"`
	Bands    Bands     `json:"bands"`
}

// DefaultModel returns version 1 of the health model. Raw values it expects:
//
//   - PRODUCT_USAGE: % of licensed usage consumed, 0–100, higher better (weight 30, 7 days fresh)
//   - ACTIVE_USERS: % of licensed seats active, 0–100, higher better (weight 20, 7 days fresh)
//   - SUPPORT_TICKETS: open tickets, 0–20, lower better (weight 15, 24h fresh)
//   - NPS: −100–100, higher better (weight 15, 180 days fresh)
//   - CSAT: 1–5, higher better (weight 10, 90 days fresh)
//   - TELEMETRY_UPTIME: % uptime, thresholds ≥99.9 → 100, ≥99.5 → 75, ≥99 → 40, else 0 (weight 10, 24h fresh)
//
// Bands: GREEN ≥ 70, YELLOW ≥ 40, RED below.
func DefaultModel() Model {
	const day = 24 * time.Hour
	return Model{
		Version: 1,
		Measures: []Measure{
			{Kind: KindProductUsage, Weight: 30, HigherIsBetter: true, Normalise: MinMax(0, 100), Freshness: 7 * day},
			{Kind: KindActiveUsers, Weight: 20, HigherIsBetter: true, Normalise: MinMax(0, 100), Freshness: 7 * day},
			{Kind: KindSupportTickets, Weight: 15, HigherIsBetter: false, Normalise: MinMax(0, 20)},
			{Kind: KindNPS, Weight: 15, HigherIsBetter: true, Normalise: MinMax(-100, 100), Freshness: 180 * day},
			{Kind: KindCSAT, Weight: 10, HigherIsBetter: true, Normalise: MinMax(1, 5), Freshness: 90 * day},
			{Kind: KindTelemetryUptime, Weight: 10, HigherIsBetter: true, Normalise: Thresholds(0,
				Step{Bound: 99.9, Score: 100}, Step{Bound: 99.5, Score: 75}, Step{Bound: 99, Score: 40})},
		},
		Bands: Bands{Green: 70, Yellow: 40},
	}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func inScoreRange(f float64) bool { return finite(f) && f >= 0 && f <= 100 }

// Validate reports every rule the model breaks, each error wrapping
// ErrInvalidModel (joined with errors.Join), or nil for a valid model.
// Rules: Version > 0; at least one measure; each measure reads a known kind,
// no kind twice, finite Weight > 0, Freshness >= 0, and a valid normalisation
// (see Normalisation); bands 0 <= Yellow < Green <= 100.
func (m Model) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrInvalidModel, fmt.Sprintf(format, args...)))
	}
	if m.Version <= 0 {
		bad("version must be positive, got %d", m.Version)
	}
	if len(m.Measures) == 0 {
		bad("no measures")
	}
	seen := map[string]bool{}
	for i, ms := range m.Measures {
		name := fmt.Sprintf("measure %d (%s)", i, ms.Kind)
		if !slices.Contains(AllKinds, ms.Kind) {
			bad("%s: unknown kind %q", name, ms.Kind)
		}
		if seen[ms.Kind] {
			bad("%s: duplicate kind", name)
		}
		seen[ms.Kind] = true
		if !finite(ms.Weight) || ms.Weight <= 0 {
			bad("%s: weight must be > 0, got %v", name, ms.Weight)
		}
		if ms.Freshness < 0 {
			bad("%s: freshness must not be negative, got %v", name, ms.Freshness)
		}
		for _, p := range ms.Normalise.problems(ms.HigherIsBetter) {
			bad("%s: %s", name, p)
		}
	}
	b := m.Bands
	if !inScoreRange(b.Green) || !inScoreRange(b.Yellow) {
		bad("bands must be within 0–100, got green %v yellow %v", b.Green, b.Yellow)
	} else if b.Green <= b.Yellow {
		bad("green band (%v) must be above yellow band (%v)", b.Green, b.Yellow)
	}
	return errors.Join(errs...)
}

func (n Normalisation) problems(higherIsBetter bool) []string {
	var ps []string
	switch n.Method {
	case MethodMinMax:
		if !finite(n.Min) || !finite(n.Max) || n.Min >= n.Max {
			ps = append(ps, fmt.Sprintf("minmax needs finite min < max, got %v..%v", n.Min, n.Max))
		}
		if len(n.Steps) > 0 || n.Floor != 0 {
			ps = append(ps, "minmax takes no steps or floor")
		}
	case MethodThresholds:
		if len(n.Steps) == 0 {
			ps = append(ps, "thresholds need at least one step")
		}
		if n.Min != 0 || n.Max != 0 {
			ps = append(ps, "thresholds take no min or max")
		}
		if !inScoreRange(n.Floor) {
			ps = append(ps, fmt.Sprintf("floor must be within 0–100, got %v", n.Floor))
		}
		for i, s := range n.Steps {
			if !finite(s.Bound) {
				ps = append(ps, fmt.Sprintf("step %d: bound must be finite", i))
			}
			if !inScoreRange(s.Score) {
				ps = append(ps, fmt.Sprintf("step %d: score must be within 0–100, got %v", i, s.Score))
			}
			if i == 0 {
				continue
			}
			prev := n.Steps[i-1]
			if higherIsBetter && s.Bound >= prev.Bound {
				ps = append(ps, fmt.Sprintf("step %d: bounds must strictly decrease for a higher-is-better measure", i))
			}
			if !higherIsBetter && s.Bound <= prev.Bound {
				ps = append(ps, fmt.Sprintf("step %d: bounds must strictly increase for a lower-is-better measure", i))
			}
			if s.Score > prev.Score {
				ps = append(ps, fmt.Sprintf("step %d: scores must not increase from step to step", i))
			}
		}
		if len(n.Steps) > 0 && n.Floor > n.Steps[len(n.Steps)-1].Score {
			ps = append(ps, "floor must not exceed the last step's score")
		}
	default:
		ps = append(ps, fmt.Sprintf("unknown normalisation method %q", n.Method))
	}
	return ps
}

// normalise maps a raw value onto 0–100 (see Normalisation).
func (ms Measure) normalise(v float64) float64 {
	n := ms.Normalise
	switch n.Method {
	case MethodMinMax:
		var s float64
		if ms.HigherIsBetter {
			s = (v - n.Min) / (n.Max - n.Min) * 100
		} else {
			s = (n.Max - v) / (n.Max - n.Min) * 100
		}
		return math.Max(0, math.Min(100, s))
	case MethodThresholds:
		for _, st := range n.Steps {
			if (ms.HigherIsBetter && v >= st.Bound) || (!ms.HigherIsBetter && v <= st.Bound) {
				return st.Score
			}
		}
		return n.Floor
	}
	return 0
}

// LoadModel reads a model from JSON (the encoding of Model, with measure
// freshness as a duration string) and validates it. Unknown fields and
// trailing data are errors.
func LoadModel(r io.Reader) (Model, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var m Model
	if err := dec.Decode(&m); err != nil {
		return Model{}, fmt.Errorf("%w: decode: %w", ErrInvalidModel, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Model{}, fmt.Errorf("%w: trailing data after the model", ErrInvalidModel)
	}
	if err := m.Validate(); err != nil {
		return Model{}, err
	}
	return m, nil
}

// Fingerprint is a stable SHA-256 (hex) of the model's content, excluding
// Version. It is computed over a canonical form: measures sorted by kind,
// freshness as its effective value (0 and 24h are the same content), and
// floats in shortest round-trip form, so only changes that can affect a score
// change it (the order of measures does not).
func (m Model) Fingerprint() string {
	f := func(x float64) string {
		if x == 0 {
			x = 0 // -0 is 0
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	ms := slices.Clone(m.Measures)
	slices.SortStableFunc(ms, func(a, b Measure) int { return strings.Compare(a.Kind, b.Kind) })
	var sb strings.Builder
	fmt.Fprintf(&sb, "health-model/1\nbands %s %s\n", f(m.Bands.Green), f(m.Bands.Yellow))
	for _, x := range ms {
		n := x.Normalise
		fmt.Fprintf(&sb, "measure %q %s %t %d %q %s %s %s", x.Kind, f(x.Weight), x.HigherIsBetter,
			int64(x.EffectiveFreshness()), n.Method, f(n.Min), f(n.Max), f(n.Floor))
		for _, s := range n.Steps {
			fmt.Fprintf(&sb, " %s:%s", f(s.Bound), f(s.Score))
		}
		sb.WriteByte('\n')
	}
	sum := sha256.Sum256([]byte(sb.String()))
	return hex.EncodeToString(sum[:])
}

// Bump versions next against prev: it returns next with Version prev.Version+1
// when next's content (Fingerprint) differs from prev's, else next with
// prev's Version. next's own Version is ignored.
func Bump(prev, next Model) Model {
	if prev.Fingerprint() != next.Fingerprint() {
		next.Version = prev.Version + 1
	} else {
		next.Version = prev.Version
	}
	return next
}
