package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Memory is a Limiter over buckets in process memory. Server instances do
// not share it: it is for tests and single-process tools. Buckets are
// never evicted.
type Memory struct {
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	level float64
	at    time.Time // when level was last computed
}

// NewMemory returns an in-memory Limiter reading the time from now
// (time.Now when nil).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, buckets: map[string]*bucket{}}
}

// drained returns b's level drained to now. A now before b.at (a clock
// behind) drains nothing.
func (b *bucket) drained(p Policy, now time.Time) float64 {
	elapsed := max(0, now.Sub(b.at).Seconds())
	return max(0, b.level-p.RestoreRate*elapsed)
}

// Take implements Limiter.
func (m *Memory) Take(_ context.Context, subject string, p Policy, cost int) (Decision, error) {
	if err := check(p, cost); err != nil {
		return Decision{}, err
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[subject]
	if b == nil {
		b = &bucket{at: now}
	}
	level := b.drained(p, now)
	if float64(cost) > p.Capacity || level+float64(cost) > p.Capacity {
		return decide(p, cost, level, false, now), nil
	}
	b.level = level + float64(cost)
	if now.After(b.at) {
		b.at = now
	}
	m.buckets[subject] = b
	return decide(p, cost, b.level, true, now), nil
}

// Refund implements Limiter.
func (m *Memory) Refund(_ context.Context, subject string, points int) error {
	if points < 0 {
		return fmt.Errorf("%w: refund %d", ErrNegative, points)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if b := m.buckets[subject]; b != nil {
		b.level = max(0, b.level-float64(points))
	}
	return nil
}
