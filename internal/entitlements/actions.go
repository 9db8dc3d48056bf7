package entitlements

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/audit"
	"github.com/opsgraph/opsgraph/internal/txn"
	"github.com/opsgraph/opsgraph/internal/usererr"
)

// MaxClockSkew is how far in the future a usage report may claim to be.
const MaxClockSkew = 5 * time.Minute

// Service runs the entitlement actions. Each runs in one transaction, is
// audited under its name, and is safe to retry.
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

func field(name string) []string { return []string{"input", name} }

func saved(e *ent.Entitlement, err error) (*ent.Entitlement, usererr.List, error) { return e, nil, err }

// load reads the entitlement an action names, locked for update on
// PostgreSQL so concurrent actions on it apply one after the other.
func load(ctx context.Context, tx *ent.Client, id int) (*ent.Entitlement, usererr.List, error) {
	return txn.Lock(ctx, id, entitlement.Table, "entitlementID", func(ctx context.Context) (*ent.Entitlement, error) {
		return tx.Entitlement.Query().Where(entitlement.ID(id)).Modify(txn.ForUpdate).Only(ctx)
	})
}

func (s *Service) run(ctx context.Context, action string, id int, fn func(ctx context.Context, tx *ent.Client, e *ent.Entitlement) (*ent.Entitlement, usererr.List, error)) (*ent.Entitlement, usererr.List, error) {
	return txn.Run(audit.WithAction(ctx, action), s.client, func(ctx context.Context, tx *ent.Client) (*ent.Entitlement, usererr.List, error) {
		e, errs, err := load(ctx, tx, id)
		if err != nil || !errs.Empty() {
			return nil, errs, err
		}
		return fn(ctx, tx, e)
	})
}

// ReportUsage records absolute usage observed at a time. A report older than
// the latest one applied is ignored (applied false): pipelines may deliver
// late or twice.
func (s *Service) ReportUsage(ctx context.Context, id int, usage int64, observedAt time.Time) (e *ent.Entitlement, applied bool, errs usererr.List, err error) {
	e, errs, err = s.run(ctx, "entitlementReportUsage", id, func(ctx context.Context, tx *ent.Client, e *ent.Entitlement) (*ent.Entitlement, usererr.List, error) {
		var l usererr.List
		if usage < 0 {
			l.Add(usererr.NegativeValue, "usage must not be negative", field("usage")...)
		}
		if observedAt.After(s.now().Add(MaxClockSkew)) {
			l.Add(usererr.InvalidValue, "observedAt lies in the future", field("observedAt")...)
		}
		if e.Kind == schematype.EntitlementKindBoolean {
			l.Add(usererr.InvalidValue, "a feature-flag entitlement has no usage", field("entitlementID")...)
		}
		if !l.Empty() {
			return nil, l, nil
		}
		if e.UsageUpdatedAt != nil && observedAt.Before(*e.UsageUpdatedAt) {
			return e, nil, nil // older than what we have: ignored
		}
		if e.UsageUpdatedAt != nil && observedAt.Equal(*e.UsageUpdatedAt) && e.Usage == usage {
			applied = true // the same report again
			return e, nil, nil
		}
		applied = true
		return saved(tx.Entitlement.UpdateOneID(e.ID).SetUsage(usage).SetUsageUpdatedAt(observedAt).Save(ctx))
	})
	if !errs.Empty() || err != nil {
		applied = false
	}
	return e, applied, errs, err
}

// Override sets a temporary limit with a reason until expiresAt.
func (s *Service) Override(ctx context.Context, id int, limit int64, reason string, expiresAt time.Time) (*ent.Entitlement, usererr.List, error) {
	return s.run(ctx, "entitlementOverride", id, func(ctx context.Context, tx *ent.Client, e *ent.Entitlement) (*ent.Entitlement, usererr.List, error) {
		var l usererr.List
		if limit < 0 {
			l.Add(usererr.NegativeValue, "limit must not be negative", field("limit")...)
		}
		reason = strings.TrimSpace(reason)
		switch {
		case reason == "":
			l.Add(usererr.Required, "reason is required", field("reason")...)
		case len([]rune(reason)) > 500:
			l.Add(usererr.TooLong, "reason must be at most 500 characters", field("reason")...)
		}
		if !expiresAt.After(s.now()) {
			l.Add(usererr.InvalidValue, "expiresAt must lie in the future", field("expiresAt")...)
		}
		if e.Kind == schematype.EntitlementKindBoolean {
			l.Add(usererr.InvalidValue, "a feature-flag entitlement has no limit to override", field("entitlementID")...)
		}
		if st := Derive(e, s.now()).Status; st != entitlement.StatusACTIVE && st != entitlement.StatusSUSPENDED {
			l.Add(usererr.InvalidTransition, fmt.Sprintf("cannot override an entitlement that is %s", st), field("entitlementID")...)
		}
		if !l.Empty() {
			return nil, l, nil
		}
		return saved(tx.Entitlement.UpdateOneID(e.ID).SetOverrideLimit(limit).SetOverrideReason(reason).SetOverrideExpiresAt(expiresAt).Save(ctx))
	})
}

// transition moves an entitlement to status to from one of the states in
// from; already being in to is a no-op success (safe to retry).
func (s *Service) transition(ctx context.Context, action string, id int, to entitlement.Status, from ...entitlement.Status) (*ent.Entitlement, usererr.List, error) {
	return s.run(ctx, action, id, func(ctx context.Context, tx *ent.Client, e *ent.Entitlement) (*ent.Entitlement, usererr.List, error) {
		if e.Status == to {
			return e, nil, nil
		}
		current := Derive(e, s.now()).Status
		if to == entitlement.StatusACTIVE && e.ActiveTo != nil && !e.ActiveTo.After(s.now()) {
			var l usererr.List
			l.Add(usererr.InvalidTransition, fmt.Sprintf("cannot resume an entitlement that is %s: its active window has ended", current), field("entitlementID")...)
			return nil, l, nil
		}
		if !slices.Contains(from, current) {
			var l usererr.List
			l.Add(usererr.InvalidTransition, fmt.Sprintf("cannot %s an entitlement that is %s", strings.TrimPrefix(action, "entitlement"), current), field("entitlementID")...)
			return nil, l, nil
		}
		return saved(tx.Entitlement.UpdateOneID(e.ID).SetStatus(to).Save(ctx))
	})
}

// Suspend suspends an ACTIVE entitlement.
func (s *Service) Suspend(ctx context.Context, id int) (*ent.Entitlement, usererr.List, error) {
	return s.transition(ctx, "entitlementSuspend", id, entitlement.StatusSUSPENDED, entitlement.StatusACTIVE)
}

// Resume reactivates a SUSPENDED entitlement whose window has not ended.
func (s *Service) Resume(ctx context.Context, id int) (*ent.Entitlement, usererr.List, error) {
	return s.transition(ctx, "entitlementResume", id, entitlement.StatusACTIVE, entitlement.StatusSUSPENDED)
}

// Revoke ends an entitlement for good.
func (s *Service) Revoke(ctx context.Context, id int) (*ent.Entitlement, usererr.List, error) {
	return s.transition(ctx, "entitlementRevoke", id, entitlement.StatusREVOKED,
		entitlement.StatusACTIVE, entitlement.StatusSUSPENDED, entitlement.StatusEXPIRED)
}
