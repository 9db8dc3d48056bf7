// Package observe holds OpsGraph's telemetry: the Prometheus metrics of the
// server (on a registry of their own, served by the admin listener with
// pprof), the OpenTelemetry tracer provider and the gqlgen extension that
// traces operations and resolvers. Package sqltrace traces SQL statements.
package observe

import (
	"database/sql"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Label values used when the real one is not known or not allowed.
const (
	// Anonymous is the operation label of an operation without a name.
	Anonymous = "anonymous"
	// Other replaces a label value that is not a plain identifier or comes
	// after the first MaxLabelValues distinct ones.
	Other = "other"
	// Unknown is the type label of a request that never became an
	// operation (refused before parsing, or unparseable).
	Unknown = "unknown"
	// MaxLabelValues bounds the distinct operation names (and error codes,
	// roles) a label takes; later ones are counted as "other".
	MaxLabelValues = 200
)

// Metrics are the server's Prometheus metrics. A nil *Metrics records
// nothing, so callers need not check.
type Metrics struct {
	reg *prometheus.Registry

	gqlRequests *prometheus.CounterVec
	gqlDuration *prometheus.HistogramVec
	cost        *prometheus.HistogramVec
	sqlPerReq   prometheus.Histogram
	rateLimited *prometheus.CounterVec
	httpReqs    *prometheus.CounterVec

	operations, codes, roles *labelSet
}

// CostBuckets are the buckets of opsgraph_graphql_cost_points: query costs
// run from 0 to the 10 000-point limit.
var CostBuckets = []float64{1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000}

// StatementBuckets are the buckets of opsgraph_sql_statements_per_request.
var StatementBuckets = []float64{1, 2, 3, 5, 8, 13, 21, 34, 55, 100, 200, 500}

// DurationBuckets are the buckets of opsgraph_graphql_request_duration_seconds.
var DurationBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// NewMetrics creates the metrics on a registry of their own, with the Go
// runtime and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		gqlRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opsgraph_graphql_requests_total",
			Help: "GraphQL requests by operation name, operation type and outcome (OK or the first error's extensions.code).",
		}, []string{"operation", "type", "code"}),
		gqlDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "opsgraph_graphql_request_duration_seconds",
			Help:    "Time to answer a GraphQL request, from the first byte read to the last written.",
			Buckets: DurationBuckets,
		}, []string{"operation", "type"}),
		cost: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "opsgraph_graphql_cost_points",
			Help:    "Query cost in points per GraphQL request: requested (estimated before execution) and actual (after).",
			Buckets: CostBuckets,
		}, []string{"type", "kind"}),
		sqlPerReq: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "opsgraph_sql_statements_per_request",
			Help:    "SQL statements run by one GraphQL operation (a CSV export runs one).",
			Buckets: StatementBuckets,
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opsgraph_rate_limited_total",
			Help: "Requests refused by the rate limiter, by the viewer's role.",
		}, []string{"role"}),
		httpReqs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opsgraph_http_requests_total",
			Help: "HTTP requests other than /graphql, by route pattern and status code.",
		}, []string{"handler", "code"}),
		operations: newLabelSet(MaxLabelValues),
		codes:      newLabelSet(MaxLabelValues),
		roles:      newLabelSet(MaxLabelValues),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.gqlRequests, m.gqlDuration, m.cost, m.sqlPerReq, m.rateLimited, m.httpReqs,
	)
	return m
}

// Registry returns the registry the metrics are on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// GraphQLRequest is what one GraphQL request reports.
type GraphQLRequest struct {
	// Operation is the operation name ("" for an anonymous operation).
	Operation string
	// Type is query, mutation or subscription ("" when unknown).
	Type string
	// Code is "" or "OK" for success, else the first error's
	// extensions.code.
	Code string
	// Duration is the request's wall time.
	Duration time.Duration
	// CostRequested and CostActual are the query cost in points; zero is
	// not observed.
	CostRequested, CostActual int
	// SQLStatements is the number of statements the request ran.
	SQLStatements int64
}

// ObserveGraphQL records one GraphQL request.
func (m *Metrics) ObserveGraphQL(r GraphQLRequest) {
	if m == nil {
		return
	}
	op := Anonymous
	if r.Operation != "" {
		op = m.operations.value(r.Operation)
	}
	typ := r.Type
	switch typ {
	case "query", "mutation", "subscription":
	default:
		typ = Unknown
	}
	code := "OK"
	if r.Code != "" {
		code = m.codes.value(r.Code)
	}
	m.gqlRequests.WithLabelValues(op, typ, code).Inc()
	m.gqlDuration.WithLabelValues(op, typ).Observe(r.Duration.Seconds())
	if r.CostRequested != 0 {
		m.cost.WithLabelValues(typ, "requested").Observe(float64(r.CostRequested))
	}
	if r.CostActual != 0 {
		m.cost.WithLabelValues(typ, "actual").Observe(float64(r.CostActual))
	}
	if typ != Unknown {
		m.sqlPerReq.Observe(float64(r.SQLStatements))
	}
}

// ObserveHTTP records a request to a route other than /graphql; handler is
// the route's pattern ("" when none matched).
func (m *Metrics) ObserveHTTP(handler string, status int) {
	if m == nil {
		return
	}
	if handler == "" {
		handler = "unmatched"
	}
	m.httpReqs.WithLabelValues(handler, strconv.Itoa(status)).Inc()
}

// RateLimited counts a request the rate limiter refused for a viewer of
// role.
func (m *Metrics) RateLimited(role string) {
	if m == nil {
		return
	}
	if role == "" {
		role = Unknown
	}
	m.rateLimited.WithLabelValues(m.roles.value(role)).Inc()
}

// WatchDB exports the connection pool statistics of db as
// opsgraph_db_*, counting the waits that waits reports (statements queued
// in front of the pool; nil: none) with the pool's own. Only the first pool
// watched is exported; later calls do nothing.
func (m *Metrics) WatchDB(db *sql.DB, waits func() (int64, time.Duration)) {
	if m == nil || db == nil {
		return
	}
	_ = m.reg.Register(newDBStats(db, waits)) // an AlreadyRegisteredError: a pool is watched already
}

// labelSet bounds a label's values: plain identifiers up to 64 characters,
// at most max of them; anything else is Other.
type labelSet struct {
	mu   sync.RWMutex
	seen map[string]struct{}
	max  int
}

func newLabelSet(max int) *labelSet { return &labelSet{seen: map[string]struct{}{}, max: max} }

func (s *labelSet) value(v string) string {
	if !identifier(v) {
		return Other
	}
	s.mu.RLock()
	_, ok := s.seen[v]
	s.mu.RUnlock()
	if ok {
		return v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[v]; ok {
		return v
	}
	if len(s.seen) >= s.max {
		return Other
	}
	s.seen[v] = struct{}{}
	return v
}

// identifier reports whether v matches ^[A-Za-z_][A-Za-z0-9_]{0,63}$.
func identifier(v string) bool {
	if v == "" || len(v) > 64 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
