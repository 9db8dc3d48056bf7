// Package seed fills an empty OpsGraph database with generated, realistic
// data: the demo dataset (Demo, about 200 accounts) that the docs and the
// explorer's example queries refer to, and benchmark-sized data (Bulk, e.g.
// 100,000 accounts) with the same shapes in the same proportions.
//
// # How
//
// A generator plans the data (generate.go and the files next to it): users,
// the catalog, accounts and their hierarchy, contracts and items, orders
// along their lifecycle, what happens to the entitlements they produce,
// health signals and the request queue — each record with the times of the
// business actions that made it, deliberate exceptions included. The plan
// obeys the business rules by construction: the generator keeps each
// account's entitlements and judges every order line with the order
// service's own rules (entitlements.go mirrors internal/orders).
//
// Demo replays the plan through the domain services, in time order, on a
// clock the seed drives (replay.go): users, the catalog, accounts,
// contracts and items through internal/masterdata; orders through
// internal/orders (create, submit, validate, provision, fulfil or reject or
// cancel, invoice), so entitlements are made by fulfilment; usage reports,
// overrides, suspensions and revocations through internal/entitlements,
// and its expiry sweep weekly; health signals through internal/scoring
// (scores and their history come from the health model); requests through
// internal/requests (SLA due times and histories from the SLA policy). So
// the seeded data obeys the rules because the services enforced them, and
// its timestamps, order timelines, SLA histories and score histories read
// as if it had happened. Every action is audited as it would be (actor,
// action, before/after), at its planned instant. The whole replay is one
// transaction.
//
// Records no action can produce — trials (entitlements without a contract)
// and orders fulfilled in a legacy system without entitlements — are
// written directly by a small, documented legacy import (legacy.go).
//
// Bulk writes the same plan's end state with multi-row INSERTs instead
// (insert.go), unaudited: replaying 100,000 accounts' actions one
// transaction each would take hours, and a benchmark dataset needs the
// shapes, not the history.
//
// # Determinism
//
// The same Seed, Now and Accounts produce the same data, ids included, on a
// fresh database. Every time is derived from Now; the only randomness is a
// PCG stream seeded from Seed.
//
// # Exceptions
//
// The data deliberately contains what OpsGraph's reports look for, each
// made by a legitimate sequence of actions where one exists:
//
//   - over-limit usage: usage reported above the limit;
//   - ACTIVE entitlements of a contract that is not ACTIVE: the contract
//     terminated early and its entitlements not revoked;
//   - expired but still ACTIVE: windows that ended since the expiry sweep
//     (weekly) last ran, three weeks before Now — or before the latest
//     window that ended, should a small dataset have none since; ACTIVE
//     contracts past their end date nobody closed;
//   - quantities beyond the contract: a contract item's quantity lowered
//     after fulfilment;
//   - fulfilled orders not invoiced: never marked invoiced;
//   - renewals without a date or an owner, renewal dates after the end;
//   - stale signals and usage reports; accounts without an owner or owned by
//     a CSM who has since been deactivated; duplicate names and domains;
//     long onboarding; breached, met-late and paused request SLAs;
//     rejected orders (by validation, with the errors it found, and after);
//   - from the legacy import only: entitlements without a contract (trials,
//     some past their window) and fulfilled orders without entitlements.
package seed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"entgo.io/ent/dialect"

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
	// BatchSize is the number of rows per INSERT of Bulk (default 1000). It
	// is lowered per table where needed to stay under the databases' bind
	// parameter limits. It does not change the data; Demo ignores it.
	BatchSize int
	// Logf, if set, receives progress messages.
	Logf func(format string, args ...any)
	// Dialect is the client's database dialect (entgo.io/ent/dialect). On
	// PostgreSQL, Bulk derives order_lines.entitlement_gap once, after the
	// last INSERT, instead of in the statement triggers of every INSERT
	// (whose cost grows with the tables: hours at 100,000 accounts).
	Dialect string
}

// Summary counts the rows a seed run created.
type Summary struct {
	Users, Accounts, Products, Contracts, ContractItems, Orders, OrderLines, OrderEvents,
	Entitlements, HealthSignals, HealthScores, Requests int
	// Actions is the number of business actions Demo ran (0 for Bulk).
	Actions int
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
	actions := ""
	if s.Actions > 0 {
		actions = fmt.Sprintf(" (%d actions)", s.Actions)
	}
	return fmt.Sprintf("%d rows in %s%s: %d users, %d accounts, %d products, %d contracts, %d contract items, "+
		"%d orders, %d order lines, %d order events, %d entitlements, %d health signals, %d health scores, %d requests",
		s.Rows(), s.Took.Round(time.Millisecond), actions, s.Users, s.Accounts, s.Products, s.Contracts, s.ContractItems,
		s.Orders, s.OrderLines, s.OrderEvents, s.Entitlements, s.HealthSignals, s.HealthScores, s.Requests)
}

// ErrNotEmpty is returned when seeding a database that already has users or
// accounts.
var ErrNotEmpty = errors.New("seed: database is not empty (it has users or accounts)")

// Demo seeds the demo dataset through the domain services: about 25 users,
// the product catalog and opts.Accounts accounts (200 by default) with
// their contracts, orders, entitlements, health and about 0.75 requests per
// account.
//
// It adds a hook to client that stamps the rows written under the seed's
// clock with the clock's time (the schema's timestamp defaults read the
// wall clock); writes made without the seed's context are not affected.
func Demo(ctx context.Context, client *ent.Client, opts Options) (sum Summary, err error) {
	start := time.Now()
	opts, logf, err := prepare(ctx, client, opts, demoProfile)
	if err != nil {
		return sum, err
	}
	ctx = viewer.System(ctx, SystemActor)
	g := newGenerator(opts.Seed, opts.Now, opts.Accounts, demoProfile)
	g.perChunk = opts.Accounts // one chunk: the replay runs every action in time order
	c := g.chunk()

	client.Use(timestampHook())
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
	r := newReplayer(ctx, g, c, client, tx)
	r.plan()
	logf("seed demo: %d users, %d products, %d accounts: %d actions to replay (seed %d, now %s)",
		len(g.users), len(catalog), len(c.accounts), len(r.steps), opts.Seed, g.now.Format(time.RFC3339))
	if err := r.run(logf); err != nil {
		return sum, err
	}
	if err := r.summarize(r.base, &sum); err != nil {
		return sum, err
	}
	if err := tx.Commit(); err != nil {
		return sum, fmt.Errorf("seed: committing: %w", err)
	}
	sum.Actions = r.calls
	sum.Took = time.Since(start)
	logf("seed demo: done, %s", sum)
	return sum, nil
}

// Bulk seeds benchmark-sized data (100,000 accounts by default): the demo's
// shapes with more contract items and signals per account, and one more CSM
// per 500 accounts, written with multi-row INSERTs (unaudited).
func Bulk(ctx context.Context, client *ent.Client, opts Options) (sum Summary, err error) {
	start := time.Now()
	opts, logf, err := prepare(ctx, client, opts, bulkProfile)
	if err != nil {
		return sum, err
	}
	// Bulk loads generated rows; it is no business action.
	ctx = audit.Disable(viewer.System(ctx, SystemActor))
	g := newGenerator(opts.Seed, opts.Now, opts.Accounts, bulkProfile)
	client.Use(timestampHook()) // for the writes Bulk leaves to ent (the health model, score pointers)
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
	ctx = ent.NewTxContext(ctx, tx)
	if opts.Dialect == dialect.Postgres {
		if err := deferGaps(ctx, tx); err != nil {
			return sum, err
		}
	}
	w := &writer{tx: tx, batch: opts.BatchSize, sum: &sum, g: g}
	if err := w.writeUsers(ctx, g.users); err != nil {
		return sum, err
	}
	if err := w.writeProducts(ctx); err != nil {
		return sum, err
	}
	if err := w.writeModel(ctx, client); err != nil {
		return sum, err
	}
	logf("seed bulk: %d users, %d products; generating %d accounts (seed %d, now %s)",
		sum.Users, sum.Products, opts.Accounts, opts.Seed, g.now.Format(time.RFC3339))
	for g.done < g.total {
		c := g.chunk()
		if err := w.writeChunk(ctx, c); err != nil {
			return sum, err
		}
		if g.total > chunkAccounts {
			logf("seed bulk: %d/%d accounts, %d rows, %s", g.done, g.total, sum.Rows(), time.Since(start).Round(time.Second))
		}
		if opts.Dialect == dialect.Postgres && g.done < g.total {
			// The triggers that keep the report tables plan their
			// statements from the tables' statistics, which know nothing
			// of the rows this transaction wrote: without a fresh ANALYZE
			// they scan the growing tables and the load turns quadratic.
			if _, err := tx.ExecContext(ctx, "ANALYZE"); err != nil {
				return sum, fmt.Errorf("seed: ANALYZE: %w", err)
			}
		}
	}
	if opts.Dialect == dialect.Postgres {
		if err := deriveGaps(ctx, tx); err != nil {
			return sum, err
		}
	}
	if err := tx.Commit(); err != nil {
		return sum, fmt.Errorf("seed: committing: %w", err)
	}
	sum.Took = time.Since(start)
	logf("seed bulk: done, %s", sum)
	return sum, nil
}

// gapTriggers are the PostgreSQL statement triggers (table, trigger) that
// keep order_lines.entitlement_gap current on INSERT (migration
// report_rules).
var gapTriggers = [][2]string{
	{"order_lines", "order_lines_gaps_insert"},
	{"entitlements", "entitlements_gaps_insert"},
}

// switchGapTriggers runs ALTER TABLE … <state> TRIGGER (ENABLE or DISABLE)
// on the gapTriggers inside tx (ALTER TABLE is transactional in
// PostgreSQL: a failed seed leaves them on).
func switchGapTriggers(ctx context.Context, tx *ent.Tx, state string) error {
	for _, t := range gapTriggers {
		q := fmt.Sprintf(`ALTER TABLE %q %s TRIGGER %q`, t[0], state, t[1])
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("seed: %s: %w", q, err)
		}
	}
	return nil
}

// deferGaps switches the INSERT gap triggers off inside tx.
func deferGaps(ctx context.Context, tx *ent.Tx) error {
	return switchGapTriggers(ctx, tx, "DISABLE")
}

// deriveGaps computes every line's entitlement_gap with the triggers' own
// function, over every (account, product) pair that has order lines, and
// switches the triggers back on. The tables are analysed first: the
// planner has no statistics for rows written in this transaction.
func deriveGaps(ctx context.Context, tx *ent.Tx) error {
	for _, q := range []string{
		`ANALYZE "orders", "order_lines", "entitlements"`,
		`SELECT opsgraph_refresh_entitlement_gaps(array_agg(pair.account_id), array_agg(pair.product_id))
		   FROM (SELECT DISTINCT o.account_id, l.product_id FROM "order_lines" l JOIN "orders" o ON o.id = l.order_id) pair`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("seed: deriving order_lines.entitlement_gap: %w", err)
		}
	}
	return switchGapTriggers(ctx, tx, "ENABLE")
}

// prepare checks and completes the options and that the database is empty.
func prepare(ctx context.Context, client *ent.Client, opts Options, prof profile) (Options, func(string, ...any), error) {
	if opts.Accounts < 0 {
		return opts, nil, fmt.Errorf("seed: Accounts must not be negative (got %d)", opts.Accounts)
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
	empty, err := IsEmpty(ctx, client)
	if err != nil {
		return opts, nil, err
	}
	if !empty {
		return opts, nil, ErrNotEmpty
	}
	return opts, logf, nil
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
