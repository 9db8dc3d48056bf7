package explorer_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/opsgraph/opsgraph/internal/explorer"
)

// Every explorer response carries the security headers: the page, its
// assets, the JSON routes and errors alike.
func TestSecurityHeaders(t *testing.T) {
	h := explorer.Handler(explorer.Options{})
	page := get(t, h, "/")
	m := assetRef.FindStringSubmatch(page.Body.String())
	if m == nil {
		t.Fatal("the page references no asset")
	}
	for _, target := range []string{"/", "/explorer/" + m[1], "/explorer/operations.json", "/explorer/third-party-licenses.txt",
		"/explorer/dev-token?role=ADMIN", "/explorer/assets/no-such-file.js"} {
		res := get(t, h, target)
		hd := res.Header()
		csp := hd.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "default-src 'self'") ||
			!strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "http") ||
			regexp.MustCompile(`script-src[^;]*'unsafe-inline'`).MatchString(csp) {
			t.Errorf("GET %s: Content-Security-Policy %q", target, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if got := hd.Get(k); got != v {
				t.Errorf("GET %s (%d): %s = %q, want %q", target, res.Code, k, got, v)
			}
		}
	}
	// No inline script in the page: the CSP would block it.
	if regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`).MatchString(page.Body.String()) {
		t.Error("the page has an inline script")
	}
}
