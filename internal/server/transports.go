package server

import (
	"context"
	"errors"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/opsgraph/opsgraph/graph"
	"github.com/opsgraph/opsgraph/internal/events"

	"github.com/opsgraph/opsgraph/internal/policy"
	"github.com/opsgraph/opsgraph/internal/trusted"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// DefaultAPQCacheSize is the number of automatic persisted queries kept
// when Options.APQCacheSize is 0.
const DefaultAPQCacheSize = 1000

// useHTTP adds the transports of /graphql (websocket, SSE, GET, POST) and
// the persisted documents: trusted documents (resolved and, for
// Options.TrustedRoles, enforced), then automatic persisted queries. Both
// are operation parameter mutators, so they apply to every transport.
func useHTTP(srv *handler.Server, opts Options) {
	maxBody := opts.MaxBodyBytes
	if maxBody <= 0 {
		maxBody = DefaultMaxBodyBytes
	}
	srv.AddTransport(newWebsocket(opts.Verifier, maxBody, opts.CORSOrigins))
	srv.AddTransport(sseTransport{transport.SSE{KeepAlivePingInterval: 15 * time.Second}})
	srv.AddTransport(getTransport{})
	srv.AddTransport(postTransport{})
	srv.Use(trusted.Enforcer{Manifest: trusted.Embedded(), Roles: opts.TrustedRoles})
	size := opts.APQCacheSize
	if size <= 0 {
		size = DefaultAPQCacheSize
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](size)})
	srv.AroundOperations(perConnectionOperation)
	srv.AroundOperations(subscriptionEnd)
}

// subscriptionEnd gives each event of a subscription a fresh copy of the
// viewer (its fields are resolved with the subscriber's current rights,
// nothing memoized for an earlier event reused) and reports a stream that
// the server ended early (a slow consumer: SLOW_CONSUMER; shutting down:
// UNAVAILABLE): on the websocket as the operation's error message, which
// ends it; on SSE as a last event with the error, before complete.
func subscriptionEnd(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
		return next(ctx)
	}
	// Root field middleware does not run for subscriptions: a viewer who
	// may read nothing is refused here.
	if v := viewer.FromContext(ctx); !policy.CanRead(v, policy.Standard) {
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
			Message:    "your token may not subscribe (an INTEGRATION token needs the read scope)",
			Extensions: map[string]any{"code": "FORBIDDEN"},
		}}})
	}
	end := &graph.StreamEnd{}
	h := next(graph.WithStreamEnd(ctx, end))
	_, websocket := ctx.Value(connViewerKey{}).(*viewer.Viewer)
	reported := false
	return func(ctx context.Context) *graphql.Response {
		if v := viewer.FromContext(ctx); v != nil {
			ctx = viewer.NewContext(ctx, v.Fresh())
		}
		if r := h(ctx); r != nil || reported {
			return r
		}
		err := end.Err()
		if err == nil {
			return nil
		}
		reported = true
		code := "SLOW_CONSUMER"
		if errors.Is(err, events.ErrClosed) {
			code = "UNAVAILABLE"
		}
		gerr := &gqlerror.Error{Message: err.Error(), Extensions: map[string]any{"code": code}}
		if websocket {
			transport.AddSubscriptionError(ctx, gerr)
			return nil
		}
		return &graphql.Response{Errors: gqlerror.List{gerr}}
	}
}
