package entitlements

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/auditevent"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/usererr"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// fixture makes one metered entitlement (limit 100) and one flag.
func fixture(t *testing.T, db *store.DB) (metered, flag *ent.Entitlement) {
	t.Helper()
	sys := viewer.System(context.Background(), "test")
	c := db.Client
	acc := c.Account.Create().SetName("A").SetSegment("SMB").SetRegion(schematype.RegionNA).SaveX(sys)
	api := c.Product.Create().SetSku("API").SetName("API").SetFeatureKey("api").SetEntitlementKind(schematype.EntitlementKindMetered).SaveX(sys)
	sso := c.Product.Create().SetSku("SSO").SetName("SSO").SetFeatureKey("sso").SetEntitlementKind(schematype.EntitlementKindBoolean).SaveX(sys)
	metered = c.Entitlement.Create().SetAccount(acc).SetProduct(api).SetKind(schematype.EntitlementKindMetered).SetLimit(100).SetActiveFrom(t0.Add(-24 * time.Hour)).SetActiveTo(t0.Add(48 * time.Hour)).SaveX(sys)
	flag = c.Entitlement.Create().SetAccount(acc).SetProduct(sso).SetKind(schematype.EntitlementKindBoolean).SetActiveFrom(t0).SaveX(sys)
	return metered, flag
}

func ops() context.Context {
	return viewer.NewContext(context.Background(), &viewer.Viewer{Subject: "lead@example.com", Roles: []string{viewer.RoleOpsManager}})
}

func TestReportUsage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e, flag := fixture(t, db)
		s := New(db.Client, func() time.Time { return t0 })
		ctx := ops()
		for _, tc := range []struct {
			name    string
			id      int
			usage   int64
			at      time.Time
			applied bool
			want    int64 // usage stored afterwards
			code    usererr.Code
		}{
			{"first report", e.ID, 40, t0.Add(-time.Hour), true, 40, ""},
			{"same report again", e.ID, 40, t0.Add(-time.Hour), true, 40, ""},
			{"newer report", e.ID, 120, t0.Add(-time.Minute), true, 120, ""},
			{"older report ignored", e.ID, 10, t0.Add(-2 * time.Hour), false, 120, ""},
			{"negative", e.ID, -1, t0, false, 120, usererr.NegativeValue},
			{"future", e.ID, 5, t0.Add(time.Hour), false, 120, usererr.InvalidValue},
			{"flag has no usage", flag.ID, 5, t0, false, 120, usererr.InvalidValue},
			{"not an entitlement", flag.AccountID, 5, t0, false, 120, usererr.WrongType},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, applied, errs, err := s.ReportUsage(ctx, tc.id, tc.usage, tc.at)
				if err != nil {
					t.Fatal(err)
				}
				if tc.code != "" && !errs.Has(tc.code) || tc.code == "" && !errs.Empty() {
					t.Fatalf("userErrors %v, want %q", errs, tc.code)
				}
				if applied != tc.applied {
					t.Errorf("applied = %v", applied)
				}
				if got := db.Client.Entitlement.GetX(ctx, e.ID).Usage; got != tc.want {
					t.Errorf("usage = %d, want %d", got, tc.want)
				}
			})
		}
		n := db.Client.AuditEvent.Query().Where(auditevent.Action("entitlementReportUsage"), auditevent.EntityID(e.ID)).CountX(viewer.System(context.Background(), "t"))
		if n != 2 {
			t.Errorf("%d audit events for two applied changes", n)
		}
	})
}

// Concurrent reports from several pipelines: the latest observation wins
// whatever order they commit in.
func TestConcurrentReportsKeepTheLatest(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e, _ := fixture(t, db)
		s := New(db.Client, func() time.Time { return t0 })
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, errs, err := s.ReportUsage(ops(), e.ID, int64(i), t0.Add(-time.Duration(16-i)*time.Minute)); err != nil || !errs.Empty() {
					t.Errorf("report %d: %v %v", i, errs, err)
				}
			}()
		}
		wg.Wait()
		got := db.Client.Entitlement.GetX(ops(), e.ID)
		if got.Usage != 15 || !got.UsageUpdatedAt.Equal(t0.Add(-time.Minute)) {
			t.Fatalf("usage %d at %v, want 15 at %v", got.Usage, got.UsageUpdatedAt, t0.Add(-time.Minute))
		}
	})
}

func TestOverrideAndStatusActions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e, flag := fixture(t, db)
		clock := t0
		s := New(db.Client, func() time.Time { return clock })
		ctx := ops()

		if _, errs, _ := s.Override(ctx, e.ID, -1, " ", t0.Add(-time.Hour)); !errs.Has(usererr.NegativeValue) || !errs.Has(usererr.Required) || !errs.Has(usererr.InvalidValue) {
			t.Fatalf("bad override: %v", errs)
		}
		if _, errs, _ := s.Override(ctx, flag.ID, 5, "x", t0.Add(time.Hour)); !errs.Has(usererr.InvalidValue) {
			t.Fatalf("flag override: %v", errs)
		}
		got, errs, err := s.Override(ctx, e.ID, 250, "Q4 launch burst", t0.Add(24*time.Hour))
		if err != nil || !errs.Empty() {
			t.Fatal(errs, err)
		}
		if d := Derive(got, clock); d.EffectiveLimit == nil || *d.EffectiveLimit != 250 || !d.OverrideActive {
			t.Fatalf("override not in force: %+v", d)
		}

		step := func(name string, fn func(context.Context, int) (*ent.Entitlement, usererr.List, error), want entitlement.Status, code usererr.Code) {
			t.Helper()
			got, errs, err := fn(ctx, e.ID)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if code != "" {
				if !errs.Has(code) {
					t.Fatalf("%s: userErrors %v, want %s", name, errs, code)
				}
			} else if !errs.Empty() || got.Status != want {
				t.Fatalf("%s: %v %v, want %s", name, errs, got, want)
			}
			if st := db.Client.Entitlement.GetX(ctx, e.ID).Status; st != want {
				t.Fatalf("%s: stored %s, want %s", name, st, want)
			}
		}
		step("suspend", s.Suspend, entitlement.StatusSUSPENDED, "")
		step("suspend again (retry)", s.Suspend, entitlement.StatusSUSPENDED, "")
		step("resume", s.Resume, entitlement.StatusACTIVE, "")
		step("resume again (retry)", s.Resume, entitlement.StatusACTIVE, "")
		step("suspend", s.Suspend, entitlement.StatusSUSPENDED, "")
		clock = t0.Add(72 * time.Hour) // the active window has ended
		step("resume after the window", s.Resume, entitlement.StatusSUSPENDED, usererr.InvalidTransition)
		step("revoke", s.Revoke, entitlement.StatusREVOKED, "")
		step("revoke again (retry)", s.Revoke, entitlement.StatusREVOKED, "")
		step("resume a revoked one", s.Resume, entitlement.StatusREVOKED, usererr.InvalidTransition)
		step("suspend a revoked one", s.Suspend, entitlement.StatusREVOKED, usererr.InvalidTransition)
	})
}
