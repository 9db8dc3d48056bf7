package entitlements

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/internal/audit"
	"github.com/opsgraph/opsgraph/internal/leader"
	"github.com/opsgraph/opsgraph/internal/txn"
	"github.com/opsgraph/opsgraph/internal/usererr"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// SweepLockKey is the PostgreSQL advisory-lock key a sweep holds for its
// transaction, so sweeps running at the same moment (`opsgraph sweep` and a
// server) do the work once. It only keeps sweeps from overlapping: a sweep
// starting after another ended runs again. Serve's periodic sweep is
// therefore a leader job (RunSweeps), which runs once per interval.
const SweepLockKey int64 = 0x6f70735f7377 // "ops_sw"

// Sweeper runs the expiry sweep.
type Sweeper struct {
	svc     *Service
	dialect string
}

// NewSweeper returns the sweeper of the database client (of dialect).
func NewSweeper(client *ent.Client, dia string, now func() time.Time) *Sweeper {
	return &Sweeper{svc: New(client, now), dialect: dia}
}

// SweepResult counts what a sweep changed.
type SweepResult struct {
	// Expired entitlements: ACTIVE with an active window that has ended.
	Expired int
	// OverridesCleared: overrides whose expiry has passed.
	OverridesCleared int
	// Skipped is true when another instance was sweeping.
	Skipped bool
}

// Sweep stores what time has already decided (reads compute it anyway, see
// Derive): entitlements past their active window become EXPIRED and expired
// overrides are cleared. It runs as the system, audited as
// "entitlementSweep", in one transaction; on PostgreSQL only one instance
// sweeps at a time (the others skip).
func (s *Sweeper) Sweep(ctx context.Context) (SweepResult, error) {
	ctx = audit.WithAction(viewer.System(ctx, "system:sweep"), "entitlementSweep")
	res, _, err := txn.Run(ctx, s.svc.client, func(ctx context.Context, tx *ent.Client) (SweepResult, usererr.List, error) {
		var r SweepResult
		locked, err := s.tryLock(ctx, tx)
		if err != nil {
			return r, nil, err
		}
		if !locked {
			r.Skipped = true
			return r, nil, nil
		}
		now := s.svc.now()
		// One row at a time through UpdateOneID, so each change is audited
		// with its before and after values.
		expired, err := tx.Entitlement.Query().
			Where(entitlement.StatusEQ(entitlement.StatusACTIVE), entitlement.ActiveToLTE(now)).
			IDs(ctx)
		if err != nil {
			return r, nil, fmt.Errorf("finding expired entitlements: %w", err)
		}
		for _, id := range expired {
			if err := tx.Entitlement.UpdateOneID(id).SetStatus(entitlement.StatusEXPIRED).Exec(ctx); err != nil {
				return r, nil, fmt.Errorf("expiring entitlement %d: %w", id, err)
			}
		}
		r.Expired = len(expired)
		overrides, err := tx.Entitlement.Query().
			Where(entitlement.OverrideLimitNotNil(), entitlement.OverrideExpiresAtLTE(now)).
			IDs(ctx)
		if err != nil {
			return r, nil, fmt.Errorf("finding expired overrides: %w", err)
		}
		for _, id := range overrides {
			if err := tx.Entitlement.UpdateOneID(id).ClearOverrideLimit().ClearOverrideExpiresAt().Exec(ctx); err != nil {
				return r, nil, fmt.Errorf("clearing override of entitlement %d: %w", id, err)
			}
		}
		r.OverridesCleared = len(overrides)
		return r, nil, nil
	})
	return res, err
}

// tryLock takes the sweep's transaction-scoped advisory lock on PostgreSQL;
// SQLite admits one writing transaction at a time anyway.
func (s *Sweeper) tryLock(ctx context.Context, tx *ent.Client) (bool, error) {
	if s.dialect != dialect.Postgres {
		return true, nil
	}
	rows, err := tx.QueryContext(ctx, "SELECT pg_try_advisory_xact_lock($1)", SweepLockKey)
	if err != nil {
		return false, fmt.Errorf("taking the sweep lock: %w", err)
	}
	defer rows.Close()
	var locked bool
	if rows.Next() {
		if err := rows.Scan(&locked); err != nil {
			return false, err
		}
	}
	return locked, rows.Err()
}

// SweepJob is the name of the sweep's background job (internal/leader).
const SweepJob = "entitlement-sweep"

// RunSweeps sweeps once per slot of job (internal/leader: of the instances
// sharing the database, one sweeps in each interval) until ctx ends,
// logging what changed.
func (s *Sweeper) RunSweeps(ctx context.Context, job *leader.Job, log *slog.Logger) {
	job.Run(ctx, log, func(ctx context.Context, _ int64) error {
		r, err := s.Sweep(ctx)
		if err == nil && (r.Expired > 0 || r.OverridesCleared > 0) {
			log.Info("entitlement sweep", "expired", r.Expired, "overrides_cleared", r.OverridesCleared)
		}
		return err
	})
}
