package masterdata

import (
	"context"
	"slices"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/internal/policy"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/usererr"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

func TestFormatChecks(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
		fn   func() bool
	}{
		{"domain plain", true, func() bool { return validDomain("example.com") }},
		{"domain subdomain", true, func() bool { return validDomain("eu.shop.example.co.uk") }},
		{"domain url", false, func() bool { return validDomain("https://example.com") }},
		{"domain no dot", false, func() bool { return validDomain("localhost") }},
		{"domain email", false, func() bool { return validDomain("a@example.com") }},
		{"domain trailing dot", false, func() bool { return validDomain("example.com.") }},
		{"currency USD", true, func() bool { return currencyOK("USD") }},
		{"currency lower", false, func() bool { return currencyOK("usd") }},
		{"currency long", false, func() bool { return currencyOK("USDT") }},
	} {
		if got := tc.fn(); got != tc.ok {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.ok)
		}
	}
	for in, want := range map[string]string{"external_crm_id": "externalCrmID", "name": "name", "billing_contact_email": "billingContactEmail", "owner_id": "ownerID"} {
		if got := policy.FieldName(in); got != want {
			t.Errorf("FieldName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEmailCheck(t *testing.T) {
	for addr, ok := range map[string]bool{
		"a@example.com":              true,
		"first.last@sub.example.org": true,
		"no-at-sign":                 false,
		"a@b":                        false,
		"Name <a@example.com>":       false,
		"a b@example.com":            false,
	} {
		var c check
		c.email(&addr, "email")
		if c.errs.Empty() != ok {
			t.Errorf("%q: errors %v, want ok=%v", addr, c.errs, ok)
		}
	}
}

// Cycles are found however deep the hierarchy is.
func TestWouldCycle(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	ctx := viewer.System(context.Background(), "test")
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	svc := New(db.Client, func() time.Time { return clock })
	var chain []*ent.Account
	for i := range 6 {
		in := ent.CreateAccountInput{Name: "A", Segment: account.SegmentSMB, Region: "NA"}
		if i > 0 {
			in.ParentID = &chain[i-1].ID
		}
		a, errs, err := svc.CreateAccount(ctx, in, nil)
		if err != nil || !errs.Empty() {
			t.Fatal(errs, err)
		}
		chain = append(chain, a)
	}
	for _, tc := range []struct {
		self, parent int
		cycle        bool
	}{
		{0, 5, true}, {0, 0, true}, {2, 4, true}, {5, 0, false}, {3, 1, false},
	} {
		got, err := wouldCycle(ctx, db.Client, chain[tc.self].ID, chain[tc.parent].ID)
		if err != nil || got != tc.cycle {
			t.Errorf("self %d under %d: cycle=%v (%v), want %v", tc.self, tc.parent, got, err, tc.cycle)
		}
	}
	// Through the action: refused with HIERARCHY_CYCLE, nothing changed.
	_, errs, err := svc.UpdateAccount(ctx, chain[0].ID, ent.UpdateAccountInput{ParentID: &chain[5].ID})
	if err != nil || !errs.Has(usererr.HierarchyCycle) {
		t.Fatalf("update: %v %v", errs, err)
	}
	if a := db.Client.Account.GetX(ctx, chain[0].ID); a.ParentID != 0 {
		t.Fatalf("root got parent %d", a.ParentID)
	}
	// A lifecycle change stamps the time; an unrelated update does not.
	clock = clock.Add(48 * time.Hour)
	industry := "Retail"
	a, _, err := svc.UpdateAccount(ctx, chain[1].ID, ent.UpdateAccountInput{Industry: &industry})
	if err != nil || !a.LifecycleStageChangedAt.Equal(clock.Add(-48*time.Hour)) {
		t.Fatalf("unrelated update moved the stage time: %v %v", a, err)
	}
	stage := account.LifecycleStageGROWTH
	a, _, err = svc.UpdateAccount(ctx, chain[1].ID, ent.UpdateAccountInput{LifecycleStage: &stage})
	if err != nil || !a.LifecycleStageChangedAt.Equal(clock) {
		t.Fatalf("stage change: %v %v", a, err)
	}
}

// appendTiers and appendRoles add to what is stored (or to the update's own
// list); a tier already offered is refused, a role already held is kept once.
func TestAppendFields(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	ctx := viewer.System(context.Background(), "test")
	svc := New(db.Client, time.Now)
	p, errs, err := svc.CreateProduct(ctx, ent.CreateProductInput{Sku: "APP-1", Name: "App", FeatureKey: "app", EntitlementKind: "QUANTITY", Tiers: []string{"STANDARD"}}, nil)
	if err != nil || !errs.Empty() {
		t.Fatal(errs, err)
	}
	for _, tc := range []struct {
		in   ent.UpdateProductInput
		want []string
		code usererr.Code
	}{
		{ent.UpdateProductInput{AppendTiers: []string{"PREMIUM"}}, []string{"STANDARD", "PREMIUM"}, ""},
		{ent.UpdateProductInput{AppendTiers: []string{"PREMIUM"}}, []string{"STANDARD", "PREMIUM"}, usererr.InvalidValue},
		{ent.UpdateProductInput{Tiers: []string{"BASIC"}, AppendTiers: []string{"PRO"}}, []string{"BASIC", "PRO"}, ""},
	} {
		_, errs, err := svc.UpdateProduct(ctx, p.ID, tc.in)
		if err != nil || (tc.code == "") != errs.Empty() || (tc.code != "" && !errs.Has(tc.code)) {
			t.Fatalf("%+v: %v %v", tc.in, errs, err)
		}
		if got := db.Client.Product.GetX(ctx, p.ID).Tiers; !slices.Equal(got, tc.want) {
			t.Fatalf("%+v: tiers %v, want %v", tc.in, got, tc.want)
		}
	}
	u, errs, err := svc.CreateUser(ctx, ent.CreateUserInput{Email: "append@opsgraph.example", Name: "A", Roles: []string{viewer.RoleCSM}}, nil)
	if err != nil || !errs.Empty() {
		t.Fatal(errs, err)
	}
	if _, errs, err := svc.UpdateUser(ctx, u.ID, ent.UpdateUserInput{AppendRoles: []string{viewer.RoleSales, viewer.RoleCSM}}); err != nil || !errs.Empty() {
		t.Fatal(errs, err)
	}
	if got := db.Client.User.GetX(ctx, u.ID).Roles; !slices.Equal(got, []string{viewer.RoleCSM, viewer.RoleSales}) {
		t.Fatalf("roles %v", got)
	}
}
