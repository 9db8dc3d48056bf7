// Package server wires OpsGraph's HTTP surface: the authenticated GraphQL
// endpoint, the explorer, and the health endpoints, with one structured log
// line per request, metrics and (when configured) traces.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"entgo.io/ent/dialect"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/trace"

	"github.com/opsgraph/opsgraph/graph"
	"github.com/opsgraph/opsgraph/internal/auth"
	"github.com/opsgraph/opsgraph/internal/explorer"
	"github.com/opsgraph/opsgraph/internal/export"
	"github.com/opsgraph/opsgraph/internal/health"
	"github.com/opsgraph/opsgraph/internal/loaded"
	"github.com/opsgraph/opsgraph/internal/migrate"
	"github.com/opsgraph/opsgraph/internal/observe"
	"github.com/opsgraph/opsgraph/internal/rows"
	"github.com/opsgraph/opsgraph/internal/sla"
	"github.com/opsgraph/opsgraph/internal/store"
)

// Options configure the handler.
type Options struct {
	DB       *store.DB
	Verifier *auth.Verifier
	Logger   *slog.Logger
	// Introspection enables schema introspection (on by default in the CLI).
	Introspection bool
	// Now is the clock derived fields use (nil: time.Now); tests fix it.
	Now func() time.Time
	// SLAPolicy is the request queue's SLA policy (nil: sla.DefaultPolicy()).
	SLAPolicy *sla.Policy
	// HealthModel is the account health model (nil: health.DefaultModel()).
	HealthModel *health.Model
	// DevTokens, when set, lets the explorer mint development tokens per
	// role (GET /explorer/dev-token); only the embedded default on loopback
	// sets it (internal/cli).
	DevTokens *explorer.DevTokens
	// Limits bound each request's cost, depth, fields, aliases, tokens and
	// execution time (zero values: DefaultLimits).
	Limits Limits
	// RateLimits, when set, charge each request's cost to its subject's
	// rate limit.
	RateLimits *RateLimits
	// Metrics, when set, records the requests and the database pool
	// (internal/observe); the CLI serves them on the admin listener.
	Metrics *observe.Metrics
	// TracerProvider, when set, traces each request, GraphQL operation and
	// resolver (pass the same one to store.Open for the SQL spans), and
	// puts the trace id in the log line and in extensions.traceId. Nil: no
	// tracing, at no cost.
	TracerProvider trace.TracerProvider
	// MaxBodyBytes caps a request body and a websocket message (0:
	// DefaultMaxBodyBytes, 1 MiB); a larger one is refused with 413.
	MaxBodyBytes int64
	// APQCacheSize is how many automatic persisted queries each instance
	// keeps (0: DefaultAPQCacheSize).
	APQCacheSize int
	// TrustedRoles are the roles that may only run trusted documents (the
	// manifest of internal/trusted); a viewer holding any of them is
	// restricted. Empty: nobody is.
	TrustedRoles []string
	// CORSOrigins are the origins (scheme://host[:port]) whose pages may
	// call /graphql; empty: no CORS headers.
	CORSOrigins []string
	// CompiledReads answers, on PostgreSQL, the queries internal/lookahead
	// can compile with one SQL statement each (on in the CLI by default).
	CompiledReads bool
}

// Handler returns the HTTP handler of the whole server.
func Handler(opts Options) http.Handler {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	mux := http.NewServeMux()
	schema := graph.NewSchema(opts.DB.Client, graph.Options{Now: opts.Now, SLAPolicy: opts.SLAPolicy, HealthModel: opts.HealthModel, Events: opts.DB.Events})
	gql := GraphQL(schema, log, opts)
	mux.Handle("/graphql", cors(opts.CORSOrigins, httpSpec(opts.MaxBodyBytes, authenticate(opts.Verifier, subject(gql)))))
	mux.Handle("GET /export/{file}", auth.Middleware(opts.Verifier, subject(export.Handler(schema.Schema(), gql))))
	ex := explorer.Handler(explorer.Options{Schema: schema.Schema(), DevTokens: opts.DevTokens, Logger: log})
	mux.Handle("GET /{$}", ex)
	mux.Handle("GET /explorer/", ex)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.Handle("GET /readyz", readiness(opts.DB, log))
	opts.Metrics.WatchDB(opts.DB.SQL, opts.DB.Waits)
	return logRequests(log, mux, newTelemetry(opts.Metrics, opts.TracerProvider))
}

// readiness answers /readyz: 503 while the database does not answer or has
// migrations pending, else 200. Each call runs at most one cheap query: the
// migration check until it has seen the schema up to date, then a ping.
func readiness(db *store.DB, log *slog.Logger) http.Handler {
	migrations := migrate.NewCheck(db.SQL, db.Dialect)
	unavailable := func(w http.ResponseWriter, reason string) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"unavailable","reason":"` + reason + `"}` + "\n"))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		if migrations.Confirmed() {
			if err := db.Ping(ctx); err != nil {
				log.Warn("readiness check failed", "err", err)
				unavailable(w, "database unreachable")
				return
			}
		} else {
			switch ok, err := migrations.UpToDate(ctx); {
			case err != nil:
				log.Warn("readiness check failed", "err", err)
				unavailable(w, "database unreachable")
				return
			case !ok:
				log.Warn("readiness check failed: migrations pending (run opsgraph migrate, or serve with OPSGRAPH_MIGRATE=true)")
				unavailable(w, "migrations pending")
				return
			}
		}
		_, _ = w.Write([]byte(`{"status":"ready"}` + "\n"))
	})
}

// GraphQL returns the GraphQL handler (without authentication) over schema.
func GraphQL(schema graphql.ExecutableSchema, log *slog.Logger, opts Options) http.Handler {
	limits := opts.Limits.withDefaults()
	if opts.CompiledReads && opts.DB != nil && opts.DB.Dialect == dialect.Postgres {
		schema = newCompiledReads(schema, opts.DB.Counter)
	}
	srv := handler.New(schema)
	useHTTP(srv, opts)
	srv.SetQueryCache(pageDefaults{next: lru.New[*ast.QueryDocument](1000)})
	srv.SetParserTokenLimit(limits.MaxTokens)
	if tp := opts.TracerProvider; tp != nil {
		// First, so the operation span encloses every other extension.
		srv.Use(observe.GraphQLTracing{Tracer: tp.Tracer(observe.TracerName), Annotate: annotateSpan})
	}
	srv.Use(outcome{})
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		srv.SetDisableSuggestion(true)
	}
	srv.Use(pageLimits{})
	srv.Use(&sideDoors{})
	// Last of the checks: a request refused by the others is not charged
	// to the rate limit.
	srv.Use(&costLimits{limits: limits, rate: opts.RateLimits})
	srv.AroundOperations(withCost(limits.Timeout))
	srv.AroundResponses(costExtension(opts.RateLimits))
	srv.AroundRootFields(authorizeRoot)
	srv.AroundFields(guardField)
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if info := infoFrom(ctx); info != nil {
			oc := graphql.GetOperationContext(ctx)
			info.operation = oc.OperationName
			if info.operation == "" && oc.Operation != nil {
				info.operation = oc.Operation.Name
			}
			if oc.Operation != nil {
				info.kind = string(oc.Operation.Operation)
			}
		}
		// A query writes nothing: the row rules may resolve a CSM's book
		// once for all its statements.
		if oc := graphql.GetOperationContext(ctx); oc.Operation != nil && oc.Operation.Operation == ast.Query {
			ctx = rows.ReadOnly(ctx)
			// Fields that batch per account find the accounts read
			// together (a query's only: a subscription's would grow for
			// its lifetime).
			ctx = loaded.With(ctx)
		}
		return next(ctx)
	})
	srv.SetErrorPresenter(presentError(log))
	srv.SetRecoverFunc(recoverPanic(log))
	return srv
}
