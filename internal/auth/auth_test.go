package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/opsgraph/opsgraph/internal/viewer"
)

var (
	testSecret  = []byte("0123456789abcdef0123456789abcdef-test")
	otherSecret = []byte("fedcba9876543210fedcba9876543210-other")
	testCfg     = Config{Secret: testSecret, Issuer: "opsgraph-test", Audience: "opsgraph-api"}
)

// mint issues a token for testCfg (or cfg when given) and fails the test on error.
func mint(t *testing.T, cfg Config, opts MintOptions) string {
	t.Helper()
	if opts.Subject == "" {
		opts.Subject = "alice@example.com"
	}
	if opts.Roles == nil {
		opts.Roles = []string{viewer.RoleOpsAnalyst}
	}
	if opts.TTL == 0 {
		opts.TTL = time.Hour
	}
	tok, err := Mint(cfg, opts)
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	return tok
}

// validClaims returns a claim set Verify accepts under testCfg.
func validClaims() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"sub":   "alice@example.com",
		"roles": []string{viewer.RoleOpsAnalyst},
		"iss":   testCfg.Issuer,
		"aud":   testCfg.Audience,
		"iat":   now.Unix(),
		"nbf":   now.Unix(),
		"exp":   now.Add(time.Hour).Unix(),
	}
}

// with returns validClaims with key set to val, or deleted when val is nil.
func with(key string, val any) jwt.MapClaims {
	c := validClaims()
	if val == nil {
		delete(c, key)
	} else {
		c[key] = val
	}
	return c
}

func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.Claims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", method.Alg(), err)
	}
	return tok
}

func b64(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// algNoneToken builds an unsigned token by hand.
func algNoneToken() string {
	return b64(map[string]string{"alg": "none", "typ": "JWT"}) + "." + b64(validClaims()) + "."
}

// tamper replaces the payload of a signed token, keeping its signature.
func tamper(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var payload map[string]any
	if err := json.Unmarshal(raw, &payload); err != nil {
		t.Fatal(err)
	}
	payload["roles"] = []string{viewer.RoleAdmin}
	parts[1] = b64(payload)
	return strings.Join(parts, ".")
}

func TestMiddleware(t *testing.T) {
	v, err := NewVerifier(testCfg)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	valid := mint(t, testCfg, MintOptions{
		Subject: "svc-billing",
		Roles:   []string{viewer.RoleIntegration, viewer.RoleFinance},
		Scopes:  []string{"invoices:read", "invoices:write"},
	})
	ago := func(d time.Duration) func() time.Time {
		return func() time.Time { return time.Now().Add(-d) }
	}

	tests := []struct {
		name   string
		header string // Authorization header; none when empty
		token  string // must not leak into the body
		reason string // expected error message; empty means success
	}{
		{name: "valid", header: "Bearer " + valid},
		{name: "valid lowercase scheme", header: "bearer " + valid},
		{name: "expired within leeway",
			header: "Bearer " + mint(t, testCfg, MintOptions{TTL: time.Minute, Now: ago(time.Minute + 10*time.Second)})},
		{name: "missing header", reason: "missing bearer token"},
		{name: "empty bearer", header: "Bearer ", reason: "missing bearer token"},
		{name: "wrong scheme", header: "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:pw")),
			token: base64.StdEncoding.EncodeToString([]byte("alice:pw")), reason: "authorization scheme must be Bearer"},
		{name: "malformed", token: "not-a-jwt", reason: "token malformed"},
		{name: "malformed segments", token: "a.b.c", reason: "token malformed"},
		{name: "expired beyond leeway",
			token:  mint(t, testCfg, MintOptions{TTL: time.Minute, Now: ago(3 * time.Minute)}),
			reason: "token expired"},
		{name: "not valid yet", token: sign(t, jwt.SigningMethodHS256, testSecret, with("nbf", time.Now().Add(time.Hour).Unix())),
			reason: "token not valid yet"},
		{name: "tampered payload", token: tamper(t, valid), reason: "token signature invalid"},
		{name: "other secret", token: mint(t, Config{Secret: otherSecret, Issuer: testCfg.Issuer, Audience: testCfg.Audience}, MintOptions{}),
			reason: "token signature invalid"},
		{name: "alg none", token: algNoneToken(), reason: "unexpected signing algorithm"},
		{name: "HS512 same secret", token: sign(t, jwt.SigningMethodHS512, testSecret, validClaims()),
			reason: "unexpected signing algorithm"},
		{name: "RS256", token: sign(t, jwt.SigningMethodRS256, rsaKey, validClaims()),
			reason: "unexpected signing algorithm"},
		{name: "missing exp", token: sign(t, jwt.SigningMethodHS256, testSecret, with("exp", nil)),
			reason: "missing exp claim"},
		{name: "wrong issuer", token: mint(t, Config{Secret: testSecret, Issuer: "evil", Audience: testCfg.Audience}, MintOptions{}),
			reason: "invalid issuer"},
		{name: "missing issuer", token: sign(t, jwt.SigningMethodHS256, testSecret, with("iss", nil)),
			reason: "missing iss claim"},
		{name: "wrong audience", token: mint(t, Config{Secret: testSecret, Issuer: testCfg.Issuer, Audience: "other-api"}, MintOptions{}),
			reason: "invalid audience"},
		{name: "missing audience", token: sign(t, jwt.SigningMethodHS256, testSecret, with("aud", nil)),
			reason: "missing aud claim"},
		{name: "missing sub", token: sign(t, jwt.SigningMethodHS256, testSecret, with("sub", nil)),
			reason: "missing sub claim"},
		{name: "missing roles", token: sign(t, jwt.SigningMethodHS256, testSecret, with("roles", nil)),
			reason: "missing roles claim"},
		{name: "roles not array", token: sign(t, jwt.SigningMethodHS256, testSecret, with("roles", viewer.RoleAdmin)),
			reason: "roles claim must be an array of strings"},
		{name: "unknown role", token: sign(t, jwt.SigningMethodHS256, testSecret, with("roles", []string{viewer.RoleViewer, "ROOT"})),
			reason: "unknown role in roles claim"},
		{name: "empty roles", token: sign(t, jwt.SigningMethodHS256, testSecret, with("roles", []string{})),
			reason: "empty roles claim"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := tt.header
			if header == "" && tt.token != "" {
				header = "Bearer " + tt.token
			}
			var got *viewer.Viewer
			called := false
			h := Middleware(v, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
				got = viewer.FromContext(r.Context())
			}))
			req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			if header != "" {
				req.Header.Set("Authorization", header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if tt.reason == "" {
				if rec.Code != http.StatusOK || !called {
					t.Fatalf("status %d, next called %v; body %s", rec.Code, called, rec.Body)
				}
				if got == nil {
					t.Fatal("no viewer in context")
				}
				if got.Subject == "" || len(got.Roles) == 0 {
					t.Fatalf("incomplete viewer %+v", got)
				}
				return
			}
			if called {
				t.Fatal("next handler called for an unauthenticated request")
			}
			assertUnauthenticated(t, rec, tt.reason, strings.HasPrefix(strings.ToLower(header), "bearer ") && tt.token != "")
			if tt.token != "" && strings.Contains(rec.Body.String(), tt.token) {
				t.Errorf("body echoes the token: %s", rec.Body)
			}
		})
	}

	t.Run("viewer fields", func(t *testing.T) {
		var got *viewer.Viewer
		h := Middleware(v, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = viewer.FromContext(r.Context())
		}))
		req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		req.Header.Set("Authorization", "Bearer "+valid)
		h.ServeHTTP(httptest.NewRecorder(), req)
		want := viewer.Viewer{
			Subject: "svc-billing",
			Roles:   []string{viewer.RoleIntegration, viewer.RoleFinance},
			Scopes:  []string{"invoices:read", "invoices:write"},
		}
		if got == nil || got.Subject != want.Subject || !slices.Equal(got.Roles, want.Roles) ||
			!slices.Equal(got.Scopes, want.Scopes) || got.System || got.Expires.IsZero() {
			t.Fatalf("viewer = %s %v %v, want %s %v %v", got.Subject, got.Roles, got.Scopes, want.Subject, want.Roles, want.Scopes)
		}
	})
}

func assertUnauthenticated(t *testing.T, rec *httptest.ResponseRecorder, reason string, tokenPresent bool) {
	t.Helper()
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401", rec.Code)
	}
	wantChallenge := `Bearer realm="opsgraph"`
	if tokenPresent {
		wantChallenge += `, error="invalid_token"`
	}
	if got := rec.Header().Get("WWW-Authenticate"); got != wantChallenge {
		t.Errorf("WWW-Authenticate = %q, want %q", got, wantChallenge)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	var body struct {
		Errors []struct {
			Message    string            `json:"message"`
			Extensions map[string]string `json:"extensions"`
		} `json:"errors"`
	}
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("decode body: %v", err)
	}
	if len(body.Errors) != 1 {
		t.Fatalf("errors = %+v, want exactly one", body.Errors)
	}
	e := body.Errors[0]
	if e.Message != reason {
		t.Errorf("message = %q, want %q", e.Message, reason)
	}
	if e.Extensions["code"] != "UNAUTHENTICATED" {
		t.Errorf("extensions = %v, want code UNAUTHENTICATED", e.Extensions)
	}
}

func TestVerifyErrors(t *testing.T) {
	v, err := NewVerifier(testCfg)
	if err != nil {
		t.Fatal(err)
	}
	tok := mint(t, Config{Secret: otherSecret, Issuer: testCfg.Issuer, Audience: testCfg.Audience}, MintOptions{})
	_, err = v.Verify(tok)
	if !errors.Is(err, ErrUnauthenticated) || !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
		t.Fatalf("err = %v, want ErrUnauthenticated wrapping the signature error", err)
	}
	if strings.Contains(err.Error(), tok) {
		t.Errorf("error echoes the token: %v", err)
	}
	if got := Reason(err); got != "token signature invalid" {
		t.Errorf("Reason = %q", got)
	}
	if got := Reason(errors.New("boom")); got != "invalid token" {
		t.Errorf("Reason(other) = %q", got)
	}
}

func TestVerifyNoIssuerAudience(t *testing.T) {
	cfg := Config{Secret: testSecret}
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Tokens with any iss/aud pass when the verifier checks neither.
	if _, err := v.Verify(mint(t, testCfg, MintOptions{})); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if _, err := v.Verify(mint(t, cfg, MintOptions{})); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestNewVerifierSecret(t *testing.T) {
	for _, secret := range [][]byte{nil, {}, []byte("short"), make([]byte, MinSecretLen-1)} {
		if _, err := NewVerifier(Config{Secret: secret}); err == nil {
			t.Errorf("NewVerifier(%d-byte secret) succeeded", len(secret))
		}
	}
	if _, err := NewVerifier(Config{Secret: make([]byte, MinSecretLen)}); err != nil {
		t.Errorf("NewVerifier(%d-byte secret): %v", MinSecretLen, err)
	}
}

func TestMintRoundTrip(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	opts := MintOptions{
		Subject: "bob@example.com",
		Roles:   []string{viewer.RoleAdmin, viewer.RoleCSM},
		Scopes:  []string{"a", "b:c"},
		TTL:     15 * time.Minute,
		Now:     func() time.Time { return now },
	}
	tok := mint(t, testCfg, opts)

	v, err := NewVerifier(testCfg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Verify(tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got.Subject != opts.Subject || !slices.Equal(got.Roles, opts.Roles) || !slices.Equal(got.Scopes, opts.Scopes) {
		t.Fatalf("viewer = %+v", got)
	}

	// Inspect the raw claims.
	claims := jwt.MapClaims{}
	parsed, err := jwt.NewParser().ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return testSecret, nil })
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Header["alg"] != "HS256" {
		t.Errorf("alg = %v", parsed.Header["alg"])
	}
	for name, want := range map[string]float64{
		"iat": float64(now.Unix()),
		"nbf": float64(now.Unix()),
		"exp": float64(now.Add(opts.TTL).Unix()),
	} {
		if claims[name] != want {
			t.Errorf("%s = %v, want %v", name, claims[name], want)
		}
	}
	if claims["iss"] != testCfg.Issuer || claims["scope"] != "a b:c" {
		t.Errorf("iss = %v, scope = %v", claims["iss"], claims["scope"])
	}
	if aud, _ := claims.GetAudience(); !slices.Equal(aud, []string{testCfg.Audience}) {
		t.Errorf("aud = %v", aud)
	}
	jti, _ := claims["jti"].(string)
	if jti == "" {
		t.Error("missing jti")
	}
	claims2 := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(mint(t, testCfg, opts), claims2); err != nil {
		t.Fatal(err)
	}
	if claims2["jti"] == jti {
		t.Error("two tokens share a jti")
	}

	// No scopes, no iss/aud: those claims are omitted.
	claims3 := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(mint(t, Config{Secret: testSecret}, MintOptions{}), claims3); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"scope", "iss", "aud"} {
		if _, ok := claims3[name]; ok {
			t.Errorf("claim %s present: %v", name, claims3[name])
		}
	}
}

func TestMintInvalid(t *testing.T) {
	ok := MintOptions{Subject: "s", Roles: []string{viewer.RoleViewer}, TTL: time.Minute}
	tests := []struct {
		name string
		cfg  Config
		edit func(*MintOptions)
	}{
		{"short secret", Config{Secret: []byte("short")}, func(*MintOptions) {}},
		{"no subject", testCfg, func(o *MintOptions) { o.Subject = "" }},
		{"zero TTL", testCfg, func(o *MintOptions) { o.TTL = 0 }},
		{"negative TTL", testCfg, func(o *MintOptions) { o.TTL = -time.Minute }},
		{"no roles", testCfg, func(o *MintOptions) { o.Roles = nil }},
		{"unknown role", testCfg, func(o *MintOptions) { o.Roles = []string{"ROOT"} }},
		{"scope with space", testCfg, func(o *MintOptions) { o.Scopes = []string{"a b"} }},
		{"empty scope", testCfg, func(o *MintOptions) { o.Scopes = []string{""} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := ok
			tt.edit(&opts)
			if tok, err := Mint(tt.cfg, opts); err == nil {
				t.Fatalf("Mint succeeded: %s", tok)
			}
		})
	}
}

func TestLoadOrCreateSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "nested", "jwt.secret")
	first, err := LoadOrCreateSecret(path)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if len(first) != 32 {
		t.Fatalf("secret is %d bytes, want 32", len(first))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("mode = %v, want 0600", perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(data)); got != hex.EncodeToString(first) {
		t.Errorf("file holds %q, want hex of the secret", got)
	}
	again, err := LoadOrCreateSecret(path)
	if err != nil {
		t.Fatalf("re-read: %v", err)
	}
	if !slices.Equal(first, again) {
		t.Error("re-read returned a different secret")
	}
	if _, err := NewVerifier(Config{Secret: first}); err != nil {
		t.Errorf("generated secret rejected: %v", err)
	}
}

func TestLoadOrCreateSecretRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jwt.secret")
	const n = 16
	secrets := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { secrets[i], errs[i] = LoadOrCreateSecret(path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		if !slices.Equal(secrets[i], secrets[0]) {
			t.Fatalf("goroutine %d got a different secret", i)
		}
	}
}

func TestLoadOrCreateSecretInvalidFile(t *testing.T) {
	for name, content := range map[string]string{
		"not hex":   "zz-not-hex",
		"too short": hex.EncodeToString([]byte("short")),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "jwt.secret")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadOrCreateSecret(path); err == nil {
				t.Fatal("invalid secret file accepted")
			}
		})
	}
}

func TestParseSecret(t *testing.T) {
	const s = " secret-with-spaces-and-more-than-32-bytes \n"
	if got := ParseSecret(s); string(got) != s {
		t.Errorf("ParseSecret = %q, want it verbatim", got)
	}
}
