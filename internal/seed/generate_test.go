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
