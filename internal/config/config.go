// Package config holds the server's settings: every setting is a flag and
// an OPSGRAPH_* environment variable (the flag wins), with defaults that run
// the embedded demo on a bare machine.
package config

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/opsgraph/opsgraph/internal/ratelimit"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// Config is the server's configuration.
type Config struct {
	Addr           string
	AdminAddr      string
	OTLPEndpoint   string
	DatabaseURL    string
	SQLitePath     string
	DBMaxConns     int
	DBAcquireWait  time.Duration
	JWTSecret      string
	JWTIssuer      string
	JWTAudience    string
	JWKSURL        string
	JWKSFile       string
	AuthProduction bool
	Migrate        bool
	Seed           bool
	Introspection  bool
	CompiledReads  bool
	GCPercent      int
	MemoryLimit    string
	LogFormat      string
	LogLevel       string
	LogFlush       time.Duration
	ShutdownGrace  time.Duration
	SweepInterval  time.Duration
	SLAPolicy      string
	HealthModel    string
	// Request limits (internal/server.Limits) and rate limits.
	MaxQueryCost   int
	MaxDepth       int
	MaxFields      int
	MaxAliases     int
	MaxTokens      int
	RequestTimeout time.Duration
	RateLimits     string
	MaxBodyBytes   int64
	APQCacheSize   int
	// TrustedDocumentsRoles and CORSOrigins are comma-separated lists; see
	// TrustedRoles and Origins.
	TrustedDocumentsRoles string
	CORSOrigins           string
}

// Setting documents one setting (rendered into the README table).
type Setting struct {
	Flag, Env, Default, Usage string
}

// Settings lists every setting in the order the README shows them.
var Settings = []Setting{
	{"addr", "OPSGRAPH_ADDR", "127.0.0.1:8080", "HTTP listen address. A non-loopback address requires OPSGRAPH_JWT_SECRET or a JWKS."},
	{"admin-addr", "OPSGRAPH_ADMIN_ADDR", "127.0.0.1:9090", "Admin listen address of `serve`: Prometheus /metrics and Go pprof under /debug/pprof/, never on the API address. Empty: off. A taken address stops serve, except the default one on the embedded development default (then a warning, no metrics)."},
	{"otlp-endpoint", "OPSGRAPH_OTLP_ENDPOINT", "", "OTLP/HTTP collector to send traces to (http://collector:4318; no path: /v1/traces). Empty: tracing off unless OTEL_EXPORTER_OTLP_ENDPOINT is set."},
	{"database-url", "OPSGRAPH_DATABASE_URL", "", "PostgreSQL URL (postgres://user:pass@host:5432/db?sslmode=...). Empty: embedded SQLite."},
	{"sqlite-path", "OPSGRAPH_SQLITE_PATH", "opsgraph.db", "Embedded SQLite database file, used when no database URL is set."},
	{"db-max-conns", "OPSGRAPH_DB_MAX_CONNS", "20", "Maximum open PostgreSQL connections per instance; statements past it wait in the instance, at most db-acquire-timeout. About 2 × the database's cores across all instances (docs/operations.md, Sizing the connection pool)."},
	{"db-acquire-timeout", "OPSGRAPH_DB_ACQUIRE_TIMEOUT", "3s", "Longest a statement waits for a free database connection when all are in use; then the request fails with 503 UNAVAILABLE (database busy). 0: wait until the request timeout."},
	{"jwt-secret", "OPSGRAPH_JWT_SECRET", "", "HS256 secret (at least 32 bytes, used verbatim). Empty with SQLite on loopback and no JWKS: generated and kept in <sqlite-path>.jwt-secret."},
	{"jwt-issuer", "OPSGRAPH_JWT_ISSUER", "", "Required `iss` claim of tokens; empty: not checked."},
	{"jwt-audience", "OPSGRAPH_JWT_AUDIENCE", "", "Required `aud` claim of tokens; empty: not checked."},
	{"jwks-url", "OPSGRAPH_JWKS_URL", "", "http(s) URL of a JWK Set: accept RS256/RS384/RS512, ES256/ES384/ES512 and EdDSA tokens signed by its keys. Fetched at start, refreshed on an unknown `kid` (at most once a minute) and hourly."},
	{"jwks-file", "OPSGRAPH_JWKS_FILE", "", "JWK Set file, instead of a URL; re-read on refresh, so keys rotate without a restart."},
	{"auth-production", "OPSGRAPH_AUTH_PRODUCTION", "false", "Require iss and aud on every token: refuses to start without OPSGRAPH_JWT_ISSUER and OPSGRAPH_JWT_AUDIENCE, or with a generated secret."},
	{"migrate", "OPSGRAPH_MIGRATE", "true", "Apply pending migrations when `serve` starts."},
	{"seed", "OPSGRAPH_SEED", "true", "Load the demo dataset when `serve` starts on an empty database."},
	{"introspection", "OPSGRAPH_INTROSPECTION", "true", "Allow GraphQL schema introspection (the explorer needs it)."},
	{"compiled-reads", "OPSGRAPH_COMPILED_READS", "true", "On PostgreSQL, answer each plain read-only query the compiler can take (entity connections, node, column fields, edges; no where, cursors or hand-written fields; viewers without row rules on what they select) with one SQL statement that builds the JSON; everything else runs through the resolvers. Same answers, errors and cost either way (docs/operations.md, Compiled reads)."},
	{"gc-percent", "OPSGRAPH_GC_PERCENT", "400", "How far the Go heap may grow over what is live before the next collection, in percent (Go's own default is 100; 400 spent 15–25 % less server CPU per request in the load harness, docs/benchmarks.md). Go's GOGC, when set, takes precedence."},
	{"memory-limit", "OPSGRAPH_MEMORY_LIMIT", "128MiB", "Soft limit of the Go runtime's memory (e.g. 128MiB, 1GiB, or bytes; 0: none): near it the collector runs as often as it must, whatever gc-percent says, so a larger gc-percent does not mean a larger process. Go's GOMEMLIMIT, when set, takes precedence."},
	{"log-format", "OPSGRAPH_LOG_FORMAT", "text", "Log format: text or json."},
	{"log-level", "OPSGRAPH_LOG_LEVEL", "info", "Log level: debug, info, warn or error."},
	{"log-flush-interval", "OPSGRAPH_LOG_FLUSH_INTERVAL", "100ms", "serve writes its log lines in batches, at least this often (and when 64 KiB are waiting); a line at warn or error is written at once with everything before it. 0: every line at once (one write per request line)."},
	{"shutdown-grace", "OPSGRAPH_SHUTDOWN_GRACE", "15s", "How long in-flight requests may finish after SIGINT/SIGTERM."},
	{"sweep-interval", "OPSGRAPH_SWEEP_INTERVAL", "5m", "How often `serve` stores entitlement expiries: once per interval across every instance on the database; 0 turns the loop off."},
	{"health-model", "OPSGRAPH_HEALTH_MODEL", "", "JSON file of the account health model (measures, weights, normalisation, freshness, bands). Empty: the built-in model. A changed definition is stored as the next model version at first use."},
	{"sla-policy", "OPSGRAPH_SLA_POLICY", "", "JSON file with the request queue's SLA policy: per-priority response and resolution targets and an optional business-hours calendar. Empty: P1 1h/8h, P2 4h/24h, P3 8h/72h, P4 24h/120h, 24×7."},
	{"max-query-cost", "OPSGRAPH_MAX_QUERY_COST", "10000", "Most points one GraphQL operation may cost before it runs (docs/operations.md: cost); over it: QUERY_TOO_COSTLY."},
	{"max-depth", "OPSGRAPH_MAX_DEPTH", "12", "Deepest field nesting of an operation; over it: QUERY_TOO_DEEP."},
	{"max-fields", "OPSGRAPH_MAX_FIELDS", "1000", "Most fields one operation may select, fragments expanded; over it: TOO_MANY_FIELDS."},
	{"max-aliases", "OPSGRAPH_MAX_ALIASES", "50", "Most aliased fields in one operation; over it: TOO_MANY_ALIASES."},
	{"max-tokens", "OPSGRAPH_MAX_TOKENS", "15000", "Parser token limit of a GraphQL document; over it: GRAPHQL_PARSE_FAILED before the document is parsed in full."},
	{"request-timeout", "OPSGRAPH_REQUEST_TIMEOUT", "10s", "Execution time limit of a query or mutation; its SQL statements are cancelled (TIMEOUT) and a mutation rolls back."},
	{"rate-limits", "OPSGRAPH_RATE_LIMITS", "default=20000:1000,INTEGRATION=10000:500", "Per-subject leaky buckets of cost points, as capacity:points-per-second per role (`default` for roles not listed) or per subject (`sub:<subject>=...`); `off` turns rate limiting off. State is shared by every instance through the database."},
	{"max-body-bytes", "OPSGRAPH_MAX_BODY_BYTES", "1048576", "Largest request body (and websocket message) /graphql accepts, in bytes; a larger one is refused with 413 REQUEST_TOO_LARGE."},
	{"apq-cache-size", "OPSGRAPH_APQ_CACHE_SIZE", "1000", "How many automatic persisted queries (extensions.persistedQuery) each instance keeps, least recently used first out."},
	{"trusted-documents-roles", "OPSGRAPH_TRUSTED_DOCUMENTS_ROLES", "", "Comma-separated roles (INTEGRATION recommended) that may only run trusted documents (the SDK's operations and the explorer's saved operations), by documentId; a token holding any of them is restricted. Empty: nobody is."},
	{"cors-origins", "OPSGRAPH_CORS_ORIGINS", "", "Comma-separated origins (scheme://host[:port]) whose browser pages may call /graphql (CORS, and websockets). Empty: no CORS headers. `*` is refused."},
}

// Default is the default value of the setting with the flag name.
func Default(flagName string) string { return setting(flagName).Default }

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func setting(flagName string) Setting {
	for _, s := range Settings {
		if s.Flag == flagName {
			return s
		}
	}
	panic("config: unknown setting " + flagName)
}

// Register adds the settings' flags to fs, defaulted from the environment.
// Call Check after fs.Parse.
func (c *Config) Register(fs *flag.FlagSet) {
	str := func(p *string, name string) {
		s := setting(name)
		fs.StringVar(p, name, env(s.Env, s.Default), s.Usage+" ["+s.Env+"]")
	}
	boolean := func(p *bool, name string) {
		s := setting(name)
		fs.Func(name, s.Usage+" ["+s.Env+"] (default "+env(s.Env, s.Default)+")", func(v string) error {
			b, err := strconv.ParseBool(v)
			*p = b
			return err
		})
		b, _ := strconv.ParseBool(env(s.Env, s.Default))
		*p = b
	}
	str(&c.Addr, "addr")
	str(&c.AdminAddr, "admin-addr")
	str(&c.OTLPEndpoint, "otlp-endpoint")
	str(&c.DatabaseURL, "database-url")
	str(&c.SQLitePath, "sqlite-path")
	str(&c.JWTSecret, "jwt-secret")
	str(&c.JWTIssuer, "jwt-issuer")
	str(&c.JWTAudience, "jwt-audience")
	str(&c.JWKSURL, "jwks-url")
	str(&c.JWKSFile, "jwks-file")
	str(&c.LogFormat, "log-format")
	str(&c.LogLevel, "log-level")
	str(&c.HealthModel, "health-model")
	str(&c.SLAPolicy, "sla-policy")
	str(&c.TrustedDocumentsRoles, "trusted-documents-roles")
	str(&c.CORSOrigins, "cors-origins")
	boolean(&c.Migrate, "migrate")
	boolean(&c.Seed, "seed")
	boolean(&c.Introspection, "introspection")
	boolean(&c.CompiledReads, "compiled-reads")
	boolean(&c.AuthProduction, "auth-production")
	str(&c.RateLimits, "rate-limits")
	str(&c.MemoryLimit, "memory-limit")
	for name, p := range c.ints() {
		s := setting(name)
		n, _ := strconv.Atoi(env(s.Env, s.Default))
		fs.IntVar(p, name, n, s.Usage+" ["+s.Env+"]")
	}
	{
		s := setting("max-body-bytes")
		n, _ := strconv.ParseInt(env(s.Env, s.Default), 10, 64)
		fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", n, s.Usage+" ["+s.Env+"]")
	}
	for name, p := range map[string]*time.Duration{"shutdown-grace": &c.ShutdownGrace, "sweep-interval": &c.SweepInterval, "db-acquire-timeout": &c.DBAcquireWait, "request-timeout": &c.RequestTimeout, "log-flush-interval": &c.LogFlush} {
		s := setting(name)
		d, _ := time.ParseDuration(env(s.Env, s.Default))
		fs.DurationVar(p, name, d, s.Usage+" ["+s.Env+"]")
	}
}

// ints are the settings that take a positive number.
func (c *Config) ints() map[string]*int {
	return map[string]*int{
		"db-max-conns": &c.DBMaxConns, "max-query-cost": &c.MaxQueryCost, "max-depth": &c.MaxDepth,
		"max-fields": &c.MaxFields, "max-aliases": &c.MaxAliases, "max-tokens": &c.MaxTokens,
		"apq-cache-size": &c.APQCacheSize, "gc-percent": &c.GCPercent,
	}
}

// Check validates the environment values that flag parsing did not see.
func (c *Config) Check() error {
	ints := c.ints()
	for _, s := range Settings {
		v, ok := os.LookupEnv(s.Env)
		if !ok {
			continue
		}
		if _, ok := ints[s.Flag]; ok {
			if n, err := strconv.Atoi(v); err != nil || n <= 0 {
				return fmt.Errorf("%s=%q: want a positive number", s.Env, v)
			}
		}
		switch s.Flag {
		case "migrate", "seed", "introspection", "auth-production":
			if _, err := strconv.ParseBool(v); err != nil {
				return fmt.Errorf("%s=%q: want true or false", s.Env, v)
			}
		case "max-body-bytes":
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n <= 0 {
				return fmt.Errorf("%s=%q: want a positive number", s.Env, v)
			}
		case "shutdown-grace", "sweep-interval", "request-timeout", "db-acquire-timeout", "log-flush-interval":
			if d, err := time.ParseDuration(v); err != nil || d < 0 {
				return fmt.Errorf("%s=%q: want a duration such as 15s", s.Env, v)
			}
		}
	}
	for name, p := range ints {
		if *p <= 0 {
			return fmt.Errorf("%s=%d: want a positive number", setting(name).Env, *p)
		}
	}
	if _, err := ParseBytes(c.MemoryLimit); err != nil {
		return fmt.Errorf("%s=%q: %v", setting("memory-limit").Env, c.MemoryLimit, err)
	}
	if c.DBAcquireWait < 0 {
		return fmt.Errorf("%s=%s: want a duration such as 3s, or 0", setting("db-acquire-timeout").Env, c.DBAcquireWait)
	}
	if c.LogFlush < 0 {
		return fmt.Errorf("%s=%s: want a duration such as 100ms, or 0", setting("log-flush-interval").Env, c.LogFlush)
	}
	if c.RequestTimeout <= 0 {
		return fmt.Errorf("%s=%s: want a positive duration such as 10s", setting("request-timeout").Env, c.RequestTimeout)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("log format %q: want text or json", c.LogFormat)
	}
	if _, err := c.level(); err != nil {
		return err
	}
	if _, _, err := c.RatePolicies(); err != nil {
		return err
	}
	if c.JWKSURL != "" && c.JWKSFile != "" {
		return fmt.Errorf("set OPSGRAPH_JWKS_URL or OPSGRAPH_JWKS_FILE, not both")
	}
	if c.JWKSURL != "" {
		if u, err := url.Parse(c.JWKSURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("JWKS URL %q: want an https:// (or http://) URL", c.JWKSURL)
		}
	}
	if c.AdminAddr != "" {
		if _, _, err := net.SplitHostPort(c.AdminAddr); err != nil {
			return fmt.Errorf("admin address %q: want host:port such as 127.0.0.1:9090, or empty to turn it off", c.AdminAddr)
		}
	}
	if c.OTLPEndpoint != "" {
		if u, err := url.Parse(c.OTLPEndpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("OTLP endpoint %q: want an http:// or https:// URL such as http://collector:4318", c.OTLPEndpoint)
		}
	}
	if c.MaxBodyBytes <= 0 {
		return fmt.Errorf("--max-body-bytes must be positive")
	}
	for _, r := range list(c.TrustedDocumentsRoles) {
		if !viewer.IsRole(r) {
			return fmt.Errorf("trusted documents role %q: want one of %s", r, strings.Join(viewer.Roles, ", "))
		}
	}
	for _, o := range list(c.CORSOrigins) {
		if err := checkOrigin(o); err != nil {
			return err
		}
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return fmt.Errorf("database URL must start with postgres://")
	}
	return nil
}

// ParseBytes reads a size as bytes or with a binary unit (KiB, MiB,
// GiB): "128MiB", "1GiB", "0".
func ParseBytes(v string) (int64, error) {
	v = strings.TrimSpace(v)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("want a size such as 128MiB, 1GiB or 0")
	}
	return n * mult, nil
}

// Runtime is what ApplyRuntime set: the collector's percent and the soft
// memory limit (0: none), and whether Go's own GOGC and GOMEMLIMIT were
// left to decide instead.
type Runtime struct {
	GCPercent                int
	MemoryLimit              int64
	FromGOGC, FromGOMEMLIMIT bool
}

// ApplyRuntime sets the Go collector's percent and soft memory limit from
// the settings, except where GOGC or GOMEMLIMIT is set: the runtime has
// read those already.
func (c *Config) ApplyRuntime() Runtime {
	r := Runtime{GCPercent: c.GCPercent}
	if _, r.FromGOGC = os.LookupEnv("GOGC"); r.FromGOGC {
		// The runtime has no getter: setting returns the previous value.
		r.GCPercent = debug.SetGCPercent(-1)
	}
	debug.SetGCPercent(r.GCPercent)
	if _, r.FromGOMEMLIMIT = os.LookupEnv("GOMEMLIMIT"); !r.FromGOMEMLIMIT {
		limit, _ := ParseBytes(c.MemoryLimit) // Check parsed it
		if limit == 0 {
			limit = math.MaxInt64 // the runtime's "no limit"
		}
		debug.SetMemoryLimit(limit)
	}
	if r.MemoryLimit = debug.SetMemoryLimit(-1); r.MemoryLimit == math.MaxInt64 {
		r.MemoryLimit = 0
	}
	return r
}

func (c *Config) level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return l, fmt.Errorf("log level %q: want debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}

// Logger returns the slog logger the settings ask for, writing to w.
func (c *Config) Logger(w io.Writer) *slog.Logger {
	lvl, _ := c.level()
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// RatePolicies are the rate limits of the rate-limits setting; off when it
// is "off".
func (c *Config) RatePolicies() (ps ratelimit.Policies, off bool, err error) {
	if strings.TrimSpace(c.RateLimits) == ratelimit.Off {
		return ps, true, nil
	}
	ps, err = ratelimit.ParsePolicies(c.RateLimits, viewer.IsRole)
	return ps, false, err
}

// TrustedRoles returns the roles restricted to trusted documents.
func (c *Config) TrustedRoles() []string { return list(c.TrustedDocumentsRoles) }

// Origins returns the CORS origins.
func (c *Config) Origins() []string { return list(c.CORSOrigins) }

// list splits a comma-separated setting, dropping empty entries.
func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// checkOrigin accepts a CORS origin: scheme://host[:port], nothing else.
func checkOrigin(o string) error {
	if o == "*" {
		return fmt.Errorf("CORS origin *: list the origins that may call the API (scheme://host[:port]); a wildcard is not supported")
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.Contains(u.Host, "*") ||
		u.User != nil || strings.TrimSuffix(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("CORS origin %q: want scheme://host[:port], such as https://portal.example.com", o)
	}
	return nil
}

// JWKS reports whether a JWK Set (URL or file) is configured.
func (c *Config) JWKS() bool { return c.JWKSURL != "" || c.JWKSFile != "" }

// SecretPath is where the embedded default keeps its generated JWT secret.
func (c *Config) SecretPath() string { return c.SQLitePath + ".jwt-secret" }
