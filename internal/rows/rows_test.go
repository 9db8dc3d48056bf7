package rows_test

import (
	"context"
	"errors"
	"testing"

	"github.com/opsgraph/opsgraph/ent/privacy"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/rows"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

func as(subject string, roles []string, scopes ...string) context.Context {
	return viewer.NewContext(context.Background(), &viewer.Viewer{Subject: subject, Roles: roles, Scopes: scopes})
}

// Writes are guarded in the ent layer whatever calls ent: a resolver, a
// domain function or a future endpoint.
func TestWritePolicy(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := db.Client
		sys := viewer.System(context.Background(), "test")
		csm := c.User.Create().SetEmail("csm@example.com").SetName("C").SetRoles([]string{"CSM"}).SaveX(sys)
		mine := c.Account.Create().SetName("Mine").SetSegment("SMB").SetRegion(schematype.RegionNA).SetOwner(csm).SaveX(sys)
		child := c.Account.Create().SetName("Child").SetSegment("SMB").SetRegion(schematype.RegionNA).SetParent(mine).SaveX(sys)
		theirs := c.Account.Create().SetName("Theirs").SetSegment("SMB").SetRegion(schematype.RegionNA).SaveX(sys)
		ev := c.AuditEvent.Query().FirstX(sys)

		csmCtx := as("csm@example.com", []string{viewer.RoleCSM})
		for _, tc := range []struct {
			name  string
			write func() error
			allow bool
		}{
			{"CSM updates own account", func() error { return c.Account.UpdateOneID(mine.ID).SetIndustry("x").Exec(csmCtx) }, true},
			{"CSM updates a descendant", func() error { return c.Account.UpdateOneID(child.ID).SetIndustry("x").Exec(csmCtx) }, true},
			{"CSM updates another account", func() error { return c.Account.UpdateOneID(theirs.ID).SetIndustry("x").Exec(csmCtx) }, false},
			{"CSM creates a product", func() error {
				return c.Product.Create().SetSku("S").SetName("S").SetFeatureKey("s").SetEntitlementKind("BOOLEAN").Exec(csmCtx)
			}, false},
			{"SUPPORT updates an account", func() error {
				return c.Account.UpdateOneID(mine.ID).SetIndustry("y").Exec(as("s@example.com", []string{viewer.RoleSupport}))
			}, false},
			{"SALES creates an account", func() error {
				return c.Account.Create().SetName("N").SetSegment("SMB").SetRegion(schematype.RegionNA).Exec(as("s@example.com", []string{viewer.RoleSales}))
			}, true},
			{"INTEGRATION with accounts:write", func() error {
				return c.Account.Create().SetName("N").SetSegment("SMB").SetRegion(schematype.RegionNA).Exec(as("svc", []string{viewer.RoleIntegration}, "accounts:write"))
			}, true},
			{"INTEGRATION with read only", func() error {
				return c.Account.Create().SetName("N").SetSegment("SMB").SetRegion(schematype.RegionNA).Exec(as("svc", []string{viewer.RoleIntegration}, "read"))
			}, false},
			{"ADMIN edits the audit trail", func() error {
				return c.AuditEvent.UpdateOneID(ev.ID).Exec(as("a@example.com", []string{viewer.RoleAdmin}))
			}, false},
			{"ADMIN deletes an audit event", func() error {
				return c.AuditEvent.DeleteOneID(ev.ID).Exec(as("a@example.com", []string{viewer.RoleAdmin}))
			}, false},
			{"ADMIN writes a health model version (no mutation makes it)", func() error {
				return c.HealthModel.Create().SetVersion(1).SetFingerprint("f").SetDefinition("{}").Exec(as("a@example.com", []string{viewer.RoleAdmin}))
			}, false},
			{"SUPPORT creates an order (no mutation open to it makes one)", func() error {
				return c.Order.Create().SetNumber("O-1").SetAccountID(mine.ID).Exec(as("s@example.com", []string{viewer.RoleSupport}))
			}, false},
			{"the system writes anything", func() error {
				return c.Order.Create().SetNumber("O-2").SetAccountID(mine.ID).Exec(sys)
			}, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := tc.write()
				switch {
				case tc.allow && err != nil:
					t.Fatalf("refused: %v", err)
				case !tc.allow && !errors.Is(err, privacy.Deny):
					t.Fatalf("got %v, want a privacy denial", err)
				}
			})
		}
		if got := c.Account.GetX(sys, theirs.ID); got.Industry != "" {
			t.Errorf("a denied update changed the row")
		}
	})
}

func TestBookOnly(t *testing.T) {
	for _, tc := range []struct {
		v    *viewer.Viewer
		want bool
	}{
		{nil, false},
		{&viewer.Viewer{Roles: []string{viewer.RoleCSM}}, true},
		{&viewer.Viewer{Roles: []string{viewer.RoleCSM, viewer.RoleOpsManager}}, false},
		{&viewer.Viewer{Roles: []string{viewer.RoleSales}}, false},
		{&viewer.Viewer{Roles: []string{viewer.RoleCSM}, System: true}, false},
	} {
		if got := rows.BookOnly(tc.v); got != tc.want {
			t.Errorf("BookOnly(%+v) = %v", tc.v, got)
		}
	}
}
