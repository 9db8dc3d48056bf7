// Package orderstest builds the catalog and contract the order tests run
// against: one account under an ACTIVE contract for three products.
package orderstest

import (
	"context"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// Fixture is the catalog and contract of an order test.
type Fixture struct {
	Account, Other *ent.Account
	// Contract is ACTIVE for Account until End: Seats 100 (tiers STANDARD,
	// PREMIUM; item tier STANDARD), SSO (a flag) and API 1,000,000 (metered).
	Contract *ent.Contract
	// OtherContract belongs to Other.
	OtherContract *ent.Contract
	// Seats, SSO and API are on Contract; Retired is inactive and on it too;
	// Extra is active but on no contract.
	Seats, SSO, API, Retired, Extra *ent.Product
	End                             time.Time
}

// New makes the fixture; now is the tests' clock.
func New(t testing.TB, client *ent.Client, now time.Time) *Fixture {
	t.Helper()
	return Named(t, client, now, "")
}

// Named is New with every unique name (SKUs, contract numbers) prefixed, so
// one database can hold several fixtures.
func Named(t testing.TB, client *ent.Client, now time.Time, prefix string) *Fixture {
	t.Helper()
	sys := viewer.System(context.Background(), "fixture")
	f := &Fixture{End: now.AddDate(1, 0, 0).Truncate(24 * time.Hour)}
	f.Account = client.Account.Create().SetName("Acme").SetSegment("ENTERPRISE").SetRegion(schematype.RegionEMEA).SaveX(sys)
	f.Other = client.Account.Create().SetName("Other").SetSegment("SMB").SetRegion(schematype.RegionNA).SaveX(sys)
	prod := func(sku string, kind schematype.EntitlementKind, active bool, tiers ...string) *ent.Product {
		return client.Product.Create().SetSku(prefix + sku).SetName(sku).SetFeatureKey(prefix + sku).SetEntitlementKind(kind).
			SetActive(active).SetTiers(tiers).SaveX(sys)
	}
	f.Seats = prod("SEATS", schematype.EntitlementKindQuantity, true, "STANDARD", "PREMIUM")
	f.SSO = prod("SSO", schematype.EntitlementKindBoolean, true)
	f.API = prod("API", schematype.EntitlementKindMetered, true)
	f.Retired = prod("RETIRED", schematype.EntitlementKindQuantity, false)
	f.Extra = prod("EXTRA", schematype.EntitlementKindQuantity, true)
	contractFor := func(number string, acc *ent.Account) *ent.Contract {
		return client.Contract.Create().SetNumber(prefix + number).SetAccount(acc).SetStatus(contract.StatusACTIVE).
			SetStartDate(now.AddDate(0, -1, 0)).SetEndDate(f.End).SaveX(sys)
	}
	f.Contract = contractFor("C-1", f.Account)
	f.OtherContract = contractFor("C-2", f.Other)
	item := func(c *ent.Contract, p *ent.Product, qty int64, tier string) {
		client.ContractItem.Create().SetContract(c).SetProduct(p).SetQuantity(qty).SetTier(tier).SaveX(sys)
	}
	item(f.Contract, f.Seats, 100, "STANDARD")
	item(f.Contract, f.SSO, 1, "")
	item(f.Contract, f.API, 1_000_000, "")
	item(f.Contract, f.Retired, 10, "")
	item(f.OtherContract, f.Seats, 10, "STANDARD")
	return f
}
