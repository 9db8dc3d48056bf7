// Command opsbench is OpsGraph's load harness (issue 9): it runs the
// scenarios of bench/scenarios against an opsgraph server on PostgreSQL in
// a closed loop, and each scenario's hand-written SQL equivalent
// (bench/sql) with pgbench at the same concurrency, and writes the two side
// by side as a markdown table. With -postgraphile it also runs each
// scenario's PostGraphile v4 equivalent against a PostGraphile server it
// starts on the same database, for the requests/s comparison.
//
// One command reproduces a run (it seeds an empty database, builds and
// starts the server itself, so it knows the server's pid for CPU and RSS):
//
//	go run ./bench/cmd/opsbench \
//	  -database-url 'postgres://postgres@127.0.0.1:5432/opsgraph_bench?sslmode=disable' \
//	  -seed-accounts 100000 -scenarios bench/scenarios -out docs/benchmarks-harness.md
//
// See docs/benchmarks.md, "Load harness (issue 9)".
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
)

type options struct {
	dbURL          string
	seedAccounts   int
	scenarios      string
	only           string
	out            string
	bin            string
	serverLog      string
	concurrency    string
	duration       time.Duration
	warmup         time.Duration
	pgbench        string
	pgbenchThreads int
	raw            bool
	profile        string
	profileSeconds int
	rounds         int
	clientProcs    int
	profileOut     string
	serveArgs      string
	postgraphile   string
	pglArgs        string
	httpClient     string
	dbPool         int
}

func main() {
	var o options
	flag.StringVar(&o.dbURL, "database-url", envOr("OPSGRAPH_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/opsgraph_bench?sslmode=disable"), "PostgreSQL database of the benchmark dataset")
	flag.IntVar(&o.seedAccounts, "seed-accounts", 0, "when the database holds no accounts, seed it with `opsgraph seed --accounts N` first (then VACUUM ANALYZE); 0: refuse an empty database")
	flag.StringVar(&o.scenarios, "scenarios", "bench/scenarios", "directory of scenario files (*.json)")
	flag.StringVar(&o.only, "only", "", "comma-separated scenario names to run (Q3 selects every Q3-*); empty: all")
	flag.StringVar(&o.out, "out", "", "write the markdown report to this file as well as stdout")
	flag.StringVar(&o.bin, "bin", "", "opsgraph binary; empty: go build ./cmd/opsgraph into a temporary directory")
	flag.StringVar(&o.serverLog, "server-log", "", "file for the server's log; empty: discarded")
	flag.StringVar(&o.concurrency, "concurrency", "", "override every scenario's client counts, e.g. 8,32")
	flag.DurationVar(&o.duration, "duration", 0, "override every scenario's measured duration")
	flag.DurationVar(&o.warmup, "warmup", 0, "override every scenario's warm-up")
	flag.StringVar(&o.pgbench, "pgbench", "", "pgbench binary; empty: PATH, then the newest /usr/lib/postgresql/*/bin/pgbench")
	flag.IntVar(&o.pgbenchThreads, "pgbench-threads", 2, "pgbench -j")
	flag.BoolVar(&o.raw, "raw", true, "run the raw-SQL limit with pgbench")
	flag.StringVar(&o.profile, "profile", "", "scenario to CPU-profile the server during (its first client count), e.g. Q1")
	flag.IntVar(&o.profileSeconds, "profile-seconds", 15, "length of the CPU profile")
	flag.IntVar(&o.rounds, "rounds", 1, "measure each scenario and client count this many times, OpsGraph, PostGraphile and pgbench in turn each round, and report the rounds merged (a shared machine's drift then falls on all three alike)")
	flag.StringVar(&o.profileOut, "profile-out", "", "where to keep the profile; empty: next to -out (or the temp dir)")
	flag.StringVar(&o.serveArgs, "serve-args", "", "extra flags for opsgraph serve, space separated")
	flag.StringVar(&o.postgraphile, "postgraphile", "", "PostGraphile v4 CLI (e.g. /tmp/pgl/node_modules/.bin/postgraphile) to compare with on the same database; its log goes to -server-log + .postgraphile; empty: no comparison")
	flag.StringVar(&o.pglArgs, "postgraphile-args", "", "extra flags for postgraphile, space separated")
	flag.IntVar(&o.clientProcs, "client-procs", 1, "GOMAXPROCS of this process, the load generator (0: Go's default, one per core): one thread, as each of pgbench's -j threads is one event loop, keeps its scheduling out of the latencies it measures on a machine it shares with the server and PostgreSQL")
	flag.StringVar(&o.httpClient, "http-client", "lean", "how the load generator sends: lean (one keep-alive HTTP/1.1 connection per client, written and read by hand, as wrk does) or std (net/http's client)")
	flag.IntVar(&o.dbPool, "db-pool", 2*runtime.NumCPU(), "PostgreSQL connections of each server under test (opsgraph serve --db-max-conns, PostGraphile --max-pool-size); the default is the PostgreSQL wiki's rule for a database on this machine, two per core (docs/operations.md, \"Sizing the connection pool\")")
	flag.Parse()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "opsbench:", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "%s opsbench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
}

func run(ctx context.Context, o options) error {
	scenarios, err := LoadScenarios(o.scenarios, splitList(o.only))
	if err != nil {
		return err
	}
	if err := applyOverrides(scenarios, o); err != nil {
		return err
	}
	if o.rounds < 1 {
		return errors.New("-rounds must be at least 1")
	}
	if o.clientProcs < 0 {
		return errors.New("-client-procs must be 0 or more")
	}
	if o.dbPool < 1 {
		return errors.New("-db-pool must be at least 1")
	}
	if o.clientProcs > 0 {
		runtime.GOMAXPROCS(o.clientProcs)
	}
	tmp, err := os.MkdirTemp("", "opsbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.bin == "" {
		o.bin = filepath.Join(tmp, "opsgraph")
		logf("building ./cmd/opsgraph")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", o.bin, "./cmd/opsgraph")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/opsgraph (run opsbench from the repository root or pass -bin): %w", err)
		}
	}
	if o.raw && o.pgbench == "" {
		if o.pgbench = FindPgbench(); o.pgbench == "" {
			return errors.New("no pgbench found: pass -pgbench or -raw=false")
		}
	}

	db, err := sql.Open("postgres", o.dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := ensureData(ctx, db, o); err != nil {
		return err
	}
	env, err := describeEnv(ctx, db)
	if err != nil {
		return err
	}
	pools, vars, err := loadPools(ctx, db, scenarios)
	if err != nil {
		return err
	}

	logw := io.Discard
	if o.serverLog != "" {
		f, err := os.Create(o.serverLog)
		if err != nil {
			return err
		}
		defer f.Close()
		logw = f
	}
	secret := RandomSecret()
	srv, err := StartServer(ctx, o.bin, o.dbURL, secret, o.dbPool, strings.Fields(o.serveArgs), logw)
	if err != nil {
		return err
	}
	defer srv.Stop()
	logf("server pid %d at %s (admin %s)", srv.Pid, srv.URL, srv.AdminURL)
	pgl, stopPGL, err := startPostGraphile(ctx, o, scenarios)
	if err != nil {
		return err
	}
	defer stopPGL()
	if pgl != nil {
		logf("PostGraphile pid %d at %s", pgl.Pid, pgl.URL)
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0, DisableCompression: true}}
	clientsFor := func(url, token string) Clients {
		c := Clients{URL: url, Token: token}
		if o.httpClient == "std" {
			c.Std = client
		}
		return c
	}
	tokens := map[string]string{}
	var rows []Row
	var profileTop string
	var skipped []string
	profiled := ""
	for _, s := range scenarios {
		key := fmt.Sprint(s.Viewer)
		if tokens[key] == "" {
			if tokens[key], err = Token(ctx, o.bin, secret, s.Viewer); err != nil {
				return err
			}
		}
		tok := tokens[key]
		objects, size, err := sample(ctx, clientsFor(srv.URL, tok), s, pools, "id")
		if err != nil {
			logf("%s: the sample request failed, not measuring it: %v", s.Name, err)
			skipped = append(skipped, fmt.Sprintf("- %s: not measured, its sample request failed: %s", s.Name, shorten(err.Error(), 400)))
			continue
		}
		var ps *Scenario // PostGraphile's side of s; nil: not compared
		var pglObjects, pglSize int
		pglErr := ""
		if pgl != nil {
			if ps = s.PostGraphileScenario(); ps != nil {
				if pglObjects, pglSize, err = sample(ctx, clientsFor(pgl.URL, ""), ps, pools, "nodeId"); err != nil {
					logf("%s: the PostGraphile sample request failed, not comparing: %v", s.Name, err)
					pglErr, ps = "sample request failed: "+shorten(err.Error(), 400), nil
				}
			}
		}
		for i, conc := range s.Concurrency {
			row := Row{Scenario: s, Concurrency: conc, Objects: objects, AnswerBytes: size, PGLErr: pglErr}
			var ours, peer measurement
			var raws []PgbenchResult
			rowPS := ps // PostGraphile's side of this row; nil once it failed
			for round := range o.rounds {
				logf("%s at %d clients, round %d of %d: %s warm-up, %s measured", s.Name, conc, round+1, o.rounds, time.Duration(s.Warmup), time.Duration(s.Duration))
				var profDone chan error
				profPath := ""
				m, err := measure(ctx, client, clientsFor(srv.URL, tok), srv, s, pools, conc, func() {
					if o.profile != "" && s.Name == o.profile && i == 0 && round == 0 {
						profPath = profilePath(o, tmp, s.Name)
						secs := min(o.profileSeconds, max(1, int(time.Duration(s.Duration).Seconds())-1))
						profDone = make(chan error, 1)
						go func() { profDone <- srv.Profile(ctx, secs, profPath) }()
					}
				})
				if err != nil {
					return fmt.Errorf("%s at %d: %w", s.Name, conc, err)
				}
				ours.add(m)
				rr := RoundResult{RPS: m.Load.RPS()}
				if m.Load.Errors > 0 {
					logf("%s at %d: %d errors, e.g. %s", s.Name, conc, m.Load.Errors, m.Load.FirstError)
				}
				if profDone != nil {
					if err := <-profDone; err != nil {
						logf("profile: %v", err)
					} else {
						profiled = profPath
						logf("profile of %s kept in %s", s.Name, profPath)
					}
				}
				if rowPS != nil {
					logf("%s at %d clients: PostGraphile", s.Name, conc)
					p, err := measure(ctx, client, clientsFor(pgl.URL, ""), pgl, rowPS, pools, conc, nil)
					if ctx.Err() != nil {
						return ctx.Err()
					}
					if err != nil {
						row.PGLErr = err.Error()
						logf("%s: PostGraphile: %v", s.Name, err)
						rowPS = nil // not compared in later rounds
					} else {
						if p.Load.Errors > 0 {
							logf("%s at %d: PostGraphile: %d errors, e.g. %s", s.Name, conc, p.Load.Errors, p.Load.FirstError)
						}
						peer.add(p)
						rr.PGLRPS = p.Load.RPS()
					}
				}
				if o.raw && s.SQLPath() != "" && row.RawErr == "" {
					logf("%s at %d clients: pgbench %s", s.Name, conc, s.SQLPath())
					r, line, err := RunPgbench(ctx, o.pgbench, o.dbURL, s.SQLPath(), conc, o.pgbenchThreads, time.Duration(s.Warmup), time.Duration(s.Duration), vars)
					row.RawCommand = line
					if err != nil {
						row.RawErr = err.Error()
						logf("%s: %v", s.Name, err)
					} else {
						raws = append(raws, r)
						rr.RawTPS = r.TPS
					}
				}
				row.Rounds = append(row.Rounds, rr)
			}
			row.Load, row.RSSReset, row.PeakRSS, row.CPUPerReq, row.Budget = ours.Load, ours.RSSReset, ours.PeakRSS, ours.CPUPerReq(), ours.Budget()
			if n := ours.After.SQLCount - ours.Before.SQLCount; n > 0 {
				row.SQLPerReq = (ours.After.SQLSum - ours.Before.SQLSum) / n
			}
			row.LoadAvg = loadAvg()
			if peer.Load.Requests > 0 && row.PGLErr == "" {
				row.PGL = &PeerResult{Load: peer.Load, PeakRSS: peer.PeakRSS, CPUPerReq: peer.CPUPerReq(), Budget: peer.Budget(),
					Objects: pglObjects, AnswerBytes: pglSize}
			}
			if row.RawErr == "" && len(raws) > 0 {
				r := MeanPgbench(raws)
				row.Raw = &r
			}
			rows = append(rows, row)
			WriteTable(os.Stderr, rows[len(rows)-1:])
		}
	}

	if profiled != "" {
		profileTop = pprofTop(ctx, o.bin, profiled)
	}
	var b strings.Builder
	writeReport(&b, o, env, rows, profileTop, skipped, pgl != nil)
	fmt.Print(b.String())
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(b.String()), 0o644); err != nil {
			return err
		}
		logf("report written to %s", o.out)
	}
	return nil
}

// startPostGraphile starts the comparison server when -postgraphile names
// one and a selected scenario has a PostGraphile request (nil otherwise);
// stop ends it and closes its log, and is never nil.
func startPostGraphile(ctx context.Context, o options, ss []*Scenario) (pgl *Server, stop func(), err error) {
	stop = func() {}
	if o.postgraphile == "" {
		return nil, stop, nil
	}
	if !slices.ContainsFunc(ss, func(s *Scenario) bool { return s.PostGraphile != nil }) {
		logf("no selected scenario has a postgraphile request: not starting PostGraphile")
		return nil, stop, nil
	}
	logw := io.Discard
	var logFile *os.File
	if o.serverLog != "" {
		if logFile, err = os.Create(o.serverLog + ".postgraphile"); err != nil {
			return nil, stop, err
		}
		logw = logFile
	}
	closeLog := func() {
		if logFile != nil {
			logFile.Close()
		}
	}
	logf("starting PostGraphile (%s)", o.postgraphile)
	if pgl, err = StartPostGraphile(ctx, o.postgraphile, o.dbURL, o.dbPool, strings.Fields(o.pglArgs), logw); err != nil {
		closeLog()
		return nil, stop, err
	}
	return pgl, func() { pgl.Stop(); closeLog() }, nil
}

// measurement is one closed-loop run against a server process: the load,
// the server's counters around the measured window and its peak RSS.
type measurement struct {
	Load          LoadResult
	Before, After Counters
	// Machine is the CPU the rest of the machine spent in the window:
	// the load generator (this process) and PostgreSQL (every postgres
	// process), after minus before.
	Machine  MachineCPU
	RSSReset bool // the peak was reset before the run (else it is the process's)
	PeakRSS  int64
	pid      int
}

// add merges o, a later run against the same process, into m: the
// loads, the counters' differences and the machine's CPU add up, the peak
// RSS is the highest. The zero measurement takes o as it is.
func (m *measurement) add(o measurement) {
	if m.Load.Hist == nil {
		*m = o
		return
	}
	l := &m.Load
	l.Elapsed += o.Load.Elapsed
	l.Hist.Merge(o.Load.Hist)
	l.Requests += o.Load.Requests
	l.Errors += o.Load.Errors
	l.Bytes += o.Load.Bytes
	if l.FirstError == "" {
		l.FirstError = o.Load.FirstError
	}
	m.After.SQLSum += o.After.SQLSum - o.Before.SQLSum
	m.After.SQLCount += o.After.SQLCount - o.Before.SQLCount
	m.After.CPUSeconds += o.After.CPUSeconds - o.Before.CPUSeconds
	m.Machine.LoadGen += o.Machine.LoadGen
	m.Machine.Postgres += o.Machine.Postgres
	m.RSSReset = m.RSSReset && o.RSSReset
	m.PeakRSS = max(m.PeakRSS, o.PeakRSS)
}

// Budget is the CPU per measured request of the server, PostgreSQL and
// the load generator.
func (m measurement) Budget() Budget {
	b := Budget{Server: m.CPUPerReq()}
	if n := float64(m.Load.Requests); n > 0 {
		b.Postgres = time.Duration(m.Machine.Postgres / n * float64(time.Second))
		b.LoadGen = time.Duration(m.Machine.LoadGen / n * float64(time.Second))
	}
	b.Cores = (m.After.CPUSeconds - m.Before.CPUSeconds + m.Machine.Postgres + m.Machine.LoadGen) / m.Load.Elapsed.Seconds()
	return b
}

// CPUPerReq is the process's CPU time per measured request (0 without a
// pid or requests).
func (m measurement) CPUPerReq() time.Duration {
	if m.Load.Requests == 0 || m.pid == 0 {
		return 0
	}
	return time.Duration((m.After.CPUSeconds - m.Before.CPUSeconds) / float64(m.Load.Requests) * float64(time.Second))
}

// measure runs the closed loop against srv at conc through clients,
// reading its counters around the measured window (start runs there too;
// client scrapes the metrics) and its peak RSS of the run.
func measure(ctx context.Context, client *http.Client, clients Clients, srv *Server, s *Scenario, pools map[string][]int, conc int, start func()) (measurement, error) {
	m := measurement{RSSReset: ResetPeakRSS(srv.Pid), pid: srv.Pid}
	var cerr error
	var machine MachineCPU
	ph := Phases{
		Start: func() {
			m.Before, cerr = srv.ReadCounters(ctx, client)
			machine = ReadMachineCPU()
			if start != nil {
				start()
			}
		},
		End: func() {
			m.Machine = ReadMachineCPU().Sub(machine)
			var err error
			m.After, err = srv.ReadCounters(ctx, client)
			cerr = errors.Join(cerr, err)
		},
	}
	var err error
	if m.Load, err = RunLoad(ctx, clients, s, pools, conc, time.Duration(s.Warmup), time.Duration(s.Duration), ph); err != nil {
		return m, err
	}
	if cerr != nil {
		return m, cerr
	}
	m.PeakRSS = PeakRSS(srv.Pid)
	return m, nil
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

func applyOverrides(ss []*Scenario, o options) error {
	var conc []int
	for _, p := range splitList(o.concurrency) {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 {
			return fmt.Errorf("-concurrency: %q is not a positive number", p)
		}
		conc = append(conc, n)
	}
	for _, s := range ss {
		if len(conc) > 0 {
			s.Concurrency = conc
		}
		if o.duration > 0 {
			s.Duration = Duration(o.duration)
		}
		if o.warmup > 0 {
			s.Warmup = Duration(o.warmup)
		}
	}
	return nil
}

// ensureData seeds an empty database when asked to.
func ensureData(ctx context.Context, db *sql.DB, o options) error {
	var n int64
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM accounts`).Scan(&n)
	var pqErr *pq.Error
	switch {
	case errors.As(err, &pqErr) && pqErr.Code == "42P01": // no accounts table yet
		n = 0
	case err != nil:
		return fmt.Errorf("reading the dataset: %w", err)
	}
	if n > 0 {
		logf("dataset: %d accounts already loaded", n)
		return nil
	}
	if o.seedAccounts <= 0 {
		return errors.New("the database holds no accounts: pass -seed-accounts 100000 (or seed it with opsgraph seed)")
	}
	logf("seeding %d accounts (several minutes)", o.seedAccounts)
	cmd := exec.CommandContext(ctx, o.bin, "seed", "--accounts", strconv.Itoa(o.seedAccounts), "--database-url", o.dbURL)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("opsgraph seed: %w", err)
	}
	logf("seeded in %s; VACUUM ANALYZE", time.Since(t0).Round(time.Second))
	_, err = db.ExecContext(ctx, `VACUUM ANALYZE`)
	return err
}

// Env describes the machine and dataset of a run.
type Env struct {
	When     time.Time
	Postgres string
	Counts   []string
	Commit   string
	CPUs     int
	LoadAvg  string
}

func describeEnv(ctx context.Context, db *sql.DB) (Env, error) {
	e := Env{When: time.Now(), CPUs: runtime.NumCPU(), LoadAvg: loadAvg()}
	if err := db.QueryRowContext(ctx, `SHOW server_version`).Scan(&e.Postgres); err != nil {
		return e, err
	}
	for _, t := range []string{"accounts", "contracts", "entitlements", "health_signals"} {
		var n int64
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&n); err != nil {
			return e, err
		}
		e.Counts = append(e.Counts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(t, "_", " ")))
	}
	if out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		e.Commit = strings.TrimSpace(string(out))
	}
	return e, nil
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// loadPools reads every pool the scenarios use, mirrors it into
// opsbench.pool_<name> (n, id) for the pgbench scripts, and returns the
// ids and the pgbench variables <name>_min, <name>_max and <name>_count.
func loadPools(ctx context.Context, db *sql.DB, ss []*Scenario) (map[string][]int, map[string]string, error) {
	queries := map[string]string{}
	for _, s := range ss {
		for name, q := range s.Pools {
			if prev, ok := queries[name]; ok && prev != q {
				return nil, nil, fmt.Errorf("pool %q is defined twice, differently", name)
			}
			queries[name] = q
		}
	}
	names := make([]string, 0, len(queries))
	for n := range queries {
		if !poolName.MatchString(n) {
			return nil, nil, fmt.Errorf("pool name %q: use lower case letters, digits and _", n)
		}
		names = append(names, n)
	}
	sort.Strings(names)
	pools := map[string][]int{}
	vars := map[string]string{}
	if len(names) == 0 {
		return pools, vars, nil
	}
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS opsbench`); err != nil {
		return nil, nil, err
	}
	for _, name := range names {
		rows, err := db.QueryContext(ctx, queries[name])
		if err != nil {
			return nil, nil, fmt.Errorf("pool %s: %w", name, err)
		}
		var ids []int
		for rows.Next() {
			var id int
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, nil, fmt.Errorf("pool %s: %w", name, err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
		if len(ids) == 0 {
			return nil, nil, fmt.Errorf("pool %s is empty", name)
		}
		sort.Ints(ids)
		pools[name] = ids
		vars[name+"_min"] = strconv.Itoa(ids[0])
		vars[name+"_max"] = strconv.Itoa(ids[len(ids)-1])
		vars[name+"_count"] = strconv.Itoa(len(ids))
		tbl := "opsbench.pool_" + name
		ns := make([]int64, len(ids))
		vs := make([]int64, len(ids))
		for i, id := range ids {
			ns[i], vs[i] = int64(i+1), int64(id)
		}
		for _, stmt := range []string{
			`DROP TABLE IF EXISTS ` + tbl,
			`CREATE TABLE ` + tbl + ` (n int PRIMARY KEY, id bigint NOT NULL)`,
		} {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				return nil, nil, err
			}
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO `+tbl+` SELECT * FROM unnest($1::int[], $2::bigint[])`, pq.Array(ns), pq.Array(vs)); err != nil {
			return nil, nil, err
		}
		if _, err := db.ExecContext(ctx, `ANALYZE `+tbl); err != nil {
			return nil, nil, err
		}
		logf("pool %s: %d ids (%d…%d)", name, len(ids), ids[0], ids[len(ids)-1])
	}
	return pools, vars, nil
}

var poolName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// sample sends one request of each operation and checks the answers carry
// no errors; it returns the objects with an id (a key idKey, e.g. "id")
// and the bytes of the first.
func sample(ctx context.Context, clients Clients, s *Scenario, pools map[string][]int, idKey string) (objects, size int, err error) {
	c := &GenContext{Rand: rand.New(rand.NewPCG(1, 2)), Worker: 0, Seq: new(int), Pools: pools}
	p, err := clients.newPoster()
	if err != nil {
		return 0, 0, err
	}
	defer p.close()
	for i := range s.Operations {
		body, err := requestBody(&s.Operations[i], c)
		if err != nil {
			return 0, 0, err
		}
		msg, b, err := p.post(ctx, body)
		if err != nil {
			return 0, 0, err
		}
		if msg != "" {
			return 0, 0, errors.New(msg)
		}
		if i == 0 {
			objects, size = CountKeys(b, idKey), len(b)
		}
	}
	return objects, size, nil
}

// CountKeys counts the object keys named key in a JSON document. A space
// may precede the colon: answers built by PostgreSQL (json_build_object,
// OpsGraph's compiled reads) write `"id" : …`, gqlgen and PostGraphile
// `"id":…`.
func CountKeys(doc []byte, key string) int {
	return len(regexp.MustCompile(`"`+regexp.QuoteMeta(key)+`"\s*:`).FindAllIndex(doc, -1))
}

func profilePath(o options, tmp, name string) string {
	dir := o.profileOut
	if dir == "" && o.out != "" {
		dir = filepath.Dir(o.out)
	}
	if dir == "" {
		dir = tmp
	}
	if strings.HasSuffix(dir, ".pprof") {
		return dir
	}
	return filepath.Join(dir, "opsbench-"+strings.ToLower(name)+".cpu.pprof")
}

// pprofTop is `go tool pprof -top` of the profile's ten heaviest functions,
// by own (flat) time and by cumulative time.
func pprofTop(ctx context.Context, bin, path string) string {
	var parts []string
	for _, extra := range [][]string{nil, {"-cum"}} {
		args := append(append([]string{"tool", "pprof", "-top", "-nodecount=10"}, extra...), bin, path)
		out, err := exec.CommandContext(ctx, "go", args...).Output()
		if err != nil {
			return "(go tool pprof failed: " + err.Error() + ")"
		}
		shown := append(append([]string{"go", "tool", "pprof", "-top", "-nodecount=10"}, extra...), "opsgraph", filepath.Base(path))
		parts = append(parts, "$ "+strings.Join(shown, " ")+"\n"+strings.TrimSpace(string(out)))
	}
	return strings.Join(parts, "\n\n")
}

func writeReport(w io.Writer, o options, e Env, rows []Row, profileTop string, skipped []string, pglRan bool) {
	fmt.Fprintf(w, "Run %s (commit %s) on %d CPUs, PostgreSQL %s; dataset %s; load average %s at the start.\n\n",
		e.When.UTC().Format("2006-01-02 15:04 MST"), e.Commit, e.CPUs, e.Postgres, strings.Join(e.Counts, ", "), e.LoadAvg)
	fmt.Fprintf(w, "Each server under test holds at most %d PostgreSQL connections (-db-pool: `opsgraph serve --db-max-conns %d`, PostGraphile `--max-pool-size %d`); pgbench opens one per client.\n\n", o.dbPool, o.dbPool, o.dbPool)
	if o.rounds > 1 {
		fmt.Fprintf(w, "Each row merges %d rounds; each round measured OpsGraph, then PostGraphile, then pgbench (per-round figures below).\n\n", o.rounds)
	}
	WriteTable(w, rows)
	fmt.Fprintln(w)
	WriteChecks(w, rows)
	if o.rounds > 1 {
		fmt.Fprintln(w, "\nRounds:")
		fmt.Fprintln(w)
		WriteRounds(w, rows)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| scenario | clients | objects with an id per answer | answer bytes | load average after |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %s |\n", r.Scenario.Name, r.Concurrency, r.Objects, r.AnswerBytes, r.LoadAvg)
	}
	if pglRan {
		fmt.Fprintf(w, "\nPostGraphile v4 on the same database, one Node process, the same clients and windows (`%s`, NODE_ENV=production):\n\n",
			PostGraphileCommand(o.dbPool, strings.Fields(o.pglArgs)))
		WritePostGraphileTable(w, rows)
	}
	fmt.Fprintf(w, "\nWhere the %d cores went, per request (load generator: this process, -http-client %s, GOMAXPROCS %d; for the raw SQL, pgbench -j %d):\n\n", e.CPUs, o.httpClient, runtime.GOMAXPROCS(0), o.pgbenchThreads)
	WriteBudget(w, rows)
	if profileTop != "" {
		fmt.Fprintf(w, "\nCPU profile of the server during %s:\n\n```\n%s\n```\n", o.profile, profileTop)
	}
	errs := skipped
	for _, r := range rows {
		if r.RawErr != "" {
			errs = append(errs, fmt.Sprintf("- %s@%d raw SQL: %s", r.Scenario.Name, r.Concurrency, r.RawErr))
		}
		if r.Load.Errors > 0 {
			errs = append(errs, fmt.Sprintf("- %s@%d: %d errors, e.g. %s", r.Scenario.Name, r.Concurrency, r.Load.Errors, r.Load.FirstError))
		}
		if r.PGLErr != "" {
			errs = append(errs, fmt.Sprintf("- %s@%d PostGraphile: %s", r.Scenario.Name, r.Concurrency, r.PGLErr))
		}
		if r.PGL != nil && r.PGL.Load.Errors > 0 {
			errs = append(errs, fmt.Sprintf("- %s@%d PostGraphile: %d errors, e.g. %s", r.Scenario.Name, r.Concurrency, r.PGL.Load.Errors, r.PGL.Load.FirstError))
		}
	}
	if len(errs) > 0 {
		fmt.Fprintf(w, "\nErrors:\n\n%s\n", strings.Join(errs, "\n"))
	}
	if len(rows) > 0 && rows[0].RawCommand != "" {
		fmt.Fprintf(w, "\npgbench, e.g.: `%s`\n", rows[0].RawCommand)
	}
}
