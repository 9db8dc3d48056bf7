package reports

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/order"
	"github.com/opsgraph/opsgraph/ent/orderevent"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
)

// Defaults and limits of the order pipeline report.
const (
	// DefaultPipelineWindow is the length of the fulfilment window when
	// fulfilledFrom is not given: it starts this long before its end.
	DefaultPipelineWindow = 30 * dayLen
	// DefaultStuckHours is the default age, in hours, of an order's last
	// transition for the order to count as stuck.
	DefaultStuckHours = 72
	// DefaultStuckLimit and MaxStuckLimit bound the stuck orders listed.
	DefaultStuckLimit = 50
	MaxStuckLimit     = 100
)

// stuckStatuses are the states an order can be stuck in: submitted and not
// yet fulfilled, rejected or cancelled.
var stuckStatuses = []schematype.OrderStatus{
	schematype.OrderStatusSubmitted, schematype.OrderStatusValidated, schematype.OrderStatusProvisioning,
}

// OrderStage is a stage of the order lifecycle, between two stamps.
type OrderStage string

// Order stages, in lifecycle order.
const (
	StageSubmittedToValidated    OrderStage = "SUBMITTED_TO_VALIDATED"
	StageValidatedToProvisioning OrderStage = "VALIDATED_TO_PROVISIONING"
	StageProvisioningToFulfilled OrderStage = "PROVISIONING_TO_FULFILLED"
)

// AllOrderStages lists the stages in lifecycle order.
var AllOrderStages = []OrderStage{StageSubmittedToValidated, StageValidatedToProvisioning, StageProvisioningToFulfilled}

// stamps are the order columns a stage starts and ends at.
func (g OrderStage) stamps() (from, to string) {
	switch g {
	case StageSubmittedToValidated:
		return order.FieldSubmittedAt, order.FieldValidatedAt
	case StageValidatedToProvisioning:
		return order.FieldValidatedAt, order.FieldProvisioningAt
	default:
		return order.FieldProvisioningAt, order.FieldFulfilledAt
	}
}

// MarshalGQL implements graphql.Marshaler.
func (g OrderStage) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(g))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (g *OrderStage) UnmarshalGQL(v any) (err error) {
	*g, err = parseEnum(v, AllOrderStages, "OrderStage")
	return err
}

// OrderPipelineReport is the order pipeline: orders per status now, lead
// times and stage durations of the orders fulfilled in [FulfilledFrom,
// FulfilledTo), and the orders stuck in a non-final state. Each part is
// computed when asked for.
type OrderPipelineReport struct {
	FulfilledFrom time.Time `json:"fulfilledFrom"`
	FulfilledTo   time.Time `json:"fulfilledTo"`

	s         *Service
	now       time.Time
	durations lazy[[]*DurationStats]
}

// OrderStatusCount is the number of orders in one status.
type OrderStatusCount struct {
	Status schematype.OrderStatus `json:"status"`
	Count  int                    `json:"count"`
}

// OrderStageStats is the distribution of one stage's durations.
type OrderStageStats struct {
	Stage    OrderStage     `json:"stage"`
	Duration *DurationStats `json:"duration"`
}

// StuckOrder is an order that has not changed state for a while.
type StuckOrder struct {
	Order            *ent.Order             `json:"order"`
	Status           schematype.OrderStatus `json:"status"`
	LastTransitionAt time.Time              `json:"lastTransitionAt"`
	StuckSeconds     float64                `json:"stuckSeconds"`
}

// OrderPipeline returns the order pipeline report. The fulfilment window
// ends at fulfilledTo (default now) and starts at fulfilledFrom (default
// DefaultPipelineWindow before its end); a window that starts after it ends
// is refused, an empty one ([t, t)) counts nothing.
func (s *Service) OrderPipeline(fulfilledFrom, fulfilledTo *time.Time) (*OrderPipelineReport, error) {
	now := s.clockUS()
	to := now
	if fulfilledTo != nil {
		to = fulfilledTo.UTC()
	}
	from := to.Add(-DefaultPipelineWindow)
	if fulfilledFrom != nil {
		from = fulfilledFrom.UTC()
	}
	if from.After(to) {
		return nil, badInput("`fulfilledFrom` (%s) is after `fulfilledTo` (%s).", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	return &OrderPipelineReport{FulfilledFrom: from, FulfilledTo: to, s: s, now: now}, nil
}

// ByStatus is the number of orders in each status now, every status in
// lifecycle order, zero included.
func (r *OrderPipelineReport) ByStatus(ctx context.Context) ([]*OrderStatusCount, error) {
	var rows []struct {
		Status schematype.OrderStatus `sql:"status"`
		Count  int                    `sql:"count"`
	}
	if err := r.s.client.Order.Query().GroupBy(order.FieldStatus).Aggregate(ent.Count()).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("reports: orders by status: %w", err)
	}
	n := make(map[schematype.OrderStatus]int, len(rows))
	for _, row := range rows {
		n[row.Status] = row.Count
	}
	out := make([]*OrderStatusCount, len(schematype.AllOrderStatuses))
	for i, st := range schematype.AllOrderStatuses {
		out[i] = &OrderStatusCount{Status: st, Count: n[st]}
	}
	return out, nil
}

// distributions computes, in one statement, the lead time (index 0) and the
// stage durations (1…, AllOrderStages order) of the orders fulfilled in the
// window; a duration is skipped when either of its stamps is missing.
func (r *OrderPipelineReport) distributions(ctx context.Context) ([]*DurationStats, error) {
	return r.durations.get(ctx, func(ctx context.Context) ([]*DurationStats, error) {
		between := func(from, to string) func(s *entsql.Selector) string {
			return func(s *entsql.Selector) string { return secondsBetween(s, s.C(from), s.C(to)) }
		}
		exprs := []func(s *entsql.Selector) string{between(order.FieldSubmittedAt, order.FieldFulfilledAt)}
		for _, g := range AllOrderStages {
			exprs = append(exprs, between(g.stamps()))
		}
		modify, wrap := distributions(exprs...)
		var rows []distributionRow
		err := r.s.client.Order.Query().
			Where(func(s *entsql.Selector) {
				at := s.C(order.FieldFulfilledAt)
				s.Where(entsql.And(atOrAfter(s, at, r.FulfilledFrom), before(s, at, r.FulfilledTo)))
			}).
			Order(wrap).
			Modify(modify).
			Scan(ctx, &rows)
		if err != nil {
			return nil, fmt.Errorf("reports: order lead times: %w", err)
		}
		return stats(rows, len(exprs)), nil
	})
}

// LeadTime is the distribution of submitted → fulfilled of the orders
// fulfilled in the window (orders without a submission stamp skipped).
func (r *OrderPipelineReport) LeadTime(ctx context.Context) (*DurationStats, error) {
	d, err := r.distributions(ctx)
	if err != nil {
		return nil, err
	}
	return d[0], nil
}

// Stages is the distribution of each stage's durations over the orders
// fulfilled in the window, in lifecycle order.
func (r *OrderPipelineReport) Stages(ctx context.Context) ([]*OrderStageStats, error) {
	d, err := r.distributions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*OrderStageStats, len(AllOrderStages))
	for i, g := range AllOrderStages {
		out[i] = &OrderStageStats{Stage: g, Duration: d[i+1]}
	}
	return out, nil
}

// lastTransition is the SQL expression of when an order last changed state:
// its latest event, else the stamp of its status, else its creation.
func lastTransition(s *entsql.Selector) string {
	return "COALESCE((SELECT MAX(e." + orderevent.FieldAt + ") FROM " + orderevent.Table + " e WHERE e." + orderevent.FieldOrderID + " = " + s.C(order.FieldID) + "), " +
		"CASE " + s.C(order.FieldStatus) +
		" WHEN '" + string(schematype.OrderStatusSubmitted) + "' THEN " + s.C(order.FieldSubmittedAt) +
		" WHEN '" + string(schematype.OrderStatusValidated) + "' THEN " + s.C(order.FieldValidatedAt) +
		" WHEN '" + string(schematype.OrderStatusProvisioning) + "' THEN " + s.C(order.FieldProvisioningAt) + " END, " +
		s.C(order.FieldCreatedAt) + ")"
}

// StuckOrders lists the orders in SUBMITTED, VALIDATED or PROVISIONING
// whose last transition was more than olderThanHours (default
// DefaultStuckHours) before now, oldest first (then by id), at most limit
// (default DefaultStuckLimit, 1 to MaxStuckLimit). An order whose last
// transition is exactly olderThanHours old is not stuck yet.
func (r *OrderPipelineReport) StuckOrders(ctx context.Context, olderThanHours *int, limit *int) ([]*StuckOrder, error) {
	hours, err := intArg("olderThanHours", olderThanHours, DefaultStuckHours, 0, MaxHorizonDays*24)
	if err != nil {
		return nil, err
	}
	n, err := intArg("limit", limit, DefaultStuckLimit, 1, MaxStuckLimit)
	if err != nil {
		return nil, err
	}
	cutoff := r.now.Add(-time.Duration(hours) * time.Hour)
	// Two statements: the page's ids and last transitions from the orders'
	// (status) index and the events' (order_id, at) index alone, then those
	// orders' rows; one statement would read every candidate's row to sort.
	var page []struct {
		ID   int `sql:"id"`
		Last any `sql:"last_transition_at"`
	}
	err = r.s.client.Order.Query().
		Where(order.StatusIn(stuckStatuses...), func(s *entsql.Selector) {
			s.Where(entsql.P(func(b *entsql.Builder) {
				b.WriteString(lastTransition(s) + " < ").Arg(timeArg(s, cutoff, true))
			}))
		}).
		Modify(func(s *entsql.Selector) {
			s.Select(s.C(order.FieldID)).AppendSelectExprAs(entsql.Expr(lastTransition(s)), "last_transition_at").
				OrderBy("last_transition_at", s.C(order.FieldID)).Limit(n)
		}).
		Scan(ctx, &page)
	if err != nil {
		return nil, fmt.Errorf("reports: stuck orders: %w", err)
	}
	ids := make([]int, len(page))
	for i, p := range page {
		ids[i] = p.ID
	}
	rows, err := r.s.client.Order.Query().Where(order.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reports: stuck orders: %w", err)
	}
	orders := byID(rows, func(o *ent.Order) int { return o.ID })
	out := make([]*StuckOrder, len(page))
	for i, p := range page {
		o, ok := orders[p.ID]
		if !ok {
			return nil, fmt.Errorf("reports: stuck order %d not found", p.ID)
		}
		at, err := dbTime(p.Last)
		if err != nil {
			return nil, err
		}
		out[i] = &StuckOrder{Order: o, Status: o.Status, LastTransitionAt: at, StuckSeconds: r.now.Sub(at).Seconds()}
	}
	return out, nil
}
