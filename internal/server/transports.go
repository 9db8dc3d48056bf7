package server

import (
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"

	"github.com/opsgraph/opsgraph/internal/trusted"
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
	srv.AddTransport(sseTransport{})
	srv.AddTransport(getTransport{})
	srv.AddTransport(postTransport{})
	srv.Use(trusted.Enforcer{Manifest: trusted.Embedded(), Roles: opts.TrustedRoles})
	size := opts.APQCacheSize
	if size <= 0 {
		size = DefaultAPQCacheSize
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](size)})
	srv.AroundOperations(perConnectionOperation)
}
