package requests

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/auditevent"
	"github.com/opsgraph/opsgraph/ent/request"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/clocktest"
	"github.com/opsgraph/opsgraph/internal/sla"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/usererr"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// clock is a test clock the test advances.
const opsEmail = "ops@example.com"

type fixture struct {
	db                    *store.DB
	svc                   *Service
	clock                 *clocktest.Clock
	ops, ops2, inactive   *ent.User
	acc, other            *ent.Account
	orderOfAcc, orderElse *ent.Order
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	sys := viewer.System(context.Background(), "test")
	c := db.Client
	f := &fixture{db: db, clock: clocktest.New(t0)}
	f.svc = New(c, f.clock.Now, sla.DefaultPolicy())
	f.ops = c.User.Create().SetEmail(opsEmail).SetName("Ops").SaveX(sys)
	f.ops2 = c.User.Create().SetEmail("ops2@example.com").SetName("Ops Two").SaveX(sys)
	f.inactive = c.User.Create().SetEmail("gone@example.com").SetName("Gone").SetActive(false).SaveX(sys)
	f.acc = c.Account.Create().SetName("A").SetSegment("SMB").SetRegion(schematype.RegionNA).SaveX(sys)
	f.other = c.Account.Create().SetName("B").SetSegment("SMB").SetRegion(schematype.RegionNA).SaveX(sys)
	f.orderOfAcc = c.Order.Create().SetNumber("O-1").SetAccount(f.acc).SaveX(sys)
	f.orderElse = c.Order.Create().SetNumber("O-2").SetAccount(f.other).SaveX(sys)
	return f
}

// ops is the context of an OPS_MANAGER with a user record.
func ops() context.Context {
	return viewer.NewContext(context.Background(), &viewer.Viewer{Subject: opsEmail, Roles: []string{viewer.RoleOpsManager}})
}

// must returns the request of a successful action.
func must(t *testing.T) func(r *ent.Request, errs usererr.List, err error) *ent.Request {
	return func(r *ent.Request, errs usererr.List, err error) *ent.Request {
		t.Helper()
		if err != nil || !errs.Empty() {
			t.Fatalf("action failed: %v %v", errs, err)
		}
		return r
	}
}

func (f *fixture) create(t *testing.T, priority request.Priority) *ent.Request {
	t.Helper()
	return must(t)(f.svc.Create(ops(), CreateInput{Title: "Fix the data", Priority: &priority, AccountID: &f.acc.ID}, nil))
}

// inStatus drives a new request to status through the actions.
func (f *fixture) inStatus(t *testing.T, status request.Status) *ent.Request {
	t.Helper()
	ctx := ops()
	r := f.create(t, request.PriorityP3)
	steps := map[request.Status][]func(id int) (*ent.Request, usererr.List, error){
		statusTriaged:    {f.triage},
		statusInProgress: {f.triage, f.setStatus(statusInProgress)},
		statusWaiting:    {f.triage, f.setStatus(statusWaiting)},
		statusResolved:   {f.triage, f.resolve("done.")},
		statusClosed: {f.triage, f.resolve("done."), func(id int) (*ent.Request, usererr.List, error) {
			return f.svc.Close(ctx, id, nil)
		}},
	}[status]
	for _, s := range steps {
		f.clock.Advance(time.Minute)
		r = must(t)(s(r.ID))
	}
	if r.Status != status {
		t.Fatalf("fixture: %s, want %s", r.Status, status)
	}
	return r
}

func (f *fixture) triage(id int) (*ent.Request, usererr.List, error) {
	return f.svc.Triage(ops(), id, request.CategoryDATA_FIX, request.PriorityP3, nil)
}

func (f *fixture) setStatus(s request.Status) func(int) (*ent.Request, usererr.List, error) {
	return func(id int) (*ent.Request, usererr.List, error) { return f.svc.SetStatus(ops(), id, s, nil) }
}

func (f *fixture) resolve(notes string) func(int) (*ent.Request, usererr.List, error) {
	return func(id int) (*ent.Request, usererr.List, error) { return f.svc.Resolve(ops(), id, notes) }
}

// snapshot is the stored row and the request's audit events.
func (f *fixture) snapshot(t *testing.T, id int) string {
	t.Helper()
	sys := viewer.System(context.Background(), "test")
	r := f.db.Client.Request.GetX(sys, id)
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	n := f.db.Client.AuditEvent.Query().Where(auditevent.EntityID(id)).CountX(sys)
	return fmt.Sprintf("%s audit=%d", raw, n)
}

// Every action from every status: an allowed one moves the request as the
// state machine says and appends exactly one history entry (and one audit
// event); a refused one fails with INVALID_TRANSITION naming the status and
// changes nothing. The inputs differ from what the request holds, so no
// allowed action is a no-op; closing a CLOSED request is (a retry).
func TestEveryStatusAndAction(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := ops()
		calls := map[Action]func(r *ent.Request) (*ent.Request, usererr.List, error){
			ActionTriage: func(r *ent.Request) (*ent.Request, usererr.List, error) {
				return f.svc.Triage(ctx, r.ID, request.CategoryREPORT, request.PriorityP1, ptr("urgent after all"))
			},
			ActionAssign: func(r *ent.Request) (*ent.Request, usererr.List, error) {
				return f.svc.Assign(ctx, r.ID, f.ops2.ID, nil)
			},
			ActionRespond: func(r *ent.Request) (*ent.Request, usererr.List, error) {
				return f.svc.Respond(ctx, r.ID, "Looking into it.")
			},
			ActionSetStatus: func(r *ent.Request) (*ent.Request, usererr.List, error) {
				to := statusInProgress
				if r.Status == statusInProgress {
					to = statusWaiting
				}
				return f.svc.SetStatus(ctx, r.ID, to, nil)
			},
			ActionResolve: func(r *ent.Request) (*ent.Request, usererr.List, error) {
				return f.svc.Resolve(ctx, r.ID, "Fixed the record.")
			},
			ActionReopen: func(r *ent.Request) (*ent.Request, usererr.List, error) {
				return f.svc.Reopen(ctx, r.ID, ptr("not fixed"))
			},
			ActionClose: func(r *ent.Request) (*ent.Request, usererr.List, error) { return f.svc.Close(ctx, r.ID, nil) },
		}
		for _, from := range Statuses {
			for _, a := range Actions {
				t.Run(string(from)+"/"+string(a), func(t *testing.T) {
					r := f.inStatus(t, from)
					f.clock.Advance(time.Minute)
					before := f.snapshot(t, r.ID)
					audits := func() int {
						return db.Client.AuditEvent.Query().Where(auditevent.EntityID(r.ID), auditevent.Action(string(a))).CountX(viewer.System(ctx, "t"))
					}
					auditsBefore := audits()
					got, errs, err := calls[a](r)
					if err != nil {
						t.Fatal(err)
					}
					want, terr := Next(from, a, map[bool]request.Status{true: statusWaiting, false: statusInProgress}[from == statusInProgress])
					switch {
					case terr == nil:
						if !errs.Empty() {
							t.Fatalf("allowed action failed: %v", errs)
						}
						if got.Status != want || len(got.History) != len(r.History)+1 {
							t.Fatalf("status %s (want %s), %d history entries after %d", got.Status, want, len(got.History), len(r.History))
						}
						e := got.History[len(got.History)-1]
						if e.Action != string(a) || e.Actor != opsEmail || e.FromStatus != string(from) || e.ToStatus != string(want) || !e.At.Equal(f.clock.Now()) {
							t.Errorf("history entry %+v", e)
						}
						if n := audits() - auditsBefore; n != 1 {
							t.Errorf("%d audit events for the action", n)
						}
					case a == ActionClose && from == statusClosed: // a retry: already done
						if !errs.Empty() || got == nil || got.Status != statusClosed {
							t.Fatalf("closing a closed request: %v %v", got, errs)
						}
						if f.snapshot(t, r.ID) != before {
							t.Error("a no-op retry changed the request")
						}
					default:
						refused(t, got, errs, usererr.InvalidTransition, "input.requestID")
						if !strings.Contains(errs[0].Message, string(from)) {
							t.Errorf("userError %q does not name the status %s", errs[0].Message, from)
						}
						if f.snapshot(t, r.ID) != before {
							t.Error("a refused action changed the request")
						}
					}
				})
			}
		}
	})
}

// Retrying an action whose effect is in place succeeds and writes nothing.
func TestRetriesAreNoOps(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := ops()
		r := f.create(t, request.PriorityP2)
		id := r.ID
		for _, tc := range []struct {
			name   string
			call   func() (*ent.Request, usererr.List, error)
			status request.Status
		}{
			{"triage", func() (*ent.Request, usererr.List, error) {
				return f.svc.Triage(ctx, id, request.CategoryACCESS, request.PriorityP1, nil)
			}, statusTriaged},
			{"assign", func() (*ent.Request, usererr.List, error) { return f.svc.Assign(ctx, id, f.ops2.ID, ptr("yours")) }, statusTriaged},
			{"respond", func() (*ent.Request, usererr.List, error) { return f.svc.Respond(ctx, id, "On it.") }, statusTriaged},
			{"set status", func() (*ent.Request, usererr.List, error) { return f.svc.SetStatus(ctx, id, statusInProgress, nil) }, statusInProgress},
			{"resolve", func() (*ent.Request, usererr.List, error) { return f.svc.Resolve(ctx, id, "Granted.") }, statusResolved},
			{"reopen", func() (*ent.Request, usererr.List, error) { return f.svc.Reopen(ctx, id, nil) }, statusInProgress},
			{"resolve again", func() (*ent.Request, usererr.List, error) { return f.svc.Resolve(ctx, id, " Granted again. ") }, statusResolved},
			{"close", func() (*ent.Request, usererr.List, error) { return f.svc.Close(ctx, id, nil) }, statusClosed},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f.clock.Advance(time.Minute)
				first := must(t)(tc.call())
				if first.Status != tc.status {
					t.Fatalf("status %s, want %s", first.Status, tc.status)
				}
				before := f.snapshot(t, id)
				f.clock.Advance(time.Minute)
				again := must(t)(tc.call())
				if again.Status != tc.status || len(again.History) != len(first.History) {
					t.Fatalf("retry: status %s, %d history entries (first %d)", again.Status, len(again.History), len(first.History))
				}
				if f.snapshot(t, id) != before {
					t.Error("the retry changed the request")
				}
			})
		}
		// The same response from someone else, or another response, is recorded.
		r2 := f.create(t, request.PriorityP2)
		must(t)(f.svc.Respond(ctx, r2.ID, "Hello"))
		must(t)(f.svc.Respond(viewer.NewContext(context.Background(), &viewer.Viewer{Subject: "ops2@example.com", Roles: []string{viewer.RoleOpsAnalyst}}), r2.ID, "Hello"))
		r2 = must(t)(f.svc.Respond(ctx, r2.ID, "Hello again"))
		if len(r2.History) != 4 {
			t.Errorf("%d history entries, want 4", len(r2.History))
		}
		// Resolving a resolved request with other notes is refused.
		r3 := f.inStatus(t, statusResolved)
		_, errs, err := f.svc.Resolve(ctx, r3.ID, "other notes")
		if err != nil || !errs.Has(usererr.InvalidTransition) {
			t.Errorf("resolve with other notes: %v %v", errs, err)
		}
	})
}

func TestCreate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		noUser := viewer.NewContext(context.Background(), &viewer.Viewer{Subject: "stranger@example.com", Roles: []string{viewer.RoleSupport}})
		service := viewer.NewContext(context.Background(), &viewer.Viewer{Subject: "svc-crm", Roles: []string{viewer.RoleIntegration}, Scopes: []string{"requests:write"}})
		p1, report := request.PriorityP1, request.CategoryREPORT
		missingUser := f.inactive.ID + 1000
		for _, tc := range []struct {
			name  string
			ctx   context.Context
			in    CreateInput
			code  usererr.Code
			field string
			check func(t *testing.T, r *ent.Request)
		}{
			{"defaults, the caller requests", ops(), CreateInput{Title: "  Need a report  "}, "", "", func(t *testing.T, r *ent.Request) {
				if r.Title != "Need a report" || r.Category != request.CategoryOTHER || r.Priority != request.PriorityP3 || r.Status != statusNew || r.RequesterID != f.ops.ID {
					t.Errorf("%+v", r)
				}
				if !strings.HasPrefix(r.Number, "REQ-") || len(r.Number) != 14 {
					t.Errorf("number %q", r.Number)
				}
				if !r.CreatedAt.Equal(t0) || !r.ResponseDueAt.Equal(t0.Add(8*time.Hour)) || !r.ResolutionDueAt.Equal(t0.Add(72*time.Hour)) {
					t.Errorf("created %s, due %s / %s", r.CreatedAt, r.ResponseDueAt, r.ResolutionDueAt)
				}
				if len(r.History) != 1 || r.History[0].Action != string(ActionCreate) || r.History[0].Actor != opsEmail || r.History[0].FromStatus != "" || r.History[0].Priority != "P3" {
					t.Errorf("history %+v", r.History)
				}
			}},
			{"everything", ops(), CreateInput{Title: "T", Description: ptr("why"), Category: &report, Priority: &p1, AccountID: &f.acc.ID, OrderID: &f.orderOfAcc.ID, RequesterID: &f.ops2.ID}, "", "", func(t *testing.T, r *ent.Request) {
				if *r.AccountID != f.acc.ID || *r.OrderID != f.orderOfAcc.ID || r.RequesterID != f.ops2.ID || r.Category != report || r.Priority != p1 || r.Description != "why" {
					t.Errorf("%+v", r)
				}
				if !r.ResponseDueAt.Equal(t0.Add(time.Hour)) || !r.ResolutionDueAt.Equal(t0.Add(8*time.Hour)) {
					t.Errorf("due %s / %s", r.ResponseDueAt, r.ResolutionDueAt)
				}
			}},
			{"an order gives its account", ops(), CreateInput{Title: "T", OrderID: &f.orderElse.ID}, "", "", func(t *testing.T, r *ent.Request) {
				if r.AccountID == nil || *r.AccountID != f.other.ID {
					t.Errorf("account %v", r.AccountID)
				}
			}},
			{"a service names the requester", service, CreateInput{Title: "T", RequesterID: &f.ops.ID}, "", "", func(t *testing.T, r *ent.Request) {
				if r.RequesterID != f.ops.ID || r.History[0].Actor != "svc-crm" {
					t.Errorf("%+v", r)
				}
			}},
			{"a seed keeps its numbering", ops(), CreateInput{Title: "T", Number: "R-000001"}, "", "", func(t *testing.T, r *ent.Request) {
				if r.Number != "R-000001" {
					t.Errorf("number %q", r.Number)
				}
			}},
			{"title required", ops(), CreateInput{Title: "   "}, usererr.Required, "input.title", nil},
			{"title too long", ops(), CreateInput{Title: strings.Repeat("x", MaxTitle+1)}, usererr.TooLong, "input.title", nil},
			{"description too long", ops(), CreateInput{Title: "T", Description: ptr(strings.Repeat("x", MaxText+1))}, usererr.TooLong, "input.description", nil},
			{"bad priority", ops(), CreateInput{Title: "T", Priority: ptr(request.Priority("P9"))}, usererr.InvalidValue, "input.priority", nil},
			{"account of the wrong type", ops(), CreateInput{Title: "T", AccountID: &f.ops.ID}, usererr.WrongType, "input.accountID", nil},
			{"unknown requester", ops(), CreateInput{Title: "T", RequesterID: &missingUser}, usererr.NotFound, "input.requesterID", nil},
			{"order of another account", ops(), CreateInput{Title: "T", AccountID: &f.acc.ID, OrderID: &f.orderElse.ID}, usererr.InvalidValue, "input.orderID", nil},
			{"a service must name the requester", service, CreateInput{Title: "T"}, usererr.Required, "input.requesterID", nil},
			{"a caller with no user must name the requester", noUser, CreateInput{Title: "T"}, usererr.Required, "input.requesterID", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := db.Client.Request.Query().CountX(context.Background())
				r, errs, err := f.svc.Create(tc.ctx, tc.in, nil)
				if err != nil {
					t.Fatal(err)
				}
				if tc.code == "" {
					if !errs.Empty() {
						t.Fatalf("userErrors %v", errs)
					}
					tc.check(t, r)
					return
				}
				refused(t, r, errs, tc.code, tc.field)
				if n := db.Client.Request.Query().CountX(context.Background()); n != before {
					t.Error("a refused create made a request")
				}
			})
		}
	})
}

func TestCreateWithKey(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := ops()
		in := CreateInput{Title: "Access for Dana", AccountID: &f.acc.ID}
		key := "intake-42"
		a := must(t)(f.svc.Create(ctx, in, &key))
		f.clock.Advance(time.Minute)
		b := must(t)(f.svc.Create(ctx, in, &key))
		if a.ID != b.ID || a.Number != b.Number {
			t.Fatalf("retry made another request: %d %d", a.ID, b.ID)
		}
		in.Title = "Access for Dana and Lee"
		if _, errs, err := f.svc.Create(ctx, in, &key); err != nil || !errs.Has(usererr.IdempotencyKeyReused) {
			t.Fatalf("other input under the key: %v %v", errs, err)
		}
		if n := db.Client.Request.Query().CountX(ctx); n != 1 {
			t.Fatalf("%d requests", n)
		}
		// Concurrent retries make one request.
		key2 := "intake-43"
		var wg sync.WaitGroup
		ids := make([]int, 6)
		for i := range ids {
			wg.Go(func() {
				r, errs, err := f.svc.Create(ctx, in, &key2)
				if err != nil || !errs.Empty() {
					t.Errorf("concurrent create: %v %v", errs, err)
					return
				}
				ids[i] = r.ID
			})
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("concurrent retries made several requests: %v", ids)
			}
		}
	})
}

func TestActionValidation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := ops()
		r := f.create(t, request.PriorityP3)
		missingUser := f.inactive.ID + 1000
		for _, tc := range []struct {
			name  string
			call  func() (*ent.Request, usererr.List, error)
			code  usererr.Code
			field string
		}{
			{"assignee unknown", func() (*ent.Request, usererr.List, error) { return f.svc.Assign(ctx, r.ID, missingUser, nil) }, usererr.NotFound, "input.assigneeID"},
			{"assignee not a user", func() (*ent.Request, usererr.List, error) { return f.svc.Assign(ctx, r.ID, f.acc.ID, nil) }, usererr.WrongType, "input.assigneeID"},
			{"assignee inactive", func() (*ent.Request, usererr.List, error) { return f.svc.Assign(ctx, r.ID, f.inactive.ID, nil) }, usererr.InvalidValue, "input.assigneeID"},
			{"note too long", func() (*ent.Request, usererr.List, error) {
				return f.svc.Assign(ctx, r.ID, f.ops.ID, ptr(strings.Repeat("n", MaxNote+1)))
			}, usererr.TooLong, "input.note"},
			{"respond without a message", func() (*ent.Request, usererr.List, error) { return f.svc.Respond(ctx, r.ID, " ") }, usererr.Required, "input.message"},
			{"resolve without notes", func() (*ent.Request, usererr.List, error) { return f.svc.Resolve(ctx, r.ID, "") }, usererr.Required, "input.resolutionNotes"},
			{"set status RESOLVED", func() (*ent.Request, usererr.List, error) { return f.svc.SetStatus(ctx, r.ID, statusResolved, nil) }, usererr.InvalidValue, "input.status"},
			{"set status NEW", func() (*ent.Request, usererr.List, error) { return f.svc.SetStatus(ctx, r.ID, statusNew, nil) }, usererr.InvalidValue, "input.status"},
			{"triage with a bad category", func() (*ent.Request, usererr.List, error) {
				return f.svc.Triage(ctx, r.ID, "NOPE", request.PriorityP1, nil)
			}, usererr.InvalidValue, "input.category"},
			{"request of the wrong type", func() (*ent.Request, usererr.List, error) { return f.svc.Close(ctx, f.acc.ID, nil) }, usererr.WrongType, "input.requestID"},
			{"request unknown", func() (*ent.Request, usererr.List, error) { return f.svc.Close(ctx, r.ID+1000, nil) }, usererr.NotFound, "input.requestID"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := f.snapshot(t, r.ID)
				got, errs, err := tc.call()
				if err != nil {
					t.Fatal(err)
				}
				refused(t, got, errs, tc.code, tc.field)
				if f.snapshot(t, r.ID) != before {
					t.Error("a refused action changed the request")
				}
			})
		}
	})
}

// The stored due instants follow the clock: set at creation, cleared while
// paused or stopped, moved by the paused time, by a priority change and by
// a reopen.
func TestStoredDueInstants(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := ops()
		const h = time.Hour
		r := f.create(t, request.PriorityP2)
		due := func(r *ent.Request, resp, res *time.Duration) {
			t.Helper()
			for _, c := range []struct {
				name string
				got  *time.Time
				want *time.Duration
			}{{"response", r.ResponseDueAt, resp}, {"resolution", r.ResolutionDueAt, res}} {
				switch {
				case c.want == nil && c.got != nil:
					t.Errorf("%s due %s, want none", c.name, c.got)
				case c.want != nil && (c.got == nil || !c.got.Equal(t0.Add(*c.want))):
					t.Errorf("%s due %v, want t0+%s", c.name, c.got, *c.want)
				}
			}
			// What is stored is what a read computes.
			st, err := Evaluate(f.svc.policy, db.Client.Request.GetX(ctx, r.ID), f.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if !sameTime(st.Response.DueAt, r.ResponseDueAt) || !sameTime(st.Resolution.DueAt, r.ResolutionDueAt) {
				t.Errorf("evaluated due %v / %v, stored %v / %v", st.Response.DueAt, st.Resolution.DueAt, r.ResponseDueAt, r.ResolutionDueAt)
			}
			// So are the outcomes the reports count.
			str := func(b *bool) string { return fmt.Sprint(b != nil && *b, b == nil) }
			if str(met(st.Response)) != str(r.ResponseMet) || str(met(st.Resolution)) != str(r.ResolutionMet) ||
				r.ResponseBreached != (st.Response.State == sla.StateBreached) || r.ResolutionBreached != (st.Resolution.State == sla.StateBreached) {
				t.Errorf("stored outcomes met %v/%v breached %v/%v, evaluated %+v", r.ResponseMet, r.ResolutionMet, r.ResponseBreached, r.ResolutionBreached, st)
			}
		}
		d := func(v time.Duration) *time.Duration { return &v }
		due(r, d(4*h), d(24*h))
		f.clock.Advance(h)
		r = must(t)(f.svc.SetStatus(ctx, r.ID, statusWaiting, nil))
		due(r, nil, nil)
		f.clock.Advance(2 * h)
		r = must(t)(f.svc.SetStatus(ctx, r.ID, statusInProgress, nil))
		due(r, d(6*h), d(26*h))
		f.clock.Advance(h) // 4h in, 2h of it running
		r = must(t)(f.svc.Triage(ctx, r.ID, request.CategoryOTHER, request.PriorityP1, nil))
		// P1: the 1h response target was reached at t0+1h (breached); 6h of
		// the 8h resolution target remain.
		due(r, d(h), d(10*h))
		if !r.ResponseBreached || r.ResponseMet != nil {
			t.Errorf("response breached %v met %v", r.ResponseBreached, r.ResponseMet)
		}
		r = must(t)(f.svc.Respond(ctx, r.ID, "Working on it"))
		due(r, nil, d(10*h))
		if r.ResponseMet == nil || *r.ResponseMet || r.ResponseBreached {
			t.Errorf("late response: met %v breached %v", r.ResponseMet, r.ResponseBreached)
		}
		if r.FirstResponseAt == nil || !r.FirstResponseAt.Equal(t0.Add(4*h)) {
			t.Errorf("first response %v", r.FirstResponseAt)
		}
		f.clock.Advance(h)
		r = must(t)(f.svc.Resolve(ctx, r.ID, "Done"))
		due(r, nil, nil)
		if r.ResolutionMet == nil || !*r.ResolutionMet {
			t.Errorf("resolution met %v", r.ResolutionMet)
		}
		if r.ResolvedAt == nil || !r.ResolvedAt.Equal(t0.Add(5*h)) || r.ResolutionNotes != "Done" {
			t.Errorf("resolved %v %q", r.ResolvedAt, r.ResolutionNotes)
		}
		f.clock.Advance(10 * h)
		r = must(t)(f.svc.Reopen(ctx, r.ID, nil))
		// 3h ran before resolving; 5h of the 8h P1 target remain from t0+15h.
		due(r, nil, d(20*h))
		if r.ResolvedAt != nil || r.ResolutionNotes != "" {
			t.Errorf("reopened but resolved %v %q", r.ResolvedAt, r.ResolutionNotes)
		}
	})
}

// Concurrent actions on one request apply one after the other: none is lost.
func TestConcurrentActions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		r := f.create(t, request.PriorityP3)
		const n = 8
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				if _, errs, err := f.svc.Respond(ops(), r.ID, fmt.Sprintf("message %d", i)); err != nil || !errs.Empty() {
					t.Errorf("respond: %v %v", errs, err)
				}
			})
		}
		wg.Wait()
		if got := db.Client.Request.GetX(ops(), r.ID); len(got.History) != n+1 {
			t.Fatalf("%d history entries, want %d", len(got.History), n+1)
		}
	})
}

// refused checks that an action failed with exactly one userError, of code
// at the field path, and returned no request.
func refused(t *testing.T, r *ent.Request, errs usererr.List, code usererr.Code, field string) {
	t.Helper()
	if r != nil || len(errs) != 1 || errs[0].Code != code || strings.Join(errs[0].Field, ".") != field {
		t.Fatalf("got %v, %v; want one %s at %s", r, errs, code, field)
	}
}

func ptr[T any](v T) *T { return &v }

func sameTime(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}
