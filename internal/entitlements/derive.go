// Package entitlements holds what OpsGraph computes about an entitlement:
// its effective limit (an unexpired override wins), what remains, whether it
// is over its limit, its utilisation, and its status as of now — computed at
// read time, so an entitlement past its active window never reads ACTIVE,
// even before the expiry sweep has stored the change.
package entitlements

import (
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/entitlement"
)

// Derived are the computed fields of one entitlement at one instant.
type Derived struct {
	// EffectiveLimit is the override while it is unexpired, else the limit;
	// nil for feature flags (no limit).
	EffectiveLimit *int64
	// OverrideActive reports whether the override is in force.
	OverrideActive bool
	// Remaining is EffectiveLimit − usage, never below zero; nil without a limit.
	Remaining *int64
	// OverLimit reports usage strictly above the effective limit.
	OverLimit bool
	// Utilization is usage / EffectiveLimit (0–1, above 1 when over); nil
	// without a limit or with a zero limit.
	Utilization *float64
	// Status is the stored status, except that an ACTIVE entitlement whose
	// active window has ended (activeTo ≤ now) reads EXPIRED.
	Status entitlement.Status
}

// Derive computes e's derived fields at now.
func Derive(e *ent.Entitlement, now time.Time) Derived {
	d := Derived{Status: e.Status}
	if e.Status == entitlement.StatusACTIVE && e.ActiveTo != nil && !e.ActiveTo.After(now) {
		d.Status = entitlement.StatusEXPIRED
	}
	limit := e.Limit
	if e.OverrideLimit != nil && (e.OverrideExpiresAt == nil || e.OverrideExpiresAt.After(now)) {
		limit, d.OverrideActive = e.OverrideLimit, true
	}
	if limit == nil {
		return d
	}
	l := *limit
	d.EffectiveLimit = &l
	rem := max(l-e.Usage, 0)
	d.Remaining = &rem
	d.OverLimit = e.Usage > l
	if l > 0 {
		u := float64(e.Usage) / float64(l)
		d.Utilization = &u
	}
	return d
}
