package entitlements

import (
	"context"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/ent/auditevent"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

func TestSweepStoresExpiries(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e, _ := fixture(t, db)
		sys := viewer.System(context.Background(), "test")
		db.Client.Entitlement.UpdateOneID(e.ID).SetOverrideLimit(500).SetOverrideReason("x").SetOverrideExpiresAt(t0.Add(time.Hour)).ExecX(sys)
		sw := NewSweeper(db.Client, db.Dialect, func() time.Time { return t0.Add(72 * time.Hour) })
		r, err := sw.Sweep(context.Background())
		if err != nil || r.Expired != 1 || r.OverridesCleared != 1 || r.Skipped {
			t.Fatalf("sweep: %+v %v", r, err)
		}
		got := db.Client.Entitlement.GetX(sys, e.ID)
		if got.Status != entitlement.StatusEXPIRED || got.OverrideLimit != nil || got.OverrideExpiresAt != nil {
			t.Fatalf("after the sweep: %+v", got)
		}
		evs := db.Client.AuditEvent.Query().Where(auditevent.Action("entitlementSweep"), auditevent.EntityID(e.ID)).AllX(sys)
		if len(evs) != 2 || evs[0].Actor != "system:sweep" {
			t.Fatalf("audit: %d events (%+v)", len(evs), evs)
		}
		if r, err := sw.Sweep(context.Background()); err != nil || r.Expired != 0 || r.OverridesCleared != 0 {
			t.Fatalf("second sweep: %+v %v", r, err)
		}
	})
}

// Instances sweeping at once on PostgreSQL do the work once.
func TestConcurrentSweepsOnPostgres(t *testing.T) {
	db := testdb.Open(t, dialect.Postgres)
	e, _ := fixture(t, db)
	sys := viewer.System(context.Background(), "test")
	for range 20 {
		db.Client.Entitlement.Create().SetAccountID(e.AccountID).SetProductID(e.ProductID).SetKind(schematype.EntitlementKindMetered).
			SetLimit(1).SetActiveFrom(t0.Add(-48 * time.Hour)).SetActiveTo(t0.Add(-time.Hour)).ExecX(sys)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := NewSweeper(db.Client, db.Dialect, func() time.Time { return t0 }).Sweep(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			total += r.Expired
			mu.Unlock()
		}()
	}
	wg.Wait()
	if total != 20 {
		t.Fatalf("sweeps expired %d entitlements in all, want 20", total)
	}
	if n := db.Client.AuditEvent.Query().Where(auditevent.Action("entitlementSweep")).CountX(sys); n != 20 {
		t.Fatalf("%d sweep audit events, want 20", n)
	}
}
