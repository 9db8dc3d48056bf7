package main

import (
	"strings"
	"testing"
	"time"
)

// loadOf is a measured run of n requests in one second, all at lat.
func loadOf(n int, lat time.Duration) LoadResult {
	h := NewHistogram()
	for range n {
		h.RecordDuration(lat)
	}
	return LoadResult{Elapsed: time.Second, Hist: h, Requests: uint64(n)}
}

func TestReportPostGraphileColumns(t *testing.T) {
	q1 := &Scenario{Name: "Q1", PostGraphile: &PostGraphileOp{Query: "{ a }", Target: 2}}
	m1 := &Scenario{Name: "M1"}
	for _, c := range []struct {
		name   string
		row    Row
		cells  string // the last two cells of the main table
		check  string // the PostGraphile target line
		detail bool   // PostGraphile's own table is written
	}{
		{"not run", Row{Scenario: q1, Concurrency: 8, Load: loadOf(100, time.Millisecond)},
			"| — | — |", "PostGraphile not run (-postgraphile)", false},
		{"met", Row{Scenario: q1, Concurrency: 8, Load: loadOf(300, time.Millisecond),
			PGL: &PeerResult{Load: loadOf(100, time.Millisecond), CPUPerReq: 2 * time.Millisecond, PeakRSS: 200 << 20, Objects: 637, AnswerBytes: 119000}},
			"| 100.0 | 3.00× |", "2× PostGraphile v4 requests/s: met everywhere", true},
		{"missed", Row{Scenario: q1, Concurrency: 32, Load: loadOf(150, time.Millisecond),
			PGL: &PeerResult{Load: loadOf(100, time.Millisecond)}},
			"| 100.0 | 1.50× |", "missed by Q1@32", true},
		{"sample failed", Row{Scenario: q1, Concurrency: 8, Load: loadOf(100, time.Millisecond), PGLErr: "sample request failed"},
			"| error | — |", "PostGraphile not run", false},
		{"no target", Row{Scenario: m1, Concurrency: 8, Load: loadOf(100, time.Millisecond),
			PGL: &PeerResult{Load: loadOf(50, time.Millisecond)}},
			"| 50.0 | 2.00× |", "PostGraphile not run", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var table, checks, detail strings.Builder
			WriteTable(&table, []Row{c.row})
			lines := strings.Split(strings.TrimSpace(table.String()), "\n")
			if len(lines) != 3 {
				t.Fatalf("table:\n%s", table.String())
			}
			if head, body := strings.Count(lines[0], "|"), strings.Count(lines[2], "|"); head != body || head != strings.Count(lines[1], "|") {
				t.Errorf("%d header cells, %d separator, %d body:\n%s", head, strings.Count(lines[1], "|"), body, table.String())
			}
			if !strings.HasSuffix(lines[0], "| PostGraphile v4 req/s | OpsGraph/PostGraphile |") {
				t.Errorf("header %s", lines[0])
			}
			if !strings.HasSuffix(lines[2], c.cells) {
				t.Errorf("row %s, want it to end %s", lines[2], c.cells)
			}
			WriteChecks(&checks, []Row{c.row})
			if !strings.Contains(checks.String(), "- Q1 and Q2 each at least 2× PostGraphile v4 requests/s: ") || !strings.Contains(checks.String(), c.check) {
				t.Errorf("checks:\n%s\nwant %q", checks.String(), c.check)
			}
			WritePostGraphileTable(&detail, []Row{c.row})
			if got := detail.Len() > 0; got != c.detail {
				t.Errorf("PostGraphile table written %v, want %v:\n%s", got, c.detail, detail.String())
			}
		})
	}
}

func TestPostGraphileTable(t *testing.T) {
	var b strings.Builder
	WritePostGraphileTable(&b, []Row{
		{Scenario: &Scenario{Name: "Q2"}, Concurrency: 8}, // not run: no line
		{Scenario: &Scenario{Name: "Q1"}, Concurrency: 8, PGL: &PeerResult{Load: loadOf(40, 20*time.Millisecond),
			CPUPerReq: 12500 * time.Microsecond, PeakRSS: 180 << 20, Objects: 637, AnswerBytes: 119000}},
	})
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("table:\n%s", b.String())
	}
	if want := "| Q1 | 8 | 40.0 | 20.0 | 20.0 | 20.0 | 0 | 12.5 | 180 | 637 | 119000 |"; lines[2] != want {
		t.Errorf("row\n%s\nwant\n%s", lines[2], want)
	}
}

func TestCountKeys(t *testing.T) {
	for _, c := range []struct {
		doc, key string
		want     int
	}{
		{`{"data":{"node":{"id":"a","x":{"id":"b"}}}}`, "id", 2},
		{`{"data" : {"edges" : [{"node" : {"id" : "YQ", "name" : "id"}}]}}`, "id", 1},
		{`{"nodeId":"WyJh","accountId":"1","id":"2"}`, "nodeId", 1},
		{`{"nodeId":"WyJh","accountId":"1","id":"2"}`, "id", 1},
		{`{"errors":[]}`, "id", 0},
	} {
		if got := CountKeys([]byte(c.doc), c.key); got != c.want {
			t.Errorf("CountKeys(%s, %q) = %d, want %d", c.doc, c.key, got, c.want)
		}
	}
}

// Rounds merge: requests and windows add up (so req/s is over all rounds),
// latencies pool, counters add their differences, the peak is the highest.
func TestMeasurementRoundsMerge(t *testing.T) {
	round := func(n int, lat time.Duration, cpu, sql, rss float64) measurement {
		return measurement{
			Load:     loadOf(n, lat),
			Before:   Counters{CPUSeconds: 100, SQLSum: 10, SQLCount: 10},
			After:    Counters{CPUSeconds: 100 + cpu, SQLSum: 10 + sql, SQLCount: 10 + float64(n)},
			Machine:  MachineCPU{LoadGen: 0.1, Postgres: cpu},
			RSSReset: true, PeakRSS: int64(rss), pid: 1,
		}
	}
	var m measurement
	m.add(round(100, time.Millisecond, 0.2, 100, 50))
	m.add(round(300, 3*time.Millisecond, 0.4, 600, 80))
	if m.Load.Requests != 400 || m.Load.Elapsed != 2*time.Second || m.Load.RPS() != 200 {
		t.Errorf("load %d requests in %s", m.Load.Requests, m.Load.Elapsed)
	}
	if p50, p90 := m.Load.Hist.QuantileDuration(.5), m.Load.Hist.QuantileDuration(.9); p50 < 2*time.Millisecond || p90 < 2*time.Millisecond {
		t.Errorf("pooled p50 %s, p90 %s: the slower round's 300 requests are 75 %%", p50, p90)
	}
	if got := m.CPUPerReq(); got != 1500*time.Microsecond {
		t.Errorf("CPU per request %s, want 1.5ms (0.6 s over 400)", got)
	}
	if sql := (m.After.SQLSum - m.Before.SQLSum) / (m.After.SQLCount - m.Before.SQLCount); sql != 1.75 {
		t.Errorf("SQL per request %g, want 1.75", sql)
	}
	if b := m.Budget(); b.Postgres != 1500*time.Microsecond || b.LoadGen != 500*time.Microsecond {
		t.Errorf("budget %+v", b)
	}
	if m.PeakRSS != 80 || !m.RSSReset {
		t.Errorf("peak %d, reset %v", m.PeakRSS, m.RSSReset)
	}

	raw := MeanPgbench([]PgbenchResult{{TPS: 1000, LatencyAvg: time.Millisecond}, {TPS: 2000, LatencyAvg: 3 * time.Millisecond, Failed: "2 (1%)"}})
	if raw.TPS != 1500 || raw.LatencyAvg != 2*time.Millisecond || raw.Failed != "2 (1%)" {
		t.Errorf("pgbench mean %+v", raw)
	}

	var b strings.Builder
	WriteRounds(&b, []Row{{Scenario: &Scenario{Name: "Q2"}, Concurrency: 8, Rounds: []RoundResult{{RPS: 300, RawTPS: 1000}, {RPS: 500, RawTPS: 1000, PGLRPS: 90}}}})
	if want := "| Q2 | 8 | 300, 500 | 1000, 1000 | 30 %, 50 % | —, 90 |"; !strings.Contains(b.String(), want) {
		t.Errorf("rounds table:\n%s\nwant %s", b.String(), want)
	}
}
