// Package sqlcount wraps an ent SQL driver to count the statements it runs:
// in total (for tests that assert a request's statement count does not grow
// with page size) and per context (for per-request metrics and logs).
package sqlcount

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"sync/atomic"

	"entgo.io/ent/dialect"
)

// Driver is a dialect.Driver that counts every Exec and Query, including
// those inside transactions.
type Driver struct {
	dialect.Driver
	total atomic.Int64
}

// New wraps drv.
func New(drv dialect.Driver) *Driver { return &Driver{Driver: drv} }

// Count returns the number of statements run since creation or Reset.
func (d *Driver) Count() int64 { return d.total.Load() }

// Reset sets the total count to zero.
func (d *Driver) Reset() { d.total.Store(0) }

func (d *Driver) inc(ctx context.Context) {
	d.total.Add(1)
	if c, ok := ctx.Value(ctxKey{}).(*Counter); ok {
		c.n.Add(1)
	}
}

// Exec implements dialect.Driver.
func (d *Driver) Exec(ctx context.Context, query string, args, v any) error {
	d.inc(ctx)
	return d.Driver.Exec(ctx, query, args, v)
}

// Query implements dialect.Driver.
func (d *Driver) Query(ctx context.Context, query string, args, v any) error {
	d.inc(ctx)
	return d.Driver.Query(ctx, query, args, v)
}

// Tx implements dialect.Driver; statements in the transaction are counted.
func (d *Driver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, d: d, ctx: ctx}, nil
}

type countingTx struct {
	dialect.Tx
	d   *Driver
	ctx context.Context
}

func (t *countingTx) Exec(ctx context.Context, query string, args, v any) error {
	t.d.inc(ctx)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *countingTx) Query(ctx context.Context, query string, args, v any) error {
	t.d.inc(ctx)
	return t.Tx.Query(ctx, query, args, v)
}

// Counter counts the statements run with one context.
type Counter struct{ n atomic.Int64 }

// Count returns the number of statements counted.
func (c *Counter) Count() int64 { return c.n.Load() }

type ctxKey struct{}

// NewContext returns a context whose statements are counted by the returned
// Counter.
func NewContext(ctx context.Context) (context.Context, *Counter) {
	c := &Counter{}
	return context.WithValue(ctx, ctxKey{}, c), c
}

// FromContext returns the Counter of ctx, if any.
func FromContext(ctx context.Context) (*Counter, bool) {
	c, ok := ctx.Value(ctxKey{}).(*Counter)
	return c, ok
}

type rawExecer interface {
	ExecContext(context.Context, string, ...any) (stdsql.Result, error)
}

type rawQuerier interface {
	QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
}

// rawExec runs a raw statement (ent's sql/execquery feature) on target,
// counted, when target supports it.
func (d *Driver) rawExec(ctx context.Context, target any, query string, args []any) (stdsql.Result, error) {
	ex, ok := target.(rawExecer)
	if !ok {
		return nil, fmt.Errorf("sqlcount: %T cannot execute raw statements", target)
	}
	d.inc(ctx)
	return ex.ExecContext(ctx, query, args...)
}

// rawQuery runs a raw query on target, counted, when target supports it.
func (d *Driver) rawQuery(ctx context.Context, target any, query string, args []any) (*stdsql.Rows, error) {
	q, ok := target.(rawQuerier)
	if !ok {
		return nil, fmt.Errorf("sqlcount: %T cannot run raw queries", target)
	}
	d.inc(ctx)
	return q.QueryContext(ctx, query, args...)
}

// ExecContext passes raw statements through, counted.
func (d *Driver) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	return d.rawExec(ctx, d.Driver, query, args)
}

// QueryContext passes raw queries through, counted.
func (d *Driver) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	return d.rawQuery(ctx, d.Driver, query, args)
}

// ExecContext passes raw statements in the transaction through, counted.
func (t *countingTx) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	return t.d.rawExec(ctx, t.Tx, query, args)
}

// QueryContext passes raw queries in the transaction through, counted.
func (t *countingTx) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	return t.d.rawQuery(ctx, t.Tx, query, args)
}
