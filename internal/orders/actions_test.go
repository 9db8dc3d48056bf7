package orders_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/orderevent"
	"github.com/opsgraph/opsgraph/ent/orderline"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/orders"
	"github.com/opsgraph/opsgraph/internal/orders/orderstest"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/usererr"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func ops() context.Context {
	return viewer.NewContext(context.Background(), &viewer.Viewer{Subject: "ops@example.com", Roles: []string{viewer.RoleOpsManager}})
}

func qty(n int64) *int64 { return &n }

// draft creates a DRAFT order adding 10 seats and SSO.
func draft(t *testing.T, s *orders.Service, f *orderstest.Fixture) *ent.Order {
	t.Helper()
	o, errs, err := s.Create(ops(), orders.CreateInput{AccountID: f.Account.ID, ContractID: &f.Contract.ID, Lines: []orders.LineInput{
		{Action: orderline.ActionADD, ProductID: f.Seats.ID, Quantity: qty(10)},
		{Action: orderline.ActionADD, ProductID: f.SSO.ID},
	}}, nil)
	must(t, errs, err)
	return o
}

func must(t *testing.T, errs usererr.List, err error) {
	t.Helper()
	if err != nil || !errs.Empty() {
		t.Fatalf("action failed: %v %v", errs, err)
	}
}

// act runs action on order id.
func act(s *orders.Service, a orders.Action, id int) (*ent.Order, usererr.List, error) {
	ctx := ops()
	switch a {
	case orders.ActionUpdate:
		return s.Update(ctx, orders.UpdateInput{OrderID: id})
	case orders.ActionSubmit:
		return s.Submit(ctx, &id, nil, "", nil)
	case orders.ActionValidate:
		return s.Validate(ctx, id, false, "")
	case orders.ActionStartProvisioning:
		return s.StartProvisioning(ctx, id, "")
	case orders.ActionFulfill:
		return s.Fulfill(ctx, id, "")
	case orders.ActionReject:
		return s.Reject(ctx, id, "CREDIT_HOLD", "on hold")
	case orders.ActionCancel:
		return s.Cancel(ctx, id, "")
	}
	panic("unknown action " + a)
}

// path drives a fresh order to each state.
var path = map[schematype.OrderStatus][]orders.Action{
	schematype.OrderStatusDraft:        nil,
	schematype.OrderStatusSubmitted:    {orders.ActionSubmit},
	schematype.OrderStatusValidated:    {orders.ActionSubmit, orders.ActionValidate},
	schematype.OrderStatusProvisioning: {orders.ActionSubmit, orders.ActionValidate, orders.ActionStartProvisioning},
	schematype.OrderStatusFulfilled:    {orders.ActionSubmit, orders.ActionValidate, orders.ActionStartProvisioning, orders.ActionFulfill},
	schematype.OrderStatusRejected:     {orders.ActionSubmit, orders.ActionReject},
	schematype.OrderStatusCancelled:    {orders.ActionCancel},
}

// stamps reads the timestamp each state stamps.
var stamps = map[schematype.OrderStatus]func(*ent.Order) *time.Time{
	schematype.OrderStatusSubmitted:    func(o *ent.Order) *time.Time { return o.SubmittedAt },
	schematype.OrderStatusValidated:    func(o *ent.Order) *time.Time { return o.ValidatedAt },
	schematype.OrderStatusProvisioning: func(o *ent.Order) *time.Time { return o.ProvisioningAt },
	schematype.OrderStatusFulfilled:    func(o *ent.Order) *time.Time { return o.FulfilledAt },
	schematype.OrderStatusRejected:     func(o *ent.Order) *time.Time { return o.RejectedAt },
	schematype.OrderStatusCancelled:    func(o *ent.Order) *time.Time { return o.CancelledAt },
}

// snapshot is everything an order action may change.
func snapshot(t *testing.T, c *ent.Client, id int) string {
	t.Helper()
	ctx := viewer.System(context.Background(), "test")
	o := c.Order.GetX(ctx, id)
	events := c.OrderEvent.Query().Where(orderevent.OrderID(id)).CountX(ctx)
	lines := c.OrderLine.Query().Where(orderline.OrderID(id)).AllX(ctx)
	ents := c.Entitlement.Query().Where(entitlement.AccountID(o.AccountID)).AllX(ctx)
	o.UpdatedAt = time.Time{}
	return fmt.Sprintf("%v|%d|%v|%v", o, events, lines, ents)
}

// Every (state, action) pair: an allowed action moves the order to the
// state machine's next state and appends one event (update edits in place);
// the others are INVALID_TRANSITION and change nothing.
func TestEveryStateAndAction(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	s := orders.New(db.Client, func() time.Time { return now })
	sys := viewer.System(context.Background(), "test")
	n := 0
	for state, steps := range path {
		for _, a := range orders.Actions {
			t.Run(fmt.Sprintf("%s/%s", state, a), func(t *testing.T) {
				n++
				f := orderstest.Named(t, db.Client, now, fmt.Sprintf("f%d-", n))
				o := draft(t, s, f)
				for _, step := range steps {
					_, errs, err := act(s, step, o.ID)
					must(t, errs, err)
				}
				if got := db.Client.Order.GetX(sys, o.ID).Status; got != state {
					t.Fatalf("reached %s, want %s", got, state)
				}
				events := db.Client.OrderEvent.Query().Where(orderevent.OrderID(o.ID)).CountX(sys)
				before := snapshot(t, db.Client, o.ID)
				got, errs, err := act(s, a, o.ID)
				if err != nil {
					t.Fatal(err)
				}
				want, nerr := orders.Next(state, a)
				if nerr != nil {
					if len(errs) != 1 || errs[0].Code != usererr.InvalidTransition || got != nil {
						t.Fatalf("want INVALID_TRANSITION, got %v", errs)
					}
					if after := snapshot(t, db.Client, o.ID); after != before {
						t.Fatalf("a refused action changed the order:\n%s\n%s", before, after)
					}
					return
				}
				if !errs.Empty() || got.Status != want {
					t.Fatalf("got %v %v, want %s", got, errs, want)
				}
				wantEvents := events + 1
				if want == state {
					wantEvents = events
				}
				if n := db.Client.OrderEvent.Query().Where(orderevent.OrderID(o.ID)).CountX(sys); n != wantEvents {
					t.Fatalf("%d events, want %d", n, wantEvents)
				}
				if stamp, ok := stamps[want]; ok {
					if at := stamp(db.Client.Order.GetX(sys, o.ID)); at == nil || !at.Equal(now) {
						t.Fatalf("%s stamped %v", orders.StampField(want), at)
					}
				}
			})
		}
	}
}

// Fulfilment applies each line kind to the account's entitlements, linked
// to the line.
func TestFulfilmentLines(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		clock := now
		s := orders.New(db.Client, func() time.Time { return clock })
		sys := viewer.System(context.Background(), "test")
		f := orderstest.New(t, db.Client, now)
		run := func(lines ...orders.LineInput) *ent.Order {
			t.Helper()
			o, errs, err := s.Submit(ops(), nil, &orders.CreateInput{AccountID: f.Account.ID, ContractID: &f.Contract.ID, Lines: lines}, "", nil)
			must(t, errs, err)
			for _, a := range []orders.Action{orders.ActionValidate, orders.ActionStartProvisioning, orders.ActionFulfill} {
				o, errs, err = act(s, a, o.ID)
				must(t, errs, err)
			}
			return o
		}
		get := func(p *ent.Product) *ent.Entitlement {
			return db.Client.Entitlement.Query().Where(entitlement.ProductID(p.ID)).OnlyX(sys)
		}
		run(orders.LineInput{Action: orderline.ActionADD, ProductID: f.Seats.ID}, orders.LineInput{Action: orderline.ActionADD, ProductID: f.SSO.ID})
		seats := get(f.Seats)
		if *seats.Limit != 100 || seats.Tier != "STANDARD" || seats.Status != entitlement.StatusACTIVE ||
			!seats.ActiveTo.Equal(f.End) || *seats.ContractID != f.Contract.ID || seats.SourceOrderLineID == nil {
			t.Fatalf("ADD took the contract item's quantity and tier: %+v", seats)
		}
		if sso := get(f.SSO); sso.Limit != nil || sso.Kind != schematype.EntitlementKindBoolean {
			t.Fatalf("flag: %+v", sso)
		}
		clock = clock.Add(time.Hour)
		tier := "PREMIUM"
		o2 := run(orders.LineInput{Action: orderline.ActionCHANGE, ProductID: f.Seats.ID, Quantity: qty(60), Tier: &tier},
			orders.LineInput{Action: orderline.ActionREMOVE, ProductID: f.SSO.ID})
		line := db.Client.OrderLine.Query().Where(orderline.OrderID(o2.ID), orderline.ProductID(f.Seats.ID)).OnlyX(sys)
		if s2 := get(f.Seats); *s2.Limit != 60 || s2.Tier != "PREMIUM" || *s2.SourceOrderLineID != line.ID {
			t.Fatalf("CHANGE: %+v", s2)
		}
		if sso := get(f.SSO); sso.Status != entitlement.StatusREVOKED {
			t.Fatalf("REMOVE: %+v", sso)
		}
		// RENEW after expiry: the window extends to the contract's end.
		db.Client.Entitlement.UpdateOneID(seats.ID).SetActiveTo(clock.Add(-time.Minute)).ExecX(sys)
		db.Client.Contract.UpdateOneID(f.Contract.ID).SetEndDate(f.End.AddDate(1, 0, 0)).ExecX(sys)
		run(orders.LineInput{Action: orderline.ActionRENEW, ProductID: f.Seats.ID})
		if s3 := get(f.Seats); !s3.ActiveTo.Equal(f.End.AddDate(1, 0, 0)) || s3.Status != entitlement.StatusACTIVE || *s3.Limit != 60 {
			t.Fatalf("RENEW: %+v", s3)
		}
	})
}
