package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	coderws "github.com/coder/websocket"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/order"
	"github.com/opsgraph/opsgraph/ent/schema/gid"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/ent/user"
	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/events"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

var subNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// waitSubs waits until hub holds n subscriptions (the subscribe message is
// asynchronous: a write before it is in place is not delivered).
func waitSubs(t *testing.T, hub *events.Hub, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for hub.Len() != n {
		if time.Now().After(deadline) {
			t.Fatalf("hub holds %d subscriptions, want %d", hub.Len(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// touch changes an order's note through ent (a committed write outside the
// API, published like any other).
func touch(t *testing.T, db *store.DB, id int) {
	t.Helper()
	ctx := viewer.System(context.Background(), "system:test")
	if err := db.Client.Order.UpdateOneID(id).SetRejectionNote(time.Now().String()).Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

func subscribe(t *testing.T, c *wsConn, id, query string, vars map[string]any) {
	t.Helper()
	c.send(t, map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}})
}

// orders returns two orders of different accounts that may be cancelled.
func cancellable(t *testing.T, db *store.DB) (a, b *ent.Order) {
	t.Helper()
	ctx := viewer.System(context.Background(), "system:test")
	os := db.Client.Order.Query().Where(order.StatusIn(schematype.OrderStatusDraft, schematype.OrderStatusSubmitted)).Order(ent.Asc(order.FieldID)).AllX(ctx)
	for _, o := range os[1:] {
		if o.AccountID != os[0].AccountID {
			return os[0], o
		}
	}
	t.Fatal("the demo data has no two cancellable orders of different accounts")
	return nil, nil
}

const orderSub = `subscription($a: ID, $o: ID) { orderUpdated(accountId: $a, orderId: $o) { id status account { id } } }`

func TestSubscriptionOrderUpdated(t *testing.T) {
	seedtest.EachDemo(t, subNow, func(t *testing.T, db *store.DB) {
		s := apitest.NewAt(t, db, func() time.Time { return subNow })
		o1, o2 := cancellable(t, db)
		c := dialWS(t, s.URL, map[string]any{"token": s.Token("admin@opsgraph.example")})
		subscribe(t, c, "byAccount", orderSub, map[string]any{"a": gid.Encode(o1.AccountID)})
		subscribe(t, c, "byOrder", orderSub, map[string]any{"o": gid.Encode(o2.ID)})
		waitSubs(t, db.Events, 2)

		res := s.Post(`mutation($o: ID!) { orderCancel(input: {orderID: $o, note: "subscription test"}) { order { status } userErrors { code } } }`,
			map[string]any{"o": gid.Encode(o1.ID)})
		if len(res.Errors) > 0 || strings.Contains(string(res.Data), "code") {
			t.Fatalf("orderCancel: %s", res.Raw)
		}
		touch(t, db, o2.ID)
		got := map[string]map[string]any{}
		for len(got) < 2 {
			m := c.next(t)
			if m.Type != "next" || got[m.ID] != nil {
				t.Fatalf("unexpected %s", m.raw)
			}
			got[m.ID] = m.Payload.Data["orderUpdated"].(map[string]any)
		}
		if o := got["byAccount"]; o["id"] != gid.Encode(o1.ID) || o["status"] != "CANCELLED" {
			t.Errorf("byAccount received %v, want order %d CANCELLED", o, o1.ID)
		}
		if o := got["byOrder"]; o["id"] != gid.Encode(o2.ID) {
			t.Errorf("byOrder received %v, want order %d (and not %d)", o, o2.ID, o1.ID)
		}

		// SSE: the same subscription as a stream of events.
		body := `{"query": "subscription($o: ID) { orderUpdated(orderId: $o) { id } }", "variables": {"o": "` + gid.Encode(o2.ID) + `"}}`
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "text/event-stream")
		req.Header.Set("Authorization", "Bearer "+s.Token("admin@opsgraph.example"))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		r, err := http.DefaultClient.Do(req.WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		waitSubs(t, db.Events, 3)
		touch(t, db, o2.ID)
		sc := bufio.NewScanner(r.Body)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "data: ") {
				if !strings.Contains(line, gid.Encode(o2.ID)) {
					t.Fatalf("SSE: %s", line)
				}
				break
			}
		}
		if sc.Err() != nil {
			t.Fatal(sc.Err())
		}
	})
}

func TestSubscriptionAcrossInstances(t *testing.T) {
	a := seedtest.Demo(t, dialect.Postgres, subNow)
	// A second pool on the same database: another instance. (Test URLs
	// carry no password, so Location is the URL.)
	b, err := store.Open(context.Background(), store.Options{URL: a.Location})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	sa := apitest.NewAt(t, a, func() time.Time { return subNow })
	sb := apitest.NewAt(t, b, func() time.Time { return subNow })
	o1, _ := cancellable(t, a)

	c := dialWS(t, sb.URL, map[string]any{"token": sb.Token("admin@opsgraph.example")})
	subscribe(t, c, "s", orderSub, map[string]any{"o": gid.Encode(o1.ID)})
	waitSubs(t, b.Events, 1)
	res := sa.Post(`mutation($o: ID!) { orderCancel(input: {orderID: $o}) { order { status } userErrors { code } } }`, map[string]any{"o": gid.Encode(o1.ID)})
	if len(res.Errors) > 0 {
		t.Fatalf("orderCancel on instance A: %s", res.Raw)
	}
	m := c.next(t)
	if m.Type != "next" || m.Payload.Data["orderUpdated"].(map[string]any)["status"] != "CANCELLED" {
		t.Fatalf("instance B received %s", m.raw)
	}
	// A rolled-back write notifies nobody: a failing cancel (already cancelled).
	res = sa.Post(`mutation($o: ID!) { orderCancel(input: {orderID: $o}) { userErrors { code } } }`, map[string]any{"o": gid.Encode(o1.ID)})
	if !strings.Contains(string(res.Data), "code") {
		t.Fatalf("second cancel: %s", res.Raw)
	}
	touch(t, a, o1.ID)
	if m := c.next(t); m.Type != "next" {
		t.Fatalf("after the touch: %s", m.raw)
	}
}

func TestSubscriptionAuthorization(t *testing.T) {
	seedtest.EachDemo(t, subNow, func(t *testing.T, db *store.DB) {
		s := apitest.NewAt(t, db, func() time.Time { return subNow })
		ctx := viewer.System(context.Background(), "system:test")
		const me = "csm1@opsgraph.example"
		uid := db.Client.User.Query().Where(user.Email(me)).OnlyIDX(ctx)
		mine := db.Client.Order.Query().Where(order.HasAccountWith(account.OwnerID(uid))).FirstX(ctx)
		other := db.Client.Order.Query().Where(order.Not(order.HasAccountWith(account.Or(account.OwnerID(uid), account.HasParentWith(account.OwnerID(uid)))))).FirstX(ctx)

		// A CSM receives only their book; an OPS_ANALYST reads every order
		// but not its FINANCIAL invoiceReference.
		csm := dialWS(t, s.URL, map[string]any{"token": s.Token(me, viewer.RoleCSM)})
		subscribe(t, csm, "csm", `subscription { orderUpdated { id number } }`, nil)
		analyst := dialWS(t, s.URL, map[string]any{"token": s.Token("analyst@opsgraph.example", viewer.RoleOpsAnalyst)})
		subscribe(t, analyst, "analyst", `subscription { orderUpdated { id number invoiceReference } }`, nil)
		waitSubs(t, db.Events, 2)
		touch(t, db, other.ID) // outside the book: dropped for the CSM
		touch(t, db, mine.ID)
		m := csm.next(t)
		if o, _ := m.Payload.Data["orderUpdated"].(map[string]any); m.Type != "next" || o["id"] != gid.Encode(mine.ID) {
			t.Fatalf("the CSM's first event is %s, want their order %d (not %d)", m.raw, mine.ID, other.ID)
		}
		for _, want := range []int{other.ID, mine.ID} {
			m := analyst.next(t)
			o, _ := m.Payload.Data["orderUpdated"].(map[string]any)
			if m.Type != "next" || o["id"] != gid.Encode(want) {
				t.Fatalf("the analyst's event is %s, want order %d", m.raw, want)
			}
			if o["number"] == nil || o["invoiceReference"] != nil || len(m.Payload.Errors) != 1 || m.Payload.Errors[0].Code() != "FORBIDDEN" {
				t.Fatalf("invoiceReference for an OPS_ANALYST: %s", m.raw)
			}
		}
	})
}

func TestSlowSubscriber(t *testing.T) {
	db := seedtest.Demo(t, dialect.SQLite, subNow)
	db.Events.Buffer = 8
	s := apitest.NewAt(t, db, func() time.Time { return subNow })
	o1, _ := cancellable(t, db)
	before := runtime.NumGoroutine()
	tok := s.Token("admin@opsgraph.example")
	const big = `subscription($o: ID) { orderUpdated(orderId: $o) { id number status billingStatus createdAt updatedAt submittedAt account { id name } contract { id number } lines { id action quantity tier } events { fromStatus toStatus actor note at } } }`

	// The slow one: a small receive buffer, and it reads nothing.
	slow := dialSmall(t, s.URL)
	slow.init(t, map[string]any{"token": tok})
	if m := slow.next(t); m.Type != "connection_ack" {
		t.Fatal(m.raw)
	}
	subscribe(t, slow, "slow", big, map[string]any{"o": gid.Encode(o1.ID)})
	fast := dialWS(t, s.URL, map[string]any{"token": tok})
	// Longer than dialWS's 20 s: the loop below may take a while under -race.
	fctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	fast.ctx = fctx
	subscribe(t, fast, "fast", big, map[string]any{"o": gid.Encode(o1.ID)})
	waitSubs(t, db.Events, 2)

	received := make(chan struct{}, 1)
	go func() {
		for {
			m, err := fast.read()
			if err != nil {
				return
			}
			if m.Type == "next" {
				received <- struct{}{}
			}
		}
	}()
	for i := 0; db.Events.Dropped() == 0; i++ {
		if i == 20000 {
			t.Fatal("the slow subscriber was never dropped")
		}
		db.Events.Publish(events.Event{Kind: events.KindOrder, ID: o1.ID, AccountID: o1.AccountID})
		select {
		case <-received:
		case <-time.After(10 * time.Second):
			t.Fatalf("the fast subscriber stopped receiving after %d events", i)
		}
	}
	// The fast one goes on.
	db.Events.Publish(events.Event{Kind: events.KindOrder, ID: o1.ID})
	select {
	case <-received:
	case <-time.After(10 * time.Second):
		t.Fatal("the fast subscriber stopped receiving after the slow one was dropped")
	}
	// The slow one, reading at last, finds the reason after its backlog.
	for {
		_, b, err := slow.c.Read(slow.ctx)
		if err != nil {
			t.Fatalf("slow subscriber: %v", err)
		}
		var m struct {
			Type, ID string
			Payload  json.RawMessage
		}
		_ = json.Unmarshal(b, &m)
		if m.Type != "error" {
			continue
		}
		var errs []apitest.Error
		_ = json.Unmarshal(m.Payload, &errs)
		if m.ID != "slow" || len(errs) != 1 || errs[0].Code() != "SLOW_CONSUMER" {
			t.Fatalf("slow subscriber's error: %s", b)
		}
		break
	}

	// No goroutine outlives the subscriptions.
	_ = slow.c.Close(coderws.StatusNormalClosure, "")
	_ = fast.c.Close(coderws.StatusNormalClosure, "")
	waitSubs(t, db.Events, 0)
	deadline := time.Now().Add(10 * time.Second)
	for {
		http.DefaultClient.CloseIdleConnections()
		n := runtime.NumGoroutine()
		if n <= before {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before the subscriptions:\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dialSmall opens a websocket whose TCP receive buffer is small, so a
// client that stops reading pushes back on the server soon.
func dialSmall(t *testing.T, base string) *wsConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(2048)
		}
		return c, err
	}
	c, _, err := coderws.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql", &coderws.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"},
		HTTPClient:   &http.Client{Transport: &http.Transport{DialContext: dial}},
	})
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadLimit(1 << 20)
	t.Cleanup(func() { _ = c.CloseNow() })
	return &wsConn{c: c, ctx: ctx}
}
