package entitlements

import (
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/entitlement"
)

func TestDerive(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	i64 := func(v int64) *int64 { return &v }
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	active := entitlement.StatusACTIVE
	for _, tc := range []struct {
		name             string
		e                ent.Entitlement
		limit, remaining *int64
		over, override   bool
		utilization      float64 // -1: nil
		status           entitlement.Status
	}{
		{"flag has no limit", ent.Entitlement{Status: active}, nil, nil, false, false, -1, active},
		{"under limit", ent.Entitlement{Status: active, Limit: i64(100), Usage: 40}, i64(100), i64(60), false, false, 0.4, active},
		{"exactly at limit is not over", ent.Entitlement{Status: active, Limit: i64(100), Usage: 100}, i64(100), i64(0), false, false, 1, active},
		{"over limit", ent.Entitlement{Status: active, Limit: i64(100), Usage: 130}, i64(100), i64(0), true, false, 1.3, active},
		{"unexpired override wins", ent.Entitlement{Status: active, Limit: i64(100), Usage: 130, OverrideLimit: i64(200), OverrideExpiresAt: at(time.Hour)}, i64(200), i64(70), false, true, 0.65, active},
		{"override without expiry", ent.Entitlement{Status: active, Limit: i64(100), Usage: 10, OverrideLimit: i64(50)}, i64(50), i64(40), false, true, 0.2, active},
		{"expired override ignored (expiry is exclusive)", ent.Entitlement{Status: active, Limit: i64(100), Usage: 130, OverrideLimit: i64(200), OverrideExpiresAt: at(0)}, i64(100), i64(0), true, false, 1.3, active},
		{"zero limit", ent.Entitlement{Status: active, Limit: i64(0), Usage: 3}, i64(0), i64(0), true, false, -1, active},
		{"active window ended reads EXPIRED", ent.Entitlement{Status: active, Limit: i64(10), ActiveTo: at(0)}, i64(10), i64(10), false, false, 0, entitlement.StatusEXPIRED},
		{"active window still open", ent.Entitlement{Status: active, Limit: i64(10), ActiveTo: at(time.Second)}, i64(10), i64(10), false, false, 0, active},
		{"suspended stays suspended", ent.Entitlement{Status: entitlement.StatusSUSPENDED, ActiveTo: at(-time.Hour)}, nil, nil, false, false, -1, entitlement.StatusSUSPENDED},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Derive(&tc.e, now)
			eq := func(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
			if !eq(d.EffectiveLimit, tc.limit) || !eq(d.Remaining, tc.remaining) || d.OverLimit != tc.over || d.OverrideActive != tc.override || d.Status != tc.status {
				t.Fatalf("got %+v", d)
			}
			switch {
			case tc.utilization < 0 && d.Utilization != nil:
				t.Errorf("utilization = %v, want nil", *d.Utilization)
			case tc.utilization >= 0 && (d.Utilization == nil || *d.Utilization != tc.utilization):
				t.Errorf("utilization = %v, want %v", d.Utilization, tc.utilization)
			}
		})
	}
}
