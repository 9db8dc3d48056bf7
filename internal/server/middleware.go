package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/opsgraph/opsgraph/ent/privacy"
	"github.com/opsgraph/opsgraph/internal/sqlcount"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// requestInfo collects what the request log line reports; the GraphQL layer
// fills in the operation.
type requestInfo struct {
	id        string
	operation string
	kind      string
	// costRequested and costActual are the operation's price and what it
	// really fetched (internal/cost).
	costRequested, costActual int
	// status, when set, replaces the status the GraphQL transport writes
	// (429 for a rate-limited request), with retryAfter as Retry-After.
	status      int
	retryAfter  string
	rateLimited bool
	// budgetErr is a failure of the rate limit's store (the request was let
	// through).
	budgetErr error
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

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// logRequests writes one structured line per request: method, path, status,
// duration, GraphQL operation, subject and SQL statements. It never logs
// tokens or variables.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
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
		sw := &statusWriter{ResponseWriter: w, info: info}
		next.ServeHTTP(sw, r.WithContext(ctx))
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			return
		}
		attrs := []any{
			"request_id", info.id,
			"method", r.Method,
			"path", r.URL.Path,
			"status", sw.status,
			"duration_ms", float64(time.Since(start).Microseconds()) / 1000,
			"bytes", sw.bytes,
		}
		if info.operation != "" || info.kind != "" {
			attrs = append(attrs, "operation", info.operation, "operation_type", info.kind, "sql_statements", counter.Count(),
				"cost_requested", info.costRequested, "cost_actual", info.costActual)
		}
		if info.rateLimited {
			attrs = append(attrs, "rate_limited", true)
		}
		if info.budgetErr != nil {
			log.Error("rate limit store failed; request let through", "request_id", info.id, "err", info.budgetErr)
		}
		if subj != "" {
			attrs = append(attrs, "subject", subj)
		}
		log.Info("request", attrs...)
	})
}

type subjectKey struct{}

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
