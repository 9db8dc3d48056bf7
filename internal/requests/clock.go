package requests

import (
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/request"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/sla"
)

// BackfillActor is the actor of the history entries reconstructed for a
// request stored without a history (see History).
const BackfillActor = "system:backfill"

// History returns r's timeline. A request stored without one (written
// before requests kept a history) gets one reconstructed from its
// timestamps: created, first response, its current status as of its last
// change, resolved and closed.
func History(r *ent.Request) []schematype.RequestEvent {
	if len(r.History) > 0 {
		return r.History
	}
	h := []schematype.RequestEvent{{At: r.CreatedAt, Action: string(ActionCreate), Actor: BackfillActor,
		ToStatus: string(statusNew), Priority: string(r.Priority)}}
	add := func(at time.Time, a Action, to request.Status, note string) {
		last := h[len(h)-1]
		if at.Before(last.At) {
			at = last.At
		}
		h = append(h, schematype.RequestEvent{At: at, Action: string(a), Actor: BackfillActor,
			FromStatus: last.ToStatus, ToStatus: string(to), Priority: string(r.Priority), Note: note})
	}
	if r.FirstResponseAt != nil {
		add(*r.FirstResponseAt, ActionRespond, statusNew, "")
	}
	switch r.Status {
	case statusTriaged, statusInProgress, statusWaiting:
		add(r.UpdatedAt, ActionSetStatus, r.Status, "")
	case statusResolved, statusClosed:
		at := r.UpdatedAt
		if r.ResolvedAt != nil {
			at = *r.ResolvedAt
		}
		add(at, ActionResolve, statusResolved, r.ResolutionNotes)
		if r.Status == statusClosed {
			add(r.UpdatedAt, ActionClose, statusClosed, "")
		}
	}
	return h
}

// Events derives the SLA clock's events from a request's history:
//
//   - the first entry (the creation) is CREATED with its priority;
//   - an entry whose priority differs from the previous one's is
//     PRIORITY_CHANGED;
//   - requestRespond is FIRST_RESPONSE (the clock counts only the first);
//   - entering RESOLVED is RESOLVED (which also ends a pause), leaving it
//     for an open status REOPENED, entering CLOSED CLOSED;
//   - otherwise entering WAITING_ON_REQUESTER is PAUSED and leaving it
//     RESUMED.
func Events(h []schematype.RequestEvent) []sla.Event {
	out := make([]sla.Event, 0, len(h)+2)
	for i, e := range h {
		if i == 0 {
			out = append(out, sla.Event{At: e.At, Kind: sla.EventCreated, Priority: sla.Priority(e.Priority)})
			continue
		}
		prev := h[i-1]
		if e.Priority != prev.Priority {
			out = append(out, sla.Event{At: e.At, Kind: sla.EventPriorityChanged, Priority: sla.Priority(e.Priority)})
		}
		if Action(e.Action) == ActionRespond {
			out = append(out, sla.Event{At: e.At, Kind: sla.EventFirstResponse})
		}
		from, to := request.Status(e.FromStatus), request.Status(e.ToStatus)
		if from == "" {
			from = request.Status(prev.ToStatus)
		}
		var kind sla.EventKind
		switch {
		case from == to:
		case to == statusResolved:
			kind = sla.EventResolved
		case to == statusClosed:
			kind = sla.EventClosed
		case from == statusResolved:
			kind = sla.EventReopened
			if to == statusWaiting {
				out = append(out, sla.Event{At: e.At, Kind: kind})
				kind = sla.EventPaused
			}
		case to == statusWaiting:
			kind = sla.EventPaused
		case from == statusWaiting:
			kind = sla.EventResumed
		}
		if kind != "" {
			out = append(out, sla.Event{At: e.At, Kind: kind})
		}
	}
	return out
}

// Evaluate computes r's SLA clocks at now under policy, from its history.
// An instant before the last entry of the history (another instance's
// clock running ahead) counts as that entry's instant.
func Evaluate(policy sla.Policy, r *ent.Request, now time.Time) (sla.Status, error) {
	return evaluate(policy, History(r), now)
}

func evaluate(policy sla.Policy, h []schematype.RequestEvent, now time.Time) (sla.Status, error) {
	if n := len(h); n > 0 && now.Before(h[n-1].At) {
		now = h[n-1].At
	}
	return sla.Evaluate(policy, Events(h), now)
}

// severity orders the SLA states for Overall, worst first.
var severity = []sla.State{sla.StateBreached, sla.StateAtRisk, sla.StateMetLate, sla.StateOnTrack, sla.StateMet}

// Overall is a request's SLA state: the worse of its response and
// resolution clocks (BREACHED, AT_RISK, MET_LATE, ON_TRACK, MET in that
// order).
func Overall(st sla.Status) sla.State {
	for _, s := range severity {
		if st.Response.State == s || st.Resolution.State == s {
			return s
		}
	}
	return st.Resolution.State
}
