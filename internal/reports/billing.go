package reports

import (
	"context"
	"fmt"
	"sort"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/order"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
)

// MaxBillingMonths is the most calendar months a billing reconciliation
// window may touch (ten years).
const MaxBillingMonths = 120

// BillingReconciliationReport reconciles fulfilment with billing per UTC
// calendar month of [From, To): FULFILLED orders not invoiced (billing
// NOT_BILLED), by month of fulfilment, and invoiced orders that are not
// FULFILLED, by month of creation.
type BillingReconciliationReport struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`

	s      *Service
	months lazy[[]*BillingMonth]
	arr    lazy[map[string][]*MoneyAmount]
}

// BillingMonth is one UTC calendar month of the reconciliation.
type BillingMonth struct {
	Month                string `json:"month"`
	FulfilledNotInvoiced int    `json:"fulfilledNotInvoiced"`
	InvoicedNotFulfilled int    `json:"invoicedNotFulfilled"`

	report *BillingReconciliationReport
}

// monthStart is the first instant of t's UTC calendar month.
func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// BillingReconciliation returns the billing reconciliation of [from, to).
// to defaults to now; from to the first day of the UTC month eleven months
// before the window's last month (the month of the instant before to), so
// that the default window touches twelve months. A window that starts
// after it ends, or touches more than MaxBillingMonths months, is refused;
// an empty one ([t, t)) has no months.
func (s *Service) BillingReconciliation(from, to *time.Time) (*BillingReconciliationReport, error) {
	end := s.clockUS()
	if to != nil {
		end = to.UTC()
	}
	start := monthStart(end.Add(-time.Nanosecond)).AddDate(0, -11, 0)
	if from != nil {
		start = from.UTC()
	}
	if start.After(end) {
		return nil, badInput("`from` (%s) is after `to` (%s).", start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	r := &BillingReconciliationReport{From: start, To: end, s: s}
	if n := len(r.monthKeys()); n > MaxBillingMonths {
		return nil, badInput("The window touches %d months; at most %d are allowed.", n, MaxBillingMonths)
	}
	return r, nil
}

// monthKeys are the UTC calendar months (YYYY-MM) the window touches,
// oldest first.
func (r *BillingReconciliationReport) monthKeys() []string {
	var out []string
	for m := monthStart(r.From); m.Before(r.To); m = m.AddDate(0, 1, 0) {
		out = append(out, m.Format("2006-01"))
		if len(out) > MaxBillingMonths {
			break
		}
	}
	return out
}

// fulfilledNotInvoicedP is "FULFILLED, billing NOT_BILLED, fulfilled in the
// window" over the orders table (or its alias) named by col.
func (r *BillingReconciliationReport) fulfilledNotInvoicedP(s *entsql.Selector, col func(string) string) *entsql.Predicate {
	return entsql.And(
		entsql.EQ(col(order.FieldStatus), string(schematype.OrderStatusFulfilled)),
		entsql.EQ(col(order.FieldBillingStatus), string(order.BillingStatusNOT_BILLED)),
		atOrAfter(s, col(order.FieldFulfilledAt), r.From),
		before(s, col(order.FieldFulfilledAt), r.To),
	)
}

// Months is one row per UTC calendar month the window touches, oldest
// first, empty months included. One statement counts every month.
func (r *BillingReconciliationReport) Months(ctx context.Context) ([]*BillingMonth, error) {
	return r.months.get(ctx, func(ctx context.Context) ([]*BillingMonth, error) {
		keys := r.monthKeys()
		out := make([]*BillingMonth, len(keys))
		at := make(map[string]*BillingMonth, len(keys))
		for i, k := range keys {
			out[i] = &BillingMonth{Month: k, report: r}
			at[k] = out[i]
		}
		if len(keys) == 0 {
			return out, nil
		}
		var rows []struct {
			Month                string `sql:"month"`
			FulfilledNotInvoiced int    `sql:"fulfilled_not_invoiced"`
			InvoicedNotFulfilled int    `sql:"invoiced_not_fulfilled"`
		}
		err := r.s.client.Order.Query().Modify(func(s *entsql.Selector) {
			fulfilled := entsql.EQ(s.C(order.FieldStatus), string(schematype.OrderStatusFulfilled))
			invoicedNotFulfilled := entsql.And(
				entsql.EQ(s.C(order.FieldBillingStatus), string(order.BillingStatusINVOICED)),
				entsql.NEQ(s.C(order.FieldStatus), string(schematype.OrderStatusFulfilled)),
				atOrAfter(s, s.C(order.FieldCreatedAt), r.From),
				before(s, s.C(order.FieldCreatedAt), r.To),
			)
			// A FULFILLED order counts by its fulfilment, any other by its creation.
			month := "CASE WHEN " + s.C(order.FieldStatus) + " = '" + string(schematype.OrderStatusFulfilled) + "' THEN " +
				utcMonth(s, s.C(order.FieldFulfilledAt)) + " ELSE " + utcMonth(s, s.C(order.FieldCreatedAt)) + " END"
			s.Where(entsql.Or(r.fulfilledNotInvoicedP(s, s.C), invoicedNotFulfilled)).
				Select(entsql.As(month, "month")).
				AppendSelectExprAs(sumIf(fulfilled), "fulfilled_not_invoiced").
				AppendSelectExprAs(sumIf(entsql.Not(entsql.EQ(s.C(order.FieldStatus), string(schematype.OrderStatusFulfilled)))), "invoiced_not_fulfilled").
				GroupBy(month)
		}).Scan(ctx, &rows)
		if err != nil {
			return nil, fmt.Errorf("reports: billing reconciliation by month: %w", err)
		}
		for _, row := range rows {
			if m, ok := at[row.Month]; ok {
				m.FulfilledNotInvoiced, m.InvoicedNotFulfilled = row.FulfilledNotInvoiced, row.InvoicedNotFulfilled
			}
		}
		return out, nil
	})
}

// FulfilledNotInvoiced is the number of FULFILLED orders fulfilled in the
// window and not invoiced.
func (r *BillingReconciliationReport) FulfilledNotInvoiced(ctx context.Context) (int, error) {
	return r.total(ctx, func(m *BillingMonth) int { return m.FulfilledNotInvoiced })
}

// InvoicedNotFulfilled is the number of invoiced orders created in the
// window that are not FULFILLED.
func (r *BillingReconciliationReport) InvoicedNotFulfilled(ctx context.Context) (int, error) {
	return r.total(ctx, func(m *BillingMonth) int { return m.InvoicedNotFulfilled })
}

// total sums a count over the months, which cover the window exactly.
func (r *BillingReconciliationReport) total(ctx context.Context, count func(*BillingMonth) int) (int, error) {
	ms, err := r.Months(ctx)
	n := 0
	for _, m := range ms {
		n += count(m)
	}
	return n, err
}

// arrRow is an ARR sum of one currency (of one month).
type arrRow struct {
	Month    string `sql:"month"`
	Currency string `sql:"currency"`
	Amount   int64  `sql:"amount"`
}

// amounts converts ARR rows of one month to MoneyAmounts sorted by
// currency (the database's collation may differ).
func amounts(rows []arrRow) []*MoneyAmount {
	out := make([]*MoneyAmount, len(rows))
	for i, r := range rows {
		out[i] = &MoneyAmount{Currency: r.Currency, AmountMinor: r.Amount}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}

// FulfilledNotInvoicedArr is the ARR of the distinct contracts of the
// FULFILLED orders fulfilled in the window and not invoiced, per currency
// (orders without a contract add nothing). Financial: the server refuses
// the field, before this runs, to viewers without financial access.
func (r *BillingReconciliationReport) FulfilledNotInvoicedArr(ctx context.Context) ([]*MoneyAmount, error) {
	var rows []arrRow
	// Each contract once: the contracts (row rules applied) that have such
	// an order.
	err := r.s.client.Contract.Query().Modify(func(s *entsql.Selector) {
		o := entsql.Table(order.Table).As("o")
		sub := entsql.Dialect(s.Dialect()).Select(o.C(order.FieldID)).From(o).Where(entsql.And(
			entsql.ColumnsEQ(o.C(order.FieldContractID), s.C(contract.FieldID)),
			r.fulfilledNotInvoicedP(s, o.C),
		))
		cur := s.C(contract.FieldCurrency)
		s.Where(entsql.Exists(sub)).
			Select(entsql.As(cur, "currency"), entsql.As(entsql.Sum(s.C(contract.FieldArrMinor)), "amount")).
			GroupBy(cur)
	}).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("reports: ARR of contracts not invoiced: %w", err)
	}
	return amounts(rows), nil
}

// monthlyArr computes every month's FulfilledNotInvoicedArr in one
// statement: the contracts (row rules applied) joined to the distinct
// (contract, month of fulfilment) pairs of the orders not invoiced.
func (r *BillingReconciliationReport) monthlyArr(ctx context.Context) (map[string][]*MoneyAmount, error) {
	return r.arr.get(ctx, func(ctx context.Context) (map[string][]*MoneyAmount, error) {
		var rows []arrRow
		err := r.s.client.Contract.Query().Modify(func(s *entsql.Selector) {
			o := entsql.Table(order.Table).As("o")
			pairs := entsql.Dialect(s.Dialect()).Select().Distinct().From(o).
				AppendSelectAs(o.C(order.FieldContractID), "contract_id").
				AppendSelectExprAs(entsql.Expr(utcMonth(s, o.C(order.FieldFulfilledAt))), "month").
				Where(entsql.And(entsql.NotNull(o.C(order.FieldContractID)), r.fulfilledNotInvoicedP(s, o.C))).
				As("p")
			month, cur := pairs.C("month"), s.C(contract.FieldCurrency)
			s.Join(pairs).On(s.C(contract.FieldID), pairs.C("contract_id")).
				Select(entsql.As(month, "month"), entsql.As(cur, "currency"), entsql.As(entsql.Sum(s.C(contract.FieldArrMinor)), "amount")).
				GroupBy(month, cur)
		}).Scan(ctx, &rows)
		if err != nil {
			return nil, fmt.Errorf("reports: monthly ARR of contracts not invoiced: %w", err)
		}
		byMonth := map[string][]arrRow{}
		for _, row := range rows {
			byMonth[row.Month] = append(byMonth[row.Month], row)
		}
		out := make(map[string][]*MoneyAmount, len(byMonth))
		for m, rs := range byMonth {
			out[m] = amounts(rs)
		}
		return out, nil
	})
}

// FulfilledNotInvoicedArr is the ARR of the distinct contracts of the
// month's FULFILLED orders not invoiced, per currency (financial). Every
// month's figures come from one statement.
func (m *BillingMonth) FulfilledNotInvoicedArr(ctx context.Context) ([]*MoneyAmount, error) {
	all, err := m.report.monthlyArr(ctx)
	if err != nil {
		return nil, err
	}
	if a := all[m.Month]; a != nil {
		return a, nil
	}
	return []*MoneyAmount{}, nil
}
