package seed

import (
	"fmt"
	"strings"
	"time"

	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// EmailDomain is the domain of every seeded user's email address.
const EmailDomain = "opsgraph.example"

// Well-known users that documentation and examples refer to. Their roles are
// fixed; see users.
const (
	AdminEmail    = "admin@" + EmailDomain   // ADMIN
	LeadEmail     = "lead@" + EmailDomain    // OPS_MANAGER
	AnalystEmail  = "analyst@" + EmailDomain // OPS_ANALYST
	SalesEmail    = "sales@" + EmailDomain   // SALES
	FinanceEmail  = "finance@" + EmailDomain // FINANCE
	SupportEmail  = "support@" + EmailDomain // SUPPORT
	AuditorEmail  = "auditor@" + EmailDomain // VIEWER
	minCSMs       = 6                        // csm1 .. csm6 always exist
	accountsPerCS = 500                      // beyond that, one more CSM per 500 accounts
)

// CSMEmail returns the email of the n-th CSM (1-based): csm1@opsgraph.example …
func CSMEmail(n int) string { return fmt.Sprintf("csm%d@%s", n, EmailDomain) }

// userRow is a user to create.
type userRow struct {
	email, name, team string
	roles             []string
	region            schematype.Region
	inactive          bool
	created           time.Time
}

func (u *userRow) has(role string) bool {
	for _, r := range u.roles {
		if r == role {
			return true
		}
	}
	return false
}

// fixedUsers are the people every dataset has, well-known ones first.
var fixedUsers = []userRow{
	{email: AdminEmail, name: "Morgan Avery", team: "Platform", roles: []string{viewer.RoleAdmin}, region: schematype.RegionNA},
	{email: LeadEmail, name: "Dana Whitfield", team: "CS Operations", roles: []string{viewer.RoleOpsManager}, region: schematype.RegionNA},
	{email: AnalystEmail, name: "Ravi Menon", team: "CS Operations", roles: []string{viewer.RoleOpsAnalyst}, region: schematype.RegionEMEA},
	{email: CSMEmail(1), name: "Priya Raman", team: "Customer Success", roles: []string{viewer.RoleCSM}, region: schematype.RegionNA},
	{email: CSMEmail(2), name: "Lucas Moreau", team: "Customer Success", roles: []string{viewer.RoleCSM}, region: schematype.RegionEMEA},
	{email: CSMEmail(3), name: "Hannah Schmidt", team: "Customer Success", roles: []string{viewer.RoleCSM}, region: schematype.RegionEMEA},
	{email: CSMEmail(4), name: "Kenji Watanabe", team: "Customer Success", roles: []string{viewer.RoleCSM}, region: schematype.RegionAPAC},
	{email: CSMEmail(5), name: "Sofia Alvarez", team: "Customer Success", roles: []string{viewer.RoleCSM}, region: schematype.RegionLATAM},
	{email: CSMEmail(6), name: "Marcus Bennett", team: "Customer Success", roles: []string{viewer.RoleCSM}, region: schematype.RegionNA},
	{email: SalesEmail, name: "Olivia Chen", team: "Sales", roles: []string{viewer.RoleSales}, region: schematype.RegionNA},
	{email: FinanceEmail, name: "Daniel Okafor", team: "Finance", roles: []string{viewer.RoleFinance}, region: schematype.RegionEMEA},
	{email: SupportEmail, name: "Emma Larsen", team: "Support", roles: []string{viewer.RoleSupport}, region: schematype.RegionEMEA},
	{email: AuditorEmail, name: "Grace Liu", team: "Internal Audit", roles: []string{viewer.RoleViewer}, region: schematype.RegionNA},
	{name: "Tomás Rivera", team: "CS Operations", roles: []string{viewer.RoleOpsAnalyst}, region: schematype.RegionLATAM},
	{name: "Aisha Karim", team: "Cloud Operations", roles: []string{viewer.RoleOpsAnalyst}, region: schematype.RegionAPAC},
	{name: "Noah Fischer", team: "Cloud Operations", roles: []string{viewer.RoleOpsAnalyst, viewer.RoleSupport}, region: schematype.RegionEMEA},
	{name: "Arjun Patel", team: "Customer Success", roles: []string{viewer.RoleCSM, viewer.RoleOpsManager}, region: schematype.RegionAPAC},
	{name: "Julia Novak", team: "Sales", roles: []string{viewer.RoleSales}, region: schematype.RegionEMEA},
	{name: "Ethan Brooks", team: "Sales", roles: []string{viewer.RoleSales}, region: schematype.RegionNA},
	{name: "Mei Tanaka", team: "Sales", roles: []string{viewer.RoleSales}, region: schematype.RegionAPAC},
	{name: "Samuel Adeyemi", team: "Finance", roles: []string{viewer.RoleFinance}, region: schematype.RegionNA},
	{name: "Isabel Costa", team: "Support", roles: []string{viewer.RoleSupport}, region: schematype.RegionLATAM},
	{name: "Liam O'Connor", team: "Support", roles: []string{viewer.RoleSupport}, region: schematype.RegionNA},
	{name: "Chloe Dubois", team: "Leadership", roles: []string{viewer.RoleViewer}, region: schematype.RegionEMEA},
	// A former CSM: inactive, yet still the owner of a few accounts (an
	// ownership hygiene exception the reports should surface).
	{name: "Jordan Blake", team: "Customer Success", roles: []string{viewer.RoleCSM}, region: schematype.RegionNA, inactive: true},
}

// personEmail turns "Liam O'Connor" into "liam.oconnor@opsgraph.example".
func personEmail(name string) string {
	r := strings.NewReplacer("á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ñ", "n", "ü", "u", "ö", "o", "ä", "a", "'", "", "ç", "c", "ã", "a")
	s := r.Replace(strings.ToLower(name))
	return strings.Join(strings.Fields(s), ".") + "@" + EmailDomain
}

// csmRegions is the region of the n-th extra CSM, cycled, weighted roughly
// like the account regions.
var csmRegions = []schematype.Region{
	schematype.RegionNA, schematype.RegionEMEA, schematype.RegionNA, schematype.RegionAPAC,
	schematype.RegionEMEA, schematype.RegionNA, schematype.RegionLATAM, schematype.RegionEMEA,
}

// productRow is a product of the catalog with the generator's pricing rules.
type productRow struct {
	sku, name, featureKey, unit string
	kind                        schematype.EntitlementKind
	tiers                       []string
	active                      bool
	// weight is how often the product appears on contracts.
	weight int
	// price is the annual list price in USD cents of one unit of quantity
	// (one vCPU, one GB, one seat …); flat products (BOOLEAN) use priceFlat
	// per segment instead.
	price     int64
	priceFlat [3]int64
	// qty is the quantity range per segment (SMB, MID_MARKET, ENTERPRISE).
	qty [3][2]int64
}

// catalog is the product catalog: every entitlement kind, units, tiers and one
// inactive product.
var catalog = []productRow{
	{sku: "CMP-VCPU", name: "Compute (vCPU)", featureKey: "compute.vcpu", unit: "vCPU", kind: schematype.EntitlementKindQuantity,
		tiers: []string{"standard", "premium", "enterprise"}, active: true, weight: 10, price: 28_000,
		qty: [3][2]int64{{4, 32}, {32, 256}, {256, 2048}}},
	{sku: "STO-OBJ", name: "Object Storage", featureKey: "storage.object", unit: "GB", kind: schematype.EntitlementKindMetered,
		tiers: []string{"standard", "premium"}, active: true, weight: 9, price: 28,
		qty: [3][2]int64{{500, 10_000}, {10_000, 200_000}, {200_000, 2_000_000}}},
	{sku: "SEAT-PLAT", name: "Platform Seats", featureKey: "platform.seats", unit: "seats", kind: schematype.EntitlementKindQuantity,
		tiers: []string{"standard", "premium", "enterprise"}, active: true, weight: 10, price: 48_000,
		qty: [3][2]int64{{5, 40}, {40, 300}, {300, 3000}}},
	{sku: "API-REQ", name: "API Requests", featureKey: "api.requests", unit: "1k requests/month", kind: schematype.EntitlementKindMetered,
		tiers: []string{"standard", "premium", "enterprise"}, active: true, weight: 7, price: 600,
		qty: [3][2]int64{{100, 2000}, {2000, 50_000}, {50_000, 200_000}}},
	{sku: "SSO", name: "Single Sign-On (SAML/OIDC)", featureKey: "auth.sso", kind: schematype.EntitlementKindBoolean,
		tiers: []string{"premium", "enterprise"}, active: true, weight: 6,
		priceFlat: [3]int64{240_000, 600_000, 1_500_000}},
	{sku: "SUP-PREM", name: "Premium Support", featureKey: "support.premium", kind: schematype.EntitlementKindBoolean,
		tiers: []string{"premium", "enterprise"}, active: true, weight: 5,
		priceFlat: [3]int64{500_000, 1_500_000, 5_000_000}},
	{sku: "BKP-GB", name: "Backup Storage", featureKey: "storage.backup", unit: "GB", kind: schematype.EntitlementKindMetered,
		tiers: []string{"standard", "premium"}, active: true, weight: 5, price: 60,
		qty: [3][2]int64{{250, 5000}, {5000, 100_000}, {100_000, 1_000_000}}},
	{sku: "DB-MGD", name: "Managed Database Instances", featureKey: "db.managed", unit: "instances", kind: schematype.EntitlementKindQuantity,
		tiers: []string{"standard", "premium", "enterprise"}, active: true, weight: 6, price: 420_000,
		qty: [3][2]int64{{1, 3}, {2, 12}, {10, 80}}},
	{sku: "CDN-EGR", name: "CDN Egress", featureKey: "network.cdn_egress", unit: "GB/month", kind: schematype.EntitlementKindMetered,
		tiers: []string{"standard", "premium"}, active: true, weight: 4, price: 96,
		qty: [3][2]int64{{100, 2000}, {2000, 50_000}, {50_000, 500_000}}},
	{sku: "GPU-HRS", name: "GPU Hours", featureKey: "compute.gpu_hours", unit: "GPU-hours/month", kind: schematype.EntitlementKindMetered,
		tiers: []string{"standard", "enterprise"}, active: true, weight: 3, price: 2400,
		qty: [3][2]int64{{10, 100}, {100, 2000}, {2000, 20_000}}},
	{sku: "AUDIT-ADV", name: "Advanced Audit Logs", featureKey: "security.audit_logs", kind: schematype.EntitlementKindBoolean,
		tiers: []string{"enterprise"}, active: true, weight: 3,
		priceFlat: [3]int64{120_000, 360_000, 900_000}},
	{sku: "VM-LEGACY", name: "Legacy VM Hosting", featureKey: "compute.legacy_vm", unit: "VMs", kind: schematype.EntitlementKindQuantity,
		tiers: []string{"standard"}, active: false, weight: 0, price: 90_000,
		qty: [3][2]int64{{2, 6}, {4, 20}, {10, 60}}},
}

// legacyProduct is the index of the inactive product in catalog.
const legacyProduct = 11

// country is where a child account sits.
type country struct{ name, code, suffix string }

// tierFactor scales list prices by tier.
var tierFactor = map[string]float64{"standard": 1.0, "premium": 1.3, "enterprise": 1.6}

// Word lists for names. Company domains use the reserved .example TLD and
// people's names are invented, so nothing in the data points at real parties.
var (
	firstNames = []string{
		"Ava", "Ben", "Carla", "Dmitri", "Elena", "Farah", "Gabriel", "Helen", "Ibrahim", "Jana",
		"Karan", "Laura", "Mateo", "Nadia", "Oscar", "Paula", "Quentin", "Rosa", "Stefan", "Tara",
		"Umar", "Vera", "Wen", "Ximena", "Yusuf", "Zoe", "Aiko", "Bruno", "Camille", "Diego",
		"Esther", "Felix", "Greta", "Hiro", "Ines", "Jonas", "Kofi", "Lena", "Mikael", "Nora",
	}
	lastNames = []string{
		"Anders", "Baker", "Castillo", "Dahl", "Engel", "Fontaine", "Garcia", "Hughes", "Ito", "Jensen",
		"Kowalski", "Lindqvist", "Mendes", "Nakamura", "Oliveira", "Petrov", "Quinn", "Rossi", "Sato", "Thompson",
		"Ueda", "Vargas", "Walsh", "Xu", "Yilmaz", "Zimmer", "Achebe", "Bianchi", "Chowdhury", "Duarte",
		"Eriksen", "Fernandes", "Gupta", "Haddad", "Ivanova", "Jovanovic", "Kim", "Laurent", "Moreno", "Nguyen",
	}
	brandHeads = []string{
		"North", "Blue", "Silver", "Red", "Iron", "Bright", "Summit", "Harbor", "Cedar", "Granite",
		"Lumen", "Vertex", "Nova", "Apex", "Quantum", "Atlas", "Orion", "Pioneer", "Crescent", "Ever",
		"Falcon", "Horizon", "Key", "Meridian", "Nimbus", "Pinnacle", "Rowan", "Sterling", "Trident", "Zenith",
		"Amber", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Golden", "Hollow", "Indigo", "Juniper",
		"Kestrel", "Lake", "Maple", "Nordic", "Oak", "Polar", "Quill", "River", "Sun", "Tidal",
		"Umber", "Valley", "West", "Yellow", "Zephyr", "Arc", "Bold", "Clear", "Deep", "East",
	}
	brandTails = []string{
		"wind", "peak", "stone", "bridge", "field", "gate", "line", "point", "ridge", "wave",
		"leaf", "forge", "works", "path", "bay", "light", "spring", "crest", "port", "mark",
		"wood", "haven", "rock", "view", "star", "brook", "vale", "shore", "well", "ford",
	}
	industries = []struct {
		name  string
		words []string
	}{
		{"Software", []string{"Software", "Systems", "Labs", "Cloud"}},
		{"Financial Services", []string{"Capital", "Financial", "Bank", "Payments"}},
		{"Healthcare", []string{"Health", "Medical", "Care", "Clinics"}},
		{"Retail", []string{"Retail", "Stores", "Market", "Outfitters"}},
		{"Manufacturing", []string{"Manufacturing", "Industries", "Components", "Machines"}},
		{"Logistics", []string{"Logistics", "Freight", "Shipping", "Transport"}},
		{"Media", []string{"Media", "Studios", "Publishing", "Broadcasting"}},
		{"Energy", []string{"Energy", "Power", "Renewables", "Utilities"}},
		{"Telecommunications", []string{"Telecom", "Networks", "Communications", "Mobile"}},
		{"Education", []string{"Learning", "Education", "Academy", "University"}},
		{"Insurance", []string{"Insurance", "Assurance", "Mutual", "Underwriters"}},
		{"Automotive", []string{"Motors", "Automotive", "Mobility", "Auto Parts"}},
		{"Life Sciences", []string{"Biotech", "Pharma", "Genomics", "Therapeutics"}},
		{"Hospitality", []string{"Hotels", "Resorts", "Hospitality", "Travel"}},
		{"Public Sector", []string{"Agency", "Authority", "Services", "Council"}},
	}
	legalSuffixes = map[schematype.Region][]string{
		schematype.RegionNA:    {"Inc.", "LLC", "Corp.", "Co."},
		schematype.RegionEMEA:  {"Ltd", "GmbH", "SA", "BV", "AB", "plc", "SpA"},
		schematype.RegionAPAC:  {"Pty Ltd", "K.K.", "Pte. Ltd.", "Ltd"},
		schematype.RegionLATAM: {"S.A.", "Ltda.", "S.A. de C.V.", "SpA"},
	}
	// countries are where child accounts sit, with the legal suffix usual there.
	countries = map[schematype.Region][]country{
		schematype.RegionNA:    {{"US", "us", "Inc."}, {"Canada", "ca", "Ltd"}, {"US West", "usw", "LLC"}, {"US East", "use", "LLC"}},
		schematype.RegionEMEA:  {{"UK", "uk", "Ltd"}, {"Germany", "de", "GmbH"}, {"France", "fr", "SAS"}, {"Netherlands", "nl", "BV"}, {"Nordics", "se", "AB"}, {"Spain", "es", "S.L."}, {"UAE", "ae", "FZ-LLC"}},
		schematype.RegionAPAC:  {{"Japan", "jp", "K.K."}, {"Australia", "au", "Pty Ltd"}, {"Singapore", "sg", "Pte. Ltd."}, {"India", "in", "Pvt. Ltd."}, {"Korea", "kr", "Co., Ltd."}},
		schematype.RegionLATAM: {{"Brasil", "br", "Ltda."}, {"Mexico", "mx", "S.A. de C.V."}, {"Chile", "cl", "SpA"}, {"Colombia", "co", "S.A.S."}},
	}
	divisions = []string{"Research", "Digital", "Services", "Operations", "Retail Division", "Labs", "Shared Services"}
)
