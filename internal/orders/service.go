package orders

import (
	"time"

	"github.com/opsgraph/opsgraph/ent"
)

// Service runs the order actions against one ent client. Each action runs
// in one transaction, appends an OrderEvent for its transition and is
// audited under its mutation's name.
type Service struct {
	client *ent.Client
	now    func() time.Time
}

// New returns a Service over client; now may be nil (time.Now).
func New(client *ent.Client, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{client: client, now: now}
}
