package observe

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// GraphQLTracing is a gqlgen handler extension that traces each operation
// ("graphql.query accountList") and, under it, each field with a resolver of
// its own ("graphql.resolve Query.accounts"; plain struct fields are not
// traced, to keep the cost down). Responses of a sampled trace carry its id
// in extensions.traceId. The query text and variables are never recorded.
type GraphQLTracing struct {
	Tracer trace.Tracer
	// Annotate, when set, is called with the operation span just before it
	// ends (after the response), to add what only the caller knows, such
	// as the query cost.
	Annotate func(ctx context.Context, span trace.Span)
}

var (
	_ graphql.HandlerExtension     = GraphQLTracing{}
	_ graphql.OperationInterceptor = GraphQLTracing{}
	_ graphql.FieldInterceptor     = GraphQLTracing{}
	_ graphql.ResponseInterceptor  = GraphQLTracing{}
)

// ExtensionName implements graphql.HandlerExtension.
func (GraphQLTracing) ExtensionName() string { return "Tracing" }

// Validate implements graphql.HandlerExtension.
func (GraphQLTracing) Validate(graphql.ExecutableSchema) error { return nil }

// Span attribute keys.
const (
	AttrOperationName = attribute.Key("graphql.operation.name")
	AttrOperationType = attribute.Key("graphql.operation.type")
	AttrFieldPath     = attribute.Key("graphql.field.path")
	AttrFieldName     = attribute.Key("graphql.field.name")
	AttrErrorCode     = attribute.Key("graphql.error.code")
)

// InterceptOperation implements graphql.OperationInterceptor: the
// operation's span lasts until its (first) response is produced; a
// subscription's until it is set up.
func (t GraphQLTracing) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc == nil || oc.Operation == nil {
		return next(ctx)
	}
	typ := string(oc.Operation.Operation)
	name := oc.OperationName
	if name == "" {
		name = oc.Operation.Name
	}
	spanName := "graphql." + typ
	if name != "" {
		if len(name) > 100 {
			name = name[:100]
		}
		spanName += " " + name
	}
	ctx, span := t.Tracer.Start(ctx, spanName, trace.WithAttributes(AttrOperationName.String(name), AttrOperationType.String(typ)))
	rh := next(ctx)
	end := sync.OnceFunc(func() {
		if t.Annotate != nil {
			t.Annotate(ctx, span)
		}
		span.End()
	})
	if oc.Operation.Operation == ast.Subscription {
		end()
		return rh
	}
	return func(ctx context.Context) *graphql.Response {
		resp := rh(ctx)
		if resp != nil && len(resp.Errors) > 0 {
			code := ErrorCode(resp.Errors[0].Extensions)
			span.SetAttributes(AttrErrorCode.String(code))
			span.SetStatus(codes.Error, code)
		}
		end()
		return resp
	}
}

// InterceptField implements graphql.FieldInterceptor.
func (t GraphQLTracing) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver {
		return next(ctx)
	}
	ctx, span := t.Tracer.Start(ctx, "graphql.resolve "+fc.Object+"."+fc.Field.Name)
	if span.IsRecording() {
		span.SetAttributes(AttrFieldPath.String(fc.Path().String()), AttrFieldName.String(fc.Field.Name))
	}
	res, err := next(ctx)
	if err != nil {
		span.SetStatus(codes.Error, "resolver error")
	}
	span.End()
	return res, err
}

// InterceptResponse implements graphql.ResponseInterceptor: it puts the
// trace id in extensions.traceId when the trace is sampled.
func (GraphQLTracing) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if sc := trace.SpanContextFromContext(ctx); sc.IsSampled() {
		graphql.RegisterExtension(ctx, "traceId", sc.TraceID().String())
	}
	return next(ctx)
}

// ErrorCode returns a GraphQL error's extensions.code ("UNKNOWN" without
// one).
func ErrorCode(ext map[string]any) string {
	if c, ok := ext["code"].(string); ok && c != "" {
		return c
	}
	return "UNKNOWN"
}
