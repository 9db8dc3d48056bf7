package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/reports"
	"github.com/opsgraph/opsgraph/internal/reports/orderoracle"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// ordersNow is the seed's and the server's clock in the order report tests.
var ordersNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// ordersServer seeds the demo data and serves it with the clock at
// ordersNow, so the reports and the oracle agree on now.
func ordersServer(t *testing.T, db *store.DB) *apitest.Server {
	t.Helper()
	return apitest.NewAt(t, db, func() time.Time { return ordersNow })
}

const pipelineQuery = `query($from: Time, $to: Time, $hours: Int) { orderPipeline(fulfilledFrom: $from, fulfilledTo: $to) {
	fulfilledFrom fulfilledTo byStatus { status count }
	leadTime { count p50Seconds p90Seconds maxSeconds }
	stages { stage duration { count p50Seconds p90Seconds maxSeconds } }
	stuckOrders(olderThanHours: $hours, limit: 100) { order { id status } status lastTransitionAt stuckSeconds } } }`

type apiStats struct {
	Count                              int
	P50Seconds, P90Seconds, MaxSeconds *float64
}

func (s apiStats) String() string {
	return orderoracle.Stats{Count: s.Count, P50: s.P50Seconds, P90: s.P90Seconds, Max: s.MaxSeconds}.String()
}

// checkPipelineAPI compares the pipeline over the API with the oracle.
func checkPipelineAPI(t *testing.T, srv *apitest.Server, tok string, d *orderoracle.Data, keep orderoracle.Keep, from time.Time, hours int) {
	t.Helper()
	var data struct {
		OrderPipeline struct {
			FulfilledFrom, FulfilledTo time.Time
			ByStatus                   []struct {
				Status schematype.OrderStatus
				Count  int
			}
			LeadTime apiStats
			Stages   []struct {
				Stage    string
				Duration apiStats
			}
			StuckOrders []struct {
				Order struct {
					ID     string
					Status schematype.OrderStatus
				}
				Status           schematype.OrderStatus
				LastTransitionAt time.Time
				StuckSeconds     float64
			}
		}
	}
	srv.PostAs(tok, pipelineQuery, map[string]any{"from": from, "hours": hours}).MustData(t, &data)
	p := data.OrderPipeline
	want := d.OrderPipeline(keep, from, ordersNow)
	if !p.FulfilledFrom.Equal(from) || !p.FulfilledTo.Equal(ordersNow) {
		t.Errorf("window [%s, %s)", p.FulfilledFrom, p.FulfilledTo)
	}
	for i, c := range p.ByStatus {
		if c.Status != schematype.AllOrderStatuses[i] || c.Count != want.ByStatus[c.Status] {
			t.Errorf("byStatus %v, want %v", p.ByStatus, want.ByStatus)
			break
		}
	}
	if p.LeadTime.String() != want.LeadTime.String() {
		t.Errorf("lead time %s, want %s", p.LeadTime, want.LeadTime)
	}
	for i, g := range p.Stages {
		if g.Duration.String() != want.Stages[i].String() {
			t.Errorf("stage %s %s, want %s", g.Stage, g.Duration, want.Stages[i])
		}
	}
	var got []orderoracle.Stuck
	for _, s := range p.StuckOrders {
		got = append(got, orderoracle.Stuck{Order: decodeID(t, s.Order.ID), Status: s.Status, Last: s.LastTransitionAt.UTC(), Seconds: s.StuckSeconds})
	}
	if w := d.StuckOrders(keep, ordersNow, hours, 100); fmt.Sprint(got) != fmt.Sprint(w) {
		t.Errorf("stuck orders:\n got %v\nwant %v", got, w)
	}
}

const discrepanciesQuery = `query($first: Int, $after: Cursor, $kinds: [DiscrepancyKind!]) {
	entitlementDiscrepancies(first: $first, after: $after, kinds: $kinds) {
	totalCount countsByKind { kind count } pageInfo { hasNextPage endCursor }
	edges { node { kind detail account { id } entitlement { id } contract { id } order { id } orderLine { id } product { id } } } } }`

// discrepanciesAPI pages through the discrepancies over the API.
func discrepanciesAPI(t *testing.T, srv *apitest.Server, tok string, kinds []string, first int) (recs []orderoracle.Record, total int, counts map[string]int) {
	t.Helper()
	id := func(n *struct{ ID string }) int {
		if n == nil {
			return 0
		}
		return decodeID(t, n.ID)
	}
	var after any
	for page := 0; ; page++ {
		var data struct {
			EntitlementDiscrepancies struct {
				TotalCount   int
				CountsByKind []struct {
					Kind  string
					Count int
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
				Edges []struct {
					Node struct {
						Kind, Detail                                     string
						Account                                          struct{ ID string }
						Entitlement, Contract, Order, OrderLine, Product *struct{ ID string }
					}
				}
			}
		}
		vars := map[string]any{"first": first, "after": after}
		if kinds != nil {
			vars["kinds"] = kinds
		}
		srv.PostAs(tok, discrepanciesQuery, vars).MustData(t, &data)
		c := data.EntitlementDiscrepancies
		if page == 0 {
			total, counts = c.TotalCount, map[string]int{}
			for _, k := range c.CountsByKind {
				counts[k.Kind] = k.Count
			}
		}
		for _, e := range c.Edges {
			n := e.Node
			if n.Detail == "" {
				t.Errorf("%s without detail", n.Kind)
			}
			recs = append(recs, orderoracle.Record{Kind: n.Kind, Account: decodeID(t, n.Account.ID), Entitlement: id(n.Entitlement),
				Contract: id(n.Contract), Order: id(n.Order), Line: id(n.OrderLine), Product: id(n.Product)})
		}
		if !c.PageInfo.HasNextPage || page > 1000 {
			return recs, total, counts
		}
		after = c.PageInfo.EndCursor
	}
}

// checkDiscrepanciesAPI compares the discrepancies over the API with the
// oracle.
func checkDiscrepanciesAPI(t *testing.T, srv *apitest.Server, tok string, d *orderoracle.Data, keep orderoracle.Keep, kinds []string, first int) {
	t.Helper()
	got, total, counts := discrepanciesAPI(t, srv, tok, kinds, first)
	var want []orderoracle.Record
	wantCounts := map[string]int{}
	for _, k := range orderoracle.Kinds {
		if kinds == nil || slices.Contains(kinds, k) {
			wantCounts[k] = 0
		}
	}
	for _, r := range d.Discrepancies(keep, ordersNow, 30) {
		if kinds == nil || slices.Contains(kinds, r.Kind) {
			want = append(want, r)
			wantCounts[r.Kind]++
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("discrepancies:\n got %v\nwant %v", got, want)
	}
	if total != len(want) || fmt.Sprint(counts) != fmt.Sprint(wantCounts) {
		t.Errorf("totalCount %d, countsByKind %v; want %d, %v", total, counts, len(want), wantCounts)
	}
}

const billingQuery = `query($from: Time) { billingReconciliation(from: $from) { from to fulfilledNotInvoiced invoicedNotFulfilled
	fulfilledNotInvoicedArr { currency amountMinor }
	months { month fulfilledNotInvoiced invoicedNotFulfilled fulfilledNotInvoicedArr { currency amountMinor } } } }`

type apiBilling struct {
	BillingReconciliation *struct {
		From, To                                   time.Time
		FulfilledNotInvoiced, InvoicedNotFulfilled int
		FulfilledNotInvoicedArr                    []*reports.MoneyAmount
		Months                                     []struct {
			Month                                      string
			FulfilledNotInvoiced, InvoicedNotFulfilled int
			FulfilledNotInvoicedArr                    []*reports.MoneyAmount
		}
	}
}

// checkBillingAPI compares the reconciliation over the API with the oracle;
// financial says whether the ARR figures must be there or FORBIDDEN.
func checkBillingAPI(t *testing.T, srv *apitest.Server, tok string, d *orderoracle.Data, keep orderoracle.Keep, from time.Time, financial bool) {
	t.Helper()
	res := srv.PostAs(tok, billingQuery, map[string]any{"from": from})
	var data apiBilling
	if err := json.Unmarshal(res.Data, &data); err != nil || data.BillingReconciliation == nil {
		t.Fatalf("no data: %s", res.Raw)
	}
	b := data.BillingReconciliation
	want := d.BillingReconciliation(keep, from, ordersNow)
	if financial {
		if len(res.Errors) > 0 {
			t.Fatalf("errors: %s", res.Raw)
		}
	} else {
		// Each ARR figure: null, with FORBIDDEN at its path.
		paths := map[string]bool{}
		for _, e := range res.Errors {
			if e.Code() != "FORBIDDEN" {
				t.Errorf("error %s", res.Raw)
			}
			paths[fmt.Sprint(e.Path...)] = true
		}
		wantPaths := map[string]bool{"billingReconciliationfulfilledNotInvoicedArr": true}
		for i := range b.Months {
			wantPaths[fmt.Sprint("billingReconciliationmonths", i, "fulfilledNotInvoicedArr")] = true
		}
		if fmt.Sprint(paths) != fmt.Sprint(wantPaths) {
			t.Errorf("FORBIDDEN at %v, want %v", paths, wantPaths)
		}
	}
	if b.FulfilledNotInvoiced != want.FulfilledNotInvoiced || b.InvoicedNotFulfilled != want.InvoicedNotFulfilled || len(b.Months) != len(want.Months) {
		t.Fatalf("totals %d %d, %d months; want %d %d, %d months", b.FulfilledNotInvoiced, b.InvoicedNotFulfilled, len(b.Months),
			want.FulfilledNotInvoiced, want.InvoicedNotFulfilled, len(want.Months))
	}
	arr := func(m []*reports.MoneyAmount, w map[string]int64, what string) {
		switch {
		case !financial && m != nil:
			t.Errorf("%s: ARR %s given without financial access", what, orderoracle.Money(m))
		case financial && (m == nil || orderoracle.Money(m) != fmt.Sprint(w)):
			t.Errorf("%s: ARR %s, want %v", what, orderoracle.Money(m), w)
		}
	}
	arr(b.FulfilledNotInvoicedArr, want.Arr, "report")
	for i, m := range b.Months {
		w := want.Months[i]
		if m.Month != w.Month || m.FulfilledNotInvoiced != w.FulfilledNotInvoiced || m.InvoicedNotFulfilled != w.InvoicedNotFulfilled {
			t.Errorf("month %d: %+v, want %+v", i, m, w)
		}
		arr(m.FulfilledNotInvoicedArr, w.Arr, m.Month)
	}
}

// The order reports end to end: as an ADMIN they match the oracle over every
// row; as a CSM, the oracle over their book only; the ARR figures are
// FORBIDDEN to roles without financial access and exact for FINANCE.
func TestOrderReportsAPI(t *testing.T) {
	seedtest.EachDemo(t, ordersNow, func(t *testing.T, db *store.DB) {
		srv := ordersServer(t, db)
		d, err := orderoracle.Load(context.Background(), db.Client)
		if err != nil {
			t.Fatal(err)
		}
		book, err := orderoracle.Book(context.Background(), db.Client, "csm1@opsgraph.example")
		if err != nil {
			t.Fatal(err)
		}
		admin := srv.Token("admin@opsgraph.example", viewer.RoleAdmin)
		csm := srv.Token("csm1@opsgraph.example", viewer.RoleCSM)
		all := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		t.Run("pipeline", func(t *testing.T) {
			checkPipelineAPI(t, srv, admin, d, nil, all, 72)
			checkPipelineAPI(t, srv, csm, d, book, all, 72)
			checkPipelineAPI(t, srv, csm, d, book, ordersNow.Add(-90*24*time.Hour), 0)
			if a, b := d.OrderPipeline(nil, all, ordersNow), d.OrderPipeline(book, all, ordersNow); b.LeadTime.Count == 0 || b.LeadTime.Count >= a.LeadTime.Count {
				t.Errorf("the book's lead times (%d) are not a part of all (%d)", b.LeadTime.Count, a.LeadTime.Count)
			}
		})
		t.Run("discrepancies", func(t *testing.T) {
			checkDiscrepanciesAPI(t, srv, admin, d, nil, nil, 50)
			checkDiscrepanciesAPI(t, srv, csm, d, book, nil, 4)
			checkDiscrepanciesAPI(t, srv, csm, d, book, []string{"EXCEEDS_CONTRACT", "FULFILLED_NOT_INVOICED"}, 2)
			if len(d.Discrepancies(book, ordersNow, 30)) == 0 {
				t.Error("the CSM's book has no discrepancies to check")
			}
		})
		t.Run("billing", func(t *testing.T) {
			for _, v := range []struct {
				name      string
				tok       string
				keep      orderoracle.Keep
				financial bool
			}{
				{"ADMIN", admin, nil, true},
				{"FINANCE", srv.Token("finance@opsgraph.example", viewer.RoleFinance), nil, true},
				{"CSM", csm, book, true},
				{"SUPPORT", srv.Token("support@opsgraph.example", viewer.RoleSupport), nil, false},
				{"OPS_ANALYST", srv.Token("analyst@opsgraph.example", viewer.RoleOpsAnalyst), nil, false},
				{"VIEWER", srv.Token("viewer@opsgraph.example", viewer.RoleViewer), nil, false},
				{"INTEGRATION financial:read", tokenFor(t, srv, &viewer.Viewer{Subject: "svc-billing", Roles: []string{viewer.RoleIntegration}, Scopes: []string{"read", "financial:read"}}), nil, true},
				{"INTEGRATION read", tokenFor(t, srv, &viewer.Viewer{Subject: "svc-crm", Roles: []string{viewer.RoleIntegration}, Scopes: []string{"read"}}), nil, false},
			} {
				t.Run(v.name, func(t *testing.T) {
					checkBillingAPI(t, srv, v.tok, d, v.keep, all, v.financial)
				})
			}
			b := d.BillingReconciliation(nil, all, ordersNow)
			if len(b.Arr) == 0 || b.FulfilledNotInvoiced == 0 {
				t.Errorf("the demo data has nothing to reconcile: %+v", b)
			}
		})
	})
}

// The statements a report request runs do not depend on the number of rows
// or on the page size: each part of a report is one aggregate statement (or
// one page query per discrepancy kind on the page), and what the records
// refer to is loaded once per page.
func TestOrderReportsStatementCount(t *testing.T) {
	seedtest.EachDemo(t, ordersNow, func(t *testing.T, db *store.DB) {
		srv := ordersServer(t, db)
		count := func(tok, query string, vars map[string]any) int64 {
			t.Helper()
			db.Counter.Reset()
			res := srv.PostAs(tok, query, vars)
			n := db.Counter.Count()
			if len(res.Errors) > 0 {
				t.Fatalf("errors: %s", res.Raw)
			}
			return n
		}
		admin := srv.Token("admin@opsgraph.example", viewer.RoleAdmin)
		csm := srv.Token("csm1@opsgraph.example", viewer.RoleCSM)
		// The CSM's requests resolve the viewer's user and book once more.
		for _, v := range []struct {
			tok   string
			extra int64
		}{{admin, 0}, {csm, 2}} {
			// byStatus, the lead times and stages together, the stuck
			// orders' page, then those orders.
			for _, from := range []string{"2026-10-01T00:00:00Z", "2020-01-01T00:00:00Z"} {
				if n := count(v.tok, pipelineQuery, map[string]any{"from": from, "hours": 0}); n != 4+v.extra {
					t.Errorf("orderPipeline from %s: %d statements, want %d", from, n, 4+v.extra)
				}
			}
			// Months, the report's ARR, every month's ARR.
			for _, from := range []string{"2026-10-01T00:00:00Z", "2020-01-01T00:00:00Z"} {
				if n := count(v.tok, billingQuery, map[string]any{"from": from}); n != 3+v.extra {
					t.Errorf("billingReconciliation from %s: %d statements, want %d", from, n, 3+v.extra)
				}
			}
			// One page query per kind on the page (and the lines' orders),
			// seven counts (one per kind, two for NO_ACTIVE_CONTRACT), then
			// the accounts, contracts and products of the page: one kind on
			// a page of one, all six on a page of 100.
			if n := count(v.tok, discrepanciesQuery, map[string]any{"first": 1}); n != 1+7+3+v.extra {
				t.Errorf("entitlementDiscrepancies(first: 1): %d statements, want %d", n, 1+7+3+v.extra)
			}
			for _, first := range []int{10, 100} {
				if n := count(v.tok, discrepanciesQuery, map[string]any{"first": first}); n > 6+1+7+3+v.extra {
					t.Errorf("entitlementDiscrepancies(first: %d): %d statements, want at most %d", first, n, 6+1+7+3+v.extra)
				}
			}
		}
	})
}
