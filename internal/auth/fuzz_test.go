package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/opsgraph/opsgraph/internal/viewer"
)

// FuzzToken feeds arbitrary Authorization header values to
// Verifier.Authenticate (bearer parsing, then JWT verification). It never
// panics; every refusal is an *Error wrapping ErrUnauthenticated whose
// reason does not echo the token; and a header it accepts carries an HS256
// token whose signature is the HMAC of its first two parts under the
// configured secret (checked here independently of the jwt library), with
// the expected issuer and audience and a viewer of known roles. It also
// checks the round trip: whatever Mint issues for an arbitrary subject,
// role set, scopes and TTL, Authenticate accepts as the same viewer.
func FuzzToken(f *testing.F) {
	v, err := NewVerifier(testCfg)
	if err != nil {
		f.Fatal(err)
	}
	good, err := Mint(testCfg, MintOptions{Subject: "alice@example.com", Roles: []string{viewer.RoleAdmin, viewer.RoleCSM}, Scopes: []string{"a", "b"}, TTL: 24 * time.Hour})
	if err != nil {
		f.Fatal(err)
	}
	other, _ := Mint(Config{Secret: otherSecret, Issuer: testCfg.Issuer, Audience: testCfg.Audience}, MintOptions{Subject: "mallory", Roles: []string{viewer.RoleAdmin}, TTL: time.Hour})
	sign := func(m jwt.SigningMethod, key any, c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			f.Fatal(err)
		}
		return s
	}
	bob := jwt.MapClaims{"sub": "bob", "roles": []string{viewer.RoleViewer}, "iss": testCfg.Issuer, "aud": testCfg.Audience, "exp": time.Now().Add(24 * time.Hour).Unix()}
	parts := strings.Split(good, ".")
	for _, h := range []string{
		"", "Bearer", "Bearer ", "Bearer  ", "Basic dXNlcjpwYXNz", "bearer " + good, "BEARER\t" + good,
		"  Bearer   " + good + "  ", "Bearer " + good, "Bearer " + good + "x", "Bearer " + other,
		"Bearer " + parts[0] + "." + parts[1] + ".", "Bearer " + parts[0] + "." + parts[1],
		"Bearer " + parts[0] + "." + parts[1] + "." + parts[2] + "=", "Bearer " + good + "." + parts[2],
		"Bearer " + sign(jwt.SigningMethodHS384, testSecret, bob),
		"Bearer " + sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, bob),
		"Bearer " + sign(jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"sub": "bob", "roles": "ADMIN", "exp": 4102444800}),
		"Bearer " + sign(jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"sub": "bob", "roles": []any{1}, "iss": testCfg.Issuer, "aud": testCfg.Audience, "exp": 4102444800}),
		"Bearer " + sign(jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"roles": []string{"ADMIN"}, "iss": testCfg.Issuer, "aud": testCfg.Audience, "exp": 4102444800}),
		"Bearer e30.e30.", "Bearer ...", "Bearer a.b.c.d", "Bearer eyJhbGciOiJIUzI1NiIsImNyaXQiOlsiZXhwIl19.e30.x",
	} {
		f.Add(h, "alice@example.com", uint16(1), "read write", int64(3600_000))
	}
	f.Add("", "x", uint16(0x1ff), "", int64(1))
	f.Add("", "üñí ☃ \"quoted\" \\", uint16(4), "a,b", int64(1<<40))
	f.Add("", "", uint16(1), "", int64(60))
	f.Add("", "bob", uint16(0), "", int64(60))
	f.Add("", "bob", uint16(2), "", int64(-1))
	f.Fuzz(func(t *testing.T, header, subject string, roleMask uint16, scopes string, ttl int64) {
		mintVerify(t, v, subject, roleMask, scopes, ttl)
		vw, err := v.Authenticate(header)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("Authenticate(%q): error %v (%T) is not an *Error wrapping ErrUnauthenticated", header, err, err)
			}
			if tok, _ := bearerToken(header); len(tok) >= 8 && strings.Contains(Reason(err), tok) {
				t.Fatalf("Authenticate(%q): reason %q echoes the token", header, Reason(err))
			}
			if vw != nil {
				t.Fatalf("Authenticate(%q) failed but returned a viewer", header)
			}
			return
		}
		tok, _ := bearerToken(header)
		seg := strings.Split(tok, ".")
		if len(seg) != 3 {
			t.Fatalf("accepted %q, not three segments", tok)
		}
		var head struct {
			Alg string `json:"alg"`
		}
		raw, err := base64.RawURLEncoding.DecodeString(seg[0])
		if err != nil || json.Unmarshal(raw, &head) != nil || head.Alg != signingAlg {
			t.Fatalf("accepted %q whose header %q is not an HS256 header", tok, raw)
		}
		sig, err := base64.RawURLEncoding.DecodeString(seg[2])
		mac := hmac.New(sha256.New, testSecret)
		mac.Write([]byte(seg[0] + "." + seg[1]))
		if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
			t.Fatalf("accepted %q, not signed with the secret", tok)
		}
		var c claims
		raw, err = base64.RawURLEncoding.DecodeString(seg[1])
		if err != nil || json.Unmarshal(raw, &c) != nil {
			t.Fatalf("accepted %q with undecodable claims %q", tok, raw)
		}
		if c.Issuer != testCfg.Issuer || !slices.Contains(c.Audience, testCfg.Audience) || c.ExpiresAt == nil {
			t.Fatalf("accepted %q with claims %s", tok, raw)
		}
		if vw.Subject == "" || len(vw.Roles) == 0 || slices.ContainsFunc(vw.Roles, func(r string) bool { return !viewer.IsRole(r) }) {
			t.Fatalf("accepted %q as viewer %+v", tok, vw)
		}
	})
}

// mintVerify mints a token for the inputs (ttl in milliseconds) and checks
// Authenticate returns the same viewer.
func mintVerify(t *testing.T, v *Verifier, subject string, roleMask uint16, scopes string, ttl int64) {
	var roles []string
	for i, r := range viewer.Roles {
		if roleMask&(1<<i) != 0 {
			roles = append(roles, r)
		}
	}
	opts := MintOptions{Subject: subject, Roles: roles, Scopes: strings.Fields(scopes), TTL: time.Duration(ttl) * time.Millisecond}
	tok, err := Mint(testCfg, opts)
	if err != nil {
		return // refused input (empty subject, no role, non-positive TTL)
	}
	vw, err := v.Authenticate("Bearer " + tok)
	if opts.TTL < time.Second { // exp is in whole seconds: a sub-second TTL may be expired already, within the leeway
		if err != nil && Reason(err) != "token expired" {
			t.Fatalf("minted %+v: %v", opts, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("minted %+v, Authenticate: %v", opts, err)
	}
	if vw.Subject != subject || !slices.Equal(vw.Roles, roles) || !slices.Equal(vw.Scopes, opts.Scopes) {
		t.Fatalf("minted %+v, verified as %+v", opts, vw)
	}
}
