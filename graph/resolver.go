// Package graph holds the GraphQL resolvers. They are thin: reads go through
// the ent client (whose generated pagination and field collection avoid
// N+1), writes call the domain services in internal/. The generated
// execution code lives apart in graph/generated.
package graph

import (
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/graph/generated"
	"github.com/opsgraph/opsgraph/internal/entitlements"
	"github.com/opsgraph/opsgraph/internal/events"
	"github.com/opsgraph/opsgraph/internal/health"
	"github.com/opsgraph/opsgraph/internal/masterdata"
	"github.com/opsgraph/opsgraph/internal/orders"
	"github.com/opsgraph/opsgraph/internal/reports"
	"github.com/opsgraph/opsgraph/internal/requests"
	"github.com/opsgraph/opsgraph/internal/scoring"
	"github.com/opsgraph/opsgraph/internal/sla"
)

// Resolver is the resolver root.
type Resolver struct {
	client       *ent.Client
	masterdata   *masterdata.Service
	entitlements *entitlements.Service
	orders       *orders.Service
	scoring      *scoring.Service
	requests     *requests.Service
	reports      *reports.Service
	slaPolicy    sla.Policy
	now          func() time.Time
	events       *events.Hub
}

// Options configure the schema's domain services.
type Options struct {
	// Now is the clock derived fields are computed against (nil: time.Now).
	Now func() time.Time
	// HealthModel is the health model in force (nil: health.DefaultModel()).
	HealthModel *health.Model
	// SLAPolicy is the request queue's SLA policy (nil: sla.DefaultPolicy()).
	SLAPolicy *sla.Policy
	// Events feeds the subscriptions (nil: every subscription ends at once
	// with an error).
	Events *events.Hub
}

// NewSchema returns the executable schema over client.
func NewSchema(client *ent.Client, opts Options) graphql.ExecutableSchema {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	model := health.DefaultModel()
	if opts.HealthModel != nil {
		model = *opts.HealthModel
	}
	policy := sla.DefaultPolicy()
	if opts.SLAPolicy != nil {
		policy = *opts.SLAPolicy
	}
	return generated.NewExecutableSchema(generated.Config{
		Resolvers: &Resolver{
			client:       client,
			masterdata:   masterdata.New(client, now),
			entitlements: entitlements.New(client, now),
			orders:       orders.New(client, now),
			scoring:      scoring.New(client, now, model),
			requests:     requests.New(client, now, policy),
			reports:      reports.New(client, now, policy, model),
			slaPolicy:    policy,
			now:          now,
			events:       opts.Events,
		},
	})
}

// derive computes an entitlement's derived fields now.
func (r *Resolver) derive(e *ent.Entitlement) entitlements.Derived {
	return entitlements.Derive(e, r.now())
}

// SDL prints the GraphQL schema the server serves, as `opsgraph schema` and
// the SDK's schema.graphql show it.
func SDL() string {
	var b strings.Builder
	formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchema(NewSchema(nil, Options{}).Schema())
	return b.String()
}
