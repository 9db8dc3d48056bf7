package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent/schema/gid"
	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/server"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
)

// The package's tests copy seeded template databases (testdb.Seeded),
// dropped when they end.
func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// demoNow is the seed clock of the demo dataset most API tests share.
var demoNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// The first acceptance query of the foundation issue, verbatim.
const acceptanceQuery = `{ accounts(first: 5, orderBy: {field: NAME}) { totalCount edges { node { id name owner { email } contracts(first: 3) { edges { node { number renewalDate items { product { sku } } } } } } } } }`

func TestAcceptanceQuery(t *testing.T) {
	seedtest.EachDemo(t, demoNow, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		var data struct {
			Accounts struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						ID        string
						Name      string
						Owner     *struct{ Email string }
						Contracts struct {
							Edges []struct {
								Node struct {
									Number      string
									RenewalDate *time.Time
									Items       []struct{ Product struct{ Sku string } }
								}
							}
						}
					}
				}
			}
		}
		srv.Post(acceptanceQuery, nil).MustData(t, &data)
		want, err := db.Client.Account.Query().Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if data.Accounts.TotalCount != want || want < 200 {
			t.Fatalf("totalCount = %d, want %d (>= 200)", data.Accounts.TotalCount, want)
		}
		if len(data.Accounts.Edges) != 5 {
			t.Fatalf("got %d edges, want 5", len(data.Accounts.Edges))
		}
		var names []string
		sawContract, sawItem := false, false
		for _, e := range data.Accounts.Edges {
			names = append(names, e.Node.Name)
			if _, err := gid.Decode(e.Node.ID); err != nil {
				t.Errorf("id %q does not decode: %v", e.Node.ID, err)
			}
			if n := len(e.Node.Contracts.Edges); n > 3 {
				t.Errorf("%s: %d contracts on a first: 3 page", e.Node.Name, n)
			}
			for _, c := range e.Node.Contracts.Edges {
				sawContract = true
				for _, it := range c.Node.Items {
					sawItem = sawItem || it.Product.Sku != ""
				}
			}
		}
		if !sort.StringsAreSorted(names) {
			t.Errorf("names not sorted by NAME: %q", names)
		}
		if !sawContract || !sawItem {
			t.Errorf("expected contracts with items in the first page (contracts %v, items %v)", sawContract, sawItem)
		}
	})
}

// rootConnections maps every entity type to its root connection field.
var rootConnections = map[string]string{
	"User": "users", "Account": "accounts", "Product": "products", "Contract": "contracts",
	"ContractItem": "contractItems", "Order": "orders", "OrderLine": "orderLines", "OrderEvent": "orderEvents",
	"Entitlement": "entitlements", "HealthSignal": "healthSignals", "HealthScore": "healthScores",
	"Request": "requests", "AuditEvent": "auditEvents",
}

// internalTables own id ranges but are not part of the API.
var internalTables = []string{"idempotency_keys", "health_models", "latest_health_signals", "contract_allocations"}

func TestNodeResolvesEveryType(t *testing.T) {
	seedtest.EachDemo(t, demoNow, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		// An account update leaves an audit event, so every type has a row.
		var acc struct {
			Accounts struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		srv.Post(`{ accounts(first: 1) { edges { node { id } } } }`, nil).MustData(t, &acc)
		res := srv.Post(`mutation($id: ID!) { accountUpdate(id: $id, input: {industry: "Aerospace"}) { userErrors { code } } }`,
			map[string]any{"id": acc.Accounts.Edges[0].Node.ID})
		if len(res.Errors) > 0 {
			t.Fatalf("accountUpdate: %s", res.Raw)
		}
		// Every table with an id range is a Node with a root connection,
		// except internal bookkeeping.
		if len(gid.Tables()) != len(rootConnections)+len(internalTables) {
			t.Fatalf("%d tables own id ranges but %d root connections are listed: %v", len(gid.Tables()), len(rootConnections), gid.Tables())
		}
		var ids []string
		for typ, field := range rootConnections {
			var data map[string]struct {
				Edges []struct{ Node struct{ ID string } }
			}
			srv.Post(fmt.Sprintf(`{ %s(first: 1) { edges { node { id } } } }`, field), nil).MustData(t, &data)
			if len(data[field].Edges) != 1 {
				t.Fatalf("%s: no rows to resolve", field)
			}
			id := data[field].Edges[0].Node.ID
			ids = append(ids, id)
			var node struct {
				Node *struct {
					Typename string `json:"__typename"`
					ID       string
				}
			}
			srv.Post(`query($id: ID!) { node(id: $id) { __typename id } }`, map[string]any{"id": id}).MustData(t, &node)
			if node.Node == nil || node.Node.Typename != typ || node.Node.ID != id {
				t.Errorf("node(%s) = %+v, want a %s with the same id", id, node.Node, typ)
			}
		}
		// nodes keeps order and length; a well-formed id of no row is null.
		missing := gid.Encode(4242) // inside the accounts range, never created
		var nodes struct {
			Nodes []*struct {
				Typename string `json:"__typename"`
			}
		}
		srv.Post(`query($ids: [ID!]!) { nodes(ids: $ids) { __typename } }`, map[string]any{"ids": append([]string{missing}, ids...)}).MustData(t, &nodes)
		if len(nodes.Nodes) != len(ids)+1 || nodes.Nodes[0] != nil {
			t.Fatalf("nodes = %d entries (first %v), want %d with a leading null", len(nodes.Nodes), nodes.Nodes[0], len(ids)+1)
		}
		for i, n := range nodes.Nodes[1:] {
			if n == nil {
				t.Errorf("nodes[%d] is null", i+1)
			}
		}
		// A missing row looks like null, not an error.
		res = srv.Post(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": missing})
		if len(res.Errors) > 0 || string(res.Data) != `{"node":null}` {
			t.Errorf("node(missing) = %s", res.Raw)
		}
		// A malformed ID is the client's error, with a code.
		res = srv.Post(`{ node(id: "not-an-id") { id } }`, nil)
		if len(res.Errors) != 1 || res.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Errorf("node(malformed) = %s, want one BAD_USER_INPUT error", res.Raw)
		}
	})
}

func TestPageSizeDefaultAndCap(t *testing.T) {
	seedtest.EachDemo(t, demoNow, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		var data struct {
			Accounts struct {
				TotalCount int
				Edges      []struct{}
			}
			Users struct {
				Edges []struct {
					Node struct {
						OwnedAccounts struct{ Edges []struct{} }
					}
				}
			}
		}
		srv.Post(`{ accounts { totalCount edges { node { id } } } users(where: {hasOwnedAccounts: true}) { edges { node { ownedAccounts { edges { node { id } } } } } } }`, nil).MustData(t, &data)
		if len(data.Accounts.Edges) != 50 || data.Accounts.TotalCount <= 50 {
			t.Errorf("default page: %d edges of %d, want 50", len(data.Accounts.Edges), data.Accounts.TotalCount)
		}
		for _, u := range data.Users.Edges {
			if n := len(u.Node.OwnedAccounts.Edges); n > 50 {
				t.Errorf("nested default page: %d edges, want at most 50", n)
			}
		}
		for _, tc := range []struct {
			name  string
			query string
			vars  map[string]any
		}{
			{"root literal", `{ accounts(first: 101) { edges { node { id } } } }`, nil},
			{"root last", `{ accounts(last: 1000) { edges { node { id } } } }`, nil},
			{"nested variable", `query($n: Int) { accounts(first: 2) { edges { node { contracts(first: $n) { totalCount } } } } }`, map[string]any{"n": 500}},
			{"in fragment", `query { accounts(first: 1) { ...F } } fragment F on AccountConnection { edges { node { orders(first: 200) { totalCount } } } }`, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				db.Counter.Reset()
				res := srv.Post(tc.query, tc.vars)
				if len(res.Errors) != 1 || res.Errors[0].Code() != "PAGE_SIZE_EXCEEDED" || string(res.Data) != "" && string(res.Data) != "null" {
					t.Fatalf("got %s, want one PAGE_SIZE_EXCEEDED error and no data", res.Raw)
				}
				if !strings.Contains(res.Errors[0].Message, "100") {
					t.Errorf("message %q does not state the limit", res.Errors[0].Message)
				}
				if n := db.Counter.Count(); n != 0 {
					t.Errorf("%d SQL statements ran for a refused request", n)
				}
			})
		}
	})
}

// A nested query issues the same number of SQL statements whatever the page
// size: ent's field collection eager-loads each level in one statement.
func TestNestedQueryStatementsDoNotGrowWithPageSize(t *testing.T) {
	const q = `query($n: Int) { accounts(first: $n, orderBy: {field: NAME}) { totalCount edges { node { id name owner { email }
		contracts(first: 10) { totalCount edges { node { number items { quantity product { sku } }
			entitlements(first: 10) { totalCount edges { node { id usage product { sku } } } } } } } } } } }`
	seedtest.EachDemo(t, demoNow, func(t *testing.T, db *store.DB) {
		// Its worst case (50 accounts × 10 contracts × their items and
		// entitlements) is over the default cost limit, which is not what
		// this test is about.
		srv := apitest.NewWith(t, db, func(o *server.Options) { o.Limits.MaxCost = 1_000_000 })
		counts := map[int]int64{}
		for _, n := range []int{10, 50} {
			db.Counter.Reset()
			var data struct {
				Accounts struct{ Edges []json.RawMessage }
			}
			srv.Post(q, map[string]any{"n": n}).MustData(t, &data)
			if len(data.Accounts.Edges) != n {
				t.Fatalf("first %d returned %d edges", n, len(data.Accounts.Edges))
			}
			counts[n] = db.Counter.Count()
		}
		t.Logf("SQL statements: first 10 → %d, first 50 → %d", counts[10], counts[50])
		if counts[10] != counts[50] {
			t.Fatalf("statements grew with page size: %v", counts)
		}
		if counts[10] > 12 {
			t.Errorf("%d statements for a 3-level query; expected a handful", counts[10])
		}
	})
}

func TestAuthenticationEndToEnd(t *testing.T) {
	db := testdb.Open(t, "sqlite3")
	srv := apitest.New(t, db)
	res := srv.PostAs("", `{ accounts { totalCount } }`, nil)
	if res.Status != http.StatusUnauthorized || len(res.Errors) != 1 || res.Errors[0].Code() != "UNAUTHENTICATED" {
		t.Fatalf("no token: %d %s", res.Status, res.Raw)
	}
	res = srv.PostAs(srv.Token("analyst@opsgraph.example", "OPS_ANALYST"), `{ accounts { totalCount } }`, nil)
	if res.Status != http.StatusOK || len(res.Errors) != 0 {
		t.Fatalf("valid token: %d %s", res.Status, res.Raw)
	}
	// GET serves queries but never mutations.
	tok := srv.Token("admin@opsgraph.example")
	if res := srv.Get(tok, `{ accounts { totalCount } }`); res.Status != http.StatusOK || len(res.Errors) != 0 {
		t.Fatalf("GET query: %d %s", res.Status, res.Raw)
	}
	res = srv.Get(tok, `mutation { productCreate(input: {sku: "X", name: "X", featureKey: "x", entitlementKind: BOOLEAN}) { product { id } } }`)
	if res.Status == http.StatusOK && len(res.Errors) == 0 {
		t.Fatalf("GET mutation was accepted: %s", res.Raw)
	}
	if n, _ := db.Client.Product.Query().Count(context.Background()); n != 0 {
		t.Fatalf("GET mutation wrote %d products", n)
	}
	// The explorer and health endpoints need no token.
	for _, p := range []string{"/", "/healthz", "/readyz"} {
		r, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", p, r.StatusCode)
		}
	}
}
