// Package graph holds the GraphQL resolvers. They are thin: reads go through
// the ent client (whose generated pagination and field collection avoid
// N+1), writes call the domain services in internal/. The generated
// execution code lives apart in graph/generated.
package graph

import (
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/graph/generated"
	"github.com/opsgraph/opsgraph/internal/entitlements"
	"github.com/opsgraph/opsgraph/internal/masterdata"
)

// Resolver is the resolver root.
type Resolver struct {
	client       *ent.Client
	masterdata   *masterdata.Service
	entitlements *entitlements.Service
	now          func() time.Time
}

// NewSchema returns the executable schema over client. now is the clock
// derived fields are computed against (nil: time.Now).
func NewSchema(client *ent.Client, now func() time.Time) graphql.ExecutableSchema {
	if now == nil {
		now = time.Now
	}
	return generated.NewExecutableSchema(generated.Config{
		Resolvers: &Resolver{
			client:       client,
			masterdata:   masterdata.New(client, now),
			entitlements: entitlements.New(client, now),
			now:          now,
		},
	})
}

// derive computes an entitlement's derived fields now.
func (r *Resolver) derive(e *ent.Entitlement) entitlements.Derived {
	return entitlements.Derive(e, r.now())
}
