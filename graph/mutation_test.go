package graph_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/schema/gid"
	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
)

// fixture creates a small graph through the API and returns the ids.
type fixture struct {
	csm, other, product, parent, child, grandchild, contract, item string
}

func mustMutate(t *testing.T, srv *apitest.Server, query string, vars map[string]any, path ...string) string {
	t.Helper()
	res := srv.Post(query, vars)
	var data map[string]map[string]json.RawMessage
	res.MustData(t, &data)
	for _, payload := range data {
		if string(payload["userErrors"]) != "[]" {
			t.Fatalf("unexpected userErrors: %s", res.Raw)
		}
		var obj map[string]any
		if err := json.Unmarshal(payload[path[0]], &obj); err != nil {
			t.Fatalf("decoding %s: %v", res.Raw, err)
		}
		return obj["id"].(string)
	}
	t.Fatalf("no payload in %s", res.Raw)
	return ""
}

func newFixture(t *testing.T, srv *apitest.Server) fixture {
	t.Helper()
	var f fixture
	f.csm = mustMutate(t, srv, `mutation { userCreate(input: {email: "Csm@Example.com", name: "Casey CSM", roles: ["CSM"]}) { user { id } userErrors { code } } }`, nil, "user")
	f.other = mustMutate(t, srv, `mutation { userCreate(input: {email: "other@example.com", name: "Other"}) { user { id } userErrors { code } } }`, nil, "user")
	f.product = mustMutate(t, srv, `mutation { productCreate(input: {sku: "SEATS", name: "Seats", featureKey: "seats", entitlementKind: QUANTITY, unit: "seat", tiers: ["standard", "premium"]}) { product { id } userErrors { code } } }`, nil, "product")
	f.parent = mustMutate(t, srv, `mutation($o: ID) { accountCreate(input: {name: "Parent Co", segment: ENTERPRISE, region: NA, ownerID: $o}) { account { id } userErrors { code } } }`, map[string]any{"o": f.csm}, "account")
	f.child = mustMutate(t, srv, `mutation($p: ID) { accountCreate(input: {name: "Child Co", segment: MID_MARKET, region: EMEA, parentID: $p}) { account { id } userErrors { code } } }`, map[string]any{"p": f.parent}, "account")
	f.grandchild = mustMutate(t, srv, `mutation($p: ID) { accountCreate(input: {name: "Grandchild Co", segment: SMB, region: EMEA, parentID: $p}) { account { id } userErrors { code } } }`, map[string]any{"p": f.child}, "account")
	f.contract = mustMutate(t, srv, `mutation($a: ID!) { contractCreate(input: {number: "C-1", accountID: $a, startDate: "2026-01-01T00:00:00Z", endDate: "2026-12-31T00:00:00Z", arrMinor: 12000000, currency: "EUR"}) { contract { id } userErrors { code } } }`, map[string]any{"a": f.parent}, "contract")
	f.item = mustMutate(t, srv, `mutation($c: ID!, $p: ID!) { contractItemCreate(input: {contractID: $c, productID: $p, quantity: 50, tier: "premium", unitPriceMinor: 2000}) { contractItem { id } userErrors { code } } }`, map[string]any{"c": f.contract, "p": f.product}, "contractItem")
	return f
}

// counts returns the row count of every table, audit events included.
func counts(t *testing.T, c *ent.Client) map[string]int {
	t.Helper()
	ctx := context.Background()
	out := map[string]int{}
	for name, q := range map[string]func() (int, error){
		"users":         func() (int, error) { return c.User.Query().Count(ctx) },
		"accounts":      func() (int, error) { return c.Account.Query().Count(ctx) },
		"products":      func() (int, error) { return c.Product.Query().Count(ctx) },
		"contracts":     func() (int, error) { return c.Contract.Query().Count(ctx) },
		"contractItems": func() (int, error) { return c.ContractItem.Query().Count(ctx) },
		"auditEvents":   func() (int, error) { return c.AuditEvent.Query().Count(ctx) },
	} {
		n, err := q()
		if err != nil {
			t.Fatal(err)
		}
		out[name] = n
	}
	return out
}

// dump returns every master-data row, to prove a refused mutation changed
// nothing (not even an updated_at).
func dump(t *testing.T, c *ent.Client) string {
	t.Helper()
	ctx := context.Background()
	var parts []any
	for _, q := range []func() (any, error){
		func() (any, error) { return c.User.Query().Order(ent.Asc("id")).All(ctx) },
		func() (any, error) { return c.Account.Query().Order(ent.Asc("id")).All(ctx) },
		func() (any, error) { return c.Product.Query().Order(ent.Asc("id")).All(ctx) },
		func() (any, error) { return c.Contract.Query().Order(ent.Asc("id")).All(ctx) },
		func() (any, error) { return c.ContractItem.Query().Order(ent.Asc("id")).All(ctx) },
		func() (any, error) { return c.AuditEvent.Query().Order(ent.Asc("id")).All(ctx) },
	} {
		v, err := q()
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, v)
	}
	raw, err := json.Marshal(parts)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestInvalidMutationsReturnUserErrorsAndChangeNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		f := newFixture(t, srv)
		missingUser := gid.Encode(mustStart(t, "users") + 999999)
		cases := []struct {
			name, query string
			vars        map[string]any
			code        string
			field       []string
		}{
			{"user name required", `mutation { userCreate(input: {email: "a@example.com", name: "  "}) { user { id } userErrors { field message code } } }`, nil, "REQUIRED", []string{"input", "name"}},
			{"user email format", `mutation { userCreate(input: {email: "not-an-email", name: "A"}) { user { id } userErrors { field message code } } }`, nil, "INVALID_EMAIL", []string{"input", "email"}},
			{"user email taken (case-insensitive)", `mutation { userCreate(input: {email: "CSM@example.com", name: "A"}) { user { id } userErrors { field message code } } }`, nil, "TAKEN", []string{"input", "email"}},
			{"user unknown role", `mutation { userCreate(input: {email: "b@example.com", name: "B", roles: ["WIZARD"]}) { user { id } userErrors { field message code } } }`, nil, "UNKNOWN_ROLE", []string{"input", "roles"}},
			{"user update email taken", `mutation($id: ID!) { userUpdate(id: $id, input: {email: "csm@example.com"}) { user { id } userErrors { field message code } } }`, map[string]any{"id": f.other}, "TAKEN", []string{"input", "email"}},
			{"user update unknown id", `mutation($id: ID!) { userUpdate(id: $id, input: {name: "X"}) { user { id } userErrors { field message code } } }`, map[string]any{"id": missingUser}, "NOT_FOUND", []string{"id"}},
			{"account name required", `mutation { accountCreate(input: {name: "", segment: SMB, region: NA}) { account { id } userErrors { field message code } } }`, nil, "REQUIRED", []string{"input", "name"}},
			{"account name too long", `mutation($n: String!) { accountCreate(input: {name: $n, segment: SMB, region: NA}) { account { id } userErrors { field message code } } }`, map[string]any{"n": strings.Repeat("x", 201)}, "TOO_LONG", []string{"input", "name"}},
			{"account owner of wrong type", `mutation($o: ID) { accountCreate(input: {name: "A", segment: SMB, region: NA, ownerID: $o}) { account { id } userErrors { field message code } } }`, map[string]any{"o": f.product}, "WRONG_TYPE", []string{"input", "ownerID"}},
			{"account owner unknown", `mutation($o: ID) { accountCreate(input: {name: "A", segment: SMB, region: NA, ownerID: $o}) { account { id } userErrors { field message code } } }`, map[string]any{"o": missingUser}, "NOT_FOUND", []string{"input", "ownerID"}},
			{"account billing email", `mutation { accountCreate(input: {name: "A", segment: SMB, region: NA, billingContactEmail: "billing at example"}) { account { id } userErrors { field message code } } }`, nil, "INVALID_EMAIL", []string{"input", "billingContactEmail"}},
			{"account domain", `mutation { accountCreate(input: {name: "A", segment: SMB, region: NA, domain: "https://x.com/"}) { account { id } userErrors { field message code } } }`, nil, "INVALID_VALUE", []string{"input", "domain"}},
			{"account parent cycle (grandchild)", `mutation($id: ID!, $p: ID) { accountUpdate(id: $id, input: {parentID: $p}) { account { id } userErrors { field message code } } }`, map[string]any{"id": f.parent, "p": f.grandchild}, "HIERARCHY_CYCLE", []string{"input", "parentID"}},
			{"account parent cycle (self)", `mutation($id: ID!, $p: ID) { accountUpdate(id: $id, input: {parentID: $p}) { account { id } userErrors { field message code } } }`, map[string]any{"id": f.child, "p": f.child}, "HIERARCHY_CYCLE", []string{"input", "parentID"}},
			{"account update wrong type id", `mutation($id: ID!) { accountUpdate(id: $id, input: {name: "X"}) { account { id } userErrors { field message code } } }`, map[string]any{"id": f.product}, "NOT_FOUND", []string{"id"}},
			{"product sku taken", `mutation { productCreate(input: {sku: "SEATS", name: "S", featureKey: "s", entitlementKind: BOOLEAN}) { product { id } userErrors { field message code } } }`, nil, "TAKEN", []string{"input", "sku"}},
			{"product empty tier", `mutation { productCreate(input: {sku: "NEW", name: "S", featureKey: "s", entitlementKind: BOOLEAN, tiers: [""]}) { product { id } userErrors { field message code } } }`, nil, "INVALID_VALUE", []string{"input", "tiers"}},
			{"contract end before start", `mutation($a: ID!) { contractCreate(input: {number: "C-2", accountID: $a, startDate: "2026-06-01T00:00:00Z", endDate: "2026-05-31T00:00:00Z"}) { contract { id } userErrors { field message code } } }`, map[string]any{"a": f.parent}, "END_BEFORE_START", []string{"input", "endDate"}},
			{"contract negative ARR", `mutation($a: ID!) { contractCreate(input: {number: "C-2", accountID: $a, startDate: "2026-01-01T00:00:00Z", endDate: "2026-12-31T00:00:00Z", arrMinor: -1}) { contract { id } userErrors { field message code } } }`, map[string]any{"a": f.parent}, "NEGATIVE_VALUE", []string{"input", "arrMinor"}},
			{"contract currency", `mutation($a: ID!) { contractCreate(input: {number: "C-2", accountID: $a, startDate: "2026-01-01T00:00:00Z", endDate: "2026-12-31T00:00:00Z", currency: "usd"}) { contract { id } userErrors { field message code } } }`, map[string]any{"a": f.parent}, "INVALID_VALUE", []string{"input", "currency"}},
			{"contract account of wrong type", `mutation($a: ID!) { contractCreate(input: {number: "C-2", accountID: $a, startDate: "2026-01-01T00:00:00Z", endDate: "2026-12-31T00:00:00Z"}) { contract { id } userErrors { field message code } } }`, map[string]any{"a": f.csm}, "WRONG_TYPE", []string{"input", "accountID"}},
			{"contract number taken", `mutation($a: ID!) { contractCreate(input: {number: "C-1", accountID: $a, startDate: "2026-01-01T00:00:00Z", endDate: "2026-12-31T00:00:00Z"}) { contract { id } userErrors { field message code } } }`, map[string]any{"a": f.parent}, "TAKEN", []string{"input", "number"}},
			{"contract update end before stored start", `mutation($id: ID!) { contractUpdate(id: $id, input: {endDate: "2025-12-31T00:00:00Z"}) { contract { id } userErrors { field message code } } }`, map[string]any{"id": f.contract}, "END_BEFORE_START", []string{"input", "endDate"}},
			{"item negative quantity", `mutation($c: ID!, $p: ID!) { contractItemCreate(input: {contractID: $c, productID: $p, quantity: -5}) { contractItem { id } userErrors { field message code } } }`, map[string]any{"c": f.contract, "p": f.product}, "NEGATIVE_VALUE", []string{"input", "quantity"}},
			{"item negative price", `mutation($c: ID!, $p: ID!) { contractItemCreate(input: {contractID: $c, productID: $p, quantity: 5, unitPriceMinor: -1}) { contractItem { id } userErrors { field message code } } }`, map[string]any{"c": f.contract, "p": f.product}, "NEGATIVE_VALUE", []string{"input", "unitPriceMinor"}},
			{"item tier not offered", `mutation($c: ID!, $p: ID!) { contractItemCreate(input: {contractID: $c, productID: $p, quantity: 5, tier: "platinum"}) { contractItem { id } userErrors { field message code } } }`, map[string]any{"c": f.contract, "p": f.product}, "INVALID_VALUE", []string{"input", "tier"}},
			{"item product of wrong type", `mutation($c: ID!, $p: ID!) { contractItemCreate(input: {contractID: $c, productID: $p, quantity: 5}) { contractItem { id } userErrors { field message code } } }`, map[string]any{"c": f.contract, "p": f.contract}, "WRONG_TYPE", []string{"input", "productID"}},
			{"item update tier against stored product", `mutation($id: ID!) { contractItemUpdate(id: $id, input: {tier: "gold"}) { contractItem { id } userErrors { field message code } } }`, map[string]any{"id": f.item}, "INVALID_VALUE", []string{"input", "tier"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := dump(t, db.Client)
				res := srv.Post(tc.query, tc.vars)
				var data map[string]struct {
					UserErrors []struct {
						Field   []string
						Message string
						Code    string
					}
				}
				res.MustData(t, &data)
				for _, p := range data {
					if len(p.UserErrors) == 0 {
						t.Fatalf("no userErrors: %s", res.Raw)
					}
					e := p.UserErrors[0]
					if e.Code != tc.code || !reflect.DeepEqual(e.Field, tc.field) || e.Message == "" {
						t.Fatalf("userErrors = %+v, want code %s at %v", p.UserErrors, tc.code, tc.field)
					}
				}
				var payloads map[string]map[string]json.RawMessage
				res.MustData(t, &payloads)
				for _, p := range payloads {
					for k, v := range p {
						if k != "userErrors" && string(v) != "null" {
							t.Errorf("payload carries %s despite userErrors: %s", k, v)
						}
					}
				}
				if after := dump(t, db.Client); after != before {
					t.Errorf("database changed by a refused mutation")
				}
			})
		}
		// Type-system refusals (bad enum, malformed ID) are top-level errors
		// and change nothing either.
		for _, q := range []string{
			`mutation { accountCreate(input: {name: "A", segment: HUGE, region: NA}) { account { id } } }`,
			`mutation { accountCreate(input: {name: "A", segment: SMB, region: NA, ownerID: "garbage"}) { account { id } } }`,
		} {
			before := counts(t, db.Client)
			res := srv.Post(q, nil)
			if len(res.Errors) == 0 || res.Errors[0].Code() == "" {
				t.Errorf("%s: want a coded top-level error, got %s", q, res.Raw)
			}
			if after := counts(t, db.Client); !reflect.DeepEqual(before, after) {
				t.Errorf("%s changed counts %v → %v", q, before, after)
			}
		}
	})
}

func TestMutationsAreAudited(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		f := newFixture(t, srv)
		res := srv.PostAs(srv.Token("lead@opsgraph.example", "OPS_MANAGER"),
			`mutation($id: ID!) { accountUpdate(id: $id, input: {lifecycleStage: AT_RISK, industry: "Retail"}) { account { lifecycleStage lifecycleStageChangedAt } userErrors { code } } }`,
			map[string]any{"id": f.parent})
		var upd struct {
			AccountUpdate struct {
				Account struct {
					LifecycleStage          string
					LifecycleStageChangedAt string
				}
			}
		}
		res.MustData(t, &upd)
		if upd.AccountUpdate.Account.LifecycleStage != "AT_RISK" {
			t.Fatalf("update not applied: %s", res.Raw)
		}
		var audit struct {
			AuditEvents struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						Actor, Action, EntityType, EntityID string
						Changes                             []struct {
							Field         string
							Before, After *string
						}
					}
				}
			}
		}
		srv.Post(`query($id: ID!) { auditEvents(where: {entityID: $id}, orderBy: {field: AT, direction: DESC}) { totalCount edges { node { actor action entityType entityID changes { field before after } } } } }`,
			map[string]any{"id": f.parent}).MustData(t, &audit)
		if audit.AuditEvents.TotalCount != 2 {
			t.Fatalf("want create + update events for the account, got %d", audit.AuditEvents.TotalCount)
		}
		ev := audit.AuditEvents.Edges[0].Node
		if ev.Actor != "lead@opsgraph.example" || ev.Action != "accountUpdate" || ev.EntityType != "Account" || ev.EntityID != f.parent {
			t.Fatalf("update event = %+v", ev)
		}
		got := map[string][2]string{}
		for _, c := range ev.Changes {
			got[c.Field] = [2]string{deref(c.Before), deref(c.After)}
		}
		if got["lifecycle_stage"] != [2]string{`"ONBOARDING"`, `"AT_RISK"`} || got["industry"] != [2]string{`""`, `"Retail"`} {
			t.Errorf("changes = %v", got)
		}
		if _, ok := got["lifecycle_stage_changed_at"]; !ok {
			t.Errorf("lifecycle_stage_changed_at change not recorded: %v", got)
		}
		// An update that changes nothing records nothing.
		srv.Post(`mutation($id: ID!) { accountUpdate(id: $id, input: {industry: "Retail"}) { userErrors { code } } }`, map[string]any{"id": f.parent})
		srv.Post(`query($id: ID!) { auditEvents(where: {entityID: $id}) { totalCount } }`, map[string]any{"id": f.parent}).MustData(t, &audit)
		if audit.AuditEvents.TotalCount != 2 {
			t.Errorf("a no-op update wrote an audit event (%d events)", audit.AuditEvents.TotalCount)
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func mustStart(t *testing.T, table string) int {
	t.Helper()
	for i := 1; i < 1<<40; i += 1 << 32 {
		if gid.Is(i, table) {
			return i - 1
		}
	}
	t.Fatalf("no range for %s", table)
	return 0
}

// The object a mutation returns can be traversed after the transaction
// committed.
func TestMutationPayloadEdgesResolve(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		f := newFixture(t, srv)
		var data struct {
			AccountCreate struct {
				Account struct {
					Owner  struct{ Email string }
					Parent struct{ Name string }
				}
			}
			ContractItemUpdate struct {
				ContractItem struct {
					Product  struct{ Sku string }
					Contract struct{ Number string }
				}
			}
		}
		srv.Post(`mutation($o: ID, $p: ID, $item: ID!) {
			accountCreate(input: {name: "Edge Co", segment: SMB, region: NA, ownerID: $o, parentID: $p}, idempotencyKey: "edges") { account { owner { email } parent { name } } }
			contractItemUpdate(id: $item, input: {quantity: 60}) { contractItem { product { sku } contract { number } } } }`,
			map[string]any{"o": f.csm, "p": f.parent, "item": f.item}).MustData(t, &data)
		if data.AccountCreate.Account.Owner.Email != "csm@example.com" || data.AccountCreate.Account.Parent.Name != "Parent Co" ||
			data.ContractItemUpdate.ContractItem.Product.Sku != "SEATS" || data.ContractItemUpdate.ContractItem.Contract.Number != "C-1" {
			t.Fatalf("payload edges: %+v", data)
		}
	})
}
