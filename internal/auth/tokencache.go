package auth

import (
	"crypto"
	"sync"
	"time"

	"github.com/opsgraph/opsgraph/internal/viewer"
)

// tokenCacheTTL is the longest a verified token is taken from the cache
// without being verified again. It bounds how long a token signed by a key
// that has since left the JWKS keeps working (tokens cannot be revoked
// otherwise; exp still applies on every request).
const tokenCacheTTL = 30 * time.Second

// tokenCacheSize bounds the cache: a deployment with more distinct live
// tokens than this verifies the rest every time.
const tokenCacheSize = 10_000

// tokenCache remembers the tokens verified in the last tokenCacheTTL: a
// client sends the same token with every request, and verifying it (JSON
// decoding and the signature) was 15 % of the server's CPU for a point
// lookup. The key is the whole token, so a hit is the same signed bytes.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]cachedToken
}

type cachedToken struct {
	v         *viewer.Viewer // never handed out: callers get v.Fresh()
	kid       string         // a JWKS token's key: still in the set on a hit
	key       crypto.PublicKey
	notBefore time.Time // nbf - leeway (zero: none)
	until     time.Time // min(exp + leeway, verified + tokenCacheTTL)
}

// get returns the viewer of a token verified before, while its entry
// holds and, for a JWKS token, while the key set still has its key (a key
// removed from the set refuses its tokens at once).
func (c *tokenCache) get(token string, now time.Time, keys *KeySource) (*viewer.Viewer, bool) {
	c.mu.Lock()
	e, ok := c.m[token]
	c.mu.Unlock()
	if !ok || !now.Before(e.until) || now.Before(e.notBefore) {
		return nil, false
	}
	if e.kid != "" {
		k, err := keys.Key(e.kid)
		eq, comparable := k.Public.(interface{ Equal(crypto.PublicKey) bool })
		if err != nil || !comparable || !eq.Equal(e.key) {
			return nil, false
		}
	}
	return e.v.Fresh(), true
}

func (c *tokenCache) put(token string, e cachedToken, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cachedToken{}
	}
	if len(c.m) >= tokenCacheSize {
		for k, old := range c.m {
			if !now.Before(old.until) {
				delete(c.m, k)
			}
		}
		for k := range c.m { // still full: drop one at random
			if len(c.m) < tokenCacheSize {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[token] = e
}
