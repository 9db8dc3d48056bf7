package reports

import (
	"context"
	"fmt"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/predicate"
	"github.com/opsgraph/opsgraph/ent/request"
)

// Arguments of the request queue report.
const (
	DefaultBreachedLimit = 50
	MaxBreachedLimit     = 100
	// DefaultResolvedWindow is how far before now the resolution window
	// starts by default.
	DefaultResolvedWindow = 30 * 24 * time.Hour
)

// OpenStatuses are the statuses of an open request, in lifecycle order.
var OpenStatuses = []request.Status{
	request.StatusNEW, request.StatusTRIAGED, request.StatusIN_PROGRESS, request.StatusWAITING_ON_REQUESTER,
}

// Priorities lists the request priorities, most urgent first.
var Priorities = []request.Priority{request.PriorityP1, request.PriorityP2, request.PriorityP3, request.PriorityP4}

// AgingBuckets are the backlog age ranges in whole business days; MaxDays
// is nil for the last.
var AgingBuckets = []AgingBucket{
	{Bucket: "0-2", MinDays: 0, MaxDays: maxDays(2)},
	{Bucket: "3-5", MinDays: 3, MaxDays: maxDays(5)},
	{Bucket: "6-10", MinDays: 6, MaxDays: maxDays(10)},
	{Bucket: "11+", MinDays: 11},
}

func maxDays(n int) *int { return &n }

// RequestQueueReport is the state of the request queue at one instant,
// under the SLA policy. Each part is one aggregate query, run when
// selected; the two compliance lists share one.
type RequestQueueReport struct {
	ResolvedFrom time.Time `json:"resolvedFrom"`
	ResolvedTo   time.Time `json:"resolvedTo"`

	s             *Service
	now           time.Time
	breachedLimit int
	compliance    lazy[map[request.Priority]slaTally]
}

// RequestCount is the number of requests with one priority and status.
type RequestCount struct {
	Priority request.Priority `json:"priority"`
	Status   request.Status   `json:"status"`
	Count    int              `json:"count"`
}

// SlaCompliance is the SLA compliance of one priority.
type SlaCompliance struct {
	Priority   request.Priority `json:"priority"`
	Compliance *Completeness    `json:"compliance"`
}

// AgingBucket is the number of open requests of one age range.
type AgingBucket struct {
	Bucket  string `json:"bucket"`
	MinDays int    `json:"minDays"`
	MaxDays *int   `json:"maxDays"`
	Count   int    `json:"count"`
}

// RequestQueue returns the request queue report as of now. The resolution
// window is [resolvedFrom, resolvedTo) (nil: DefaultResolvedWindow before
// now, and now); resolvedFrom after resolvedTo is refused, equal bounds are
// an empty window. breachedLimit (nil: DefaultBreachedLimit) is
// 1..MaxBreachedLimit.
func (s *Service) RequestQueue(resolvedFrom, resolvedTo *time.Time, breachedLimit *int) (*RequestQueueReport, error) {
	n, err := intArg("breachedLimit", breachedLimit, DefaultBreachedLimit, 1, MaxBreachedLimit)
	if err != nil {
		return nil, err
	}
	now := s.now()
	r := &RequestQueueReport{s: s, now: now, breachedLimit: n, ResolvedFrom: now.Add(-DefaultResolvedWindow), ResolvedTo: now}
	if resolvedFrom != nil {
		r.ResolvedFrom = *resolvedFrom
	}
	if resolvedTo != nil {
		r.ResolvedTo = *resolvedTo
	}
	if r.ResolvedFrom.After(r.ResolvedTo) {
		return nil, badInput("`resolvedFrom` (%s) must not be after `resolvedTo` (%s).",
			r.ResolvedFrom.Format(time.RFC3339Nano), r.ResolvedTo.Format(time.RFC3339Nano))
	}
	return r, nil
}

var openRequest = request.StatusIn(OpenStatuses...)

// Open is the number of open requests per priority and status, every pair
// listed (priorities most urgent first, statuses in lifecycle order).
func (r *RequestQueueReport) Open(ctx context.Context) ([]*RequestCount, error) {
	var rows []struct {
		Priority request.Priority `json:"priority"`
		Status   request.Status   `json:"status"`
		Count    int              `json:"count"`
	}
	err := r.s.client.Request.Query().Where(openRequest).
		GroupBy(request.FieldPriority, request.FieldStatus).
		Aggregate(ent.Count()).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("reports: open requests: %w", err)
	}
	type key struct {
		p request.Priority
		s request.Status
	}
	counts := make(map[key]int, len(rows))
	for _, row := range rows {
		counts[key{row.Priority, row.Status}] = row.Count
	}
	out := make([]*RequestCount, 0, len(Priorities)*len(OpenStatuses))
	for _, p := range Priorities {
		for _, st := range OpenStatuses {
			out = append(out, &RequestCount{Priority: p, Status: st, Count: counts[key{p, st}]})
		}
	}
	return out, nil
}

// slaTally counts one priority's requests resolved in the window.
type slaTally struct {
	resolutionTotal, resolutionMet int
	responseTotal, responseMet     int
}

// tally counts the requests resolved in the window per priority: those
// with a stored outcome of each clock and those that met it, in one query.
func (r *RequestQueueReport) tally(ctx context.Context) (map[request.Priority]slaTally, error) {
	return r.compliance.get(ctx, func(ctx context.Context) (map[request.Priority]slaTally, error) {
		var rows []struct {
			Priority        request.Priority `sql:"priority"`
			ResolutionTotal int              `sql:"resolution_total"`
			ResolutionMet   int              `sql:"resolution_met"`
			ResponseTotal   int              `sql:"response_total"`
			ResponseMet     int              `sql:"response_met"`
		}
		window := predicate.Request(func(s *entsql.Selector) {
			col := s.C(request.FieldResolvedAt)
			s.Where(entsql.And(atOrAfter(s, col, r.ResolvedFrom), before(s, col, r.ResolvedTo)))
		})
		err := r.s.client.Request.Query().Where(window).Modify(func(s *entsql.Selector) {
			s.Select(entsql.As(s.C(request.FieldPriority), "priority")).
				AppendSelectExprAs(sumIf(entsql.NotNull(s.C(request.FieldResolutionMet))), "resolution_total").
				AppendSelectExprAs(sumIf(entsql.EQ(s.C(request.FieldResolutionMet), true)), "resolution_met").
				AppendSelectExprAs(sumIf(entsql.NotNull(s.C(request.FieldResponseMet))), "response_total").
				AppendSelectExprAs(sumIf(entsql.EQ(s.C(request.FieldResponseMet), true)), "response_met").
				GroupBy(s.C(request.FieldPriority))
		}).Scan(ctx, &rows)
		if err != nil {
			return nil, fmt.Errorf("reports: SLA compliance: %w", err)
		}
		m := make(map[request.Priority]slaTally, len(rows))
		for _, row := range rows {
			m[row.Priority] = slaTally{row.ResolutionTotal, row.ResolutionMet, row.ResponseTotal, row.ResponseMet}
		}
		return m, nil
	})
}

func (r *RequestQueueReport) compliances(ctx context.Context, f func(slaTally) *Completeness) ([]*SlaCompliance, error) {
	m, err := r.tally(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*SlaCompliance, len(Priorities))
	for i, p := range Priorities {
		out[i] = &SlaCompliance{Priority: p, Compliance: f(m[p])}
	}
	return out, nil
}

// ResolutionCompliance is, per priority (every priority listed), the
// requests resolved in the window with a stored resolution outcome
// (resolution_met not null) and those resolved within the target.
func (r *RequestQueueReport) ResolutionCompliance(ctx context.Context) ([]*SlaCompliance, error) {
	return r.compliances(ctx, func(t slaTally) *Completeness { return Share(t.resolutionMet, t.resolutionTotal) })
}

// ResponseCompliance is, per priority (every priority listed), the same
// requests with a stored response outcome (response_met not null) and
// those that got their first response (or were resolved, which counts as
// the response) within the target.
func (r *RequestQueueReport) ResponseCompliance(ctx context.Context) ([]*SlaCompliance, error) {
	return r.compliances(ctx, func(t slaTally) *Completeness { return Share(t.responseMet, t.responseTotal) })
}

// ageThresholds returns, for each aging bucket, the latest creation
// instant of a request at least the bucket's MinDays whole business days
// old at now under the calendar: a request created at or before
// thresholds[i] is in bucket i or a later one. A business day is
// cal.DayLength() of business time (24h without a calendar). thresholds[0]
// is now itself (every request is at least 0 days old).
func (s *Service) ageThresholds(now time.Time) []time.Time {
	cal := s.policy.Calendar
	out := make([]time.Time, len(AgingBuckets))
	for i, b := range AgingBuckets {
		out[i] = cal.Subtract(now, time.Duration(b.MinDays)*cal.DayLength())
	}
	return out
}

// Aging is the number of open requests per age range in whole business
// days (business time since creation divided by the business day, rounded
// down). One query counts the requests created at or before each
// bucket's threshold (ageThresholds).
func (r *RequestQueueReport) Aging(ctx context.Context) ([]*AgingBucket, error) {
	thresholds := r.s.ageThresholds(r.now)
	var rows []struct {
		N   int `sql:"n"`
		D3  int `sql:"d3"`
		D6  int `sql:"d6"`
		D11 int `sql:"d11"`
	}
	err := r.s.client.Request.Query().Where(openRequest).Modify(func(s *entsql.Selector) {
		col := s.C(request.FieldCreatedAt)
		s.Select().AppendSelectExprAs(entsql.Expr("COUNT(*)"), "n").
			AppendSelectExprAs(sumIf(atOrBefore(s, col, thresholds[1])), "d3").
			AppendSelectExprAs(sumIf(atOrBefore(s, col, thresholds[2])), "d6").
			AppendSelectExprAs(sumIf(atOrBefore(s, col, thresholds[3])), "d11")
	}).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("reports: request aging: %w", err)
	}
	if len(rows) != 1 {
		return nil, fmt.Errorf("reports: request aging: %d rows", len(rows))
	}
	atLeast := []int{rows[0].N, rows[0].D3, rows[0].D6, rows[0].D11, 0}
	out := make([]*AgingBucket, len(AgingBuckets))
	for i, b := range AgingBuckets {
		b.Count = atLeast[i] - atLeast[i+1]
		out[i] = &b
	}
	return out, nil
}

// breached is the predicate of an open request past an SLA target now: a
// clock without a stored outcome (running or paused) that was breached at
// the request's last action, or that runs and whose due instant has been
// followed by business time. The latter is "due <= cutoff" with cutoff the
// latest instant that has business time between it and now.
func (r *RequestQueueReport) breached() predicate.Request {
	cutoff := r.s.policy.Calendar.Subtract(r.now, time.Nanosecond)
	return func(s *entsql.Selector) {
		clock := func(met, breached, due string) *entsql.Predicate {
			return entsql.And(
				entsql.IsNull(s.C(met)),
				entsql.Or(entsql.EQ(s.C(breached), true), atOrBefore(s, s.C(due), cutoff)),
			)
		}
		s.Where(entsql.Or(
			clock(request.FieldResponseMet, request.FieldResponseBreached, request.FieldResponseDueAt),
			clock(request.FieldResolutionMet, request.FieldResolutionBreached, request.FieldResolutionDueAt),
		))
	}
}

// Breached lists the open requests past a target, most overdue first: by
// the earliest due instant of a running clock (a running breached clock's
// due instant is when it breached; a request's earliest one is always a
// breached clock's), then the requests whose breached clocks are paused
// (no due instant) oldest first; ties by id.
func (r *RequestQueueReport) Breached(ctx context.Context) ([]*ent.Request, error) {
	rows, err := r.s.client.Request.Query().Where(openRequest, r.breached()).
		Order(func(s *entsql.Selector) {
			resp, res := s.C(request.FieldResponseDueAt), s.C(request.FieldResolutionDueAt)
			s.OrderExpr(
				entsql.Expr("CASE WHEN "+resp+" IS NULL AND "+res+" IS NULL THEN 1 ELSE 0 END"),
				entsql.Expr("CASE WHEN "+resp+" IS NULL THEN "+res+" WHEN "+res+" IS NULL OR "+resp+" <= "+res+" THEN "+resp+" ELSE "+res+" END"),
			).OrderBy(s.C(request.FieldCreatedAt), s.C(request.FieldID))
		}).
		Limit(r.breachedLimit).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reports: breached requests: %w", err)
	}
	return rows, nil
}

// BreachedCount is the number of open requests past a target.
func (r *RequestQueueReport) BreachedCount(ctx context.Context) (int, error) {
	n, err := r.s.client.Request.Query().Where(openRequest, r.breached()).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("reports: counting breached requests: %w", err)
	}
	return n, nil
}
