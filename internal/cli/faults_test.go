package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/internal/auth"
	"github.com/opsgraph/opsgraph/internal/testdb"
)

// gqlResult is a decoded GraphQL response, or the transport error.
type gqlResult struct {
	status int
	data   map[string]any
	errors []map[string]any
	err    error
	took   time.Duration
}

// code is the first error's extensions.code.
func (r gqlResult) code() string {
	if len(r.errors) == 0 {
		return ""
	}
	ext, _ := r.errors[0]["extensions"].(map[string]any)
	c, _ := ext["code"].(string)
	return c
}

// payload returns data.<field> as an object.
func (r gqlResult) payload(field string) map[string]any {
	m, _ := r.data[field].(map[string]any)
	return m
}

// userErrors returns the payload's userErrors codes.
func (r gqlResult) userErrors(field string) []string {
	var codes []string
	list, _ := r.payload(field)["userErrors"].([]any)
	for _, e := range list {
		codes = append(codes, fmt.Sprint(e.(map[string]any)["code"]))
	}
	return codes
}

var faultClient = &http.Client{Timeout: 30 * time.Second}

// gql posts query with variables; safe for concurrent use (no t.Fatal).
func gql(client *http.Client, base, token, query string, vars map[string]any) gqlResult {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	res, err := client.Do(req)
	r := gqlResult{err: err}
	if err != nil {
		r.took = time.Since(start)
		return r
	}
	defer res.Body.Close()
	r.status = res.StatusCode
	var out struct {
		Data   map[string]any   `json:"data"`
		Errors []map[string]any `json:"errors"`
	}
	raw, err := io.ReadAll(res.Body)
	r.took = time.Since(start)
	if err == nil {
		err = json.Unmarshal(raw, &out)
	}
	r.data, r.errors, r.err = out.Data, out.Errors, err
	return r
}

func adminToken(t *testing.T) string {
	t.Helper()
	tok, err := auth.Mint(auth.Config{Secret: []byte(testSecret)}, auth.MintOptions{Subject: "admin@opsgraph.example", Roles: []string{"ADMIN"}, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// seedSmall loads a small demo dataset (10 accounts) into the database at
// url with the seed command, migrating it first.
func seedSmall(t *testing.T, url string) {
	t.Helper()
	var out, errs bytes.Buffer
	if code := Run(context.Background(), []string{"seed", "--accounts", "10", "--database-url", url}, &out, &errs); code != 0 {
		t.Fatalf("seed: exit %d\n%s", code, errs.String())
	}
}

// orderFixture is an active contract with products of its own, each of
// which one order can ADD (an account holds one entitlement per product).
type orderFixture struct {
	account, contract string
	products          []string
}

const (
	submitOrder = `mutation($k: String, $a: ID!, $c: ID!, $p: ID!) { orderSubmit(idempotencyKey: $k, input: {order: {accountID: $a,
		contractID: $c, lines: [{action: ADD, productID: $p, quantity: 2, tier: "PREMIUM"}]}}) { order { id status } userErrors { code message } } }`
	validateOrder  = `mutation($o: ID!) { orderValidate(input: {orderID: $o}) { order { status } userErrors { code message } } }`
	provisionOrder = `mutation($o: ID!) { orderStartProvisioning(input: {orderID: $o}) { order { status } userErrors { code message } } }`
	fulfillOrder   = `mutation($o: ID!) { orderFulfill(input: {orderID: $o}) { order { status } userErrors { code message } } }`
)

func newOrderFixture(t *testing.T, base, token string, products int) orderFixture {
	t.Helper()
	must := func(r gqlResult, field string) map[string]any {
		t.Helper()
		if r.err != nil || r.status != http.StatusOK || len(r.errors) > 0 || len(r.userErrors(field)) > 0 {
			t.Fatalf("%s: %d %v %v %v", field, r.status, r.err, r.errors, r.payload(field))
		}
		return r.payload(field)
	}
	r := gql(faultClient, base, token, `query($now: Time!) { contracts(first: 1, where: {status: ACTIVE, endDateGT: $now}) { edges { node { id account { id } } } } }`,
		map[string]any{"now": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)})
	edges, _ := r.payload("contracts")["edges"].([]any)
	if len(edges) == 0 {
		t.Fatalf("no active contract: %v %v", r.data, r.errors)
	}
	node := edges[0].(map[string]any)["node"].(map[string]any)
	f := orderFixture{contract: node["id"].(string), account: node["account"].(map[string]any)["id"].(string)}
	for i := range products {
		sku := fmt.Sprintf("FAULT-%d-%d", time.Now().UnixNano()%1e6, i)
		p := must(gql(faultClient, base, token, `mutation($s: String!, $f: String!) { productCreate(input: {sku: $s, name: $s, featureKey: $f,
			entitlementKind: QUANTITY, unit: "seat", tiers: ["STANDARD", "PREMIUM"]}) { product { id } userErrors { code message } } }`,
			map[string]any{"s": sku, "f": strings.ToLower(sku)}), "productCreate")
		id := p["product"].(map[string]any)["id"].(string)
		must(gql(faultClient, base, token, `mutation($c: ID!, $p: ID!) { contractItemCreate(input: {contractID: $c, productID: $p, quantity: 50, tier: "STANDARD"}) {
			contractItem { id } userErrors { code message } } }`, map[string]any{"c": f.contract, "p": id}), "contractItemCreate")
		f.products = append(f.products, id)
	}
	return f
}

// checkOrderInvariants checks, in the database at url, that no idempotency
// key names two orders, and that every FULFILLED order of the test (its
// idempotency key starts with prefix; the demo data plants discrepancies
// of its own) created exactly one entitlement per ADD line, and no other
// order of the test's lines created any.
func checkOrderInvariants(t *testing.T, url, prefix string) {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for what, q := range map[string]string{
		"orders per idempotency key > 1": `SELECT count(*) FROM (SELECT account_id, idempotency_key FROM orders WHERE idempotency_key IS NOT NULL
			AND idempotency_key LIKE $1 || '%' GROUP BY 1, 2 HAVING count(*) > 1) d`,
		"idempotency keys naming two objects": `SELECT count(*) FROM (SELECT subject, key FROM idempotency_keys WHERE key LIKE $1 || '%' GROUP BY 1, 2 HAVING count(*) > 1) d`,
		"ADD lines of fulfilled orders without exactly one entitlement": `SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id
			WHERE o.idempotency_key LIKE $1 || '%' AND o.status = 'FULFILLED' AND l.action = 'ADD' AND (SELECT count(*) FROM entitlements e WHERE e.source_order_line_id = l.id) <> 1`,
		"entitlements from lines of orders not fulfilled": `SELECT count(*) FROM entitlements e JOIN order_lines l ON l.id = e.source_order_line_id
			JOIN orders o ON o.id = l.order_id WHERE o.idempotency_key LIKE $1 || '%' AND o.status <> 'FULFILLED'`,
	} {
		var n int
		if err := db.QueryRow(q, prefix).Scan(&n); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n != 0 {
			t.Errorf("%s: %d", what, n)
		}
	}
}

// Two server processes on one PostgreSQL, many concurrent retries of one
// orderSubmit (the same idempotency key and input) split across both: one
// order, every retry answered with it. Then one fulfilment sent
// concurrently through both: one applies, the rest find the order
// FULFILLED, and the entitlement exists once.
func TestIdempotencyAcrossTwoProcesses(t *testing.T) {
	url := createDatabase(t)
	seedSmall(t, url)
	common := []string{"--database-url", url, "--jwt-secret", testSecret, "--seed=false", "--admin-addr=", "--rate-limits=off", "--sweep-interval=0"}
	procs := []*process{startProcess(t, common...), startProcess(t, append(common, "--migrate=false")...)}
	token := adminToken(t)
	f := newOrderFixture(t, procs[0].base, token, 1)

	const n = 24
	vars := map[string]any{"k": "hammer-1", "a": f.account, "c": f.contract, "p": f.products[0]}
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := gql(faultClient, procs[i%2].base, token, submitOrder, vars)
			o, _ := r.payload("orderSubmit")["order"].(map[string]any)
			if r.err != nil || r.status != http.StatusOK || len(r.errors) > 0 || len(r.userErrors("orderSubmit")) > 0 || o == nil {
				t.Errorf("retry %d: %d %v %v %v", i, r.status, r.err, r.errors, r.payload("orderSubmit"))
				return
			}
			ids[i] = o["id"].(string)
		})
	}
	wg.Wait()
	for i, id := range ids {
		if id != ids[0] {
			t.Fatalf("retry %d got order %s, retry 0 got %s", i, id, ids[0])
		}
	}
	order := map[string]any{"o": ids[0]}
	for _, step := range []string{validateOrder, provisionOrder} {
		if r := gql(faultClient, procs[1].base, token, step, order); len(r.errors) > 0 || r.status != http.StatusOK {
			t.Fatalf("%d %v", r.status, r.errors)
		}
	}
	var fulfilled, refused atomic.Int32
	for i := range n {
		wg.Go(func() {
			r := gql(faultClient, procs[i%2].base, token, fulfillOrder, order)
			ue := r.userErrors("orderFulfill")
			switch {
			case r.err != nil || r.status != http.StatusOK || len(r.errors) > 0:
				t.Errorf("fulfil %d: %d %v %v", i, r.status, r.err, r.errors)
			case len(ue) == 0:
				fulfilled.Add(1)
			case len(ue) == 1 && ue[0] == "INVALID_TRANSITION":
				refused.Add(1)
			default:
				t.Errorf("fulfil %d: userErrors %v", i, ue)
			}
		})
	}
	wg.Wait()
	if fulfilled.Load() != 1 || refused.Load() != n-1 {
		t.Errorf("%d fulfilments applied and %d refused, want 1 and %d", fulfilled.Load(), refused.Load(), n-1)
	}
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var orders, ents int
	if err := db.QueryRow(`SELECT count(*) FROM orders WHERE idempotency_key = 'hammer-1'`).Scan(&orders); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM entitlements e JOIN order_lines l ON l.id = e.source_order_line_id
		JOIN orders o ON o.id = l.order_id WHERE o.idempotency_key = 'hammer-1'`).Scan(&ents); err != nil {
		t.Fatal(err)
	}
	if orders != 1 || ents != 1 {
		t.Errorf("%d orders and %d entitlements under the key, want 1 and 1", orders, ents)
	}
	checkOrderInvariants(t, url, "hammer-")
}

// createDatabase is testdb.CreateDatabase (a fresh PostgreSQL database for
// the test; under CI=true an unreachable PostgreSQL fails the test).
func createDatabase(t *testing.T) string { return testdb.CreateDatabase(t) }
