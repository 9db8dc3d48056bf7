package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Authenticate is what both the HTTP middleware and the websocket's
// connection_init use.
func TestAuthenticate(t *testing.T) {
	cfg := Config{Secret: []byte(strings.Repeat("k", MinSecretLen))}
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := Mint(cfg, MintOptions{Subject: "svc", Roles: []string{"INTEGRATION"}, Scopes: []string{"read"}, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	vw, err := v.Authenticate("bearer " + tok)
	if err != nil || vw.Subject != "svc" || !vw.HasScope("read") {
		t.Fatalf("viewer %+v, err %v", vw, err)
	}
	for header, reason := range map[string]string{
		"":                    "missing bearer token",
		"Bearer ":             "missing bearer token",
		"Basic dXNlcjpwdw==":  "authorization scheme must be Bearer",
		"Bearer " + tok + "x": "token signature invalid",
	} {
		_, err := v.Authenticate(header)
		if !errors.Is(err, ErrUnauthenticated) || Reason(err) != reason {
			t.Errorf("Authenticate(%.20q): %v, want reason %q", header, err, reason)
		}
		if noToken := errors.Is(err, errNoToken); noToken != (reason != "token signature invalid") {
			t.Errorf("Authenticate(%.20q): no-token %v", header, noToken)
		}
	}
}
