// Package cli implements the opsgraph command: serve (the default), migrate,
// seed, token and schema.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/opsgraph/opsgraph/graph"
	"github.com/opsgraph/opsgraph/internal/auth"
	"github.com/opsgraph/opsgraph/internal/config"
	"github.com/opsgraph/opsgraph/internal/entitlements"
	"github.com/opsgraph/opsgraph/internal/explorer"
	"github.com/opsgraph/opsgraph/internal/leader"
	"github.com/opsgraph/opsgraph/internal/logbuf"
	"github.com/opsgraph/opsgraph/internal/migrate"
	"github.com/opsgraph/opsgraph/internal/observe"
	"github.com/opsgraph/opsgraph/internal/ratelimit"
	"github.com/opsgraph/opsgraph/internal/seed"
	"github.com/opsgraph/opsgraph/internal/server"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

const usage = `opsgraph: the OpsGraph GraphQL API server.

Usage:
  opsgraph [serve] [flags]       run the server (default)
  opsgraph migrate [--status]    apply pending database migrations
  opsgraph seed [--accounts N]   load the demo (or, for large N, benchmark) dataset
  opsgraph sweep                 store entitlement expiries (serve does it every --sweep-interval)
  opsgraph token --subject S --role R [--scope S] [--ttl 8h]
                                 mint an HS256 JWT with the configured secret
  opsgraph schema                print the GraphQL schema (SDL)

Run "opsgraph <command> -h" for the flags of a command. Every flag can also
be set with its OPSGRAPH_* environment variable.
`

// Run runs the command line args and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, stdout, stderr)
	case "migrate":
		err = migrateCmd(ctx, args, stdout, stderr)
	case "sweep":
		err = sweepCmd(ctx, args, stdout, stderr)
	case "seed":
		err = seedCmd(ctx, args, stdout, stderr)
	case "token":
		err = tokenCmd(args, stdout, stderr)
	case "schema":
		err = schemaCmd(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "opsgraph: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "opsgraph %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

// parse registers the common settings plus extra flags and parses args.
func parse(name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (*config.Config, error) {
	fs := flag.NewFlagSet("opsgraph "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := &config.Config{}
	cfg.Register(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return cfg, cfg.Check()
}

func open(ctx context.Context, cfg *config.Config) (*store.DB, error) {
	return store.Open(ctx, storeOptions(cfg))
}

func storeOptions(cfg *config.Config) store.Options {
	return store.Options{URL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath, MaxOpenConns: cfg.DBMaxConns, AcquireTimeout: cfg.DBAcquireWait}
}

// tracing returns the tracer provider serve exports traces with, nil when
// tracing is off, and the function that flushes and stops it.
func tracing(ctx context.Context, cfg *config.Config, log *slog.Logger) (trace.TracerProvider, func(), error) {
	tp, err := observe.NewTracerProvider(ctx, cfg.OTLPEndpoint)
	if err != nil || tp == nil {
		return nil, func() {}, err
	}
	endpoint := cfg.OTLPEndpoint
	if endpoint == "" {
		endpoint = "(from OTEL_EXPORTER_OTLP_* variables)"
	}
	log.Info("tracing on", "otlp_endpoint", endpoint)
	return tp, func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := tp.Shutdown(sctx); err != nil {
			log.Warn("flushing traces", "err", err)
		}
	}, nil
}

// secret returns the HS256 secret and whether it was generated (embedded
// default) rather than configured. With a JWKS and no configured secret it
// returns nil: the server then accepts only tokens signed by the JWKS keys.
func secret(cfg *config.Config) ([]byte, bool, error) {
	if cfg.JWTSecret != "" {
		s := auth.ParseSecret(cfg.JWTSecret)
		if len(s) < auth.MinSecretLen {
			return nil, false, fmt.Errorf("OPSGRAPH_JWT_SECRET must be at least %d bytes", auth.MinSecretLen)
		}
		return s, false, nil
	}
	if cfg.JWKS() {
		return nil, false, nil
	}
	if cfg.DatabaseURL != "" {
		return nil, false, errors.New("OPSGRAPH_JWT_SECRET or a JWKS (OPSGRAPH_JWKS_URL, OPSGRAPH_JWKS_FILE) is required with PostgreSQL (only the embedded SQLite default generates a secret)")
	}
	s, err := auth.LoadOrCreateSecret(cfg.SecretPath())
	if err != nil {
		return nil, false, fmt.Errorf("JWT secret: %w", err)
	}
	return s, true, nil
}

func authConfig(cfg *config.Config, sec []byte, keys *auth.KeySource) auth.Config {
	return auth.Config{Secret: sec, Keys: keys, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, Production: cfg.AuthProduction}
}

// newVerifier builds the token verifier of serve: HS256 with the configured
// (or, on the embedded default, generated) secret and/or the keys of the
// configured JWKS, which it loads. It returns the secret when it was
// generated, for the development token serve prints, and nil otherwise.
func newVerifier(ctx context.Context, cfg *config.Config, log *slog.Logger) (*auth.Verifier, []byte, error) {
	if cfg.AuthProduction && (cfg.JWTIssuer == "" || cfg.JWTAudience == "") {
		return nil, nil, errors.New("OPSGRAPH_AUTH_PRODUCTION requires OPSGRAPH_JWT_ISSUER and OPSGRAPH_JWT_AUDIENCE")
	}
	sec, generated, err := secret(cfg)
	if err != nil {
		return nil, nil, err
	}
	if generated && !server.IsLoopback(cfg.Addr) {
		return nil, nil, fmt.Errorf("refusing to listen on %s with a generated development secret: set OPSGRAPH_JWT_SECRET or OPSGRAPH_JWKS_URL (and OPSGRAPH_JWT_ISSUER/AUDIENCE) or bind to 127.0.0.1", cfg.Addr)
	}
	if generated && cfg.AuthProduction {
		return nil, nil, errors.New("OPSGRAPH_AUTH_PRODUCTION does not accept the generated development secret: set OPSGRAPH_JWT_SECRET or a JWKS (OPSGRAPH_JWKS_URL, OPSGRAPH_JWKS_FILE)")
	}
	var keys *auth.KeySource
	if cfg.JWKS() {
		keys, err = auth.NewKeySource(ctx, auth.KeySourceOptions{URL: cfg.JWKSURL, File: cfg.JWKSFile, Logger: log})
		if err != nil {
			return nil, nil, fmt.Errorf("loading the JWKS: %w", err)
		}
		log.Info("JWKS loaded", "source", keys.Location(), "kids", keys.Keys().IDs())
	}
	v, err := auth.NewVerifier(authConfig(cfg, sec, keys))
	if err != nil {
		return nil, nil, err
	}
	log.Info("token verification", "hs256", sec != nil, "jwks", cfg.JWKS(), "production", cfg.AuthProduction,
		"issuer", cfg.JWTIssuer, "audience", cfg.JWTAudience)
	if !generated {
		sec = nil
	}
	return v, sec, nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parse("serve", args, stderr, nil)
	if err != nil {
		return err
	}
	var log *slog.Logger
	if cfg.LogFlush > 0 { // batched (docs/operations.md, Log fields)
		out := logbuf.New(stderr, 64<<10, cfg.LogFlush)
		defer out.Close()
		log = slog.New(logbuf.Handler(cfg.Logger(out).Handler(), out))
	} else {
		log = cfg.Logger(stderr)
	}
	rt := cfg.ApplyRuntime()
	log.Info("go runtime", "gc_percent", rt.GCPercent, "from_GOGC", rt.FromGOGC, "memory_limit_bytes", rt.MemoryLimit, "from_GOMEMLIMIT", rt.FromGOMEMLIMIT)
	verifier, devSecret, err := newVerifier(ctx, cfg, log)
	if err != nil {
		return err
	}
	slaPolicy, err := cfg.LoadSLAPolicy()
	if err != nil {
		return err
	}
	if slaPolicy != nil {
		log.Info("SLA policy loaded", "file", cfg.SLAPolicy, "business_hours", slaPolicy.Calendar != nil)
	}
	healthModel, err := cfg.LoadHealthModel()
	if err != nil {
		return err
	}
	if healthModel != nil {
		log.Info("health model loaded", "file", cfg.HealthModel, "fingerprint", healthModel.Fingerprint())
	}
	tp, stopTracing, err := tracing(ctx, cfg, log)
	if err != nil {
		return err
	}
	sopts := storeOptions(cfg)
	sopts.TracerProvider = tp
	db, err := store.Open(ctx, sopts)
	if err != nil {
		stopTracing()
		return err
	}
	defer db.Close()
	defer stopTracing() // before the database closes: the last spans are flushed
	log.Info("database open", "dialect", db.Dialect, "location", db.Location)
	if cfg.Migrate {
		if err := applyMigrations(ctx, db, log); err != nil {
			return err
		}
	}
	if cfg.Seed {
		if err := seedIfEmpty(ctx, db, log); err != nil {
			return err
		}
	}
	rate, buckets, err := rateLimits(cfg, db)
	if err != nil {
		return err
	}
	ln, err := server.Listen(cfg.Addr)
	if err != nil {
		return err
	}
	var (
		adminLn net.Listener
		metrics *observe.Metrics
	)
	if cfg.AdminAddr != "" {
		adminLn, err = server.Listen(cfg.AdminAddr)
		switch {
		case err != nil && devSecret != nil && cfg.AdminAddr == config.Default("admin-addr"):
			// The embedded development default on a machine where the
			// default admin port is taken (a local Prometheus listens on
			// 9090): the demo runs without metrics rather than not at all.
			log.Warn("admin listener off: the default admin address is taken; set OPSGRAPH_ADMIN_ADDR for metrics and pprof", "addr", cfg.AdminAddr, "err", err)
			adminLn = nil
		case err != nil:
			_ = ln.Close()
			return fmt.Errorf("admin listener (OPSGRAPH_ADMIN_ADDR; empty turns it off): %w", err)
		default:
			metrics = observe.NewMetrics()
		}
	}
	base := "http://" + ln.Addr().String()
	log.Info("listening", "addr", ln.Addr().String(), "explorer", base+"/", "graphql", base+"/graphql")
	if adminLn != nil {
		admin := "http://" + adminLn.Addr().String()
		log.Info("admin listening", "addr", adminLn.Addr().String(), "metrics", admin+"/metrics", "pprof", admin+"/debug/pprof/")
	}
	if devSecret != nil {
		tok, err := auth.Mint(authConfig(cfg, devSecret, nil), auth.MintOptions{
			Subject: "admin@opsgraph.example", Roles: []string{viewer.RoleAdmin}, TTL: 24 * time.Hour,
		})
		if err != nil {
			return err
		}
		banner(stdout, base, tok)
	}
	bgCtx, stopBackground := context.WithCancel(ctx)
	var background sync.WaitGroup
	if cfg.SweepInterval > 0 {
		// Once per interval across every instance on the database.
		job := leader.New(db.SQL, db.Dialect, entitlements.SweepJob, cfg.SweepInterval)
		background.Go(func() { entitlements.NewSweeper(db.Client, db.Dialect, nil).RunSweeps(bgCtx, job, log) })
	}
	if buckets != nil {
		background.Go(func() { pruneBuckets(bgCtx, buckets, rate.Policies.MaxDrain(), log) })
	}
	// The explorer's development role switcher: only on the embedded default
	// (SQLite, a generated secret) bound to a loopback address.
	var devTokens *explorer.DevTokens
	if devSecret != nil && cfg.DatabaseURL == "" && server.IsLoopback(ln.Addr().String()) {
		devTokens = &explorer.DevTokens{Auth: authConfig(cfg, devSecret, nil), TTL: time.Hour}
	}
	h := server.Handler(server.Options{DB: db, Verifier: verifier, Logger: log, Introspection: cfg.Introspection, CompiledReads: cfg.CompiledReads, SLAPolicy: slaPolicy, HealthModel: healthModel,
		DevTokens: devTokens, Limits: limits(cfg), RateLimits: rate, Metrics: metrics, TracerProvider: tp,
		MaxBodyBytes: cfg.MaxBodyBytes, APQCacheSize: cfg.APQCacheSize, TrustedRoles: cfg.TrustedRoles(), CORSOrigins: cfg.Origins()})
	if roles := cfg.TrustedRoles(); len(roles) > 0 {
		log.Info("trusted documents enforced", "roles", roles)
	}
	err = serveAll(ctx, ln, h, adminLn, observe.AdminHandler(metrics), cfg.ShutdownGrace, log)
	stopBackground()
	background.Wait() // let a running sweep finish before the database closes
	return err
}

// serveAll serves h on ln and, when adminLn is set, admin on it, until ctx
// ends; then the API drains first, and the admin listener (metrics of the
// drain included) stops after it. If either fails, both stop.
func serveAll(ctx context.Context, ln net.Listener, h http.Handler, adminLn net.Listener, admin http.Handler, grace time.Duration, log *slog.Logger) error {
	if adminLn == nil {
		return server.Serve(ctx, ln, h, grace, log)
	}
	apiCtx, stopAPI := context.WithCancel(ctx)
	defer stopAPI()
	adminCtx, stopAdmin := context.WithCancel(context.WithoutCancel(ctx))
	defer stopAdmin()
	var adminErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		if adminErr = server.Serve(adminCtx, adminLn, admin, grace, log); adminErr != nil {
			adminErr = fmt.Errorf("admin listener: %w", adminErr)
			stopAPI()
		}
	})
	err := server.Serve(apiCtx, ln, h, grace, log)
	stopAdmin()
	wg.Wait()
	return errors.Join(err, adminErr)
}

func sweepCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parse("sweep", args, stderr, nil)
	if err != nil {
		return err
	}
	db, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := entitlements.NewSweeper(db.Client, db.Dialect, nil).Sweep(ctx)
	if err != nil {
		return err
	}
	if r.Skipped {
		fmt.Fprintln(stdout, "another instance is sweeping; nothing done")
		return nil
	}
	fmt.Fprintf(stdout, "expired %d entitlements, cleared %d overrides\n", r.Expired, r.OverridesCleared)
	return nil
}

func banner(w io.Writer, base, token string) {
	fmt.Fprintf(w, `
OpsGraph is running (embedded SQLite, development secret).

  Explorer:  %[1]s/   (signed in with a development token; switch roles at the top)
  GraphQL:   %[1]s/graphql

  ADMIN token for admin@opsgraph.example, valid 24h (send as "Authorization: Bearer <token>"):

    export OPSGRAPH_TOKEN=%[2]s

  Try:
    curl -s %[1]s/graphql -H "Authorization: Bearer $OPSGRAPH_TOKEN" -H 'Content-Type: application/json' \
      -d '{"query":"{ accounts(first: 5, orderBy: {field: NAME}) { totalCount edges { node { id name owner { email } } } } }"}'

  Mint tokens for other roles: go run ./cmd/opsgraph token --subject csm1@opsgraph.example --role CSM

`, base, token)
}

func applyMigrations(ctx context.Context, db *store.DB, log *slog.Logger) error {
	pending, err := migrate.Pending(ctx, db.SQL, db.Dialect)
	if err != nil {
		return fmt.Errorf("checking migrations: %w", err)
	}
	if len(pending) == 0 {
		log.Info("database schema up to date")
		return nil
	}
	start := time.Now()
	if err := migrate.Apply(ctx, db.SQL, db.Dialect); err != nil {
		return fmt.Errorf("applying migrations: %w", err)
	}
	log.Info("migrations applied", "versions", pending, "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

func seedIfEmpty(ctx context.Context, db *store.DB, log *slog.Logger) error {
	empty, err := seed.IsEmpty(ctx, db.Client)
	if err != nil {
		return fmt.Errorf("checking for data: %w", err)
	}
	if !empty {
		return nil
	}
	sum, err := seed.Demo(ctx, db.Client, seed.Options{Seed: 1, Accounts: 200, Now: time.Now()})
	if err != nil {
		return fmt.Errorf("loading demo data: %w", err)
	}
	log.Info("demo data loaded", "accounts", sum.Accounts, "contracts", sum.Contracts, "orders", sum.Orders,
		"entitlements", sum.Entitlements, "requests", sum.Requests, "took", sum.Took.Round(time.Millisecond).String())
	return nil
}

func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var status bool
	cfg, err := parse("migrate", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&status, "status", false, "only list pending migrations")
	})
	if err != nil {
		return err
	}
	db, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	pending, err := migrate.Pending(ctx, db.SQL, db.Dialect)
	if err != nil {
		return err
	}
	if status || len(pending) == 0 {
		if len(pending) == 0 {
			fmt.Fprintln(stdout, "schema up to date: no pending migrations")
		} else {
			fmt.Fprintf(stdout, "pending migrations: %s\n", strings.Join(pending, ", "))
		}
		return nil
	}
	if err := migrate.Apply(ctx, db.SQL, db.Dialect); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied migrations: %s\n", strings.Join(pending, ", "))
	return nil
}

func seedCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		accounts int
		rngSeed  int64
		batch    int
	)
	cfg, err := parse("seed", args, stderr, func(fs *flag.FlagSet) {
		fs.IntVar(&accounts, "accounts", 200, "number of accounts; above 1000 the benchmark generator (batched inserts) is used")
		fs.Int64Var(&rngSeed, "rand-seed", 1, "random seed: the same seed gives the same data")
		fs.IntVar(&batch, "batch", 1000, "rows per INSERT for large datasets")
	})
	if err != nil {
		return err
	}
	if accounts <= 0 {
		return errors.New("--accounts must be positive")
	}
	db, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	log := cfg.Logger(stderr)
	if err := applyMigrations(ctx, db, log); err != nil {
		return err
	}
	empty, err := seed.IsEmpty(ctx, db.Client)
	if err != nil {
		return err
	}
	if !empty {
		return errors.New("the database already holds data; seed into an empty database")
	}
	opts := seed.Options{Seed: rngSeed, Accounts: accounts, Now: time.Now(), BatchSize: batch, Dialect: db.Dialect,
		Logf: func(format string, a ...any) { log.Info(fmt.Sprintf(format, a...)) }}
	var sum seed.Summary
	if accounts > 1000 {
		sum, err = seed.Bulk(ctx, db.Client, opts)
	} else {
		sum, err = seed.Demo(ctx, db.Client, opts)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded %d users, %d accounts, %d products, %d contracts (%d items), %d orders (%d lines, %d events), %d entitlements, %d health signals, %d health scores, %d requests in %s\n",
		sum.Users, sum.Accounts, sum.Products, sum.Contracts, sum.ContractItems, sum.Orders, sum.OrderLines, sum.OrderEvents,
		sum.Entitlements, sum.HealthSignals, sum.HealthScores, sum.Requests, sum.Took.Round(time.Millisecond))
	return nil
}

// listFlag collects a repeatable, comma-separable flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		*l = append(*l, p)
	}
	return nil
}

func tokenCmd(args []string, stdout, stderr io.Writer) error {
	var (
		subject string
		roles   listFlag
		scopes  listFlag
		ttl     time.Duration
	)
	cfg, err := parse("token", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&subject, "subject", "", "token subject: a user's email or a service id (required)")
		fs.Var(&roles, "role", "role to grant (repeatable or comma separated): "+strings.Join(viewer.Roles, ", "))
		fs.Var(&scopes, "scope", "scope for INTEGRATION tokens (repeatable), e.g. orders:write")
		fs.DurationVar(&ttl, "ttl", 8*time.Hour, "lifetime of the token")
	})
	if err != nil {
		return err
	}
	if subject == "" || len(roles) == 0 {
		return errors.New("--subject and at least one --role are required")
	}
	sec, _, err := secret(cfg)
	if err != nil {
		return err
	}
	if sec == nil {
		return errors.New("no HS256 secret to sign with: set OPSGRAPH_JWT_SECRET (--jwt-secret); with only a JWKS configured, tokens come from the identity provider")
	}
	tok, err := auth.Mint(authConfig(cfg, sec, nil), auth.MintOptions{Subject: subject, Roles: roles, Scopes: scopes, TTL: ttl})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

func schemaCmd(stdout io.Writer) error {
	_, err := io.WriteString(stdout, graph.SDL())
	return err
}

// limits are the request limits the settings ask for.
func limits(cfg *config.Config) server.Limits {
	return server.Limits{MaxCost: cfg.MaxQueryCost, MaxDepth: cfg.MaxDepth, MaxFields: cfg.MaxFields,
		MaxAliases: cfg.MaxAliases, MaxTokens: cfg.MaxTokens, Timeout: cfg.RequestTimeout}
}

// rateLimits are the rate limits the settings ask for, kept in db so every
// instance shares them, and their buckets; nil when they are off.
func rateLimits(cfg *config.Config, db *store.DB) (*server.RateLimits, *ratelimit.SQL, error) {
	ps, off, err := cfg.RatePolicies()
	if err != nil || off {
		return nil, nil, err
	}
	// Through the counting driver: the limiter's statements show in each
	// request's SQL statement count.
	l, err := ratelimit.NewSQL(db.Counter, db.Dialect, nil)
	if err != nil {
		return nil, nil, err
	}
	return &server.RateLimits{Limiter: l, Policies: ps}, l, nil
}

// pruneBuckets deletes, every hour, the rate-limit buckets idle for longer
// than any policy takes to drain (empty buckets: the same as no row), so
// the table holds the recently active subjects only. Every instance may
// run it; the delete is idempotent.
func pruneBuckets(ctx context.Context, buckets *ratelimit.SQL, drain time.Duration, log *slog.Logger) {
	idle := max(drain, time.Minute)
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n, err := buckets.Prune(ctx, idle)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("pruning rate-limit buckets failed", "err", err)
		case n > 0:
			log.Info("rate-limit buckets pruned", "deleted", n, "idle_for", idle.String())
		}
	}
}
