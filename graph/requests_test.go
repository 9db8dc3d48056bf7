package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/auth"
	"github.com/opsgraph/opsgraph/internal/requests"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/server"
	"github.com/opsgraph/opsgraph/internal/sla"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// reqClock is the server's clock in the request tests; tests move it.
type reqClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *reqClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *reqClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// apiRequest is a request as the tests read it.
type apiRequest struct {
	ID, Number, Status, Priority, Category string
	FirstResponseAt, ResponseDueAt         *time.Time
	ResolutionDueAt, ResolvedAt            *time.Time
	ResolutionNotes                        *string
	ResponseSLAState                       string `json:"responseSlaState"`
	ResolutionSLAState                     string `json:"resolutionSlaState"`
	SLAState                               string `json:"slaState"`
	SLAPaused                              bool   `json:"slaPaused"`
	TimeToResolution                       *int64
	Requester                              struct{ Email string }
	Assignee                               *struct{ Email string }
	History                                []struct {
		At                                time.Time
		Action, Actor, ToStatus, Priority string
		FromStatus, Note                  *string
	}
}

const requestFields = `id number status priority category firstResponseAt responseDueAt resolutionDueAt resolvedAt resolutionNotes
	responseSlaState resolutionSlaState slaState slaPaused timeToResolution requester { email } assignee { email }
	history { at action actor fromStatus toStatus priority note }`

type reqUserError struct {
	Field   []string
	Message string
	Code    string
}

// reqAPI runs the request mutations of one test as one caller.
type reqAPI struct {
	t     *testing.T
	srv   *apitest.Server
	token string
}

// call runs a request mutation with input and returns its payload.
func (a reqAPI) call(mutation string, input map[string]any) (*apiRequest, []reqUserError) {
	a.t.Helper()
	q := fmt.Sprintf(`mutation($input: %sInput!) { %s(input: $input) { request { %s } userErrors { field message code } } }`,
		reqInputType(mutation), mutation, requestFields)
	var data map[string]struct {
		Request    *apiRequest
		UserErrors []reqUserError
	}
	a.srv.PostAs(a.token, q, map[string]any{"input": input}).MustData(a.t, &data)
	p := data[mutation]
	return p.Request, p.UserErrors
}

// ok runs a mutation that must succeed.
func (a reqAPI) ok(mutation string, input map[string]any) *apiRequest {
	a.t.Helper()
	r, errs := a.call(mutation, input)
	if len(errs) > 0 || r == nil {
		a.t.Fatalf("%s: userErrors %+v", mutation, errs)
	}
	return r
}

func (a reqAPI) get(id string) *apiRequest {
	a.t.Helper()
	var data struct{ Node *apiRequest }
	a.srv.PostAs(a.token, `query($id: ID!) { node(id: $id) { ... on Request { `+requestFields+` } } }`, map[string]any{"id": id}).MustData(a.t, &data)
	return data.Node
}

func reqInputType(mutation string) string {
	switch mutation {
	case "requestReopen", "requestClose":
		return "RequestAction"
	}
	return "R" + mutation[1:]
}

func wantTime(t *testing.T, name string, got *time.Time, want time.Time) {
	t.Helper()
	if got == nil || !got.Equal(want) {
		t.Errorf("%s = %v, want %s", name, got, want)
	}
}

func wantNull[T any](t *testing.T, name string, got *T) {
	t.Helper()
	if got != nil {
		t.Errorf("%s = %v, want null", name, *got)
	}
}

func wantStates(t *testing.T, when string, r *apiRequest, response, resolution, overall string) {
	t.Helper()
	if r.ResponseSLAState != response || r.ResolutionSLAState != resolution || r.SLAState != overall {
		t.Errorf("%s: response %s, resolution %s, overall %s; want %s, %s, %s", when,
			r.ResponseSLAState, r.ResolutionSLAState, r.SLAState, response, resolution, overall)
	}
}

// The request queue through the API against a clock the test moves: the SLA
// fields of requests under the default policy (P2: 4h response, 24h
// resolution) at the instants they change, pauses, a priority change,
// resolution, reopening and closing, and the history.
func TestRequestSLAThroughTheAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t0 := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
		clock := &reqClock{t: t0}
		srv := apitest.NewAt(t, db, clock.now)
		sys := viewer.System(context.Background(), "test")
		const opsEmail = "ops@example.com"
		db.Client.User.Create().SetEmail(opsEmail).SetName("Ops").SetRoles([]string{viewer.RoleOpsManager}).SaveX(sys)
		worker := db.Client.User.Create().SetEmail("worker@example.com").SetName("Worker").SaveX(sys)
		api := reqAPI{t, srv, srv.Token(opsEmail, viewer.RoleOpsManager)}
		at := func(d time.Duration) time.Time { return t0.Add(d) }
		move := func(d time.Duration) { clock.set(at(d)) }
		const h = time.Hour

		create := func(priority, title string) *apiRequest {
			return api.ok("requestCreate", map[string]any{"title": title, "priority": priority})
		}
		a := create("P2", "A: answered, resolved late, reopened, closed")
		b := create("P2", "B: never answered")
		c := create("P2", "C: waits on the requester")
		d := create("P3", "D: raised to P1")
		e := create("P2", "E: resolved at once")
		wantTime(t, "responseDueAt", a.ResponseDueAt, at(4*h))
		wantTime(t, "resolutionDueAt", a.ResolutionDueAt, at(24*h))
		wantStates(t, "created", a, "ON_TRACK", "ON_TRACK", "ON_TRACK")
		if a.Status != "NEW" || a.SLAPaused || a.TimeToResolution != nil || a.Requester.Email != opsEmail || !strings.HasPrefix(a.Number, "REQ-") {
			t.Errorf("created: %+v", a)
		}

		move(1 * h)
		a = api.ok("requestRespond", map[string]any{"requestID": a.ID, "message": "We are on it."})
		wantStates(t, "A responded after 1h", a, "MET", "ON_TRACK", "ON_TRACK")
		wantTime(t, "firstResponseAt", a.FirstResponseAt, at(h))
		wantNull(t, "responseDueAt after the response", a.ResponseDueAt)

		move(2 * h)
		c = api.ok("requestSetStatus", map[string]any{"requestID": c.ID, "status": "WAITING_ON_REQUESTER", "note": "Which account?"})
		if !c.SLAPaused || c.Status != "WAITING_ON_REQUESTER" {
			t.Errorf("C waiting: %+v", c)
		}
		wantNull(t, "resolutionDueAt while paused", c.ResolutionDueAt)
		wantNull(t, "responseDueAt while paused", c.ResponseDueAt)
		d = api.ok("requestTriage", map[string]any{"requestID": d.ID, "category": "DATA_FIX", "priority": "P1"})
		// P1: the 1h response target, counted from creation, is already missed.
		wantStates(t, "D raised to P1 after 2h", d, "BREACHED", "ON_TRACK", "BREACHED")
		wantTime(t, "D responseDueAt", d.ResponseDueAt, at(h))
		wantTime(t, "D resolutionDueAt", d.ResolutionDueAt, at(8*h))
		if d.Status != "TRIAGED" || d.Priority != "P1" || d.Category != "DATA_FIX" {
			t.Errorf("D triaged: %+v", d)
		}
		e = api.ok("requestResolve", map[string]any{"requestID": e.ID, "resolutionNotes": "Answered in the docs."})
		wantStates(t, "E resolved after 2h", e, "MET", "MET", "MET")
		if e.TimeToResolution == nil || *e.TimeToResolution != 7200 || e.ResolutionNotes == nil || *e.ResolutionNotes != "Answered in the docs." {
			t.Errorf("E resolved: %+v", e)
		}
		wantTime(t, "E resolvedAt", e.ResolvedAt, at(2*h))

		// B's response clock: AT_RISK with less than 20% (48m) of 4h left,
		// BREACHED only past the target.
		for _, tc := range []struct {
			at    time.Duration
			state string
		}{
			{3*h + 12*time.Minute, "ON_TRACK"},
			{3*h + 12*time.Minute + time.Second, "AT_RISK"},
			{4 * h, "AT_RISK"},
			{4*h + time.Second, "BREACHED"},
		} {
			move(tc.at)
			b = api.get(b.ID)
			wantStates(t, "B at t0+"+tc.at.String(), b, tc.state, "ON_TRACK", tc.state)
		}

		// C's clocks stand still while it waits: at t0+9h its response clock
		// has run 2h of 4h.
		move(9 * h)
		c = api.get(c.ID)
		wantStates(t, "C paused at t0+9h", c, "ON_TRACK", "ON_TRACK", "ON_TRACK")
		move(10 * h)
		c = api.ok("requestSetStatus", map[string]any{"requestID": c.ID, "status": "IN_PROGRESS"})
		if c.SLAPaused {
			t.Error("C still paused after leaving WAITING_ON_REQUESTER")
		}
		// Both due instants moved by the 8h paused.
		wantTime(t, "C responseDueAt after the pause", c.ResponseDueAt, at(12*h))
		wantTime(t, "C resolutionDueAt after the pause", c.ResolutionDueAt, at(32*h))

		// A's resolution clock: 24h target, AT_RISK past 19h12m.
		move(19*h + 12*time.Minute)
		wantStates(t, "A at t0+19h12m", api.get(a.ID), "MET", "ON_TRACK", "ON_TRACK")
		move(19*h + 12*time.Minute + time.Second)
		wantStates(t, "A at t0+19h12m1s", api.get(a.ID), "MET", "AT_RISK", "AT_RISK")
		move(24*h + time.Second)
		wantStates(t, "A at t0+24h1s", api.get(a.ID), "MET", "BREACHED", "BREACHED")

		move(25 * h)
		a = api.ok("requestResolve", map[string]any{"requestID": a.ID, "resolutionNotes": "Fixed, late."})
		wantStates(t, "A resolved after 25h", a, "MET", "MET_LATE", "MET_LATE")
		if a.TimeToResolution == nil || *a.TimeToResolution != int64(25*h/time.Second) {
			t.Errorf("A timeToResolution %v, want 25h", a.TimeToResolution)
		}
		wantNull(t, "resolutionDueAt once resolved", a.ResolutionDueAt)

		move(30 * h)
		a = api.ok("requestReopen", map[string]any{"requestID": a.ID, "note": "Still broken."})
		// The clock runs again from 25h elapsed: past its target.
		wantStates(t, "A reopened", a, "MET", "BREACHED", "BREACHED")
		if a.Status != "IN_PROGRESS" || a.ResolvedAt != nil || a.TimeToResolution != nil {
			t.Errorf("A reopened: %+v", a)
		}
		wantTime(t, "A resolutionDueAt reopened", a.ResolutionDueAt, at(24*h))
		move(31 * h)
		a = api.ok("requestAssign", map[string]any{"requestID": a.ID, "assigneeID": encodeID(worker.ID)})
		if a.Assignee == nil || a.Assignee.Email != "worker@example.com" {
			t.Errorf("A assignee %+v", a.Assignee)
		}
		a = api.ok("requestResolve", map[string]any{"requestID": a.ID, "resolutionNotes": "Fixed for good."})
		// Resolved 25h + 1h: the 5h between resolving and reopening do not count.
		if a.TimeToResolution == nil || *a.TimeToResolution != int64(26*h/time.Second) {
			t.Errorf("A timeToResolution %v, want 26h", a.TimeToResolution)
		}
		move(32 * h)
		a = api.ok("requestClose", map[string]any{"requestID": a.ID})
		wantStates(t, "A closed", a, "MET", "MET_LATE", "MET_LATE")
		if a.Status != "CLOSED" {
			t.Errorf("A status %s", a.Status)
		}

		// The history lists every action with its actor, statuses and priority.
		type entry struct{ action, from, to string }
		var got []entry
		for _, ev := range a.History {
			from := ""
			if ev.FromStatus != nil {
				from = *ev.FromStatus
			}
			got = append(got, entry{ev.Action, from, ev.ToStatus})
			if ev.Actor != opsEmail || ev.Priority != "P2" {
				t.Errorf("history entry %+v", ev)
			}
		}
		want := []entry{
			{"requestCreate", "", "NEW"},
			{"requestRespond", "NEW", "NEW"},
			{"requestResolve", "NEW", "RESOLVED"},
			{"requestReopen", "RESOLVED", "IN_PROGRESS"},
			{"requestAssign", "IN_PROGRESS", "IN_PROGRESS"},
			{"requestResolve", "IN_PROGRESS", "RESOLVED"},
			{"requestClose", "RESOLVED", "CLOSED"},
		}
		if !slices.Equal(got, want) {
			t.Errorf("history %+v\nwant    %+v", got, want)
		}
		if n := a.History[1].Note; n == nil || *n != "We are on it." {
			t.Errorf("response note %v", n)
		}
		if !a.History[3].At.Equal(at(30 * h)) {
			t.Errorf("reopened at %s", a.History[3].At)
		}
	})
}

// Refused actions come back as userErrors with codes and field paths and
// change nothing; retries of an action already in effect are harmless.
func TestRequestUserErrors(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		sys := viewer.System(context.Background(), "test")
		db.Client.User.Create().SetEmail("admin@opsgraph.example").SetName("Admin").SaveX(sys)
		api := reqAPI{t, srv, srv.Token("admin@opsgraph.example", viewer.RoleAdmin)}
		r := api.ok("requestCreate", map[string]any{"title": "Need access"})
		rows := func() string {
			raw, err := json.Marshal(db.Client.Request.Query().Order(ent.Asc("id")).AllX(sys))
			if err != nil {
				t.Fatal(err)
			}
			return string(raw)
		}
		for _, tc := range []struct {
			name     string
			mutation string
			input    map[string]any
			code     string
			field    string
			message  string
		}{
			{"close a NEW request", "requestClose", map[string]any{"requestID": r.ID}, "INVALID_TRANSITION", "input.requestID", "NEW"},
			{"reopen a NEW request", "requestReopen", map[string]any{"requestID": r.ID}, "INVALID_TRANSITION", "input.requestID", "NEW"},
			{"resolve without notes", "requestResolve", map[string]any{"requestID": r.ID, "resolutionNotes": "  "}, "REQUIRED", "input.resolutionNotes", ""},
			{"respond without a message", "requestRespond", map[string]any{"requestID": r.ID, "message": ""}, "REQUIRED", "input.message", ""},
			{"set status CLOSED", "requestSetStatus", map[string]any{"requestID": r.ID, "status": "CLOSED"}, "INVALID_VALUE", "input.status", ""},
			{"title required", "requestCreate", map[string]any{"title": ""}, "REQUIRED", "input.title", ""},
			{"title too long", "requestCreate", map[string]any{"title": strings.Repeat("t", 301)}, "TOO_LONG", "input.title", ""},
			{"assignee not a user", "requestAssign", map[string]any{"requestID": r.ID, "assigneeID": r.ID}, "WRONG_TYPE", "input.assigneeID", ""},
			{"request unknown", "requestTriage", map[string]any{"requestID": encodeID(decodeID(t, r.ID) + 1000), "category": "OTHER", "priority": "P1"}, "NOT_FOUND", "input.requestID", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := rows()
				got, errs := api.call(tc.mutation, tc.input)
				if got != nil || len(errs) != 1 || errs[0].Code != tc.code || strings.Join(errs[0].Field, ".") != tc.field || !strings.Contains(errs[0].Message, tc.message) {
					t.Fatalf("got %+v, %+v; want %s at %s", got, errs, tc.code, tc.field)
				}
				if rows() != before {
					t.Error("a refused action changed the requests")
				}
			})
		}
		// The same assignment twice, the same status twice: one history entry each.
		uid := db.Client.User.Query().FirstIDX(sys)
		api.ok("requestAssign", map[string]any{"requestID": r.ID, "assigneeID": encodeID(uid)})
		api.ok("requestSetStatus", map[string]any{"requestID": r.ID, "status": "IN_PROGRESS"})
		before := rows()
		again := api.ok("requestAssign", map[string]any{"requestID": r.ID, "assigneeID": encodeID(uid)})
		api.ok("requestSetStatus", map[string]any{"requestID": r.ID, "status": "IN_PROGRESS"})
		if rows() != before || len(again.History) != 3 {
			t.Errorf("retries changed the request (%d history entries)", len(again.History))
		}
		// A keyed create retried returns the first request.
		q := `mutation($k: String) { requestCreate(input: {title: "Keyed"}, idempotencyKey: $k) { request { id } userErrors { code } } }`
		var first, second struct {
			RequestCreate struct{ Request struct{ ID string } }
		}
		srv.PostAs(api.token, q, map[string]any{"k": "k-1"}).MustData(t, &first)
		srv.PostAs(api.token, q, map[string]any{"k": "k-1"}).MustData(t, &second)
		if first.RequestCreate.Request.ID == "" || first.RequestCreate.Request.ID != second.RequestCreate.Request.ID {
			t.Errorf("keyed retry: %q then %q", first.RequestCreate.Request.ID, second.RequestCreate.Request.ID)
		}
	})
}

// The SLA fields of every seeded request read as the clock computes them
// from the request, agree with its status and stamps, and cost no SQL: a
// page of requests with them runs as many statements as without.
func TestRequestSLAOnSeededData(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	seedtest.EachDemo(t, now, func(t *testing.T, db *store.DB) {
		srv := apitest.NewAt(t, db, func() time.Time { return now })
		policy := sla.DefaultPolicy()
		ctx := viewer.System(context.Background(), "test")
		rows := map[string]*ent.Request{}
		for _, r := range db.Client.Request.Query().AllX(ctx) {
			rows[encodeID(r.ID)] = r
		}
		seen := map[string]int{}
		var after any
		for {
			var data struct {
				Requests struct {
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
					Edges []struct{ Node apiRequest }
				}
			}
			srv.Post(`query($after: Cursor) { requests(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { `+requestFields+` } } } }`,
				map[string]any{"after": after}).MustData(t, &data)
			for _, e := range data.Requests.Edges {
				n := e.Node
				r := rows[n.ID]
				st, err := requests.Evaluate(policy, r, now)
				if err != nil {
					t.Fatalf("%s: %v", n.Number, err)
				}
				var ttr *int64
				if st.TimeToResolution != nil {
					v := int64(*st.TimeToResolution / time.Second)
					ttr = &v
				}
				if n.ResponseSLAState != string(st.Response.State) || n.ResolutionSLAState != string(st.Resolution.State) ||
					n.SLAState != string(requests.Overall(st)) || n.SLAPaused != st.Paused || !sameInt(ttr, n.TimeToResolution) {
					t.Fatalf("%s: API %+v, clock %+v", n.Number, n, st)
				}
				seen[n.SLAState]++
				open := n.Status != "RESOLVED" && n.Status != "CLOSED"
				switch {
				case open && (n.TimeToResolution != nil || n.ResolutionSLAState == "MET" || n.ResolutionSLAState == "MET_LATE"):
					t.Fatalf("%s: open but resolution %s, %v", n.Number, n.ResolutionSLAState, n.TimeToResolution)
				case !open && (n.TimeToResolution == nil || n.ResolutionSLAState != "MET" && n.ResolutionSLAState != "MET_LATE"):
					t.Fatalf("%s: %s but resolution %s", n.Number, n.Status, n.ResolutionSLAState)
				case n.SLAPaused != (n.Status == "WAITING_ON_REQUESTER"):
					t.Fatalf("%s: %s, paused %v", n.Number, n.Status, n.SLAPaused)
				case n.FirstResponseAt != nil && n.ResponseSLAState != "MET" && n.ResponseSLAState != "MET_LATE":
					t.Fatalf("%s: answered but response %s", n.Number, n.ResponseSLAState)
				}
				// An unanswered NEW request: its response clock has run since
				// creation (24×7), independently of the history.
				if n.Status == "NEW" && n.FirstResponseAt == nil {
					target := policy.Targets[sla.Priority(n.Priority)].Response
					want := "ON_TRACK"
					switch left := target - now.Sub(r.CreatedAt); {
					case left < 0:
						want = "BREACHED"
					case 5*left < target:
						want = "AT_RISK"
					}
					if n.ResponseSLAState != want {
						t.Fatalf("%s: NEW since %s, response %s, want %s", n.Number, r.CreatedAt, n.ResponseSLAState, want)
					}
				}
			}
			if !data.Requests.PageInfo.HasNextPage {
				break
			}
			after = data.Requests.PageInfo.EndCursor
		}
		total := 0
		for _, n := range seen {
			total += n
		}
		if total != len(rows) || seen["BREACHED"] == 0 || seen["MET"] == 0 || seen["ON_TRACK"] == 0 {
			t.Fatalf("checked %d of %d requests, states %v: the demo data should have breached, met and on-track requests", total, len(rows), seen)
		}

		// SQL statements for a page of 20, with and without the SLA fields.
		statements := func(fields string) int64 {
			db.Counter.Reset()
			var data struct {
				Requests struct{ Edges []json.RawMessage }
			}
			srv.Post(`{ requests(first: 20, orderBy: {field: RESOLUTION_DUE_AT}) { edges { node { id number status `+fields+` } } } }`, nil).MustData(t, &data)
			if len(data.Requests.Edges) != 20 {
				t.Fatalf("%d requests", len(data.Requests.Edges))
			}
			return db.Counter.Count()
		}
		plain := statements("")
		withSLA := statements("responseSlaState resolutionSlaState slaState slaPaused timeToResolution history { actor }")
		t.Logf("%d requests, SLA states %v; SQL statements for 20: %d without the SLA fields, %d with", total, seen, plain, withSLA)
		if withSLA != plain {
			t.Errorf("%d SQL statements with the SLA fields, %d without", withSLA, plain)
		}
	})
}

// The configured SLA policy (targets and business hours) is the one the API
// applies.
func TestRequestSLAPolicyIsConfigurable(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	policy, err := sla.LoadPolicy(strings.NewReader(`{"targets": {"P1": {"response": "15m", "resolution": "2h"}},
		"calendar": {"timeZone": "UTC", "open": "09:00", "close": "17:00"}}`))
	if err != nil {
		t.Fatal(err)
	}
	friday := time.Date(2026, 6, 5, 16, 30, 0, 0, time.UTC)
	cfg := auth.Config{Secret: apitest.Secret}
	verifier, err := auth.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.Handler(server.Options{DB: db, Verifier: verifier, Introspection: true,
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return friday }, SLAPolicy: &policy}))
	defer ts.Close()
	db.Client.User.Create().SetEmail("ops@example.com").SetName("Ops").SaveX(viewer.System(context.Background(), "test"))
	tok, err := auth.Mint(cfg, auth.MintOptions{Subject: "ops@example.com", Roles: []string{viewer.RoleOpsManager}, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"query": `mutation { requestCreate(input: {title: "Down", priority: P1}) { request { responseDueAt resolutionDueAt } userErrors { code } } }`})
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data struct {
			RequestCreate struct {
				Request struct{ ResponseDueAt, ResolutionDueAt time.Time }
			}
		}
		Errors []json.RawMessage
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
		t.Fatalf("%v %s", err, out.Errors)
	}
	// Friday 16:30: 15 minutes to respond that day; of the 2h to resolve,
	// 30 minutes on Friday and 1h30 on Monday.
	got := out.Data.RequestCreate.Request
	if want := friday.Add(15 * time.Minute); !got.ResponseDueAt.Equal(want) {
		t.Errorf("responseDueAt %s, want %s", got.ResponseDueAt, want)
	}
	if want := time.Date(2026, 6, 8, 10, 30, 0, 0, time.UTC); !got.ResolutionDueAt.Equal(want) {
		t.Errorf("resolutionDueAt %s, want %s", got.ResolutionDueAt, want)
	}
}

func sameInt(a, b *int64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
