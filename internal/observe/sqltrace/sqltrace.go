// Package sqltrace wraps an ent SQL driver to trace its statements: a span
// "db.query" or "db.exec" per statement, under the span of the request
// that ran it, with db.system and db.statement (the SQL text with its
// placeholders; argument values are never recorded). Statements outside a
// traced request (migrations, seeding, background sweeps) are not traced.
//
// A Query span covers running the statement, not reading its rows.
package sqltrace

import (
	"context"
	stdsql "database/sql"
	"fmt"

	"entgo.io/ent/dialect"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// TracerName is the instrumentation scope of the spans.
const TracerName = "github.com/opsgraph/opsgraph/internal/observe/sqltrace"

// MaxStatement caps the db.statement attribute, in bytes.
const MaxStatement = 4096

// Attribute keys.
const (
	AttrSystem    = attribute.Key("db.system")
	AttrStatement = attribute.Key("db.statement")
)

// Driver is a dialect.Driver whose statements, including those inside
// transactions and raw ones (ent's sql/execquery), are traced.
type Driver struct {
	dialect.Driver
	tracer trace.Tracer
	system attribute.KeyValue
}

// Wrap returns drv traced by tp; with a nil tp it returns drv itself.
func Wrap(drv dialect.Driver, tp trace.TracerProvider) dialect.Driver {
	if tp == nil {
		return drv
	}
	system := drv.Dialect()
	switch system {
	case dialect.Postgres:
		system = "postgresql"
	case dialect.SQLite:
		system = "sqlite"
	}
	return &Driver{Driver: drv, tracer: tp.Tracer(TracerName), system: AttrSystem.String(system)}
}

// start opens a span for query when ctx is in a trace.
func (d *Driver) start(ctx context.Context, name, query string) (context.Context, trace.Span) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx, nil
	}
	ctx, span := d.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient))
	if span.IsRecording() {
		if len(query) > MaxStatement {
			query = query[:MaxStatement]
		}
		span.SetAttributes(d.system, AttrStatement.String(query))
	}
	return ctx, span
}

func end(span trace.Span, err error) {
	if span == nil {
		return
	}
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// Exec implements dialect.Driver.
func (d *Driver) Exec(ctx context.Context, query string, args, v any) error {
	ctx, span := d.start(ctx, "db.exec", query)
	err := d.Driver.Exec(ctx, query, args, v)
	end(span, err)
	return err
}

// Query implements dialect.Driver.
func (d *Driver) Query(ctx context.Context, query string, args, v any) error {
	ctx, span := d.start(ctx, "db.query", query)
	err := d.Driver.Query(ctx, query, args, v)
	end(span, err)
	return err
}

// Tx implements dialect.Driver; the transaction's statements are traced.
func (d *Driver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &tracedTx{Tx: tx, d: d}, nil
}

type tracedTx struct {
	dialect.Tx
	d *Driver
}

func (t *tracedTx) Exec(ctx context.Context, query string, args, v any) error {
	ctx, span := t.d.start(ctx, "db.exec", query)
	err := t.Tx.Exec(ctx, query, args, v)
	end(span, err)
	return err
}

func (t *tracedTx) Query(ctx context.Context, query string, args, v any) error {
	ctx, span := t.d.start(ctx, "db.query", query)
	err := t.Tx.Query(ctx, query, args, v)
	end(span, err)
	return err
}

type rawExecer interface {
	ExecContext(context.Context, string, ...any) (stdsql.Result, error)
}

type rawQuerier interface {
	QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
}

func (d *Driver) rawExec(ctx context.Context, target any, query string, args []any) (stdsql.Result, error) {
	ex, ok := target.(rawExecer)
	if !ok {
		return nil, fmt.Errorf("sqltrace: %T cannot execute raw statements", target)
	}
	ctx, span := d.start(ctx, "db.exec", query)
	res, err := ex.ExecContext(ctx, query, args...)
	end(span, err)
	return res, err
}

func (d *Driver) rawQuery(ctx context.Context, target any, query string, args []any) (*stdsql.Rows, error) {
	q, ok := target.(rawQuerier)
	if !ok {
		return nil, fmt.Errorf("sqltrace: %T cannot run raw queries", target)
	}
	ctx, span := d.start(ctx, "db.query", query)
	rows, err := q.QueryContext(ctx, query, args...)
	end(span, err)
	return rows, err
}

// ExecContext passes raw statements through, traced.
func (d *Driver) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	return d.rawExec(ctx, d.Driver, query, args)
}

// QueryContext passes raw queries through, traced.
func (d *Driver) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	return d.rawQuery(ctx, d.Driver, query, args)
}

// ExecContext passes raw statements in the transaction through, traced.
func (t *tracedTx) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	return t.d.rawExec(ctx, t.Tx, query, args)
}

// QueryContext passes raw queries in the transaction through, traced.
func (t *tracedTx) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	return t.d.rawQuery(ctx, t.Tx, query, args)
}
