// Package events carries change notifications between OpsGraph instances:
// after a write transaction commits, every instance learns which Order,
// Request, Entitlement or HealthScore changed, and fans the news out to its
// subscriptions (GraphQL subscriptions re-read the entity with each
// subscriber's own rights).
//
// On PostgreSQL the notification is `pg_notify('opsgraph_events', …)` issued
// inside the writing transaction, which PostgreSQL delivers to every
// listening session when, and only if, the transaction commits; each
// instance holds one lib/pq Listener. On SQLite (one process) an in-process
// hub receives the same events after the commit.
//
// An event carries ids only, never values: {"kind":"order","id":123,"accountId":45}.
// Delivery is at most once: a listener that reconnects, a subscriber that
// is too slow, or an instance that restarts misses events; clients catch up
// by re-querying with an updatedAtGTE filter.
package events

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Channel is the PostgreSQL notification channel.
const Channel = "opsgraph_events"

// Kind names the entity type of an event.
type Kind string

// The kinds of events.
const (
	KindOrder       Kind = "order"
	KindRequest     Kind = "request"
	KindEntitlement Kind = "entitlement"
	KindHealthScore Kind = "healthScore"
)

// kinds maps ent type names to event kinds.
var kinds = map[string]Kind{
	"Order":       KindOrder,
	"Request":     KindRequest,
	"Entitlement": KindEntitlement,
	"HealthScore": KindHealthScore,
}

// Event says that an entity was created or changed. AccountID is the
// entity's account when the writer knew it (0 otherwise); subscribers use
// it to skip events of other accounts before re-reading.
type Event struct {
	Kind      Kind `json:"kind"`
	ID        int  `json:"id"`
	AccountID int  `json:"accountId,omitempty"`
}

// Encode returns the notification payload of e.
func (e Event) Encode() string {
	b, _ := json.Marshal(e)
	return string(b)
}

// Decode parses a notification payload.
func Decode(payload string) (Event, error) {
	var e Event
	if err := json.Unmarshal([]byte(payload), &e); err != nil {
		return e, fmt.Errorf("events: decoding %q: %w", payload, err)
	}
	if e.Kind == "" || e.ID == 0 {
		return e, fmt.Errorf("events: payload %q has no kind or id", payload)
	}
	return e, nil
}

// ErrSlowConsumer ends a subscription whose buffer was full when an event
// arrived: it did not keep up, and the others are not held back for it.
var ErrSlowConsumer = errors.New("the subscription did not keep up with its events and was closed; re-query with an updatedAtGTE filter and subscribe again")

// ErrClosed ends the subscriptions of a hub that closed (the server shuts down).
var ErrClosed = errors.New("the server is shutting down")
