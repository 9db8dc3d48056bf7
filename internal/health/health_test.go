package health

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) time.Time { return now.Add(-d) }

func sig(kind string, v float64, at time.Time) Signal {
	return Signal{Kind: kind, Value: v, ObservedAt: at}
}

// model3 has three linear 0..100 higher-is-better measures weighted 50/30/20,
// so scores equal values and the weighted sums are easy to do by hand.
func model3() Model {
	return Model{
		Version: 7,
		Measures: []Measure{
			{Kind: KindProductUsage, Weight: 50, HigherIsBetter: true, Normalise: MinMax(0, 100)},
			{Kind: KindActiveUsers, Weight: 30, HigherIsBetter: true, Normalise: MinMax(0, 100)},
			{Kind: KindCSAT, Weight: 20, HigherIsBetter: true, Normalise: MinMax(0, 100)},
		},
		Bands: Bands{Green: 70, Yellow: 40},
	}
}

func single(ms Measure) Model {
	if ms.Weight == 0 {
		ms.Weight = 1
	}
	return Model{Version: 1, Measures: []Measure{ms}, Bands: Bands{Green: 70, Yellow: 40}}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestModelsValid(t *testing.T) {
	for name, m := range map[string]Model{"default": DefaultModel(), "model3": model3()} {
		if err := m.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestScoreWeightsAndRenormalisation(t *testing.T) {
	a := sig(KindProductUsage, 80, ago(time.Hour))
	b := sig(KindActiveUsers, 60, ago(time.Hour))
	c := sig(KindCSAT, 10, ago(time.Hour))
	tests := []struct {
		name     string
		signals  []Signal
		score    float64
		band     string
		coverage float64
		fresh    [3]bool
	}{
		// (50·80 + 30·60 + 20·10) / 100 = 6000/100
		{"all fresh", []Signal{a, b, c}, 60, BandYellow, 1, [3]bool{true, true, true}},
		// (50·80 + 30·60) / 80 = 5800/80
		{"one missing", []Signal{a, b}, 72.5, BandGreen, 0.8, [3]bool{true, true, false}},
		// (30·60 + 20·10) / 50 = 2000/50
		{"heaviest missing", []Signal{b, c}, 40, BandYellow, 0.5, [3]bool{false, true, true}},
		// 50·80 / 50
		{"two missing", []Signal{a}, 80, BandGreen, 0.5, [3]bool{true, false, false}},
		// 30·60 / 30
		{"two missing incl heaviest", []Signal{b}, 60, BandYellow, 0.3, [3]bool{false, true, false}},
		// 20·10 / 20
		{"only lightest", []Signal{c}, 10, BandRed, 0.2, [3]bool{false, false, true}},
		// one missing and one stale: same as only a
		{"missing plus stale", []Signal{a, sig(KindCSAT, 10, ago(25*time.Hour))}, 80, BandGreen, 0.5, [3]bool{true, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := model3().Score(tt.signals, now)
			if !r.Scored || r.Score != tt.score || r.Band != tt.band || !near(r.Coverage, tt.coverage) || r.ModelVersion != 7 {
				t.Fatalf("got score %v band %q coverage %v scored %v version %d; want %v %q %v",
					r.Score, r.Band, r.Coverage, r.Scored, r.ModelVersion, tt.score, tt.band, tt.coverage)
			}
			if len(r.Components) != 3 {
				t.Fatalf("components: %d", len(r.Components))
			}
			weights := []float64{50, 30, 20}
			for i, comp := range r.Components {
				if comp.Kind != model3().Measures[i].Kind || comp.Weight != weights[i] || comp.Fresh != tt.fresh[i] {
					t.Errorf("component %d = %+v", i, comp)
				}
				if comp.Fresh != (comp.Value != nil) || comp.Fresh != (comp.Score != nil) {
					t.Errorf("component %d: Value/Score must be set exactly when fresh: %+v", i, comp)
				}
			}
		})
	}
}

func TestScoreRounding(t *testing.T) {
	m := Model{Version: 1, Bands: Bands{Green: 70, Yellow: 40}, Measures: []Measure{
		{Kind: KindNPS, Weight: 1, HigherIsBetter: true, Normalise: MinMax(0, 100)},
		{Kind: KindCSAT, Weight: 2, HigherIsBetter: true, Normalise: MinMax(0, 100)},
	}}
	tests := []struct{ nps, csat, want float64 }{
		{0, 100, 66.7},   // 200/3 = 66.666…
		{100, 0, 33.3},   // 100/3 = 33.333…
		{50, 51, 50.7},   // 152/3 = 50.666…
		{10, 10.1, 10.1}, // 30.2/3 = 10.0666…
	}
	for _, tt := range tests {
		r := m.Score([]Signal{sig(KindNPS, tt.nps, now), sig(KindCSAT, tt.csat, now)}, now)
		if r.Score != tt.want {
			t.Errorf("nps %v csat %v: score %v, want %v", tt.nps, tt.csat, r.Score, tt.want)
		}
	}
}

func TestNormalisation(t *testing.T) {
	tickets := Measure{Kind: KindSupportTickets, Weight: 1, HigherIsBetter: false, Normalise: MinMax(0, 20)}
	nps := Measure{Kind: KindNPS, Weight: 1, HigherIsBetter: true, Normalise: MinMax(-100, 100)}
	uptime := DefaultModel().Measures[5]
	lowerSteps := Measure{Kind: KindSupportTickets, Weight: 1, HigherIsBetter: false,
		Normalise: Thresholds(5, Step{1, 100}, Step{3, 60}, Step{10, 20})}
	tests := []struct {
		name  string
		ms    Measure
		value float64
		want  float64
	}{
		{"lower better: min is best", tickets, 0, 100},
		{"lower better: inverted", tickets, 5, 75},
		{"lower better: midpoint", tickets, 10, 50},
		{"lower better: max is worst", tickets, 20, 0},
		{"lower better: clamp above max", tickets, 25, 0},
		{"lower better: clamp below min", tickets, -3, 100},
		{"higher better: min", nps, -100, 0},
		{"higher better: middle", nps, 0, 50},
		{"higher better: 20", nps, 20, 60},
		{"higher better: max", nps, 100, 100},
		{"higher better: clamp below min", nps, -150, 0},
		{"higher better: clamp above max", nps, 150, 100},
		{"thresholds: above top", uptime, 100, 100},
		{"thresholds: exactly 99.9 inclusive", uptime, 99.9, 100},
		{"thresholds: just under 99.9", uptime, 99.89, 75},
		{"thresholds: exactly 99.5", uptime, 99.5, 75},
		{"thresholds: just under 99.5", uptime, 99.49, 40},
		{"thresholds: exactly 99", uptime, 99, 40},
		{"thresholds: under all is floor", uptime, 98.99, 0},
		{"lower thresholds: below first", lowerSteps, 0, 100},
		{"lower thresholds: exactly 1 inclusive", lowerSteps, 1, 100},
		{"lower thresholds: just over 1", lowerSteps, 1.01, 60},
		{"lower thresholds: exactly 3", lowerSteps, 3, 60},
		{"lower thresholds: exactly 10", lowerSteps, 10, 20},
		{"lower thresholds: over all is floor", lowerSteps, 10.5, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ms.normalise(tt.value); !near(got, tt.want) {
				t.Fatalf("normalise(%v) = %v, want %v", tt.value, got, tt.want)
			}
			// The same through Score with a single-measure model.
			r := single(tt.ms).Score([]Signal{sig(tt.ms.Kind, tt.value, now)}, now)
			if r.Score != tt.want || *r.Components[0].Score != tt.want || *r.Components[0].Value != tt.value {
				t.Fatalf("Score = %v, component %+v; want %v", r.Score, r.Components[0], tt.want)
			}
		})
	}
}

func TestDefaultModelScore(t *testing.T) {
	m := DefaultModel()
	signals := []Signal{
		sig(KindProductUsage, 80, ago(6*24*time.Hour)),  // 80
		sig(KindActiveUsers, 50, ago(time.Hour)),        // 50
		sig(KindSupportTickets, 5, ago(time.Hour)),      // (20−5)/20 → 75
		sig(KindNPS, 20, ago(100*24*time.Hour)),         // 120/200 → 60
		sig(KindCSAT, 4, ago(30*24*time.Hour)),          // 3/4 → 75
		sig(KindTelemetryUptime, 99.95, ago(time.Hour)), // ≥ 99.9 → 100
	}
	// (30·80 + 20·50 + 15·75 + 15·60 + 10·75 + 10·100) / 100 = 7175/100 = 71.75 → 71.8
	r := m.Score(signals, now)
	if !r.Scored || r.Score != 71.8 || r.Band != BandGreen || r.Coverage != 1 || r.ModelVersion != 1 {
		t.Fatalf("got %+v", r)
	}
	wantScores := []float64{80, 50, 75, 60, 75, 100}
	for i, c := range r.Components {
		if !c.Fresh || !near(*c.Score, wantScores[i]) || *c.Value != signals[i].Value {
			t.Errorf("component %d: %+v score %v", i, c, *c.Score)
		}
	}
	// Support tickets go stale after the default 24h: (7175 − 1125) / 85 = 71.176… → 71.2
	signals[2].ObservedAt = ago(24 * time.Hour)
	r = m.Score(signals, now)
	if r.Score != 71.2 || !near(r.Coverage, 0.85) || r.Components[2].Fresh {
		t.Fatalf("stale tickets: got %+v", r)
	}
}

func TestFreshnessWindow(t *testing.T) {
	def := Measure{Kind: KindCSAT, HigherIsBetter: true, Normalise: MinMax(0, 100)}
	hour := def
	hour.Freshness = time.Hour
	tests := []struct {
		name  string
		ms    Measure
		at    time.Time
		fresh bool
	}{
		{"default 24h: just inside", def, ago(24*time.Hour - time.Nanosecond), true},
		{"default 24h: exactly at boundary is stale (exclusive)", def, ago(24 * time.Hour), false},
		{"default 24h: just outside", def, ago(24*time.Hour + time.Nanosecond), false},
		{"1h: just inside", hour, ago(time.Hour - time.Nanosecond), true},
		{"1h: exactly at boundary is stale", hour, ago(time.Hour), false},
		{"1h: 2h old", hour, ago(2 * time.Hour), false},
		{"observed now", def, now, true},
		{"future within skew", def, now.Add(MaxClockSkew - time.Second), true},
		{"future exactly at skew (inclusive)", def, now.Add(MaxClockSkew), true},
		{"future beyond skew", def, now.Add(MaxClockSkew + time.Nanosecond), false},
		{"far future", def, now.Add(48 * time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := single(tt.ms).Score([]Signal{sig(KindCSAT, 55, tt.at)}, now)
			if r.Scored != tt.fresh || r.Components[0].Fresh != tt.fresh {
				t.Fatalf("fresh = %v (scored %v), want %v", r.Components[0].Fresh, r.Scored, tt.fresh)
			}
			if tt.fresh && (r.Score != 55 || r.Coverage != 1) {
				t.Fatalf("got %+v", r)
			}
		})
	}
}

func TestLatestSignalWins(t *testing.T) {
	m := single(Measure{Kind: KindCSAT, HigherIsBetter: true, Normalise: MinMax(0, 100)})
	tests := []struct {
		name    string
		signals []Signal
		want    float64
	}{
		{"newer wins", []Signal{sig(KindCSAT, 10, ago(3*time.Hour)), sig(KindCSAT, 90, ago(time.Hour)), sig(KindCSAT, 50, ago(2*time.Hour))}, 90},
		{"newer wins even if lower", []Signal{sig(KindCSAT, 90, ago(3*time.Hour)), sig(KindCSAT, 10, ago(time.Hour))}, 10},
		{"tie on time: higher value", []Signal{sig(KindCSAT, 30, ago(time.Hour)), sig(KindCSAT, 70, ago(time.Hour))}, 70},
		{"future within skew is latest", []Signal{sig(KindCSAT, 30, ago(time.Hour)), sig(KindCSAT, 66, now.Add(time.Minute))}, 66},
		{"future beyond skew ignored, older fresh used", []Signal{sig(KindCSAT, 30, ago(time.Hour)), sig(KindCSAT, 99, now.Add(time.Hour))}, 30},
		{"stale newer-looking? no: stale ignored", []Signal{sig(KindCSAT, 30, ago(30*time.Hour)), sig(KindCSAT, 40, ago(time.Hour))}, 40},
		{"other kinds ignored", []Signal{sig(KindNPS, 100, now), sig(KindCSAT, 20, ago(time.Hour))}, 20},
		{"NaN and Inf ignored", []Signal{sig(KindCSAT, math.NaN(), now), sig(KindCSAT, math.Inf(1), now), sig(KindCSAT, 20, ago(time.Hour))}, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := m.Score(tt.signals, now)
			if !r.Scored || r.Score != tt.want || *r.Components[0].Value != tt.want {
				t.Fatalf("got %+v, want %v", r, tt.want)
			}
		})
	}
}

func TestBandBoundaries(t *testing.T) {
	m := single(Measure{Kind: KindProductUsage, HigherIsBetter: true, Normalise: MinMax(0, 100)})
	tests := []struct {
		score float64
		band  string
	}{
		{100, BandGreen}, {70, BandGreen}, {69.9, BandYellow}, {40, BandYellow},
		{39.9, BandRed}, {0, BandRed}, {69.96, BandGreen}, // rounds to 70.0
	}
	for _, tt := range tests {
		if got := m.Bands.Band(tt.score); got != tt.band && tt.score != 69.96 {
			t.Errorf("Band(%v) = %q, want %q", tt.score, got, tt.band)
		}
		r := m.Score([]Signal{sig(KindProductUsage, tt.score, now)}, now)
		if r.Band != tt.band {
			t.Errorf("Score(%v) band %q (score %v), want %q", tt.score, r.Band, r.Score, tt.band)
		}
	}
}

func TestZeroCoverage(t *testing.T) {
	tests := map[string][]Signal{
		"no signals":    nil,
		"all stale":     {sig(KindProductUsage, 80, ago(48*time.Hour)), sig(KindCSAT, 80, ago(24*time.Hour))},
		"all future":    {sig(KindProductUsage, 80, now.Add(time.Hour))},
		"unknown kinds": {sig(KindNPS, 80, now), sig("BOGUS", 1, now)},
	}
	for name, signals := range tests {
		r := model3().Score(signals, now)
		if r.Scored || r.Score != 0 || r.Band != "" || r.Coverage != 0 || r.ModelVersion != 7 || len(r.Components) != 3 {
			t.Errorf("%s: got %+v", name, r)
		}
		for _, c := range r.Components {
			if c.Fresh || c.Value != nil || c.Score != nil {
				t.Errorf("%s: component %+v", name, c)
			}
		}
	}
}

func TestDeterminism(t *testing.T) {
	signals := []Signal{
		sig(KindProductUsage, 80, ago(time.Hour)),
		sig(KindProductUsage, 20, ago(2*time.Hour)),
		sig(KindActiveUsers, 35, ago(time.Hour)),
		sig(KindActiveUsers, 45, ago(time.Hour)), // tie with the 35
		sig(KindSupportTickets, 4, ago(time.Hour)),
		sig(KindNPS, 10, now.Add(time.Hour)), // future beyond skew
		sig(KindNPS, -20, ago(24*time.Hour)),
		sig(KindCSAT, 4.5, ago(time.Minute)),
		sig(KindTelemetryUptime, 99.5, ago(time.Hour)),
		sig(KindTelemetryUptime, 99.95, ago(25*time.Hour)), // stale
	}
	m := DefaultModel()
	want := m.Score(signals, now)
	// every rotation, and the reverse of each
	for i := range signals {
		perm := append(append([]Signal{}, signals[i:]...), signals[:i]...)
		rev := make([]Signal, len(perm))
		for j := range perm {
			rev[len(perm)-1-j] = perm[j]
		}
		for _, p := range [][]Signal{perm, rev} {
			if got := m.Score(p, now); !reflect.DeepEqual(got, want) {
				t.Fatalf("order changed the result:\n got %+v\nwant %+v", got, want)
			}
		}
	}
	if *want.Components[1].Value != 45 {
		t.Errorf("tie break: active users value %v, want 45", *want.Components[1].Value)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Model)
		want   string // substring of the error; "" means valid
	}{
		{"default ok", func(*Model) {}, ""},
		{"zero version", func(m *Model) { m.Version = 0 }, "version must be positive"},
		{"negative version", func(m *Model) { m.Version = -1 }, "version must be positive"},
		{"no measures", func(m *Model) { m.Measures = nil }, "no measures"},
		{"zero weight", func(m *Model) { m.Measures[0].Weight = 0 }, "weight must be > 0"},
		{"negative weight", func(m *Model) { m.Measures[1].Weight = -3 }, "weight must be > 0"},
		{"NaN weight", func(m *Model) { m.Measures[1].Weight = math.NaN() }, "weight must be > 0"},
		{"duplicate kind", func(m *Model) { m.Measures[1].Kind = KindProductUsage }, "duplicate kind"},
		{"unknown kind", func(m *Model) { m.Measures[0].Kind = "CHURN" }, `unknown kind "CHURN"`},
		{"lowercase kind", func(m *Model) { m.Measures[0].Kind = "nps" }, "unknown kind"},
		{"negative freshness", func(m *Model) { m.Measures[0].Freshness = -time.Hour }, "freshness must not be negative"},
		{"unknown method", func(m *Model) { m.Measures[0].Normalise.Method = "LOG" }, `unknown normalisation method "LOG"`},
		{"empty method", func(m *Model) { m.Measures[0].Normalise = Normalisation{} }, "unknown normalisation method"},
		{"min == max", func(m *Model) { m.Measures[0].Normalise = MinMax(5, 5) }, "min < max"},
		{"min > max", func(m *Model) { m.Measures[0].Normalise = MinMax(10, 0) }, "min < max"},
		{"minmax with steps", func(m *Model) { m.Measures[0].Normalise.Steps = []Step{{1, 1}} }, "minmax takes no steps"},
		{"no steps", func(m *Model) { m.Measures[5].Normalise.Steps = nil }, "at least one step"},
		{"thresholds with min", func(m *Model) { m.Measures[5].Normalise.Max = 100 }, "thresholds take no min or max"},
		{"bounds not decreasing", func(m *Model) { m.Measures[5].Normalise.Steps[1].Bound = 99.95 }, "strictly decrease"},
		{"bounds equal", func(m *Model) { m.Measures[5].Normalise.Steps[1].Bound = 99.9 }, "strictly decrease"},
		{"lower better bounds not increasing", func(m *Model) {
			m.Measures[5].HigherIsBetter = false
		}, "strictly increase"},
		{"step score rises", func(m *Model) { m.Measures[5].Normalise.Steps[2].Score = 80 }, "must not increase"},
		{"step score out of range", func(m *Model) { m.Measures[5].Normalise.Steps[0].Score = 101 }, "score must be within 0–100"},
		{"floor out of range", func(m *Model) { m.Measures[5].Normalise.Floor = -1 }, "floor must be within"},
		{"floor above last step", func(m *Model) { m.Measures[5].Normalise.Floor = 50 }, "floor must not exceed"},
		{"bands equal", func(m *Model) { m.Bands = Bands{Green: 50, Yellow: 50} }, "must be above yellow"},
		{"bands inverted", func(m *Model) { m.Bands = Bands{Green: 40, Yellow: 70} }, "must be above yellow"},
		{"band above 100", func(m *Model) { m.Bands.Green = 101 }, "within 0–100"},
		{"band below 0", func(m *Model) { m.Bands.Yellow = -1 }, "within 0–100"},
		{"bands zero", func(m *Model) { m.Bands = Bands{} }, "must be above yellow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := DefaultModel()
			tt.mutate(&m)
			err := m.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalidModel) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q wrapping ErrInvalidModel", err, tt.want)
			}
		})
	}
	// Every problem is reported, not just the first.
	m := DefaultModel()
	m.Version = 0
	m.Measures[0].Weight = 0
	m.Bands = Bands{}
	if err := m.Validate(); err == nil || strings.Count(err.Error(), ErrInvalidModel.Error()) != 3 {
		t.Fatalf("want three problems, got %v", err)
	}
}

func TestLoadModel(t *testing.T) {
	t.Run("round trip", func(t *testing.T) {
		for _, m := range []Model{DefaultModel(), model3()} {
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := LoadModel(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			if !reflect.DeepEqual(got, m) || got.Fingerprint() != m.Fingerprint() {
				t.Fatalf("round trip changed the model:\n got %+v\nwant %+v", got, m)
			}
		}
	})
	t.Run("hand-written", func(t *testing.T) {
		const doc = `{
			"version": 3,
			"bands": {"green": 75, "yellow": 50},
			"measures": [
				{"kind": "SUPPORT_TICKETS", "weight": 2, "higherIsBetter": false,
				 "normalise": {"method": "MINMAX", "min": 0, "max": 10}, "freshness": "72h"},
				{"kind": "TELEMETRY_UPTIME", "weight": 1, "higherIsBetter": true,
				 "normalise": {"method": "THRESHOLDS", "steps": [{"bound": 99.9, "score": 100}, {"bound": 99, "score": 50}], "floor": 10}}
			]
		}`
		m, err := LoadModel(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		want := Model{Version: 3, Bands: Bands{Green: 75, Yellow: 50}, Measures: []Measure{
			{Kind: KindSupportTickets, Weight: 2, Normalise: MinMax(0, 10), Freshness: 72 * time.Hour},
			{Kind: KindTelemetryUptime, Weight: 1, HigherIsBetter: true, Normalise: Thresholds(10, Step{99.9, 100}, Step{99, 50})},
		}}
		if !reflect.DeepEqual(m, want) {
			t.Fatalf("got %+v\nwant %+v", m, want)
		}
		// tickets 4 → 60 (w2), uptime 98 → floor 10 (w1): (120 + 10)/3 = 43.33 → 43.3 RED (yellow is 50)
		r := m.Score([]Signal{sig(KindSupportTickets, 4, ago(48*time.Hour)), sig(KindTelemetryUptime, 98, now)}, now)
		if r.Score != 43.3 || r.Band != BandRed || r.ModelVersion != 3 {
			t.Fatalf("got %+v", r)
		}
	})
	bad := []struct{ name, doc, want string }{
		{"syntax", `{"version": 1,`, "decode"},
		{"unknown top-level field", `{"version": 1, "bands": {"green": 70, "yellow": 40}, "measures": [], "extra": 1}`, "unknown field"},
		{"unknown measure field", `{"version": 1, "bands": {"green": 70, "yellow": 40}, "measures": [{"kind": "NPS", "weight": 1, "normalise": {"method": "MINMAX", "min": 0, "max": 1}, "wieght": 2}]}`, "unknown field"},
		{"bad duration", `{"version": 1, "bands": {"green": 70, "yellow": 40}, "measures": [{"kind": "NPS", "weight": 1, "normalise": {"method": "MINMAX", "min": 0, "max": 1}, "freshness": "a week"}]}`, "freshness"},
		{"trailing data", `{"version": 1, "bands": {"green": 70, "yellow": 40}, "measures": [{"kind": "NPS", "weight": 1, "normalise": {"method": "MINMAX", "min": 0, "max": 1}}]} {}`, "trailing data"},
		{"invalid model", `{"version": 0, "bands": {"green": 70, "yellow": 40}, "measures": [{"kind": "NPS", "weight": 1, "normalise": {"method": "MINMAX", "min": 0, "max": 1}}]}`, "version must be positive"},
		{"empty", ``, "decode"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadModel(strings.NewReader(tt.doc))
			if err == nil || !errors.Is(err, ErrInvalidModel) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// defaultFingerprint pins the content of DefaultModel (version 1). If this
// fails you changed the default model's content: that is a new model version.
const defaultFingerprint = "c48410cebb061cfcff0c10529ed20b8c621ef885302607efe10beb1a8061ae46"

func TestFingerprint(t *testing.T) {
	m := DefaultModel()
	if got := m.Fingerprint(); got != defaultFingerprint {
		t.Errorf("DefaultModel fingerprint %s, want %s", got, defaultFingerprint)
	}
	if m.Fingerprint() != DefaultModel().Fingerprint() {
		t.Error("fingerprint not stable")
	}
	v := DefaultModel()
	v.Version = 99
	if v.Fingerprint() != m.Fingerprint() {
		t.Error("version must not affect the fingerprint")
	}
}

func TestBump(t *testing.T) {
	prev := DefaultModel()
	prev.Version = 3
	tests := []struct {
		name    string
		mutate  func(*Model)
		version int
	}{
		{"unchanged keeps version", func(*Model) {}, 3},
		{"own version ignored", func(m *Model) { m.Version = 42 }, 3},
		{"measure order is not content", func(m *Model) {
			m.Measures[0], m.Measures[5] = m.Measures[5], m.Measures[0]
		}, 3},
		{"explicit default freshness is not content", func(m *Model) { m.Measures[2].Freshness = DefaultFreshness }, 3},
		{"-0 is 0", func(m *Model) { m.Measures[0].Normalise.Min = math.Copysign(0, -1) }, 3},
		{"changed weight bumps", func(m *Model) { m.Measures[0].Weight = 31 }, 4},
		{"changed direction bumps", func(m *Model) { m.Measures[4].HigherIsBetter = false }, 4},
		{"changed range bumps", func(m *Model) { m.Measures[3].Normalise.Max = 90 }, 4},
		{"changed step bumps", func(m *Model) { m.Measures[5].Normalise.Steps[1].Score = 70 }, 4},
		{"changed freshness bumps", func(m *Model) { m.Measures[0].Freshness = time.Hour }, 4},
		{"changed band bumps", func(m *Model) { m.Bands.Green = 75 }, 4},
		{"removed measure bumps", func(m *Model) { m.Measures = m.Measures[:5] }, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := DefaultModel()
			tt.mutate(&next)
			got := Bump(prev, next)
			if got.Version != tt.version {
				t.Fatalf("version %d, want %d", got.Version, tt.version)
			}
			next.Version = got.Version
			if !reflect.DeepEqual(got, next) {
				t.Fatal("Bump must return next's content unchanged")
			}
		})
	}
	// Chained: bump, then re-bump the same content keeps the new version.
	v4 := Bump(prev, func() Model { m := DefaultModel(); m.Measures[0].Weight = 31; return m }())
	if again := Bump(v4, v4); again.Version != 4 {
		t.Fatalf("re-bump: version %d, want 4", again.Version)
	}
}

func TestTrend(t *testing.T) {
	res := func(score float64, band string, version int) *Result {
		return &Result{Score: score, Band: band, Scored: true, ModelVersion: version, Coverage: 1}
	}
	unscored := &Result{ModelVersion: 1}
	tests := []struct {
		name      string
		cur, prev *Result
		want      Delta
	}{
		{"up with band change", res(72.5, BandGreen, 1), res(60, BandYellow, 1),
			Delta{Comparable: true, Change: 12.5, Direction: TrendUp, FromBand: BandYellow, ToBand: BandGreen, BandChanged: true}},
		{"down same band", res(41.2, BandYellow, 1), res(45.3, BandYellow, 1),
			Delta{Comparable: true, Change: -4.1, Direction: TrendDown, FromBand: BandYellow, ToBand: BandYellow}},
		{"flat", res(50, BandYellow, 1), res(50, BandYellow, 1),
			Delta{Comparable: true, Change: 0, Direction: TrendFlat, FromBand: BandYellow, ToBand: BandYellow}},
		{"model changed", res(39.9, BandRed, 2), res(40, BandYellow, 1),
			Delta{Comparable: true, Change: -0.1, Direction: TrendDown, FromBand: BandYellow, ToBand: BandRed, BandChanged: true, ModelChanged: true}},
		{"no previous", res(50, BandYellow, 1), nil, Delta{ToBand: BandYellow}},
		{"previous unscored", res(50, BandYellow, 1), unscored, Delta{ToBand: BandYellow}},
		{"current unscored", unscored, res(50, BandYellow, 1), Delta{FromBand: BandYellow}},
		{"both nil", nil, nil, Delta{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Trend(tt.cur, tt.prev); got != tt.want {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	// From real scores: model3 with all signals (60.0) vs one missing (72.5).
	a, b, c := sig(KindProductUsage, 80, now), sig(KindActiveUsers, 60, now), sig(KindCSAT, 10, now)
	prev := model3().Score([]Signal{a, b}, now)
	cur := model3().Score([]Signal{a, b, c}, now)
	if d := Trend(&cur, &prev); d.Change != -12.5 || d.Direction != TrendDown || !d.BandChanged {
		t.Fatalf("got %+v", d)
	}
}
