// Package requests holds the CS Ops request queue's actions: intake,
// triage, assignment, responses, status changes and resolution. Every action
// appends to the request's history, from which internal/sla computes the SLA
// clocks.
package requests

import (
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/internal/sla"
)

// Service runs the request actions against one ent client.
type Service struct {
	client *ent.Client
	now    func() time.Time
	policy sla.Policy
}

// New returns a Service under the SLA policy; now may be nil (time.Now).
func New(client *ent.Client, now func() time.Time, policy sla.Policy) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{client: client, now: now, policy: policy}
}
