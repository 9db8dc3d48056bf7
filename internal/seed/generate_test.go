package seed

import (
	"slices"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/internal/viewer"
)

// TestCSMsScale checks the CSM team grows with the accounts: csm1..csm6 up
// to 3,000 accounts, then one more per 500.
func TestCSMsScale(t *testing.T) {
	now := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct{ accounts, csms int }{{200, 6}, {3000, 6}, {3001, 7}, {4000, 8}, {100_000, 200}} {
		g := newGenerator(1, now, c.accounts, bulkProfile)
		emails := map[string]bool{}
		n := 0
		for _, u := range g.users {
			if emails[u.email] {
				t.Errorf("%d accounts: duplicate email %s", c.accounts, u.email)
			}
			emails[u.email] = true
			if slices.Contains(u.roles, viewer.RoleCSM) && len(u.roles) == 1 && !u.inactive {
				n++
			}
		}
		if n != c.csms || !emails[CSMEmail(c.csms)] || emails[CSMEmail(c.csms+1)] {
			t.Errorf("%d accounts: %d CSMs, want csm1..csm%d", c.accounts, n, c.csms)
		}
	}
}

// TestGeneratorDeterministic checks the generator alone is
// deterministic.
func TestGeneratorDeterministic(t *testing.T) {
	now := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)
	a, b := newGenerator(5, now, 300, demoProfile).chunk(), newGenerator(5, now, 300, demoProfile).chunk()
	if len(a.accounts) != 300 || len(a.signals) != len(b.signals) || a.accounts[299].name != b.accounts[299].name {
		t.Fatalf("generator not deterministic: %d/%d accounts", len(a.accounts), len(b.accounts))
	}
}

// TestPlanTimes checks, for many seeds and reference times, that the plan's
// times are in the order its actions need (Demo replays them in time order:
// a record must exist before it is acted on) and never after now.
func TestPlanTimes(t *testing.T) {
	for i := range 24 {
		seed := int64(i + 1)
		now := time.Date(2026, 3, 16, 14, 30, 0, 0, time.UTC).Add(time.Duration(i) * 97 * time.Hour)
		g := newGenerator(seed, now, 200, demoProfile)
		g.perChunk = 200
		c := g.chunk()
		now = g.now
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("seed %d, now %s: "+format, append([]any{seed, now}, args...)...)
		}
		ordered := func(what string, ts ...time.Time) {
			t.Helper()
			for k := 1; k < len(ts); k++ {
				if ts[k].Before(ts[k-1]) {
					fail("%s: time %d (%s) before time %d (%s)", what, k, ts[k], k-1, ts[k-1])
				}
			}
			if ts[len(ts)-1].After(now) {
				fail("%s: %s after now", what, ts[len(ts)-1])
			}
		}
		for _, u := range g.users {
			ordered("user "+u.email, u.created, g.catalogAt, g.formerLeft)
		}
		for _, a := range c.accounts {
			ordered("account "+a.name, g.catalogAt, a.created, a.stageAt)
			if a.parent != none {
				ordered("parent of "+a.name, c.accounts[a.parent].created, a.created)
			}
			if a.owner == g.formerCSM {
				ordered("account of the former CSM "+a.name, a.created, g.formerLeft)
			}
		}
		for _, k := range c.contracts {
			ordered("contract "+k.number, c.accounts[k.account].created, k.created)
			if k.signed != nil {
				ordered("contract "+k.number+" signed", k.created, *k.signed)
			}
			if k.closed != nil {
				ordered("contract "+k.number+" closed", *k.signed, *k.closed)
			}
			for _, ii := range k.items {
				if it := c.items[ii]; it.lowered != nil {
					ordered("item of "+k.number, *k.signed, *it.lowered)
				}
			}
		}
		for _, o := range c.orders {
			ordered("order "+o.number, append([]time.Time{c.accounts[o.account].created}, o.times...)...)
			if o.contract != none {
				ordered("order "+o.number+" under its contract", c.contracts[o.contract].created, o.times[0])
			}
			if o.invoiced != nil {
				ordered("order "+o.number+" invoiced", o.last(), *o.invoiced)
			}
		}
		for _, e := range c.ents {
			ts := []time.Time{c.accounts[e.account].created, e.created}
			if e.usageAt != nil {
				ordered("usage report", e.created, *e.usageAt, e.usageReported)
			}
			for _, x := range []*time.Time{e.suspended, e.revoked} {
				if x != nil {
					ordered("entitlement action", append(ts, *x)...)
				}
			}
			if e.overrideLimit != nil {
				ordered("override", e.created, e.overrideAt)
				if !e.overrideExpires.After(e.overrideAt) {
					fail("override expires %s before it is granted %s", e.overrideExpires, e.overrideAt)
				}
			}
		}
		for _, s := range c.signals {
			ordered("signal", c.accounts[s.account].created, s.observed, g.runs[s.run])
		}
		for _, r := range c.requests {
			ts := []time.Time{r.created}
			if r.account != none {
				ts = []time.Time{c.accounts[r.account].created, r.created}
			}
			if r.order != none {
				ordered("request "+r.number+" about its order", c.orders[r.order].updated(), r.created)
			}
			for _, a := range r.actions {
				ts = append(ts, a.at)
			}
			ordered("request "+r.number, ts...)
		}
	}
}
