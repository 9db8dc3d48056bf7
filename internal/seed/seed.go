// Package seed fills an empty OpsGraph database with generated, realistic
// data: the demo dataset (Demo, about 200 accounts) that the docs and the
// explorer's example queries refer to, and benchmark-sized data (Bulk, e.g.
// 100,000 accounts) with the same shapes in the same proportions.
//
// The data is deterministic: the same Seed, Now and Accounts produce the same
// rows, ids included, on a fresh database. Every time is derived from Now
// (created_at/updated_at too); the only randomness is a PCG stream seeded from
// Seed.
//
// The data deliberately contains the exceptions OpsGraph's reports look for:
// over-limit usage, entitlements of contracts that are not ACTIVE or past
// their window yet ACTIVE, fulfilled orders without entitlements or without
// an invoice, renewals without a date or an owner, stale signals, accounts
// without an owner or owned by an inactive user, duplicate names and domains,
// long onboarding, breached request SLAs.
package seed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/internal/audit"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// Options control a seed run.
type Options struct {
	// Seed seeds the random generator; the same Seed, Now and Accounts give
	// identical data.
	Seed int64
	// Accounts is the number of accounts (Demo: 200, Bulk: 100,000 when 0).
	Accounts int
	// Now is the reference time every generated time is relative to; it is
	// truncated to the minute. Zero means time.Now().
	Now time.Time
	// BatchSize is the number of rows per INSERT (default 1000). It is
	// lowered per table where needed to stay under the databases' bind
	// parameter limits. It does not change the data.
	BatchSize int
	// Logf, if set, receives progress messages.
	Logf func(format string, args ...any)
}

// Summary counts the rows a seed run created.
type Summary struct {
	Users, Accounts, Products, Contracts, ContractItems, Orders, OrderLines, OrderEvents,
	Entitlements, HealthSignals, HealthScores, Requests int
	// Took is the wall time of the run.
	Took time.Duration
}

// Rows returns the total number of rows created.
func (s Summary) Rows() int {
	return s.Users + s.Accounts + s.Products + s.Contracts + s.ContractItems + s.Orders + s.OrderLines +
		s.OrderEvents + s.Entitlements + s.HealthSignals + s.HealthScores + s.Requests
}

// String formats the summary for logs.
func (s Summary) String() string {
	return fmt.Sprintf("%d rows in %s: %d users, %d accounts, %d products, %d contracts, %d contract items, "+
		"%d orders, %d order lines, %d order events, %d entitlements, %d health signals, %d health scores, %d requests",
		s.Rows(), s.Took.Round(time.Millisecond), s.Users, s.Accounts, s.Products, s.Contracts, s.ContractItems,
		s.Orders, s.OrderLines, s.OrderEvents, s.Entitlements, s.HealthSignals, s.HealthScores, s.Requests)
}

// ErrNotEmpty is returned when seeding a database that already has users or
// accounts.
var ErrNotEmpty = errors.New("seed: database is not empty (it has users or accounts)")

// Demo seeds the demo dataset: about 25 users, the product catalog and
// opts.Accounts accounts (200 by default) with their contracts, orders,
// entitlements, health and about 0.75 requests per account.
func Demo(ctx context.Context, client *ent.Client, opts Options) (Summary, error) {
	return run(ctx, client, opts, demoProfile)
}

// Bulk seeds benchmark-sized data (100,000 accounts by default): the demo's
// shapes with about 3 contracts, 15 entitlements and 20 health signals per
// account, and one more CSM per 500 accounts.
func Bulk(ctx context.Context, client *ent.Client, opts Options) (Summary, error) {
	return run(ctx, client, opts, bulkProfile)
}

// IsEmpty reports whether the database has no accounts and no users.
func IsEmpty(ctx context.Context, client *ent.Client) (bool, error) {
	ctx = viewer.System(ctx, SystemActor)
	has, err := client.Account.Query().Exist(ctx)
	if err != nil || has {
		return false, wrapQuery(err)
	}
	has, err = client.User.Query().Exist(ctx)
	if err != nil || has {
		return false, wrapQuery(err)
	}
	return true, nil
}

func wrapQuery(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("seed: checking the database is empty: %w", err)
}

// run seeds with prof in one transaction: either all the data is there or
// none of it.
func run(ctx context.Context, client *ent.Client, opts Options, prof profile) (sum Summary, err error) {
	start := time.Now()
	if opts.Accounts < 0 {
		return sum, fmt.Errorf("seed: Accounts must not be negative (got %d)", opts.Accounts)
	}
	if opts.Accounts == 0 {
		opts.Accounts = prof.defaultAccounts
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	ctx = audit.Disable(viewer.System(ctx, SystemActor))

	empty, err := IsEmpty(ctx, client)
	if err != nil {
		return sum, err
	}
	if !empty {
		return sum, ErrNotEmpty
	}

	g := newGenerator(opts.Seed, opts.Now, opts.Accounts, prof)
	tx, err := client.Tx(ctx)
	if err != nil {
		return sum, fmt.Errorf("seed: starting transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
			sum = Summary{}
		}
	}()
	w := &writer{tx: tx, batch: opts.BatchSize, sum: &sum}
	if err := w.writeUsers(ctx, g.users); err != nil {
		return sum, err
	}
	if err := w.writeProducts(ctx, g); err != nil {
		return sum, err
	}
	logf("seed %s: %d users, %d products; generating %d accounts (seed %d, now %s)",
		prof.name, sum.Users, sum.Products, opts.Accounts, opts.Seed, g.now.Format(time.RFC3339))
	for g.done < g.total {
		c := g.chunk()
		if err := w.writeChunk(ctx, c); err != nil {
			return sum, err
		}
		if g.total > chunkAccounts {
			logf("seed %s: %d/%d accounts, %d rows, %s", prof.name, g.done, g.total, sum.Rows(), time.Since(start).Round(time.Second))
		}
	}
	if err := tx.Commit(); err != nil {
		return sum, fmt.Errorf("seed: committing: %w", err)
	}
	sum.Took = time.Since(start)
	logf("seed %s: done, %s", prof.name, sum)
	return sum, nil
}
