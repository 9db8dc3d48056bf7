// Package graph holds the GraphQL resolvers. They are thin: reads go through
// the ent client (whose generated pagination and field collection avoid
// N+1), writes call the domain services in internal/. The generated
// execution code lives apart in graph/generated.
package graph

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/graph/generated"
	"github.com/opsgraph/opsgraph/internal/masterdata"
)

// Resolver is the resolver root.
type Resolver struct {
	client     *ent.Client
	masterdata *masterdata.Service
}

// NewSchema returns the executable schema over client.
func NewSchema(client *ent.Client) graphql.ExecutableSchema {
	return generated.NewExecutableSchema(generated.Config{
		Resolvers: &Resolver{
			client:     client,
			masterdata: masterdata.New(client, nil),
		},
	})
}
