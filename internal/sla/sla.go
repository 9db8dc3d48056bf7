// Package sla implements the SLA clock of the CS Ops request queue. It is a
// pure domain component (no I/O): given a Policy, a request's event history and
// the current instant, Evaluate computes the state of the response and
// resolution clocks. The model follows ServiceNow SLA conditions (pause
// conditions, business schedules), Zendesk per-priority targets (first reply
// time, resolution time, paused while pending on the requester) and Chatwoot's
// applied-SLA states.
//
// # Business time
//
// All durations are business time under Policy.Calendar (see Calendar); a nil
// Calendar means 24×7, i.e. business time equals wall time. Intervals are
// half-open: a clock that runs over [s, e) accrues Calendar.Between(s, e).
//
// # Events
//
// A history is a slice of Event sorted by At (non-decreasing; equal instants
// are applied in slice order). The first event must be EventCreated; events
// may not lie after now. Rules (violations return an error wrapping
// ErrInvalidHistory):
//
//   - EventCreated: exactly once, first; carries the initial Priority.
//   - EventPriorityChanged: carries the new Priority; allowed until Closed.
//   - EventPaused: the request entered WAITING_ON_REQUESTER; only while open
//     (not resolved) and not already paused.
//   - EventResumed: left WAITING_ON_REQUESTER; only while paused.
//   - EventFirstResponse: the first one stops the response clock; later ones
//     are ignored. Allowed in any state before Closed.
//   - EventResolved: only while open; implicitly ends a pause.
//   - EventReopened: only while resolved (and not closed).
//   - EventClosed: only while resolved; terminal, no event may follow.
//
// Priorities in Created/PriorityChanged must have targets in the policy.
//
// # Clocks
//
// Response clock: starts at Created and runs until the first FirstResponse
// (the stop instant). It does not run while paused. If the request is
// Resolved before any FirstResponse, the resolution counts as the response
// and stops the response clock at that instant.
//
// Resolution clock: starts at Created and runs until Resolved; it does not run
// while paused. Reopened makes it run again from the reopen instant, adding to
// the elapsed time already accrued: the time between Resolved and Reopened
// does not count. Closed (after Resolved) keeps it stopped for good.
//
// Elapsed is the business time during which the clock ran, up to its stop
// instant or, if not stopped, up to now.
//
// # Targets and priority changes
//
// A running or paused clock uses the target of the current priority, always
// measured against the elapsed time since creation (Zendesk behaviour): raising
// P3 to P1 after 2h makes the 1h response target breached immediately;
// lowering extends the target. A stopped clock keeps the target of the
// priority in effect at its stop instant (a later reclassification does not
// rewrite a fulfilled or missed SLA); a reopened resolution clock takes the
// current priority again.
//
// # States
//
// With T the target and E the elapsed time:
//
//   - Stopped clock: MET if E <= T (exactly at the target is met), MET_LATE if
//     E > T (one nanosecond over is late).
//   - Running or paused clock: BREACHED if E > T; otherwise AT_RISK if the
//     remaining time T-E is strictly less than 20% of T (5·(T-E) < T; so E == T
//     is AT_RISK, not breached); otherwise ON_TRACK (remaining exactly 20% is
//     ON_TRACK).
//
// DueAt is set only for a running clock (nil while paused or once stopped): it
// is the instant at which E reaches T assuming the clock keeps running from
// now without pause — computed as the earliest instant with that much business
// time, so it lies inside working hours. For a BREACHED clock it is the
// instant in the past at which the target was reached (while running, under
// the current target). StoppedAt is the stop instant of a stopped clock.
//
// Status.TimeToResolution is the resolution clock's elapsed time once the
// request is resolved (or closed), i.e. business time to the final resolution
// excluding pauses and resolved-before-reopen periods; nil while open.
// Status.Paused reports whether the request is currently paused.
package sla

import (
	"errors"
	"fmt"
	"time"
)

// Priority of a request.
type Priority string

const (
	P1 Priority = "P1"
	P2 Priority = "P2"
	P3 Priority = "P3"
	P4 Priority = "P4"
)

// Priorities lists all priorities, most urgent first.
var Priorities = []Priority{P1, P2, P3, P4}

// Targets are the per-priority SLA targets in business time.
type Targets struct {
	Response, Resolution time.Duration
}

// Policy maps priorities to targets, measured under Calendar (nil = 24×7).
type Policy struct {
	Targets  map[Priority]Targets
	Calendar *Calendar
}

// ErrInvalidPolicy is wrapped by Policy.Validate errors.
var ErrInvalidPolicy = errors.New("sla: invalid policy")

// ErrInvalidHistory is wrapped by Evaluate errors about the event history.
var ErrInvalidHistory = errors.New("sla: invalid event history")

// DefaultPolicy returns P1 1h/8h, P2 4h/24h, P3 8h/72h, P4 24h/120h
// (response/resolution), 24×7.
func DefaultPolicy() Policy {
	return Policy{Targets: map[Priority]Targets{
		P1: {Response: time.Hour, Resolution: 8 * time.Hour},
		P2: {Response: 4 * time.Hour, Resolution: 24 * time.Hour},
		P3: {Response: 8 * time.Hour, Resolution: 72 * time.Hour},
		P4: {Response: 24 * time.Hour, Resolution: 120 * time.Hour},
	}}
}

// Validate checks that every priority P1..P4 has positive targets with
// Response <= Resolution, and that the calendar (if any) is valid.
func (p Policy) Validate() error {
	for _, pr := range Priorities {
		t, ok := p.Targets[pr]
		switch {
		case !ok:
			return fmt.Errorf("%w: no targets for %s", ErrInvalidPolicy, pr)
		case t.Response <= 0 || t.Resolution <= 0:
			return fmt.Errorf("%w: %s targets must be positive", ErrInvalidPolicy, pr)
		case t.Response > t.Resolution:
			return fmt.Errorf("%w: %s response target %s exceeds resolution target %s", ErrInvalidPolicy, pr, t.Response, t.Resolution)
		}
	}
	for pr := range p.Targets {
		if !pr.Valid() {
			return fmt.Errorf("%w: unknown priority %q", ErrInvalidPolicy, pr)
		}
	}
	if err := p.Calendar.validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidPolicy, err)
	}
	return nil
}

// Valid reports whether p is one of P1..P4.
func (p Priority) Valid() bool {
	switch p {
	case P1, P2, P3, P4:
		return true
	}
	return false
}

// EventKind is the kind of a request history event.
type EventKind string

const (
	EventCreated         EventKind = "CREATED"
	EventPriorityChanged EventKind = "PRIORITY_CHANGED"
	EventPaused          EventKind = "PAUSED"  // entered WAITING_ON_REQUESTER
	EventResumed         EventKind = "RESUMED" // left WAITING_ON_REQUESTER
	EventFirstResponse   EventKind = "FIRST_RESPONSE"
	EventResolved        EventKind = "RESOLVED"
	EventReopened        EventKind = "REOPENED"
	EventClosed          EventKind = "CLOSED"
)

// Event is one entry of a request's history. Priority is used only by
// EventCreated and EventPriorityChanged.
type Event struct {
	At       time.Time
	Kind     EventKind
	Priority Priority
}

// State of an SLA clock.
type State string

const (
	StateOnTrack  State = "ON_TRACK"
	StateAtRisk   State = "AT_RISK"
	StateBreached State = "BREACHED"
	StateMet      State = "MET"
	StateMetLate  State = "MET_LATE"
)

// Clock is the evaluated state of one SLA clock.
type Clock struct {
	Target    time.Duration
	Elapsed   time.Duration
	DueAt     *time.Time // nil while paused or once stopped
	State     State
	StoppedAt *time.Time // nil unless stopped
}

// Status is the result of Evaluate.
type Status struct {
	Priority         Priority // current priority
	Response         Clock
	Resolution       Clock
	TimeToResolution *time.Duration // nil until resolved
	Paused           bool
	Resolved         bool // resolved (or closed) at now
	Closed           bool
}

type segment struct{ start, end time.Time }

// tracker accumulates the running intervals of one clock.
type tracker struct {
	segs     []segment
	running  bool
	runStart time.Time
}

func (t *tracker) set(run bool, at time.Time) {
	switch {
	case run && !t.running:
		t.running, t.runStart = true, at
	case !run && t.running:
		t.running = false
		if at.After(t.runStart) {
			t.segs = append(t.segs, segment{t.runStart, at})
		}
	}
}

func (t *tracker) eval(cal *Calendar, target time.Duration, now time.Time, stopped bool, stoppedAt time.Time) Clock {
	c := Clock{Target: target}
	var lens []time.Duration
	for _, s := range t.segs {
		l := cal.Between(s.start, s.end)
		lens = append(lens, l)
		c.Elapsed += l
	}
	if t.running {
		c.Elapsed += cal.Between(t.runStart, now)
		// DueAt: walk the closed segments, then extend the open one unboundedly.
		var cum time.Duration
		for i, s := range t.segs {
			if rem := target - cum; rem <= lens[i] {
				d := cal.Add(s.start, rem)
				c.DueAt = &d
				break
			}
			cum += lens[i]
		}
		if c.DueAt == nil {
			d := cal.Add(t.runStart, target-cum)
			c.DueAt = &d
		}
	}
	if stopped {
		sa := stoppedAt
		c.StoppedAt = &sa
		if c.Elapsed <= target {
			c.State = StateMet
		} else {
			c.State = StateMetLate
		}
		return c
	}
	switch rem := target - c.Elapsed; {
	case rem < 0:
		c.State = StateBreached
	case rem < target/5 || (rem == target/5 && target%5 != 0): // 5·rem < target, overflow-free
		c.State = StateAtRisk
	default:
		c.State = StateOnTrack
	}
	return c
}

// Evaluate computes the SLA status of a request with the given history at
// instant now. See the package documentation for the exact semantics.
func Evaluate(p Policy, events []Event, now time.Time) (Status, error) {
	if err := p.Validate(); err != nil {
		return Status{}, err
	}
	if len(events) == 0 {
		return Status{}, fmt.Errorf("%w: no events", ErrInvalidHistory)
	}
	var (
		resp, res           tracker
		prio                Priority
		paused, closed      bool
		responded, resolved bool
		respAt, resAt       time.Time
		respPrio, resPrio   Priority
	)
	for i, e := range events {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%w: event %d (%s at %s): %s", ErrInvalidHistory, i, e.Kind, e.At.Format(time.RFC3339Nano), fmt.Sprintf(format, args...))
		}
		if i == 0 && e.Kind != EventCreated {
			return Status{}, bad("first event must be %s", EventCreated)
		}
		if i > 0 && e.At.Before(events[i-1].At) {
			return Status{}, bad("events not sorted by time")
		}
		if e.At.After(now) {
			return Status{}, bad("event after now (%s)", now.Format(time.RFC3339Nano))
		}
		if closed {
			return Status{}, bad("event after %s", EventClosed)
		}
		switch e.Kind {
		case EventCreated:
			if i != 0 {
				return Status{}, bad("duplicate %s", EventCreated)
			}
			fallthrough
		case EventPriorityChanged:
			if _, ok := p.Targets[e.Priority]; !ok || !e.Priority.Valid() {
				return Status{}, bad("unknown priority %q", e.Priority)
			}
			prio = e.Priority
		case EventPaused:
			if resolved {
				return Status{}, bad("pause while resolved")
			}
			if paused {
				return Status{}, bad("already paused")
			}
			paused = true
		case EventResumed:
			if !paused {
				return Status{}, bad("resume without pause")
			}
			paused = false
		case EventFirstResponse:
			if !responded {
				responded, respAt, respPrio = true, e.At, prio
			}
		case EventResolved:
			if resolved {
				return Status{}, bad("already resolved")
			}
			resolved, resAt, resPrio, paused = true, e.At, prio, false
			if !responded {
				responded, respAt, respPrio = true, e.At, prio
			}
		case EventReopened:
			if !resolved {
				return Status{}, bad("reopen without resolve")
			}
			resolved = false
		case EventClosed:
			if !resolved {
				return Status{}, bad("close without resolve")
			}
			closed = true
		default:
			return Status{}, bad("unknown event kind")
		}
		resp.set(!responded && !paused, e.At)
		res.set(!resolved && !paused, e.At)
	}

	st := Status{Priority: prio, Paused: paused, Resolved: resolved, Closed: closed}
	respTarget := p.Targets[prio].Response
	if responded {
		respTarget = p.Targets[respPrio].Response
	}
	st.Response = resp.eval(p.Calendar, respTarget, now, responded, respAt)
	resTarget := p.Targets[prio].Resolution
	if resolved {
		resTarget = p.Targets[resPrio].Resolution
	}
	st.Resolution = res.eval(p.Calendar, resTarget, now, resolved, resAt)
	if resolved {
		ttr := st.Resolution.Elapsed
		st.TimeToResolution = &ttr
	}
	return st, nil
}
