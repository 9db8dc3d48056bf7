package requests

import (
	"slices"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/request"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/sla"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC) // a Monday

// hist builds a history: each step is (offset, action, to status, priority).
type step struct {
	off    time.Duration
	action Action
	to     request.Status
	prio   string
}

func hist(steps ...step) []schematype.RequestEvent {
	var h []schematype.RequestEvent
	for i, s := range steps {
		e := schematype.RequestEvent{At: t0.Add(s.off), Action: string(s.action), Actor: "a@example.com", ToStatus: string(s.to), Priority: s.prio}
		if i > 0 {
			e.FromStatus = h[i-1].ToStatus
		}
		h = append(h, e)
	}
	return h
}

func kinds(evs []sla.Event) []string {
	var out []string
	for _, e := range evs {
		k := string(e.Kind)
		if e.Priority != "" {
			k += ":" + string(e.Priority)
		}
		out = append(out, k+"@"+e.At.Sub(t0).String())
	}
	return out
}

func TestEvents(t *testing.T) {
	const h = time.Hour
	for _, tc := range []struct {
		name string
		h    []schematype.RequestEvent
		want []string
	}{
		{"created", hist(step{0, ActionCreate, statusNew, "P3"}), []string{"CREATED:P3@0s"}},
		{"triage keeps the priority: no event", hist(
			step{0, ActionCreate, statusNew, "P3"},
			step{h, ActionTriage, statusTriaged, "P3"}),
			[]string{"CREATED:P3@0s"}},
		{"triage changes the priority", hist(
			step{0, ActionCreate, statusNew, "P3"},
			step{h, ActionTriage, statusTriaged, "P1"}),
			[]string{"CREATED:P3@0s", "PRIORITY_CHANGED:P1@1h0m0s"}},
		{"every response is one (the clock counts the first)", hist(
			step{0, ActionCreate, statusNew, "P2"},
			step{h, ActionRespond, statusNew, "P2"},
			step{2 * h, ActionRespond, statusNew, "P2"}),
			[]string{"CREATED:P2@0s", "FIRST_RESPONSE@1h0m0s", "FIRST_RESPONSE@2h0m0s"}},
		{"waiting pauses, leaving it resumes", hist(
			step{0, ActionCreate, statusNew, "P2"},
			step{h, ActionSetStatus, statusWaiting, "P2"},
			step{2 * h, ActionAssign, statusWaiting, "P2"},
			step{3 * h, ActionSetStatus, statusInProgress, "P2"}),
			[]string{"CREATED:P2@0s", "PAUSED@1h0m0s", "RESUMED@3h0m0s"}},
		{"resolving while waiting ends the pause", hist(
			step{0, ActionCreate, statusNew, "P2"},
			step{h, ActionSetStatus, statusWaiting, "P2"},
			step{2 * h, ActionResolve, statusResolved, "P2"}),
			[]string{"CREATED:P2@0s", "PAUSED@1h0m0s", "RESOLVED@2h0m0s"}},
		{"resolve, reopen, resolve, close", hist(
			step{0, ActionCreate, statusNew, "P4"},
			step{h, ActionResolve, statusResolved, "P4"},
			step{2 * h, ActionReopen, statusInProgress, "P4"},
			step{3 * h, ActionTriage, statusInProgress, "P1"},
			step{4 * h, ActionResolve, statusResolved, "P1"},
			step{5 * h, ActionClose, statusClosed, "P1"}),
			[]string{"CREATED:P4@0s", "RESOLVED@1h0m0s", "REOPENED@2h0m0s", "PRIORITY_CHANGED:P1@3h0m0s", "RESOLVED@4h0m0s", "CLOSED@5h0m0s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := kinds(Events(tc.h))
			if !slices.Equal(got, tc.want) {
				t.Errorf("events %v\nwant   %v", got, tc.want)
			}
			// Every history the actions can write is one the clock accepts.
			if _, err := sla.Evaluate(sla.DefaultPolicy(), Events(tc.h), t0.Add(10*h)); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestOverall(t *testing.T) {
	on, risk, br, met, late := sla.StateOnTrack, sla.StateAtRisk, sla.StateBreached, sla.StateMet, sla.StateMetLate
	for _, tc := range []struct{ resp, res, want sla.State }{
		{met, on, on},
		{met, met, met},
		{late, on, late},
		{late, risk, risk},
		{met, br, br},
		{br, risk, br},
		{late, met, late},
		{on, on, on},
	} {
		st := sla.Status{Response: sla.Clock{State: tc.resp}, Resolution: sla.Clock{State: tc.res}}
		if got := Overall(st); got != tc.want {
			t.Errorf("Overall(%s, %s) = %s, want %s", tc.resp, tc.res, got, tc.want)
		}
	}
}

// A request stored without a history is evaluated from its timestamps.
func TestHistoryReconstructed(t *testing.T) {
	const h = time.Hour
	at := func(d time.Duration) *time.Time { v := t0.Add(d); return &v }
	for _, tc := range []struct {
		name string
		r    ent.Request
		want []string
		resp sla.State
		res  sla.State
	}{
		{"new, unanswered", ent.Request{Status: statusNew, Priority: request.PriorityP2, CreatedAt: t0, UpdatedAt: t0},
			[]string{"CREATED:P2@0s"}, sla.StateBreached, sla.StateOnTrack},
		{"in progress, answered in time", ent.Request{Status: statusInProgress, Priority: request.PriorityP2, CreatedAt: t0, UpdatedAt: t0.Add(2 * h), FirstResponseAt: at(2 * h)},
			[]string{"CREATED:P2@0s", "FIRST_RESPONSE@2h0m0s"}, sla.StateMet, sla.StateOnTrack},
		{"waiting since its last change", ent.Request{Status: statusWaiting, Priority: request.PriorityP2, CreatedAt: t0, UpdatedAt: t0.Add(h), FirstResponseAt: at(h)},
			[]string{"CREATED:P2@0s", "FIRST_RESPONSE@1h0m0s", "PAUSED@1h0m0s"}, sla.StateMet, sla.StateOnTrack},
		{"closed", ent.Request{Status: statusClosed, Priority: request.PriorityP1, CreatedAt: t0, UpdatedAt: t0.Add(30 * h), FirstResponseAt: at(2 * h), ResolvedAt: at(5 * h), ResolutionNotes: "done"},
			[]string{"CREATED:P1@0s", "FIRST_RESPONSE@2h0m0s", "RESOLVED@5h0m0s", "CLOSED@30h0m0s"}, sla.StateMetLate, sla.StateMet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := kinds(Events(History(&tc.r))); !slices.Equal(got, tc.want) {
				t.Errorf("events %v\nwant   %v", got, tc.want)
			}
			st, err := Evaluate(sla.DefaultPolicy(), &tc.r, t0.Add(5*h))
			if err != nil {
				t.Fatal(err)
			}
			if st.Response.State != tc.resp || st.Resolution.State != tc.res {
				t.Errorf("states %s/%s, want %s/%s", st.Response.State, st.Resolution.State, tc.resp, tc.res)
			}
		})
	}
}

// A clock behind the last action (another instance's) evaluates at that
// action instead of failing.
func TestEvaluateClockBehind(t *testing.T) {
	r := &ent.Request{History: hist(step{0, ActionCreate, statusNew, "P1"}, step{time.Hour, ActionRespond, statusNew, "P1"})}
	st, err := Evaluate(sla.DefaultPolicy(), r, t0)
	if err != nil {
		t.Fatal(err)
	}
	if st.Response.State != sla.StateMet || st.Resolution.Elapsed != time.Hour {
		t.Fatalf("%+v", st)
	}
}
