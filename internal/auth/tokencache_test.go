package auth

import (
	"fmt"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/internal/viewer"
)

// A token verified once is answered from the cache, each time as a fresh
// viewer: nothing one request memoizes reaches the next.
func TestVerifiedTokensAreCachedPerRequestFresh(t *testing.T) {
	tok := mint(t, testCfg, MintOptions{Subject: "bob@example.com", Roles: []string{viewer.RoleCSM}, TTL: time.Hour})
	v, err := NewVerifier(testCfg)
	if err != nil {
		t.Fatal(err)
	}
	first, err := v.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := v.cache.m[tok]; !ok {
		t.Fatal("a verified token was not cached")
	}
	if got, _ := first.Memo("k", func() (any, error) { return 1, nil }); got != 1 {
		t.Fatal(got)
	}
	second, err := v.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if second == first || second.Subject != first.Subject || !second.Expires.Equal(first.Expires) {
		t.Fatalf("second viewer %+v, first %+v", second, first)
	}
	if got, _ := second.Memo("k", func() (any, error) { return 2, nil }); got != 2 {
		t.Fatal("a memoized value of one request reached the next")
	}
	// A tampered token is not a hit: it is verified, and refused.
	if _, err := v.Verify(tok[:len(tok)-2] + "xx"); err == nil {
		t.Fatal("tampered token accepted")
	}
}

func TestTokenCacheEntryLifetime(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	vw := &viewer.Viewer{Subject: "s"}
	var c tokenCache
	c.put("t", cachedToken{v: vw, notBefore: now.Add(time.Minute), until: now.Add(2 * time.Minute)}, now)
	for _, tc := range []struct {
		at  time.Duration
		hit bool
	}{{0, false}, {time.Minute, true}, {2*time.Minute - time.Nanosecond, true}, {2 * time.Minute, false}} {
		if _, ok := c.get("t", now.Add(tc.at), nil); ok != tc.hit {
			t.Errorf("at +%s: hit %t, want %t", tc.at, ok, tc.hit)
		}
	}
	// Full: expired entries go first, then arbitrary ones; never over the
	// bound.
	for i := range tokenCacheSize + 10 {
		c.put(fmt.Sprint(i), cachedToken{v: vw, until: now.Add(time.Hour)}, now)
	}
	if len(c.m) > tokenCacheSize {
		t.Fatalf("%d entries, bound %d", len(c.m), tokenCacheSize)
	}
	if _, ok := c.get(fmt.Sprint(tokenCacheSize+9), now, nil); !ok {
		t.Fatal("the newest entry was dropped")
	}
}
