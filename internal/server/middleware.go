package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/opsgraph/opsgraph/ent/privacy"
	"github.com/opsgraph/opsgraph/internal/observe"
	"github.com/opsgraph/opsgraph/internal/sqlcount"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// requestInfo collects what the request log line and the metrics report;
// the GraphQL layer fills in the operation and its outcome. Its fields are
// written on the request's goroutine (an operation or response interceptor,
// not a field resolver, which may run concurrently) and read by
// logRequests after the handler returns.
type requestInfo struct {
	id        string
	operation string
	kind      string
	// code is the first GraphQL error's extensions.code; empty: no error.
	code string
	// costRequested and costActual are the operation's price and what it
	// really fetched (internal/cost). They go to the log line, the metrics
	// and the operation span.
	costRequested, costActual int
	// status, when set, replaces the status the GraphQL transport writes
	// (429 for a rate-limited request, 503 when the database is
	// unavailable), with retryAfter as Retry-After.
	status     int
	retryAfter string
	// rateLimited names the role whose rate limit refused the request
	// ("sub:" for a subject's own); empty: not refused.
	rateLimited string
	// budgetErr is a failure of the rate limit's store (the request was let
	// through).
	budgetErr error
	// compiled is true when one compiled statement answered the query
	// (internal/lookahead) instead of the executor.
	compiled bool
}

type infoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	i, _ := ctx.Value(infoKey{}).(*requestInfo)
	return i
}

type statusWriter struct {
	http.ResponseWriter
	info   *requestInfo
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status != 0 {
		return
	}
	if w.info.status != 0 {
		code = w.info.status
		if w.info.retryAfter != "" {
			w.Header().Set("Retry-After", w.info.retryAfter)
		}
	}
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController and the websocket upgrade (which
// hijacks the connection) reach the server's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// telemetry is what logRequests records besides the log line.
type telemetry struct {
	metrics *observe.Metrics // nil: none
	tracer  trace.Tracer     // nil: no tracing
}

func newTelemetry(m *observe.Metrics, tp trace.TracerProvider) telemetry {
	t := telemetry{metrics: m}
	if tp != nil {
		t.tracer = tp.Tracer(observe.TracerName)
	}
	return t
}

// graphQLRoute is the pattern of the GraphQL endpoint on the mux.
const graphQLRoute = "/graphql"

// logRequests writes one structured line per request: method, path, status,
// duration, GraphQL operation, outcome and cost, subject, SQL statements and
// trace id. It never logs tokens or variables. It also records the request's
// metrics and, with tracing on, opens the request's span (continuing the
// caller's W3C traceparent). The health probes are measured but neither
// logged nor traced.
func logRequests(log *slog.Logger, mux *http.ServeMux, tel telemetry) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{id: r.Header.Get("X-Request-Id")}
		if info.id == "" || len(info.id) > 64 {
			info.id = rand.Text()[:16]
		}
		w.Header().Set("X-Request-Id", info.id)
		var subj string
		ctx := context.WithValue(context.WithValue(r.Context(), infoKey{}, info), subjectKey{}, &subj)
		ctx, counter := sqlcount.NewContext(ctx)
		probe := r.URL.Path == "/healthz" || r.URL.Path == "/readyz"
		var route string
		if tel.metrics != nil || tel.tracer != nil {
			_, route = mux.Handler(r)
		}
		var span trace.Span
		if tel.tracer != nil && !probe {
			ctx = propagation.TraceContext{}.Extract(ctx, propagation.HeaderCarrier(r.Header))
			ctx, span = tel.tracer.Start(ctx, spanName(r.Method, route), trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path)))
		}
		sw := &statusWriter{ResponseWriter: w, info: info}
		mux.ServeHTTP(sw, r.WithContext(ctx))
		elapsed := time.Since(start)
		status := sw.status
		if status == 0 {
			status = http.StatusOK // nothing written: net/http answers 200
		}
		var traceID string
		if span != nil {
			span.SetAttributes(attribute.Int("http.response.status_code", status))
			if status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(status))
			}
			if sc := span.SpanContext(); sc.IsSampled() {
				traceID = sc.TraceID().String()
			}
			span.End()
		}
		if info.kind != "" || route == graphQLRoute {
			code := info.code
			if code == "" && route == graphQLRoute && status == http.StatusUnauthorized {
				code = "UNAUTHENTICATED" // refused by auth.Middleware before GraphQL
			}
			tel.metrics.ObserveGraphQL(observe.GraphQLRequest{
				Operation: info.operation, Type: info.kind, Code: code, Duration: elapsed,
				CostRequested: info.costRequested, CostActual: info.costActual, SQLStatements: counter.Count(),
			})
		}
		if route != graphQLRoute {
			tel.metrics.ObserveHTTP(route, status)
		}
		if info.rateLimited != "" {
			tel.metrics.RateLimited(info.rateLimited)
		}
		if probe {
			return
		}
		// slog.Attr values, not key-value pairs: no boxing per request.
		attrs := make([]slog.Attr, 0, 16)
		attrs = append(attrs,
			slog.String("request_id", info.id),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			slog.Int("bytes", sw.bytes),
		)
		if info.operation != "" || info.kind != "" {
			attrs = append(attrs, slog.String("operation", info.operation), slog.String("operation_type", info.kind), slog.Int64("sql_statements", counter.Count()))
		}
		if info.rateLimited != "" {
			attrs = append(attrs, slog.String("rate_limited", info.rateLimited))
		}
		if info.budgetErr != nil {
			log.Error("rate limit store failed; request let through", "request_id", info.id, "err", info.budgetErr)
		}
		if info.code != "" {
			attrs = append(attrs, slog.String("error_code", info.code))
		}
		if info.costRequested != 0 {
			attrs = append(attrs, slog.Int("cost_requested", info.costRequested))
		}
		if info.costActual != 0 {
			attrs = append(attrs, slog.Int("cost_actual", info.costActual))
		}
		if info.compiled {
			attrs = append(attrs, slog.Bool("compiled", true))
		}
		if subj != "" {
			attrs = append(attrs, slog.String("subject", subj))
		}
		if traceID != "" {
			attrs = append(attrs, slog.String("trace_id", traceID))
		}
		log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// spanName names a request's span "METHOD /route" after its mux pattern
// (never the raw path, whose ids would make every name different).
func spanName(method, pattern string) string {
	if pattern == "" {
		return method
	}
	if strings.Contains(pattern, " ") {
		return pattern // "GET /healthz"
	}
	return method + " " + pattern
}

// outcome is the gqlgen extension that records an operation's name, type
// and first error code in the requestInfo, also for requests that fail
// before they become an operation (parse and validation errors).
type outcome struct{}

var _ graphql.ResponseInterceptor = outcome{}

func (outcome) ExtensionName() string                   { return "Outcome" }
func (outcome) Validate(graphql.ExecutableSchema) error { return nil }

func (outcome) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	info := infoFrom(ctx)
	if info == nil {
		return resp
	}
	if info.operation == "" && info.kind == "" && graphql.HasOperationContext(ctx) {
		oc := graphql.GetOperationContext(ctx)
		info.operation = oc.OperationName
		if oc.Operation != nil {
			info.kind = string(oc.Operation.Operation)
			if info.operation == "" {
				info.operation = oc.Operation.Name
			}
		}
	}
	if resp != nil && len(resp.Errors) > 0 && info.code == "" {
		info.code = observe.ErrorCode(resp.Errors[0].Extensions)
	}
	if resp != nil && info.status == 0 {
		for _, e := range resp.Errors {
			if e.Extensions["code"] == codeUnavailable {
				// The response is partial at best: 503 tells load balancers
				// and clients that a retry (elsewhere, or shortly) may work.
				info.status, info.retryAfter = http.StatusServiceUnavailable, "1"
				break
			}
		}
	}
	return resp
}

// annotateSpan adds the operation's cost to its span.
func annotateSpan(ctx context.Context, span trace.Span) {
	info := infoFrom(ctx)
	if info == nil {
		return
	}
	if info.costRequested != 0 {
		span.SetAttributes(attribute.Int("graphql.cost.requested", info.costRequested))
	}
	if info.costActual != 0 {
		span.SetAttributes(attribute.Int("graphql.cost.actual", info.costActual))
	}
}

type subjectKey struct{}

// codeUnavailable is the extensions.code of an error the database's
// unavailability caused (store.Unavailable); the request answers 503.
const codeUnavailable = "UNAVAILABLE"

// presentError gives every error an extensions.code. Errors that are not the
// client's (database faults, bugs) are logged with the request id and shown
// as INTERNAL_SERVER_ERROR without their text, which could leak internals.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		if _, ok := gerr.Extensions["code"]; ok {
			return gerr
		}
		var inner *gqlerror.Error
		if gerr.Err == nil || errors.As(gerr.Err, &inner) {
			// gqlgen's own input and validation errors.
			if gerr.Extensions == nil {
				gerr.Extensions = map[string]any{}
			}
			gerr.Extensions["code"] = "BAD_USER_INPUT"
			return gerr
		}
		if badInput(err) {
			return &gqlerror.Error{
				Message:    badInputMessage(err),
				Path:       gerr.Path,
				Locations:  gerr.Locations,
				Extensions: map[string]any{"code": "BAD_USER_INPUT"},
			}
		}
		id := ""
		if info := infoFrom(ctx); info != nil {
			id = info.id
		}
		code := "INTERNAL_SERVER_ERROR"
		msg := "internal server error (request " + id + ")"
		switch {
		case errors.Is(err, privacy.Deny):
			// The ent layer refused a write the GraphQL layer let through.
			log.Warn("write denied by ent privacy policy", "request_id", id, "path", gerr.Path.String(), "err", err)
			code, msg = "FORBIDDEN", "not authorized to make this change"
		case store.Unavailable(err) && !errors.Is(ctx.Err(), context.DeadlineExceeded):
			// The database is down, restarting, or dropped the connection,
			// or every pooled connection stayed busy past the acquire
			// timeout: nothing was committed; the request answers 503.
			code, msg = codeUnavailable, "the database is unavailable; retry shortly"
			if errors.Is(err, store.ErrBusy) {
				msg = "database busy: no database connection became free in time; retry shortly"
			}
			log.Warn("database unavailable", "request_id", id, "path", gerr.Path.String(), "err", err)
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
			// The execution timeout passed: the driver reports the statement
			// it cancelled in its own words (pq: canceling statement...).
			code, msg = "TIMEOUT", "the request took too long and was cancelled"
		case errors.Is(err, context.Canceled):
			code, msg = "CANCELLED", "the request was cancelled"
		default:
			log.Error("resolver error", "request_id", id, "path", gerr.Path.String(), "err", err)
		}
		return &gqlerror.Error{
			Message:    msg,
			Path:       gerr.Path,
			Locations:  gerr.Locations,
			Extensions: map[string]any{"code": code},
		}
	}
}

// badInputs are the fixed wordings of client input errors that reach the
// presenter without a code: argument values that did not decode (entgql's
// Cursor.UnmarshalGQL, gqlgen's Time) and inputs ent's generated code
// refuses (a cursor that does not fit the connection's order, an empty
// where predicate). Each would otherwise be presented as a server fault
// (found by FuzzWhereOrderVariables). None has a type of its own, so the
// wording is matched; the values are the client's message.
var badInputs = []struct{ match, message string }{
	{"cannot decode cursor", "`after`/`before` is not a cursor of this connection (use an edge's cursor or pageInfo's startCursor/endCursor)"},
	{" is not a slice", "`after`/`before` is not a cursor of this connection and order (use an edge's cursor or pageInfo's startCursor/endCursor)"},
	{"cursor values length", "`after`/`before` is not a cursor of this connection and order (use an edge's cursor or pageInfo's startCursor/endCursor)"},
	{" is not a string", "a Cursor, ID or Time argument must be a string"},
	{"time should be RFC3339Nano formatted string", "a Time must be an RFC 3339 string"},
	{"ent: empty predicate ", "a `where` filter (or one of its `not`/`and`/`or` parts) is empty"},
	// entgql's OrderField.UnmarshalGQL, for a variable value gqlparser let
	// through (found by FuzzWhereOrderVariables in CI): its text names the
	// value and the enum, both the client's own.
	{" is not a valid ", ""},
}

// badInput reports whether err is one of badInputs.
func badInput(err error) bool { return badInputMessage(err) != "" }

// badInputMessage is the client's message of a badInputs error, "" if err
// is not one.
func badInputMessage(err error) string {
	msg := err.Error()
	for _, b := range badInputs {
		if strings.Contains(msg, b.match) {
			if b.message == "" {
				return msg[:min(len(msg), 200)] + " (enum values are case-sensitive)"
			}
			return b.message
		}
	}
	return ""
}

// recoverPanic turns a resolver panic into an INTERNAL_SERVER_ERROR and logs
// its stack.
func recoverPanic(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		id := ""
		if info := infoFrom(ctx); info != nil {
			id = info.id
		}
		log.Error("panic in resolver", "request_id", id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return &gqlerror.Error{
			Message:    "internal server error (request " + id + ")",
			Extensions: map[string]any{"code": "INTERNAL_SERVER_ERROR"},
		}
	}
}

// subject records the authenticated subject for the log line.
func subject(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := viewer.FromContext(r.Context()); v != nil {
			if s, ok := r.Context().Value(subjectKey{}).(*string); ok {
				*s = v.Subject
			}
		}
		next.ServeHTTP(w, r)
	})
}
