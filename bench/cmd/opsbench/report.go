package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Row is one scenario at one concurrency: OpsGraph's figures and the
// raw-SQL limit's.
type Row struct {
	Scenario    *Scenario
	Concurrency int
	Load        LoadResult
	SQLPerReq   float64 // NaN-free: 0 when unknown
	CPUPerReq   time.Duration
	PeakRSS     int64
	RSSReset    bool
	Objects     int // objects with an id in one sampled answer
	AnswerBytes int
	Raw         *PgbenchResult
	RawErr      string
	RawCommand  string
	LoadAvg     string
}

// Ratio is OpsGraph's requests/s over the raw-SQL limit's (0: unknown).
func (r Row) Ratio() float64 {
	if r.Raw == nil || r.Raw.TPS == 0 {
		return 0
	}
	return r.Load.RPS() / r.Raw.TPS
}

func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// WriteTable writes the side-by-side markdown table and the targets.
func WriteTable(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| scenario | clients | req/s | p50 ms | p90 ms | p99 ms | p99/p50 | errors | SQL stmts/req | server CPU ms/req | server peak RSS MB | raw SQL tps | raw SQL avg ms | OpsGraph/raw | target |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		h := r.Load.Hist
		p50, p99 := h.QuantileDuration(.5), h.QuantileDuration(.99)
		tail := 0.0
		if p50 > 0 {
			tail = float64(p99) / float64(p50)
		}
		raw, rawAvg, ratio := "—", "—", "—"
		if r.Raw != nil {
			raw = fmt.Sprintf("%.1f", r.Raw.TPS)
			rawAvg = ms(r.Raw.LatencyAvg)
			ratio = fmt.Sprintf("%.0f %%", 100*r.Ratio())
		} else if r.RawErr != "" {
			raw = "error"
		}
		target := "—"
		if r.Scenario.Target > 0 && r.Raw != nil {
			mark := "met"
			if r.Ratio() < r.Scenario.Target {
				mark = "**missed**"
			}
			target = fmt.Sprintf("≥ %.0f %%: %s", 100*r.Scenario.Target, mark)
		}
		rss := "—"
		if r.PeakRSS > 0 {
			rss = fmt.Sprintf("%.0f", float64(r.PeakRSS)/(1<<20))
		}
		cpu := "—"
		if r.CPUPerReq > 0 {
			cpu = ms(r.CPUPerReq)
		}
		fmt.Fprintf(w, "| %s | %d | %.1f | %s | %s | %s | %.1f | %d | %.1f | %s | %s | %s | %s | %s | %s |\n",
			r.Scenario.Name, r.Concurrency, r.Load.RPS(), ms(p50), ms(h.QuantileDuration(.9)), ms(p99), tail,
			r.Load.Errors, r.SQLPerReq, cpu, rss, raw, rawAvg, ratio, target)
	}
}

// WriteChecks lists the targets against the rows.
func WriteChecks(w io.Writer, rows []Row) {
	var tailBad, rssBad, ratioBad []string
	var peak int64
	targeted := 0
	for _, r := range rows {
		id := fmt.Sprintf("%s@%d", r.Scenario.Name, r.Concurrency)
		h := r.Load.Hist
		if p50 := h.Quantile(.5); p50 > 0 && float64(h.Quantile(.99)) > 3*float64(p50) {
			tailBad = append(tailBad, id)
		}
		peak = max(peak, r.PeakRSS)
		if r.PeakRSS >= 150<<20 {
			rssBad = append(rssBad, id)
		}
		if r.Scenario.Target > 0 && r.Raw != nil {
			targeted++
		}
		if r.Scenario.Target > 0 && r.Raw != nil && r.Ratio() < r.Scenario.Target {
			ratioBad = append(ratioBad, id)
		}
	}
	list := func(xs []string) string {
		if len(xs) == 0 {
			return "met everywhere"
		}
		return "missed by " + strings.Join(xs, ", ")
	}
	if targeted == 0 {
		fmt.Fprintln(w, "- requests/s against the raw-SQL limit: no row with a target was run")
	} else {
		fmt.Fprintf(w, "- requests/s against the raw-SQL limit (Q1 ≥ 50 %%, Q2 ≥ 35 %%): %s\n", list(ratioBad))
	}
	fmt.Fprintf(w, "- p99 within 3× p50: %s\n", list(tailBad))
	fmt.Fprintf(w, "- server peak RSS under 150 MB (highest %.0f MB): %s\n", float64(peak)/(1<<20), list(rssBad))
}
