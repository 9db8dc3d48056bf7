package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// The generator plans the data: plain rows that refer to each other by index
// (users and products by their index in generator.users / catalog,
// everything else by its index in the chunk being generated), each with the
// times of the business actions that made it. It never looks at database
// ids, so what it plans depends only on the options. Every random draw comes
// from one PCG stream consumed in a fixed order.
//
// The plan obeys the business rules: the generator keeps, per account, the
// entitlements its orders produce and checks every order line against them
// with the same rules as the order service (see rules.go), so that replaying
// the plan through the domain services (Demo, replay.go) succeeds where the
// plan says it does and fails where the plan says it is rejected. Bulk writes
// the same plan's end state directly (insert.go).

const (
	day  = 24 * time.Hour
	week = 7 * day
	// chunkAccounts is how many accounts Bulk generates (and inserts) at a
	// time; it bounds memory. It is a constant and not BatchSize so that the
	// insertion order, and with it every id, does not depend on BatchSize.
	chunkAccounts = 2000
	// SystemActor is the subject the seed's own writes carry.
	SystemActor = "system:seed"
	// Actors of the seeded history: the systems that act on their own.
	crmActor       = "system:crm-sync"
	lifecycleActor = "system:contract-lifecycle"
	validatorActor = "system:order-validator"
	provisionActor = "system:provisioner"
	meteringActor  = "system:metering"
	healthActor    = "system:health-pipeline"
	legacyActor    = "system:legacy-import"
)

// none marks a missing reference in an index field.
const none = -1

type accountRow struct {
	parent                   int // chunk index, none for a root
	depth                    int
	name, domain, industry   string
	segment                  account.Segment
	region                   schematype.Region
	stage                    account.LifecycleStage
	stageAt                  time.Time // when the stage was set; the creation for ONBOARDING
	owner                    int       // user index or none
	crmID                    string
	billingName, billingMail string
	created                  time.Time

	// Generator-only.
	health float64 // latent health 0–1 that signals follow
	orders []int   // chunk indexes of the account's orders
	ents   []int   // chunk indexes of the account's entitlements
	segIdx int
	base   string // name without legal suffix, for children
}

type contractRow struct {
	account      int
	number       string
	status       contract.Status // now
	start, end   time.Time
	renewal      *time.Time
	renewalOwner int
	arr0, arr    int64 // ARR at signature; now (after item changes)
	currency     string
	autoRenew    bool
	// created is when the contract was entered (as DRAFT), signed when it
	// became ACTIVE (nil: still DRAFT), closed when it became EXPIRED or
	// TERMINATED; changed is the last change of its items' quantities.
	created time.Time
	signed  *time.Time
	closed  *time.Time
	changed *time.Time
	author  int // user index of who entered it

	items []int // chunk indexes of the items
}

// updated is the contract's last change.
func (k *contractRow) updated() time.Time {
	t := k.created
	for _, x := range []*time.Time{k.signed, k.closed, k.changed} {
		if x != nil && x.After(t) {
			t = *x
		}
	}
	return t
}

// activeAt reports whether orders under the contract pass validation at t:
// ACTIVE then and not past its end.
func (k *contractRow) activeAt(t time.Time) bool {
	return k.signed != nil && !t.Before(*k.signed) && (k.closed == nil || t.Before(*k.closed)) && k.end.After(t)
}

type itemRow struct {
	contract, product int
	qty0, qty         int64      // quantity at signature; now
	lowered           *time.Time // when qty was lowered below qty0
	tier              string
	price             int64
	created           time.Time

	want bool // generator-only: the provisioning order asks for it
}

// qtyAt is the contracted quantity at t.
func (it *itemRow) qtyAt(t time.Time) int64 {
	if it.lowered != nil && !t.Before(*it.lowered) {
		return it.qty
	}
	return it.qty0
}

// chunk is everything generated for a run of whole account families.
type chunk struct {
	// retiredAt is when the legacy product was retired.
	retiredAt time.Time
	accounts  []accountRow
	contracts []contractRow
	items     []itemRow
	orders    []orderRow
	lines     []lineRow
	ents      []entRow
	signals   []signalRow
	scores    []scoreRow
	requests  []requestRow
}

// profile holds what differs between the demo and the bulk dataset: only
// proportions, never shapes.
type profile struct {
	name            string
	defaultAccounts int
	itemsMin        int     // contract items per contract
	itemsMax        int     //
	wantActive      float64 // share of items of ACTIVE contracts the provisioning order asks for
	wantOther       float64 // share of items of EXPIRED/TERMINATED contracts it asked for
	provision       float64 // share of signed contracts with a provisioning order
	obsMin, obsMax  int     // observations per signal kind
}

var (
	demoProfile = profile{name: "demo", defaultAccounts: 200, itemsMin: 1, itemsMax: 5, wantActive: 0.8, wantOther: 0.5, provision: 0.75, obsMin: 2, obsMax: 4}
	bulkProfile = profile{name: "bulk", defaultAccounts: 100_000, itemsMin: 3, itemsMax: 8, wantActive: 1, wantOther: 0.9, provision: 1, obsMin: 3, obsMax: 6}
)

type rootRef struct{ name, domain string }

type generator struct {
	rng   *rand.Rand
	now   time.Time // truncated to the minute, UTC
	today time.Time // midnight UTC of now
	prof  profile
	total int // accounts to generate
	done  int // accounts generated so far
	// perChunk is the most accounts of one chunk (Bulk: chunkAccounts;
	// Demo: all of them, so that the replay sees every action at once).
	perChunk int

	users        []userRow
	csmsByRegion map[schematype.Region][]int
	csms         []int
	formerCSM    int
	creators     []int // users who place orders and enter contracts (CSMs, sales)
	sales        []int // users who enter contracts
	opsUsers     []int // users requests are assigned to
	managers     []int // users who grant overrides and suspend entitlements
	requesters   []int // users who raise requests
	finance      int

	// catalogAt is when the catalog was entered, retiredAt when the legacy
	// product was retired, formerLeft when the former CSM was deactivated.
	catalogAt, retiredAt, formerLeft time.Time
	// runs are the health pipeline's deliveries, oldest first; sweeps the
	// expiry sweep's runs, oldest first (see schedule).
	runs   []time.Time
	sweeps []time.Time

	nContract, nOrder, nRequest, nInvoice, nCRM, nRoot int
	usedNames, usedDomains                             map[string]bool
	recentRoots                                        []rootRef

	// coverage: the first orders and requests go through every value of
	// their enums so that even a tiny dataset shows all of them.
	orderCover   []schematype.OrderStatus
	requestCover int
	legacyCover  int
	formerOwns   bool // some account is owned by the former CSM
}

func newGenerator(seed int64, now time.Time, accounts int, prof profile) *generator {
	now = now.UTC().Truncate(time.Minute)
	g := &generator{
		rng:          rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15)),
		now:          now,
		today:        now.Truncate(day),
		prof:         prof,
		total:        accounts,
		perChunk:     chunkAccounts,
		csmsByRegion: map[schematype.Region][]int{},
		usedNames:    map[string]bool{},
		usedDomains:  map[string]bool{},
		orderCover:   slices.Clone(schematype.AllOrderStatuses),
	}
	g.catalogAt = g.today.AddDate(-6, 0, 0).Add(10 * time.Hour)
	g.retiredAt = g.today.AddDate(0, -8, 0).Add(11 * time.Hour)
	g.makeUsers()
	g.formerLeft = g.today.Add(-g.days(20, 60)).Add(17 * time.Hour)
	g.schedule()
	return g
}

// schedule sets the health pipeline's deliveries (weekly for the last three
// weeks and at now; the first one also brought the history before it) and
// the expiry sweep's runs (weekly, the last one lastSweep before now, so
// that entitlements whose window ended since still read ACTIVE in storage;
// see also sweptBefore).
func (g *generator) schedule() {
	for k := 3; k >= 0; k-- {
		g.runs = append(g.runs, g.now.Add(-time.Duration(k)*week))
	}
	last := g.today.Add(-lastSweep).Add(2 * time.Hour)
	for t := last; !t.Before(g.catalogAt); t = t.Add(-week) {
		g.sweeps = append(g.sweeps, t)
	}
	slices.Reverse(g.sweeps)
}

// lastSweep is how long before today the expiry sweep last ran.
const lastSweep = 21 * day

// ---- random helpers ----

func (g *generator) f() float64             { return g.rng.Float64() }
func (g *generator) chance(p float64) bool  { return g.rng.Float64() < p }
func (g *generator) intn(n int) int         { return g.rng.IntN(n) }
func (g *generator) between(lo, hi int) int { return lo + g.rng.IntN(hi-lo+1) }
func (g *generator) uniform(lo, hi float64) float64 {
	return lo + (hi-lo)*g.rng.Float64()
}

// dur returns a random duration in [lo, hi), whole seconds.
func (g *generator) dur(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return (lo + time.Duration(g.rng.Int64N(int64(hi-lo)))).Truncate(time.Second)
}

// days returns a random whole number of days in [lo, hi].
func (g *generator) days(lo, hi int) time.Duration { return time.Duration(g.between(lo, hi)) * day }

// weighted returns an index drawn with the given weights.
func (g *generator) weighted(w ...int) int {
	sum := 0
	for _, x := range w {
		sum += x
	}
	r := g.intn(sum)
	for i, x := range w {
		if r < x {
			return i
		}
		r -= x
	}
	return len(w) - 1
}

func pick[T any](g *generator, xs []T) T { return xs[g.intn(len(xs))] }

// logUniform returns an integer in [lo, hi] spread evenly on a log scale,
// rounded to a "nice" number.
func (g *generator) logUniform(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	v := math.Exp(math.Log(float64(lo)) + g.f()*(math.Log(float64(hi))-math.Log(float64(lo))))
	return niceRound(int64(math.Round(v)))
}

func niceRound(n int64) int64 {
	switch {
	case n >= 100_000:
		return n / 10_000 * 10_000
	case n >= 10_000:
		return n / 1000 * 1000
	case n >= 1000:
		return n / 100 * 100
	case n >= 200:
		return n / 10 * 10
	}
	return n
}

func clamp(v, lo, hi float64) float64 { return max(lo, min(hi, v)) }
func round1(v float64) float64        { return math.Round(v*10) / 10 }
func ptr[T any](v T) *T               { return &v }
func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// past clamps t to at most now.
func (g *generator) past(t time.Time) time.Time { return minTime(t, g.now) }

// within returns a random time in [lo, hi), whole seconds; lo when the
// interval is empty.
func (g *generator) within(lo, hi time.Time) time.Time {
	return lo.Add(g.dur(0, hi.Sub(lo))).Truncate(time.Second)
}

// ---- users ----

func (g *generator) makeUsers() {
	g.users = append(g.users, fixedUsers...)
	extra := max(0, (g.total+accountsPerCS-1)/accountsPerCS-minCSMs)
	for i := range extra {
		n := minCSMs + 1 + i
		name := firstNames[(i*7)%len(firstNames)] + " " + lastNames[(i*11+i/len(lastNames))%len(lastNames)]
		g.users = append(g.users, userRow{
			email: CSMEmail(n), name: name, team: "Customer Success",
			roles: []string{viewer.RoleCSM}, region: csmRegions[i%len(csmRegions)],
		})
	}
	for i := range g.users {
		u := &g.users[i]
		if u.email == "" {
			u.email = personEmail(u.name)
		}
		// Everyone joined before the catalog was entered, the admin first.
		u.created = g.catalogAt.Add(-g.days(30, 400)).Add(g.dur(8*time.Hour, 18*time.Hour))
		if i == 0 {
			u.created = g.catalogAt.Add(-500 * day)
		}
		switch {
		case u.inactive:
			g.formerCSM = i
		case u.has(viewer.RoleCSM):
			g.csms = append(g.csms, i)
			g.csmsByRegion[u.region] = append(g.csmsByRegion[u.region], i)
		}
		if !u.inactive && (u.has(viewer.RoleCSM) || u.has(viewer.RoleSales)) {
			g.creators = append(g.creators, i)
		}
		if u.has(viewer.RoleSales) {
			g.sales = append(g.sales, i)
		}
		if u.has(viewer.RoleOpsAnalyst) || u.has(viewer.RoleOpsManager) {
			g.opsUsers = append(g.opsUsers, i)
		}
		if u.has(viewer.RoleOpsManager) {
			g.managers = append(g.managers, i)
		}
		if !u.inactive && !u.has(viewer.RoleViewer) && !u.has(viewer.RoleAdmin) {
			g.requesters = append(g.requesters, i)
		}
		if u.email == FinanceEmail {
			g.finance = i
		}
	}
}

func (g *generator) email(u int) string { return g.users[u].email }

// ---- accounts ----

// chunk generates whole account families until about perChunk accounts
// (or the total) are reached.
func (g *generator) chunk() *chunk {
	c := &chunk{retiredAt: g.retiredAt}
	for g.done < g.total && len(c.accounts) < g.perChunk {
		g.family(c)
	}
	for ai := range c.accounts {
		if a := &c.accounts[ai]; a.stage == account.LifecycleStageONBOARDING {
			// Onboarding since the account was entered.
			a.stageAt = a.created
		}
	}
	if g.done == len(c.accounts) {
		g.sweptBefore(c)
	}
	return c
}

// sweptBefore makes sure the data shows entitlements past their window yet
// ACTIVE: when none of the first chunk's windows ended since the last sweep,
// the sweeps stop before the latest window that ended. (It only matters for
// small datasets; the first chunk is generated before anything is written.)
func (g *generator) sweptBefore(c *chunk) {
	last := g.sweeps[len(g.sweeps)-1]
	var latest time.Time
	for _, e := range c.ents {
		if e.trial || e.revoked != nil || e.suspended != nil || e.to.After(g.now) {
			continue
		}
		if e.to.After(last) {
			return // one already is
		}
		latest = maxTime(latest, *e.to)
	}
	for len(g.sweeps) > 1 && !g.sweeps[len(g.sweeps)-1].Before(latest) {
		g.sweeps = g.sweeps[:len(g.sweeps)-1]
	}
}

var (
	segments = []account.Segment{account.SegmentSMB, account.SegmentMID_MARKET, account.SegmentENTERPRISE}
	stages   = []account.LifecycleStage{
		account.LifecycleStageONBOARDING, account.LifecycleStageADOPTION, account.LifecycleStageGROWTH,
		account.LifecycleStageRENEWAL, account.LifecycleStageAT_RISK, account.LifecycleStageCHURNED,
	}
	stageHealth = map[account.LifecycleStage]float64{
		account.LifecycleStageONBOARDING: 0.6, account.LifecycleStageADOPTION: 0.62, account.LifecycleStageGROWTH: 0.8,
		account.LifecycleStageRENEWAL: 0.66, account.LifecycleStageAT_RISK: 0.3, account.LifecycleStageCHURNED: 0.18,
	}
	nameQualifiers = []string{"Global", "Digital", "International", "Group", "Holdings", "Partners", "Solutions", "Technologies", "Systems"}
)

func (g *generator) region() schematype.Region {
	return schematype.AllRegions[g.weighted(42, 32, 17, 9)]
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// family generates a root account and, sometimes, its children and
// grandchildren, with all their data.
func (g *generator) family(c *chunk) {
	big := g.chance(0.22)
	root := g.root(c, big)
	if !big {
		return
	}
	rootRegion := c.accounts[root].region
	used := map[string]bool{}
	for range g.between(1, 4) {
		if g.done >= g.total {
			return
		}
		region := rootRegion
		if g.chance(0.4) {
			region = g.region()
		}
		var where country
		for range 10 {
			where = pick(g, countries[region])
			if !used[where.code] {
				break
			}
		}
		if used[where.code] {
			continue
		}
		used[where.code] = true
		child := g.child(c, root, region, where)
		if g.chance(0.12) {
			for _, div := range g.divisions(g.between(1, 2)) {
				if g.done >= g.total {
					return
				}
				g.grandchild(c, child, div)
			}
		}
	}
}

func (g *generator) divisions(n int) []string {
	i := g.intn(len(divisions))
	out := []string{divisions[i]}
	if n > 1 {
		out = append(out, divisions[(i+1+g.intn(len(divisions)-1))%len(divisions)])
	}
	return out
}

func (g *generator) root(c *chunk, big bool) int {
	g.nRoot++
	region := g.region()
	ind := industries[g.intn(len(industries))]
	var base, dom string
	for try := 0; ; try++ {
		brand := pick(g, brandHeads) + pick(g, brandTails)
		word := pick(g, ind.words)
		base = brand + " " + word
		dom = slug(brand+word) + ".example"
		if try >= 6 {
			q := pick(g, nameQualifiers)
			base = brand + " " + q + " " + word
			dom = slug(brand) + "-" + slug(q) + "-" + slug(word) + ".example"
		}
		if !g.usedNames[strings.ToLower(base)] || try >= 30 {
			break
		}
	}
	name := base
	if g.chance(0.6) {
		name += " " + pick(g, legalSuffixes[region])
	}
	if !g.chance(0.9) {
		dom = ""
	}
	// A few deliberate duplicates for data-quality reports: an account whose
	// name repeats an earlier one, and one whose domain does.
	if len(g.recentRoots) > 0 {
		switch {
		case g.nRoot%67 == 30:
			name = pick(g, g.recentRoots).name
		case g.nRoot%71 == 50:
			if r := pick(g, g.recentRoots); r.domain != "" {
				dom = r.domain
			}
		}
	}
	g.usedNames[strings.ToLower(base)] = true
	if dom != "" && !g.usedDomains[dom] {
		g.usedDomains[dom] = true
	}
	if len(g.recentRoots) < 500 {
		g.recentRoots = append(g.recentRoots, rootRef{name, dom})
	} else {
		g.recentRoots[g.intn(500)] = rootRef{name, dom}
	}
	seg := segments[g.weighted(55, 30, 15)]
	if big {
		seg = segments[g.weighted(15, 40, 45)]
	}
	industry := ind.name
	if g.chance(0.05) {
		industry = ""
	}
	return g.account(c, accountRow{
		parent: none, name: name, base: base, domain: dom, industry: industry,
		segment: seg, region: region, owner: g.owner(region, none),
	})
}

func (g *generator) child(c *chunk, parent int, region schematype.Region, where country) int {
	p := c.accounts[parent]
	base := p.base + " " + where.name
	name := base
	if g.chance(0.5) {
		name += " " + where.suffix
	}
	dom := ""
	if p.domain != "" && g.chance(0.7) {
		dom = where.code + "." + p.domain
	}
	return g.account(c, accountRow{
		parent: parent, depth: 1, name: name, base: base, domain: dom, industry: p.industry,
		segment: g.childSegment(p.segment), region: region, owner: g.owner(region, p.owner),
	})
}

func (g *generator) grandchild(c *chunk, parent int, division string) int {
	p := c.accounts[parent]
	base := p.base + " " + division
	dom := ""
	if p.domain != "" && g.chance(0.3) {
		dom = slug(division) + "." + p.domain
	}
	return g.account(c, accountRow{
		parent: parent, depth: 2, name: base, base: base, domain: dom, industry: p.industry,
		segment: g.childSegment(p.segment), region: p.region, owner: g.owner(p.region, p.owner),
	})
}

func (g *generator) childSegment(s account.Segment) account.Segment {
	if g.chance(0.6) || s == account.SegmentSMB {
		return s
	}
	if s == account.SegmentENTERPRISE {
		return account.SegmentMID_MARKET
	}
	return account.SegmentSMB
}

// owner picks the CSM of an account: usually one of its region, the parent's
// for most children, a former (now inactive) CSM or nobody for a few.
func (g *generator) owner(region schematype.Region, parentOwner int) int {
	switch {
	case g.chance(0.04):
		return none
	case g.chance(0.015) || g.done == 12 && !g.formerOwns:
		// The thirteenth account at the latest, so that every dataset
		// shows the exception.
		g.formerOwns = true
		return g.formerCSM
	case parentOwner != none && g.chance(0.6):
		return parentOwner
	}
	if pool := g.csmsByRegion[region]; len(pool) > 0 && g.chance(0.9) {
		return pick(g, pool)
	}
	return pick(g, g.csms)
}

// account completes a with the fields every account gets, appends it with
// all its data and returns its index.
func (g *generator) account(c *chunk, a accountRow) int {
	g.done++
	for i, s := range segments {
		if s == a.segment {
			a.segIdx = i
		}
	}
	a.stage = stages[g.weighted(10, 20, 30, 15, 15, 10)]
	a.health = clamp(stageHealth[a.stage]+g.uniform(-0.18, 0.18), 0.03, 0.98)
	if g.chance(0.92) {
		g.nCRM++
		// Multiplying by an odd constant modulo 2^40 is a bijection, so the
		// ids are unique and look scrambled.
		a.crmID = fmt.Sprintf("0018a%010X", (uint64(g.nCRM)*0x9E3779B97F)&(1<<40-1))
	}
	first, last := pick(g, firstNames), pick(g, lastNames)
	switch {
	case a.domain != "" && g.chance(0.85):
		a.billingName = first + " " + last
		if g.chance(0.3) {
			a.billingMail = "accounts.payable@" + a.domain
		} else {
			a.billingMail = strings.ToLower(slug(first)+"."+slug(last)) + "@" + a.domain
		}
	case g.chance(0.3):
		a.billingName = first + " " + last
	}
	// Lifecycle: an account is entered when it is sold (ONBOARDING) and its
	// stage changes later; a quarter of the onboarding accounts have been
	// onboarding for more than 90 days.
	switch {
	case a.stage == account.LifecycleStageONBOARDING && g.chance(0.25):
		a.created = g.now.Add(-g.days(91, 240)).Add(-g.dur(0, day))
	case a.stage == account.LifecycleStageONBOARDING:
		a.created = g.now.Add(-g.days(2, 90)).Add(-g.dur(0, day))
	default:
		a.stageAt = g.now.Add(-g.days(7, 540)).Add(-g.dur(0, day)).Truncate(time.Second)
		a.created = a.stageAt.Add(-g.days(30, 720)).Add(-g.dur(0, day))
	}
	a.created = a.created.Truncate(time.Second)
	if a.owner == g.formerCSM {
		// Assigned while the former CSM was still with the company.
		a.created = minTime(a.created, g.formerLeft.Add(-g.days(10, 200)))
	}

	ai := len(c.accounts)
	c.accounts = append(c.accounts, a)
	g.contracts(c, ai)
	g.orders(c, ai)
	g.entitlementLife(c, ai)
	g.legacy(c, ai)
	g.signalsAndScores(c, ai)
	g.queue(c, ai)
	// A parent account was entered before its children.
	for p, t := c.accounts[ai].parent, c.accounts[ai].created; p != none; p = c.accounts[p].parent {
		t = t.Add(-g.days(1, 30))
		c.accounts[p].created = minTime(c.accounts[p].created, t)
		t = c.accounts[p].created
	}
	return ai
}

// ---- contracts ----

var currencyFX = map[string]float64{"USD": 1, "EUR": 0.92, "GBP": 0.79}

func (g *generator) currency(r schematype.Region) string {
	if r == schematype.RegionEMEA {
		return []string{"EUR", "GBP", "USD"}[g.weighted(6, 3, 1)]
	}
	return "USD"
}

func (g *generator) contracts(c *chunk, ai int) {
	a := &c.accounts[ai]
	n := g.between(1, 5)
	if g.chance(0.5) {
		n = 3 // centre the distribution on three contracts per account
	}
	if a.stage == account.LifecycleStageONBOARDING {
		n = g.between(1, 2)
	}
	cur := g.currency(a.region)
	for k := range n {
		var st contract.Status
		switch {
		case a.stage == account.LifecycleStageONBOARDING:
			// New customers: the first contract just started, maybe one
			// more in the works.
			st = []contract.Status{contract.StatusACTIVE, contract.StatusDRAFT}[min(k, 1)]
		case a.stage == account.LifecycleStageCHURNED:
			st = []contract.Status{contract.StatusEXPIRED, contract.StatusTERMINATED, contract.StatusACTIVE}[g.weighted(60, 30, 10)]
		case k == 0:
			st = contract.StatusACTIVE
		default:
			st = []contract.Status{contract.StatusACTIVE, contract.StatusEXPIRED, contract.StatusTERMINATED, contract.StatusDRAFT}[g.weighted(62, 20, 7, 11)]
		}
		g.contract(c, ai, st, cur)
	}
	// The account was entered before anything was signed.
	for _, ci := range c.accountContracts(ai) {
		a.created = minTime(a.created, c.contracts[ci].created.Add(-g.days(1, 30)).Add(-g.dur(0, 6*time.Hour)))
	}
}

// accountContracts returns the chunk indexes of the contracts of account ai.
// Contracts of one account are contiguous and at the end while it is being
// generated.
func (c *chunk) accountContracts(ai int) []int {
	var out []int
	for i := len(c.contracts) - 1; i >= 0 && c.contracts[i].account == ai; i-- {
		out = append([]int{i}, out...)
	}
	return out
}

func (g *generator) contract(c *chunk, ai int, st contract.Status, cur string) {
	a := &c.accounts[ai]
	g.nContract++
	term := []int{12, 24, 36}[g.weighted(60, 25, 15)]
	termOf := func(start time.Time) time.Time { return start.AddDate(0, term, -1) }
	k := contractRow{account: ai, number: fmt.Sprintf("C-%06d", g.nContract), status: st, currency: cur, renewalOwner: none}
	// renewalKind 2 is the hygiene exception of a renewal date later than
	// the end date.
	renewalKind := g.weighted(90, 6, 4) // 0 = on the end date, 1 = missing, 2 = after the end
	switch st {
	case contract.StatusACTIVE:
		if a.stage == account.LifecycleStageONBOARDING {
			// Signed shortly after the account was entered.
			k.created = minTime(a.created.Add(g.dur(2*time.Hour, 5*day)), g.now.Add(-2*time.Hour))
			k.start = minTime(g.today, k.created.Truncate(day).Add(g.days(0, 14)))
			k.end = termOf(k.start)
		} else if g.chance(0.03) {
			// Ended but still ACTIVE: nobody closed it.
			k.end = g.today.Add(-g.days(1, 60))
			k.start = k.end.AddDate(0, -term, 1)
		} else {
			// Renewals spread over the next year; multi-year contracts
			// sometimes further out.
			ahead := g.days(1, 365)
			if term > 12 && g.chance(0.3) {
				ahead = g.days(366, 365*term/12)
			}
			k.end = g.today.Add(ahead)
			k.start = k.end.AddDate(0, -term, 1)
			if k.start.After(g.today) {
				k.start = g.today
			}
		}
	case contract.StatusEXPIRED:
		k.end = g.today.Add(-g.days(1, 720))
		k.start = k.end.AddDate(0, -term, 1)
		if g.chance(0.3) {
			renewalKind = 1
		}
	case contract.StatusTERMINATED:
		k.start = g.today.Add(-g.days(90, 900))
		k.end = termOf(k.start)
		if g.chance(0.3) {
			renewalKind = 1
		}
	case contract.StatusDRAFT:
		k.start = g.today.Add(g.days(0, 60))
		k.end = termOf(k.start)
		if g.chance(0.4) {
			renewalKind = 1
		}
	}
	switch renewalKind {
	case 0:
		k.renewal = ptr(k.end)
	case 2:
		k.renewal = ptr(k.end.Add(g.days(15, 120)))
	}
	switch {
	case g.chance(0.08):
	case a.owner != none && a.owner != g.formerCSM && g.chance(0.92):
		k.renewalOwner = a.owner
	case g.chance(0.5):
		k.renewalOwner = pick(g, g.csms)
	default:
		k.renewalOwner = pick(g, g.creators)
	}
	k.autoRenew = g.chance(0.55)
	k.author = pick(g, g.sales)
	switch {
	case st == contract.StatusDRAFT:
		k.created = g.now.Add(-g.days(1, 30)).Add(-g.dur(0, day))
	case k.created.IsZero():
		k.created = k.start.Add(-g.days(5, 45)).Add(g.dur(9*time.Hour, 18*time.Hour))
	}
	k.created = k.created.Truncate(time.Second)
	if st != contract.StatusDRAFT {
		// Signed within days of being entered, before it starts.
		signed := k.created.Add(g.dur(time.Hour, 3*day))
		if hi := maxTime(k.start, k.created.Add(time.Hour)); signed.After(hi) {
			signed = hi
		}
		k.signed = ptr(g.past(signed).Truncate(time.Second))
	}
	switch st {
	case contract.StatusEXPIRED:
		// Closed by the contract lifecycle job the day after it ended.
		k.closed = ptr(g.past(maxTime(k.signed.Add(time.Hour), k.end.Add(day).Add(g.dur(time.Hour, 6*time.Hour)))))
	case contract.StatusTERMINATED:
		k.closed = ptr(g.past(maxTime(k.signed.Add(time.Hour), k.start.Add(g.days(30, 300)).Add(g.dur(9*time.Hour, 17*time.Hour)))))
	}
	ci := len(c.contracts)
	c.contracts = append(c.contracts, k)

	// Items: distinct products, the inactive legacy product only on old
	// contracts (and, rarely, on a current one).
	kc := &c.contracts[ci]
	n := min(g.between(g.prof.itemsMin, g.prof.itemsMax), legacyProduct)
	weights := make([]int, len(catalog))
	for i, p := range catalog {
		weights[i] = p.weight
	}
	var products []int
	for range n {
		p := g.weighted(weights...)
		weights[p] = 0
		products = append(products, p)
	}
	if kc.created.Before(g.retiredAt) &&
		((st == contract.StatusEXPIRED || st == contract.StatusTERMINATED) && g.chance(0.25) || st == contract.StatusACTIVE && g.chance(0.01)) {
		products = append(products, legacyProduct)
	}
	share := g.prof.wantOther
	switch st {
	case contract.StatusACTIVE:
		share = g.prof.wantActive
	case contract.StatusDRAFT:
		share = 0
	}
	fx := currencyFX[kc.currency]
	disc := []float64{1, 0.9, 0.75}[a.segIdx]
	for _, p := range products {
		prod := &catalog[p]
		it := itemRow{contract: ci, product: p, tier: g.tier(prod, a.segIdx), created: kc.created}
		factor := tierFactor[it.tier] * disc * g.uniform(0.95, 1.05) * fx
		if prod.kind == schematype.EntitlementKindBoolean {
			it.qty = 1
			it.price = int64(math.Round(float64(prod.priceFlat[a.segIdx]) * factor))
		} else {
			r := prod.qty[a.segIdx]
			it.qty = g.logUniform(r[0], r[1])
			it.price = max(1, int64(math.Round(float64(prod.price)*factor)))
		}
		it.qty0 = it.qty
		it.want = g.chance(share)
		kc.arr += it.qty * it.price
		kc.items = append(kc.items, len(c.items))
		c.items = append(c.items, it)
	}
	kc.arr0 = kc.arr
}

func (g *generator) tier(p *productRow, seg int) string {
	want := []string{"standard", "premium", "enterprise"}[seg]
	if g.chance(0.25) {
		return pick(g, p.tiers)
	}
	for _, t := range p.tiers {
		if t == want {
			return t
		}
	}
	if seg == 0 {
		return p.tiers[0]
	}
	return p.tiers[len(p.tiers)-1]
}
