package reports_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/request"
	"github.com/opsgraph/opsgraph/internal/health"
	"github.com/opsgraph/opsgraph/internal/reports"
	"github.com/opsgraph/opsgraph/internal/requests"
	"github.com/opsgraph/opsgraph/internal/seed"
	"github.com/opsgraph/opsgraph/internal/sla"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// queueOracle is the request queue report computed in plain Go: every
// request's SLA evaluated from its history (requests.Evaluate) at now,
// independently of the outcomes stored on the rows.
type queueOracle struct {
	open       map[[2]string]int
	resolution map[request.Priority][2]int // met, total
	response   map[request.Priority][2]int
	aging      [4]int
	breached   []int // ids, most overdue first
}

// expectQueue computes the report over the requests for which keep is true.
func expectQueue(t *testing.T, c *ent.Client, policy sla.Policy, now, from, to time.Time, keep func(*ent.Request) bool) queueOracle {
	t.Helper()
	ctx := viewer.System(context.Background(), "test")
	o := queueOracle{open: map[[2]string]int{}, resolution: map[request.Priority][2]int{}, response: map[request.Priority][2]int{}}
	type late struct {
		id      int
		due     *time.Time // earliest due instant of a breached clock; nil: paused
		created time.Time
	}
	var breached []late
	day := 24 * time.Hour
	if policy.Calendar != nil {
		day = policy.Calendar.DayLength()
	}
	for _, r := range c.Request.Query().AllX(ctx) {
		if !keep(r) {
			continue
		}
		st, err := requests.Evaluate(policy, r, now)
		if err != nil {
			t.Fatalf("request %d: %v", r.ID, err)
		}
		switch r.Status {
		case request.StatusRESOLVED, request.StatusCLOSED:
			if r.ResolvedAt == nil || r.ResolvedAt.Before(from) || !r.ResolvedAt.Before(to) {
				continue
			}
			count := func(m map[request.Priority][2]int, c sla.Clock) {
				x := m[r.Priority]
				if c.State == sla.StateMet {
					x[0]++
				}
				x[1]++
				m[r.Priority] = x
			}
			count(o.resolution, st.Resolution)
			count(o.response, st.Response)
			continue
		}
		o.open[[2]string{string(r.Priority), string(r.Status)}]++
		days := int(policy.Calendar.Between(r.CreatedAt, now) / day)
		switch {
		case days >= 11:
			o.aging[3]++
		case days >= 6:
			o.aging[2]++
		case days >= 3:
			o.aging[1]++
		default:
			o.aging[0]++
		}
		l := late{id: r.ID, created: r.CreatedAt}
		for _, c := range []sla.Clock{st.Response, st.Resolution} {
			if c.State == sla.StateBreached && c.DueAt != nil && (l.due == nil || c.DueAt.Before(*l.due)) {
				l.due = c.DueAt
			}
		}
		if st.Response.State == sla.StateBreached || st.Resolution.State == sla.StateBreached {
			breached = append(breached, l)
		}
	}
	slices.SortFunc(breached, func(x, y late) int {
		switch {
		case (x.due == nil) != (y.due == nil):
			if x.due == nil {
				return 1
			}
			return -1
		case x.due != nil && !x.due.Equal(*y.due):
			return x.due.Compare(*y.due)
		case !x.created.Equal(y.created):
			return x.created.Compare(y.created)
		}
		return x.id - y.id
	})
	for _, b := range breached {
		o.breached = append(o.breached, b.id)
	}
	return o
}

// checkQueue compares the report computed in ctx with the oracle.
func checkQueue(t *testing.T, ctx context.Context, svc *reports.Service, from, to *time.Time, limit int, want queueOracle) {
	t.Helper()
	r, err := svc.RequestQueue(from, to, &limit)
	if err != nil {
		t.Fatal(err)
	}
	open, err := r.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 16 {
		t.Errorf("open: %d pairs, want 16", len(open))
	}
	for i, c := range open {
		if c.Priority != reports.Priorities[i/4] || c.Status != reports.OpenStatuses[i%4] {
			t.Errorf("open[%d] is %s %s", i, c.Priority, c.Status)
		}
		if w := want.open[[2]string{string(c.Priority), string(c.Status)}]; c.Count != w {
			t.Errorf("open %s %s = %d, want %d", c.Priority, c.Status, c.Count, w)
		}
	}
	for _, x := range []struct {
		name string
		get  func(context.Context) ([]*reports.SlaCompliance, error)
		want map[request.Priority][2]int
	}{{"resolution", r.ResolutionCompliance, want.resolution}, {"response", r.ResponseCompliance, want.response}} {
		got, err := x.get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 4 {
			t.Errorf("%s compliance: %d priorities", x.name, len(got))
		}
		for i, c := range got {
			w := x.want[c.Priority]
			if c.Priority != reports.Priorities[i] || c.Compliance.Complete != w[0] || c.Compliance.Total != w[1] {
				t.Errorf("%s compliance %s = %d/%d, want %d/%d", x.name, c.Priority, c.Compliance.Complete, c.Compliance.Total, w[0], w[1])
			}
			if (c.Compliance.Rate == nil) != (w[1] == 0) {
				t.Errorf("%s compliance %s: rate %v for total %d", x.name, c.Priority, c.Compliance.Rate, w[1])
			}
		}
	}
	aging, err := r.Aging(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var counts [4]int
	for i, b := range aging {
		counts[i] = b.Count
	}
	if counts != want.aging {
		t.Errorf("aging = %v, want %v", counts, want.aging)
	}
	list, err := r.Breached(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	for _, q := range list {
		ids = append(ids, q.ID)
	}
	wantIDs := want.breached
	if len(wantIDs) > limit {
		wantIDs = wantIDs[:limit]
	}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("breached = %v, want %v", ids, wantIDs)
	}
	if n, err := r.BreachedCount(ctx); err != nil || n != len(want.breached) {
		t.Errorf("breachedCount = %d (%v), want %d", n, err, len(want.breached))
	}
}

// opsQueueAt is the request queue report at now under policy, default
// arguments.
func opsQueueAt(t *testing.T, c *ent.Client, policy sla.Policy, now time.Time) *reports.RequestQueueReport {
	t.Helper()
	return opsNoErr(reports.New(c, func() time.Time { return now }, policy, health.DefaultModel()).RequestQueue(nil, nil, nil))(t)
}

// opsNoErr returns v, failing the test given to the result on an error.
func opsNoErr[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// opsOffice is Monday to Friday, 09:00–17:00 in zone.
func opsOffice(t *testing.T, zone string) *sla.Calendar {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := sla.NewCalendar(loc, []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
		sla.TimeOfDay{Hour: 9}, sla.TimeOfDay{Hour: 17}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// requestQueueOracle checks the request queue on the demo data against the
// oracle that evaluates every request's SLA from its history — which also
// shows the outcomes the request actions store stay true — for the whole
// queue and a CSM's rows.
func requestQueueOracle(t *testing.T, db *store.DB) {
	policy := seed.SLAPolicy()
	all := func(*ent.Request) bool { return true }
	for _, now := range []time.Time{opsNow, opsNow.Add(3*time.Hour + 17*time.Second), opsNow.Add(5 * 24 * time.Hour)} {
		svc := reports.New(db.Client, func() time.Time { return now }, policy, health.DefaultModel())
		from, to := now.Add(-30*24*time.Hour), now
		want := expectQueue(t, db.Client, policy, now, from, to, all)
		if now.Equal(opsNow) {
			t.Logf("demo: open %v, resolution %v, response %v, aging %v, %d breached", want.open, want.resolution, want.response, want.aging, len(want.breached))
			if len(want.breached) < 3 || len(want.resolution) == 0 {
				t.Fatal("the demo data has too few breached or resolved requests to test")
			}
		}
		for _, limit := range []int{1, 50, 100} {
			checkQueue(t, context.Background(), svc, nil, nil, limit, want)
		}
		// Other windows: 90 days, and an empty one.
		from90 := now.Add(-90 * 24 * time.Hour)
		checkQueue(t, context.Background(), svc, &from90, &to, 100, expectQueue(t, db.Client, policy, now, from90, to, all))
		checkQueue(t, context.Background(), svc, &to, &to, 100, expectQueue(t, db.Client, policy, now, to, to, all))
	}
	// Aging under business hours: a business day is 8h of the calendar.
	office := policy
	office.Calendar = opsOffice(t, "Europe/Berlin")
	aging := opsNoErr(opsQueueAt(t, db.Client, office, opsNow).Aging(context.Background()))(t)
	want := expectQueue(t, db.Client, office, opsNow, opsNow, opsNow, all).aging
	for i, b := range aging {
		if b.Count != want[i] {
			t.Errorf("business-hours aging %s = %d, want %d", b.Bucket, b.Count, want[i])
		}
	}
	// A CSM: requests about their book, raised by them or assigned to them.
	const me = "csm1@opsgraph.example"
	uid, in := opsBook(t, db.Client, me)
	mine := func(r *ent.Request) bool {
		return (r.AccountID != nil && in[*r.AccountID]) || r.RequesterID == uid || (r.AssigneeID != nil && *r.AssigneeID == uid)
	}
	svc := reports.New(db.Client, func() time.Time { return opsNow }, policy, health.DefaultModel())
	from, to := opsNow.Add(-90*24*time.Hour), opsNow
	wantCSM := expectQueue(t, db.Client, policy, opsNow, from, to, mine)
	checkQueue(t, opsCSM(me), svc, &from, &to, 100, wantCSM)
	if wantAll := expectQueue(t, db.Client, policy, opsNow, from, to, all); len(wantCSM.breached) >= len(wantAll.breached) {
		t.Errorf("the CSM sees %d breached of %d: the book is not a strict subset", len(wantCSM.breached), len(wantAll.breached))
	}
}

// Boundaries built with the request service and a controlled clock: a
// request answered and resolved exactly at its targets is MET (one a
// microsecond later is not); an open request exactly at its target is not
// breached and is a microsecond later; a breached request paused waiting on
// the requester stays breached (listed after the running ones); under
// business hours a target reached at the close is not breached overnight,
// only once the next day's hours run; requests exactly 3 business days old
// are in 3-5, a microsecond younger in 0-2.
func TestRequestQueueBoundaries(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := viewer.System(context.Background(), "test")
		c := db.Client
		u := c.User.Create().SetEmail("ops@example.com").SetName("Ops").SetRoles([]string{viewer.RoleOpsManager}).SaveX(ctx)
		var clock time.Time
		at := func(t time.Time) { clock = t }
		now := func() time.Time { return clock }
		p1 := request.PriorityP1
		raise := func(q *requests.Service, title string) *ent.Request {
			r, l, err := q.Create(ctx, requests.CreateInput{Title: title, Priority: &p1, RequesterID: &u.ID}, nil)
			if err != nil || !l.Empty() {
				t.Fatalf("create: %v %v", err, l)
			}
			return r
		}
		must := func(r *ent.Request, l any, err error) {
			t.Helper()
			if err != nil || r == nil {
				t.Fatalf("action: %v %v", err, l)
			}
		}

		// 24×7, P1: response 1h, resolution 8h.
		policy := sla.DefaultPolicy()
		q := requests.New(c, now, policy)
		t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC) // a Monday
		at(t0)
		onTime, late := raise(q, "on time"), raise(q, "late")
		at(t0.Add(time.Hour))
		r, l, err := q.Respond(ctx, onTime.ID, "looking")
		must(r, l, err)
		at(t0.Add(time.Hour + time.Microsecond))
		r, l, err = q.Respond(ctx, late.ID, "looking")
		must(r, l, err)
		at(t0.Add(8 * time.Hour))
		r, l, err = q.Resolve(ctx, onTime.ID, "done")
		must(r, l, err)
		at(t0.Add(8*time.Hour + time.Microsecond))
		r, l, err = q.Resolve(ctx, late.ID, "done")
		must(r, l, err)

		t1 := t0.Add(9 * time.Hour)
		at(t1)
		paused := raise(q, "paused")
		pausedEarly := raise(q, "paused early")
		at(t1.Add(30 * time.Minute))
		r, l, err = q.SetStatus(ctx, pausedEarly.ID, request.StatusWAITING_ON_REQUESTER, nil)
		must(r, l, err)
		at(t1.Add(time.Hour))
		running := raise(q, "running") // response due t1+2h
		at(t1.Add(2 * time.Hour))
		r, l, err = q.SetStatus(ctx, paused.ID, request.StatusWAITING_ON_REQUESTER, nil) // response breached
		must(r, l, err)

		check := func(policy sla.Policy, now time.Time, wantBreached []int) queueOracle {
			t.Helper()
			svc := reports.New(c, func() time.Time { return now }, policy, health.DefaultModel())
			from, to := now.Add(-30*24*time.Hour), now
			want := expectQueue(t, c, policy, now, from, to, func(*ent.Request) bool { return true })
			if !slices.Equal(want.breached, wantBreached) {
				t.Fatalf("at %s the oracle says breached %v, want %v", now, want.breached, wantBreached)
			}
			checkQueue(t, ctx, svc, nil, nil, 10, want)
			return want
		}
		// Resolved exactly at the targets: MET; a microsecond later: not.
		// running is exactly at its response target: not breached.
		want := check(policy, t1.Add(2*time.Hour), []int{paused.ID})
		if want.resolution[p1] != [2]int{1, 2} || want.response[p1] != [2]int{1, 2} {
			t.Fatalf("compliance: resolution %v, response %v", want.resolution[p1], want.response[p1])
		}
		// A microsecond later it is, listed before the paused one.
		check(policy, t1.Add(2*time.Hour+time.Microsecond), []int{running.ID, paused.ID})
		// Much later the running one is still first; the one paused before
		// its target never breaches.
		check(policy, t1.Add(30*24*time.Hour), []int{running.ID, paused.ID})

		// Business hours, Monday to Friday 09:00–17:00 UTC.
		office := sla.DefaultPolicy()
		office.Calendar = opsOffice(t, "UTC")
		qo := requests.New(c, now, office)
		fri := time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)
		at(fri)
		evening := raise(qo, "Friday evening") // response due Friday 17:00
		at(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		threeDays := raise(qo, "three days")
		at(time.Date(2026, 3, 2, 9, 0, 0, 1000, time.UTC))
		almost := raise(qo, "almost three days")
		// The requests of the 24×7 queue are evaluated under the same
		// calendar by the oracle; only the new ones matter below.
		for _, x := range []struct {
			now      time.Time
			breached bool
		}{
			{time.Date(2026, 3, 6, 17, 0, 0, 0, time.UTC), false},           // at the target
			{time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC), false},           // Saturday: no business time since
			{time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC), false},            // Monday's opening
			{time.Date(2026, 3, 9, 9, 0, 0, 1000, time.UTC), true},          // a microsecond of Monday
			{time.Date(2026, 3, 9, 9, 0, 0, 1, time.UTC), true},             // a nanosecond of Monday
			{time.Date(2026, 3, 6, 16, 59, 59, 999999000, time.UTC), false}, // before the target
		} {
			list := opsNoErr(opsQueueAt(t, c, office, x.now).Breached(ctx))(t)
			got := slices.ContainsFunc(list, func(r *ent.Request) bool { return r.ID == evening.ID })
			st := opsNoErr(requests.Evaluate(office, c.Request.GetX(ctx, evening.ID), x.now))(t)
			if got != x.breached || (st.Response.State == sla.StateBreached) != x.breached {
				t.Errorf("at %s: listed %v, evaluated %s, want breached %v", x.now, got, st.Response.State, x.breached)
			}
		}
		// Thursday 09:00: threeDays is exactly 3 business days old.
		thu := time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)
		aging := opsNoErr(opsQueueAt(t, c, office, thu).Aging(ctx))(t)
		wantAging := expectQueue(t, c, office, thu, thu, thu, func(r *ent.Request) bool {
			return r.ID == threeDays.ID || r.ID == almost.ID
		}).aging
		if wantAging != [4]int{1, 1, 0, 0} {
			t.Fatalf("oracle aging %v", wantAging)
		}
		// The report counts every open request: the three open ones raised
		// Monday evening (16 business hours old), evening (raised after
		// now) and almost are 0-2.
		if aging[1].Count != 1 || aging[0].Count != 1+4 || aging[2].Count != 0 || aging[3].Count != 0 {
			t.Errorf("aging %+v %+v %+v %+v", *aging[0], *aging[1], *aging[2], *aging[3])
		}
	})
}

// Arguments out of range are refused.
func TestRequestQueueArguments(t *testing.T) {
	svc := reports.New(nil, nil, sla.DefaultPolicy(), health.DefaultModel())
	for _, n := range []int{0, 101} {
		if _, err := svc.RequestQueue(nil, nil, &n); err == nil {
			t.Errorf("breachedLimit %d accepted", n)
		}
	}
	a, b := opsNow, opsNow.Add(time.Nanosecond)
	if _, err := svc.RequestQueue(&b, &a, nil); err == nil {
		t.Error("resolvedFrom after resolvedTo accepted")
	}
	r, err := svc.RequestQueue(&a, &a, nil)
	if err != nil || !r.ResolvedFrom.Equal(a) || !r.ResolvedTo.Equal(a) {
		t.Errorf("empty window: %v", err)
	}
	now := time.Now()
	r, err = reports.New(nil, func() time.Time { return now }, sla.DefaultPolicy(), health.DefaultModel()).RequestQueue(nil, nil, nil)
	if err != nil || !r.ResolvedTo.Equal(now) || !r.ResolvedFrom.Equal(now.Add(-30*24*time.Hour)) {
		t.Errorf("default window %s..%s (%v)", r.ResolvedFrom, r.ResolvedTo, err)
	}
}
