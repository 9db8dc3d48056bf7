// Package ratelimit throttles GraphQL requests by their cost: every subject
// (the JWT subject) has a leaky bucket of cost points, as in Shopify's Admin
// API. A bucket holds at most Policy.Capacity points and drains ("restores")
// at Policy.RestoreRate points per second. A request of cost C is admitted
// when the bucket's level, drained to now, plus C is at most the capacity;
// the level then rises by C. After execution the caller refunds what the
// request did not use (requested − actual cost).
//
// NewSQL keeps the buckets in the database (table rate_limit_buckets), so
// every server instance on that database shares them; Take is one atomic
// statement when it admits. NewMemory keeps them in the process, for tests
// and single-process tools.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Policy is a bucket's size and drain rate.
type Policy struct {
	// Capacity is the most points a bucket holds (the burst budget).
	Capacity float64
	// RestoreRate is the points drained from a bucket per second.
	RestoreRate float64
}

func (p Policy) validate() error {
	if !(p.Capacity > 0) || !(p.RestoreRate > 0) || math.IsInf(p.Capacity, 0) || math.IsInf(p.RestoreRate, 0) {
		return fmt.Errorf("ratelimit: invalid policy (capacity %v, restore rate %v): both must be positive and finite", p.Capacity, p.RestoreRate)
	}
	return nil
}

// Decision is the outcome of a Take.
type Decision struct {
	// Allowed reports whether the request was admitted (its cost taken).
	Allowed bool
	// Remaining is the points available after the decision: capacity minus
	// the level (after taking the cost when admitted).
	Remaining float64
	// Capacity is the policy's capacity.
	Capacity float64
	// RetryAfter, when not Allowed and not NeverFits, is how long until the
	// cost fits: whole seconds rounded up, at least one (a Retry-After
	// header). Zero otherwise.
	RetryAfter time.Duration
	// ResetAt is when the bucket will be empty (every point available
	// again) if nothing more is taken.
	ResetAt time.Time
	// NeverFits reports a cost above the capacity: no wait admits it, so
	// the caller rejects the request as too costly rather than asking for
	// a retry. Nothing was taken.
	NeverFits bool
}

// Limiter admits requests by cost.
type Limiter interface {
	// Take admits a request of the given cost for subject under p, taking
	// the cost from the subject's bucket, or refuses it and takes nothing.
	Take(ctx context.Context, subject string, p Policy, cost int) (Decision, error)
	// Refund returns points to subject's bucket (lowers its level, not
	// below empty): the requested cost the request did not use.
	Refund(ctx context.Context, subject string, points int) error
}

// ErrNegative is returned (wrapped) for a negative cost or refund.
var ErrNegative = errors.New("ratelimit: negative points")

// decide builds the Decision of a Take of cost under p at now, from the
// bucket's level: after taking the cost when admitted, drained to now when
// refused.
func decide(p Policy, cost int, level float64, admitted bool, now time.Time) Decision {
	d := Decision{
		Allowed:   admitted,
		Remaining: max(0, p.Capacity-level),
		Capacity:  p.Capacity,
		ResetAt:   now.Add(seconds(max(0, level) / p.RestoreRate)),
		NeverFits: float64(cost) > p.Capacity,
	}
	if !admitted && !d.NeverFits {
		// The time the excess takes to drain, rounded up to whole seconds
		// (less a rounding error's worth, so an exact 2 s is not 3 s).
		wait := math.Ceil((level+float64(cost)-p.Capacity)/p.RestoreRate - 1e-9)
		d.RetryAfter = seconds(max(1, wait))
	}
	return d
}

// seconds converts s seconds to a Duration, saturating instead of
// overflowing (a tiny restore rate).
func seconds(s float64) time.Duration {
	if s >= float64(math.MaxInt64)/float64(time.Second) {
		return math.MaxInt64
	}
	return time.Duration(s * float64(time.Second))
}

// check validates a Take's arguments.
func check(p Policy, cost int) error {
	if err := p.validate(); err != nil {
		return err
	}
	if cost < 0 {
		return fmt.Errorf("%w: cost %d", ErrNegative, cost)
	}
	return nil
}
