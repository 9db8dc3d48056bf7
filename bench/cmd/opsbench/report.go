package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Row is one scenario at one concurrency: OpsGraph's figures, the
// raw-SQL limit's and, when it ran, PostGraphile v4's.
type Row struct {
	Scenario    *Scenario
	Concurrency int
	Load        LoadResult
	SQLPerReq   float64 // NaN-free: 0 when unknown
	CPUPerReq   time.Duration
	Budget      Budget
	PeakRSS     int64
	RSSReset    bool
	Objects     int // objects with an id in one sampled answer
	AnswerBytes int
	Raw         *PgbenchResult
	RawErr      string
	RawCommand  string
	LoadAvg     string
	PGL         *PeerResult // nil: PostGraphile not run for this row
	PGLErr      string
	// Rounds are the figures of each round (-rounds); the fields above
	// merge them.
	Rounds []RoundResult
}

// RoundResult is one round of a row: OpsGraph's requests/s, the raw-SQL
// limit's and PostGraphile's (0: not run).
type RoundResult struct {
	RPS, RawTPS, PGLRPS float64
}

// PeerResult is what the closed loop measured against a comparison server
// (PostGraphile v4) and that process's CPU and peak RSS.
type PeerResult struct {
	Load        LoadResult
	CPUPerReq   time.Duration
	Budget      Budget
	PeakRSS     int64
	Objects     int // objects with a nodeId in one sampled answer
	AnswerBytes int
}

// Budget is where the machine's CPU went per measured request: the
// server process, PostgreSQL and the load generator, and how many of the
// machine's cores the three kept busy on average.
type Budget struct {
	Server, Postgres, LoadGen time.Duration
	Cores                     float64
}

// PGLRatio is OpsGraph's requests/s over PostGraphile's (0: unknown).
func (r Row) PGLRatio() float64 {
	if r.PGL == nil || r.PGL.Load.RPS() == 0 {
		return 0
	}
	return r.Load.RPS() / r.PGL.Load.RPS()
}

// pglTarget is the row's least OpsGraph/PostGraphile ratio (0: none).
func (r Row) pglTarget() float64 {
	if r.Scenario.PostGraphile == nil {
		return 0
	}
	return r.Scenario.PostGraphile.Target
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
	fmt.Fprintln(w, "| scenario | clients | req/s | p50 ms | p90 ms | p99 ms | p99/p50 | errors | SQL stmts/req | server CPU ms/req | server peak RSS MB | raw SQL tps | raw SQL avg ms | OpsGraph/raw | target | PostGraphile v4 req/s | OpsGraph/PostGraphile |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
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
		pgl, pglRatio := pglCells(r)
		fmt.Fprintf(w, "| %s | %d | %.1f | %s | %s | %s | %.1f | %d | %.1f | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.Scenario.Name, r.Concurrency, r.Load.RPS(), ms(p50), ms(h.QuantileDuration(.9)), ms(p99), tail,
			r.Load.Errors, r.SQLPerReq, cpu, rss, raw, rawAvg, ratio, target, pgl, pglRatio)
	}
}

// pglCells are the PostGraphile req/s and OpsGraph/PostGraphile cells.
func pglCells(r Row) (rps, ratio string) {
	switch {
	case r.PGL != nil:
		return fmt.Sprintf("%.1f", r.PGL.Load.RPS()), fmt.Sprintf("%.2f×", r.PGLRatio())
	case r.PGLErr != "":
		return "error", "—"
	}
	return "—", "—"
}

// WritePostGraphileTable writes PostGraphile's own figures for the rows
// where it ran (nothing when it ran for none): the latencies, its Node
// process's CPU and peak RSS, and its answer's size, so a reader can check
// both servers returned the same rows.
func WritePostGraphileTable(w io.Writer, rows []Row) {
	header := false
	for _, r := range rows {
		if r.PGL == nil {
			continue
		}
		if !header {
			fmt.Fprintln(w, "| scenario | clients | PostGraphile v4 req/s | p50 ms | p90 ms | p99 ms | errors | Node CPU ms/req | Node peak RSS MB | objects with a nodeId per answer | answer bytes |")
			fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
			header = true
		}
		p, h := r.PGL, r.PGL.Load.Hist
		cpu, rss := "—", "—"
		if p.CPUPerReq > 0 {
			cpu = ms(p.CPUPerReq)
		}
		if p.PeakRSS > 0 {
			rss = fmt.Sprintf("%.0f", float64(p.PeakRSS)/(1<<20))
		}
		fmt.Fprintf(w, "| %s | %d | %.1f | %s | %s | %s | %d | %s | %s | %d | %d |\n",
			r.Scenario.Name, r.Concurrency, p.Load.RPS(), ms(h.QuantileDuration(.5)), ms(h.QuantileDuration(.9)),
			ms(h.QuantileDuration(.99)), p.Load.Errors, cpu, rss, p.Objects, p.AnswerBytes)
	}
}

// WriteBudget writes the CPU per request of each side of every row
// (OpsGraph's, and PostGraphile's where it ran): with server, database and
// load generator on one machine, the three share its cores, so a request's
// total is what bounds the requests/s once the cores are full.
func WriteBudget(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| scenario | clients | server | server CPU ms/req | PostgreSQL CPU ms/req | load generator CPU ms/req | total ms/req | cores busy |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	line := func(r Row, server string, b Budget) {
		if b.Server == 0 && b.Postgres == 0 && b.LoadGen == 0 {
			return
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %.2f |\n", r.Scenario.Name, r.Concurrency, server,
			ms(b.Server), ms(b.Postgres), ms(b.LoadGen), ms(b.Server+b.Postgres+b.LoadGen), b.Cores)
	}
	for _, r := range rows {
		line(r, "OpsGraph", r.Budget)
		if r.PGL != nil {
			line(r, "PostGraphile v4", r.PGL.Budget)
		}
		if r.Raw != nil {
			line(r, "raw SQL (pgbench as the load generator)", r.Raw.Budget)
		}
	}
}

// WriteRounds lists each round's figures of rows measured more than once.
func WriteRounds(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| scenario | clients | OpsGraph req/s | raw SQL tps | OpsGraph/raw | PostGraphile v4 req/s |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	each := func(r Row, f func(RoundResult) string) string {
		parts := make([]string, len(r.Rounds))
		for i, rr := range r.Rounds {
			parts[i] = f(rr)
		}
		return strings.Join(parts, ", ")
	}
	num := func(v float64) string {
		if v == 0 {
			return "—"
		}
		return fmt.Sprintf("%.0f", v)
	}
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s |\n", r.Scenario.Name, r.Concurrency,
			each(r, func(rr RoundResult) string { return num(rr.RPS) }),
			each(r, func(rr RoundResult) string { return num(rr.RawTPS) }),
			each(r, func(rr RoundResult) string {
				if rr.RawTPS == 0 {
					return "—"
				}
				return fmt.Sprintf("%.0f %%", 100*rr.RPS/rr.RawTPS)
			}),
			each(r, func(rr RoundResult) string { return num(rr.PGLRPS) }))
	}
}

// WriteChecks lists the targets against the rows.
func WriteChecks(w io.Writer, rows []Row) {
	var tailBad, rssBad, ratioBad, pglBad []string
	var peak int64
	targeted, pglTargeted := 0, 0
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
		if t := r.pglTarget(); t > 0 && r.PGL != nil {
			pglTargeted++
			if r.PGLRatio() < t {
				pglBad = append(pglBad, id)
			}
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
	if pglTargeted == 0 {
		fmt.Fprintln(w, "- Q1 and Q2 each at least 2× PostGraphile v4 requests/s: PostGraphile not run (-postgraphile)")
	} else {
		fmt.Fprintf(w, "- Q1 and Q2 each at least 2× PostGraphile v4 requests/s: %s\n", list(pglBad))
	}
	fmt.Fprintf(w, "- p99 within 3× p50: %s\n", list(tailBad))
	fmt.Fprintf(w, "- server peak RSS under 150 MB (highest %.0f MB): %s\n", float64(peak)/(1<<20), list(rssBad))
}
