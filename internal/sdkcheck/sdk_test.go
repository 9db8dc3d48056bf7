package sdkcheck_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
	"github.com/opsgraph/opsgraph/sdk"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// now is the server's clock: the end of the demo data's seed clock.
var now = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// counting counts the HTTP requests a client sends.
type counting struct {
	n    atomic.Int32
	next http.RoundTripper
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// client is an SDK client of srv for a viewer with roles, and its request
// counter.
func client(srv *apitest.Server, roles ...string) (*sdk.Client, *counting) {
	rt := &counting{next: http.DefaultTransport}
	tok := srv.Token("sdk-"+roles[0]+"@opsgraph.example", roles...)
	return sdk.New(srv.URL, sdk.WithToken(tok), sdk.WithHTTPClient(&http.Client{Transport: rt})), rt
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// The SDK against the real server on both databases: every call below is
// a generated method, typed end to end.
func TestSDKAgainstTheServer(t *testing.T) {
	seedtest.EachDemo(t, now, func(t *testing.T, db *store.DB) {
		srv := apitest.NewAt(t, db, func() time.Time { return now })
		ctx := context.Background()
		admin, requests := client(srv, viewer.RoleAdmin)
		sysCtx := viewer.System(ctx, "test")

		t.Run("pagination iterator across pages", func(t *testing.T) {
			want, err := db.Client.Account.Query().Count(sysCtx)
			if err != nil {
				t.Fatal(err)
			}
			requests.n.Store(0)
			seen := map[string]bool{}
			for acct, err := range admin.Accounts(ctx, sdk.AccountsVars{First: sdk.Ptr(7), OrderBy: []sdk.AccountOrder{{Field: sdk.AccountOrderFieldName}}}) {
				if err != nil {
					t.Fatal(err)
				}
				if seen[acct.Id] || acct.Name == "" {
					t.Fatalf("account %+v repeated or empty", acct)
				}
				seen[acct.Id] = true
			}
			if len(seen) != want || want < 200 {
				t.Fatalf("iterated %d accounts, the database has %d", len(seen), want)
			}
			if got, pages := requests.n.Load(), int32((want+6)/7); got != pages {
				t.Fatalf("%d requests for %d pages of 7", got, pages)
			}
			// Stopping early fetches no further page.
			requests.n.Store(0)
			n := 0
			for _, err := range admin.Accounts(ctx, sdk.AccountsVars{First: sdk.Ptr(7)}) {
				if err != nil {
					t.Fatal(err)
				}
				if n++; n == 10 {
					break
				}
			}
			if requests.n.Load() != 2 {
				t.Fatalf("breaking after 10 of 7-node pages sent %d requests, want 2", requests.n.Load())
			}
		})

		t.Run("filter", func(t *testing.T) {
			want, err := db.Client.Account.Query().Where(account.SegmentEQ(account.SegmentENTERPRISE)).Count(sysCtx)
			if err != nil {
				t.Fatal(err)
			}
			page := must[*sdk.AccountsResponse](t)(admin.AccountsPage(ctx, sdk.AccountsVars{
				First: sdk.Ptr(100), Where: &sdk.AccountWhereInput{Segment: sdk.Ptr(sdk.AccountSegmentEnterprise)},
			}))
			if page.Accounts.TotalCount != want || want == 0 {
				t.Fatalf("totalCount %d, want %d", page.Accounts.TotalCount, want)
			}
			for _, e := range page.Accounts.Edges {
				if e.Node.Segment != sdk.AccountSegmentEnterprise {
					t.Fatalf("filter let through %+v", e.Node)
				}
			}
		})

		t.Run("order lifecycle DRAFT to FULFILLED, usage, signals", func(t *testing.T) {
			contracts := must[*sdk.ContractsResponse](t)(admin.ContractsPage(ctx, sdk.ContractsVars{
				First: sdk.Ptr(1), Where: &sdk.ContractWhereInput{Status: sdk.Ptr(sdk.ContractStatusActive), EndDateGT: sdk.Ptr(now)},
			}))
			if len(contracts.Contracts.Edges) != 1 {
				t.Fatal("no active contract in the demo data")
			}
			contract := contracts.Contracts.Edges[0].Node
			product := must[*sdk.ProductCreateResponse](t)(admin.ProductCreate(ctx, sdk.ProductCreateVars{Input: sdk.CreateProductInput{
				Sku: "SDK-SEATS", Name: "SDK seats", FeatureKey: "sdk", EntitlementKind: sdk.EntitlementKindQuantity,
				Unit: sdk.Ptr("seat"), Tiers: []string{"STANDARD"},
			}})).ProductCreate.Product
			must[*sdk.ContractItemCreateResponse](t)(admin.ContractItemCreate(ctx, sdk.ContractItemCreateVars{Input: sdk.CreateContractItemInput{
				ContractID: contract.Id, ProductID: product.Id, Quantity: 50, Tier: sdk.Ptr("STANDARD"),
			}}))
			order := must[*sdk.OrderCreateResponse](t)(admin.OrderCreate(ctx, sdk.OrderCreateVars{Input: sdk.OrderCreateInput{
				AccountID: contract.Account.Id, ContractID: &contract.Id,
				Lines: []sdk.OrderLineInput{{Action: sdk.OrderLineActionAdd, ProductID: product.Id, Quantity: sdk.Ptr[int64](20), Tier: sdk.Ptr("STANDARD")}},
			}})).OrderCreate.Order
			if order.Status != sdk.OrderStatusDraft {
				t.Fatalf("created order is %s", order.Status)
			}
			sub := must[*sdk.OrderSubmitResponse](t)(admin.OrderSubmit(ctx, sdk.OrderSubmitVars{Input: sdk.OrderSubmitInput{OrderID: &order.Id}}))
			if sub.OrderSubmit.Order.Status != sdk.OrderStatusSubmitted {
				t.Fatalf("submitted order is %s", sub.OrderSubmit.Order.Status)
			}
			must[*sdk.OrderValidateResponse](t)(admin.OrderValidate(ctx, sdk.OrderValidateVars{Input: sdk.OrderValidateInput{OrderID: order.Id}}))
			must[*sdk.OrderStartProvisioningResponse](t)(admin.OrderStartProvisioning(ctx, sdk.OrderStartProvisioningVars{Input: sdk.OrderTransitionInput{OrderID: order.Id}}))
			done := must[*sdk.OrderFulfillResponse](t)(admin.OrderFulfill(ctx, sdk.OrderFulfillVars{Input: sdk.OrderTransitionInput{OrderID: order.Id}})).OrderFulfill.Order
			if done.Status != sdk.OrderStatusFulfilled || done.FulfilledAt == nil || len(done.Events) != 5 {
				t.Fatalf("fulfilled order: %+v", done)
			}
			// Fulfilling again is a typed business rule failure.
			_, err := admin.OrderFulfill(ctx, sdk.OrderFulfillVars{Input: sdk.OrderTransitionInput{OrderID: order.Id}})
			if !sdk.HasUserError(err, sdk.UserErrorCodeInvalidTransition) {
				t.Fatalf("second fulfil: %v", err)
			}
			line := must[*sdk.OrderLine](t)(admin.OrderLineByID(ctx, done.Lines[0].Id))
			if len(line.Entitlements) != 1 {
				t.Fatalf("the line made %d entitlements", len(line.Entitlements))
			}
			ent := must[*sdk.Entitlement](t)(admin.EntitlementByID(ctx, line.Entitlements[0].Id))
			if ent.Status != sdk.EntitlementStatusActive || ent.Limit == nil || *ent.Limit != 20 {
				t.Fatalf("entitlement %+v", ent)
			}

			usage := must[*sdk.EntitlementReportUsageResponse](t)(admin.EntitlementReportUsage(ctx, sdk.EntitlementReportUsageVars{Input: sdk.EntitlementReportUsageInput{
				EntitlementID: ent.Id, Usage: 12, ObservedAt: now.Add(-time.Minute),
			}})).EntitlementReportUsage
			if !usage.Applied || usage.Entitlement.Usage != 12 || usage.Entitlement.Remaining == nil || *usage.Entitlement.Remaining != 8 {
				t.Fatalf("usage report: %+v", usage)
			}

			var signals []sdk.HealthSignalInput
			for i, k := range []sdk.HealthSignalKind{sdk.HealthSignalKindProductUsage, sdk.HealthSignalKindNps, sdk.HealthSignalKindActiveUsers} {
				signals = append(signals, sdk.HealthSignalInput{AccountID: contract.Account.Id, Kind: k, Value: float64(40 + i), ObservedAt: now.Add(-time.Hour), Source: "sdk-test"})
			}
			ingest := must[*sdk.HealthSignalsIngestResponse](t)(admin.HealthSignalsIngest(ctx, sdk.HealthSignalsIngestVars{Input: sdk.HealthSignalsIngestInput{Signals: signals}})).HealthSignalsIngest
			if ingest.Accepted != 3 || ingest.Duplicates != 0 || len(ingest.Scores) != 1 {
				t.Fatalf("ingest: %+v", ingest)
			}
			again := must[*sdk.HealthSignalsIngestResponse](t)(admin.HealthSignalsIngest(ctx, sdk.HealthSignalsIngestVars{Input: sdk.HealthSignalsIngestInput{Signals: signals}})).HealthSignalsIngest
			if again.Accepted != 0 || again.Duplicates != 3 {
				t.Fatalf("re-sent batch: %+v", again)
			}
		})

		t.Run("reports", func(t *testing.T) {
			first := must[*sdk.RenewalCalendarResponse](t)(admin.RenewalCalendarPage(ctx, sdk.RenewalCalendarVars{First: sdk.Ptr(5)}))
			n := 0
			for r, err := range admin.RenewalCalendar(ctx, sdk.RenewalCalendarVars{First: sdk.Ptr(5)}) {
				if err != nil {
					t.Fatal(err)
				}
				if r.Contract.Number == "" || r.Account.Name == "" {
					t.Fatalf("renewal row %+v", r)
				}
				n++
			}
			if n != first.RenewalCalendar.TotalCount || n == 0 {
				t.Fatalf("iterated %d renewals, totalCount %d", n, first.RenewalCalendar.TotalCount)
			}
			pipe := must[*sdk.OrderPipelineResponse](t)(admin.OrderPipeline(ctx, sdk.OrderPipelineVars{}))
			total := 0
			for _, s := range pipe.OrderPipeline.ByStatus {
				total += s.Count
			}
			orders, err := db.Client.Order.Query().Count(sysCtx)
			if err != nil || total != orders {
				t.Fatalf("pipeline counts %d orders, the database %d (%v)", total, orders, err)
			}
		})

		t.Run("errors", func(t *testing.T) {
			bad := sdk.New(srv.URL, sdk.WithToken("not-a-token"))
			_, err := bad.AccountsPage(ctx, sdk.AccountsVars{})
			var e *sdk.Error
			if !errors.As(err, &e) || e.StatusCode != http.StatusUnauthorized || !sdk.IsCode(err, sdk.CodeUnauthenticated) || e.Attempts != 1 {
				t.Fatalf("bad token: %#v", err)
			}

			// An analyst may not read billing contacts (PII): those fields are
			// null with FORBIDDEN at their paths, the rest arrives.
			analyst, _ := client(srv, viewer.RoleOpsAnalyst)
			page, err := analyst.AccountsPage(ctx, sdk.AccountsVars{First: sdk.Ptr(3)})
			if !errors.As(err, &e) || !e.Partial() || !e.HasCode(sdk.CodeForbidden) {
				t.Fatalf("denied field: %v", err)
			}
			if len(page.Accounts.Edges) != 3 || page.Accounts.Edges[0].Node.Name == "" || page.Accounts.Edges[0].Node.BillingContactEmail != nil {
				t.Fatalf("partial data: %+v", page.Accounts.Edges[0].Node)
			}
			// The iterator hands each node over with the errors under it.
			n := 0
			for acct, err := range analyst.Accounts(ctx, sdk.AccountsVars{First: sdk.Ptr(3)}) {
				if acct == nil || !sdk.IsCode(err, sdk.CodeForbidden) {
					t.Fatalf("node %v, err %v", acct, err)
				}
				for _, ge := range err.(*sdk.Error).Errors {
					if ge.Path[0] != "accounts" || ge.Path[2] != float64(n%3) {
						t.Fatalf("node %d got the error at %s", n, ge.PathString())
					}
				}
				if n++; n == 5 {
					break
				}
			}

			// With WithDeniedFields the same calls succeed, the denied fields
			// nil, and the handler hears of each.
			var denied []string
			tolerant := sdk.New(srv.URL, sdk.WithToken(srv.Token("analyst@opsgraph.example", viewer.RoleOpsAnalyst)),
				sdk.WithDeniedFields(func(e *sdk.Error) {
					for _, ge := range e.Errors {
						denied = append(denied, ge.PathString())
					}
				}))
			n = 0
			for acct, err := range tolerant.Accounts(ctx, sdk.AccountsVars{First: sdk.Ptr(50)}) {
				if err != nil || acct.BillingContactEmail != nil {
					t.Fatalf("tolerant iterator: %v %+v", err, acct)
				}
				n++
			}
			if n < 200 || len(denied) != 2*n || !slices.Contains(denied, "accounts.edges.0.node.billingContactEmail") {
				t.Fatalf("%d accounts, denied fields %d: %v", n, len(denied), denied[:2])
			}

			// A business rule failure is a typed *UserErrors with the payload.
			res, err := admin.AccountCreate(ctx, sdk.AccountCreateVars{Input: sdk.CreateAccountInput{
				Name: "", Segment: sdk.AccountSegmentSmb, Region: sdk.RegionEmea,
			}})
			var ue *sdk.UserErrors
			if !errors.As(err, &ue) || !ue.Has(sdk.UserErrorCodeRequired) || res.AccountCreate.Account != nil {
				t.Fatalf("userErrors: %v", err)
			}
			if ue.Errors[0].Field[len(ue.Errors[0].Field)-1] != "name" {
				t.Fatalf("userError field %v", ue.Errors[0].Field)
			}
		})
	})
}
