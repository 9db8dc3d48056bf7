package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/order"
	"github.com/opsgraph/opsgraph/ent/schema/gid"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/orders/orderstest"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

var orderNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

const orderFields = `id number status submittedAt validatedAt provisioningAt fulfilledAt rejectedAt cancelledAt
	rejectionReason rejectionNote billingStatus invoiceReference allowedActions
	validationErrors { code line message }
	events { fromStatus toStatus actor note at }
	lines { action quantity tier product { sku } entitlements { status limit tier } }`

type apiOrder struct {
	ID, Number, Status             string
	SubmittedAt, ValidatedAt       *time.Time
	ProvisioningAt, FulfilledAt    *time.Time
	RejectedAt, CancelledAt        *time.Time
	RejectionReason, RejectionNote string
	BillingStatus                  string
	InvoiceReference               *string
	AllowedActions                 []string
	ValidationErrors               []struct {
		Code    string
		Line    int
		Message string
	}
	Events []struct {
		FromStatus *string
		ToStatus   string
		Actor      string
		Note       string
	}
	Lines []struct {
		Action       string
		Quantity     int64
		Tier         string
		Entitlements []struct {
			Status string
			Limit  *int64
			Tier   string
		}
	}
}

type userError struct {
	Field   []string
	Code    string
	Message string
}

type orderPayload struct {
	Order      *apiOrder
	UserErrors []userError
}

// orderCall runs one order mutation (name) with input and returns its payload.
func orderCall(t *testing.T, srv *apitest.Server, name string, input map[string]any, extra ...string) orderPayload {
	t.Helper()
	args := "input: $input"
	decl := "$input: " + map[string]string{
		"orderCreate": "OrderCreateInput!", "orderUpdate": "OrderUpdateInput!", "orderSubmit": "OrderSubmitInput!",
		"orderValidate": "OrderValidateInput!", "orderReject": "OrderRejectInput!", "orderMarkInvoiced": "OrderMarkInvoicedInput!",
	}[name]
	if decl == "$input: " {
		decl += "OrderTransitionInput!"
	}
	vars := map[string]any{"input": input}
	if len(extra) == 1 {
		args += ", idempotencyKey: $key"
		decl += ", $key: String"
		vars["key"] = extra[0]
	}
	var data map[string]orderPayload
	srv.Post(fmt.Sprintf(`mutation(%s) { p: %s(%s) { order { %s } userErrors { field code message } } }`, decl, name, args, orderFields), vars).MustData(t, &data)
	return data["p"]
}

func ok(t *testing.T, p orderPayload) *apiOrder {
	t.Helper()
	if len(p.UserErrors) > 0 || p.Order == nil {
		t.Fatalf("userErrors: %+v", p.UserErrors)
	}
	return p.Order
}

func line(action string, productID int, more ...any) map[string]any {
	l := map[string]any{"action": action, "productID": gid.Encode(productID)}
	for i := 0; i+1 < len(more); i += 2 {
		l[more[i].(string)] = more[i+1]
	}
	return l
}

func newOrder(f *orderstest.Fixture, lines ...map[string]any) map[string]any {
	return map[string]any{"accountID": gid.Encode(f.Account.ID), "contractID": gid.Encode(f.Contract.ID), "lines": lines}
}

// One order from DRAFT to FULFILLED and invoiced through the API: each
// transition stamps its time and appends an event; fulfilment creates the
// entitlements, linked to their lines; a second fulfilment is refused.
func TestOrderLifecycle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.NewAt(t, db, func() time.Time { return orderNow })
		f := orderstest.New(t, db.Client, orderNow)
		o := ok(t, orderCall(t, srv, "orderCreate", newOrder(f, line("ADD", f.Seats.ID, "quantity", 10))))
		if o.Status != "DRAFT" || len(o.Events) != 1 || o.Events[0].FromStatus != nil || fmt.Sprint(o.AllowedActions) != "[UPDATE SUBMIT CANCEL]" {
			t.Fatalf("draft: %+v", o)
		}
		o = ok(t, orderCall(t, srv, "orderUpdate", map[string]any{"orderID": o.ID, "lines": []any{
			line("ADD", f.Seats.ID, "quantity", 40, "tier", "PREMIUM"), line("ADD", f.SSO.ID)}}))
		if len(o.Lines) != 2 || o.Lines[0].Quantity != 40 || o.Status != "DRAFT" {
			t.Fatalf("update: %+v", o)
		}
		o = ok(t, orderCall(t, srv, "orderSubmit", map[string]any{"orderID": o.ID, "note": "from the portal"}))
		o = ok(t, orderCall(t, srv, "orderValidate", map[string]any{"orderID": o.ID}))
		if o.Status != "VALIDATED" || len(o.ValidationErrors) != 0 {
			t.Fatalf("validate: %+v", o)
		}
		if p := orderCall(t, srv, "orderUpdate", map[string]any{"orderID": o.ID}); p.Order != nil || len(p.UserErrors) != 1 ||
			p.UserErrors[0].Code != "INVALID_TRANSITION" || p.UserErrors[0].Message != "cannot update an order that is VALIDATED (allowed now: [startProvisioning reject cancel])" {
			t.Fatalf("update after validation: %+v", p)
		}
		ok(t, orderCall(t, srv, "orderStartProvisioning", map[string]any{"orderID": o.ID}))
		o = ok(t, orderCall(t, srv, "orderFulfill", map[string]any{"orderID": o.ID, "note": "done"}))
		if o.Status != "FULFILLED" || o.SubmittedAt == nil || o.ValidatedAt == nil || o.ProvisioningAt == nil || o.FulfilledAt == nil || len(o.AllowedActions) != 0 {
			t.Fatalf("fulfilled: %+v", o)
		}
		var timeline []string
		for _, e := range o.Events {
			timeline = append(timeline, e.ToStatus)
			if e.Actor != "admin@opsgraph.example" {
				t.Fatalf("actor %q", e.Actor)
			}
		}
		if fmt.Sprint(timeline) != "[DRAFT SUBMITTED VALIDATED PROVISIONING FULFILLED]" || o.Events[1].Note != "from the portal" || o.Events[4].Note != "done" {
			t.Fatalf("timeline %v %+v", timeline, o.Events)
		}
		seats := o.Lines[0].Entitlements
		if len(seats) != 1 || seats[0].Status != "ACTIVE" || *seats[0].Limit != 40 || seats[0].Tier != "PREMIUM" || len(o.Lines[1].Entitlements) != 1 {
			t.Fatalf("entitlements: %+v", o.Lines)
		}
		if p := orderCall(t, srv, "orderFulfill", map[string]any{"orderID": o.ID}); len(p.UserErrors) != 1 || p.UserErrors[0].Code != "INVALID_TRANSITION" {
			t.Fatalf("second fulfilment: %+v", p)
		}
		if p := orderCall(t, srv, "orderCancel", map[string]any{"orderID": o.ID}); len(p.UserErrors) != 1 || p.UserErrors[0].Code != "INVALID_TRANSITION" {
			t.Fatalf("cancel after fulfilment: %+v", p)
		}
		sys := viewer.System(context.Background(), "test")
		if n := db.Client.Entitlement.Query().CountX(sys); n != 2 {
			t.Fatalf("%d entitlements", n)
		}
		// The audit trail has the fulfilment, filterable by action, actor and time.
		var audit struct {
			AuditEvents struct {
				Edges []struct {
					Node struct {
						EntityType string
						Actor      string
						Changes    []struct{ Field string }
					}
				}
			}
		}
		srv.Post(`query($from: Time!) { auditEvents(first: 20, where: {action: "orderFulfill", actor: "admin@opsgraph.example", atGTE: $from}, orderBy: {field: AT}) {
			edges { node { entityType actor changes { field } } } } }`, map[string]any{"from": orderNow.Add(-time.Minute)}).MustData(t, &audit)
		kinds := map[string]int{}
		for _, e := range audit.AuditEvents.Edges {
			kinds[e.Node.EntityType]++
		}
		if kinds["Order"] != 1 || kinds["OrderEvent"] != 1 || kinds["Entitlement"] != 2 || len(kinds) != 3 {
			t.Fatalf("audit of orderFulfill: %v", kinds)
		}
		// Invoicing: idempotent with the same reference, refused with another.
		for i, tc := range []struct{ ref, code string }{{"INV-1", ""}, {"INV-1", ""}, {"INV-2", "INVALID_TRANSITION"}, {" ", "REQUIRED"}} {
			p := orderCall(t, srv, "orderMarkInvoiced", map[string]any{"orderID": o.ID, "invoiceReference": tc.ref})
			if tc.code == "" && (len(p.UserErrors) > 0 || p.Order.BillingStatus != "INVOICED" || *p.Order.InvoiceReference != "INV-1") ||
				tc.code != "" && (len(p.UserErrors) != 1 || p.UserErrors[0].Code != tc.code) {
				t.Fatalf("invoice %d: %+v", i, p)
			}
		}
		// An order that is not fulfilled cannot be invoiced.
		o2 := ok(t, orderCall(t, srv, "orderCreate", newOrder(f, line("ADD", f.API.ID))))
		if p := orderCall(t, srv, "orderMarkInvoiced", map[string]any{"orderID": o2.ID, "invoiceReference": "INV-3"}); len(p.UserErrors) != 1 || p.UserErrors[0].Code != "INVALID_TRANSITION" {
			t.Fatalf("invoice a draft: %+v", p)
		}
		o2 = ok(t, orderCall(t, srv, "orderSubmit", map[string]any{"orderID": o2.ID}))
		o2 = ok(t, orderCall(t, srv, "orderReject", map[string]any{"orderID": o2.ID, "reason": "CREDIT_HOLD", "note": "account on credit hold"}))
		if o2.Status != "REJECTED" || o2.RejectionReason != "CREDIT_HOLD" || o2.RejectedAt == nil {
			t.Fatalf("reject: %+v", o2)
		}
		if p := orderCall(t, srv, "orderReject", map[string]any{"orderID": o2.ID, "reason": "credit hold", "note": ""}); len(p.UserErrors) != 2 {
			t.Fatalf("bad reason and missing note: %+v", p)
		}
	})
}

// Each validation rule, through the API: orderValidate records the failure
// on the order (code, line, message) and returns it as a userError; the
// order stays SUBMITTED, or is REJECTED with rejectOnFailure.
func TestOrderValidationRules(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	srv := apitest.NewAt(t, db, func() time.Time { return orderNow })
	sys := viewer.System(context.Background(), "test")
	entitle := func(f *orderstest.Fixture, limit int64) {
		db.Client.Entitlement.Create().SetAccountID(f.Account.ID).SetContractID(f.Contract.ID).SetProductID(f.Seats.ID).
			SetKind(schematype.EntitlementKindQuantity).SetLimit(limit).SetActiveFrom(orderNow.Add(-time.Hour)).ExecX(sys)
	}
	for i, tc := range []struct {
		name  string
		setup func(f *orderstest.Fixture)
		order func(f *orderstest.Fixture) map[string]any
		code  string
		line  int
	}{
		{"valid", nil, func(f *orderstest.Fixture) map[string]any {
			return newOrder(f, line("ADD", f.Seats.ID, "quantity", 100))
		}, "", 0},
		{"contract not active", func(f *orderstest.Fixture) {
			db.Client.Contract.UpdateOneID(f.Contract.ID).SetStatus(contract.StatusTERMINATED).ExecX(sys)
		}, func(f *orderstest.Fixture) map[string]any { return newOrder(f, line("ADD", f.Seats.ID)) }, "CONTRACT_NOT_ACTIVE", 0},
		{"contract ended", func(f *orderstest.Fixture) {
			db.Client.Contract.UpdateOneID(f.Contract.ID).SetEndDate(orderNow.Add(-time.Hour)).ExecX(sys)
		}, func(f *orderstest.Fixture) map[string]any { return newOrder(f, line("ADD", f.Seats.ID)) }, "CONTRACT_NOT_ACTIVE", 0},
		{"another account's contract", nil, func(f *orderstest.Fixture) map[string]any {
			o := newOrder(f, line("ADD", f.Seats.ID))
			o["contractID"] = gid.Encode(f.OtherContract.ID)
			return o
		}, "CONTRACT_ACCOUNT_MISMATCH", 0},
		{"inactive product", nil, func(f *orderstest.Fixture) map[string]any { return newOrder(f, line("ADD", f.Retired.ID)) }, "PRODUCT_INACTIVE", 1},
		{"product not on contract", nil, func(f *orderstest.Fixture) map[string]any {
			return newOrder(f, line("ADD", f.SSO.ID), line("ADD", f.Extra.ID, "quantity", 1))
		}, "PRODUCT_NOT_ON_CONTRACT", 2},
		{"change to zero", func(f *orderstest.Fixture) { entitle(f, 10) }, func(f *orderstest.Fixture) map[string]any {
			return newOrder(f, line("CHANGE", f.Seats.ID, "quantity", 0))
		}, "QUANTITY_NOT_POSITIVE", 1},
		{"add above contract", nil, func(f *orderstest.Fixture) map[string]any {
			return newOrder(f, line("ADD", f.Seats.ID, "quantity", 101))
		}, "QUANTITY_EXCEEDS_CONTRACT", 1},
		{"change above contract", func(f *orderstest.Fixture) { entitle(f, 10) }, func(f *orderstest.Fixture) map[string]any {
			return newOrder(f, line("CHANGE", f.Seats.ID, "quantity", 101))
		}, "QUANTITY_EXCEEDS_CONTRACT", 1},
		{"change within contract", func(f *orderstest.Fixture) { entitle(f, 90) }, func(f *orderstest.Fixture) map[string]any {
			return newOrder(f, line("CHANGE", f.Seats.ID, "quantity", 100))
		}, "", 0},
		{"tier not offered", nil, func(f *orderstest.Fixture) map[string]any {
			return newOrder(f, line("ADD", f.Seats.ID, "tier", "GOLD"))
		}, "TIER_NOT_OFFERED", 1},
		{"remove without entitlement", nil, func(f *orderstest.Fixture) map[string]any { return newOrder(f, line("REMOVE", f.Seats.ID)) }, "ENTITLEMENT_MISMATCH", 1},
		{"change without entitlement", nil, func(f *orderstest.Fixture) map[string]any {
			return newOrder(f, line("CHANGE", f.Seats.ID, "quantity", 5))
		}, "ENTITLEMENT_MISMATCH", 1},
		{"renew without entitlement", nil, func(f *orderstest.Fixture) map[string]any { return newOrder(f, line("RENEW", f.Seats.ID)) }, "ENTITLEMENT_MISMATCH", 1},
		{"add when entitled", func(f *orderstest.Fixture) { entitle(f, 10) }, func(f *orderstest.Fixture) map[string]any {
			return newOrder(f, line("ADD", f.Seats.ID, "quantity", 5))
		}, "ENTITLEMENT_MISMATCH", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := orderstest.Named(t, db.Client, orderNow, fmt.Sprintf("v%d-", i))
			if tc.setup != nil {
				tc.setup(f)
			}
			for _, reject := range []bool{false, true} {
				o := ok(t, orderCall(t, srv, "orderSubmit", map[string]any{"order": tc.order(f)}))
				p := orderCall(t, srv, "orderValidate", map[string]any{"orderID": o.ID, "rejectOnFailure": reject})
				if tc.code == "" {
					if ok(t, p).Status != "VALIDATED" {
						t.Fatalf("not validated: %+v", p.Order)
					}
					return
				}
				if len(p.UserErrors) != 1 || p.UserErrors[0].Code != tc.code || fmt.Sprint(p.UserErrors[0].Field) != "[input orderID]" {
					t.Fatalf("userErrors %+v, want %s", p.UserErrors, tc.code)
				}
				want := map[bool]string{false: "SUBMITTED", true: "REJECTED"}[reject]
				if p.Order == nil || p.Order.Status != want || len(p.Order.ValidationErrors) != 1 ||
					p.Order.ValidationErrors[0].Code != tc.code || p.Order.ValidationErrors[0].Line != tc.line {
					t.Fatalf("recorded: %+v", p.Order)
				}
				if reject && p.Order.RejectionReason != "VALIDATION_FAILED" {
					t.Fatalf("rejection reason %q", p.Order.RejectionReason)
				}
			}
		})
	}
	// Submitting needs lines and a contract.
	f := orderstest.Named(t, db.Client, orderNow, "submit-")
	p := orderCall(t, srv, "orderSubmit", map[string]any{"order": map[string]any{"accountID": gid.Encode(f.Account.ID), "lines": []any{}}})
	if len(p.UserErrors) != 2 || p.UserErrors[0].Code != "ORDER_HAS_NO_LINES" || p.UserErrors[1].Code != "CONTRACT_REQUIRED" || p.Order != nil {
		t.Fatalf("empty order: %+v", p)
	}
	if n := db.Client.Order.Query().Where(order.AccountID(f.Account.ID)).CountX(sys); n != 0 {
		t.Fatalf("a refused submission left %d orders", n)
	}
}

// Input errors name the field at fault and change nothing.
func TestOrderInputErrors(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	srv := apitest.NewAt(t, db, func() time.Time { return orderNow })
	f := orderstest.New(t, db.Client, orderNow)
	for _, tc := range []struct {
		name  string
		input map[string]any
		field string
		code  string
	}{
		{"account of wrong type", map[string]any{"accountID": gid.Encode(f.Seats.ID), "lines": []any{}}, "[input accountID]", "WRONG_TYPE"},
		{"negative quantity", newOrder(f, line("ADD", f.Seats.ID, "quantity", -1)), "[input lines 0 quantity]", "NEGATIVE_VALUE"},
		{"two lines for a product", newOrder(f, line("ADD", f.Seats.ID), line("ADD", f.Seats.ID)), "[input lines 1 productID]", "INVALID_VALUE"},
		{"unknown product", newOrder(f, line("ADD", f.Seats.ID+1000)), "[input lines 0 productID]", "NOT_FOUND"},
		{"empty number", map[string]any{"accountID": gid.Encode(f.Account.ID), "number": " ", "lines": []any{}}, "[input number]", "REQUIRED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := orderCall(t, srv, "orderCreate", tc.input)
			if len(p.UserErrors) != 1 || p.UserErrors[0].Code != tc.code || fmt.Sprint(p.UserErrors[0].Field) != tc.field {
				t.Fatalf("got %+v, want %s at %s", p.UserErrors, tc.code, tc.field)
			}
		})
	}
	if n := db.Client.Order.Query().CountX(viewer.System(context.Background(), "t")); n != 0 {
		t.Fatalf("%d orders", n)
	}
}

// orderSubmit with an idempotency key: the same key and payload returns the
// original order; another payload is refused.
func TestOrderSubmitIdempotency(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.NewAt(t, db, func() time.Time { return orderNow })
		f := orderstest.New(t, db.Client, orderNow)
		in := map[string]any{"order": newOrder(f, line("ADD", f.Seats.ID, "quantity", 5))}
		first := ok(t, orderCall(t, srv, "orderSubmit", in, "key-1"))
		again := ok(t, orderCall(t, srv, "orderSubmit", in, "key-1"))
		if again.ID != first.ID || again.Status != "SUBMITTED" || len(again.Events) != 2 {
			t.Fatalf("retry: %+v vs %+v", again, first)
		}
		other := map[string]any{"order": newOrder(f, line("ADD", f.Seats.ID, "quantity", 6))}
		if p := orderCall(t, srv, "orderSubmit", other, "key-1"); len(p.UserErrors) != 1 || p.UserErrors[0].Code != "IDEMPOTENCY_KEY_REUSED" {
			t.Fatalf("reused key: %+v", p)
		}
		// Submitting a draft by id under a key is retried the same way.
		d := ok(t, orderCall(t, srv, "orderCreate", newOrder(f, line("ADD", f.SSO.ID))))
		byID := map[string]any{"orderID": d.ID}
		s1 := ok(t, orderCall(t, srv, "orderSubmit", byID, "key-2"))
		s2 := ok(t, orderCall(t, srv, "orderSubmit", byID, "key-2"))
		if s1.ID != d.ID || s2.ID != d.ID || len(s2.Events) != 2 {
			t.Fatalf("by id: %+v %+v", s1, s2)
		}
		if n := db.Client.Order.Query().CountX(viewer.System(context.Background(), "t")); n != 2 {
			t.Fatalf("%d orders", n)
		}
	})
}

// Against PostgreSQL: 20 concurrent submissions under one key make one
// order; 10 concurrent fulfilments of one order make one set of
// entitlements; every request gets an answer (no deadlock).
func TestOrderConcurrency(t *testing.T) {
	db := testdb.Open(t, dialect.Postgres)
	srv := apitest.NewAt(t, db, func() time.Time { return orderNow })
	f := orderstest.New(t, db.Client, orderNow)
	sys := viewer.System(context.Background(), "t")
	in := map[string]any{"order": newOrder(f, line("ADD", f.Seats.ID, "quantity", 30), line("ADD", f.SSO.ID))}
	const submitters = 20
	ids := make([]string, submitters)
	var wg sync.WaitGroup
	for i := range submitters {
		wg.Go(func() {
			var data map[string]orderPayload
			res := srv.Post(`mutation($input: OrderSubmitInput!) { p: orderSubmit(input: $input, idempotencyKey: "one-order") { order { id } userErrors { code message } } }`,
				map[string]any{"input": in})
			if err := json.Unmarshal(res.Data, &data); err != nil || len(res.Errors) > 0 || len(data["p"].UserErrors) > 0 || data["p"].Order == nil {
				t.Errorf("submitter %d: %s", i, res.Raw)
				return
			}
			ids[i] = data["p"].Order.ID
		})
	}
	wg.Wait()
	if n := db.Client.Order.Query().CountX(sys); n != 1 {
		t.Fatalf("%d orders from one key", n)
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("submitters saw different orders: %v", ids)
		}
	}
	ok(t, orderCall(t, srv, "orderValidate", map[string]any{"orderID": ids[0]}))
	ok(t, orderCall(t, srv, "orderStartProvisioning", map[string]any{"orderID": ids[0]}))
	const fulfillers = 10
	codes := make([]string, fulfillers)
	for i := range fulfillers {
		wg.Go(func() {
			var data map[string]orderPayload
			res := srv.Post(`mutation($id: ID!) { p: orderFulfill(input: {orderID: $id}) { order { status } userErrors { code } } }`, map[string]any{"id": ids[0]})
			if err := json.Unmarshal(res.Data, &data); err != nil || len(res.Errors) > 0 {
				t.Errorf("fulfiller %d: %s", i, res.Raw)
				return
			}
			if p := data["p"]; len(p.UserErrors) > 0 {
				codes[i] = p.UserErrors[0].Code
			} else {
				codes[i] = p.Order.Status
			}
		})
	}
	wg.Wait()
	won := 0
	for _, c := range codes {
		switch c {
		case "FULFILLED":
			won++
		case "INVALID_TRANSITION":
		default:
			t.Fatalf("fulfilment outcomes %v", codes)
		}
	}
	if won != 1 {
		t.Fatalf("%d fulfilments applied: %v", won, codes)
	}
	if n := db.Client.Entitlement.Query().Where(entitlement.AccountID(f.Account.ID)).CountX(sys); n != 2 {
		t.Fatalf("%d entitlements, want one set of 2", n)
	}
}
