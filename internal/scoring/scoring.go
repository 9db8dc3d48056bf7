// Package scoring stores account health: it ingests health signals, scores
// accounts with the health model in force (internal/health) and keeps every
// score as history. It also records each model definition a server runs as
// a numbered HealthModel version.
package scoring

import (
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/internal/health"
)

// Service runs the health actions against one ent client.
type Service struct {
	client *ent.Client
	now    func() time.Time
	model  health.Model
}

// New returns a Service scoring with model; now may be nil (time.Now).
func New(client *ent.Client, now func() time.Time, model health.Model) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{client: client, now: now, model: model}
}
