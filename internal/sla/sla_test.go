package sla

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

const h = time.Hour

var t0 = time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC) // Wednesday

func ev(k EventKind, off time.Duration, p ...Priority) Event {
	e := Event{At: t0.Add(off), Kind: k}
	if len(p) > 0 {
		e.Priority = p[0]
	}
	return e
}

func dp(d time.Duration) *time.Duration { return &d }

type wantClock struct {
	state   State
	target  time.Duration
	elapsed time.Duration
	due     *time.Duration // offset from t0; nil = no DueAt
	stopped *time.Duration // offset from t0; nil = not stopped
}

func checkClock(t *testing.T, name string, got Clock, want wantClock) {
	t.Helper()
	if got.State != want.state {
		t.Errorf("%s: state = %s, want %s", name, got.State, want.state)
	}
	if want.target != 0 && got.Target != want.target {
		t.Errorf("%s: target = %s, want %s", name, got.Target, want.target)
	}
	if got.Elapsed != want.elapsed {
		t.Errorf("%s: elapsed = %s, want %s", name, got.Elapsed, want.elapsed)
	}
	checkInstant(t, name+" due", got.DueAt, want.due)
	checkInstant(t, name+" stopped", got.StoppedAt, want.stopped)
}

func checkInstant(t *testing.T, name string, got *time.Time, want *time.Duration) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil:
		t.Errorf("%s = nil, want t0%+v", name, *want)
	case want == nil:
		t.Errorf("%s = %s, want nil", name, got)
	case !got.Equal(t0.Add(*want)):
		t.Errorf("%s = t0%+v, want t0%+v", name, got.Sub(t0), *want)
	}
}

func TestEvaluate24x7(t *testing.T) {
	P2, P1, P3 := P2, P1, P3
	tests := []struct {
		name   string
		events []Event
		now    time.Duration
		resp   wantClock
		res    wantClock
		paused bool
		closed bool
		ttr    *time.Duration
	}{
		{
			name:   "on track",
			events: []Event{ev(EventCreated, 0, P2)},
			now:    1 * h,
			resp:   wantClock{state: StateOnTrack, target: 4 * h, elapsed: h, due: dp(4 * h)},
			res:    wantClock{state: StateOnTrack, target: 24 * h, elapsed: h, due: dp(24 * h)},
		},
		{
			name:   "at risk response",
			events: []Event{ev(EventCreated, 0, P2)},
			now:    3*h + 30*time.Minute,
			resp:   wantClock{state: StateAtRisk, elapsed: 3*h + 30*time.Minute, due: dp(4 * h)},
			res:    wantClock{state: StateOnTrack, elapsed: 3*h + 30*time.Minute, due: dp(24 * h)},
		},
		{
			name:   "exactly 20% left is on track",
			events: []Event{ev(EventCreated, 0, P2)},
			now:    3*h + 12*time.Minute,
			resp:   wantClock{state: StateOnTrack, elapsed: 3*h + 12*time.Minute, due: dp(4 * h)},
			res:    wantClock{state: StateOnTrack, elapsed: 3*h + 12*time.Minute, due: dp(24 * h)},
		},
		{
			name:   "just under 20% left is at risk",
			events: []Event{ev(EventCreated, 0, P2)},
			now:    3*h + 12*time.Minute + 1,
			resp:   wantClock{state: StateAtRisk, elapsed: 3*h + 12*time.Minute + 1, due: dp(4 * h)},
			res:    wantClock{state: StateOnTrack, elapsed: 3*h + 12*time.Minute + 1, due: dp(24 * h)},
		},
		{
			name:   "running exactly at target is at risk, not breached",
			events: []Event{ev(EventCreated, 0, P2)},
			now:    4 * h,
			resp:   wantClock{state: StateAtRisk, elapsed: 4 * h, due: dp(4 * h)},
			res:    wantClock{state: StateOnTrack, elapsed: 4 * h, due: dp(24 * h)},
		},
		{
			name:   "breached one nanosecond after target",
			events: []Event{ev(EventCreated, 0, P2)},
			now:    4*h + 1,
			resp:   wantClock{state: StateBreached, elapsed: 4*h + 1, due: dp(4 * h)},
			res:    wantClock{state: StateOnTrack, elapsed: 4*h + 1, due: dp(24 * h)},
		},
		{
			name:   "response met",
			events: []Event{ev(EventCreated, 0, P2), ev(EventFirstResponse, 2*h), ev(EventFirstResponse, 3*h)},
			now:    10 * h,
			resp:   wantClock{state: StateMet, elapsed: 2 * h, stopped: dp(2 * h)},
			res:    wantClock{state: StateOnTrack, elapsed: 10 * h, due: dp(24 * h)},
		},
		{
			name:   "response exactly at target is met",
			events: []Event{ev(EventCreated, 0, P2), ev(EventFirstResponse, 4*h)},
			now:    5 * h,
			resp:   wantClock{state: StateMet, elapsed: 4 * h, stopped: dp(4 * h)},
			res:    wantClock{state: StateOnTrack, elapsed: 5 * h, due: dp(24 * h)},
		},
		{
			name:   "response one nanosecond over is met late",
			events: []Event{ev(EventCreated, 0, P2), ev(EventFirstResponse, 4*h+1)},
			now:    5 * h,
			resp:   wantClock{state: StateMetLate, elapsed: 4*h + 1, stopped: dp(4*h + 1)},
			res:    wantClock{state: StateOnTrack, elapsed: 5 * h, due: dp(24 * h)},
		},
		{
			name:   "resolution met",
			events: []Event{ev(EventCreated, 0, P2), ev(EventFirstResponse, h), ev(EventResolved, 20*h)},
			now:    30 * h,
			resp:   wantClock{state: StateMet, elapsed: h, stopped: dp(h)},
			res:    wantClock{state: StateMet, elapsed: 20 * h, stopped: dp(20 * h)},
			ttr:    dp(20 * h),
		},
		{
			name:   "resolution exactly at target met, response late",
			events: []Event{ev(EventCreated, 0, P2), ev(EventFirstResponse, 6*h), ev(EventResolved, 24*h)},
			now:    30 * h,
			resp:   wantClock{state: StateMetLate, elapsed: 6 * h, stopped: dp(6 * h)},
			res:    wantClock{state: StateMet, elapsed: 24 * h, stopped: dp(24 * h)},
			ttr:    dp(24 * h),
		},
		{
			name:   "resolution late",
			events: []Event{ev(EventCreated, 0, P2), ev(EventFirstResponse, h), ev(EventResolved, 24*h+1)},
			now:    30 * h,
			resp:   wantClock{state: StateMet, elapsed: h, stopped: dp(h)},
			res:    wantClock{state: StateMetLate, elapsed: 24*h + 1, stopped: dp(24*h + 1)},
			ttr:    dp(24*h + 1),
		},
		{
			name:   "resolution breached",
			events: []Event{ev(EventCreated, 0, P2), ev(EventFirstResponse, h)},
			now:    30 * h,
			resp:   wantClock{state: StateMet, elapsed: h, stopped: dp(h)},
			res:    wantClock{state: StateBreached, elapsed: 30 * h, due: dp(24 * h)},
		},
		{
			name:   "resolution at risk",
			events: []Event{ev(EventCreated, 0, P2), ev(EventFirstResponse, h)},
			now:    20 * h,
			resp:   wantClock{state: StateMet, elapsed: h, stopped: dp(h)},
			res:    wantClock{state: StateAtRisk, elapsed: 20 * h, due: dp(24 * h)},
		},
		{
			name:   "pause and resume shift due times",
			events: []Event{ev(EventCreated, 0, P2), ev(EventPaused, h), ev(EventResumed, 3*h)},
			now:    4 * h,
			resp:   wantClock{state: StateOnTrack, elapsed: 2 * h, due: dp(6 * h)},
			res:    wantClock{state: StateOnTrack, elapsed: 2 * h, due: dp(26 * h)},
		},
		{
			name:   "currently paused: no due, time frozen",
			events: []Event{ev(EventCreated, 0, P2), ev(EventPaused, h)},
			now:    100 * h,
			resp:   wantClock{state: StateOnTrack, elapsed: h},
			res:    wantClock{state: StateOnTrack, elapsed: h},
			paused: true,
		},
		{
			name:   "paused after breach stays breached",
			events: []Event{ev(EventCreated, 0, P2), ev(EventPaused, 5*h)},
			now:    6 * h,
			resp:   wantClock{state: StateBreached, elapsed: 5 * h},
			res:    wantClock{state: StateOnTrack, elapsed: 5 * h},
			paused: true,
		},
		{
			name:   "pause at creation",
			events: []Event{ev(EventCreated, 0, P2), ev(EventPaused, 0), ev(EventResumed, 5*h)},
			now:    6 * h,
			resp:   wantClock{state: StateOnTrack, elapsed: h, due: dp(9 * h)},
			res:    wantClock{state: StateOnTrack, elapsed: h, due: dp(29 * h)},
		},
		{
			name: "multiple pauses",
			events: []Event{ev(EventCreated, 0, P2),
				ev(EventPaused, h), ev(EventResumed, 2*h),
				ev(EventPaused, 3*h), ev(EventResumed, 5*h),
				ev(EventFirstResponse, 6*h)},
			now:  7 * h,
			resp: wantClock{state: StateMet, elapsed: 3 * h, stopped: dp(6 * h)},
			res:  wantClock{state: StateOnTrack, elapsed: 4 * h, due: dp(27 * h)},
		},
		{
			name:   "first response while paused stops response clock",
			events: []Event{ev(EventCreated, 0, P2), ev(EventPaused, h), ev(EventFirstResponse, 2*h), ev(EventResumed, 3*h)},
			now:    4 * h,
			resp:   wantClock{state: StateMet, elapsed: h, stopped: dp(2 * h)},
			res:    wantClock{state: StateOnTrack, elapsed: 2 * h, due: dp(26 * h)},
		},
		{
			name:   "priority raised P3->P1 breaches immediately",
			events: []Event{ev(EventCreated, 0, P3), ev(EventPriorityChanged, 2*h, P1)},
			now:    2 * h,
			resp:   wantClock{state: StateBreached, target: h, elapsed: 2 * h, due: dp(h)},
			res:    wantClock{state: StateOnTrack, target: 8 * h, elapsed: 2 * h, due: dp(8 * h)},
		},
		{
			name:   "priority raised P3->P1 becomes at risk",
			events: []Event{ev(EventCreated, 0, P3), ev(EventFirstResponse, 30*time.Minute), ev(EventPriorityChanged, 7*h, P1)},
			now:    7 * h,
			resp:   wantClock{state: StateMet, target: 8 * h, elapsed: 30 * time.Minute, stopped: dp(30 * time.Minute)},
			res:    wantClock{state: StateAtRisk, target: 8 * h, elapsed: 7 * h, due: dp(8 * h)},
		},
		{
			name:   "priority lowered P1->P3 extends targets",
			events: []Event{ev(EventCreated, 0, P1), ev(EventPriorityChanged, 2*h, P3)},
			now:    2 * h,
			resp:   wantClock{state: StateOnTrack, target: 8 * h, elapsed: 2 * h, due: dp(8 * h)},
			res:    wantClock{state: StateOnTrack, target: 72 * h, elapsed: 2 * h, due: dp(72 * h)},
		},
		{
			name:   "stopped response keeps the target of its priority",
			events: []Event{ev(EventCreated, 0, P3), ev(EventFirstResponse, 3*h), ev(EventPriorityChanged, 4*h, P1)},
			now:    5 * h,
			resp:   wantClock{state: StateMet, target: 8 * h, elapsed: 3 * h, stopped: dp(3 * h)},
			res:    wantClock{state: StateOnTrack, target: 8 * h, elapsed: 5 * h, due: dp(8 * h)},
		},
		{
			name: "reopen excludes resolved time",
			events: []Event{ev(EventCreated, 0, P2), ev(EventFirstResponse, h),
				ev(EventResolved, 10*h), ev(EventReopened, 30*h)},
			now:  32 * h,
			resp: wantClock{state: StateMet, elapsed: h, stopped: dp(h)},
			res:  wantClock{state: StateOnTrack, elapsed: 12 * h, due: dp(44 * h)},
		},
		{
			name: "reopen then breach: due is in the reopened segment",
			events: []Event{ev(EventCreated, 0, P2), ev(EventFirstResponse, h),
				ev(EventResolved, 20*h), ev(EventReopened, 30*h)},
			now:  36 * h,
			resp: wantClock{state: StateMet, elapsed: h, stopped: dp(h)},
			res:  wantClock{state: StateBreached, elapsed: 26 * h, due: dp(34 * h)},
		},
		{
			name: "reopen after late resolution: due in the past segment",
			events: []Event{ev(EventCreated, 0, P2), ev(EventFirstResponse, h),
				ev(EventResolved, 25*h), ev(EventReopened, 30*h)},
			now:  31 * h,
			resp: wantClock{state: StateMet, elapsed: h, stopped: dp(h)},
			res:  wantClock{state: StateBreached, elapsed: 26 * h, due: dp(24 * h)},
		},
		{
			name: "re-resolve after reopen",
			events: []Event{ev(EventCreated, 0, P2), ev(EventFirstResponse, h),
				ev(EventResolved, 10*h), ev(EventReopened, 30*h), ev(EventResolved, 40*h)},
			now:  50 * h,
			resp: wantClock{state: StateMet, elapsed: h, stopped: dp(h)},
			res:  wantClock{state: StateMet, elapsed: 20 * h, stopped: dp(40 * h)},
			ttr:  dp(20 * h),
		},
		{
			name: "reopen, pause, re-resolve late",
			events: []Event{ev(EventCreated, 0, P2), ev(EventFirstResponse, h),
				ev(EventResolved, 10*h), ev(EventReopened, 30*h), ev(EventPaused, 31*h), ev(EventResumed, 40*h),
				ev(EventResolved, 54*h)},
			now:  60 * h,
			resp: wantClock{state: StateMet, elapsed: h, stopped: dp(h)},
			res:  wantClock{state: StateMetLate, elapsed: 25 * h, stopped: dp(54 * h)},
			ttr:  dp(25 * h),
		},
		{
			name: "closed keeps clocks stopped",
			events: []Event{ev(EventCreated, 0, P2), ev(EventFirstResponse, h),
				ev(EventResolved, 10*h), ev(EventClosed, 12*h)},
			now:    500 * h,
			resp:   wantClock{state: StateMet, elapsed: h, stopped: dp(h)},
			res:    wantClock{state: StateMet, elapsed: 10 * h, stopped: dp(10 * h)},
			closed: true,
			ttr:    dp(10 * h),
		},
		{
			name:   "resolved without response stops response clock",
			events: []Event{ev(EventCreated, 0, P2), ev(EventResolved, 5*h)},
			now:    6 * h,
			resp:   wantClock{state: StateMetLate, elapsed: 5 * h, stopped: dp(5 * h)},
			res:    wantClock{state: StateMet, elapsed: 5 * h, stopped: dp(5 * h)},
			ttr:    dp(5 * h),
		},
		{
			name:   "resolved while paused",
			events: []Event{ev(EventCreated, 0, P2), ev(EventFirstResponse, 0), ev(EventPaused, h), ev(EventResolved, 5*h)},
			now:    6 * h,
			resp:   wantClock{state: StateMet, elapsed: 0, stopped: dp(0)},
			res:    wantClock{state: StateMet, elapsed: h, stopped: dp(5 * h)},
			ttr:    dp(h),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := Evaluate(DefaultPolicy(), tc.events, t0.Add(tc.now))
			if err != nil {
				t.Fatal(err)
			}
			checkClock(t, "response", st.Response, tc.resp)
			checkClock(t, "resolution", st.Resolution, tc.res)
			if st.Paused != tc.paused {
				t.Errorf("paused = %v, want %v", st.Paused, tc.paused)
			}
			if st.Closed != tc.closed {
				t.Errorf("closed = %v, want %v", st.Closed, tc.closed)
			}
			switch {
			case st.TimeToResolution == nil && tc.ttr == nil:
			case st.TimeToResolution == nil || tc.ttr == nil || *st.TimeToResolution != *tc.ttr:
				t.Errorf("TimeToResolution = %v, want %v", st.TimeToResolution, tc.ttr)
			}
		})
	}
}

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

var weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
var allDays = []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}

func officeCal(t testing.TB, loc *time.Location, holidays ...Date) *Calendar {
	t.Helper()
	c, err := NewCalendar(loc, weekdays, TimeOfDay{9, 0}, TimeOfDay{17, 0}, holidays)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBusinessHoursEvaluate(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	at := func(loc *time.Location, y int, m time.Month, d, hh, mm int) time.Time {
		return time.Date(y, m, d, hh, mm, 0, 0, loc)
	}
	pol := func(cal *Calendar) Policy {
		p := DefaultPolicy()
		p.Targets[P1] = Targets{Response: 2 * h, Resolution: 8 * h}
		p.Calendar = cal
		return p
	}
	tests := []struct {
		name        string
		cal         *Calendar
		created     time.Time
		extra       []Event
		now         time.Time
		wantElapsed time.Duration
		wantDue     time.Time
		wantResDue  time.Time
	}{
		{
			name:        "Friday 16:00 + 2h -> Monday 10:00",
			cal:         officeCal(t, time.UTC),
			created:     at(time.UTC, 2024, 1, 12, 16, 0),
			now:         at(time.UTC, 2024, 1, 12, 16, 30),
			wantElapsed: 30 * time.Minute,
			wantDue:     at(time.UTC, 2024, 1, 15, 10, 0),
			wantResDue:  at(time.UTC, 2024, 1, 15, 16, 0),
		},
		{
			name:        "Friday 16:00 viewed Monday 09:30",
			cal:         officeCal(t, time.UTC),
			created:     at(time.UTC, 2024, 1, 12, 16, 0),
			now:         at(time.UTC, 2024, 1, 15, 9, 30),
			wantElapsed: 90 * time.Minute,
			wantDue:     at(time.UTC, 2024, 1, 15, 10, 0),
			wantResDue:  at(time.UTC, 2024, 1, 15, 16, 0),
		},
		{
			name:        "created Saturday: counting starts Monday 09:00",
			cal:         officeCal(t, time.UTC),
			created:     at(time.UTC, 2024, 1, 13, 11, 0),
			now:         at(time.UTC, 2024, 1, 15, 9, 30),
			wantElapsed: 30 * time.Minute,
			wantDue:     at(time.UTC, 2024, 1, 15, 11, 0),
			wantResDue:  at(time.UTC, 2024, 1, 15, 17, 0),
		},
		{
			name:        "created Saturday viewed Sunday: nothing elapsed",
			cal:         officeCal(t, time.UTC),
			created:     at(time.UTC, 2024, 1, 13, 11, 0),
			now:         at(time.UTC, 2024, 1, 14, 23, 0),
			wantElapsed: 0,
			wantDue:     at(time.UTC, 2024, 1, 15, 11, 0),
			wantResDue:  at(time.UTC, 2024, 1, 15, 17, 0),
		},
		{
			name:        "Monday holiday skipped",
			cal:         officeCal(t, time.UTC, Date{2024, 1, 15}),
			created:     at(time.UTC, 2024, 1, 12, 16, 0),
			now:         at(time.UTC, 2024, 1, 15, 12, 0),
			wantElapsed: h,
			wantDue:     at(time.UTC, 2024, 1, 16, 10, 0),
			wantResDue:  at(time.UTC, 2024, 1, 16, 16, 0),
		},
		{
			name:        "DST spring forward weekend (New York)",
			cal:         officeCal(t, ny),
			created:     at(ny, 2024, 3, 8, 16, 0),
			now:         at(ny, 2024, 3, 11, 9, 15),
			wantElapsed: 75 * time.Minute,
			wantDue:     at(ny, 2024, 3, 11, 10, 0),
			wantResDue:  at(ny, 2024, 3, 11, 16, 0),
		},
		{
			name:        "DST fall back weekend (New York), pause across it",
			cal:         officeCal(t, ny),
			created:     at(ny, 2024, 11, 1, 16, 0),
			extra:       []Event{{At: at(ny, 2024, 11, 1, 16, 30), Kind: EventPaused}, {At: at(ny, 2024, 11, 4, 9, 30), Kind: EventResumed}},
			now:         at(ny, 2024, 11, 4, 9, 45),
			wantElapsed: 45 * time.Minute,
			wantDue:     at(ny, 2024, 11, 4, 11, 0),
			wantResDue:  at(ny, 2024, 11, 4, 17, 0),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			events := append([]Event{{At: tc.created, Kind: EventCreated, Priority: P1}}, tc.extra...)
			st, err := Evaluate(pol(tc.cal), events, tc.now)
			if err != nil {
				t.Fatal(err)
			}
			if st.Response.Elapsed != tc.wantElapsed || st.Resolution.Elapsed != tc.wantElapsed {
				t.Errorf("elapsed = %s/%s, want %s", st.Response.Elapsed, st.Resolution.Elapsed, tc.wantElapsed)
			}
			if st.Response.DueAt == nil || !st.Response.DueAt.Equal(tc.wantDue) {
				t.Errorf("response due = %v, want %v", st.Response.DueAt, tc.wantDue)
			}
			if st.Resolution.DueAt == nil || !st.Resolution.DueAt.Equal(tc.wantResDue) {
				t.Errorf("resolution due = %v, want %v", st.Resolution.DueAt, tc.wantResDue)
			}
		})
	}
}

func TestCalendarDST(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	berlin := mustLoc(t, "Europe/Berlin")
	office := officeCal(t, ny)
	allNY, err := NewCalendar(ny, allDays, TimeOfDay{0, 0}, TimeOfDay{24, 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	allBerlin, err := NewCalendar(berlin, allDays, TimeOfDay{0, 0}, TimeOfDay{24, 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	night, err := NewCalendar(ny, allDays, TimeOfDay{0, 0}, TimeOfDay{6, 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := func(loc *time.Location, y int, m time.Month, day, hh int) time.Time {
		return time.Date(y, m, day, hh, 0, 0, 0, loc)
	}
	between := []struct {
		name string
		cal  *Calendar
		a, b time.Time
		want time.Duration
	}{
		{"office week across spring forward", office, d(ny, 2024, 3, 4, 9), d(ny, 2024, 3, 11, 9), 40 * h},
		{"office week after spring forward", office, d(ny, 2024, 3, 11, 0), d(ny, 2024, 3, 18, 0), 40 * h},
		{"office week across fall back", office, d(ny, 2024, 10, 28, 0), d(ny, 2024, 11, 4, 17), 48 * h},
		{"24x7 NY spring weekend is 47h", allNY, d(ny, 2024, 3, 9, 0), d(ny, 2024, 3, 11, 0), 47 * h},
		{"24x7 NY fall weekend is 49h", allNY, d(ny, 2024, 11, 2, 0), d(ny, 2024, 11, 4, 0), 49 * h},
		{"24x7 Berlin spring weekend is 47h", allBerlin, d(berlin, 2024, 3, 30, 0), d(berlin, 2024, 4, 1, 0), 47 * h},
		{"24x7 Berlin fall weekend is 49h", allBerlin, d(berlin, 2024, 10, 26, 0), d(berlin, 2024, 10, 28, 0), 49 * h},
		{"window containing the jump is 5h", night, d(ny, 2024, 3, 10, 0), d(ny, 2024, 3, 11, 0), 5 * h},
		{"window containing fall back is 7h", night, d(ny, 2024, 11, 3, 0), d(ny, 2024, 11, 4, 0), 7 * h},
		{"reversed is negative", office, d(ny, 2024, 3, 11, 9), d(ny, 2024, 3, 4, 9), -40 * h},
	}
	for _, tc := range between {
		if got := tc.cal.Between(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: Between = %s, want %s", tc.name, got, tc.want)
		}
	}
	adds := []struct {
		name  string
		cal   *Calendar
		start time.Time
		dur   time.Duration
		want  time.Time
	}{
		{"Berlin 24x7 across spring", allBerlin, d(berlin, 2024, 3, 30, 0), 47 * h, d(berlin, 2024, 4, 1, 0)},
		{"NY night window after jump", night, d(ny, 2024, 3, 10, 0), 5 * h, d(ny, 2024, 3, 10, 6)},
		{"NY office 40h across spring", office, d(ny, 2024, 3, 8, 9), 40 * h, d(ny, 2024, 3, 14, 17)},
		{"zero duration returns start", office, d(ny, 2024, 3, 9, 3), 0, d(ny, 2024, 3, 9, 3)},
		{"1ns from Saturday is Monday opening+1ns", office, d(ny, 2024, 3, 9, 3), 1, d(ny, 2024, 3, 11, 9).Add(1)},
		{"ending at close returns close", office, d(ny, 2024, 3, 8, 16), h, d(ny, 2024, 3, 8, 17)},
	}
	for _, tc := range adds {
		if got := tc.cal.Add(tc.start, tc.dur); !got.Equal(tc.want) {
			t.Errorf("%s: Add = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestNilCalendarIsWallTime(t *testing.T) {
	var c *Calendar
	a := t0
	b := t0.Add(1000*h + 7)
	if got := c.Between(a, b); got != 1000*h+7 {
		t.Errorf("Between = %s", got)
	}
	if got := c.Add(a, 5*h); !got.Equal(a.Add(5 * h)) {
		t.Errorf("Add = %s", got)
	}
	if !c.IsOpen(a) {
		t.Error("nil calendar should always be open")
	}
}

func TestCalendarRoundTrip(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	berlin := mustLoc(t, "Europe/Berlin")
	office := officeCal(t, ny, Date{2024, 7, 4}, Date{2024, 12, 25}, Date{2025, 1, 1}, Date{2025, 7, 4}, Date{2025, 11, 27})
	allBerlin, err := NewCalendar(berlin, allDays, TimeOfDay{0, 0}, TimeOfDay{24, 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(20240310, 42))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	span := int64(2 * 365 * 24 * h)
	randInstant := func() time.Time { return base.Add(time.Duration(rng.Int64N(span))) }
	for i := 0; i < 3000; i++ {
		a := randInstant()
		d := time.Duration(rng.Int64N(int64(300 * h)))
		b := office.Add(a, d)
		if got := office.Between(a, b); got != d {
			t.Fatalf("Between(a, Add(a, %s)) = %s (a=%s)", d, got, a)
		}
		if d > 0 {
			if b.Before(a) {
				t.Fatalf("Add went backwards: %s -> %s", a, b)
			}
			// result is inside a window: (open, close]
			if !office.IsOpen(b.Add(-1)) {
				t.Fatalf("Add result %s not at/inside working hours", b.In(ny))
			}
			if d > 1 && office.Between(a, b.Add(-1)) != d-1 {
				t.Fatalf("Add result not the earliest instant")
			}
		}

		x, y := randInstant(), randInstant()
		if y.Before(x) {
			x, y = y, x
		}
		bt := office.Between(x, y)
		if bt < 0 || bt > y.Sub(x) {
			t.Fatalf("Between(%s, %s) = %s out of range", x, y, bt)
		}
		z := office.Add(x, bt)
		if z.After(y) || office.Between(x, z) != bt {
			t.Fatalf("Add(x, Between(x, y)) = %s, y = %s", z, y)
		}
		if office.IsOpen(y) && !z.Equal(y) {
			t.Fatalf("y inside hours: Add(x, Between(x, y)) = %s, want %s", z, y)
		}
		mid := x.Add(time.Duration(rng.Int64N(int64(y.Sub(x)) + 1)))
		if office.Between(x, mid)+office.Between(mid, y) != bt {
			t.Fatalf("Between not additive at %s", mid)
		}
		if office.Between(y, x) != -bt {
			t.Fatal("Between not antisymmetric")
		}
		if got := allBerlin.Between(x, y); got != y.Sub(x) {
			t.Fatalf("0-24 all-week Berlin calendar: Between = %s, want wall %s", got, y.Sub(x))
		}
		if got := allBerlin.Add(x, d); !got.Equal(x.Add(d)) {
			t.Fatalf("0-24 all-week Berlin calendar: Add = %s, want %s", got, x.Add(d))
		}
	}
}

func TestLongSpan(t *testing.T) {
	cal := officeCal(t, time.UTC)
	p := DefaultPolicy()
	p.Calendar = cal
	created := time.Date(2024, 1, 8, 9, 0, 0, 0, time.UTC) // Monday
	events := []Event{{At: created, Kind: EventCreated, Priority: P4}, {At: created.Add(h), Kind: EventFirstResponse}}
	now := created.Add(2 * h)

	start := time.Now()
	var st Status
	for i := 0; i < 1000; i++ {
		var err error
		st, err = Evaluate(p, events, now)
		if err != nil {
			t.Fatal(err)
		}
	}
	// 120h of 8h days = 15 business days = three full weeks.
	want := time.Date(2024, 1, 26, 17, 0, 0, 0, time.UTC)
	if st.Resolution.DueAt == nil || !st.Resolution.DueAt.Equal(want) {
		t.Fatalf("120h due = %v, want %s", st.Resolution.DueAt, want)
	}

	// A century: 5218 whole weeks of 40h each.
	a := time.Date(2000, 1, 3, 0, 0, 0, 0, time.UTC) // Monday
	b := a.AddDate(0, 0, 7*5218)
	if got := cal.Between(a, b); got != 5218*40*h {
		t.Fatalf("century Between = %s, want %s", got, 5218*40*h)
	}
	if got := cal.Add(a, 5218*40*h); !got.Equal(b.AddDate(0, 0, -3).Add(17 * h)) {
		t.Fatalf("century Add = %s", got)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("too slow: %s", el)
	}
}

func BenchmarkEvaluate120hBusiness(b *testing.B) {
	p := DefaultPolicy()
	p.Calendar = officeCal(b, mustLoc(b, "Europe/Berlin"))
	created := time.Date(2024, 3, 25, 9, 0, 0, 0, p.Calendar.Location())
	events := []Event{{At: created, Kind: EventCreated, Priority: P4}}
	for b.Loop() {
		if _, err := Evaluate(p, events, created.Add(h)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestInvalidHistories(t *testing.T) {
	tests := []struct {
		name   string
		events []Event
	}{
		{"empty", nil},
		{"first not created", []Event{ev(EventPaused, 0)}},
		{"not sorted", []Event{ev(EventCreated, h, P1), ev(EventFirstResponse, 0)}},
		{"resume without pause", []Event{ev(EventCreated, 0, P1), ev(EventResumed, h)}},
		{"double pause", []Event{ev(EventCreated, 0, P1), ev(EventPaused, h), ev(EventPaused, 2*h)}},
		{"pause while resolved", []Event{ev(EventCreated, 0, P1), ev(EventResolved, h), ev(EventPaused, 2*h)}},
		{"reopen without resolve", []Event{ev(EventCreated, 0, P1), ev(EventReopened, h)}},
		{"double resolve", []Event{ev(EventCreated, 0, P1), ev(EventResolved, h), ev(EventResolved, 2*h)}},
		{"close without resolve", []Event{ev(EventCreated, 0, P1), ev(EventClosed, h)}},
		{"event after close", []Event{ev(EventCreated, 0, P1), ev(EventResolved, h), ev(EventClosed, 2*h), ev(EventReopened, 3*h)}},
		{"duplicate created", []Event{ev(EventCreated, 0, P1), ev(EventCreated, h, P2)}},
		{"created without priority", []Event{ev(EventCreated, 0)}},
		{"unknown priority change", []Event{ev(EventCreated, 0, P1), ev(EventPriorityChanged, h, "P9")}},
		{"unknown kind", []Event{ev(EventCreated, 0, P1), ev("ESCALATED", h)}},
		{"event after now", []Event{ev(EventCreated, 0, P1), ev(EventFirstResponse, 200*h)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Evaluate(DefaultPolicy(), tc.events, t0.Add(100*h))
			if !errors.Is(err, ErrInvalidHistory) {
				t.Fatalf("err = %v, want ErrInvalidHistory", err)
			}
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	if err := DefaultPolicy().Validate(); err != nil {
		t.Fatalf("default policy invalid: %v", err)
	}
	mod := func(f func(*Policy)) Policy { p := DefaultPolicy(); f(&p); return p }
	bad := map[string]Policy{
		"missing P3":          mod(func(p *Policy) { delete(p.Targets, P3) }),
		"zero response":       mod(func(p *Policy) { p.Targets[P1] = Targets{0, h} }),
		"negative resolution": mod(func(p *Policy) { p.Targets[P2] = Targets{h, -h} }),
		"response > resolve":  mod(func(p *Policy) { p.Targets[P4] = Targets{10 * h, 9 * h} }),
		"unknown priority":    mod(func(p *Policy) { p.Targets["P5"] = Targets{h, h} }),
		"zero calendar":       mod(func(p *Policy) { p.Calendar = &Calendar{} }),
		"nil targets":         {},
	}
	for name, p := range bad {
		if err := p.Validate(); !errors.Is(err, ErrInvalidPolicy) {
			t.Errorf("%s: err = %v, want ErrInvalidPolicy", name, err)
		}
		if _, err := Evaluate(p, []Event{ev(EventCreated, 0, P1)}, t0); !errors.Is(err, ErrInvalidPolicy) {
			t.Errorf("%s: Evaluate err = %v, want ErrInvalidPolicy", name, err)
		}
	}
}

func TestNewCalendarErrors(t *testing.T) {
	cases := map[string]func() (*Calendar, error){
		"nil location": func() (*Calendar, error) {
			return NewCalendar(nil, weekdays, TimeOfDay{9, 0}, TimeOfDay{17, 0}, nil)
		},
		"no weekdays": func() (*Calendar, error) {
			return NewCalendar(time.UTC, nil, TimeOfDay{9, 0}, TimeOfDay{17, 0}, nil)
		},
		"end before start": func() (*Calendar, error) {
			return NewCalendar(time.UTC, weekdays, TimeOfDay{17, 0}, TimeOfDay{9, 0}, nil)
		},
		"end equals start": func() (*Calendar, error) {
			return NewCalendar(time.UTC, weekdays, TimeOfDay{9, 0}, TimeOfDay{9, 0}, nil)
		},
		"bad minute": func() (*Calendar, error) {
			return NewCalendar(time.UTC, weekdays, TimeOfDay{9, 60}, TimeOfDay{17, 0}, nil)
		},
		"bad weekday": func() (*Calendar, error) {
			return NewCalendar(time.UTC, []time.Weekday{7}, TimeOfDay{9, 0}, TimeOfDay{17, 0}, nil)
		},
		"bad holiday": func() (*Calendar, error) {
			return NewCalendar(time.UTC, weekdays, TimeOfDay{9, 0}, TimeOfDay{17, 0}, []Date{{2024, 2, 30}})
		},
	}
	for name, f := range cases {
		if c, err := f(); err == nil {
			t.Errorf("%s: got calendar %v, want error", name, c)
		}
	}
}
