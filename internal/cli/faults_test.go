package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	coderws "github.com/coder/websocket"

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
	sent   time.Time
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

// PostgreSQL stopped (pg_ctl stop -m fast) and started again under load
// (queries, keyed order workflows, signal batches) with one server process
// on a private cluster: while it is down, requests fail fast with 503 and
// UNAVAILABLE and /readyz is 503; once it is back the same process serves
// again without a restart; afterwards no key names two orders, every
// fulfilled order has exactly its entitlements and every accepted signal
// is stored once.
func TestPostgresRestartUnderLoad(t *testing.T) {
	pg := startPGCluster(t)
	url := pg.URL()
	seedSmall(t, url)
	p := startProcess(t, "--database-url", url, "--jwt-secret", testSecret, "--seed=false", "--admin-addr=", "--sweep-interval=0",
		"--db-acquire-timeout=1s", "--request-timeout=5s", "--db-max-conns=8")
	token := adminToken(t)
	const orderWorkers = 3
	f := newOrderFixture(t, p.base, token, orderWorkers)

	// down is 1 from when PostgreSQL has stopped until it is started
	// again; epoch changes at the start and end of each transition, so a
	// request that saw another epoch when answered than when sent was in
	// flight across one.
	var down, epoch atomic.Int32
	type sample struct {
		r            gqlResult
		wasDown      bool // down when sent and when answered
		wasUp        bool // up (and before the outage) when sent and answered
		straddledOut bool
	}
	var (
		mu      sync.Mutex
		samples []sample
	)
	record := func(startEpoch int32, startDown bool, r gqlResult) {
		e, d := epoch.Load(), down.Load() == 1
		s := sample{r: r}
		switch { // an odd epoch is a transition: PostgreSQL stopping or starting
		case e == startEpoch && e%2 == 1:
			s.straddledOut = true
		case e == startEpoch && d && startDown:
			s.wasDown = true
		case e == startEpoch && !d && !startDown:
			s.wasUp = true
		default:
			s.straddledOut = true
		}
		mu.Lock()
		samples = append(samples, s)
		mu.Unlock()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	send := func(q string, vars map[string]any) gqlResult {
		e, d := epoch.Load(), down.Load() == 1
		sent := time.Now()
		r := gql(faultClient, p.base, token, q, vars)
		r.sent = sent
		record(e, d, r)
		return r
	}
	// retry sends a mutation until it is answered without UNAVAILABLE.
	retry := func(field, q string, vars map[string]any) gqlResult {
		for {
			r := send(q, vars)
			if r.code() != "UNAVAILABLE" {
				return r
			}
			select {
			case <-stop:
				return r
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				send(`{ accounts(first: 5) { totalCount edges { node { id name } } } }`, nil)
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	orderIDs := make([]string, orderWorkers)
	for i := range orderWorkers {
		wg.Go(func() {
			vars := map[string]any{"k": fmt.Sprintf("restart-%d", i), "a": f.account, "c": f.contract, "p": f.products[i]}
			r := retry("orderSubmit", submitOrder, vars)
			o, _ := r.payload("orderSubmit")["order"].(map[string]any)
			if o == nil {
				t.Errorf("worker %d: orderSubmit: %d %v %v", i, r.status, r.errors, r.payload("orderSubmit"))
				return
			}
			orderIDs[i] = o["id"].(string)
			for s, step := range []struct{ field, q string }{{"orderValidate", validateOrder}, {"orderStartProvisioning", provisionOrder}, {"orderFulfill", fulfillOrder}} {
				time.Sleep(time.Duration(300+150*i) * time.Millisecond)
				var r gqlResult
				for attempt := 0; ; attempt++ {
					r = retry(step.field, step.q, map[string]any{"o": orderIDs[i]})
					ue := r.userErrors(step.field)
					// A retry of a step whose commit was not acknowledged
					// finds it done.
					if len(ue) == 0 || (attempt > 0 || s > 0) && len(ue) == 1 && ue[0] == "INVALID_TRANSITION" {
						break
					}
					t.Errorf("worker %d: %s: %d %v %v", i, step.field, r.status, r.errors, r.payload(step.field))
					return
				}
			}
			// Idempotent retries of the submit keep answering the order.
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				r := send(submitOrder, vars)
				if o, _ := r.payload("orderSubmit")["order"].(map[string]any); o != nil && o["id"] != orderIDs[i] {
					t.Errorf("worker %d: the key answered order %v, want %s", i, o["id"], orderIDs[i])
				}
			}
		})
	}
	var (
		sigMu    sync.Mutex
		accepted = map[string]bool{} // observedAt of each confirmed signal
	)
	wg.Go(func() {
		base := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			var batch []map[string]any
			for j := range 3 {
				at := base.Add(time.Duration(3*n+j) * time.Second).Format(time.RFC3339)
				batch = append(batch, map[string]any{"accountID": f.account, "kind": "NPS", "value": 40, "observedAt": at, "source": "restart-test"})
			}
			r := retry("healthSignalsIngest", `mutation($s: [HealthSignalInput!]!) { healthSignalsIngest(input: {signals: $s}) { accepted duplicates userErrors { code message } } }`,
				map[string]any{"s": batch})
			pl := r.payload("healthSignalsIngest")
			if pl == nil || len(r.userErrors("healthSignalsIngest")) > 0 {
				if r.code() != "UNAVAILABLE" { // stopped while down
					t.Errorf("signals: %d %v %v", r.status, r.errors, pl)
				}
				return
			}
			if a, d := pl["accepted"].(float64), pl["duplicates"].(float64); a+d != 3 {
				t.Errorf("signals: accepted %v + duplicates %v, want 3", a, d)
			}
			sigMu.Lock()
			for _, s := range batch {
				accepted[s["observedAt"].(string)] = true
			}
			sigMu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
	})

	ready := func() int {
		res, err := faultClient.Get(p.base + "/readyz")
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	time.Sleep(time.Second)
	epoch.Add(1) // requests from here to the stop's end straddle it (in flight when sessions are terminated)
	pg.stop(t)
	down.Store(1)
	epoch.Add(1)
	time.Sleep(300 * time.Millisecond)
	if code := ready(); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz with PostgreSQL stopped: %d, want 503", code)
	}
	time.Sleep(1500 * time.Millisecond)
	epoch.Add(1)
	pg.start(t)
	down.Store(0)
	epoch.Add(1)
	t.Logf("PostgreSQL started at %s", time.Now().Format("15:04:05.000"))
	deadline := time.Now().Add(30 * time.Second)
	for ready() != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz not 200 within 30 s of PostgreSQL's restart")
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2500 * time.Millisecond) // the workflows finish on the restarted database
	close(stop)
	wg.Wait()

	var nDown, nUp, nOther int
	for _, s := range samples {
		r := s.r
		switch {
		case s.wasDown:
			nDown++
			if r.err != nil || r.status != http.StatusServiceUnavailable || r.code() != "UNAVAILABLE" || r.took > 3*time.Second {
				t.Errorf("while PostgreSQL was down: %d %v %v in %s, want 503 UNAVAILABLE fast", r.status, r.err, r.errors, r.took)
			}
		case s.wasUp:
			nUp++
			if r.err != nil || r.status != http.StatusOK || len(r.errors) > 0 {
				t.Errorf("while PostgreSQL was up: %d %v %v (sent %s)", r.status, r.err, r.errors, r.sent.Format("15:04:05.000"))
			}
		default:
			nOther++
			if r.err != nil || !(r.status == http.StatusOK && len(r.errors) == 0 || r.status == http.StatusServiceUnavailable && r.code() == "UNAVAILABLE" && r.took < 3*time.Second) {
				t.Errorf("across the stop or start: %d %v %v in %s, want 200, or 503 UNAVAILABLE fast", r.status, r.err, r.errors, r.took)
			}
		}
	}
	t.Logf("%d requests while up, %d while down, %d across a change; %d signals confirmed", nUp, nDown, nOther, len(accepted))
	if t.Failed() {
		t.Logf("server log:\n%s", p.stderr.String())
	}
	if nDown == 0 {
		t.Error("no request was sent while PostgreSQL was down")
	}

	// Invariants.
	checkOrderInvariants(t, url, "restart-")
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var fulfilled int
	if err := db.QueryRow(`SELECT count(*) FROM orders WHERE idempotency_key LIKE 'restart-%' AND status = 'FULFILLED'`).Scan(&fulfilled); err != nil {
		t.Fatal(err)
	}
	if fulfilled != orderWorkers {
		t.Errorf("%d keyed orders fulfilled, want %d", fulfilled, orderWorkers)
	}
	rows, err := db.Query(`SELECT observed_at, count(*) FROM health_signals WHERE source = 'restart-test' GROUP BY observed_at`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	stored := map[string]int{}
	for rows.Next() {
		var at time.Time
		var n int
		if err := rows.Scan(&at, &n); err != nil {
			t.Fatal(err)
		}
		stored[at.UTC().Format(time.RFC3339)] = n
	}
	for at, n := range stored {
		if n != 1 {
			t.Errorf("signal observed at %s stored %d times", at, n)
		}
	}
	for at := range accepted {
		if stored[at] != 1 {
			t.Errorf("accepted signal observed at %s stored %d times", at, stored[at])
		}
	}
}

// SIGTERM under load: requests in flight when it arrives (mutations
// waiting on a row lock, queries) finish with 200; new connections are
// refused; a websocket is closed with 1001 (going away); the process exits
// 0.
func TestSIGTERMUnderLoad(t *testing.T) {
	url := createDatabase(t)
	seedSmall(t, url)
	p := startProcess(t, "--database-url", url, "--jwt-secret", testSecret, "--seed=false", "--admin-addr=", "--sweep-interval=0", "--rate-limits=off")
	token := adminToken(t)
	f := newOrderFixture(t, p.base, token, 1)
	r := gql(faultClient, p.base, token, submitOrder, map[string]any{"k": "sigterm-1", "a": f.account, "c": f.contract, "p": f.products[0]})
	o, _ := r.payload("orderSubmit")["order"].(map[string]any)
	if o == nil {
		t.Fatalf("orderSubmit: %v %v", r.errors, r.payload("orderSubmit"))
	}
	orderID := o["id"].(string)

	// A websocket, acknowledged.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ws, _, err := coderws.Dial(ctx, "ws"+strings.TrimPrefix(p.base, "http")+"/graphql", &coderws.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if err := ws.Write(ctx, coderws.MessageText, []byte(`{"type":"connection_init","payload":{"Authorization":"Bearer `+token+`"}}`)); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := ws.Read(ctx); err != nil || !strings.Contains(string(msg), "connection_ack") {
		t.Fatalf("connection_init: %s %v", msg, err)
	}
	wsClosed := make(chan error, 1)
	go func() {
		for {
			if _, _, err := ws.Read(ctx); err != nil {
				wsClosed <- err
				return
			}
		}
	}()

	// The test holds the order's row lock: validations of it wait.
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lock, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lock.Rollback() }()
	if _, err := lock.Exec(`SELECT id FROM orders WHERE idempotency_key = 'sigterm-1' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	const inFlight = 4
	var wg sync.WaitGroup
	results := make([]gqlResult, inFlight)
	for i := range inFlight {
		wg.Go(func() { results[i] = gql(faultClient, p.base, token, validateOrder, map[string]any{"o": orderID}) })
	}
	for deadline := time.Now().Add(time.Minute); ; {
		var waiting int
		if err := db.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == inFlight {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d validations wait on the lock", waiting, inFlight)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Query load on keep-alive connections, through the signal.
	stopLoad := make(chan struct{})
	var loadOK, loadRefused atomic.Int32
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stopLoad:
					return
				default:
				}
				r := gql(faultClient, p.base, token, `{ accounts(first: 3) { totalCount } }`, nil)
				switch {
				case r.err != nil || r.status == http.StatusServiceUnavailable:
					loadRefused.Add(1) // shutting down: refused, or a keep-alive connection closed
					time.Sleep(10 * time.Millisecond)
				case r.status != http.StatusOK || len(r.errors) > 0:
					t.Errorf("query during shutdown: %d %v", r.status, r.errors)
				default:
					loadOK.Add(1)
				}
			}
		})
	}
	time.Sleep(200 * time.Millisecond)

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, p.stderr, regexp.MustCompile(`msg="?(shutting down)`), nil)
	time.Sleep(200 * time.Millisecond)
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	if r := gql(fresh, p.base, token, `{ accounts(first: 1) { totalCount } }`, nil); r.err == nil && r.status != http.StatusServiceUnavailable {
		t.Errorf("a new connection after SIGTERM: %d, want refused", r.status)
	}
	select {
	case err := <-wsClosed:
		if s := coderws.CloseStatus(err); s != coderws.StatusGoingAway {
			t.Errorf("websocket closed with %v (%v), want 1001 going away", s, err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the websocket was not closed at shutdown")
	}
	select {
	case <-p.exited:
		t.Fatal("exited with requests in flight")
	default:
	}
	if err := lock.Rollback(); err != nil { // the validations proceed
		t.Fatal(err)
	}
	close(stopLoad)
	wg.Wait()
	var validated int
	for i, r := range results {
		if r.err != nil || r.status != http.StatusOK || len(r.errors) > 0 {
			t.Errorf("in-flight request %d: %d %v %v", i, r.status, r.err, r.errors)
		}
		if len(r.userErrors("orderValidate")) == 0 {
			validated++
		}
	}
	if validated != 1 {
		t.Errorf("%d validations applied, want 1 (the rest find it VALIDATED)", validated)
	}
	select {
	case <-p.exited:
	case <-time.After(time.Minute):
		t.Fatal("the process did not exit")
	}
	if p.code != 0 {
		t.Errorf("exit code %d, want 0\n%s", p.code, p.stderr.String())
	}
	t.Logf("load: %d answered, %d refused during shutdown", loadOK.Load(), loadRefused.Load())
}
