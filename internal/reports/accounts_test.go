package reports_test

// Test helpers of the account reports (renewals, renewal hygiene, data
// quality): the demo data, small hand-built fixtures, and the rows every
// oracle computes its expectations from, loaded in plain Go.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/healthscore"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/ent/user"
	"github.com/opsgraph/opsgraph/internal/health"
	"github.com/opsgraph/opsgraph/internal/reports"
	"github.com/opsgraph/opsgraph/internal/seed"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/sla"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// accNow is the clock of the account report tests (and the seed's now).
var accNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

const accDay = 24 * time.Hour

func accSys() context.Context { return viewer.System(context.Background(), "test") }

// accAs is a context of a viewer with the given subject and roles.
func accAs(subject string, roles ...string) context.Context {
	return viewer.NewContext(context.Background(), &viewer.Viewer{Subject: subject, Roles: roles})
}

func accService(db *store.DB, now time.Time) *reports.Service {
	return reports.New(db.Client, func() time.Time { return now }, sla.DefaultPolicy(), health.DefaultModel())
}

// The package's tests copy seeded template databases (testdb.Seeded),
// dropped when they end.
func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// accData is every row the account reports read, loaded as the system.
type accData struct {
	accounts     map[int]*ent.Account
	contracts    []*ent.Contract // by id
	entitlements []*ent.Entitlement
	bands        map[int]healthscore.Band // latest score's band per account
}

func loadAccData(t *testing.T, c *ent.Client) *accData {
	t.Helper()
	ctx := accSys()
	d := &accData{accounts: map[int]*ent.Account{}, bands: map[int]healthscore.Band{}}
	for _, a := range c.Account.Query().AllX(ctx) {
		d.accounts[a.ID] = a
	}
	d.contracts = c.Contract.Query().Order(ent.Asc(contract.FieldID)).AllX(ctx)
	d.entitlements = c.Entitlement.Query().AllX(ctx)
	for _, h := range c.HealthScore.Query().AllX(ctx) {
		if a := d.accounts[h.AccountID]; a != nil && a.HealthScoreID != nil && *a.HealthScoreID == h.ID {
			d.bands[a.ID] = h.Band
		}
	}
	return d
}

// book returns the ids of the accounts owned by uid and their descendants.
func (d *accData) book(uid int) map[int]bool {
	in := map[int]bool{}
	for changed := true; changed; {
		changed = false
		for _, a := range d.accounts {
			if !in[a.ID] && (a.OwnerID == uid || (a.ParentID != 0 && in[a.ParentID])) {
				in[a.ID], changed = true, true
			}
		}
	}
	return in
}

// restrict returns the rows of the accounts in book.
func (d *accData) restrict(book map[int]bool) *accData {
	r := &accData{accounts: map[int]*ent.Account{}, bands: map[int]healthscore.Band{}}
	for id, a := range d.accounts {
		if book[id] {
			r.accounts[id] = a
			if b, ok := d.bands[id]; ok {
				r.bands[id] = b
			}
		}
	}
	for _, k := range d.contracts {
		if book[k.AccountID] {
			r.contracts = append(r.contracts, k)
		}
	}
	for _, e := range d.entitlements {
		if book[e.AccountID] {
			r.entitlements = append(r.entitlements, e)
		}
	}
	return r
}

// accCSM returns a CSM of the demo data with a non-empty book, its
// viewer context and the book.
func accCSM(t *testing.T, c *ent.Client, d *accData) (context.Context, map[int]bool) {
	t.Helper()
	email := seed.CSMEmail(1)
	u, err := c.User.Query().Where(user.Email(email)).Only(accSys())
	if err != nil {
		t.Fatalf("CSM %s: %v", email, err)
	}
	b := d.book(u.ID)
	if len(b) == 0 || len(b) == len(d.accounts) {
		t.Fatalf("CSM %s: book of %d accounts of %d", email, len(b), len(d.accounts))
	}
	return accAs(email, viewer.RoleCSM), b
}

// The account reports of the demo data equal their oracles', for several
// arguments, as an ADMIN and as a CSM (their book only); the data is seeded
// once per database.
func TestAccountReportsOracle(t *testing.T) {
	seedtest.EachDemo(t, accNow, func(t *testing.T, db *store.DB) {
		d := loadAccData(t, db.Client)
		t.Run("renewalCalendar", func(t *testing.T) { oracleRenewalCalendar(t, db, d) })
		t.Run("renewalHygiene", func(t *testing.T) { oracleRenewalHygiene(t, db, d) })
		t.Run("dataQuality", func(t *testing.T) { oracleDataQuality(t, db, d) })
	})
}

// accFixture builds small data sets by hand.
type accFixture struct {
	t   *testing.T
	c   *ent.Client
	ctx context.Context
	n   int
}

func newAccFixture(t *testing.T, db *store.DB) *accFixture {
	return &accFixture{t: t, c: db.Client, ctx: accSys()}
}

func (f *accFixture) next() int { f.n++; return f.n }

func (f *accFixture) user(roles ...string) *ent.User {
	f.t.Helper()
	n := f.next()
	return f.c.User.Create().SetEmail(fmt.Sprintf("u%d@example.com", n)).SetName(fmt.Sprintf("User %d", n)).
		SetRoles(roles).SaveX(f.ctx)
}

// account creates an account; set customises it.
func (f *accFixture) account(name string, owner *ent.User, set ...func(*ent.AccountCreate)) *ent.Account {
	f.t.Helper()
	q := f.c.Account.Create().SetName(name).SetSegment(account.SegmentSMB).SetRegion(schematype.RegionNA).
		SetLifecycleStage(account.LifecycleStageADOPTION).SetLifecycleStageChangedAt(accNow.Add(-400 * accDay))
	if owner != nil {
		q.SetOwner(owner)
	}
	for _, s := range set {
		s(q)
	}
	return q.SaveX(f.ctx)
}

// contract creates an ACTIVE contract of a ending at end; set customises it.
func (f *accFixture) contract(a *ent.Account, end time.Time, set ...func(*ent.ContractCreate)) *ent.Contract {
	f.t.Helper()
	q := f.c.Contract.Create().SetNumber(fmt.Sprintf("K-%04d", f.next())).SetAccount(a).SetStatus(contract.StatusACTIVE).
		SetStartDate(end.AddDate(-1, 0, 0)).SetEndDate(end).SetArrMinor(int64(100000 * f.n)).SetCurrency("USD")
	for _, s := range set {
		s(q)
	}
	return q.SaveX(f.ctx)
}

// score gives a its latest health score.
func (f *accFixture) score(a *ent.Account, band healthscore.Band) {
	f.t.Helper()
	h := f.c.HealthScore.Create().SetAccount(a).SetScore(50).SetBand(band).SetCoverage(1).SetModelVersion(1).
		SetComputedAt(accNow.Add(-accDay)).SaveX(f.ctx)
	f.c.Account.UpdateOne(a).SetHealth(h).ExecX(f.ctx)
}

func accPtr[T any](v T) *T { return &v }

// accWantBadInput fails unless err is a BAD_USER_INPUT GraphQL error.
func accWantBadInput(t *testing.T, err error) {
	t.Helper()
	var g *gqlerror.Error
	if !errors.As(err, &g) || g.Extensions["code"] != "BAD_USER_INPUT" {
		t.Fatalf("got %v, want a BAD_USER_INPUT error", err)
	}
}

// accPage reads the edges and page information of a report connection.
func accPage[E any](t *testing.T, ctx context.Context, c interface {
	Edges(context.Context) ([]E, error)
	PageInfo(context.Context) (reports.PageInfo, error)
}) ([]E, reports.PageInfo) {
	t.Helper()
	edges, err := c.Edges(ctx)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.PageInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return edges, info
}

// accSameInts fails unless got and want are equal.
func accSameInts(t *testing.T, what string, got, want []int) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s:\n got %v\nwant %v", what, got, want)
	}
}
