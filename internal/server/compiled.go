package server

import (
	"bytes"
	"context"
	stdsql "database/sql"
	"sync/atomic"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/opsgraph/opsgraph/internal/lookahead"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// compiledReads is the executable schema that answers the queries
// internal/lookahead can compile with one SQL statement and hands every
// other operation to the executor. It sits below gqlgen's extensions, so
// parsing, validation, the limits, the rate limit, trusted documents,
// extensions.cost, metrics, logs and traces treat both paths alike; the
// statement runs through the store's driver (counted, traced, and bounded
// by the pool's acquire timeout).
type compiledReads struct {
	graphql.ExecutableSchema
	compiler *lookahead.Compiler
	drv      dialect.Driver
}

func newCompiledReads(es graphql.ExecutableSchema, drv dialect.Driver) graphql.ExecutableSchema {
	return compiledReads{ExecutableSchema: es, compiler: lookahead.New(es.Schema()), drv: drv}
}

func (s compiledReads) Exec(ctx context.Context) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	plan, _ := s.compiler.Compile(oc, viewer.FromContext(ctx))
	if plan == nil {
		return s.ExecutableSchema.Exec(ctx)
	}
	if info := infoFrom(ctx); info != nil {
		info.compiled = true
	}
	meter, _ := ctx.Value(opCostKey{}).(*opCost)
	var done atomic.Bool
	return func(ctx context.Context) *graphql.Response {
		if done.Swap(true) {
			return nil
		}
		data, units, err := runPlan(ctx, s.drv, plan)
		if meter != nil {
			meter.meter.Add(units)
		}
		if err != nil {
			// As the executor reports a root resolver's error: at its
			// path, and the data null (every root connection is non-null).
			graphql.AddError(ctx, &gqlerror.Error{Err: err, Message: err.Error(), Path: ast.Path{ast.PathName(plan.Path)}})
			return &graphql.Response{Data: []byte("null")}
		}
		return &graphql.Response{Data: data}
	}
}

// runPlan executes a plan: one statement, one row of the data's JSON and its
// actual cost units.
func runPlan(ctx context.Context, drv dialect.Driver, plan *lookahead.Plan) ([]byte, int, error) {
	var rows entsql.Rows
	// Prepared: requests of one shape share the statement's text, so
	// PostgreSQL plans it once per connection.
	if err := drv.Query(store.Prepared(ctx), plan.SQL, plan.Args, &rows); err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, 0, err
		}
		return nil, 0, lookahead.ErrNoRow
	}
	var (
		raw   stdsql.RawBytes // the driver's bytes, valid until Close
		units int64
	)
	if err := rows.Scan(&raw, &units); err != nil {
		return nil, 0, err
	}
	data := bytes.Clone(raw) // the one copy between the driver and the answer
	return data, int(units), rows.Close()
}
