package audit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/auditevent"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/audit"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// Under Batched, a bulk create of n rows writes the same n events with one
// INSERT; when the batched work fails, no event is written.
func TestBatchedWritesTheSameEventsInOneStatement(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		ctx := audit.WithAction(viewer.NewContext(context.Background(), &viewer.Viewer{Subject: "ops@example.com", Roles: []string{"ADMIN"}}), "productImport")
		products := func(prefix string, n int) []*ent.ProductCreate {
			bs := make([]*ent.ProductCreate, n)
			for i := range bs {
				sku := fmt.Sprintf("%s-%d", prefix, i)
				bs[i] = c.Product.Create().SetSku(sku).SetName(sku).SetFeatureKey(sku).SetEntitlementKind(schematype.EntitlementKindBoolean)
			}
			return bs
		}
		db.Counter.Reset()
		err := audit.Batched(ctx, func(ctx context.Context) error {
			return c.Product.CreateBulk(products("A", 300)...).Exec(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := db.Counter.Count(); n != 2 {
			t.Errorf("%d statements for a batched bulk create of 300, want 2 (rows, events)", n)
		}
		evs := c.AuditEvent.Query().Where(auditevent.Action("productImport")).AllX(ctx)
		if len(evs) != 300 || evs[0].Actor != "ops@example.com" || evs[0].EntityType != "Product" || len(evs[0].Changes) == 0 {
			t.Fatalf("%d events, first %+v", len(evs), evs[0])
		}

		boom := errors.New("boom")
		err = audit.Batched(ctx, func(ctx context.Context) error {
			c.Product.CreateBulk(products("B", 2)...).ExecX(ctx)
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		if n := c.AuditEvent.Query().CountX(ctx); n != 300 {
			t.Fatalf("%d events after failed batched work, want 300", n)
		}
	})
}
