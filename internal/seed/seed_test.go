package seed_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/order"
	"github.com/opsgraph/opsgraph/ent/orderevent"
	"github.com/opsgraph/opsgraph/ent/orderline"
	"github.com/opsgraph/opsgraph/ent/predicate"
	"github.com/opsgraph/opsgraph/ent/request"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/ent/user"
	"github.com/opsgraph/opsgraph/internal/orders"
	"github.com/opsgraph/opsgraph/internal/requests"
	"github.com/opsgraph/opsgraph/internal/seed"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// now is the reference time of every test dataset.
var now = time.Date(2026, time.March, 16, 14, 30, 0, 0, time.UTC)

func sysCtx() context.Context { return viewer.System(context.Background(), "system:test") }

// tableCounts returns COUNT(*) of every seeded table.
func tableCounts(t *testing.T, db *store.DB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"users", "accounts", "products", "contracts", "contract_items", "orders",
		"order_lines", "order_events", "entitlements", "health_signals", "health_scores", "requests"} {
		var n int
		if err := db.SQL.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

func summaryCounts(s seed.Summary) map[string]int {
	return map[string]int{
		"users": s.Users, "accounts": s.Accounts, "products": s.Products, "contracts": s.Contracts,
		"contract_items": s.ContractItems, "orders": s.Orders, "order_lines": s.OrderLines,
		"order_events": s.OrderEvents, "entitlements": s.Entitlements, "health_signals": s.HealthSignals,
		"health_scores": s.HealthScores, "requests": s.Requests,
	}
}

func checkCounts(t *testing.T, db *store.DB, sum seed.Summary) {
	t.Helper()
	got, want := tableCounts(t, db), summaryCounts(sum)
	for table, n := range want {
		if got[table] != n {
			t.Errorf("%s: COUNT(*) = %d, Summary says %d", table, got[table], n)
		}
	}
}

// distinct returns the distinct values of column in table.
func distinct(t *testing.T, db *store.DB, table, column string) []string {
	t.Helper()
	rows, err := db.SQL.Query(fmt.Sprintf("SELECT DISTINCT %s FROM %s WHERE %s IS NOT NULL", column, table, column))
	if err != nil {
		t.Fatalf("distinct %s.%s: %v", table, column, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func covers(t *testing.T, db *store.DB, table, column string, want ...string) {
	t.Helper()
	got := distinct(t, db, table, column)
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s.%s: no row with %s (have %v)", table, column, w, got)
		}
	}
}

func TestDemo(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := sysCtx()
		client := db.Client
		if empty, err := seed.IsEmpty(ctx, client); err != nil || !empty {
			t.Fatalf("IsEmpty on a fresh database = %v, %v; want true", empty, err)
		}
		sum, err := seed.Demo(context.Background(), client, seed.Options{Seed: 1, Now: now})
		if err != nil {
			t.Fatalf("Demo: %v", err)
		}
		t.Logf("demo: %s", sum)
		checkCounts(t, db, sum)

		// Proportions of the demo dataset.
		for _, c := range []struct {
			name     string
			got      int
			min, max int
		}{
			{"users", sum.Users, 22, 30},
			{"products", sum.Products, 12, 12},
			{"accounts", sum.Accounts, 200, 200},
			{"contracts", sum.Contracts, 500, 700},
			// One live entitlement per account and product (the order
			// rules), so about three per account plus the ended ones.
			{"entitlements", sum.Entitlements, 550, 1000},
			{"health signals", sum.HealthSignals, 2000, 4000},
			// At most one per account and health pipeline delivery (4).
			{"health scores", sum.HealthScores, 400, 800},
			{"orders", sum.Orders, 300, 650},
			{"requests", sum.Requests, 100, 200},
		} {
			if c.got < c.min || c.got > c.max {
				t.Errorf("%s = %d, want %d–%d", c.name, c.got, c.min, c.max)
			}
		}

		// Every value of the enums reports filter on.
		covers(t, db, "orders", "status", "DRAFT", "SUBMITTED", "VALIDATED", "PROVISIONING", "FULFILLED", "REJECTED", "CANCELLED")
		covers(t, db, "orders", "billing_status", "NOT_BILLED", "INVOICED", "NOT_BILLABLE")
		covers(t, db, "orders", "rejection_reason", "VALIDATION_FAILED", "CREDIT_HOLD", "PROVISIONING_FAILED")
		covers(t, db, "order_lines", "action", "ADD", "CHANGE", "REMOVE", "RENEW")
		covers(t, db, "requests", "status", "NEW", "TRIAGED", "IN_PROGRESS", "WAITING_ON_REQUESTER", "RESOLVED", "CLOSED")
		covers(t, db, "requests", "priority", "P1", "P2", "P3", "P4")
		covers(t, db, "requests", "category", "DATA_FIX", "REPORT", "ACCESS", "ENTITLEMENT_DISCREPANCY", "ORDER_ISSUE", "RENEWAL", "OTHER")
		covers(t, db, "entitlements", "status", "ACTIVE", "SUSPENDED", "EXPIRED", "REVOKED")
		covers(t, db, "entitlements", "kind", "BOOLEAN", "QUANTITY", "METERED")
		covers(t, db, "contracts", "status", "DRAFT", "ACTIVE", "EXPIRED", "TERMINATED")
		covers(t, db, "contracts", "currency", "USD", "EUR", "GBP")
		covers(t, db, "accounts", "segment", "SMB", "MID_MARKET", "ENTERPRISE")
		covers(t, db, "accounts", "region", "NA", "EMEA", "APAC", "LATAM")
		covers(t, db, "accounts", "lifecycle_stage", "ONBOARDING", "ADOPTION", "GROWTH", "RENEWAL", "AT_RISK", "CHURNED")
		covers(t, db, "health_signals", "kind", "PRODUCT_USAGE", "ACTIVE_USERS", "SUPPORT_TICKETS", "NPS", "CSAT", "TELEMETRY_UPTIME")
		covers(t, db, "health_scores", "band", "GREEN", "YELLOW", "RED")

		// The exceptions the reports must find.
		exists := func(name string, ok bool, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !ok {
				t.Errorf("no %s", name)
			}
		}
		overLimit := predicate.Entitlement(func(s *entsql.Selector) {
			s.Where(entsql.ColumnsGT(s.C(entitlement.FieldUsage), s.C(entitlement.FieldLimit)))
		})
		ok, err := client.Contract.Query().Where(contract.RenewalDateIsNil()).Exist(ctx)
		exists("contract without renewal date", ok, err)
		ok, err = client.Contract.Query().Where(contract.RenewalOwnerIDIsNil(), contract.StatusEQ(contract.StatusACTIVE)).Exist(ctx)
		exists("ACTIVE contract without renewal owner", ok, err)
		ok, err = client.Contract.Query().Where(contract.StatusEQ(contract.StatusACTIVE), contract.EndDateLT(now)).Exist(ctx)
		exists("ACTIVE contract past its end date", ok, err)
		ok, err = client.Entitlement.Query().Where(entitlement.StatusEQ(entitlement.StatusACTIVE), entitlement.LimitNotNil(), overLimit).Exist(ctx)
		exists("over-limit ACTIVE entitlement", ok, err)
		ok, err = client.Entitlement.Query().Where(entitlement.StatusEQ(entitlement.StatusACTIVE), entitlement.ActiveToLT(now)).Exist(ctx)
		exists("ACTIVE entitlement past its window", ok, err)
		ok, err = client.Entitlement.Query().Where(entitlement.StatusEQ(entitlement.StatusACTIVE),
			entitlement.HasContractWith(contract.StatusNEQ(contract.StatusACTIVE))).Exist(ctx)
		exists("ACTIVE entitlement of a contract that is not ACTIVE", ok, err)
		ok, err = client.Entitlement.Query().Where(entitlement.ContractIDIsNil()).Exist(ctx)
		exists("entitlement without contract", ok, err)
		ok, err = client.Entitlement.Query().Where(entitlement.OverrideLimitNotNil(), entitlement.OverrideReasonNEQ(""), entitlement.OverrideExpiresAtNotNil()).Exist(ctx)
		exists("entitlement override", ok, err)
		ok, err = client.Entitlement.Query().Where(entitlement.SourceOrderLineIDNotNil()).Exist(ctx)
		exists("entitlement linked to an order line", ok, err)
		ok, err = client.Order.Query().Where(order.StatusEQ(schematype.OrderStatusFulfilled), order.BillingStatusEQ(order.BillingStatusNOT_BILLED)).Exist(ctx)
		exists("fulfilled order not invoiced", ok, err)
		ok, err = client.Order.Query().Where(order.IdempotencyKeyNotNil()).Exist(ctx)
		exists("order with an idempotency key", ok, err)
		ok, err = client.Entitlement.Query().Where(entitlement.StatusEQ(entitlement.StatusACTIVE),
			entitlement.HasContractWith(contract.StatusEQ(contract.StatusTERMINATED))).Exist(ctx)
		exists("ACTIVE entitlement of a TERMINATED contract", ok, err)
		ok, err = client.Order.Query().Where(order.StatusEQ(schematype.OrderStatusFulfilled),
			order.Not(order.HasLinesWith(orderline.HasEntitlements()))).Exist(ctx)
		exists("fulfilled order without entitlements", ok, err)
		ok, err = client.Order.Query().Where(order.RejectionReasonEQ(orders.ReasonValidationFailed), order.ValidationErrorsNotNil()).Exist(ctx)
		exists("order rejected by validation with its errors", ok, err)
		beyond := 0
		for _, e := range client.Entitlement.Query().Where(entitlement.StatusEQ(entitlement.StatusACTIVE), entitlement.LimitNotNil(),
			entitlement.ContractIDNotNil()).WithContract(func(q *ent.ContractQuery) { q.WithItems() }).AllX(ctx) {
			for _, it := range e.Edges.Contract.Edges.Items {
				if it.ProductID == e.ProductID && *e.Limit > it.Quantity {
					beyond++
				}
			}
		}
		if beyond == 0 {
			t.Error("no entitlement with a limit beyond its contract item's quantity")
		}
		ok, err = client.Account.Query().Where(account.OwnerIDIsNil()).Exist(ctx)
		exists("account without owner", ok, err)
		ok, err = client.Account.Query().Where(account.HasOwnerWith(user.Active(false))).Exist(ctx)
		exists("account owned by an inactive user", ok, err)
		ok, err = client.Account.Query().Where(account.DomainIsNil()).Exist(ctx)
		exists("account without domain", ok, err)
		ok, err = client.Account.Query().Where(account.BillingContactEmailIsNil()).Exist(ctx)
		exists("account without billing contact", ok, err)
		ok, err = client.Account.Query().Where(account.ExternalCrmIDIsNil()).Exist(ctx)
		exists("account without CRM id", ok, err)
		ok, err = client.Account.Query().Where(account.HasParentWith(account.HasParent())).Exist(ctx)
		exists("3-level account hierarchy", ok, err)
		ok, err = client.Account.Query().Where(account.LifecycleStageEQ(account.LifecycleStageONBOARDING),
			account.LifecycleStageChangedAtLT(now.AddDate(0, 0, -90))).Exist(ctx)
		exists("account onboarding for more than 90 days", ok, err)
		ok, err = client.Request.Query().Where(request.AssigneeIDIsNil()).Exist(ctx)
		exists("unassigned request", ok, err)
		ok, err = client.Request.Query().Where(request.ResolvedAtIsNil(), request.ResolutionDueAtLT(now)).Exist(ctx)
		exists("request past its resolution SLA", ok, err)

		accounts := client.Account.Query().AllX(ctx)
		names, domains := map[string]int{}, map[string]int{}
		for _, a := range accounts {
			names[strings.ToLower(a.Name)]++
			if a.Domain != "" {
				domains[a.Domain]++
			}
		}
		dupNames, dupDomains := 0, 0
		for _, n := range names {
			if n > 1 {
				dupNames++
			}
		}
		for _, n := range domains {
			if n > 1 {
				dupDomains++
			}
		}
		if dupNames == 0 || dupDomains == 0 || dupNames+dupDomains > 10 {
			t.Errorf("duplicate candidates: %d names, %d domains; want a few of each", dupNames, dupDomains)
		}

		// Stale signals: the latest observation of a kind weeks ago.
		latest := map[string]time.Time{}
		for _, s := range client.HealthSignal.Query().AllX(ctx) {
			k := fmt.Sprint(s.AccountID, s.Kind)
			if s.ObservedAt.After(latest[k]) {
				latest[k] = s.ObservedAt
			}
		}
		stale := 0
		for _, at := range latest {
			if now.Sub(at) > 14*24*time.Hour {
				stale++
			}
		}
		if stale == 0 {
			t.Error("no stale signal")
		}

		// Well-known users.
		for email, role := range map[string]string{
			seed.AdminEmail: viewer.RoleAdmin, seed.LeadEmail: viewer.RoleOpsManager, seed.AnalystEmail: viewer.RoleOpsAnalyst,
			seed.CSMEmail(1): viewer.RoleCSM, seed.CSMEmail(6): viewer.RoleCSM, seed.SalesEmail: viewer.RoleSales,
			seed.FinanceEmail: viewer.RoleFinance, seed.SupportEmail: viewer.RoleSupport, seed.AuditorEmail: viewer.RoleViewer,
		} {
			u, err := client.User.Query().Where(user.Email(email)).Only(ctx)
			if err != nil {
				t.Errorf("user %s: %v", email, err)
				continue
			}
			if !slices.Contains(u.Roles, role) || !u.Active {
				t.Errorf("user %s: roles %v active %v, want %s", email, u.Roles, u.Active, role)
			}
		}
		if n := client.Product.Query().CountX(ctx); n != 12 {
			t.Errorf("products = %d, want 12", n)
		}
		if n := client.Product.Query().Where(func(s *entsql.Selector) { s.Where(entsql.EQ(s.C("active"), false)) }).CountX(ctx); n != 1 {
			t.Errorf("inactive products = %d, want 1", n)
		}

		checkConsistency(t, client)

		// The seeded actions are audited as they happened: by their actors,
		// under their action's name, at their time.
		events := client.AuditEvent.Query().AllX(ctx)
		byAction := map[string]int{}
		for _, e := range events {
			byAction[e.Action]++
			if e.At.After(now) || e.Actor == "" || e.Actor == "unknown" {
				t.Fatalf("audit event %d: %s by %q at %s", e.ID, e.Action, e.Actor, e.At)
			}
		}
		for _, a := range []string{"userCreate", "accountCreate", "contractCreate", "contractItemCreate", "orderCreate", "orderFulfill",
			"orderMarkInvoiced", "entitlementReportUsage", "entitlementOverride", "entitlementSuspend", "entitlementRevoke",
			"entitlementSweep", "healthSignalsIngest", "requestCreate", "requestResolve", "legacyImport"} {
			if byAction[a] == 0 {
				t.Errorf("no audit event of %s (have %v)", a, byAction)
			}
		}

		// Seeding twice is refused.
		if empty, err := seed.IsEmpty(ctx, client); err != nil || empty {
			t.Errorf("IsEmpty after seeding = %v, %v; want false", empty, err)
		}
		if _, err := seed.Demo(ctx, client, seed.Options{Seed: 1, Now: now}); !errors.Is(err, seed.ErrNotEmpty) {
			t.Errorf("second Demo: err = %v, want ErrNotEmpty", err)
		}
	})
}

// checkConsistency checks the rules that hold for every seeded row.
func checkConsistency(t *testing.T, client *ent.Client) {
	t.Helper()
	ctx := sysCtx()
	notAfterNow := func(what string, ts ...time.Time) {
		t.Helper()
		for _, x := range ts {
			if x.After(now) {
				t.Errorf("%s: time %s after now", what, x)
				return
			}
		}
	}

	for _, a := range client.Account.Query().AllX(ctx) {
		notAfterNow("account "+a.Name, a.CreatedAt, a.UpdatedAt, a.LifecycleStageChangedAt)
		if a.LifecycleStageChangedAt.Before(a.CreatedAt) {
			t.Errorf("account %d: stage changed before creation", a.ID)
		}
	}
	for _, k := range client.Contract.Query().WithItems().AllX(ctx) {
		notAfterNow("contract "+k.Number, k.CreatedAt, k.UpdatedAt)
		if !k.EndDate.After(k.StartDate) {
			t.Errorf("contract %s: ends %s before it starts %s", k.Number, k.EndDate, k.StartDate)
		}
		if n := len(k.Edges.Items); n < 1 || n > 9 {
			t.Errorf("contract %s: %d items", k.Number, n)
		}
		var arr int64
		for _, it := range k.Edges.Items {
			arr += it.Quantity * it.UnitPriceMinor
		}
		if arr != k.ArrMinor || arr <= 0 {
			t.Errorf("contract %s: ARR %d, items sum to %d", k.Number, k.ArrMinor, arr)
		}
	}

	// Orders: the stamps of the states reached, and a timeline of events in
	// order that ends in the order's status.
	for _, o := range client.Order.Query().WithEvents(func(q *ent.OrderEventQuery) {
		q.Order(ent.Asc(orderevent.FieldAt), ent.Asc(orderevent.FieldID))
	}).WithLines().AllX(ctx) {
		notAfterNow("order "+o.Number, o.CreatedAt, o.UpdatedAt)
		evs := o.Edges.Events
		if len(evs) == 0 || len(o.Edges.Lines) == 0 {
			t.Errorf("order %s: %d events, %d lines", o.Number, len(evs), len(o.Edges.Lines))
			continue
		}
		if evs[0].FromStatus != nil || evs[0].ToStatus != schematype.OrderStatusDraft || !evs[0].At.Equal(o.CreatedAt) {
			t.Errorf("order %s: first event %v", o.Number, evs[0])
		}
		stamps := map[schematype.OrderStatus]*time.Time{
			schematype.OrderStatusSubmitted: o.SubmittedAt, schematype.OrderStatusValidated: o.ValidatedAt,
			schematype.OrderStatusProvisioning: o.ProvisioningAt, schematype.OrderStatusFulfilled: o.FulfilledAt,
			schematype.OrderStatusRejected: o.RejectedAt, schematype.OrderStatusCancelled: o.CancelledAt,
		}
		reached := map[schematype.OrderStatus]bool{}
		for i, e := range evs {
			reached[e.ToStatus] = true
			notAfterNow("order event", e.At)
			if i > 0 && (e.FromStatus == nil || *e.FromStatus != evs[i-1].ToStatus || e.At.Before(evs[i-1].At)) {
				t.Errorf("order %s: event %d does not follow event %d", o.Number, i, i-1)
			}
			if st := stamps[e.ToStatus]; st != nil && !st.Equal(e.At) {
				t.Errorf("order %s: %s at %s, event at %s", o.Number, e.ToStatus, st, e.At)
			}
		}
		for st, ts := range stamps {
			if (ts != nil) != reached[st] {
				t.Errorf("order %s: stamp of %s set=%v, reached=%v", o.Number, st, ts != nil, reached[st])
			}
		}
		if last := evs[len(evs)-1]; last.ToStatus != o.Status {
			t.Errorf("order %s: status %s, last event to %s", o.Number, o.Status, last.ToStatus)
		}
		if o.RejectionReason == orders.ReasonValidationFailed && (len(o.ValidationErrors) == 0 || o.ValidatedAt != nil) {
			t.Errorf("order %s: rejected by validation, errors %v", o.Number, o.ValidationErrors)
		}
		if (o.Status == schematype.OrderStatusRejected) != (o.RejectionReason != "") {
			t.Errorf("order %s: status %s, rejection reason %q", o.Number, o.Status, o.RejectionReason)
		}
		if (o.BillingStatus == order.BillingStatusINVOICED) != (o.InvoiceReference != "") ||
			o.BillingStatus == order.BillingStatusINVOICED && o.Status != schematype.OrderStatusFulfilled {
			t.Errorf("order %s: %s, billing %s, invoice %q", o.Number, o.Status, o.BillingStatus, o.InvoiceReference)
		}
	}

	for _, e := range client.Entitlement.Query().WithSourceOrderLine(func(q *ent.OrderLineQuery) { q.WithOrder() }).AllX(ctx) {
		notAfterNow("entitlement", e.CreatedAt, e.UpdatedAt)
		if (e.Kind == schematype.EntitlementKindBoolean) != (e.Limit == nil) {
			t.Errorf("entitlement %d: kind %s, limit %v", e.ID, e.Kind, e.Limit)
		}
		// Made by fulfilment: every entitlement under a contract links to
		// a line of a FULFILLED order of its account for its product; the
		// only others are the legacy trials (no contract, no line).
		switch l := e.Edges.SourceOrderLine; {
		case l == nil && e.ContractID != nil:
			t.Errorf("entitlement %d: under a contract but made by no order line", e.ID)
		case l == nil:
		case l.ProductID != e.ProductID || l.Edges.Order.Status != schematype.OrderStatusFulfilled || l.Edges.Order.AccountID != e.AccountID:
			t.Errorf("entitlement %d: source line of product %d, order %s", e.ID, l.ProductID, l.Edges.Order.Status)
		case e.ContractID == nil:
			t.Errorf("entitlement %d: made by an order line but under no contract", e.ID)
		}
		if e.ActiveTo != nil && !e.ActiveTo.After(e.ActiveFrom) {
			t.Errorf("entitlement %d: window %s – %s", e.ID, e.ActiveFrom, e.ActiveTo)
		}
		// Only the sweep stores EXPIRED, for windows that have ended.
		if e.Status == entitlement.StatusEXPIRED && (e.ActiveTo == nil || e.ActiveTo.After(now)) {
			t.Errorf("entitlement %d: %s but active until %v", e.ID, e.Status, e.ActiveTo)
		}
		if e.Kind == schematype.EntitlementKindBoolean && e.Usage != 0 && e.ContractID != nil {
			t.Errorf("entitlement %d: a feature flag with usage %d", e.ID, e.Usage)
		}
		if e.OverrideLimit != nil && (e.OverrideReason == "" || e.OverrideExpiresAt == nil) {
			t.Errorf("entitlement %d: override without reason or expiry", e.ID)
		}
	}

	// The order rules allow one live (ACTIVE or SUSPENDED) entitlement per
	// account and product, short of renewals of expired ones.
	live := map[[2]int]int{}
	for _, e := range client.Entitlement.Query().Where(entitlement.StatusIn(entitlement.StatusACTIVE, entitlement.StatusSUSPENDED),
		entitlement.ContractIDNotNil(), entitlement.Or(entitlement.ActiveToIsNil(), entitlement.ActiveToGT(now))).AllX(ctx) {
		live[[2]int{e.AccountID, e.ProductID}]++
	}
	twice := 0
	for _, n := range live {
		if n > 1 {
			twice++
		}
	}
	if twice > len(live)/50 {
		t.Errorf("%d of %d account products have several live entitlements", twice, len(live))
	}

	// Every account's latest score is the one it points at.
	for _, a := range client.Account.Query().WithHealthScores().AllX(ctx) {
		var latest *ent.HealthScore
		for _, s := range a.Edges.HealthScores {
			if latest == nil || s.ComputedAt.After(latest.ComputedAt) || s.ComputedAt.Equal(latest.ComputedAt) && s.ID > latest.ID {
				latest = s
			}
		}
		if (latest == nil) != (a.HealthScoreID == nil) || latest != nil && *a.HealthScoreID != latest.ID {
			t.Errorf("account %d: points at score %v, latest %v", a.ID, a.HealthScoreID, latest)
		}
	}

	for _, s := range client.HealthScore.Query().AllX(ctx) {
		notAfterNow("health score", s.ComputedAt)
		want := seed.Band(s.Score)
		if s.Band != want || s.Score < 0 || s.Score > 100 || s.Coverage <= 0 || s.Coverage > 1 || s.ModelVersion != 1 {
			t.Errorf("health score %d: score %v band %s coverage %v", s.ID, s.Score, s.Band, s.Coverage)
		}
		var sum, w, total float64
		for _, c := range s.Components {
			total += c.Weight
			if c.Fresh != (c.Score != nil) || c.Fresh != (c.Value != nil) {
				t.Errorf("health score %d: component %+v", s.ID, c)
			}
			if c.Fresh {
				sum += c.Weight * *c.Score
				w += c.Weight
			}
		}
		if len(s.Components) != 6 || math.Abs(sum/w-s.Score) > 0.051 || math.Abs(w/total-s.Coverage) > 0.001 {
			t.Errorf("health score %d: score %v coverage %v, components give %v, %v", s.ID, s.Score, s.Coverage, sum/w, w/total)
		}
	}

	for _, r := range client.Request.Query().AllX(ctx) {
		notAfterNow("request "+r.Number, r.CreatedAt, r.UpdatedAt)
		closed := r.Status == request.StatusRESOLVED || r.Status == request.StatusCLOSED
		if closed != (r.ResolvedAt != nil) || closed != (r.ResolutionNotes != "") {
			t.Errorf("request %s: %s, resolved %v, notes %q", r.Number, r.Status, r.ResolvedAt, r.ResolutionNotes)
		}
		if (r.Status == request.StatusNEW) != (r.FirstResponseAt == nil) {
			t.Errorf("request %s: %s, first response %v", r.Number, r.Status, r.FirstResponseAt)
		}
		if r.FirstResponseAt != nil && r.FirstResponseAt.Before(r.CreatedAt) ||
			r.ResolvedAt != nil && r.ResolvedAt.Before(*r.FirstResponseAt) {
			t.Errorf("request %s: times out of order", r.Number)
		}
		// The history the SLA clock runs on, and the due times the
		// request service stored from it at the last action.
		h := r.History
		if len(h) == 0 || h[0].Action != string(requests.ActionCreate) || h[len(h)-1].ToStatus != string(r.Status) {
			t.Errorf("request %s: %s, history %v", r.Number, r.Status, h)
			continue
		}
		st, err := requests.Evaluate(seed.SLAPolicy(), r, h[len(h)-1].At)
		if err != nil {
			t.Errorf("request %s: %v", r.Number, err)
			continue
		}
		if !sameTime(st.Response.DueAt, r.ResponseDueAt) || !sameTime(st.Resolution.DueAt, r.ResolutionDueAt) {
			t.Errorf("request %s: due %v %v, the SLA clock says %v %v", r.Number, r.ResponseDueAt, r.ResolutionDueAt, st.Response.DueAt, st.Resolution.DueAt)
		}
		if (r.Status == request.StatusWAITING_ON_REQUESTER) != st.Paused {
			t.Errorf("request %s: %s, paused %v", r.Number, r.Status, st.Paused)
		}
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// dump returns every seeded row, JSON encoded, table by table in id order.
func dump(t *testing.T, client *ent.Client) string {
	t.Helper()
	ctx := sysCtx()
	var b strings.Builder
	add := func(table string, rows any, err error) {
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		data, err := json.Marshal(rows)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		fmt.Fprintf(&b, "%s %s\n", table, data)
	}
	id := ent.Asc("id")
	users, err := client.User.Query().Order(id).All(ctx)
	add("users", users, err)
	products, err := client.Product.Query().Order(id).All(ctx)
	add("products", products, err)
	accounts, err := client.Account.Query().Order(id).All(ctx)
	add("accounts", accounts, err)
	contracts, err := client.Contract.Query().Order(id).All(ctx)
	add("contracts", contracts, err)
	items, err := client.ContractItem.Query().Order(id).All(ctx)
	add("contract_items", items, err)
	orders, err := client.Order.Query().Order(id).All(ctx)
	add("orders", orders, err)
	lines, err := client.OrderLine.Query().Order(id).All(ctx)
	add("order_lines", lines, err)
	events, err := client.OrderEvent.Query().Order(id).All(ctx)
	add("order_events", events, err)
	ents, err := client.Entitlement.Query().Order(id).All(ctx)
	add("entitlements", ents, err)
	signals, err := client.HealthSignal.Query().Order(id).All(ctx)
	add("health_signals", signals, err)
	scores, err := client.HealthScore.Query().Order(id).All(ctx)
	add("health_scores", scores, err)
	requests, err := client.Request.Query().Order(id).All(ctx)
	add("requests", requests, err)
	return b.String()
}

// firstDiff describes where two dumps first differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			x, y := al[i], bl[i]
			j := 0
			for j < min(len(x), len(y)) && x[j] == y[j] {
				j++
			}
			lo := max(0, j-200)
			return fmt.Sprintf("line %d at byte %d:\n  %s\n  %s", i, j, x[lo:min(len(x), j+200)], y[lo:min(len(y), j+200)])
		}
	}
	return fmt.Sprintf("%d vs %d lines", len(al), len(bl))
}

// TestDeterministic checks that the same options give the same data on a
// fresh database, ids and times included, and another seed other data. It
// seeds 60 accounts (what it checks does not depend on the size) so that
// its six replays stay quick.
func TestDeterministic(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		opts := seed.Options{Seed: 42, Accounts: 60, Now: now.Add(37 * time.Second)}
		if _, err := seed.Demo(ctx, db.Client, opts); err != nil {
			t.Fatal(err)
		}
		first := dump(t, db.Client)

		db2 := testdb.Open(t, db.Dialect)
		if _, err := seed.Demo(ctx, db2.Client, opts); err != nil {
			t.Fatal(err)
		}
		if second := dump(t, db2.Client); second != first {
			t.Fatalf("same options gave different data: %s", firstDiff(first, second))
		}

		db3 := testdb.Open(t, db.Dialect)
		opts.Seed = 43
		if _, err := seed.Demo(ctx, db3.Client, opts); err != nil {
			t.Fatal(err)
		}
		if third := dump(t, db3.Client); third == first {
			t.Fatal("a different seed gave the same data")
		}

		// Bulk too, whatever its batch size.
		bulk := func(batch int) string {
			db := testdb.Open(t, db.Dialect)
			if _, err := seed.Bulk(ctx, db.Client, seed.Options{Seed: 42, Accounts: 50, Now: now, BatchSize: batch}); err != nil {
				t.Fatal(err)
			}
			return dump(t, db.Client)
		}
		if a, b := bulk(1000), bulk(17); a != b {
			t.Fatalf("Bulk with another batch size gave different data: %s", firstDiff(a, b))
		}
	})
}

func TestBulk(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// A BatchSize far above the bind parameter limits: the writer must
		// lower it per table.
		sum, err := seed.Bulk(ctx, db.Client, seed.Options{Seed: 7, Accounts: 300, Now: now, BatchSize: 50_000, Logf: t.Logf, Dialect: db.Dialect})
		if err != nil {
			t.Fatalf("Bulk: %v", err)
		}
		t.Logf("bulk 300 on %s: %s", db.Dialect, sum)
		checkCounts(t, db, sum)
		per := func(n int) float64 { return float64(n) / float64(sum.Accounts) }
		for _, c := range []struct {
			name     string
			got      float64
			min, max float64
		}{
			{"accounts", float64(sum.Accounts), 300, 300},
			{"contracts per account", per(sum.Contracts), 2.6, 3.4},
			// One live entitlement per account and product.
			{"entitlements per account", per(sum.Entitlements), 6, 11},
			{"health signals per account", per(sum.HealthSignals), 16, 24},
			{"health scores per account", per(sum.HealthScores), 2.5, 4},
			{"orders per account", per(sum.Orders), 2, 4},
			{"requests per account", per(sum.Requests), 0.5, 1},
		} {
			if c.got < c.min || c.got > c.max {
				t.Errorf("%s = %.2f, want %.1f–%.1f", c.name, c.got, c.min, c.max)
			}
		}
		checkConsistency(t, db.Client)
	})
}

// TestBulk100k measures Bulk with 100,000 accounts on PostgreSQL. It runs
// only with OPSGRAPH_SEED_100K=1.
func TestBulk100k(t *testing.T) {
	if os.Getenv("OPSGRAPH_SEED_100K") != "1" {
		t.Skip("set OPSGRAPH_SEED_100K=1 to seed 100,000 accounts on PostgreSQL")
	}
	db := testdb.Open(t, dialect.Postgres)
	start := time.Now()
	sum, err := seed.Bulk(context.Background(), db.Client, seed.Options{Seed: 1, Accounts: 100_000, Now: now, Logf: t.Logf, Dialect: dialect.Postgres})
	if err != nil {
		t.Fatalf("Bulk: %v", err)
	}
	t.Logf("Bulk 100k on PostgreSQL: wall %s; %s", time.Since(start).Round(time.Second), sum)
	checkCounts(t, db, sum)
}

// TestBulkDerivesGapsLikeTheTriggers: on PostgreSQL Bulk switches the
// INSERT triggers that maintain order_lines.entitlement_gap off and derives
// the flags once at the end; the flags must be those the triggers give
// when they run on every INSERT, and the triggers must be on again.
func TestBulkDerivesGapsLikeTheTriggers(t *testing.T) {
	ctx := context.Background()
	gaps := func(t *testing.T, dia string) (*store.DB, []int) {
		db := testdb.Open(t, dialect.Postgres)
		if _, err := seed.Bulk(ctx, db.Client, seed.Options{Seed: 11, Accounts: 120, Now: now, BatchSize: 37, Dialect: dia}); err != nil {
			t.Fatal(err)
		}
		ids := db.Client.OrderLine.Query().Where(orderline.EntitlementGap(true)).Order(ent.Asc(orderline.FieldID)).
			IDsX(viewer.System(ctx, "system:test"))
		return db, ids
	}
	deferred, got := gaps(t, dialect.Postgres)
	_, want := gaps(t, "") // the triggers on every INSERT
	if len(want) == 0 {
		t.Fatal("the dataset has no line with an entitlement gap: the comparison proves nothing")
	}
	if !slices.Equal(got, want) {
		t.Fatalf("derived gaps %v, the triggers give %v", got, want)
	}
	var enabled int
	if err := deferred.SQL.QueryRowContext(ctx, `SELECT count(*) FROM pg_trigger
		WHERE tgname IN ('order_lines_gaps_insert', 'entitlements_gaps_insert') AND tgenabled = 'O'`).Scan(&enabled); err != nil {
		t.Fatal(err)
	}
	if enabled != 2 {
		t.Fatalf("%d of the 2 gap triggers are enabled after Bulk", enabled)
	}
}
