package reports_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/healthscore"
	"github.com/opsgraph/opsgraph/internal/reports"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// renewalRow is one expected or actual renewal, every field by value.
type renewalRow struct {
	Contract, Account, Owner, RenewalOwner int
	Date                                   time.Time
	Days                                   int
	Arr                                    int64
	Currency                               string
	AutoRenew                              bool
	Band                                   string
}

// renewalOracle computes the renewal calendar from the rows: ACTIVE
// contracts with now <= renewal date < now + days × 24h, by date then id.
func renewalOracle(d *accData, now time.Time, days int) ([]renewalRow, []reports.RenewalMonth) {
	end := now.Add(time.Duration(days) * accDay)
	var rows []renewalRow
	for _, k := range d.contracts {
		if k.Status != contract.StatusACTIVE || k.RenewalDate == nil || k.RenewalDate.Before(now) || !k.RenewalDate.Before(end) {
			continue
		}
		a := d.accounts[k.AccountID]
		r := renewalRow{
			Contract: k.ID, Account: a.ID, Owner: a.OwnerID, Date: k.RenewalDate.UTC(),
			Days: int(k.RenewalDate.Sub(now).Hours()) / 24, Arr: k.ArrMinor, Currency: k.Currency, AutoRenew: k.AutoRenew,
		}
		if k.RenewalOwnerID != nil {
			r.RenewalOwner = *k.RenewalOwnerID
		}
		if b, ok := d.bands[a.ID]; ok {
			r.Band = string(b)
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		if !rows[i].Date.Equal(rows[j].Date) {
			return rows[i].Date.Before(rows[j].Date)
		}
		return rows[i].Contract < rows[j].Contract
	})
	type key struct{ month, cur string }
	count, arr := map[string]int{}, map[key]int64{}
	for _, r := range rows {
		m := r.Date.Format("2006-01")
		count[m]++
		arr[key{m, r.Currency}] += r.Arr
	}
	months := []reports.RenewalMonth{}
	for m, n := range count {
		rm := reports.RenewalMonth{Month: m, Contracts: n, Arr: []*reports.MoneyAmount{}}
		for k, v := range arr {
			if k.month == m {
				rm.Arr = append(rm.Arr, &reports.MoneyAmount{Currency: k.cur, AmountMinor: v})
			}
		}
		sort.Slice(rm.Arr, func(i, j int) bool { return rm.Arr[i].Currency < rm.Arr[j].Currency })
		months = append(months, rm)
	}
	sort.Slice(months, func(i, j int) bool { return months[i].Month < months[j].Month })
	return rows, months
}

// collectRenewals pages through the whole calendar, first renewals a page,
// checking the page information, and returns every renewal and the first
// page's connection.
func collectRenewals(t *testing.T, ctx context.Context, s *reports.Service, days, first int) ([]renewalRow, *reports.RenewalConnection) {
	t.Helper()
	var (
		out   []renewalRow
		after *reports.Cursor
		head  *reports.RenewalConnection
	)
	for pages := 0; ; pages++ {
		conn, err := s.RenewalCalendar(ctx, &days, &first, after)
		if err != nil {
			t.Fatalf("renewalCalendar(withinDays %d, first %d): %v", days, first, err)
		}
		if head == nil {
			head = conn
		}
		edges, info := accPage[*reports.RenewalEdge](t, ctx, conn)
		if conn.WithinDays != days || info.HasPreviousPage != (after != nil) || len(edges) > first {
			t.Fatalf("page %d: withinDays %d, pageInfo %+v, %d edges", pages, conn.WithinDays, info, len(edges))
		}
		for _, e := range edges {
			out = append(out, renewalOf(t, ctx, e.Node))
		}
		if !info.HasNextPage {
			return out, head
		}
		if len(edges) == 0 || pages > 10000 {
			t.Fatalf("page %d: next page without edges", pages)
		}
		after = info.EndCursor
	}
}

func renewalOf(t *testing.T, ctx context.Context, n *reports.Renewal) renewalRow {
	t.Helper()
	a, err := n.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := n.Owner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rowner, err := n.RenewalOwner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	band, err := n.HealthBand(ctx)
	if err != nil {
		t.Fatal(err)
	}
	k, err := n.Contract(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := renewalRow{
		Contract: k.ID, Account: a.ID, Date: n.RenewalDate, Days: n.DaysUntil,
		Arr: n.ArrMinor, Currency: n.Currency, AutoRenew: n.AutoRenew,
	}
	if owner != nil {
		r.Owner = owner.ID
	}
	if rowner != nil {
		r.RenewalOwner = rowner.ID
	}
	if band != nil {
		r.Band = string(*band)
	}
	return r
}

// checkRenewals compares the whole calendar, its total and months with the
// oracle.
func checkRenewals(t *testing.T, ctx context.Context, s *reports.Service, d *accData, now time.Time, days, first int) []renewalRow {
	t.Helper()
	want, wantMonths := renewalOracle(d, now, days)
	got, conn := collectRenewals(t, ctx, s, days, first)
	if len(got) != len(want) {
		t.Fatalf("withinDays %d: %d renewals, want %d", days, len(got), len(want))
	}
	for i := range want {
		if !got[i].Date.Equal(want[i].Date) {
			t.Fatalf("withinDays %d: renewal %d date %s, want %s", days, i, got[i].Date, want[i].Date)
		}
		got[i].Date = want[i].Date
		if got[i] != want[i] {
			t.Fatalf("withinDays %d: renewal %d\n got %+v\nwant %+v", days, i, got[i], want[i])
		}
	}
	total, err := conn.TotalCount(ctx)
	if err != nil || total != len(want) {
		t.Fatalf("withinDays %d: totalCount %d (%v), want %d", days, total, err, len(want))
	}
	months, err := conn.ByMonth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := monthsString(months), monthsString(wantMonths); g != w {
		t.Fatalf("withinDays %d: byMonth\n got %s\nwant %s", days, g, w)
	}
	return got
}

func monthsString[M reports.RenewalMonth | *reports.RenewalMonth](ms []M) string {
	s := ""
	for _, m := range ms {
		var rm reports.RenewalMonth
		switch v := any(m).(type) {
		case reports.RenewalMonth:
			rm = v
		case *reports.RenewalMonth:
			rm = *v
		}
		s += fmt.Sprintf("%s:%d[", rm.Month, rm.Contracts)
		for _, a := range rm.Arr {
			s += fmt.Sprintf("%s %d;", a.Currency, a.AmountMinor)
		}
		s += "] "
	}
	return s
}

// The renewal calendar of the demo data equals the oracle's, for several
// horizons and page sizes, as an ADMIN and as a CSM (their book only).
func oracleRenewalCalendar(t *testing.T, db *store.DB, d *accData) {
	s := accService(db, accNow)
	admin := accAs("admin@example.com", viewer.RoleAdmin)
	nonEmpty := false
	for _, days := range []int{1, 7, 30, 120, 365, 3660} {
		got := checkRenewals(t, admin, s, d, accNow, days, 50)
		nonEmpty = nonEmpty || len(got) > 0
	}
	if !nonEmpty {
		t.Fatal("the demo data has no renewals")
	}
	checkRenewals(t, admin, s, d, accNow, 365, 7)
	checkRenewals(t, admin, s, d, accNow, 365, 1)

	csm, book := accCSM(t, db.Client, d)
	mine := d.restrict(book)
	for _, days := range []int{30, 365, 3660} {
		checkRenewals(t, csm, s, mine, accNow, days, 9)
	}
	// A later clock sees other renewals.
	later := accNow.Add(100*accDay + 3*time.Hour)
	checkRenewals(t, admin, accService(db, later), d, later, 120, 13)
}

// Boundaries, ties, months, nulls and empty windows, on hand-built rows.
func TestRenewalCalendarEdges(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newAccFixture(t, db)
		csm, rowner := f.user(viewer.RoleCSM), f.user(viewer.RoleSales)
		a := f.account("Alpha", csm)
		b := f.account("Beta", nil)
		f.score(a, healthscore.BandGREEN)
		end := accNow.AddDate(1, 0, 0)
		renews := func(at time.Time, set ...func(*ent.ContractCreate)) func(*ent.ContractCreate) {
			return func(q *ent.ContractCreate) {
				q.SetRenewalDate(at)
				for _, s := range set {
					s(q)
				}
			}
		}
		eur := func(q *ent.ContractCreate) { q.SetCurrency("EUR") }
		k1 := f.contract(a, end, renews(accNow))                                 // now: in, 0 days
		f.contract(a, end, renews(accNow.Add(-time.Microsecond)))                // just past: out
		f.contract(b, end, renews(accNow.Add(30*accDay)))                        // exactly 30 days out: out
		k4 := f.contract(b, end, renews(accNow.Add(30*accDay-time.Microsecond))) // in, 29 days
		k5 := f.contract(a, end, renews(accNow.Add(10*accDay), func(q *ent.ContractCreate) { q.SetRenewalOwner(rowner).SetAutoRenew(true) }))
		k6 := f.contract(b, end, renews(accNow.Add(10*accDay))) // tie with k5
		f.contract(a, end, renews(accNow.Add(5*accDay), func(q *ent.ContractCreate) { q.SetStatus(contract.StatusEXPIRED) }))
		f.contract(a, end) // no renewal date
		k9 := f.contract(b, end, renews(time.Date(2026, 11, 30, 23, 59, 59, 999999000, time.UTC), eur))
		k10 := f.contract(b, end, renews(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), eur))
		k11 := f.contract(a, end, renews(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)))

		d := loadAccData(t, db.Client)
		s := accService(db, accNow)
		admin := accAs("admin@example.com", viewer.RoleAdmin)
		for _, first := range []int{1, 2, 3, 50} {
			got := checkRenewals(t, admin, s, d, accNow, 30, first)
			var ids, days []int
			for _, r := range got {
				ids, days = append(ids, r.Contract), append(days, r.Days)
			}
			accSameInts(t, "renewals", ids, []int{k1.ID, k5.ID, k6.ID, k9.ID, k10.ID, k11.ID, k4.ID})
			accSameInts(t, "daysUntil", days, []int{0, 10, 10, 29, 29, 29, 29})
			if got[0].Owner != csm.ID || got[0].Band != "GREEN" || got[2].Owner != 0 || got[2].Band != "" ||
				got[1].RenewalOwner != rowner.ID || !got[1].AutoRenew || got[0].RenewalOwner != 0 {
				t.Fatalf("owners and bands: %+v", got)
			}
		}
		conn, err := s.RenewalCalendar(admin, accPtr(30), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		months, err := conn.ByMonth(admin)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("2026-11:4[EUR %d;USD %d;] 2026-12:3[EUR %d;USD %d;] ",
			k9.ArrMinor, k1.ArrMinor+k5.ArrMinor+k6.ArrMinor, k10.ArrMinor, k11.ArrMinor+k4.ArrMinor)
		if g := monthsString(months); g != want {
			t.Fatalf("byMonth %s, want %s", g, want)
		}
		if edges, info := accPage[*reports.RenewalEdge](t, admin, conn); len(edges) != 7 || info.HasNextPage || info.HasPreviousPage {
			t.Fatalf("default page: %d edges, %+v", len(edges), info)
		}

		// An empty window: nothing renews in the 24 hours from a day later.
		empty := accService(db, accNow.Add(400*accDay))
		conn, err = empty.RenewalCalendar(admin, accPtr(1), accPtr(10), nil)
		if err != nil {
			t.Fatal(err)
		}
		total, _ := conn.TotalCount(admin)
		months, _ = conn.ByMonth(admin)
		edges, info := accPage[*reports.RenewalEdge](t, admin, conn)
		if len(edges) != 0 || total != 0 || months == nil || len(months) != 0 ||
			info.HasNextPage || info.StartCursor != nil || info.EndCursor != nil {
			t.Fatalf("empty window: %d edges, total %d, months %v, %+v", len(edges), total, months, info)
		}
		// first: 0 says only whether there is anything.
		conn, err = s.RenewalCalendar(admin, accPtr(30), accPtr(0), nil)
		if err != nil {
			t.Fatal(err)
		}
		if edges, info := accPage[*reports.RenewalEdge](t, admin, conn); len(edges) != 0 || !info.HasNextPage {
			t.Fatalf("first 0: %d edges, %+v", len(edges), info)
		}

		// Arguments out of range and foreign cursors are the client's error.
		for _, days := range []int{0, -1, 3661} {
			_, err := s.RenewalCalendar(admin, accPtr(days), nil, nil)
			accWantBadInput(t, err)
		}
		for _, first := range []int{-1, 101} {
			_, err := s.RenewalCalendar(admin, nil, accPtr(first), nil)
			accWantBadInput(t, err)
		}
		_, err = s.RenewalCalendar(admin, nil, nil, &reports.Cursor{ID: k1.ID, Value: "MISSING_RENEWAL_DATE"})
		accWantBadInput(t, err)
	})
}
