// Package seedtest gives tests their own copy of the demo dataset, seeded
// once per test process (see testdb.Seeded).
package seedtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/internal/seed"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
)

// DemoOptions are the demo dataset the API tests share: 200 accounts,
// seed 7, on a seed clock ending at now.
func DemoOptions(now time.Time) seed.Options {
	return seed.Options{Seed: 7, Accounts: 200, Now: now}
}

// Demo returns a fresh database of dialect dia holding the demo dataset as
// of now: its own copy of a template seeded once per test process (see
// testdb.Seeded), since seeding through the domain services is slow.
func Demo(t testing.TB, dia string, now time.Time) *store.DB {
	t.Helper()
	opts := DemoOptions(now)
	return testdb.Seeded(t, dia, fmt.Sprintf("demo seed=%d accounts=%d now=%s", opts.Seed, opts.Accounts, now.UTC().Format(time.RFC3339Nano)),
		func(ctx context.Context, db *store.DB) error {
			_, err := seed.Demo(ctx, db.Client, opts)
			return err
		})
}

// EachDemo is testdb.Each over copies of the demo dataset as of now.
func EachDemo(t *testing.T, now time.Time, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range testdb.Dialects {
		t.Run(d, func(t *testing.T) {
			fn(t, Demo(t, d, now))
		})
	}
}
