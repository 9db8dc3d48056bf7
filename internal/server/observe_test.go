package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/opsgraph/opsgraph/internal/auth"
	"github.com/opsgraph/opsgraph/internal/migrate"
	"github.com/opsgraph/opsgraph/internal/observe"
	"github.com/opsgraph/opsgraph/internal/observe/sqltrace"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

var testAuth = auth.Config{Secret: []byte(strings.Repeat("s", 32))}

func testHandler(t *testing.T, opts Options) http.Handler {
	t.Helper()
	v, err := auth.NewVerifier(testAuth)
	if err != nil {
		t.Fatal(err)
	}
	opts.Verifier = v
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return Handler(opts)
}

func testToken(t *testing.T, roles ...string) string {
	t.Helper()
	tok, err := auth.Mint(testAuth, auth.MintOptions{Subject: "ops@opsgraph.example", Roles: roles, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type gqlResult struct {
	Status     int
	Data       json.RawMessage  `json:"data"`
	Errors     []map[string]any `json:"errors"`
	Extensions map[string]any   `json:"extensions"`
}

// post runs one request through h synchronously: when it returns, the
// request's log line, metrics and spans are complete.
func post(t *testing.T, h http.Handler, token, query string, vars map[string]any) gqlResult {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	out := gqlResult{Status: rec.Code}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("decoding %q: %v", rec.Body.String(), err)
	}
	return out
}

func get(h http.Handler, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

// After a few requests, the admin handler's /metrics shows every series.
func TestMetricsExposition(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	m := observe.NewMetrics()
	h := testHandler(t, Options{DB: db, Metrics: m})
	tok := testToken(t, viewer.RoleAdmin)

	if r := post(t, h, tok, `query accountList { accounts(first: 2) { totalCount } }`, nil); r.Status != 200 || r.Errors != nil {
		t.Fatalf("accountList: %+v", r)
	}
	post(t, h, tok, `{ accounts(first: 1) { totalCount } }`, nil)
	post(t, h, tok, `query bad { accounts { noSuchField } }`, nil)
	post(t, h, "", `query accountList { accounts { totalCount } }`, nil)
	post(t, h, tok, `query `+strings.Repeat("x", 70)+` { accounts { totalCount } }`, nil)
	get(h, "/healthz")
	m.RateLimited(viewer.RoleOpsAnalyst)
	rec := get(observe.AdminHandler(m), "/metrics")
	if rec.Code != 200 {
		t.Fatalf("/metrics: %d", rec.Code)
	}
	text := rec.Body.String()
	for _, want := range []string{
		`opsgraph_graphql_requests_total{code="OK",operation="accountList",type="query"} 1`,
		`opsgraph_graphql_requests_total{code="OK",operation="anonymous",type="query"} 1`,
		`opsgraph_graphql_requests_total{code="GRAPHQL_VALIDATION_FAILED",operation="anonymous",type="unknown"} 1`,
		`opsgraph_graphql_requests_total{code="UNAUTHENTICATED",operation="anonymous",type="unknown"} 1`,
		`opsgraph_graphql_requests_total{code="OK",operation="other",type="query"} 1`,
		`opsgraph_graphql_request_duration_seconds_bucket{operation="accountList",type="query",le="+Inf"} 1`,
		// Three priced queries of 1 point each.
		`opsgraph_graphql_cost_points_bucket{kind="requested",type="query",le="250"} 3`,
		`opsgraph_graphql_cost_points_sum{kind="actual",type="query"} 3`,
		`opsgraph_rate_limited_total{role="OPS_ANALYST"} 1`,
		`opsgraph_sql_statements_per_request_count 3`, // the three executed operations
		`opsgraph_http_requests_total{code="200",handler="GET /healthz"} 1`,
		`opsgraph_db_connections_open `,
		`opsgraph_db_connections_in_use `,
		`opsgraph_db_connections_idle `,
		`opsgraph_db_connections_max_open 8`,
		`opsgraph_db_wait_count_total `,
		`opsgraph_db_wait_duration_seconds_total `,
		`go_goroutines `,
		`process_cpu_seconds_total `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if m := regexp.MustCompile(`opsgraph_sql_statements_per_request_sum (\S+)`).FindStringSubmatch(text); m == nil || m[1] == "0" {
		t.Errorf("no SQL statements counted: %v", m)
	}
	if t.Failed() {
		t.Logf("exposition:\n%s", text)
	}
}

// /metrics and pprof are on the admin handler only.
func TestPublicHandlerHasNoAdminEndpoints(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	m := observe.NewMetrics()
	h := testHandler(t, Options{DB: db, Metrics: m})
	for _, p := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline"} {
		if rec := get(h, p); rec.Code != http.StatusNotFound {
			t.Errorf("public %s = %d, want 404", p, rec.Code)
		}
	}
	admin := observe.AdminHandler(m)
	for _, p := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/heap?debug=1", "/debug/pprof/cmdline"} {
		if rec := get(admin, p); rec.Code != http.StatusOK {
			t.Errorf("admin %s = %d, want 200", p, rec.Code)
		}
	}
}

// openTraced opens a fresh migrated database whose statements go to tp.
func openTraced(t *testing.T, dia string, tp trace.TracerProvider) *store.DB {
	t.Helper()
	db := openEmpty(t, dia, tp)
	if err := migrate.Apply(context.Background(), db.SQL, db.Dialect); err != nil {
		t.Fatal(err)
	}
	return db
}

// openEmpty opens a fresh database without any migration applied.
func openEmpty(t *testing.T, dia string, tp trace.TracerProvider) *store.DB {
	t.Helper()
	opts := store.Options{TracerProvider: tp}
	if dia == dialect.Postgres {
		opts.URL = testdb.CreateDatabase(t)
	} else {
		opts.SQLitePath = filepath.Join(t.TempDir(), "test.db")
	}
	db, err := store.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func attr(s sdktrace.ReadOnlySpan, key attribute.Key) (string, bool) {
	for _, kv := range s.Attributes() {
		if kv.Key == key {
			return kv.Value.Emit(), true
		}
	}
	return "", false
}

// One query yields a request span, an operation span, resolver spans and
// SQL spans in one trace, whose id the response and the log line carry.
func TestTracing(t *testing.T) {
	for _, dia := range testdb.Dialects {
		t.Run(dia, func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			db := openTraced(t, dia, tp)
			var logs bytes.Buffer
			h := testHandler(t, Options{DB: db, TracerProvider: tp, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			const secret = "zz-filter-value-zz"
			r := post(t, h, testToken(t, viewer.RoleAdmin),
				`query accountList($n: String) { accounts(first: 3, where: {nameContains: $n}) { totalCount edges { node { id } } } }`,
				map[string]any{"n": secret})
			if r.Status != 200 || r.Errors != nil {
				t.Fatalf("query: %+v", r)
			}
			spans := rec.Ended()
			var op, resolver sdktrace.ReadOnlySpan
			byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
			for _, s := range spans {
				byID[s.SpanContext().SpanID()] = s
				switch s.Name() {
				case "graphql.query accountList":
					op = s
				case "graphql.resolve Query.accounts":
					resolver = s
				}
			}
			if op == nil || resolver == nil {
				names := []string{}
				for _, s := range spans {
					names = append(names, s.Name())
				}
				t.Fatalf("spans %v lack the operation or the resolver", names)
			}
			traceID := op.SpanContext().TraceID()
			if got, _ := r.Extensions["traceId"].(string); got != traceID.String() {
				t.Errorf("extensions.traceId = %q, want %s", got, traceID)
			}
			if v, _ := attr(op, observe.AttrOperationName); v != "accountList" {
				t.Errorf("graphql.operation.name = %q", v)
			}
			if v, _ := attr(op, observe.AttrOperationType); v != "query" {
				t.Errorf("graphql.operation.type = %q", v)
			}
			if p := byID[op.Parent().SpanID()]; p == nil || p.Name() != "POST /graphql" {
				t.Errorf("operation span's parent is not the request span")
			}
			if resolver.Parent().SpanID() != op.SpanContext().SpanID() {
				t.Errorf("resolver span is not a child of the operation span")
			}
			if v, _ := attr(resolver, observe.AttrFieldPath); v != "accounts" {
				t.Errorf("graphql.field.path = %q", v)
			}
			system := map[string]string{dialect.SQLite: "sqlite", dialect.Postgres: "postgresql"}[dia]
			var sqlSpans int
			for _, s := range spans {
				if s.Name() != "db.query" && s.Name() != "db.exec" {
					continue
				}
				if s.SpanContext().TraceID() != traceID {
					t.Errorf("SQL span in trace %s, want %s", s.SpanContext().TraceID(), traceID)
				}
				stmt, _ := attr(s, sqltrace.AttrStatement)
				if strings.Contains(stmt, secret) {
					t.Errorf("db.statement carries an argument value: %s", stmt)
				}
				if v, _ := attr(s, sqltrace.AttrSystem); v != system {
					t.Errorf("db.system = %q, want %q", v, system)
				}
				// Every SQL span descends from the resolver.
				under := false
				for p := byID[s.Parent().SpanID()]; p != nil; p = byID[p.Parent().SpanID()] {
					if p.SpanContext().SpanID() == resolver.SpanContext().SpanID() {
						under = true
						break
					}
				}
				if !under {
					t.Errorf("SQL span %q is not under the resolver span", stmt)
				}
				sqlSpans++
			}
			if sqlSpans == 0 {
				t.Error("no SQL spans")
			}
			if !strings.Contains(logs.String(), "trace_id="+traceID.String()) {
				t.Errorf("log line lacks trace_id=%s:\n%s", traceID, logs.String())
			}
			if strings.Contains(logs.String(), secret) {
				t.Errorf("a variable was logged:\n%s", logs.String())
			}
		})
	}
}

// Without a tracer provider nothing is traced and no traceId is sent.
func TestNoTracingByDefault(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	var logs bytes.Buffer
	h := testHandler(t, Options{DB: db, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	r := post(t, h, testToken(t, viewer.RoleAdmin), `{ accounts(first: 1) { totalCount } }`, nil)
	if r.Status != 200 || r.Extensions["traceId"] != nil {
		t.Fatalf("response: %+v", r)
	}
	if strings.Contains(logs.String(), "trace_id") {
		t.Errorf("trace_id logged without tracing:\n%s", logs.String())
	}
}

// The log line has the outcome and cost but never the token or variables.
func TestRequestLogLine(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	h := testHandler(t, Options{DB: db, Logger: log})
	tok := testToken(t, viewer.RoleAdmin)
	const secret = "hunter2-in-a-variable"
	post(t, h, tok, `query find($n: String) { accounts(where: {nameContains: $n}) { totalCount } }`, map[string]any{"n": secret})
	post(t, h, tok, `query broken { accounts { nope } }`, map[string]any{"n": secret})
	out := logs.String()
	if strings.Contains(out, tok) || strings.Contains(out, secret) {
		t.Errorf("token or variables logged:\n%s", out)
	}
	if !regexp.MustCompile(`msg=request .*operation=find operation_type=query sql_statements=\d+ cost_requested=1 cost_actual=1 subject=ops@opsgraph.example`).MatchString(out) {
		t.Errorf("no request line for find:\n%s", out)
	}
	if !strings.Contains(out, "error_code=GRAPHQL_VALIDATION_FAILED") {
		t.Errorf("no error_code for broken:\n%s", out)
	}
	if regexp.MustCompile(`operation=broken.*cost_`).MatchString(out) {
		t.Errorf("cost logged for a request that was never priced:\n%s", out)
	}

	logs.Reset()
	mux := http.NewServeMux()
	mux.HandleFunc("/graphql", func(w http.ResponseWriter, r *http.Request) {
		info := infoFrom(r.Context())
		info.operation, info.kind, info.costRequested, info.costActual = "costly", "query", 120, 80
	})
	logRequests(slog.New(slog.NewTextHandler(&logs, nil)), mux, newTelemetry(nil, nil)).
		ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/graphql", nil))
	if !strings.Contains(logs.String(), "cost_requested=120 cost_actual=80") {
		t.Errorf("cost not logged:\n%s", logs.String())
	}
}

// /readyz is 503 "migrations pending" until every migration is applied.
func TestReadinessWaitsForMigrations(t *testing.T) {
	for _, dia := range testdb.Dialects {
		t.Run(dia, func(t *testing.T) {
			ctx := context.Background()
			db := openEmpty(t, dia, nil)
			h := testHandler(t, Options{DB: db})
			ready := func(wantCode int, wantReason string) {
				t.Helper()
				rec := get(h, "/readyz")
				var body struct{ Status, Reason string }
				_ = json.Unmarshal(rec.Body.Bytes(), &body)
				if rec.Code != wantCode || body.Reason != wantReason {
					t.Fatalf("/readyz = %d %s, want %d reason %q", rec.Code, rec.Body.String(), wantCode, wantReason)
				}
			}
			ready(http.StatusServiceUnavailable, "migrations pending") // no revisions table at all
			pending, err := migrate.Pending(ctx, db.SQL, db.Dialect)
			if err != nil || len(pending) < 2 {
				t.Fatalf("pending %v, %v", pending, err)
			}
			if err := migrate.ApplyTo(ctx, db.SQL, db.Dialect, pending[len(pending)-2]); err != nil {
				t.Fatal(err)
			}
			if left, _ := migrate.Pending(ctx, db.SQL, db.Dialect); len(left) != 1 {
				t.Fatalf("after ApplyTo, pending %v", left)
			}
			ready(http.StatusServiceUnavailable, "migrations pending") // one behind
			if err := migrate.Apply(ctx, db.SQL, db.Dialect); err != nil {
				t.Fatal(err)
			}
			ready(http.StatusOK, "")
			if get(h, "/healthz").Code != http.StatusOK {
				t.Error("/healthz")
			}
		})
	}
}
