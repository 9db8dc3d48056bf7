package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/order"
	"github.com/opsgraph/opsgraph/ent/orderline"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// The generator produces plain rows that refer to each other by index: users
// and products by their index in generator.users / catalog, everything else by
// its index in the chunk being generated. It never looks at database ids, so
// what it produces depends only on the options, and the writer maps indexes
// to ids as it inserts. Every random draw comes from one PCG stream consumed
// in a fixed order.

const (
	day  = 24 * time.Hour
	week = 7 * day
	// chunkAccounts is how many accounts are generated (and inserted) at a
	// time; it bounds memory. It is a constant and not BatchSize so that the
	// insertion order, and with it every id, does not depend on BatchSize.
	chunkAccounts = 2000
	// freshWindow is how old a signal may be and still count in a score.
	freshWindow = 30 * day
	// SystemActor is the subject seeded writes and system transitions carry.
	SystemActor    = "system:seed"
	validatorActor = "system:order-validator"
	provisionActor = "system:provisioner"
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
	stageAt                  time.Time
	owner                    int // user index or none
	crmID                    string
	billingName, billingMail string
	created, updated         time.Time

	// Generator-only.
	health float64 // latent health 0–1 that signals and scores follow
	users  float64 // baseline of active users
	orders []int   // chunk indexes of the account's orders
	segIdx int
	base   string // name without legal suffix, for children
}

type contractRow struct {
	account          int
	number           string
	status           contract.Status
	start, end       time.Time
	renewal          *time.Time
	renewalOwner     int
	arr              int64
	currency         string
	autoRenew        bool
	created, updated time.Time

	items []int // generator-only: chunk indexes of the items
}

type itemRow struct {
	contract, product int
	qty               int64
	tier              string
	price             int64
	created           time.Time

	// Generator-only: whether the item has an entitlement and the latest
	// fulfilled order line that touched it.
	entitled   bool
	line       int
	lineQty    int64
	lineAction orderline.Action
	lineTier   string
	lineAt     time.Time
}

type orderRow struct {
	account, contract                                                  int
	number                                                             string
	status                                                             schematype.OrderStatus
	idempotencyKey                                                     string
	submitted, validated, provisioning, fulfilled, rejected, cancelled *time.Time
	rejectionReason, rejectionNote                                     string
	validationErrors                                                   []schematype.OrderValidationError
	billing                                                            order.BillingStatus
	invoice                                                            string
	created, updated                                                   time.Time
}

type lineRow struct {
	order   int
	action  orderline.Action
	product int
	qty     int64
	tier    string
	created time.Time
}

type eventRow struct {
	order       int
	from        *schematype.OrderStatus
	to          schematype.OrderStatus
	actor, note string
	at          time.Time
}

type entRow struct {
	account, contract, product, line int
	kind                             schematype.EntitlementKind
	limit                            *int64
	usage                            int64
	usageAt                          *time.Time
	tier                             string
	from                             time.Time
	to                               *time.Time
	status                           entitlement.Status
	soft                             bool
	overrideLimit                    *int64
	overrideReason                   string
	overrideExpires                  *time.Time
	created, updated                 time.Time
}

type signalRow struct {
	account            int
	kind               signalKind
	value              float64
	observed, ingested time.Time
	source             string
}

type scoreRow struct {
	account         int
	score, coverage float64
	band            string
	components      []schematype.ScoreComponent
	computed        time.Time
}

type requestRow struct {
	number, title, description string
	category, priority, status string
	requester, assignee        int // user indexes; assignee may be none
	account, order             int // chunk indexes or none
	firstResponse              *time.Time
	responseDue, resolutionDue *time.Time
	resolved                   *time.Time
	resolutionNotes            string
	created, updated           time.Time
}

// chunk is everything generated for a run of whole account families.
type chunk struct {
	accounts  []accountRow
	contracts []contractRow
	items     []itemRow
	orders    []orderRow
	lines     []lineRow
	events    []eventRow
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
	entitleActive   float64 // share of items of ACTIVE contracts with an entitlement
	entitleOther    float64 // share of items of EXPIRED/TERMINATED contracts with one
	obsMin, obsMax  int     // observations per signal kind
}

var (
	demoProfile = profile{name: "demo", defaultAccounts: 200, itemsMin: 1, itemsMax: 5, entitleActive: 0.75, entitleOther: 0.3, obsMin: 2, obsMax: 4}
	bulkProfile = profile{name: "bulk", defaultAccounts: 100_000, itemsMin: 3, itemsMax: 8, entitleActive: 1, entitleOther: 0.9, obsMin: 3, obsMax: 6}
)

type rootRef struct{ name, domain string }

type generator struct {
	rng   *rand.Rand
	now   time.Time // truncated to the minute, UTC
	today time.Time // midnight UTC of now
	prof  profile
	total int // accounts to generate
	done  int // accounts generated so far

	users        []userRow
	csmsByRegion map[schematype.Region][]int
	csms         []int
	formerCSM    int
	creators     []int // users who place orders (CSMs, sales)
	opsUsers     []int // users requests are assigned to
	requesters   []int // users who raise requests
	finance      int

	nContract, nOrder, nRequest, nInvoice, nCRM, nRoot int
	usedNames, usedDomains                             map[string]bool
	recentRoots                                        []rootRef

	// coverage counters: the first orders/requests go through every value
	// of their enums so that even a tiny dataset shows all of them.
	orderCover, requestCover int
}

func newGenerator(seed int64, now time.Time, accounts int, prof profile) *generator {
	now = now.UTC().Truncate(time.Minute)
	g := &generator{
		rng:          rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15)),
		now:          now,
		today:        now.Truncate(day),
		prof:         prof,
		total:        accounts,
		csmsByRegion: map[schematype.Region][]int{},
		usedNames:    map[string]bool{},
		usedDomains:  map[string]bool{},
	}
	g.makeUsers()
	return g
}

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
		u.created = g.today.Add(-g.days(200, 1500)).Add(g.dur(8*time.Hour, 18*time.Hour))
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
		if u.has(viewer.RoleOpsAnalyst) || u.has(viewer.RoleOpsManager) {
			g.opsUsers = append(g.opsUsers, i)
		}
		if !u.inactive && !u.has(viewer.RoleViewer) && !u.has(viewer.RoleAdmin) {
			g.requesters = append(g.requesters, i)
		}
		if u.email == FinanceEmail {
			g.finance = i
		}
	}
}

// ---- accounts ----

// chunk generates whole account families until about chunkAccounts accounts
// (or the total) are reached.
func (g *generator) chunk() *chunk {
	c := &chunk{}
	for g.done < g.total && len(c.accounts) < chunkAccounts {
		g.family(c)
	}
	return c
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
// for most children, a former (inactive) CSM or nobody for a few.
func (g *generator) owner(region schematype.Region, parentOwner int) int {
	switch {
	case g.chance(0.04):
		return none
	case g.chance(0.015):
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
	a.users = float64(g.logUniform([]int64{8, 60, 400}[a.segIdx], []int64{60, 400, 4000}[a.segIdx]))
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
	// Lifecycle: most stages changed weeks or months ago; a quarter of the
	// onboarding accounts have been onboarding for more than 90 days.
	switch {
	case a.stage == account.LifecycleStageONBOARDING && g.chance(0.25):
		a.stageAt = g.now.Add(-g.days(91, 240)).Add(-g.dur(0, day))
	case a.stage == account.LifecycleStageONBOARDING:
		a.stageAt = g.now.Add(-g.days(1, 90)).Add(-g.dur(0, day))
	default:
		a.stageAt = g.now.Add(-g.days(7, 540)).Add(-g.dur(0, day))
	}
	a.stageAt = a.stageAt.Truncate(time.Second)
	a.created = a.stageAt.Add(-g.days(0, 20)).Add(-g.dur(0, day))
	if a.stage != account.LifecycleStageONBOARDING {
		a.created = a.created.Add(-g.days(30, 700))
	}
	a.updated = a.stageAt

	ai := len(c.accounts)
	c.accounts = append(c.accounts, a)
	g.contracts(c, ai)
	g.orders(c, ai)
	g.entitlements(c, ai)
	g.signalsAndScores(c, ai)
	g.requests(c, ai)
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
	// The account was created before anything was signed.
	for _, ci := range c.accountContracts(ai) {
		a.created = minTime(a.created, c.contracts[ci].created.Add(-g.days(1, 30)))
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
			// Signed shortly before onboarding began.
			k.start = minTime(g.today, a.stageAt.Truncate(day).Add(-g.days(0, 20)))
			k.end = termOf(k.start)
		} else if g.chance(0.03) {
			// Ended but still ACTIVE.
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
	if st == contract.StatusDRAFT {
		k.created = g.now.Add(-g.days(1, 30)).Add(-g.dur(0, day))
	} else {
		k.created = k.start.Add(-g.days(5, 45)).Add(g.dur(9*time.Hour, 18*time.Hour))
	}
	k.updated = k.created
	if st == contract.StatusEXPIRED || st == contract.StatusTERMINATED {
		k.updated = g.past(maxTime(k.created, k.end.Add(day).Add(g.dur(0, 6*time.Hour))))
		if st == contract.StatusTERMINATED {
			k.updated = g.past(k.start.Add(g.days(30, 300)))
		}
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
	if (st == contract.StatusEXPIRED || st == contract.StatusTERMINATED) && g.chance(0.25) ||
		st == contract.StatusACTIVE && g.chance(0.01) {
		products = append(products, legacyProduct)
	}
	share := g.prof.entitleOther
	switch st {
	case contract.StatusACTIVE:
		share = g.prof.entitleActive
	case contract.StatusDRAFT:
		share = 0.1 // provisioned ahead of signature: a discrepancy
	}
	fx := currencyFX[kc.currency]
	disc := []float64{1, 0.9, 0.75}[a.segIdx]
	for _, p := range products {
		prod := &catalog[p]
		it := itemRow{contract: ci, product: p, tier: g.tier(prod, a.segIdx), created: kc.created, line: none}
		factor := tierFactor[it.tier] * disc * g.uniform(0.95, 1.05) * fx
		if prod.kind == schematype.EntitlementKindBoolean {
			it.qty = 1
			it.price = int64(math.Round(float64(prod.priceFlat[a.segIdx]) * factor))
		} else {
			r := prod.qty[a.segIdx]
			it.qty = g.logUniform(r[0], r[1])
			it.price = max(1, int64(math.Round(float64(prod.price)*factor)))
		}
		it.entitled = g.chance(share)
		kc.arr += it.qty * it.price
		kc.items = append(kc.items, len(c.items))
		c.items = append(c.items, it)
	}
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

// ---- orders ----

type lineSpec struct {
	action  orderline.Action
	item    int // chunk item index or none
	product int
	qty     int64
	tier    string
	noEnt   bool // fulfilled without creating an entitlement (a discrepancy)
}

var (
	rejectAtValidation = []struct{ code, note string }{
		{"PRODUCT_NOT_ON_CONTRACT", "Line %d orders a product that is not on contract %s."},
		{"QUANTITY_EXCEEDS_CONTRACT", "Line %d asks for more than contract %s allows."},
		{"PRODUCT_INACTIVE", "Line %d orders a product that is no longer sold."},
	}
	cancelNotes = []string{
		"Customer postponed the change to next quarter.",
		"Duplicate of another order.",
		"Raised against the wrong contract; re-ordered.",
		"Customer decided not to proceed.",
		"Superseded by renewal quote.",
	}
	createNotes = []string{"", "", "Created from quote", "Created from renewal quote", "Requested by customer admin"}
)

// orders generates, for each signed contract, sometimes the order that
// provisioned it, and for the account a few change orders in any state.
func (g *generator) orders(c *chunk, ai int) {
	cis := c.accountContracts(ai)
	for n, ci := range cis {
		k := &c.contracts[ci]
		if k.status == contract.StatusDRAFT || !g.chance(0.5) {
			continue
		}
		var specs []lineSpec
		action := orderline.ActionADD
		if n > 0 && g.chance(0.4) {
			action = orderline.ActionRENEW
		}
		for _, ii := range k.items {
			it := &c.items[ii]
			if it.entitled && len(specs) < 5 {
				specs = append(specs, lineSpec{action: action, item: ii, product: it.product, qty: it.qty, tier: it.tier})
			}
		}
		for _, ii := range k.items {
			if it := &c.items[ii]; !it.entitled && g.chance(0.05) {
				specs = append(specs, lineSpec{action: action, item: ii, product: it.product, qty: it.qty, tier: it.tier, noEnt: true})
				break
			}
		}
		if len(specs) == 0 {
			continue
		}
		final := []schematype.OrderStatus{schematype.OrderStatusFulfilled, schematype.OrderStatusRejected, schematype.OrderStatusCancelled}[g.weighted(86, 7, 7)]
		t0 := maxTime(k.created.Add(day), k.start.Add(-g.days(0, 4))).Add(g.dur(0, 8*time.Hour))
		g.order(c, ai, ci, final, t0, specs)
	}

	changes := []int{0, 1, 2, 3}[g.weighted(55, 30, 12, 3)]
	for range changes {
		g.changeOrder(c, ai, cis)
	}
}

func (g *generator) changeOrder(c *chunk, ai int, cis []int) {
	var active []int
	for _, ci := range cis {
		if c.contracts[ci].status == contract.StatusACTIVE {
			active = append(active, ci)
		}
	}
	var final schematype.OrderStatus
	forced := g.orderCover < len(schematype.AllOrderStatuses) && len(active) > 0
	if forced {
		final = schematype.AllOrderStatuses[g.orderCover]
		g.orderCover++
	} else {
		final = schematype.AllOrderStatuses[g.weighted(12, 12, 9, 12, 35, 10, 10)]
	}
	ci := none
	switch {
	case forced:
		ci = active[len(active)-1]
	case (final == schematype.OrderStatusDraft || final == schematype.OrderStatusCancelled) && g.chance(0.2):
		// A new-business order not yet placed under a contract.
	case len(active) > 0 && g.chance(0.92):
		ci = active[len(active)-1]
		if len(active) > 1 && g.chance(0.3) {
			ci = pick(g, active)
		}
	case len(cis) > 0:
		ci = pick(g, cis)
	}
	if ci != none && c.contracts[ci].status != contract.StatusACTIVE {
		// Orders under a contract that is not ACTIVE do not get past
		// validation.
		switch final {
		case schematype.OrderStatusValidated, schematype.OrderStatusProvisioning, schematype.OrderStatusFulfilled:
			final = schematype.OrderStatusRejected
		}
	}
	if ci == none && final != schematype.OrderStatusDraft && final != schematype.OrderStatusCancelled {
		final = schematype.OrderStatusDraft
	}

	a := &c.accounts[ai]
	var specs []lineSpec
	if ci == none {
		for range g.between(1, 2) {
			p := g.intn(legacyProduct)
			prod := &catalog[p]
			qty := int64(1)
			if prod.kind != schematype.EntitlementKindBoolean {
				qty = g.logUniform(prod.qty[a.segIdx][0], prod.qty[a.segIdx][1])
			}
			specs = append(specs, lineSpec{action: orderline.ActionADD, item: none, product: p, qty: qty, tier: g.tier(prod, a.segIdx)})
		}
	} else {
		items := append([]int(nil), c.contracts[ci].items...)
		g.rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
		for _, ii := range items[:min(len(items), g.between(1, 3))] {
			it := &c.items[ii]
			prod := &catalog[it.product]
			s := lineSpec{item: ii, product: it.product, qty: it.qty, tier: it.tier}
			switch {
			case !it.entitled:
				s.action = orderline.ActionADD
			case g.chance(0.15):
				s.action, s.qty = orderline.ActionREMOVE, 0
			case g.chance(0.2):
				s.action = orderline.ActionRENEW
			default:
				s.action = orderline.ActionCHANGE
				if prod.kind == schematype.EntitlementKindBoolean {
					s.tier = pick(g, prod.tiers)
				} else {
					s.qty = max(1, niceRound(int64(float64(it.qty)*g.uniform(0.5, 2.0))))
				}
			}
			specs = append(specs, s)
		}
	}
	var t0 time.Time
	switch final {
	case schematype.OrderStatusFulfilled, schematype.OrderStatusRejected, schematype.OrderStatusCancelled:
		t0 = g.now.Add(-g.days(1, 300))
	case schematype.OrderStatusProvisioning:
		// Some orders are stuck in provisioning.
		t0 = g.now.Add(-g.days(1, 8))
		if g.chance(0.2) {
			t0 = g.now.Add(-g.days(10, 30))
		}
	default:
		t0 = g.now.Add(-g.dur(time.Hour, 20*day))
	}
	if ci != none {
		if end := c.contracts[ci].end; end.Before(g.now) {
			t0 = minTime(t0, end.Add(-g.days(2, 30)))
		}
		t0 = maxTime(t0, c.contracts[ci].start.Add(day))
		for _, s := range specs {
			if s.item != none && c.items[s.item].line != none {
				t0 = maxTime(t0, c.items[s.item].lineAt.Add(time.Hour))
			}
		}
	}
	g.order(c, ai, ci, final, t0.Add(g.dur(0, 8*time.Hour)), specs)
}

// order appends an order with its lines and its event timeline from t0 to
// the final status, moved back in time if needed so that nothing lies after
// now, and applies a fulfilled order's lines to the contract items.
func (g *generator) order(c *chunk, ai, ci int, final schematype.OrderStatus, t0 time.Time, specs []lineSpec) int {
	a := &c.accounts[ai]
	g.nOrder++
	oi := len(c.orders)
	o := orderRow{account: ai, contract: ci, number: fmt.Sprintf("O-%06d", g.nOrder), status: final, billing: order.BillingStatusNOT_BILLED}
	creator := a.owner
	if creator == none || creator == g.formerCSM || g.chance(0.3) {
		creator = pick(g, g.creators)
	}
	cEmail := g.users[creator].email
	ops := g.users[pick(g, g.opsUsers)].email

	const (
		D = schematype.OrderStatusDraft
		S = schematype.OrderStatusSubmitted
		V = schematype.OrderStatusValidated
		P = schematype.OrderStatusProvisioning
		F = schematype.OrderStatusFulfilled
		R = schematype.OrderStatusRejected
		C = schematype.OrderStatusCancelled
	)
	var path []schematype.OrderStatus
	switch final {
	case D:
		path = []schematype.OrderStatus{D}
	case S:
		path = []schematype.OrderStatus{D, S}
	case V:
		path = []schematype.OrderStatus{D, S, V}
	case P:
		path = []schematype.OrderStatus{D, S, V, P}
	case F:
		path = []schematype.OrderStatus{D, S, V, P, F}
	case R:
		path = [][]schematype.OrderStatus{{D, S, R}, {D, S, V, R}, {D, S, V, P, R}}[g.weighted(60, 15, 25)]
	case C:
		path = [][]schematype.OrderStatus{{D, C}, {D, S, C}, {D, S, V, C}}[g.weighted(40, 35, 25)]
	}
	if ci != none && c.contracts[ci].status != contract.StatusACTIVE && final == R {
		path = []schematype.OrderStatus{D, S, R}
	}

	// Rejection: a reason, a note and, when validation rejected the order,
	// the validation errors (with the offending line when there is one).
	if final == R {
		from := path[len(path)-2]
		number := "(none)"
		if ci != none {
			number = c.contracts[ci].number
		}
		switch {
		case ci != none && c.contracts[ci].status != contract.StatusACTIVE:
			o.rejectionReason = "CONTRACT_NOT_ACTIVE"
			o.rejectionNote = fmt.Sprintf("Contract %s is %s; orders need an ACTIVE contract.", number, c.contracts[ci].status)
			o.validationErrors = []schematype.OrderValidationError{{Code: o.rejectionReason, Line: 0, Message: o.rejectionNote}}
		case from == S:
			r := rejectAtValidation[g.intn(len(rejectAtValidation))]
			var line int
			switch r.code {
			case "PRODUCT_NOT_ON_CONTRACT":
				on := map[int]bool{}
				if ci != none {
					for _, ii := range c.contracts[ci].items {
						on[c.items[ii].product] = true
					}
				}
				p := g.intn(legacyProduct)
				for range legacyProduct {
					if !on[p] {
						break
					}
					p = (p + 1) % legacyProduct
				}
				specs = append(specs, lineSpec{action: orderline.ActionADD, item: none, product: p, qty: 1, tier: catalog[p].tiers[0]})
				line = len(specs)
			case "QUANTITY_EXCEEDS_CONTRACT":
				line = 1
				specs[0].action = orderline.ActionCHANGE
				specs[0].qty = max(specs[0].qty*3, 3)
			case "PRODUCT_INACTIVE":
				specs = append(specs, lineSpec{action: orderline.ActionADD, item: none, product: legacyProduct, qty: 4, tier: "standard"})
				line = len(specs)
			}
			o.rejectionReason = r.code
			if strings.Count(r.note, "%") == 2 {
				o.rejectionNote = fmt.Sprintf(r.note, line, number)
			} else {
				o.rejectionNote = fmt.Sprintf(r.note, line)
			}
			o.validationErrors = []schematype.OrderValidationError{{Code: r.code, Line: line, Message: o.rejectionNote}}
		case from == V:
			o.rejectionReason = []string{"CREDIT_HOLD", "DUPLICATE_ORDER"}[g.intn(2)]
			o.rejectionNote = map[string]string{
				"CREDIT_HOLD":     "Account is on credit hold until overdue invoices are settled.",
				"DUPLICATE_ORDER": "Same change already requested in another order.",
			}[o.rejectionReason]
		default:
			o.rejectionReason = "PROVISIONING_FAILED"
			o.rejectionNote = fmt.Sprintf("Provisioning failed in the %s region: capacity not available; re-order after expansion.", a.region)
		}
	}

	// Timeline.
	times := make([]time.Time, len(path))
	times[0] = t0
	for i := 1; i < len(path); i++ {
		var gap time.Duration
		switch to := path[i]; {
		case to == S:
			gap = g.dur(5*time.Minute, 3*day)
		case to == V:
			gap = g.dur(30*time.Second, 2*time.Hour)
		case to == P:
			gap = g.dur(10*time.Minute, day)
		case to == F:
			gap = g.dur(15*time.Minute, 4*day)
		case to == R && path[i-1] == S:
			gap = g.dur(30*time.Second, 2*time.Hour)
		case to == R:
			gap = g.dur(time.Hour, 3*day)
		default: // cancelled
			gap = g.dur(time.Hour, 10*day)
		}
		times[i] = times[i-1].Add(gap)
	}
	if last := times[len(times)-1]; last.After(g.now) {
		shift := last.Sub(g.now) + g.dur(5*time.Minute, 2*time.Hour)
		for i := range times {
			times[i] = times[i].Add(-shift)
		}
	}
	for i := range times {
		times[i] = times[i].Truncate(time.Second)
	}
	o.created, o.updated = times[0], times[len(times)-1]
	for i, st := range path {
		ev := eventRow{order: oi, to: st, at: times[i]}
		if i > 0 {
			ev.from = ptr(path[i-1])
		}
		t := ptr(times[i])
		switch st {
		case D:
			ev.actor, ev.note = cEmail, pick(g, createNotes)
		case S:
			ev.actor = cEmail
			o.submitted = t
		case V:
			ev.actor = validatorActor
			ev.note = "All lines match the contract and the catalog."
			o.validated = t
		case P:
			ev.actor = provisionActor
			if g.chance(0.4) {
				ev.actor = ops
			}
			ev.note = fmt.Sprintf("Provisioning started in %s.", a.region)
			o.provisioning = t
		case F:
			ev.actor, ev.note = provisionActor, "All lines provisioned."
			o.fulfilled = t
		case R:
			switch path[i-1] {
			case S:
				ev.actor = validatorActor
			case V:
				ev.actor = g.users[g.finance].email
			default:
				ev.actor = provisionActor
			}
			ev.note = o.rejectionNote
			o.rejected = t
		case C:
			ev.actor, ev.note = cEmail, pick(g, cancelNotes)
			o.cancelled = t
		}
		c.events = append(c.events, ev)
	}

	// Billing: fulfilled orders are mostly invoiced; some are not yet (a
	// reconciliation exception), some are not billable at all.
	switch final {
	case F:
		switch g.weighted(75, 15, 10) {
		case 0:
			g.nInvoice++
			invoiced := g.past(o.fulfilled.Add(g.days(1, 20)))
			o.billing = order.BillingStatusINVOICED
			o.invoice = fmt.Sprintf("INV-%d-%06d", invoiced.Year(), g.nInvoice)
			o.updated = invoiced
		case 2:
			o.billing = order.BillingStatusNOT_BILLABLE
		}
	case R, C:
		o.billing = order.BillingStatusNOT_BILLABLE
	}
	if final != D && g.chance(0.08) {
		o.idempotencyKey = fmt.Sprintf("portal-%016x", g.rng.Uint64())
	}
	c.orders = append(c.orders, o)
	a.orders = append(a.orders, oi)

	for _, s := range specs {
		li := len(c.lines)
		c.lines = append(c.lines, lineRow{order: oi, action: s.action, product: s.product, qty: s.qty, tier: s.tier, created: o.created})
		if final != F || s.item == none || s.noEnt {
			continue
		}
		it := &c.items[s.item]
		if it.line != none && !o.fulfilled.After(it.lineAt) {
			continue
		}
		it.line, it.lineQty, it.lineAction, it.lineAt = li, s.qty, s.action, *o.fulfilled
		if s.action == orderline.ActionADD {
			it.entitled = true
		}
		it.lineTier = s.tier
	}
	return oi
}

// ---- entitlements ----

var overrideReasons = []string{
	"Temporary burst capacity for a data migration project.",
	"Goodwill after incident INC-2291.",
	"Pending contract amendment; approved by the account executive.",
	"Seasonal peak; approved by CS Ops.",
	"Proof of concept for an upsell.",
}

func (g *generator) entitlements(c *chunk, ai int) {
	a := &c.accounts[ai]
	for _, ci := range c.accountContracts(ai) {
		k := &c.contracts[ci]
		for _, ii := range k.items {
			it := &c.items[ii]
			if !it.entitled {
				continue
			}
			g.entitlement(c, ai, ci, it)
		}
	}
	// A few trials: entitlements without a contract, some already past their
	// window but still ACTIVE.
	if g.chance(0.08) {
		p := []int{4, 3, 2}[g.intn(3)]
		prod := &catalog[p]
		from := g.now.Add(-g.days(1, 40)).Truncate(time.Hour)
		e := entRow{
			account: ai, contract: none, product: p, line: none, kind: prod.kind, tier: prod.tiers[0],
			from: from, to: ptr(from.Add(30 * day)), status: entitlement.StatusACTIVE, soft: true,
			created: from,
		}
		if e.to.Before(g.now) && g.chance(0.4) {
			e.status = entitlement.StatusEXPIRED
		}
		if prod.kind != schematype.EntitlementKindBoolean {
			lim := prod.qty[a.segIdx][0]
			e.limit = &lim
			e.usage = int64(float64(lim) * g.uniform(0.1, 1.3))
			e.usageAt = ptr(g.past(minTime(*e.to, g.now).Add(-g.dur(0, 2*day))))
		}
		e.updated = e.created
		if e.usageAt != nil {
			e.updated = maxTime(e.created, *e.usageAt)
		}
		c.ents = append(c.ents, e)
	}
}

func (g *generator) entitlement(c *chunk, ai, ci int, it *itemRow) {
	k := &c.contracts[ci]
	prod := &catalog[it.product]
	e := entRow{account: ai, contract: ci, product: it.product, line: it.line, kind: prod.kind, tier: it.tier}
	if it.line != none && it.lineTier != "" {
		e.tier = it.lineTier
	}
	lim := it.qty
	if it.line != none && it.lineAction != orderline.ActionREMOVE {
		lim = it.lineQty
	}
	if prod.kind != schematype.EntitlementKindBoolean {
		e.limit = ptr(lim)
	}
	e.from = k.start
	if it.line != none && it.lineAction == orderline.ActionADD {
		e.from = it.lineAt
	}
	if !(prod.kind == schematype.EntitlementKindBoolean && k.status == contract.StatusACTIVE && g.chance(0.1)) {
		e.to = ptr(k.end.Add(day))
	}
	switch {
	case it.line != none && it.lineAction == orderline.ActionREMOVE:
		e.status, e.to = entitlement.StatusREVOKED, ptr(it.lineAt)
	case k.status == contract.StatusACTIVE:
		e.status = []entitlement.Status{entitlement.StatusACTIVE, entitlement.StatusSUSPENDED, entitlement.StatusREVOKED, entitlement.StatusEXPIRED}[g.weighted(90, 5, 2, 3)]
		if e.status == entitlement.StatusEXPIRED || e.status == entitlement.StatusREVOKED {
			// Ended early (a time-limited add-on, a revocation).
			e.to = ptr(e.from.Add(time.Duration(float64(g.now.Sub(e.from)) * g.uniform(0.3, 0.95))).Truncate(time.Second))
		}
	case k.status == contract.StatusDRAFT:
		e.status = []entitlement.Status{entitlement.StatusACTIVE, entitlement.StatusSUSPENDED}[g.weighted(70, 30)]
	default:
		// Contract over: mostly expired or revoked, some still ACTIVE.
		e.status = []entitlement.Status{entitlement.StatusEXPIRED, entitlement.StatusREVOKED, entitlement.StatusACTIVE, entitlement.StatusSUSPENDED}[g.weighted(60, 15, 20, 5)]
		if e.status == entitlement.StatusEXPIRED || e.status == entitlement.StatusREVOKED {
			// Ended with the contract (expiry or termination).
			e.to = ptr(k.updated)
		}
	}
	if e.to != nil && !e.to.After(e.from) {
		// Provisioned after the contract had ended: the window starts with
		// the contract.
		e.from = k.start
	}
	live := e.status == entitlement.StatusACTIVE || e.status == entitlement.StatusSUSPENDED
	// Usage: ACTIVE ones sometimes over the limit.
	if prod.kind == schematype.EntitlementKindBoolean {
		if g.chance(0.8) {
			e.usage = 1
		}
	} else {
		ratio := g.uniform(0.05, 0.97)
		if e.status == entitlement.StatusACTIVE && g.chance(0.08) {
			ratio = g.uniform(1.03, 1.6)
		}
		e.usage = int64(math.Round(float64(lim) * ratio))
	}
	end := g.now
	if !live && e.to != nil {
		end = minTime(*e.to, g.now)
	}
	switch {
	case e.from.After(g.now):
		e.usage = 0
	case live && g.chance(0.88):
		e.usageAt = ptr(g.now.Add(-g.dur(2*time.Minute, 36*time.Hour)))
	case live && g.chance(0.6):
		e.usageAt = ptr(g.now.Add(-g.dur(8*day, 40*day))) // stale usage report
	case !live && g.chance(0.9):
		e.usageAt = ptr(end.Add(-g.dur(0, 3*day)))
	}
	if e.usageAt != nil && e.usageAt.Before(e.from) {
		e.usageAt = ptr(e.from)
	}
	switch prod.kind {
	case schematype.EntitlementKindMetered:
		e.soft = g.chance(0.6)
	case schematype.EntitlementKindQuantity:
		e.soft = g.chance(0.15)
	}
	if e.status == entitlement.StatusACTIVE && prod.kind != schematype.EntitlementKindBoolean && g.chance(0.05) {
		e.overrideLimit = ptr(niceRound(int64(float64(lim) * g.uniform(1.2, 2.0))))
		e.overrideReason = pick(g, overrideReasons)
		e.overrideExpires = ptr(g.now.Add(g.days(-30, 90)).Truncate(time.Hour))
	}
	e.created = e.from
	if e.created.After(g.now) {
		e.created = g.now.Add(-g.dur(day, 10*day))
	}
	e.updated = e.created
	if e.usageAt != nil {
		e.updated = maxTime(e.updated, *e.usageAt)
	}
	if !live && e.to != nil {
		e.updated = maxTime(e.updated, g.past(*e.to))
	}
	c.ents = append(c.ents, e)
}

// ---- requests ----

var (
	slaTargets = map[string][2]time.Duration{ // response, resolution
		"P1": {time.Hour, day}, "P2": {4 * time.Hour, 3 * day}, "P3": {day, 7 * day}, "P4": {3 * day, 21 * day},
	}
	requestStatuses   = []string{"NEW", "TRIAGED", "IN_PROGRESS", "WAITING_ON_REQUESTER", "RESOLVED", "CLOSED"}
	requestPriorities = []string{"P1", "P2", "P3", "P4"}
	// accountRequests are titles of requests about an account (%s).
	accountRequests = map[string][]string{
		"DATA_FIX": {
			"Fix billing contact for %s",
			"Merge duplicate account records for %s",
			"Correct segment of %s",
			"Update CRM id for %s",
			"Parent account wrong for %s",
		},
		"REPORT": {
			"Usage report for the %s QBR",
			"Health trend export for %s",
			"Contract history of %s for legal",
		},
		"ACCESS": {
			"Read access to financial fields of %s for the new AE",
		},
		"ENTITLEMENT_DISCREPANCY": {
			"Usage over limit for %s",
			"Entitlement still active after contract end (%s)",
			"Seats on contract differ from provisioned seats for %s",
		},
		"RENEWAL": {
			"Renewal date missing for %s",
			"Prepare renewal quote for %s",
			"Renewal owner needed for %s",
		},
		"OTHER": {
			"Question about the health score of %s",
			"Customer asks for an SLA report (%s)",
		},
	}
	// orderRequests are titles of requests about an order (%[1]s the
	// account, %[2]s the order number) by the order's status.
	orderRequests = map[schematype.OrderStatus]string{
		schematype.OrderStatusProvisioning: "Order %[2]s for %[1]s stuck in provisioning",
		schematype.OrderStatusRejected:     "Order %[2]s for %[1]s rejected by mistake?",
		schematype.OrderStatusFulfilled:    "Fulfilled order %[2]s for %[1]s: check invoice and entitlements",
		schematype.OrderStatusCancelled:    "Re-open cancelled order %[2]s for %[1]s",
	}
	// generalRequests are titles of requests about no account (%s is a
	// region where there is one).
	generalRequests = map[string][]string{
		"DATA_FIX": {"Bulk update of industries for %s accounts", "Normalise billing contact emails in %s"},
		"REPORT":   {"Quarterly renewal forecast for %s", "Weekly discrepancy report for %s", "Backlog aging report for CS Ops"},
		"ACCESS":   {"Add new CSM to the ops portal", "Remove access for departed contractor", "Finance read access for the %s team"},
		"OTHER":    {"Clarify SLA definitions", "Archive old requests", "Explain health model weights"},
	}
	resolutionNotes = []string{
		"Fixed in the CRM and re-synced.",
		"Corrected the record; requester confirmed.",
		"Report delivered by email and saved as an example query.",
		"Access granted per policy; expires in 90 days.",
		"Entitlement limit aligned with the contract.",
		"Order re-submitted and fulfilled.",
		"No change needed; explained to requester.",
	}
)

func (g *generator) requests(c *chunk, ai int) {
	a := &c.accounts[ai]
	n := []int{0, 1, 2, 3}[g.weighted(45, 40, 10, 5)]
	for range n {
		g.nRequest++
		r := requestRow{number: fmt.Sprintf("R-%06d", g.nRequest), account: ai, order: none, assignee: none}
		about := g.chance(0.75)
		if !about {
			r.account = none
			r.category = []string{"REPORT", "ACCESS", "OTHER", "DATA_FIX"}[g.weighted(35, 35, 20, 10)]
		} else {
			r.category = []string{"ENTITLEMENT_DISCREPANCY", "ORDER_ISSUE", "RENEWAL", "DATA_FIX", "REPORT", "ACCESS", "OTHER"}[g.weighted(20, 15, 15, 25, 10, 5, 10)]
			if r.category == "ORDER_ISSUE" && len(a.orders) == 0 {
				r.category = "DATA_FIX"
			}
		}
		if g.requestCover < max(len(requestStatuses), len(requestPriorities)) {
			r.status = requestStatuses[g.requestCover%len(requestStatuses)]
			r.priority = requestPriorities[g.requestCover%len(requestPriorities)]
			g.requestCover++
		} else {
			r.status = requestStatuses[g.weighted(15, 12, 20, 10, 18, 25)]
			r.priority = requestPriorities[g.weighted(5, 20, 50, 25)]
		}
		switch {
		case r.category == "ORDER_ISSUE":
			r.order = pick(g, a.orders)
			o := &c.orders[r.order]
			tmpl, ok := orderRequests[o.status]
			if !ok {
				tmpl = "Order %[2]s for %[1]s needs a correction"
			}
			r.title = fmt.Sprintf(tmpl, a.name, o.number)
		case about:
			r.title = fmt.Sprintf(pick(g, accountRequests[r.category]), a.name)
		default:
			tmpl := pick(g, generalRequests[r.category])
			if strings.Contains(tmpl, "%s") {
				tmpl = fmt.Sprintf(tmpl, pick(g, schematype.AllRegions))
			}
			r.title = tmpl
		}
		r.description = fmt.Sprintf("%s\n\nRaised from the ops portal. Category %s, priority %s.", r.title, r.category, r.priority)
		r.requester = pick(g, g.requesters)
		if about && a.owner != none && a.owner != g.formerCSM && g.chance(0.5) {
			r.requester = a.owner
		}
		open := r.status != "RESOLVED" && r.status != "CLOSED"
		switch {
		case open && g.chance(0.15):
			r.created = g.now.Add(-g.dur(30*day, 90*day)) // backlog aging
		case open:
			r.created = g.now.Add(-g.dur(10*time.Minute, 21*day))
		default:
			r.created = g.now.Add(-g.dur(day, 180*day))
		}
		if about {
			r.created = g.past(maxTime(r.created, a.created.Add(day)))
		}
		if r.order != none {
			r.created = g.past(maxTime(r.created, c.orders[r.order].created.Add(time.Hour)))
		}
		r.created = r.created.Truncate(time.Second)
		sla := slaTargets[r.priority]
		r.responseDue = ptr(r.created.Add(sla[0]))
		r.resolutionDue = ptr(r.created.Add(sla[1]))
		// within returns created + d, or a point between created and now when
		// that would lie in the future.
		within := func(from time.Time, d time.Duration) time.Time {
			t := from.Add(d)
			if t.After(g.now) {
				t = from.Add(time.Duration(float64(g.now.Sub(from)) * g.uniform(0.2, 0.9)))
			}
			return t.Truncate(time.Second)
		}
		if r.status != "NEW" {
			r.firstResponse = ptr(within(r.created, time.Duration(float64(sla[0])*g.uniform(0.1, 1.6))))
		}
		switch r.status {
		case "NEW":
			if g.chance(0.1) {
				r.assignee = pick(g, g.opsUsers)
			}
		case "TRIAGED":
			if g.chance(0.6) {
				r.assignee = pick(g, g.opsUsers)
			}
		default:
			r.assignee = pick(g, g.opsUsers)
		}
		r.updated = r.created
		if r.firstResponse != nil {
			r.updated = *r.firstResponse
		}
		if !open {
			res := within(*r.firstResponse, time.Duration(float64(sla[1])*g.uniform(0.1, 1.5)))
			r.resolved = ptr(maxTime(res, *r.firstResponse))
			r.resolutionNotes = pick(g, resolutionNotes)
			r.updated = *r.resolved
			if r.status == "CLOSED" {
				r.updated = within(*r.resolved, g.dur(day, 7*day))
			}
		}
		c.requests = append(c.requests, r)
	}
}
