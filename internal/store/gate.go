package store

import (
	"context"
	stdsql "database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// ErrBusy is the error of a statement that found every connection of the
// pool in use for longer than the acquire timeout (Options.AcquireTimeout):
// the database is up but this instance is saturated. Unavailable reports it.
var ErrBusy = errors.New("database busy: no connection became free within the acquire timeout")

// gate bounds the wait for a connection, which database/sql does not: it
// waits for a free connection as long as the statement's context lives. The
// gate holds one slot per connection of the pool; a statement takes a slot
// (waiting at most wait) and gives it back when it is done: an Exec when it
// returns, a Query when its rows are closed, a transaction at its commit or
// rollback. So the pool itself never makes a statement through ent wait.
//
// It also drops the pool's idle connections when a statement finds the
// database unavailable (Unavailable): after a restart or failover every
// idle connection is dead, and database/sql would hand each to one more
// statement, which would fail too, after the database is back.
//
// On PostgreSQL it also passes []byte arguments as strings (textBytes): the
// pool runs lib/pq with binary_parameters (one round trip per statement
// instead of two), which sends []byte in binary format, and ent's JSON
// values are []byte while jsonb's binary format is not JSON text.
type gate struct {
	dialect.Driver
	textBytes bool
	slots     chan struct{}
	wait      time.Duration // 0: until the context ends
	pool      *stdsql.DB    // nil: no idle connections to drop
	stmts     *stmtCache    // nil: no prepared statements (SQLite)

	waits    atomic.Int64 // statements that found every slot taken
	waitedNs atomic.Int64 // and how long they waited, in all
}

func newGate(drv dialect.Driver, pool *stdsql.DB, size int, wait time.Duration) *gate {
	g := &gate{Driver: drv, slots: make(chan struct{}, size), wait: wait, pool: pool, textBytes: drv.Dialect() == dialect.Postgres}
	if g.textBytes && pool != nil {
		g.stmts = newStmtCache(256)
	}
	return g
}

// args returns the statement's arguments with every []byte (of any named
// type, such as json.RawMessage) as a string when g.textBytes is set.
func (g *gate) args(args []any) []any {
	if !g.textBytes {
		return args
	}
	var out []any
	for i, a := range args {
		v := reflect.ValueOf(a)
		if a == nil || v.Kind() != reflect.Slice || v.Type().Elem().Kind() != reflect.Uint8 {
			continue
		}
		if _, ok := a.(driver.Valuer); ok {
			continue // its Value says what it is
		}
		if out == nil {
			out = slices.Clone(args)
		}
		if v.IsNil() {
			out[i] = nil
		} else {
			out[i] = string(v.Bytes())
		}
	}
	if out == nil {
		return args
	}
	return out
}

// entArgs is args for ent's Exec and Query, whose arguments are an any
// holding a []any.
func (g *gate) entArgs(args any) any {
	if a, ok := args.([]any); ok {
		return g.args(a)
	}
	return args
}

// observe drops the idle connections when err says the database is
// unavailable, and returns err.
func (g *gate) observe(err error) error {
	if err != nil && g.pool != nil && !errors.Is(err, ErrBusy) && Unavailable(err) {
		dropIdle(g.pool)
	}
	return err
}

// dropIdle closes the idle connections of pool (SetMaxIdleConns(0) closes
// them; the limit is then set back).
func dropIdle(pool *stdsql.DB) {
	pool.SetMaxIdleConns(0)
	pool.SetMaxIdleConns(pool.Stats().MaxOpenConnections)
}

// acquire takes a slot and returns the function that gives it back (once).
func (g *gate) acquire(ctx context.Context) (func(), error) {
	select {
	case g.slots <- struct{}{}:
		return g.releaser(), nil
	default:
	}
	start := time.Now()
	defer func() {
		g.waits.Add(1)
		g.waitedNs.Add(int64(time.Since(start)))
	}()
	var expired <-chan time.Time
	if g.wait > 0 {
		t := time.NewTimer(g.wait)
		defer t.Stop()
		expired = t.C
	}
	select {
	case g.slots <- struct{}{}:
		return g.releaser(), nil
	case <-expired:
		return nil, fmt.Errorf("%w (%s, %d connections)", ErrBusy, g.wait, cap(g.slots))
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// waited is the number of statements that waited for a slot and their
// total wait.
func (g *gate) waited() (int64, time.Duration) {
	return g.waits.Load(), time.Duration(g.waitedNs.Load())
}

func (g *gate) releaser() func() {
	var once sync.Once
	return func() { once.Do(func() { <-g.slots }) }
}

// Exec implements dialect.Driver.
func (g *gate) Exec(ctx context.Context, query string, args, v any) error {
	release, err := g.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	return g.observe(g.Driver.Exec(ctx, query, g.entArgs(args), v))
}

// Query implements dialect.Driver; the slot is held until the rows close.
func (g *gate) Query(ctx context.Context, query string, args, v any) error {
	release, err := g.acquire(ctx)
	if err != nil {
		return err
	}
	if g.stmts != nil && isPrepared(ctx) {
		a, _ := g.entArgs(args).([]any)
		err = g.queryPrepared(ctx, query, a, v)
	} else {
		err = g.Driver.Query(ctx, query, g.entArgs(args), v)
	}
	if err != nil {
		release()
		return g.observe(err)
	}
	if rows, ok := v.(*entsql.Rows); ok && rows.ColumnScanner != nil {
		rows.ColumnScanner = &gatedRows{ColumnScanner: rows.ColumnScanner, release: release}
	} else {
		release()
	}
	return nil
}

// Tx implements dialect.Driver; the slot is held until the transaction ends.
func (g *gate) Tx(ctx context.Context) (dialect.Tx, error) {
	release, err := g.acquire(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := g.Driver.Tx(ctx)
	if err != nil {
		release()
		return nil, g.observe(err)
	}
	return &gatedTx{Tx: tx, release: release, g: g}, nil
}

type rawExecer interface {
	ExecContext(context.Context, string, ...any) (stdsql.Result, error)
}

type rawQuerier interface {
	QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
}

// ExecContext runs a raw statement (ent's sql/execquery feature).
func (g *gate) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	ex, ok := g.Driver.(rawExecer)
	if !ok {
		return nil, fmt.Errorf("store: %T cannot execute raw statements", g.Driver)
	}
	release, err := g.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	res, err := ex.ExecContext(ctx, query, g.args(args)...)
	return res, g.observe(err)
}

// QueryContext runs a raw query. Its *sql.Rows cannot be wrapped, so the
// slot is given back when the query returns, while the rows may still hold
// their connection: raw queries are the limiter's and the sweep's one-row
// reads, closed right away.
func (g *gate) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	q, ok := g.Driver.(rawQuerier)
	if !ok {
		return nil, fmt.Errorf("store: %T cannot run raw queries", g.Driver)
	}
	release, err := g.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	rows, err := q.QueryContext(ctx, query, g.args(args)...)
	return rows, g.observe(err)
}

type gatedRows struct {
	entsql.ColumnScanner
	release func()
}

func (r *gatedRows) Close() error {
	defer r.release()
	return r.ColumnScanner.Close()
}

type gatedTx struct {
	dialect.Tx
	release func()
	g       *gate
}

func (t *gatedTx) Exec(ctx context.Context, query string, args, v any) error {
	return t.g.observe(t.Tx.Exec(ctx, query, t.g.entArgs(args), v))
}

func (t *gatedTx) Query(ctx context.Context, query string, args, v any) error {
	return t.g.observe(t.Tx.Query(ctx, query, t.g.entArgs(args), v))
}

func (t *gatedTx) Commit() error {
	defer t.release()
	return t.g.observe(t.Tx.Commit())
}

func (t *gatedTx) Rollback() error {
	defer t.release()
	return t.Tx.Rollback()
}

// ExecContext passes raw statements in the transaction through.
func (t *gatedTx) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	ex, ok := t.Tx.(rawExecer)
	if !ok {
		return nil, fmt.Errorf("store: %T cannot execute raw statements", t.Tx)
	}
	res, err := ex.ExecContext(ctx, query, t.g.args(args)...)
	return res, t.g.observe(err)
}

// QueryContext passes raw queries in the transaction through.
func (t *gatedTx) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	q, ok := t.Tx.(rawQuerier)
	if !ok {
		return nil, fmt.Errorf("store: %T cannot run raw queries", t.Tx)
	}
	rows, err := q.QueryContext(ctx, query, t.g.args(args)...)
	return rows, t.g.observe(err)
}
