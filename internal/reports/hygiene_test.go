package reports_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/internal/reports"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// hygieneRow is one expected or actual exception.
type hygieneRow struct {
	Kind     reports.RenewalHygieneKind
	Contract int
	Account  int
}

// hygieneOracle computes the exceptions of the given kinds (all when
// none), by kind then contract id, the count of every kind, and the
// completeness over the horizon of days.
func hygieneOracle(d *accData, now time.Time, days int, kinds []reports.RenewalHygieneKind) ([]hygieneRow, map[reports.RenewalHygieneKind]int, reports.Completeness) {
	all := []reports.RenewalHygieneKind{"MISSING_RENEWAL_DATE", "MISSING_RENEWAL_OWNER", "ENDED_STILL_ACTIVE", "RENEWAL_AFTER_END"}
	has := func(k *ent.Contract, kind reports.RenewalHygieneKind) bool {
		switch kind {
		case "MISSING_RENEWAL_DATE":
			return k.RenewalDate == nil
		case "MISSING_RENEWAL_OWNER":
			return k.RenewalOwnerID == nil
		case "ENDED_STILL_ACTIVE":
			return k.EndDate.Before(now)
		case "RENEWAL_AFTER_END":
			return k.RenewalDate != nil && k.RenewalDate.After(k.EndDate)
		}
		panic(kind)
	}
	var rows []hygieneRow
	counts := map[reports.RenewalHygieneKind]int{}
	for _, kind := range all {
		for _, k := range d.contracts { // by id
			if k.Status != contract.StatusACTIVE || !has(k, kind) {
				continue
			}
			if len(kinds) == 0 || slices.Contains(kinds, kind) {
				counts[kind]++
				rows = append(rows, hygieneRow{kind, k.ID, k.AccountID})
			}
		}
	}
	end := now.Add(time.Duration(days) * accDay)
	in := func(t time.Time) bool { return !t.Before(now) && t.Before(end) }
	var c reports.Completeness
	for _, k := range d.contracts {
		if k.Status != contract.StatusACTIVE {
			continue
		}
		if (k.RenewalDate != nil && in(*k.RenewalDate)) || (k.RenewalDate == nil && in(k.EndDate)) {
			c.Total++
			if k.RenewalDate != nil && k.RenewalOwnerID != nil && d.accounts[k.AccountID].OwnerID != 0 {
				c.Complete++
			}
		}
	}
	return rows, counts, c
}

// checkHygiene pages through the whole report and compares it, its counts
// and its completeness with the oracle.
func checkHygiene(t *testing.T, ctx context.Context, s *reports.Service, d *accData, now time.Time, days int, kinds []reports.RenewalHygieneKind, first int) []hygieneRow {
	t.Helper()
	want, wantCounts, wantComplete := hygieneOracle(d, now, days, kinds)
	var (
		got   []hygieneRow
		after *reports.Cursor
		head  *reports.RenewalHygieneConnection
	)
	for pages := 0; ; pages++ {
		conn, err := s.RenewalHygiene(ctx, &days, kinds, &first, after)
		if err != nil {
			t.Fatalf("renewalHygiene(%v, first %d): %v", kinds, first, err)
		}
		if head == nil {
			head = conn
		}
		edges, info := accPage[*reports.RenewalHygieneEdge](t, ctx, conn)
		if info.HasPreviousPage != (after != nil) || len(edges) > first {
			t.Fatalf("page %d: pageInfo %+v, %d edges", pages, info, len(edges))
		}
		for _, e := range edges {
			a, err := e.Node.Account(ctx)
			if err != nil {
				t.Fatal(err)
			}
			k, err := e.Node.Contract(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(e.Node.Detail, k.Number) {
				t.Fatalf("detail %q does not name contract %s", e.Node.Detail, k.Number)
			}
			got = append(got, hygieneRow{e.Node.Kind, k.ID, a.ID})
		}
		if !info.HasNextPage {
			break
		}
		if len(edges) == 0 || pages > 10000 {
			t.Fatalf("page %d: next page without edges", pages)
		}
		after = info.EndCursor
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("kinds %v, first %d: exceptions\n got %v\nwant %v", kinds, first, got, want)
	}
	total, err := head.TotalCount(ctx)
	if err != nil || total != len(want) {
		t.Fatalf("kinds %v: totalCount %d (%v), want %d", kinds, total, err, len(want))
	}
	counts, err := head.CountsByKind(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wantKinds []reports.RenewalHygieneKind
	for _, k := range reports.AllRenewalHygieneKinds {
		if len(kinds) == 0 || slices.Contains(kinds, k) {
			wantKinds = append(wantKinds, k)
		}
	}
	if len(counts) != len(wantKinds) {
		t.Fatalf("kinds %v: %d counts, want %d", kinds, len(counts), len(wantKinds))
	}
	for i, c := range counts {
		if c.Kind != wantKinds[i] || c.Count != wantCounts[c.Kind] {
			t.Fatalf("kinds %v: count %d is %s %d, want %s %d", kinds, i, c.Kind, c.Count, wantKinds[i], wantCounts[wantKinds[i]])
		}
	}
	c, err := head.Completeness(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Total != wantComplete.Total || c.Complete != wantComplete.Complete || (c.Rate == nil) != (c.Total == 0) ||
		(c.Rate != nil && *c.Rate != float64(c.Complete)/float64(c.Total)) {
		t.Fatalf("withinDays %d: completeness %+v, want %+v", days, c, wantComplete)
	}
	return got
}

// The renewal hygiene report of the demo data equals the oracle's, for
// every kind alone and together, several horizons and page sizes, as an
// ADMIN and as a CSM (their book only).
func oracleRenewalHygiene(t *testing.T, db *store.DB, d *accData) {
	s := accService(db, accNow)
	admin := accAs("admin@example.com", viewer.RoleAdmin)
	got := checkHygiene(t, admin, s, d, accNow, 120, nil, 50)
	for _, k := range reports.AllRenewalHygieneKinds {
		if !slices.ContainsFunc(got, func(r hygieneRow) bool { return r.Kind == k }) {
			t.Errorf("the demo data has no %s exception", k)
		}
		checkHygiene(t, admin, s, d, accNow, 120, []reports.RenewalHygieneKind{k}, 50)
	}
	checkHygiene(t, admin, s, d, accNow, 30, []reports.RenewalHygieneKind{"RENEWAL_AFTER_END", "MISSING_RENEWAL_DATE"}, 3)
	checkHygiene(t, admin, s, d, accNow, 3660, nil, 7)
	checkHygiene(t, admin, s, d, accNow, 1, nil, 100)

	csm, book := accCSM(t, db.Client, d)
	mine := d.restrict(book)
	checkHygiene(t, csm, s, mine, accNow, 120, nil, 5)
	checkHygiene(t, csm, s, mine, accNow, 365, []reports.RenewalHygieneKind{"MISSING_RENEWAL_OWNER"}, 50)
}

// Boundaries of every kind and of the completeness horizon, one contract
// under several kinds, paging across kinds, empty reports, bad arguments.
func TestRenewalHygieneEdges(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newAccFixture(t, db)
		owner, rowner := f.user(viewer.RoleCSM), f.user(viewer.RoleSales)
		a := f.account("Owned", owner)
		b := f.account("Unowned", nil)
		admin := accAs("admin@example.com", viewer.RoleAdmin)
		s := accService(db, accNow)

		// Nothing yet: an empty report.
		checkHygiene(t, admin, s, loadAccData(t, db.Client), accNow, 120, nil, 10)

		set := func(date *time.Time, ro bool) func(*ent.ContractCreate) {
			return func(q *ent.ContractCreate) {
				q.SetNillableRenewalDate(date)
				if ro {
					q.SetRenewalOwner(rowner)
				}
			}
		}
		in10 := accNow.Add(10 * accDay)
		f.contract(a, in10, set(&in10, true))                                                                   // complete, no exception
		f.contract(a, accNow, set(accPtr(accNow), true))                                                        // end date now: not ended
		ended := f.contract(a, accNow.Add(-time.Microsecond), set(accPtr(accNow.Add(-time.Microsecond)), true)) // ended
		f.contract(b, in10, set(&in10, true))                                                                   // renewal on the end date: fine; no account owner
		afterEnd := f.contract(a, in10, set(accPtr(in10.Add(time.Microsecond)), true))                          // renewal after the end
		many := f.contract(b, accNow.Add(-accDay), set(nil, false))                                             // no date, no owner, ended
		noDate := f.contract(a, accNow.Add(120*accDay-time.Microsecond), set(nil, true))                        // no date, ends in the horizon
		atHorizon := f.contract(a, accNow.Add(120*accDay), set(nil, true))                                      // no date, ends at the horizon: outside
		noOwner := f.contract(a, accNow.Add(200*accDay), set(accPtr(accNow.Add(120*accDay)), false))            // renews at the horizon: outside
		f.contract(a, accNow.Add(-accDay), func(q *ent.ContractCreate) { q.SetStatus(contract.StatusEXPIRED) })
		d := loadAccData(t, db.Client)

		want := []hygieneRow{
			{"MISSING_RENEWAL_DATE", many.ID, b.ID}, {"MISSING_RENEWAL_DATE", noDate.ID, a.ID}, {"MISSING_RENEWAL_DATE", atHorizon.ID, a.ID},
			{"MISSING_RENEWAL_OWNER", many.ID, b.ID}, {"MISSING_RENEWAL_OWNER", noOwner.ID, a.ID},
			{"ENDED_STILL_ACTIVE", ended.ID, a.ID}, {"ENDED_STILL_ACTIVE", many.ID, b.ID},
			{"RENEWAL_AFTER_END", afterEnd.ID, a.ID},
		}
		for _, first := range []int{1, 2, 3, 100} {
			got := checkHygiene(t, admin, s, d, accNow, 120, nil, first)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("first %d:\n got %v\nwant %v", first, got, want)
			}
		}
		// Completeness over 120 days: ok, endsNow, afterEnd (complete);
		// equal (no account owner), noDate (no date): 3 of 5.
		conn, err := s.RenewalHygiene(admin, nil, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := conn.Completeness(admin)
		if err != nil || c.Total != 5 || c.Complete != 3 {
			t.Fatalf("completeness %+v (%v), want 3 of 5", c, err)
		}
		// Kinds asked for in any order and repeated come in report order.
		checkHygiene(t, admin, s, d, accNow, 120, []reports.RenewalHygieneKind{"RENEWAL_AFTER_END", "MISSING_RENEWAL_DATE", "RENEWAL_AFTER_END"}, 1)
		// A cursor whose kind was not asked for continues with the next
		// kind asked for.
		conn, err = s.RenewalHygiene(admin, nil, []reports.RenewalHygieneKind{"RENEWAL_AFTER_END"}, nil,
			&reports.Cursor{ID: many.ID, Value: "MISSING_RENEWAL_OWNER"})
		if err != nil {
			t.Fatal(err)
		}
		edges, _ := accPage[*reports.RenewalHygieneEdge](t, admin, conn)
		if len(edges) != 1 {
			t.Fatalf("after a kind not asked for: %+v", edges)
		}
		if k, err := edges[0].Node.Contract(admin); err != nil || k.ID != afterEnd.ID {
			t.Fatalf("after a kind not asked for: %+v (%v)", k, err)
		}
		// An empty horizon: completeness has no rate.
		later := accService(db, accNow.Add(5000*accDay))
		conn, err = later.RenewalHygiene(admin, accPtr(1), nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := conn.Completeness(admin); err != nil || c.Total != 0 || c.Rate != nil {
			t.Fatalf("empty horizon: %+v %v", c, err)
		}

		for _, days := range []int{0, 3661} {
			_, err := s.RenewalHygiene(admin, accPtr(days), nil, nil, nil)
			accWantBadInput(t, err)
		}
		_, err = s.RenewalHygiene(admin, nil, nil, accPtr(101), nil)
		accWantBadInput(t, err)
		_, err = s.RenewalHygiene(admin, nil, nil, nil, &reports.Cursor{ID: 1, Value: accNow})
		accWantBadInput(t, err)
	})
}
