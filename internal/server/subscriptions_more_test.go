package server_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	coderws "github.com/coder/websocket"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/schema/gid"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/ent/user"
	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/events"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// The helpers below drive the other subscription fields through the real
// mutations (requestCreate/Triage/Assign, entitlementReportUsage,
// healthSignalsIngest) or through ent as the system, like touch.

// longWS is dialWS with a connection that may outlive dialWS's 20 s
// deadline (a table of cases, -race on a busy machine).
func longWS(t *testing.T, s *apitest.Server, token string) *wsConn {
	t.Helper()
	c := dialWS(t, s.URL, map[string]any{"token": token})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	c.ctx = ctx
	return c
}

// event reads the next message of c, which must be a "next" of subscription
// id, and returns its field.
func event(t *testing.T, c *wsConn, id, field string) map[string]any {
	t.Helper()
	m := c.next(t)
	if m.Type != "next" || m.ID != id || len(m.Payload.Errors) > 0 {
		t.Fatalf("want an event of %s, got %s", id, m.raw)
	}
	v, _ := m.Payload.Data[field].(map[string]any)
	if v == nil {
		t.Fatalf("event of %s without %s: %s", id, field, m.raw)
	}
	return v
}

// mutate runs a mutation as the admin and fails on any error or userError;
// it returns the payload of the mutation's one field.
func mutate(t *testing.T, s *apitest.Server, q string, vars map[string]any) map[string]any {
	t.Helper()
	res := s.Post(q, vars)
	var data map[string]map[string]any
	if len(res.Errors) > 0 || json.Unmarshal(res.Data, &data) != nil || len(data) != 1 {
		t.Fatalf("%s: %s", q, res.Raw)
	}
	for _, p := range data {
		if ue, _ := p["userErrors"].([]any); len(ue) > 0 {
			t.Fatalf("%s: %s", q, res.Raw)
		}
		return p
	}
	return nil
}

func idOf(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["id"].(string)
	return s
}

func sysCtx() context.Context { return viewer.System(context.Background(), "system:test") }

// newRequest raises a request (NEW, P3, OTHER) about account as the admin.
func newRequest(t *testing.T, s *apitest.Server, acct int) string {
	t.Helper()
	p := mutate(t, s, `mutation($in: RequestCreateInput!) { requestCreate(input: $in) { request { id status } userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"title": "subscription test", "accountID": gid.Encode(acct)}})
	return idOf(p["request"])
}

func triage(t *testing.T, s *apitest.Server, req, category, priority string) {
	t.Helper()
	mutate(t, s, `mutation($in: RequestTriageInput!) { requestTriage(input: $in) { request { id } userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"requestID": req, "category": category, "priority": priority}})
}

func assign(t *testing.T, s *apitest.Server, req string, assignee int) {
	t.Helper()
	mutate(t, s, `mutation($in: RequestAssignInput!) { requestAssign(input: $in) { request { id } userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"requestID": req, "assigneeID": gid.Encode(assignee)}})
}

// clock hands out distinct observation times after subNow (the servers'
// clock), each later than the one before, within the 5 minutes of clock
// skew the API accepts: the latest report of an entitlement or a health
// signal is the test's.
var obsClock atomic.Int64

func observedAt(t *testing.T) string {
	t.Helper()
	n := obsClock.Add(1)
	if n >= 4*60*1000 {
		t.Fatal("the tests used up their observation times")
	}
	return subNow.Add(time.Duration(n) * time.Millisecond).Format(time.RFC3339Nano)
}

var usageSeq atomic.Int64

// reportUsage reports a new absolute usage of an entitlement through the
// API; it returns the usage reported.
func reportUsage(t *testing.T, s *apitest.Server, ent int) int64 {
	t.Helper()
	usage := 1_000_000 + usageSeq.Add(1)
	p := mutate(t, s, `mutation($in: EntitlementReportUsageInput!) { entitlementReportUsage(input: $in) { applied entitlement { id usage } userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"entitlementID": gid.Encode(ent), "usage": usage, "observedAt": observedAt(t)}})
	if p["applied"] != true {
		t.Fatalf("usage report of entitlement %d not applied: %v", ent, p)
	}
	return usage
}

// ingest sends one signal of each kind for acct, all at their best (a
// GREEN score of 100) or their worst (RED, 0), and returns the new score.
func ingest(t *testing.T, s *apitest.Server, acct int, best bool) map[string]any {
	t.Helper()
	values := map[string][2]float64{ // worst, best
		"PRODUCT_USAGE": {0, 100}, "ACTIVE_USERS": {0, 100}, "SUPPORT_TICKETS": {20, 0},
		"NPS": {-100, 100}, "CSAT": {1, 5}, "TELEMETRY_UPTIME": {0, 100},
	}
	at := observedAt(t)
	var signals []map[string]any
	for kind, v := range values {
		val := v[0]
		if best {
			val = v[1]
		}
		signals = append(signals, map[string]any{"accountID": gid.Encode(acct), "kind": kind, "value": val, "observedAt": at, "source": "subscription-test"})
	}
	p := mutate(t, s, `mutation($in: HealthSignalsIngestInput!) { healthSignalsIngest(input: $in) { accepted scores { id band score account { id } } userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"signals": signals}})
	scores, _ := p["scores"].([]any)
	if len(scores) != 1 {
		t.Fatalf("healthSignalsIngest for account %d: %v", acct, p)
	}
	sc := scores[0].(map[string]any)
	if want := map[bool]string{true: "GREEN", false: "RED"}[best]; sc["band"] != want {
		t.Fatalf("account %d scored %v, want %s", acct, sc, want)
	}
	return sc
}

// userID is the id of the user with email.
func userID(t *testing.T, db *store.DB, email string) int {
	t.Helper()
	return db.Client.User.Query().Where(user.Email(email)).OnlyIDX(sysCtx())
}

// metered returns a usage-reportable (not feature-flag) entitlement of
// each of two different accounts; when in is given, the first one's
// account is in it and the second one's is not.
func metered(t *testing.T, db *store.DB, in []int) (a, b *ent.Entitlement) {
	t.Helper()
	q := db.Client.Entitlement.Query().Where(entitlement.KindNEQ(schematype.EntitlementKindBoolean)).Order(ent.Asc(entitlement.FieldID))
	es := q.AllX(sysCtx())
	for _, e := range es {
		if a == nil && (in == nil || contains(in, e.AccountID)) {
			a = e
		}
	}
	for _, e := range es {
		if a != nil && e.AccountID != a.AccountID && (in == nil || !contains(in, e.AccountID)) {
			return a, e
		}
	}
	t.Fatal("the demo data has no two metered entitlements of different accounts")
	return nil, nil
}

func contains(ids []int, id int) bool {
	for _, i := range ids {
		if i == id {
			return true
		}
	}
	return false
}

// twoAccounts returns the ids of two accounts.
func twoAccounts(t *testing.T, db *store.DB) (a, b int) {
	t.Helper()
	ids := db.Client.Account.Query().Order(ent.Asc(account.FieldID)).Limit(2).IDsX(sysCtx())
	return ids[0], ids[1]
}

const requestSub = `subscription($status: [RequestStatus!], $priority: [RequestPriority!], $category: [RequestCategory!], $assignee: ID, $unassigned: Boolean, $account: ID) {
  requestUpdated(status: $status, priority: $priority, category: $category, assigneeId: $assignee, unassigned: $unassigned, accountId: $account) {
    id status priority category assignee { id } account { id }
  }
}`

// TestSubscriptionRequestUpdated: a queue view receives the requests that
// match its filters after the change, and not the others. Each case makes
// a change that must not be delivered, then one that must: the first event
// is the second change's request.
func TestSubscriptionRequestUpdated(t *testing.T) {
	seedtest.EachDemo(t, subNow, func(t *testing.T, db *store.DB) {
		s := apitest.NewAt(t, db, func() time.Time { return subNow })
		acctA, acctB := twoAccounts(t, db)
		u1, u2 := userID(t, db, "lead@opsgraph.example"), userID(t, db, "analyst@opsgraph.example")
		a := gid.Encode(acctA)

		type change struct {
			vars map[string]any
			miss func()        // a change the subscription must not deliver
			hit  func() string // then one it must: the request's id
			want map[string]any
		}
		cases := []struct {
			name string
			// prepare creates the requests of the case (before subscribing:
			// their creation is no event of the case).
			prepare func(t *testing.T) change
		}{
			{"status and priority", func(t *testing.T) change {
				r1, r2 := newRequest(t, s, acctA), newRequest(t, s, acctA)
				return change{
					vars: map[string]any{"status": []string{"TRIAGED"}, "priority": []string{"P1", "P2"}},
					miss: func() { triage(t, s, r1, "REPORT", "P4") }, // TRIAGED, but P4
					hit:  func() string { triage(t, s, r2, "REPORT", "P1"); return r2 },
					want: map[string]any{"status": "TRIAGED", "priority": "P1"},
				}
			}},
			{"a queue view sees the request arrive, not leave", func(t *testing.T) change {
				r1 := newRequest(t, s, acctA)
				return change{
					vars: map[string]any{"status": []string{"NEW"}},
					miss: func() { triage(t, s, r1, "ACCESS", "P2") }, // moves it out of NEW
					hit:  func() string { return newRequest(t, s, acctB) },
					want: map[string]any{"status": "NEW", "priority": "P3"},
				}
			}},
			{"unassigned", func(t *testing.T) change {
				r1, r2 := newRequest(t, s, acctA), newRequest(t, s, acctA)
				return change{
					vars: map[string]any{"unassigned": true},
					miss: func() { assign(t, s, r1, u1) },
					hit:  func() string { triage(t, s, r2, "DATA_FIX", "P2"); return r2 },
					want: map[string]any{"assignee": nil, "category": "DATA_FIX"},
				}
			}},
			{"assigned", func(t *testing.T) change {
				r1, r2 := newRequest(t, s, acctA), newRequest(t, s, acctA)
				return change{
					vars: map[string]any{"unassigned": false},
					miss: func() { triage(t, s, r1, "DATA_FIX", "P2") },
					hit:  func() string { assign(t, s, r2, u2); return r2 },
					want: map[string]any{"assignee": map[string]any{"id": gid.Encode(u2)}},
				}
			}},
			{"assignee", func(t *testing.T) change {
				r1, r2 := newRequest(t, s, acctA), newRequest(t, s, acctA)
				return change{
					vars: map[string]any{"assignee": gid.Encode(u1)},
					miss: func() { assign(t, s, r1, u2) },
					hit:  func() string { assign(t, s, r2, u1); return r2 },
					want: map[string]any{"assignee": map[string]any{"id": gid.Encode(u1)}},
				}
			}},
			{"account", func(t *testing.T) change {
				rB, rA := newRequest(t, s, acctB), newRequest(t, s, acctA)
				return change{
					vars: map[string]any{"account": a},
					miss: func() { triage(t, s, rB, "RENEWAL", "P2") },
					hit:  func() string { triage(t, s, rA, "RENEWAL", "P2"); return rA },
					want: map[string]any{"account": map[string]any{"id": a}},
				}
			}},
			{"category and account", func(t *testing.T) change {
				r1, r2 := newRequest(t, s, acctA), newRequest(t, s, acctA)
				return change{
					vars: map[string]any{"category": []string{"ACCESS", "ORDER_ISSUE"}, "account": a},
					miss: func() { triage(t, s, r1, "REPORT", "P2") },
					hit:  func() string { triage(t, s, r2, "ORDER_ISSUE", "P2"); return r2 },
					want: map[string]any{"category": "ORDER_ISSUE", "account": map[string]any{"id": a}},
				}
			}},
		}
		tok := s.Token("admin@opsgraph.example")
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ch := tc.prepare(t)
				settle(t, db)
				c := longWS(t, s, tok)
				subscribe(t, c, "q", requestSub, ch.vars)
				waitSubs(t, db.Events, 1)
				ch.miss()
				id := ch.hit()
				r := event(t, c, "q", "requestUpdated")
				if r["id"] != id {
					t.Fatalf("first event is request %v, want %s (the change before it did not match %v)", r, id, ch.vars)
				}
				for k, v := range ch.want {
					if fmt.Sprint(r[k]) != fmt.Sprint(v) {
						t.Errorf("%s = %v, want %v", k, r[k], v)
					}
				}
				_ = c.c.Close(coderws.StatusNormalClosure, "")
				waitSubs(t, db.Events, 0)
			})
		}
	})
}

const entitlementSub = `subscription($a: ID) { entitlementChanged(accountId: $a) { id usage account { id } } }`

// TestSubscriptionEntitlementChanged: the subscriber of account A receives
// A's entitlement changes (a usage report through the API, an ent update)
// and not B's, and the other way round; an unfiltered one receives all.
func TestSubscriptionEntitlementChanged(t *testing.T) {
	seedtest.EachDemo(t, subNow, func(t *testing.T, db *store.DB) {
		s := apitest.NewAt(t, db, func() time.Time { return subNow })
		eA, eB := metered(t, db, nil)
		c := longWS(t, s, s.Token("admin@opsgraph.example"))
		subscribe(t, c, "a", entitlementSub, map[string]any{"a": gid.Encode(eA.AccountID)})
		subscribe(t, c, "b", entitlementSub, map[string]any{"a": gid.Encode(eB.AccountID)})
		subscribe(t, c, "all", entitlementSub, nil)
		waitSubs(t, db.Events, 3)

		u1 := reportUsage(t, s, eA.ID)
		// Through ent, as a job would (a committed write outside the API).
		if err := db.Client.Entitlement.UpdateOneID(eB.ID).SetUsage(42).Exec(sysCtx()); err != nil {
			t.Fatal(err)
		}
		u2 := reportUsage(t, s, eA.ID)

		type ev struct {
			id    int
			usage int64
		}
		want := map[string][]ev{
			"a":   {{eA.ID, u1}, {eA.ID, u2}}, // not eB's change, between them
			"b":   {{eB.ID, 42}},              // not eA's change, before it
			"all": {{eA.ID, u1}, {eB.ID, 42}, {eA.ID, u2}},
		}
		got := map[string]int{}
		for n := 0; n < 6; n++ {
			m := c.next(t)
			w := want[m.ID]
			if m.Type != "next" || got[m.ID] >= len(w) {
				t.Fatalf("unexpected %s", m.raw)
			}
			e, _ := m.Payload.Data["entitlementChanged"].(map[string]any)
			exp := w[got[m.ID]]
			// An event carries the entity as it is when it is delivered
			// (re-read then): that write's usage or a later write's.
			usageOK := false
			for _, later := range w[got[m.ID]:] {
				usageOK = usageOK || later.id == exp.id && e["usage"] == float64(later.usage)
			}
			if e["id"] != gid.Encode(exp.id) || !usageOK {
				t.Fatalf("event %d of %s is %s, want entitlement %d with usage %d (or a later one)", got[m.ID]+1, m.ID, m.raw, exp.id, exp.usage)
			}
			got[m.ID]++
		}
	})
}

const healthSub = `subscription($a: ID, $band: HealthScoreBand) { healthScoreChanged(accountId: $a, band: $band) { id band score previousBand account { id } } }`

// TestSubscriptionHealthScoreChanged: a score computed by
// healthSignalsIngest is delivered to the subscriptions whose account and
// band (the new score's) match, and not to the others.
func TestSubscriptionHealthScoreChanged(t *testing.T) {
	seedtest.EachDemo(t, subNow, func(t *testing.T, db *store.DB) {
		s := apitest.NewAt(t, db, func() time.Time { return subNow })
		acctA, acctB := twoAccounts(t, db)
		a := gid.Encode(acctA)
		cases := []struct {
			name      string
			vars      map[string]any
			miss, hit func(t *testing.T) map[string]any // the new score
			band      string
		}{
			{"account", map[string]any{"a": a},
				func(t *testing.T) map[string]any { return ingest(t, s, acctB, true) },
				func(t *testing.T) map[string]any { return ingest(t, s, acctA, true) }, "GREEN"},
			{"band", map[string]any{"band": "RED"},
				func(t *testing.T) map[string]any { return ingest(t, s, acctA, true) },
				func(t *testing.T) map[string]any { return ingest(t, s, acctB, false) }, "RED"},
			{"account and band", map[string]any{"a": a, "band": "GREEN"},
				func(t *testing.T) map[string]any { return ingest(t, s, acctA, false) },
				func(t *testing.T) map[string]any { return ingest(t, s, acctA, true) }, "GREEN"},
			{"band change", map[string]any{"a": a, "band": "RED"},
				func(t *testing.T) map[string]any { return ingest(t, s, acctB, false) },
				func(t *testing.T) map[string]any { return ingest(t, s, acctA, false) }, "RED"},
		}
		tok := s.Token("admin@opsgraph.example")
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				settle(t, db)
				c := longWS(t, s, tok)
				subscribe(t, c, "h", healthSub, tc.vars)
				waitSubs(t, db.Events, 1)
				tc.miss(t)
				want := tc.hit(t)
				h := event(t, c, "h", "healthScoreChanged")
				if h["id"] != want["id"] || h["band"] != tc.band || idOf(h["account"]) != idOf(want["account"]) {
					t.Fatalf("first event is %v, want the score %v", h, want)
				}
				_ = c.c.Close(coderws.StatusNormalClosure, "")
				waitSubs(t, db.Events, 0)
			})
		}
	})
}

// TestSubscriptionCSMBook: a CSM receives the requests, entitlements and
// health scores of their book (and the requests assigned to them), not
// the others; rights are those at the moment of the event (an account
// moved into the book is delivered from then on).
func TestSubscriptionCSMBook(t *testing.T) {
	seedtest.EachDemo(t, subNow, func(t *testing.T, db *store.DB) {
		s := apitest.NewAt(t, db, func() time.Time { return subNow })
		const me = "csm1@opsgraph.example"
		uid := userID(t, db, me)
		csmCtx := viewer.NewContext(context.Background(), &viewer.Viewer{Subject: me, Roles: []string{viewer.RoleCSM}})
		book := db.Client.Account.Query().IDsX(csmCtx) // the row rules' own answer
		all := db.Client.Account.Query().IDsX(sysCtx())
		if len(book) == 0 || len(book) == len(all) {
			t.Fatalf("csm1's book holds %d of %d accounts", len(book), len(all))
		}
		eMine, eOther := metered(t, db, book)
		mine, other := eMine.AccountID, eOther.AccountID
		rMine, rOther := newRequest(t, s, mine), newRequest(t, s, other)
		tok := s.Token(me, viewer.RoleCSM)

		cases := []struct {
			name, query, field string
			steps              []func(t *testing.T) string // changes in turn: "" for one the CSM must not receive, else the id it must
		}{
			{"requests", `subscription { requestUpdated { id assignee { id } } }`, "requestUpdated", []func(t *testing.T) string{
				func(t *testing.T) string { triage(t, s, rOther, "REPORT", "P2"); return "" },
				func(t *testing.T) string { triage(t, s, rMine, "REPORT", "P2"); return rMine },
				// Not in the book, but now assigned to the CSM.
				func(t *testing.T) string { assign(t, s, rOther, uid); return rOther },
			}},
			{"entitlements", `subscription { entitlementChanged { id account { id } } }`, "entitlementChanged", []func(t *testing.T) string{
				func(t *testing.T) string { reportUsage(t, s, eOther.ID); return "" },
				func(t *testing.T) string { reportUsage(t, s, eMine.ID); return gid.Encode(eMine.ID) },
				// The other account moves into the CSM's book: its next
				// change is delivered (the row rules are those of now).
				func(t *testing.T) string {
					if err := db.Client.Account.UpdateOneID(other).SetOwnerID(uid).Exec(sysCtx()); err != nil {
						t.Fatal(err)
					}
					reportUsage(t, s, eOther.ID)
					return gid.Encode(eOther.ID)
				},
			}},
			{"health scores", `subscription { healthScoreChanged { id account { id } } }`, "healthScoreChanged", []func(t *testing.T) string{
				// other is in the book by now: another account outside it.
				func(t *testing.T) string { ingest(t, s, outside(t, all, book, other), true); return "" },
				func(t *testing.T) string { return idOf(ingest(t, s, mine, false)) },
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				settle(t, db)
				c := longWS(t, s, tok)
				subscribe(t, c, "csm", tc.query, nil)
				waitSubs(t, db.Events, 1)
				// Each expected event is read before the next step runs: an
				// event is re-read at delivery, so a later step (assigning
				// the other request to the CSM) must not commit before the
				// earlier events that must be dropped have been handled.
				n := 0
				for _, step := range tc.steps {
					if id := step(t); id != "" {
						n++
						if e := event(t, c, "csm", tc.field); e["id"] != id {
							t.Fatalf("the CSM's event %d is %v, want %s (and none outside the book)", n, e, id)
						}
					}
				}
				_ = c.c.Close(coderws.StatusNormalClosure, "")
				waitSubs(t, db.Events, 0)
			})
		}
	})
}

// outside returns an account of all outside book, other than skip.
func outside(t *testing.T, all, book []int, skip int) int {
	t.Helper()
	for _, id := range all {
		if id != skip && !contains(book, id) {
			return id
		}
	}
	t.Fatal("no second account outside the book")
	return 0
}

// settle waits until db's hub has fanned out every event committed so far,
// so that a subscription made next receives none of them. On PostgreSQL a
// notification committed before a Subscribe may still be on its way to the
// listener (and would reach the new subscription, re-read as the entity is
// then); the listener handles notifications in commit order, so once a
// marker notified now has come through, the earlier ones have too. The
// marker names no entity: subscriptions re-read nothing and drop it. On
// SQLite the hub publishes in the writing goroutine: nothing is in flight.
func settle(t *testing.T, db *store.DB) {
	t.Helper()
	if db.Dialect != dialect.Postgres {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sub, err := db.Events.Subscribe(ctx, events.KindOrder)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	marker := events.Event{Kind: events.KindOrder, ID: -1}
	if _, err := db.SQL.ExecContext(ctx, `SELECT pg_notify($1, $2)`, events.Channel, marker.Encode()); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case e := <-sub.C:
			if e == marker {
				return
			}
		case <-ctx.Done():
			t.Fatal("the marker notification did not come through")
		}
	}
}

// reader delivers c's messages (pings aside) on a channel, so that a test
// can wait for one with a timeout (a Read whose context ends closes the
// websocket).
func reader(c *wsConn) <-chan *wsMessage {
	ch := make(chan *wsMessage, 64)
	go func() {
		defer close(ch)
		for {
			m, err := c.read()
			if err != nil {
				return
			}
			if m.Type != "ping" && m.Type != "pong" && m.Type != "ka" {
				ch <- m
			}
		}
	}()
	return ch
}

// listenerPID returns the backend pid of the hub's LISTEN session on the
// test's database (the one session named events.ListenerApplicationName).
func listenerPID(t *testing.T, db *sql.DB) int {
	t.Helper()
	var pids []int
	rows, err := db.Query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`, events.ListenerApplicationName)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	if len(pids) != 1 {
		t.Fatalf("%d sessions named %s, want one", len(pids), events.ListenerApplicationName)
	}
	return pids[0]
}

// TestListenerReconnect: when the instance's LISTEN session is killed,
// lib/pq reconnects and LISTENs again; the hub keeps its subscriptions
// (the nil notification of the reconnect is no event), logs that events
// may have been missed, and delivers the writes committed after it.
func TestListenerReconnect(t *testing.T) {
	db := seedtest.Demo(t, dialect.Postgres, subNow)
	logs := &apitest.SyncBuffer{}
	db.Events.Logger = slog.New(slog.NewTextHandler(logs, nil)) // before the first subscription starts the listener
	s := apitest.NewAt(t, db, func() time.Time { return subNow })
	o1, _ := cancellable(t, db)
	c := longWS(t, s, s.Token("admin@opsgraph.example"))
	subscribe(t, c, "s", `subscription($o: ID) { orderUpdated(orderId: $o) { id rejectionNote } }`, map[string]any{"o": gid.Encode(o1.ID)})
	waitSubs(t, db.Events, 1)
	msgs := reader(c)
	write := func(note string) {
		t.Helper()
		if err := db.Client.Order.UpdateOneID(o1.ID).SetRejectionNote(note).Exec(sysCtx()); err != nil {
			t.Fatal(err)
		}
	}
	// await waits (bounded) for the event of the write of note, skipping
	// those of earlier writes; false when none came within d.
	await := func(note string, d time.Duration) bool {
		t.Helper()
		timeout := time.After(d)
		for {
			select {
			case m, ok := <-msgs:
				if !ok {
					t.Fatal("the websocket closed")
				}
				o, _ := m.Payload.Data["orderUpdated"].(map[string]any)
				if m.Type != "next" || o == nil {
					t.Fatalf("unexpected %s", m.raw)
				}
				if o["rejectionNote"] == note {
					return true
				}
			case <-timeout:
				return false
			}
		}
	}
	write("before")
	if !await("before", 30*time.Second) {
		t.Fatal("no event before the listener was killed")
	}

	pid := listenerPID(t, db.SQL)
	var killed bool
	if err := db.SQL.QueryRow(`SELECT pg_terminate_backend($1)`, pid).Scan(&killed); err != nil || !killed {
		t.Fatalf("pg_terminate_backend(%d): %v %v", pid, killed, err)
	}
	// Writes committed until lib/pq has reconnected and LISTENs again are
	// missed (documented); write until one arrives.
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; ; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("no event within 60 s of killing the listener (pid %d); log:\n%s", pid, logs.String())
		}
		note := fmt.Sprintf("during-%d", i)
		write(note)
		if await(note, time.Second) {
			break
		}
	}
	if again := listenerPID(t, db.SQL); again == pid {
		t.Fatalf("the listener's session is still pid %d", pid)
	}
	if n := db.Events.Len(); n != 1 {
		t.Fatalf("the hub holds %d subscriptions after the reconnect, want the one", n)
	}
	write("after")
	if !await("after", 30*time.Second) {
		t.Fatal("a write after the reconnect was not delivered")
	}
	for _, want := range []string{"listener disconnected", "listener reconnected"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, logs.String())
		}
	}
}

// The catch-up query of docs/api.md ("Subscriptions"), as written there.
const catchUpOrders = `query($since: Time!, $after: Cursor) {
  orders(first: 100, after: $after, where: {updatedAtGTE: $since}, orderBy: [{field: UPDATED_AT}]) {
    pageInfo { hasNextPage endCursor }
    edges { node { id number status updatedAt account { id } } }
  }
}`

// catchUpQuery is the documented query on another connection ("the same
// updatedAtGTE filter and UPDATED_AT order exist on requests, entitlements
// and healthScores").
func catchUpQuery(conn, fields string) string {
	return `query($since: Time!, $after: Cursor) {
  ` + conn + `(first: 100, after: $after, where: {updatedAtGTE: $since}, orderBy: [{field: UPDATED_AT}]) {
    pageInfo { hasNextPage endCursor }
    edges { node { ` + fields + ` } }
  }
}`
}

// catchUp runs query page by page from since, as docs/api.md says, and
// returns the nodes by id (the newer by updatedAt), checking that pages
// come in updatedAt order. path leads to the connection in data.
func catchUp(t *testing.T, s *apitest.Server, query string, vars map[string]any, path ...string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	var last time.Time
	var after any
	for page := 0; ; page++ {
		if page == 50 {
			t.Fatal("the catch-up query has more than 50 pages")
		}
		v := map[string]any{"after": after}
		for k, x := range vars {
			v[k] = x
		}
		res := s.Post(query, v)
		var data map[string]any
		res.MustData(t, &data)
		var conn any = data
		for _, p := range path {
			conn = conn.(map[string]any)[p]
		}
		cm := conn.(map[string]any)
		for _, e := range cm["edges"].([]any) {
			n := e.(map[string]any)["node"].(map[string]any)
			at, err := time.Parse(time.RFC3339Nano, n["updatedAt"].(string))
			if err != nil {
				t.Fatal(err)
			}
			if at.Before(last) {
				t.Fatalf("the catch-up query is not in updatedAt order: %v after %v", n, last)
			}
			last = at
			out[n["id"].(string)] = n // later pages, later updatedAt: the newer wins
		}
		pi := cm["pageInfo"].(map[string]any)
		if pi["hasNextPage"] != true {
			return out
		}
		after = pi["endCursor"]
	}
}

// TestSubscriptionCatchUp: an event committed while the subscriber was
// away (its websocket closed) is found, as docs/api.md says, by
// subscribing again and querying from the last event's updatedAt minus a
// second, for each subscribable type.
func TestSubscriptionCatchUp(t *testing.T) {
	seedtest.EachDemo(t, subNow, func(t *testing.T, db *store.DB) {
		s := apitest.NewAt(t, db, func() time.Time { return subNow })
		o1, o2 := cancellable(t, db)
		eA, eB := metered(t, db, nil)
		acctA, acctB := twoAccounts(t, db)
		r1, r2 := newRequest(t, s, acctA), newRequest(t, s, acctB)
		var missedUsage int64
		type check func(n map[string]any, lastAt time.Time) bool
		cases := []struct {
			name, sub, field string
			seen             func(t *testing.T)                 // a change the subscriber receives
			missed           func(t *testing.T) (string, check) // one committed while it is away
			query            string
			vars             map[string]any
			path             []string
		}{
			{"orders", `subscription { orderUpdated { id updatedAt } }`, "orderUpdated",
				func(t *testing.T) { touch(t, db, o1.ID) },
				func(t *testing.T) (string, check) {
					mutate(t, s, `mutation($o: ID!) { orderCancel(input: {orderID: $o, note: "missed"}) { order { id } userErrors { code message } } }`, map[string]any{"o": gid.Encode(o2.ID)})
					return gid.Encode(o2.ID), func(n map[string]any, _ time.Time) bool { return n["status"] == "CANCELLED" }
				},
				catchUpOrders, nil, []string{"orders"}},
			{"one account's orders", `subscription($a: ID) { orderUpdated(accountId: $a) { id updatedAt } }`, "orderUpdated",
				func(t *testing.T) { touch(t, db, o1.ID) },
				func(t *testing.T) (string, check) {
					touch(t, db, o1.ID) // the order seen, changed again
					return gid.Encode(o1.ID), func(n map[string]any, lastAt time.Time) bool {
						at, _ := time.Parse(time.RFC3339Nano, n["updatedAt"].(string))
						return at.After(lastAt)
					}
				},
				// "for one account's orders, the same arguments on node(id: $account) { ... on Account { orders(…) } }"
				`query($since: Time!, $after: Cursor, $account: ID!) {
  node(id: $account) { ... on Account {
    orders(first: 100, after: $after, where: {updatedAtGTE: $since}, orderBy: [{field: UPDATED_AT}]) {
      pageInfo { hasNextPage endCursor }
      edges { node { id number status updatedAt account { id } } }
    }
  } }
}`, map[string]any{"account": gid.Encode(o1.AccountID)}, []string{"node", "orders"}},
			{"requests", `subscription { requestUpdated { id updatedAt } }`, "requestUpdated",
				func(t *testing.T) { triage(t, s, r1, "REPORT", "P2") },
				func(t *testing.T) (string, check) {
					triage(t, s, r2, "ACCESS", "P1")
					return r2, func(n map[string]any, _ time.Time) bool { return n["priority"] == "P1" && n["status"] == "TRIAGED" }
				},
				catchUpQuery("requests", "id status priority updatedAt"), nil, []string{"requests"}},
			{"entitlements", `subscription { entitlementChanged { id updatedAt } }`, "entitlementChanged",
				func(t *testing.T) { reportUsage(t, s, eA.ID) },
				func(t *testing.T) (string, check) {
					missedUsage = reportUsage(t, s, eB.ID)
					return gid.Encode(eB.ID), func(n map[string]any, _ time.Time) bool { return n["usage"] == float64(missedUsage) }
				},
				catchUpQuery("entitlements", "id usage updatedAt"), nil, []string{"entitlements"}},
			{"health scores", `subscription { healthScoreChanged { id updatedAt } }`, "healthScoreChanged",
				func(t *testing.T) { ingest(t, s, acctA, true) },
				func(t *testing.T) (string, check) {
					return idOf(ingest(t, s, acctB, false)), func(n map[string]any, _ time.Time) bool { return n["band"] == "RED" }
				},
				catchUpQuery("healthScores", "id band updatedAt"), nil, []string{"healthScores"}},
		}
		tok := s.Token("admin@opsgraph.example")
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var vars map[string]any
				if strings.Contains(tc.sub, "$a") {
					vars = map[string]any{"a": gid.Encode(o1.AccountID)}
				}
				settle(t, db)
				c := longWS(t, s, tok)
				subscribe(t, c, "s", tc.sub, vars)
				waitSubs(t, db.Events, 1)
				tc.seen(t)
				last := event(t, c, "s", tc.field)
				lastAt, err := time.Parse(time.RFC3339Nano, last["updatedAt"].(string))
				if err != nil {
					t.Fatal(err)
				}
				// The subscriber goes away; a change is committed meanwhile.
				_ = c.c.Close(coderws.StatusNormalClosure, "")
				waitSubs(t, db.Events, 0)
				id, ok := tc.missed(t)

				// Back: subscribe again first, then query what changed.
				c = longWS(t, s, tok)
				subscribe(t, c, "s", tc.sub, vars)
				waitSubs(t, db.Events, 1)
				q := map[string]any{"since": lastAt.Add(-time.Second).Format(time.RFC3339Nano)}
				for k, v := range tc.vars {
					q[k] = v
				}
				got := catchUp(t, s, tc.query, q, tc.path...)
				n := got[id]
				if n == nil {
					t.Fatalf("the catch-up query from %s misses %s (it returned %d nodes)", q["since"], id, len(got))
				}
				// Not before the last event seen (requests take updatedAt
				// from the server's clock, fixed in this test).
				if at, _ := time.Parse(time.RFC3339Nano, n["updatedAt"].(string)); at.Before(lastAt) || !ok(n, lastAt) {
					t.Fatalf("the catch-up query returned %v, want the missed change (after %s)", n, lastAt.Format(time.RFC3339Nano))
				}
				_ = c.c.Close(coderws.StatusNormalClosure, "")
				waitSubs(t, db.Events, 0)
			})
		}
	})
}
