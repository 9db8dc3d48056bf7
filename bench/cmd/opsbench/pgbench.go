package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// PgbenchResult is what one pgbench run reported.
type PgbenchResult struct {
	TPS        float64
	LatencyAvg time.Duration
	Failed     string  // pgbench's own failure report, if any
	Txns       float64 // transactions processed
	// Budget is the CPU per transaction of the measured run: PostgreSQL
	// (every postgres process) and pgbench itself as the load generator.
	Budget Budget
}

var (
	tpsRe     = regexp.MustCompile(`(?m)^tps = ([0-9.]+) \(without initial connection time\)`)
	latencyRe = regexp.MustCompile(`(?m)^latency average = ([0-9.]+) ms`)
	txnsRe    = regexp.MustCompile(`(?m)^number of transactions actually processed: ([0-9]+)`)
	failedRe  = regexp.MustCompile(`(?m)^number of failed transactions: ([1-9][0-9]*.*)$`)
)

// MeanPgbench merges runs of equal length: the mean tps and latency, and
// every failure report.
func MeanPgbench(rs []PgbenchResult) PgbenchResult {
	var m PgbenchResult
	var failed []string
	for _, r := range rs {
		m.TPS += r.TPS / float64(len(rs))
		m.LatencyAvg += r.LatencyAvg / time.Duration(len(rs))
		m.Budget.Postgres += r.Budget.Postgres / time.Duration(len(rs))
		m.Budget.LoadGen += r.Budget.LoadGen / time.Duration(len(rs))
		m.Budget.Cores += r.Budget.Cores / float64(len(rs))
		if r.Failed != "" {
			failed = append(failed, r.Failed)
		}
	}
	m.Failed = strings.Join(failed, "; ")
	return m
}

// ParsePgbench reads tps and the average latency from pgbench's summary.
func ParsePgbench(out string) (PgbenchResult, error) {
	var r PgbenchResult
	m := tpsRe.FindStringSubmatch(out)
	if m == nil {
		return r, errors.New("no tps line in the pgbench output")
	}
	r.TPS, _ = strconv.ParseFloat(m[1], 64)
	if m := latencyRe.FindStringSubmatch(out); m != nil {
		ms, _ := strconv.ParseFloat(m[1], 64)
		r.LatencyAvg = time.Duration(ms * float64(time.Millisecond))
	}
	if m := txnsRe.FindStringSubmatch(out); m != nil {
		r.Txns, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := failedRe.FindStringSubmatch(out); m != nil {
		r.Failed = m[1]
	}
	return r, nil
}

// pgConn is the libpq connection flags of a postgres:// URL for pgbench.
func pgConn(dbURL string) (args []string, env []string, err error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, nil, err
	}
	if h := u.Hostname(); h != "" {
		args = append(args, "-h", h)
	}
	if p := u.Port(); p != "" {
		args = append(args, "-p", p)
	}
	if u.User != nil {
		args = append(args, "-U", u.User.Username())
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
		}
	}
	if m := u.Query().Get("sslmode"); m != "" {
		env = append(env, "PGSSLMODE="+m)
	}
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" {
		return nil, nil, errors.New("the database URL names no database")
	}
	return args, env, nil
}

// pgbenchArgs are the arguments of one run of script at conc clients.
func pgbenchArgs(dbURL, script string, conc, threads int, d time.Duration, vars map[string]string) ([]string, []string, error) {
	conn, env, err := pgConn(dbURL)
	if err != nil {
		return nil, nil, err
	}
	u, _ := url.Parse(dbURL)
	args := append(conn, "-n", "-M", "prepared", "-c", strconv.Itoa(conc), "-j", strconv.Itoa(min(threads, conc)),
		"-T", strconv.Itoa(max(1, int(d.Round(time.Second).Seconds()))), "-f", script)
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-D", k+"="+vars[k])
	}
	return append(args, strings.TrimPrefix(u.Path, "/")), env, nil
}

// RunPgbench runs script at conc clients for warmup (discarded) and then
// duration, and parses the measured run.
func RunPgbench(ctx context.Context, bin, dbURL, script string, conc, threads int, warmup, duration time.Duration, vars map[string]string) (PgbenchResult, string, error) {
	// run runs pgbench for d; cpu is pgbench's own (its rusage).
	run := func(d time.Duration) (line, out string, cpu time.Duration, err error) {
		args, env, err := pgbenchArgs(dbURL, script, conc, threads, d, vars)
		if err != nil {
			return "", "", 0, err
		}
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(cmd.Environ(), env...)
		b, err := cmd.CombinedOutput()
		if cmd.ProcessState != nil {
			cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
		line = bin + " " + strings.Join(args, " ")
		if err != nil {
			return line, string(b), cpu, fmt.Errorf("pgbench: %v: %s", err, shorten(string(b), 500))
		}
		return line, string(b), cpu, nil
	}
	if warmup >= time.Second {
		if _, _, _, err := run(warmup); err != nil {
			return PgbenchResult{}, "", err
		}
	}
	before, start := ReadMachineCPU(), time.Now()
	line, out, clientCPU, err := run(duration)
	pgCPU, elapsed := ReadMachineCPU().Sub(before), time.Since(start)
	if err != nil {
		return PgbenchResult{}, line, err
	}
	r, err := ParsePgbench(out)
	if err == nil {
		r.Budget = rawBudget(r.Txns, pgCPU.Postgres, clientCPU, elapsed)
	}
	return r, line, err
}

// rawBudget is a pgbench run's CPU per transaction: PostgreSQL's seconds
// and pgbench's over the n transactions it processed (connection setup is
// included on both sides: milliseconds of a run of seconds).
func rawBudget(n, pgSeconds float64, client, elapsed time.Duration) Budget {
	if n <= 0 || elapsed <= 0 {
		return Budget{}
	}
	return Budget{
		Postgres: time.Duration(pgSeconds / n * float64(time.Second)),
		LoadGen:  time.Duration(float64(client) / n),
		Cores:    (pgSeconds + client.Seconds()) / elapsed.Seconds(),
	}
}

// FindPgbench returns pgbench from PATH or the newest PostgreSQL install.
func FindPgbench() string {
	if p, err := exec.LookPath("pgbench"); err == nil {
		return p
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench")
	sort.Slice(matches, func(i, j int) bool { return versionOf(matches[i]) > versionOf(matches[j]) })
	if len(matches) > 0 {
		return matches[0]
	}
	return ""
}

func versionOf(path string) int {
	parts := strings.Split(path, "/")
	if len(parts) > 4 {
		n, _ := strconv.Atoi(parts[4])
		return n
	}
	return 0
}
