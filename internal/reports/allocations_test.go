package reports_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/ent/user"
	"github.com/opsgraph/opsgraph/internal/entitlements"
	"github.com/opsgraph/opsgraph/internal/reports/orderoracle"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/usererr"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// allocPair is a (contract, product).
type allocPair struct{ contract, product int }

// allocFigures are a pair's allocated and contracted units and the
// earliest end of its ACTIVE entitlements ("" for none).
type allocFigures struct {
	allocated, contracted int64
	end                   string
}

// endOf formats an end for allocFigures.
func endOf(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// wantAllocations recomputes, in Go from every entitlement and contract
// item, what contract_allocations must hold: per pair, the units of its
// ACTIVE entitlements (limit; 1 for a flag or without a limit), whatever
// their window, the earliest end of their windows, and the sum of its
// items' quantities.
func wantAllocations(t *testing.T, ctx context.Context, c *ent.Client) map[allocPair]allocFigures {
	t.Helper()
	want := map[allocPair]allocFigures{}
	ends := map[allocPair]*time.Time{}
	for _, e := range c.Entitlement.Query().AllX(ctx) {
		if e.ContractID == nil {
			continue
		}
		p := allocPair{*e.ContractID, e.ProductID}
		f := want[p]
		if e.Status == entitlement.StatusACTIVE {
			u := int64(1)
			if e.Kind != schematype.EntitlementKindBoolean && e.Limit != nil {
				u = *e.Limit
			}
			f.allocated += u
			if e.ActiveTo != nil && (ends[p] == nil || e.ActiveTo.Before(*ends[p])) {
				ends[p] = e.ActiveTo
			}
		}
		want[p] = f
	}
	for p, end := range ends {
		f := want[p]
		f.end = endOf(end)
		want[p] = f
	}
	for _, it := range c.ContractItem.Query().AllX(ctx) {
		p := allocPair{it.ContractID, it.ProductID}
		f := want[p]
		f.contracted += it.Quantity
		want[p] = f
	}
	return want
}

// checkAllocations compares contract_allocations with wantAllocations: a row
// for every pair with an entitlement or an item, excess = allocated −
// contracted, and zeros for the pairs that have neither any more.
func checkAllocations(t *testing.T, ctx context.Context, c *ent.Client, step string) {
	t.Helper()
	want := wantAllocations(t, ctx, c)
	got := map[allocPair]allocFigures{}
	for _, a := range c.ContractAllocation.Query().AllX(ctx) {
		p := allocPair{a.ContractID, a.ProductID}
		if _, dup := got[p]; dup {
			t.Errorf("%s: two rows for %v", step, p)
		}
		if a.Excess != a.Allocated-a.Contracted {
			t.Errorf("%s: %v: excess %d, allocated %d − contracted %d", step, p, a.Excess, a.Allocated, a.Contracted)
		}
		got[p] = allocFigures{a.Allocated, a.Contracted, endOf(a.EarliestEnd)}
	}
	for p, g := range got {
		if _, ok := want[p]; !ok && g != (allocFigures{}) {
			t.Errorf("%s: %v holds %+v but has no entitlement or item", step, p, g)
		}
	}
	for p, w := range want {
		if g, ok := got[p]; !ok || g != w {
			t.Errorf("%s: %v holds %+v (row: %v), want %+v", step, p, g, ok, w)
		}
	}
}

// TestContractAllocationsFollowEveryWrite checks, after each kind of write to
// entitlements and contract items (single rows, bulk inserts, multi-row
// updates and deletes, the entitlement actions and the expiry sweep), that
// the table the database's triggers maintain equals the aggregate
// recomputed here.
func TestContractAllocationsFollowEveryWrite(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f, svc := newOrdFixture(t, db, now)
		ctx, c := f.ctx, f.c
		actions := entitlements.New(c, func() time.Time { return now })
		qty, flag, metered := f.product(schematype.EntitlementKindQuantity), f.product(schematype.EntitlementKindBoolean),
			f.product(schematype.EntitlementKindMetered)
		b := f.account()
		k1 := f.contract(f.acc, contract.StatusACTIVE, now.AddDate(1, 0, 0))
		k2 := f.contract(f.acc, contract.StatusACTIVE, now.AddDate(1, 0, 0))
		kb := f.contract(b, contract.StatusACTIVE, now.AddDate(1, 0, 0))
		n := func(v int64) *int64 { return &v }
		var e1, e2, e3 *ent.Entitlement
		var item *ent.ContractItem
		var k3 *ent.Contract
		act := func(_ *ent.Entitlement, errs usererr.List, err error) {
			t.Helper()
			if err != nil || len(errs) > 0 {
				t.Fatalf("%v %v", errs, err)
			}
		}
		steps := []struct {
			name  string
			write func()
		}{
			{"create entitlement", func() { e1 = f.entitlement(f.acc, qty, k1, n(5), 0) }},
			{"create a second one to the pair", func() { e2 = f.entitlement(f.acc, qty, k1, n(2), 0) }},
			{"create a flag", func() { e3 = f.entitlement(f.acc, flag, k1, nil, 0) }},
			{"create without a contract", func() { f.entitlement(f.acc, qty, nil, n(7), 0) }},
			{"create already ended (still ACTIVE)", func() {
				f.entitlement(b, metered, kb, n(100), 0, func(q *ent.EntitlementCreate) { q.SetActiveTo(now.Add(-time.Hour)) })
			}},
			{"create SUSPENDED", func() {
				f.entitlement(b, qty, kb, n(3), 0, func(q *ent.EntitlementCreate) { q.SetStatus(entitlement.StatusSUSPENDED) })
			}},
			{"update limit", func() { c.Entitlement.UpdateOne(e1).SetLimit(8).ExecX(ctx) }},
			{"clear limit (counts 1)", func() { c.Entitlement.UpdateOne(e2).ClearLimit().ExecX(ctx) }},
			{"usage report (no change)", func() {
				e, _, errs, err := actions.ReportUsage(ctx, e1.ID, 4, now)
				act(e, errs, err)
			}},
			{"suspend", func() { act(actions.Suspend(ctx, e1.ID)) }},
			{"resume", func() { act(actions.Resume(ctx, e1.ID)) }},
			{"revoke", func() { act(actions.Revoke(ctx, e3.ID)) }},
			{"store EXPIRED", func() { c.Entitlement.UpdateOne(e2).SetStatus(entitlement.StatusEXPIRED).ExecX(ctx) }},
			{"store ACTIVE again", func() { c.Entitlement.UpdateOne(e2).SetStatus(entitlement.StatusACTIVE).ExecX(ctx) }},
			{"expiry sweep", func() {
				r, err := entitlements.NewSweeper(c, db.Dialect, func() time.Time { return now }).Sweep(context.Background())
				if err != nil || r.Expired != 1 {
					t.Fatalf("sweep: %+v, %v", r, err)
				}
			}},
			{"extend window", func() { c.Entitlement.UpdateOne(e1).SetActiveTo(now.AddDate(2, 0, 0)).ExecX(ctx) }},
			{"earlier window", func() { c.Entitlement.UpdateOne(e2).SetActiveTo(now.AddDate(0, 1, 0)).ExecX(ctx) }},
			{"clear window", func() { c.Entitlement.UpdateOne(e2).ClearActiveTo().ExecX(ctx) }},
			{"change contract", func() { c.Entitlement.UpdateOne(e1).SetContract(k2).ExecX(ctx) }},
			{"clear contract", func() { c.Entitlement.UpdateOne(e1).ClearContract().ExecX(ctx) }},
			{"set contract", func() { c.Entitlement.UpdateOne(e1).SetContract(k1).ExecX(ctx) }},
			{"change product", func() {
				c.Entitlement.UpdateOne(e2).SetProduct(metered).SetKind(schematype.EntitlementKindMetered).ExecX(ctx)
			}},
			{"delete entitlement", func() { c.Entitlement.DeleteOne(e2).ExecX(ctx) }},
			{"contract item create", func() { item = c.ContractItem.Create().SetContract(k1).SetProduct(qty).SetQuantity(3).SaveX(ctx) }},
			{"a second item to the pair", func() { c.ContractItem.Create().SetContract(k1).SetProduct(qty).SetQuantity(4).ExecX(ctx) }},
			{"an item with no entitlement", func() { c.ContractItem.Create().SetContract(k2).SetProduct(flag).SetQuantity(1).ExecX(ctx) }},
			{"contract item quantity", func() { c.ContractItem.UpdateOne(item).SetQuantity(10).ExecX(ctx) }},
			{"contract item price (no change)", func() { c.ContractItem.UpdateOne(item).SetUnitPriceMinor(99).ExecX(ctx) }},
			{"contract item moves", func() { c.ContractItem.UpdateOne(item).SetContract(kb).SetProduct(metered).ExecX(ctx) }},
			{"contract item delete", func() { c.ContractItem.DeleteOne(item).ExecX(ctx) }},
			{"bulk create", func() {
				var bulk []*ent.EntitlementCreate
				for i := range 300 {
					q := c.Entitlement.Create().SetAccount(f.acc).SetActiveFrom(now.AddDate(-1, 0, 0))
					p := []*ent.Product{qty, flag, metered}[i%3]
					q.SetProduct(p).SetKind(p.EntitlementKind)
					if p != flag && i%4 != 0 {
						q.SetLimit(int64(i))
					}
					switch i % 7 {
					case 0:
						q.SetActiveTo(now.Add(-time.Duration(i) * time.Minute)) // ended, still ACTIVE
					case 1:
						q.SetActiveTo(now.Add(time.Duration(i) * time.Hour))
					}
					switch i % 5 {
					case 0:
						q.SetContract(k1)
					case 1:
						q.SetContract(k2)
					case 2:
						q.SetContract(kb).SetStatus(entitlement.StatusSUSPENDED)
					case 3:
						q.SetContract(kb)
					}
					bulk = append(bulk, q)
				}
				c.Entitlement.CreateBulk(bulk...).ExecX(ctx)
			}},
			{"bulk item create", func() {
				c.ContractItem.CreateBulk(
					c.ContractItem.Create().SetContract(k2).SetProduct(qty).SetQuantity(50),
					c.ContractItem.Create().SetContract(k2).SetProduct(qty).SetQuantity(5),
					c.ContractItem.Create().SetContract(kb).SetProduct(flag).SetQuantity(2),
				).ExecX(ctx)
			}},
			{"multi-row update", func() {
				c.Entitlement.Update().Where(entitlement.ContractID(k2.ID), entitlement.ProductID(qty.ID)).SetStatus(entitlement.StatusREVOKED).ExecX(ctx)
			}},
			{"multi-row move", func() {
				c.Entitlement.Update().Where(entitlement.ContractID(kb.ID), entitlement.StatusEQ(entitlement.StatusACTIVE)).SetContract(k1).ExecX(ctx)
			}},
			{"multi-row delete", func() { c.Entitlement.Delete().Where(entitlement.ContractID(k1.ID)).ExecX(ctx) }},
			{"ended windows", func() {
				ended := func(q *ent.EntitlementCreate) { q.SetActiveTo(now.Add(-time.Hour)) }
				k3 = f.contract(f.acc, contract.StatusACTIVE, now.AddDate(1, 0, 0))
				c.ContractItem.Create().SetContract(k3).SetProduct(qty).SetQuantity(10).ExecX(ctx)
				c.ContractItem.Create().SetContract(k3).SetProduct(metered).SetQuantity(10).ExecX(ctx)
				f.entitlement(f.acc, qty, k3, n(8), 0)            // live 8 of 10 ...
				f.entitlement(f.acc, qty, k3, n(5), 0, ended)     // ... allocated 13: not over
				f.entitlement(b, metered, k3, n(12), 0)           // live 12 of 10: over ...
				f.entitlement(f.acc, metered, k3, n(1), 0, ended) // ... by more than the ended 1
				f.entitlement(f.acc, flag, k3, nil, 0, ended)     // allocated 1 of 0, none live: not over
			}},
		}
		for _, s := range steps {
			s.write()
			checkAllocations(t, ctx, c, s.name)
			if t.Failed() {
				t.Fatalf("after %q", s.name)
			}
		}
		if n := c.ContractAllocation.Query().CountX(ctx); n < 6 {
			t.Errorf("%d allocation rows: the steps should have touched more pairs", n)
		}
		// The report over the final rows, as the system and as a CSM (the
		// two ways it counts), now and once every window has ended, agrees
		// with the oracle; (k3, metered) is over, (k3, qty) and (k3, flag)
		// only look over by their kept figures.
		d := ordLoad(t, db)
		recs := checkDiscrepancies(t, ctx, svc, d, nil, now, []string{"EXCEEDS_CONTRACT"}, 30, 2)
		over := map[allocPair]bool{}
		for _, r := range recs {
			over[allocPair{r.Contract, r.Product}] = true
		}
		if !over[allocPair{k3.ID, metered.ID}] || over[allocPair{k3.ID, qty.ID}] || over[allocPair{k3.ID, flag.ID}] {
			t.Errorf("EXCEEDS_CONTRACT %v: want (k3, metered) and neither (k3, qty) nor (k3, flag)", recs)
		}
		c.User.Create().SetEmail("csm@example.com").SetName("CSM").SetRoles([]string{viewer.RoleCSM}).ExecX(ctx)
		c.Account.UpdateOne(f.acc).SetOwnerID(c.User.Query().Where(user.Email("csm@example.com")).OnlyIDX(ctx)).ExecX(ctx)
		book, err := orderoracle.Book(ctx, c, "csm@example.com")
		if err != nil || len(book) != 1 {
			t.Fatalf("book %v, %v", book, err)
		}
		if recs := checkDiscrepancies(t, accAs("csm@example.com", viewer.RoleCSM), svc, d, book, now, []string{"EXCEEDS_CONTRACT"}, 30, 2); len(recs) == 0 {
			t.Error("no EXCEEDS_CONTRACT in the CSM's book to compare")
		}
		later := now.AddDate(3, 0, 0)
		checkDiscrepancies(t, ctx, accService(db, later), d, nil, later, []string{"EXCEEDS_CONTRACT"}, 30, 2)
		// The database maintains the table; ent may not write it, even as
		// the system.
		if err := c.ContractAllocation.Create().SetContractID(k1.ID).SetProductID(metered.ID).SetAllocated(1).SetContracted(0).SetExcess(1).Exec(ctx); err == nil {
			t.Error("an ent write to contract_allocations was allowed")
		}
	})
}

// TestContractAllocationsConcurrentWriters has two PostgreSQL transactions
// create entitlements to the same new pair at once: the second's trigger
// waits for the first to commit and then counts both (recomputing in the
// statement that waited would have kept only its own).
func TestContractAllocationsConcurrentWriters(t *testing.T) {
	db := testdb.Open(t, dialect.Postgres)
	now := time.Now().UTC()
	f, _ := newOrdFixture(t, db, now)
	ctx := f.ctx
	p := f.product(schematype.EntitlementKindQuantity)
	k := f.contract(f.acc, contract.StatusACTIVE, now.AddDate(1, 0, 0))
	f.c.ContractItem.Create().SetContract(k).SetProduct(p).SetQuantity(1).ExecX(ctx)
	// A second pair, that only the second transaction writes to first.
	q := f.product(schematype.EntitlementKindQuantity)
	insert := func(tx *sql.Tx, product int, limit int) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO entitlements (created_at, updated_at, kind, limit_value, active_from, status, account_id, contract_id, product_id)
			VALUES (now(), now(), 'QUANTITY', $1, now(), 'ACTIVE', $2, $3, $4)`, limit, f.acc.ID, k.ID, product)
		return err
	}
	// t2 first, so that its deferred rollback runs after t1's: a blocked
	// t2 cannot roll back before t1 lets it go.
	t2, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer t2.Rollback()
	t1, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer t1.Rollback()
	if err := insert(t1, p.ID, 2); err != nil {
		t.Fatal(err)
	}
	if err := insert(t1, q.ID, 20); err != nil {
		t.Fatal(err)
	}
	var pid int
	if err := t2.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		// One statement over both pairs, so its trigger waits on both rows.
		_, err := t2.ExecContext(ctx, `INSERT INTO entitlements (created_at, updated_at, kind, limit_value, active_from, status, account_id, contract_id, product_id)
			VALUES (now(), now(), 'QUANTITY', 3, now(), 'ACTIVE', $1, $2, $3), (now(), now(), 'QUANTITY', 30, now(), 'ACTIVE', $1, $2, $4)`, f.acc.ID, k.ID, p.ID, q.ID)
		if err == nil {
			err = t2.Commit()
		}
		done <- err
	}()
	// Wait until the second transaction is blocked on the first.
	for i := 0; ; i++ {
		var waiting bool
		if err := db.SQL.QueryRowContext(ctx, "SELECT coalesce(wait_event_type = 'Lock', false) FROM pg_stat_activity WHERE pid = $1", pid).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		if i == 3000 {
			t.Fatal("the second transaction never waited for the first")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := t1.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	checkAllocations(t, ctx, f.c, "concurrent inserts")
	got := map[int]int64{}
	for _, a := range f.c.ContractAllocation.Query().AllX(ctx) {
		got[a.ProductID] = a.Allocated
	}
	if got[p.ID] != 5 || got[q.ID] != 50 {
		t.Errorf("allocated %v, want %d: 5 and %d: 50", got, p.ID, q.ID)
	}
}
