package reports_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/reports"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// The documented normalisation, written again here, word by word.

// dqLegal are the legal suffixes of docs/reports/accounts.md.
var dqLegal = strings.Fields(`inc incorporated corp corporation co company llc llp lp ltd limited plc pty
	gmbh ag kg sa sas sarl sl srl spa bv nv ab oy as`)

// dqLower lower-cases as the database's lower() does: every letter on
// PostgreSQL (a UTF-8 database), ASCII letters only on SQLite.
func dqLower(s, dia string) string {
	if dia == dialect.Postgres {
		return strings.ToLower(s)
	}
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// dqName normalises an account name: lower case; . ' ’ deleted; the
// other punctuation, tabs and line breaks separate words; words separated
// by single spaces; up to three trailing legal suffixes dropped, the first
// word always kept.
func dqName(name, dia string) string {
	var b strings.Builder
	for _, r := range dqLower(name, dia) {
		switch {
		case r == '.' || r == '\'' || r == '’':
		case strings.ContainsRune(",;:!?&+/\\()[]{}\"*#$%@|_~^=<>-–—\t\n\r", r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	var words []string
	for _, w := range strings.Split(b.String(), " ") {
		if w != "" {
			words = append(words, w)
		}
	}
	for i := 0; i < 3 && len(words) > 1; i++ {
		last := words[len(words)-1]
		legal := false
		for _, l := range dqLegal {
			legal = legal || l == last
		}
		if !legal {
			break
		}
		words = words[:len(words)-1]
	}
	return strings.Join(words, " ")
}

// dqDomain normalises a domain: lower case, spaces trimmed, a leading
// "www." dropped.
func dqDomain(d, dia string) string {
	d = dqLower(strings.Trim(d, " "), dia)
	return strings.TrimPrefix(d, "www.")
}

type dqGroup struct {
	Reason string
	Key    string
	IDs    []int
}

// dqOracle computes the data quality report from the rows.
func dqOracle(d *accData, dia string, now time.Time, staleDays int) (fields []string, stale []string, staleCount int, groups []dqGroup, groupCount int) {
	set := func(s string) bool { return strings.Trim(s, " ") != "" }
	var n, owner, domain, industry, email int
	for _, a := range d.accounts {
		n++
		owner += b2i(a.OwnerID != 0)
		domain += b2i(set(a.Domain))
		industry += b2i(set(a.Industry))
		email += b2i(set(a.BillingContactEmail))
	}
	var kn, date, rowner int
	for _, k := range d.contracts {
		if k.Status == "ACTIVE" {
			kn++
			date += b2i(k.RenewalDate != nil)
			rowner += b2i(k.RenewalOwnerID != nil)
		}
	}
	var en, usage int
	for _, e := range d.entitlements {
		if e.Status == entitlement.StatusACTIVE && (e.Kind == schematype.EntitlementKindMetered || e.Kind == schematype.EntitlementKindQuantity) {
			en++
			usage += b2i(e.UsageUpdatedAt != nil)
		}
	}
	f := func(entity, field, scope string, complete, total int) string {
		return fmt.Sprintf("%s.%s (%s): %d/%d", entity, field, scope, complete, total)
	}
	fields = []string{
		f("Account", "owner", "all accounts", owner, n),
		f("Account", "domain", "all accounts", domain, n),
		f("Account", "industry", "all accounts", industry, n),
		f("Account", "billingContactEmail", "all accounts", email, n),
		f("Contract", "renewalDate", "ACTIVE contracts", date, kn),
		f("Contract", "renewalOwner", "ACTIVE contracts", rowner, kn),
		f("Entitlement", "usageUpdatedAt", "ACTIVE METERED and QUANTITY entitlements", usage, en),
	}

	var onboarding []*ent.Account
	cut := now.Add(-time.Duration(staleDays) * accDay)
	for _, a := range d.accounts {
		if a.LifecycleStage == account.LifecycleStageONBOARDING && !a.LifecycleStageChangedAt.After(cut) {
			onboarding = append(onboarding, a)
		}
	}
	sort.Slice(onboarding, func(i, j int) bool {
		x, y := onboarding[i], onboarding[j]
		if !x.LifecycleStageChangedAt.Equal(y.LifecycleStageChangedAt) {
			return x.LifecycleStageChangedAt.Before(y.LifecycleStageChangedAt)
		}
		return x.ID < y.ID
	})
	staleCount = len(onboarding)
	for i, a := range onboarding {
		if i == 100 {
			break
		}
		stale = append(stale, fmt.Sprintf("%d since %s, %d days", a.ID, a.LifecycleStageChangedAt.UTC().Format(time.RFC3339Nano),
			int(now.Sub(a.LifecycleStageChangedAt).Hours())/24))
	}

	for _, reason := range []string{"DOMAIN", "NAME"} {
		by := map[string][]int{}
		for _, a := range d.accounts {
			var k string
			if reason == "DOMAIN" {
				k = dqDomain(a.Domain, dia)
			} else {
				k = dqName(a.Name, dia)
			}
			if k != "" {
				by[k] = append(by[k], a.ID)
			}
		}
		for k, ids := range by {
			if len(ids) > 1 {
				sort.Ints(ids)
				groups = append(groups, dqGroup{reason, k, ids})
			}
		}
	}
	sort.Slice(groups, func(i, j int) bool {
		x, y := groups[i], groups[j]
		if len(x.IDs) != len(y.IDs) {
			return len(x.IDs) > len(y.IDs)
		}
		if x.Key != y.Key {
			return x.Key < y.Key
		}
		return x.Reason < y.Reason // DOMAIN before NAME
	})
	groupCount = len(groups)
	if len(groups) > 100 {
		groups = groups[:100]
	}
	return fields, stale, staleCount, groups, groupCount
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkDataQuality compares every part of the report with the oracle and
// returns the report's duplicate groups.
func checkDataQuality(t *testing.T, ctx context.Context, s *reports.Service, d *accData, dia string, now time.Time, staleDays int) []dqGroup {
	t.Helper()
	wantFields, wantStale, wantStaleCount, wantGroups, wantGroupCount := dqOracle(d, dia, now, staleDays)
	r, err := s.DataQuality(ctx, &staleDays)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := r.Fields(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, f := range fs {
		c := f.Completeness
		if (c.Rate == nil) != (c.Total == 0) || (c.Rate != nil && *c.Rate != float64(c.Complete)/float64(c.Total)) {
			t.Fatalf("%s.%s: rate of %+v", f.Entity, f.Field, c)
		}
		fields = append(fields, fmt.Sprintf("%s.%s (%s): %d/%d", f.Entity, f.Field, f.Scope, c.Complete, c.Total))
	}
	if g, w := strings.Join(fields, "\n"), strings.Join(wantFields, "\n"); g != w {
		t.Fatalf("fields:\n got %s\nwant %s", g, w)
	}
	st, err := r.StaleOnboarding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var stale []string
	for _, so := range st {
		stale = append(stale, fmt.Sprintf("%d since %s, %d days", so.Account.ID, so.Since.Format(time.RFC3339Nano), so.Days))
	}
	if g, w := strings.Join(stale, "\n"), strings.Join(wantStale, "\n"); g != w {
		t.Fatalf("staleOnboarding (%d days):\n got %s\nwant %s", staleDays, g, w)
	}
	if n, err := r.StaleOnboardingCount(ctx); err != nil || n != wantStaleCount {
		t.Fatalf("staleOnboardingCount %d (%v), want %d", n, err, wantStaleCount)
	}
	gs, err := r.DuplicateGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var groups []dqGroup
	for _, g := range gs {
		accounts, err := g.Accounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int
		for _, a := range accounts {
			ids = append(ids, a.ID)
		}
		groups = append(groups, dqGroup{string(g.Reason), g.Key, ids})
	}
	if g, w := fmt.Sprint(groups), fmt.Sprint(wantGroups); g != w {
		t.Fatalf("duplicateGroups:\n got %s\nwant %s", g, w)
	}
	if n, err := r.DuplicateGroupCount(ctx); err != nil || n != wantGroupCount {
		t.Fatalf("duplicateGroupCount %d (%v), want %d", n, err, wantGroupCount)
	}
	return groups
}

// The data quality report of the demo data equals the oracle's, as an
// ADMIN and as a CSM (their book only).
func oracleDataQuality(t *testing.T, db *store.DB, d *accData) {
	s := accService(db, accNow)
	admin := accAs("admin@example.com", viewer.RoleAdmin)
	for _, days := range []int{0, 30, 90, 3660} {
		checkDataQuality(t, admin, s, d, db.Dialect, accNow, days)
	}
	groups := checkDataQuality(t, admin, s, d, db.Dialect, accNow, 90)
	reasons := map[string]bool{}
	for _, g := range groups {
		reasons[g.Reason] = true
	}
	if !reasons["DOMAIN"] || !reasons["NAME"] {
		t.Errorf("the demo data has duplicate groups of reasons %v, want both", reasons)
	}
	if _, stale, _, _, _ := dqOracle(d, db.Dialect, accNow, 90); len(stale) == 0 {
		t.Error("the demo data has no account stale in onboarding")
	}
	csm, book := accCSM(t, db.Client, d)
	checkDataQuality(t, csm, s, d.restrict(book), db.Dialect, accNow, 90)
	checkDataQuality(t, csm, s, d.restrict(book), db.Dialect, accNow, 0)
}

// Normalisation cases, empty values, stale boundaries and ties, and the
// caps of 100, on hand-built rows.
func TestDataQualityEdges(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newAccFixture(t, db)
		admin := accAs("admin@example.com", viewer.RoleAdmin)
		s := accService(db, accNow)

		// No rows at all: totals 0, rates null, nothing listed.
		r, err := s.DataQuality(admin, nil)
		if err != nil {
			t.Fatal(err)
		}
		fs, err := r.Fields(admin)
		if err != nil || len(fs) != 7 {
			t.Fatalf("fields of nothing: %v %v", fs, err)
		}
		for _, fc := range fs {
			if fc.Completeness.Total != 0 || fc.Completeness.Rate != nil {
				t.Fatalf("%s.%s of nothing: %+v", fc.Entity, fc.Field, fc.Completeness)
			}
		}
		checkDataQuality(t, admin, s, loadAccData(t, db.Client), db.Dialect, accNow, 90)

		owner := f.user(viewer.RoleCSM)
		domain := func(d string) func(*ent.AccountCreate) {
			return func(q *ent.AccountCreate) { q.SetDomain(d) }
		}
		onboarding := func(since time.Time) func(*ent.AccountCreate) {
			return func(q *ent.AccountCreate) {
				q.SetLifecycleStage(account.LifecycleStageONBOARDING).SetLifecycleStageChangedAt(since)
			}
		}
		named := map[string]*ent.Account{}
		for _, n := range []struct {
			name string
			set  []func(*ent.AccountCreate)
		}{
			{"Acme Inc.", []func(*ent.AccountCreate){domain("acme.com")}},
			{"ACME, Inc", []func(*ent.AccountCreate){domain("WWW.Acme.com ")}},
			{"A.C.M.E. GmbH", []func(*ent.AccountCreate){domain(" www.acme.com")}},
			{"Acme Co., Ltd.", []func(*ent.AccountCreate){domain("acme.co")}},
			{"acme\tco ltd inc", nil},         // three suffixes
			{"Acme Holdings Co Ltd Inc", nil}, // three suffixes after a word
			{"Acme Co Co Ltd Inc", nil},       // four: one stays
			{"Inc", []func(*ent.AccountCreate){domain("")}},
			{"Inc.", []func(*ent.AccountCreate){domain("   ")}},
			{"Co Inc", []func(*ent.AccountCreate){domain("www.")}},
			{"Müller-Lüdenscheidt GmbH", []func(*ent.AccountCreate){domain("www.www.example.org")}},
			{"Müller Lüdenscheidt", []func(*ent.AccountCreate){domain("WWW.example.org")}},
			{"MÜLLER LÜDENSCHEIDT", nil}, // lower() of PostgreSQL only
			{"O'Brien & Sons (Europe) — Ltd", []func(*ent.AccountCreate){domain("example.org")}},
			{"OBrien Sons Europe", nil},
			{"Zinc", nil},
			{"Z Inc", nil},
		} {
			named[n.name] = f.account(n.name, nil, n.set...)
		}
		// Stale onboarding at 90 days: exactly 90 days (stale), 90 days less
		// a microsecond (not), two ties, older ones.
		exactly := f.account("Exactly", owner, onboarding(accNow.Add(-90*accDay)))
		f.account("Fresh", owner, onboarding(accNow.Add(-90*accDay+time.Microsecond)))
		tie1 := f.account("Tie one", owner, onboarding(accNow.Add(-200*accDay)))
		tie2 := f.account("Tie two", owner, onboarding(accNow.Add(-200*accDay)))
		oldest := f.account("Oldest", owner, onboarding(accNow.Add(-900*accDay-time.Hour)))
		f.account("Adopting", owner, func(q *ent.AccountCreate) { q.SetLifecycleStageChangedAt(accNow.Add(-900 * accDay)) })
		// Text fields: empty and blank are missing.
		f.account("Industrial", owner, func(q *ent.AccountCreate) {
			q.SetIndustry("Manufacturing").SetBillingContactEmail("billing@example.com")
		})
		f.account("Blank industry", owner, func(q *ent.AccountCreate) { q.SetIndustry("  ").SetBillingContactEmail("") })
		// Contracts and entitlements in and out of scope.
		k := f.contract(named["Zinc"], accNow.AddDate(1, 0, 0), func(q *ent.ContractCreate) { q.SetRenewalDate(accNow) })
		f.contract(named["Zinc"], accNow.AddDate(1, 0, 0), func(q *ent.ContractCreate) { q.SetRenewalOwner(owner) })
		f.contract(named["Zinc"], accNow.AddDate(-1, 0, 0), func(q *ent.ContractCreate) { q.SetStatus("EXPIRED") })
		product := f.c.Product.Create().SetSku("P-1").SetName("P").SetFeatureKey("p").SetEntitlementKind("METERED").SaveX(f.ctx)
		entitle := func(kind schematype.EntitlementKind, status entitlement.Status, usage bool) {
			q := f.c.Entitlement.Create().SetAccount(named["Zinc"]).SetContract(k).SetProduct(product).SetKind(kind).
				SetStatus(status).SetActiveFrom(accNow.AddDate(-1, 0, 0))
			if kind != schematype.EntitlementKindBoolean {
				q.SetLimit(10)
			}
			if usage {
				q.SetUsageUpdatedAt(accNow)
			}
			q.SaveX(f.ctx)
		}
		entitle(schematype.EntitlementKindMetered, entitlement.StatusACTIVE, true)
		entitle(schematype.EntitlementKindQuantity, entitlement.StatusACTIVE, false)
		entitle(schematype.EntitlementKindBoolean, entitlement.StatusACTIVE, false)
		entitle(schematype.EntitlementKindMetered, entitlement.StatusSUSPENDED, false)

		d := loadAccData(t, db.Client)
		groups := checkDataQuality(t, admin, s, d, db.Dialect, accNow, 90)
		// The groups, spelled out.
		id := func(names ...string) []int {
			var ids []int
			for _, n := range names {
				ids = append(ids, named[n].ID)
			}
			sort.Ints(ids)
			return ids
		}
		want := []dqGroup{
			{"NAME", "acme", id("Acme Inc.", "ACME, Inc", "A.C.M.E. GmbH", "Acme Co., Ltd.", "acme\tco ltd inc")},
			{"DOMAIN", "acme.com", id("Acme Inc.", "ACME, Inc", "A.C.M.E. GmbH")},
			{"DOMAIN", "example.org", id("Müller Lüdenscheidt", "O'Brien & Sons (Europe) — Ltd")},
			{"NAME", "inc", id("Inc", "Inc.")},
			{"NAME", "müller lüdenscheidt", id("Müller-Lüdenscheidt GmbH", "Müller Lüdenscheidt")},
			{"NAME", "obrien sons europe", id("O'Brien & Sons (Europe) — Ltd", "OBrien Sons Europe")},
		}
		if db.Dialect == dialect.Postgres {
			// Three accounts: the group moves up.
			want[2], want[3], want[4] = dqGroup{"NAME", "müller lüdenscheidt",
				id("Müller-Lüdenscheidt GmbH", "Müller Lüdenscheidt", "MÜLLER LÜDENSCHEIDT")}, want[2], want[3]
		}
		if fmt.Sprint(groups) != fmt.Sprint(want) {
			t.Fatalf("groups:\n got %v\nwant %v", groups, want)
		}
		r, err = s.DataQuality(admin, nil)
		if err != nil {
			t.Fatal(err)
		}
		st, err := r.StaleOnboarding(admin)
		if err != nil {
			t.Fatal(err)
		}
		var ids, days []int
		for _, so := range st {
			ids, days = append(ids, so.Account.ID), append(days, so.Days)
		}
		accSameInts(t, "stale onboarding", ids, []int{oldest.ID, tie1.ID, tie2.ID, exactly.ID})
		accSameInts(t, "stale days", days, []int{900, 200, 200, 90})
		checkDataQuality(t, admin, s, d, db.Dialect, accNow, 0)
		checkDataQuality(t, admin, s, d, db.Dialect, accNow, 200)

		// The caps: 100 stale accounts and 100 groups are listed, all counted.
		var creates []*ent.AccountCreate
		for i := range 130 {
			name := fmt.Sprintf("Dup %03d", i/2)
			creates = append(creates, f.c.Account.Create().SetName(name).SetSegment(account.SegmentSMB).
				SetRegion(schematype.RegionNA).SetDomain(fmt.Sprintf("d%03d.example", i/2)).
				SetLifecycleStage(account.LifecycleStageONBOARDING).SetLifecycleStageChangedAt(accNow.Add(-time.Duration(100+i)*accDay)))
		}
		f.c.Account.CreateBulk(creates...).SaveX(f.ctx)
		d = loadAccData(t, db.Client)
		checkDataQuality(t, admin, s, d, db.Dialect, accNow, 90)
		r, _ = s.DataQuality(admin, nil)
		if n, _ := r.StaleOnboardingCount(admin); n != 134 {
			t.Fatalf("stale onboarding count %d, want 134", n)
		}
		if n, _ := r.DuplicateGroupCount(admin); n != 6+130 {
			t.Fatalf("duplicate group count %d, want %d", n, 6+130)
		}

		for _, days := range []int{-1, 3661} {
			_, err := s.DataQuality(admin, accPtr(days))
			accWantBadInput(t, err)
		}
	})
}

// The stored duplicate keys (accounts.name_key, domain_key) are written by
// the database on every insert and on every update of the name or domain,
// whichever way the row is written: one create, a bulk create, updates of
// one account and of many, a cleared domain.
func TestDataQualityKeysFollowWrites(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newAccFixture(t, db)
		check := func(what string, id int) {
			t.Helper()
			a := f.c.Account.GetX(f.ctx, id)
			var wantDomain *string // null when the domain is (a.Domain is "" then)
			if f.c.Account.Query().Where(account.ID(id), account.DomainNotNil()).ExistX(f.ctx) {
				wantDomain = accPtr(dqDomain(a.Domain, db.Dialect))
			}
			if a.NameKey == nil || *a.NameKey != dqName(a.Name, db.Dialect) {
				t.Errorf("%s: name %q has name_key %v, want %q", what, a.Name, deref(a.NameKey), dqName(a.Name, db.Dialect))
			}
			if fmt.Sprint(deref(a.DomainKey)) != fmt.Sprint(deref(wantDomain)) {
				t.Errorf("%s: domain %q has domain_key %v, want %v", what, a.Domain, deref(a.DomainKey), deref(wantDomain))
			}
		}
		a := f.account("Acme, Inc.", nil, func(q *ent.AccountCreate) { q.SetDomain(" WWW.Acme.com") })
		check("created", a.ID)
		if *f.c.Account.GetX(f.ctx, a.ID).NameKey != "acme" {
			t.Fatal("the key of Acme, Inc. is not acme")
		}
		b := f.account("No Domain GmbH", nil)
		check("created without a domain", b.ID)
		bulk := f.c.Account.CreateBulk(
			f.c.Account.Create().SetName("MÜLLER—Lüdenscheidt AG").SetSegment(account.SegmentSMB).SetRegion(schematype.RegionNA).SetDomain("www.example.org"),
			f.c.Account.Create().SetName("O'Brien\tSons").SetSegment(account.SegmentSMB).SetRegion(schematype.RegionNA),
		).SaveX(f.ctx)
		for _, x := range bulk {
			check("bulk created", x.ID)
		}

		f.c.Account.UpdateOneID(a.ID).SetName("Globex Corporation Ltd").SetDomain("globex.io").ExecX(f.ctx)
		check("name and domain updated", a.ID)
		f.c.Account.UpdateOneID(a.ID).SetName("Initech LLC").ExecX(f.ctx)
		check("name updated", a.ID)
		f.c.Account.UpdateOneID(a.ID).SetDomain("WWW.Initech.COM ").ExecX(f.ctx)
		check("domain updated", a.ID)
		f.c.Account.UpdateOneID(a.ID).ClearDomain().ExecX(f.ctx)
		check("domain cleared", a.ID)
		if f.c.Account.GetX(f.ctx, a.ID).DomainKey != nil {
			t.Error("a cleared domain keeps a domain key")
		}
		f.c.Account.UpdateOneID(a.ID).SetIndustry("Software").ExecX(f.ctx)
		check("another field updated", a.ID)
		f.c.Account.UpdateOneID(b.ID).SetDomain("").ExecX(f.ctx)
		check("domain set empty", b.ID)
		f.c.Account.Update().Where(account.IDIn(bulk[0].ID, bulk[1].ID)).SetName("Hooli S.A.").SetDomain("hooli.xyz").ExecX(f.ctx)
		for _, x := range bulk {
			check("updated together", x.ID)
		}
	})
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
