package audit_test

import (
	"context"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/auditevent"
	"github.com/opsgraph/opsgraph/ent/product"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/audit"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

func changes(evs []*ent.AuditEvent) map[string][2]string {
	out := map[string][2]string{}
	for _, c := range evs[len(evs)-1].Changes {
		out[c.Field] = [2]string{str(c.Before), str(c.After)}
	}
	return out
}

func str(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

func TestHookRecordsEveryWrite(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	c := db.Client
	ctx := viewer.NewContext(context.Background(), &viewer.Viewer{Subject: "ops@example.com", Roles: []string{"ADMIN"}})
	events := func(id int) []*ent.AuditEvent {
		return c.AuditEvent.Query().Where(auditevent.EntityID(id)).Order(ent.Asc(auditevent.FieldID)).AllX(ctx)
	}

	p := c.Product.Create().SetSku("A").SetName("Alpha").SetFeatureKey("a").SetEntitlementKind(schematype.EntitlementKindBoolean).SaveX(ctx)
	evs := events(p.ID)
	if len(evs) != 1 || evs[0].Action != audit.ActionCreate || evs[0].Actor != "ops@example.com" || evs[0].EntityType != "Product" {
		t.Fatalf("create: %+v", evs)
	}
	if got := changes(evs)["sku"]; got != [2]string{"-", `"A"`} {
		t.Errorf("create sku change = %v", got)
	}

	// A named business action, before and after values.
	c.Product.UpdateOneID(p.ID).SetName("Alpha 2").ExecX(audit.WithAction(ctx, "productRename"))
	evs = events(p.ID)
	if len(evs) != 2 || evs[1].Action != "productRename" {
		t.Fatalf("update: %+v", evs)
	}
	if got := changes(evs); len(got) != 1 || got["name"] != [2]string{`"Alpha"`, `"Alpha 2"`} {
		t.Errorf("update changes = %v (updated_at must not count)", got)
	}

	// Setting a field to its current value records nothing.
	c.Product.UpdateOneID(p.ID).SetName("Alpha 2").ExecX(ctx)
	if n := len(events(p.ID)); n != 2 {
		t.Errorf("no-op update recorded (%d events)", n)
	}

	// Bulk updates record one event per row, with the new values.
	q := c.Product.Create().SetSku("B").SetName("Beta").SetFeatureKey("b").SetEntitlementKind(schematype.EntitlementKindBoolean).SaveX(ctx)
	c.Product.Update().Where(product.IDIn(p.ID, q.ID)).SetActive(false).ExecX(ctx)
	for _, id := range []int{p.ID, q.ID} {
		evs := events(id)
		if got := changes(evs)["active"]; got[1] != "false" {
			t.Errorf("bulk update of %d: %v", id, changes(evs))
		}
	}

	// Inside a rolled-back transaction, write and event vanish together.
	tx, err := c.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.Product.UpdateOneID(p.ID).SetName("Gamma").ExecX(ctx)
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := len(events(p.ID)); n != 3 {
		t.Errorf("rolled-back write left an event (%d events)", n)
	}

	// Deletes are recorded; bulk seed loads are not.
	// (No mutation deletes products, so only the system may.)
	c.Product.DeleteOneID(q.ID).ExecX(viewer.System(ctx, "ops@example.com"))
	if evs := events(q.ID); evs[len(evs)-1].Action != audit.ActionDelete {
		t.Errorf("delete not recorded: %+v", evs)
	}
	r := c.Product.Create().SetSku("C").SetName("C").SetFeatureKey("c").SetEntitlementKind(schematype.EntitlementKindBoolean).SaveX(audit.Disable(ctx))
	if n := len(events(r.ID)); n != 0 {
		t.Errorf("audit.Disable still recorded %d events", n)
	}
}
