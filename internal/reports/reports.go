// Package reports computes the analyst reports: the weekly operations
// questions (order pipeline, entitlement discrepancies, renewals, renewal
// hygiene, health overview, request queue, data quality, billing
// reconciliation), each by SQL aggregation in the database.
//
// Reports read through the ent client, so the row rules (internal/rows)
// apply underneath: a CSM's report covers their book. Their GraphQL types
// are the Go types of this package (gqlgen autobinds them), and the parts
// of a report are methods computed only when the query selects them.
// Definitions: docs/reports.md.
package reports

import (
	"time"

	"entgo.io/contrib/entgql"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/internal/health"
	"github.com/opsgraph/opsgraph/internal/sla"
)

// Service computes the reports against one ent client and clock.
type Service struct {
	client *ent.Client
	now    func() time.Time
	policy sla.Policy
	model  health.Model
}

// New returns a Service; now may be nil (time.Now). The SLA policy's
// calendar counts business days (request aging); the health model's
// freshness windows define stale signals and score coverage.
func New(client *ent.Client, now func() time.Time, policy sla.Policy, model health.Model) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{client: client, now: now, policy: policy, model: model}
}

// Cursor and PageInfo are the GraphQL Cursor and PageInfo types.
type (
	Cursor   = entgql.Cursor[int]
	PageInfo = entgql.PageInfo[int]
)

// MoneyAmount is an amount in minor units of one currency.
type MoneyAmount struct {
	Currency    string `json:"currency"`
	AmountMinor int64  `json:"amountMinor"`
}

// Completeness is a share of a total; Rate is nil when Total is 0.
type Completeness struct {
	Total    int      `json:"total"`
	Complete int      `json:"complete"`
	Rate     *float64 `json:"rate"`
}

// Share returns the Completeness of complete out of total.
func Share(complete, total int) *Completeness {
	c := &Completeness{Total: total, Complete: complete}
	if total > 0 {
		r := float64(complete) / float64(total)
		c.Rate = &r
	}
	return c
}

// DurationStats is a distribution of durations in seconds; the fields are
// nil when Count is 0. Percentiles are nearest-rank.
type DurationStats struct {
	Count      int      `json:"count"`
	P50Seconds *float64 `json:"p50Seconds"`
	P90Seconds *float64 `json:"p90Seconds"`
	MaxSeconds *float64 `json:"maxSeconds"`
}

// page trims rows fetched with LIMIT first+1 to the page and describes it:
// cursor gives each row's position. after is the cursor the page started
// after (nil for the first page).
func page[T any](rows []T, first int, after *Cursor, cursor func(T) Cursor) ([]T, []Cursor, PageInfo) {
	info := PageInfo{HasPreviousPage: after != nil}
	if len(rows) > first {
		rows, info.HasNextPage = rows[:first], true
	}
	cursors := make([]Cursor, len(rows))
	for i, r := range rows {
		cursors[i] = cursor(r)
	}
	if len(cursors) > 0 {
		info.StartCursor, info.EndCursor = &cursors[0], &cursors[len(cursors)-1]
	}
	return rows, cursors, info
}
