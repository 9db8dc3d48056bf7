package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/schema/gid"
	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// accReportsNow is the seed's now and the server's clock.
var accReportsNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// accReportsServer serves db (the demo data at accReportsNow) on a fixed
// clock.
func accReportsServer(t testing.TB, db *store.DB) *apitest.Server {
	t.Helper()
	return apitest.NewAt(t, db, func() time.Time { return accReportsNow })
}

const accRenewalsQuery = `query($days: Int, $first: Int, $after: Cursor) {
  renewalCalendar(withinDays: $days, first: $first, after: $after) {
    totalCount withinDays
    pageInfo { hasNextPage hasPreviousPage endCursor }
    byMonth { month contracts arr { currency amountMinor } }
    edges { cursor node {
      contract { id number } account { id name } owner { id } renewalOwner { id }
      renewalDate daysUntil arrMinor currency autoRenew healthBand
    } }
  }
}`

type accRenewalsData struct {
	RenewalCalendar struct {
		TotalCount, WithinDays int
		PageInfo               struct {
			HasNextPage, HasPreviousPage bool
			EndCursor                    *string
		}
		ByMonth []struct {
			Month     string
			Contracts int
			Arr       []struct {
				Currency    string
				AmountMinor int64
			}
		}
		Edges []struct {
			Cursor string
			Node   struct {
				Contract     struct{ ID, Number string }
				Account      struct{ ID, Name string }
				Owner        *struct{ ID string }
				RenewalOwner *struct{ ID string }
				RenewalDate  time.Time
				DaysUntil    int
				ArrMinor     *int64
				Currency     string
				AutoRenew    bool
				HealthBand   *string
			}
		}
	}
}

const accHygieneQuery = `query($first: Int, $after: Cursor, $kinds: [RenewalHygieneKind!]) {
  renewalHygiene(first: $first, after: $after, kinds: $kinds) {
    totalCount
    countsByKind { kind count }
    completeness { total complete rate }
    pageInfo { hasNextPage endCursor }
    edges { cursor node { kind detail contract { id number } account { id } } }
  }
}`

type accHygieneData struct {
	RenewalHygiene struct {
		TotalCount   int
		CountsByKind []struct {
			Kind  string
			Count int
		}
		Completeness struct {
			Total, Complete int
			Rate            *float64
		}
		PageInfo struct {
			HasNextPage bool
			EndCursor   *string
		}
		Edges []struct {
			Node struct {
				Kind, Detail string
				Contract     struct{ ID, Number string }
				Account      struct{ ID string }
			}
		}
	}
}

const accDataQualityQuery = `query($days: Int) {
  dataQuality(onboardingStaleDays: $days) {
    fields { entity field scope completeness { total complete rate } }
    staleOnboarding { account { id name } since days }
    staleOnboardingCount
    duplicateGroups { reason key accounts { id name } }
    duplicateGroupCount
  }
}`

type accDataQualityData struct {
	DataQuality struct {
		Fields []struct {
			Entity, Field, Scope string
			Completeness         struct{ Total, Complete int }
		}
		StaleOnboarding []struct {
			Account struct{ ID string }
			Since   time.Time
			Days    int
		}
		StaleOnboardingCount int
		DuplicateGroups      []struct {
			Reason, Key string
			Accounts    []struct{ ID string }
		}
		DuplicateGroupCount int
	}
}

func accDecode(t *testing.T, s string) int {
	t.Helper()
	id, err := gid.Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// accExpectedRenewals lists, in plain Go, the ids of the ACTIVE contracts
// of the accounts in book (all when nil) renewing in the next days days,
// by renewal date then id.
func accExpectedRenewals(t *testing.T, c *ent.Client, book map[int]bool, days int) []int {
	t.Helper()
	end := accReportsNow.Add(time.Duration(days) * 24 * time.Hour)
	ks := c.Contract.Query().AllX(context.Background())
	var in []*ent.Contract
	for _, k := range ks {
		if k.Status == contract.StatusACTIVE && k.RenewalDate != nil && !k.RenewalDate.Before(accReportsNow) &&
			k.RenewalDate.Before(end) && (book == nil || book[k.AccountID]) {
			in = append(in, k)
		}
	}
	slices.SortFunc(in, func(a, b *ent.Contract) int {
		if c := a.RenewalDate.Compare(*b.RenewalDate); c != 0 {
			return c
		}
		return a.ID - b.ID
	})
	ids := make([]int, len(in))
	for i, k := range in {
		ids[i] = k.ID
	}
	return ids
}

// accRenewalPages pages through the renewal calendar over the API.
func accRenewalPages(t *testing.T, srv *apitest.Server, token string, days, first int) (ids []int, accounts []int, head accRenewalsData) {
	t.Helper()
	var after any
	for page := 0; ; page++ {
		var data accRenewalsData
		srv.PostAs(token, accRenewalsQuery, map[string]any{"days": days, "first": first, "after": after}).MustData(t, &data)
		if page == 0 {
			head = data
		}
		c := data.RenewalCalendar
		for _, e := range c.Edges {
			ids = append(ids, accDecode(t, e.Node.Contract.ID))
			accounts = append(accounts, accDecode(t, e.Node.Account.ID))
		}
		if !c.PageInfo.HasNextPage {
			return ids, accounts, head
		}
		after = *c.PageInfo.EndCursor
	}
}

// The three account reports end to end, on the demo data (seeded once per
// database).
func TestAccountReportsAPI(t *testing.T) {
	seedtest.EachDemo(t, accReportsNow, func(t *testing.T, db *store.DB) {
		srv := accReportsServer(t, db)
		t.Run("rows", func(t *testing.T) { accAPIRows(t, db, srv) })
		t.Run("financial", func(t *testing.T) { accAPIFinancial(t, srv) })
		t.Run("statements", func(t *testing.T) { accAPIStatements(t, db, srv) })
	})
}

// accAPIRows: paging with cursors, totals and months agree with the rows,
// for an ADMIN and (their book only) a CSM.
func accAPIRows(t *testing.T, db *store.DB, srv *apitest.Server) {
	admin := srv.Token("admin@opsgraph.example", viewer.RoleAdmin)
	const me = "csm1@opsgraph.example"
	csm := srv.Token(me, viewer.RoleCSM)
	_, bookIDs := expectedBook(t, db.Client, me)
	book := map[int]bool{}
	for _, id := range bookIDs {
		book[id] = true
	}

	for _, v := range []struct {
		name  string
		token string
		book  map[int]bool
	}{{"ADMIN", admin, nil}, {"CSM", csm, book}} {
		want := accExpectedRenewals(t, db.Client, v.book, 365)
		if len(want) < 3 {
			t.Fatalf("%s: only %d renewals in the demo data", v.name, len(want))
		}
		ids, accounts, head := accRenewalPages(t, srv, v.token, 365, 2)
		if fmt.Sprint(ids) != fmt.Sprint(want) {
			t.Fatalf("%s: renewals\n got %v\nwant %v", v.name, ids, want)
		}
		for _, a := range accounts {
			if v.book != nil && !v.book[a] {
				t.Fatalf("%s: renewal of account %d outside the book", v.name, a)
			}
		}
		c := head.RenewalCalendar
		sum := 0
		for _, m := range c.ByMonth {
			sum += m.Contracts
			if m.Arr == nil {
				t.Fatalf("%s: month %s without ARR", v.name, m.Month)
			}
		}
		if c.TotalCount != len(want) || sum != len(want) || c.WithinDays != 365 {
			t.Fatalf("%s: totalCount %d, months sum %d, withinDays %d; want %d", v.name, c.TotalCount, sum, c.WithinDays, len(want))
		}
		for _, e := range c.Edges {
			n := e.Node
			if n.ArrMinor == nil || n.Contract.Number == "" || n.DaysUntil < 0 || n.DaysUntil >= 365 || n.RenewalDate.Before(accReportsNow) {
				t.Fatalf("%s: renewal %+v", v.name, n)
			}
		}

		var hyg accHygieneData
		srv.PostAs(v.token, accHygieneQuery, map[string]any{"first": 100}).MustData(t, &hyg)
		h := hyg.RenewalHygiene
		kinds := 0
		for _, c := range h.CountsByKind {
			kinds += c.Count
		}
		if h.TotalCount == 0 || kinds != h.TotalCount || len(h.CountsByKind) != 4 || h.Completeness.Total == 0 {
			t.Fatalf("%s: hygiene %+v", v.name, h)
		}
		wantHyg := 0
		for _, k := range db.Client.Contract.Query().AllX(context.Background()) {
			if k.Status != contract.StatusACTIVE || (v.book != nil && !v.book[k.AccountID]) {
				continue
			}
			for _, has := range []bool{k.RenewalDate == nil, k.RenewalOwnerID == nil, k.EndDate.Before(accReportsNow),
				k.RenewalDate != nil && k.RenewalDate.After(k.EndDate)} {
				if has {
					wantHyg++
				}
			}
		}
		if h.TotalCount != wantHyg {
			t.Fatalf("%s: %d hygiene exceptions, want %d", v.name, h.TotalCount, wantHyg)
		}
		for _, e := range h.Edges {
			if a := accDecode(t, e.Node.Account.ID); v.book != nil && !v.book[a] {
				t.Fatalf("%s: exception of account %d outside the book", v.name, a)
			}
		}

		var dq accDataQualityData
		srv.PostAs(v.token, accDataQualityQuery, map[string]any{"days": 30}).MustData(t, &dq)
		accountsTotal := db.Client.Account.Query().CountX(context.Background())
		if v.book != nil {
			accountsTotal = len(v.book)
		}
		if f := dq.DataQuality.Fields[0]; f.Entity != "Account" || f.Completeness.Total != accountsTotal {
			t.Fatalf("%s: first field %+v, want %d accounts", v.name, f, accountsTotal)
		}
		for _, s := range dq.DataQuality.StaleOnboarding {
			if a := accDecode(t, s.Account.ID); v.book != nil && !v.book[a] {
				t.Fatalf("%s: stale account %d outside the book", v.name, a)
			}
		}
		for _, g := range dq.DataQuality.DuplicateGroups {
			for _, a := range g.Accounts {
				if id := accDecode(t, a.ID); v.book != nil && !v.book[id] {
					t.Fatalf("%s: duplicate account %d outside the book", v.name, id)
				}
			}
		}
		if v.book == nil && (dq.DataQuality.DuplicateGroupCount == 0 || dq.DataQuality.StaleOnboardingCount == 0) {
			t.Fatalf("%s: data quality %+v", v.name, dq.DataQuality)
		}
	}

	// Paging through the hygiene exceptions with cursors.
	var seen []string
	var after any
	for {
		var hyg accHygieneData
		srv.PostAs(admin, accHygieneQuery, map[string]any{"first": 3, "after": after, "kinds": []string{"MISSING_RENEWAL_OWNER", "ENDED_STILL_ACTIVE"}}).MustData(t, &hyg)
		for _, e := range hyg.RenewalHygiene.Edges {
			seen = append(seen, e.Node.Kind+" "+e.Node.Contract.Number)
		}
		if !hyg.RenewalHygiene.PageInfo.HasNextPage {
			if len(seen) != hyg.RenewalHygiene.TotalCount {
				t.Fatalf("paged %d exceptions of %d", len(seen), hyg.RenewalHygiene.TotalCount)
			}
			break
		}
		after = *hyg.RenewalHygiene.PageInfo.EndCursor
	}
}

// accAPIFinancial: financial report figures are null with FORBIDDEN at the
// field for roles without financial access; the rest of the report arrives.
func accAPIFinancial(t *testing.T, srv *apitest.Server) {
	for _, tc := range []struct {
		roles []string
		allow bool
	}{
		{[]string{viewer.RoleSupport}, false},
		{[]string{viewer.RoleOpsAnalyst}, false},
		{[]string{viewer.RoleViewer}, false},
		{[]string{viewer.RoleFinance}, true},
		{[]string{viewer.RoleSales}, true},
		{[]string{viewer.RoleCSM}, true},
		{[]string{viewer.RoleAdmin}, true},
	} {
		t.Run(tc.roles[0], func(t *testing.T) {
			subject := "someone@opsgraph.example"
			if tc.roles[0] == viewer.RoleCSM {
				subject = "csm1@opsgraph.example"
			}
			res := srv.PostAs(srv.Token(subject, tc.roles...),
				`{ renewalCalendar(withinDays: 365, first: 5) { totalCount byMonth { month contracts arr { currency amountMinor } } edges { node { currency arrMinor } } } }`, nil)
			var data accRenewalsData
			if err := json.Unmarshal(res.Data, &data); err != nil {
				t.Fatal(err)
			}
			c := data.RenewalCalendar
			if c.TotalCount == 0 || len(c.Edges) == 0 || len(c.ByMonth) == 0 || c.ByMonth[0].Contracts == 0 {
				t.Fatalf("report missing: %s", res.Raw)
			}
			if tc.allow {
				if len(res.Errors) > 0 || c.Edges[0].Node.ArrMinor == nil || c.ByMonth[0].Arr == nil {
					t.Fatalf("allowed, got %s", res.Raw)
				}
				return
			}
			if len(res.Errors) != len(c.Edges)+len(c.ByMonth) {
				t.Fatalf("%d errors, want one per renewal and month: %s", len(res.Errors), res.Raw)
			}
			for _, e := range res.Errors {
				last := e.Path[len(e.Path)-1]
				if e.Code() != "FORBIDDEN" || (last != "arrMinor" && last != "arr") {
					t.Fatalf("error %+v", e)
				}
			}
			for _, e := range c.Edges {
				if e.Node.ArrMinor != nil || e.Node.Currency == "" {
					t.Fatalf("denied, got %s", res.Raw)
				}
			}
			for _, m := range c.ByMonth {
				if m.Arr != nil {
					t.Fatalf("denied, got %s", res.Raw)
				}
			}
		})
	}
}

// accAPIStatements: a report request runs a fixed number of SQL statements
// whatever the page size, and only for the parts selected; arguments out of
// range are BAD_USER_INPUT.
func accAPIStatements(t *testing.T, db *store.DB, srv *apitest.Server) {
	for _, tc := range []struct {
		name, query string
		vars        func(first int) map[string]any
		// spread is how much the count may vary: the hygiene page
		// reads one kind after the other until it is full, one
		// statement per kind (4 kinds).
		spread int64
	}{
		{"renewalCalendar", accRenewalsQuery, func(n int) map[string]any { return map[string]any{"days": 3660, "first": n} }, 0},
		{"renewalHygiene", accHygieneQuery, func(n int) map[string]any { return map[string]any{"first": n} }, 3},
		{"dataQuality", accDataQualityQuery, func(n int) map[string]any { return map[string]any{"days": n} }, 0},
	} {
		for _, token := range []string{srv.Token("admin@opsgraph.example", viewer.RoleAdmin), srv.Token("csm1@opsgraph.example", viewer.RoleCSM)} {
			lo, hi := int64(1<<62), int64(0)
			for _, n := range []int{1, 5, 50, 100} {
				db.Counter.Reset()
				var data map[string]any
				srv.PostAs(token, tc.query, tc.vars(n)).MustData(t, &data)
				c := db.Counter.Count()
				lo, hi = min(lo, c), max(hi, c)
			}
			if hi-lo > tc.spread {
				t.Fatalf("%s: %d to %d statements per request, depending on the page size", tc.name, lo, hi)
			}
			t.Logf("%s: %d to %d statements per request", tc.name, lo, hi)
		}
	}

	// Only what is selected is computed: one aggregate each.
	admin := srv.Token("admin@opsgraph.example", viewer.RoleAdmin)
	for _, q := range []string{
		`{ renewalCalendar(withinDays: 365) { totalCount withinDays } }`,
		`{ renewalCalendar(withinDays: 365) { byMonth { month contracts arr { currency amountMinor } } } }`,
		`{ renewalHygiene(kinds: [MISSING_RENEWAL_OWNER]) { totalCount countsByKind { kind count } } }`,
		`{ renewalHygiene { completeness { total complete rate } } }`,
		`{ dataQuality { staleOnboardingCount } }`,
		`{ dataQuality { duplicateGroupCount duplicateGroups { reason key } } }`,
	} {
		want := int64(1)
		if strings.Contains(q, "duplicateGroups") {
			want = 2 // one per reason
		}
		db.Counter.Reset()
		var data map[string]any
		srv.PostAs(admin, q, nil).MustData(t, &data)
		if n := db.Counter.Count(); n != want {
			t.Fatalf("%s: %d statements, want %d", q, n, want)
		}
	}

	for _, q := range []string{
		`{ renewalCalendar(withinDays: 0) { totalCount } }`,
		`{ renewalCalendar(withinDays: 3661) { totalCount } }`,
		`{ renewalHygiene(withinDays: -1) { totalCount } }`,
		`{ dataQuality(onboardingStaleDays: 3661) { staleOnboardingCount } }`,
	} {
		res := srv.Post(q, nil)
		if len(res.Errors) != 1 || res.Errors[0].Code() != "BAD_USER_INPUT" || len(res.Errors[0].Path) != 1 {
			t.Fatalf("%s: %s", q, res.Raw)
		}
	}
}
