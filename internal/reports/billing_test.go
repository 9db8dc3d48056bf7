package reports_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/order"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/reports"
	"github.com/opsgraph/opsgraph/internal/reports/orderoracle"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
)

// checkBilling compares the billing reconciliation with the oracle.
func checkBilling(t *testing.T, ctx context.Context, svc *reports.Service, d *orderoracle.Data, keep orderoracle.Keep, now time.Time, from, to *time.Time) orderoracle.Billing {
	t.Helper()
	r, err := svc.BillingReconciliation(from, to)
	if err != nil {
		t.Fatal(err)
	}
	wantTo := now
	if to != nil {
		wantTo = *to
	}
	last := wantTo.Add(-time.Nanosecond)
	wantFrom := time.Date(last.Year(), last.Month()-11, 1, 0, 0, 0, 0, time.UTC)
	if from != nil {
		wantFrom = *from
	}
	ordWindow(t, r.From, r.To, wantFrom, wantTo)
	want := d.BillingReconciliation(keep, wantFrom, wantTo)
	months, err := r.Months(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []orderoracle.Month
	for _, m := range months {
		arr, err := m.FulfilledNotInvoicedArr(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, orderoracle.Month{Month: m.Month, FulfilledNotInvoiced: m.FulfilledNotInvoiced, InvoicedNotFulfilled: m.InvoicedNotFulfilled})
		if orderoracle.Money(arr) != fmt.Sprint(want.Months[len(got)-1].Arr) {
			t.Errorf("%s ARR %s, want %v", m.Month, orderoracle.Money(arr), want.Months[len(got)-1].Arr)
		}
	}
	var w []orderoracle.Month
	for _, m := range want.Months {
		w = append(w, orderoracle.Month{Month: m.Month, FulfilledNotInvoiced: m.FulfilledNotInvoiced, InvoicedNotFulfilled: m.InvoicedNotFulfilled})
	}
	if fmt.Sprint(got) != fmt.Sprint(w) {
		t.Errorf("months of [%s, %s):\n got %v\nwant %v", wantFrom, wantTo, got, w)
	}
	fni, err1 := r.FulfilledNotInvoiced(ctx)
	inf, err2 := r.InvoicedNotFulfilled(ctx)
	arr, err3 := r.FulfilledNotInvoicedArr(ctx)
	if err1 != nil || err2 != nil || err3 != nil {
		t.Fatal(err1, err2, err3)
	}
	if fni != want.FulfilledNotInvoiced || inf != want.InvoicedNotFulfilled || orderoracle.Money(arr) != fmt.Sprint(want.Arr) {
		t.Errorf("totals %d %d %s, want %d %d %v", fni, inf, orderoracle.Money(arr), want.FulfilledNotInvoiced, want.InvoicedNotFulfilled, want.Arr)
	}
	return want
}

func TestBillingReconciliationEdges(t *testing.T) {
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f, svc := newOrdFixture(t, db, now)
		ctx := f.ctx
		arr := func(v int64, cur string) func(*ent.ContractCreate) {
			return func(q *ent.ContractCreate) { q.SetArrMinor(v).SetCurrency(cur) }
		}
		k1 := f.contract(f.acc, contract.StatusACTIVE, now.AddDate(1, 0, 0), arr(1000, "USD"))
		k2 := f.contract(f.acc, contract.StatusACTIVE, now.AddDate(1, 0, 0), arr(500, "EUR"))
		k3 := f.contract(f.acc, contract.StatusACTIVE, now.AddDate(1, 0, 0), arr(300, "USD"))
		fulfilled := func(k *ent.Contract, at time.Time, billing order.BillingStatus) {
			f.order(f.acc, schematype.OrderStatusFulfilled, func(q *ent.OrderCreate) {
				q.SetFulfilledAt(at).SetBillingStatus(billing).SetCreatedAt(at.Add(-48 * time.Hour))
				if k != nil {
					q.SetContract(k)
				}
			})
		}
		march := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		fulfilled(k1, march, order.BillingStatusNOT_BILLED)                                             // the first instant of March
		fulfilled(k1, march.AddDate(0, 1, 0).Add(-500*time.Millisecond), order.BillingStatusNOT_BILLED) // the last half second: k1 once in March
		fulfilled(k1, time.Date(2026, 4, 10, 0, 0, 0, 0, time.UTC), order.BillingStatusNOT_BILLED)      // k1 again in April, once in all
		fulfilled(k2, time.Date(2026, 4, 11, 0, 0, 0, 0, time.UTC), order.BillingStatusNOT_BILLED)
		fulfilled(nil, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), order.BillingStatusNOT_BILLED) // no contract: counted, no ARR
		fulfilled(k3, now, order.BillingStatusNOT_BILLED)                                          // at the window's end: excluded
		fulfilled(k3, time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC), order.BillingStatusINVOICED)
		fulfilled(k3, time.Date(2026, 5, 3, 0, 0, 0, 0, time.UTC), order.BillingStatusNOT_BILLABLE)
		// Invoiced but not FULFILLED (no action makes these; a billing sync might).
		invoiced := func(st schematype.OrderStatus, created time.Time) {
			f.order(f.acc, st, func(q *ent.OrderCreate) {
				q.SetBillingStatus(order.BillingStatusINVOICED).SetInvoiceReference("INV").SetCreatedAt(created).SetContract(k3)
			})
		}
		invoiced(schematype.OrderStatusValidated, time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC))
		invoiced(schematype.OrderStatusCancelled, time.Date(2025, 6, 30, 23, 59, 59, 0, time.UTC)) // before the default window
		invoiced(schematype.OrderStatusCancelled, time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC))     // its first instant
		d := ordLoad(t, db)

		want := checkBilling(t, ctx, svc, d, nil, now, nil, nil)
		// By hand: July 2025 … June 2026.
		if len(want.Months) != 12 || want.Months[0].Month != "2025-07" || want.Months[11].Month != "2026-06" ||
			want.FulfilledNotInvoiced != 5 || want.InvoicedNotFulfilled != 2 || fmt.Sprint(want.Arr) != "map[EUR:500 USD:1000]" ||
			fmt.Sprint(want.Months[8].Arr) != "map[USD:1000]" || want.Months[8].FulfilledNotInvoiced != 2 ||
			fmt.Sprint(want.Months[9].Arr) != "map[EUR:500 USD:1000]" || fmt.Sprint(want.Months[10].Arr) != "map[]" {
			t.Errorf("oracle: %+v", want)
		}
		april, may := march.AddDate(0, 1, 0), march.AddDate(0, 2, 0)
		mid := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
		for _, w := range [][2]*time.Time{{&march, &april}, {&april, &may}, {&mid, nil}, {nil, &may}, {&march, &march}} {
			checkBilling(t, ctx, svc, d, nil, now, w[0], w[1])
		}
		r, _ := svc.BillingReconciliation(&march, &march)
		if ms, _ := r.Months(ctx); len(ms) != 0 {
			t.Errorf("an empty window has months %v", ms)
		}
		if a, _ := r.FulfilledNotInvoicedArr(ctx); a == nil || len(a) != 0 {
			t.Errorf("an empty window's ARR: %v", a)
		}

		// Arguments.
		_, err := svc.BillingReconciliation(&april, &march)
		accWantBadInput(t, err)
		long := march.AddDate(-10, 0, 0)
		_, err = svc.BillingReconciliation(&long, &march) // 120 months: fine
		if err != nil {
			t.Error(err)
		}
		long = long.Add(-time.Nanosecond) // 121
		_, err = svc.BillingReconciliation(&long, &march)
		accWantBadInput(t, err)
	})
}
