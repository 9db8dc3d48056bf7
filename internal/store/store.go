// Package store opens OpsGraph's database: PostgreSQL through lib/pq when a
// URL is configured, otherwise an embedded SQLite file through
// modernc.org/sqlite (no cgo). It returns the ent client the rest of the
// server uses, wrapped to count SQL statements (and, when configured, to
// trace them).
package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/lib/pq" // PostgreSQL driver "postgres".
	"go.opentelemetry.io/otel/trace"
	"modernc.org/sqlite"

	"github.com/opsgraph/opsgraph/ent"
	_ "github.com/opsgraph/opsgraph/ent/runtime" // ent hooks and privacy policies.
	"github.com/opsgraph/opsgraph/internal/audit"
	"github.com/opsgraph/opsgraph/internal/events"
	"github.com/opsgraph/opsgraph/internal/loaded"
	"github.com/opsgraph/opsgraph/internal/observe/sqltrace"
	"github.com/opsgraph/opsgraph/internal/rows"
	"github.com/opsgraph/opsgraph/internal/sqlcount"
)

func init() {
	// ent's SQLite dialect opens the "sqlite3" driver name; modernc registers
	// itself as "sqlite".
	sql.Register("sqlite3", &sqlite.Driver{})
}

// DB is an open database.
type DB struct {
	// Client is the ent client over the counting driver.
	Client *ent.Client
	// SQL is the underlying connection pool.
	SQL *sql.DB
	// Dialect is dialect.Postgres or dialect.SQLite.
	Dialect string
	// Counter counts the statements run through Client.
	Counter *sqlcount.Driver
	// Location names the database without credentials, for logs.
	Location string
	// Waits reports the statements through Client that waited for a free
	// connection (every one of MaxOpenConns in use) and how long they
	// waited in all; database/sql's own WaitCount stays 0, since they wait
	// before the pool.
	Waits func() (count int64, total time.Duration)
	// Events receives the change events of committed writes (every
	// instance's on PostgreSQL, this process's on SQLite) for
	// subscriptions.
	Events *events.Hub
}

// Options select the database.
type Options struct {
	// URL is a postgres:// URL; empty selects SQLite.
	URL string
	// SQLitePath is the embedded database file used when URL is empty.
	SQLitePath string
	// MaxOpenConns caps the pool (default 20 for PostgreSQL).
	MaxOpenConns int
	// AcquireTimeout bounds how long a statement through Client (or
	// Counter) waits for a free connection when all are in use; past it the
	// statement fails with ErrBusy. 0: until its context ends.
	AcquireTimeout time.Duration
	// TracerProvider, when set, traces the statements run through Client
	// within a traced request (internal/observe/sqltrace).
	TracerProvider trace.TracerProvider
}

// Open opens the database chosen by opts and checks it answers.
func Open(ctx context.Context, opts Options) (*DB, error) {
	var (
		db       *sql.DB
		dia      string
		location string
		maxOpen  = 8 // SQLite: one writer at a time is its model; WAL lets readers go on
		err      error
	)
	switch {
	case opts.URL != "":
		if !strings.HasPrefix(opts.URL, "postgres://") && !strings.HasPrefix(opts.URL, "postgresql://") {
			return nil, fmt.Errorf("database URL must start with postgres:// (got a URL of another scheme)")
		}
		dia, location = dialect.Postgres, redact(opts.URL)
		db, err = sql.Open("postgres", oneRoundTrip(opts.URL))
		if err != nil {
			return nil, fmt.Errorf("opening %s: %w", location, err)
		}
		maxOpen = opts.MaxOpenConns
		if maxOpen <= 0 {
			maxOpen = 20
		}
		db.SetMaxOpenConns(maxOpen)
		db.SetMaxIdleConns(maxOpen)
		db.SetConnMaxIdleTime(5 * time.Minute)
	default:
		path := opts.SQLitePath
		if path == "" {
			path = "opsgraph.db"
		}
		dia, location = dialect.SQLite, path
		db, err = sql.Open("sqlite3", SQLiteDSN(path))
		if err != nil {
			return nil, fmt.Errorf("opening %s: %w", path, err)
		}
		db.SetMaxOpenConns(maxOpen)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connecting to %s: %w", location, err)
	}
	drv := newGate(entsql.OpenDB(dia, db), db, maxOpen, opts.AcquireTimeout)
	counter := sqlcount.New(sqltrace.Wrap(drv, opts.TracerProvider))
	client := ent.NewClient(ent.Driver(counter))
	// Every write through ent is audited in its own transaction; every query
	// carries the viewer's row rules.
	client.Use(audit.Hook())
	client.Intercept(rows.Interceptor(func() *ent.Client { return client }))
	// A GraphQL request remembers which accounts were read together, for
	// the fields that batch per account (internal/loaded).
	client.Intercept(loaded.Interceptor())
	// Committed writes of subscribable entities notify every instance.
	var hub *events.Hub
	if dia == dialect.Postgres {
		hub = events.NewPostgres(opts.URL)
		client.Use(events.Hook(events.Postgres{}))
	} else {
		hub = events.NewLocal()
		client.Use(events.Hook(events.Local{Hub: hub}))
	}
	return &DB{
		Events:   hub,
		Client:   client,
		SQL:      db,
		Dialect:  dia,
		Counter:  counter,
		Location: location,
		Waits:    drv.waited,
	}, nil
}

// SQLiteDSN returns the modernc DSN for the file at path with foreign keys,
// WAL and a busy timeout.
func SQLiteDSN(path string) string {
	if path != ":memory:" && !strings.HasPrefix(path, "file:") {
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		path = "file:" + path
	}
	return path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// Close ends the subscriptions, then closes the client and the pool.
func (d *DB) Close() error {
	if d.Events != nil {
		_ = d.Events.Close()
	}
	return d.Client.Close()
}

// Ping checks the database answers (readiness). When it does not, the idle
// connections are dropped (they are dead after a restart).
func (d *DB) Ping(ctx context.Context) error {
	err := d.SQL.PingContext(ctx)
	if err != nil && Unavailable(err) {
		dropIdle(d.SQL)
	}
	return err
}

// oneRoundTrip sets lib/pq's binary_parameters on url unless it is set:
// lib/pq then sends a statement with arguments as one Parse/Bind/Execute
// round trip instead of preparing it first (two; 178 µs → 59 µs for a
// one-row SELECT on the benchmark machine). The gate passes []byte
// arguments as strings, so nothing is sent in binary but what says so.
func oneRoundTrip(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw // sql.Open reports it
	}
	q := u.Query()
	if q.Has("binary_parameters") {
		return raw
	}
	q.Set("binary_parameters", "yes")
	u.RawQuery = q.Encode()
	return u.String()
}

// redact removes the password from a database URL.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres://(unparseable URL)"
	}
	return u.Redacted()
}
