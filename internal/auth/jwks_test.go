package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/opsgraph/opsgraph/internal/clocktest"
)

// testKey is a signing key with the JWK that publishes its public half.
type testKey struct {
	kid    string
	method jwt.SigningMethod
	priv   crypto.Signer
}

func (k testKey) jwk() map[string]any { return jwkFor(k.kid, k.priv.Public(), "") }

// sign signs claims with k under k's kid.
func (k testKey) sign(t *testing.T, claims jwt.Claims) string {
	t.Helper()
	return signKid(t, k.method, k.priv, k.kid, claims)
}

func signKid(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", method.Alg(), err)
	}
	return s
}

func newRSA(t testing.TB, bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newEC(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newEd25519(t testing.TB) ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Keys shared by the tests (RSA generation is slow under -race).
var (
	keysOnce sync.Once
	rsaA     *rsa.PrivateKey // "rsa-1", RS256 (no alg member)
	rsaB     *rsa.PrivateKey // "rsa-2", pinned to RS384
	rsaOther *rsa.PrivateKey // not in any set
	ecP256   *ecdsa.PrivateKey
	ecP384   *ecdsa.PrivateKey
	ecP521   *ecdsa.PrivateKey
	edKey    ed25519.PrivateKey
)

func testKeys(t testing.TB) {
	keysOnce.Do(func() {
		rsaA, rsaB, rsaOther = newRSA(t, 2048), newRSA(t, 2048), newRSA(t, 2048)
		ecP256, ecP384, ecP521 = newEC(t, elliptic.P256()), newEC(t, elliptic.P384()), newEC(t, elliptic.P521())
		edKey = newEd25519(t)
	})
}

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwkFor returns the public JWK of pub with the given kid and alg ("" for none).
func jwkFor(kid string, pub crypto.PublicKey, alg string) map[string]any {
	m := map[string]any{"kid": kid, "use": "sig"}
	if alg != "" {
		m["alg"] = alg
	}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		m["kty"], m["n"], m["e"] = "RSA", b64u(p.N.Bytes()), b64u(big.NewInt(int64(p.E)).Bytes())
	case *ecdsa.PublicKey:
		raw, err := p.Bytes()
		if err != nil {
			panic(err)
		}
		size := (len(raw) - 1) / 2
		m["kty"], m["crv"] = "EC", p.Curve.Params().Name
		m["x"], m["y"] = b64u(raw[1:1+size]), b64u(raw[1+size:])
	case ed25519.PublicKey:
		m["kty"], m["crv"], m["x"] = "OKP", "Ed25519", b64u(p)
	default:
		panic("unsupported key")
	}
	return m
}

func jwksJSON(keys ...map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		panic(err)
	}
	return b
}

// standardSet is the JWKS most tests use, with the keys signing its tokens.
func standardSet(t testing.TB) ([]byte, map[string]testKey) {
	testKeys(t)
	keys := map[string]testKey{
		"RS256": {"rsa-1", jwt.SigningMethodRS256, rsaA},
		"RS384": {"rsa-2", jwt.SigningMethodRS384, rsaB},
		"ES256": {"ec-256", jwt.SigningMethodES256, ecP256},
		"ES384": {"ec-384", jwt.SigningMethodES384, ecP384},
		"ES512": {"ec-521", jwt.SigningMethodES512, ecP521},
		"EdDSA": {"ed-1", jwt.SigningMethodEdDSA, edKey},
	}
	var jwks []map[string]any
	for alg, k := range keys {
		j := k.jwk()
		if alg == "RS384" {
			j["alg"] = "RS384"
		}
		jwks = append(jwks, j)
	}
	return jwksJSON(jwks...), keys
}

func newFakeClock() *clocktest.Clock { return clocktest.New(time.Now()) }

// jwksServer serves a replaceable JWKS over TLS and counts the requests.
type jwksServer struct {
	*httptest.Server
	mu       sync.Mutex
	body     []byte
	status   int
	requests atomic.Int64
}

func newJWKSServer(t *testing.T, body []byte) *jwksServer {
	s := &jwksServer{body: body, status: http.StatusOK}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		s.mu.Lock()
		body, status := s.body, s.status
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // TLS handshake errors of the untrusted-certificate test
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(body []byte, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body, s.status = body, status
}

// source is where a test's JWKS lives: a file or a TLS server.
type source struct {
	name   string
	file   string
	server *jwksServer
}

func newSource(t *testing.T, kind string, body []byte) *source {
	s := &source{name: kind}
	switch kind {
	case "file":
		s.file = filepath.Join(t.TempDir(), "jwks.json")
		s.publish(t, body)
	case "url":
		s.server = newJWKSServer(t, body)
	default:
		t.Fatalf("unknown source %q", kind)
	}
	return s
}

// publish replaces the JWKS (atomically for files, as a deployment would).
func (s *source) publish(t *testing.T, body []byte) {
	t.Helper()
	if s.server != nil {
		s.server.set(body, http.StatusOK)
		return
	}
	tmp := s.file + ".tmp"
	if err := os.WriteFile(tmp, body, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, s.file); err != nil {
		t.Fatal(err)
	}
}

func (s *source) options(clock *clocktest.Clock) KeySourceOptions {
	o := KeySourceOptions{File: s.file}
	if s.server != nil {
		o = KeySourceOptions{URL: s.server.URL, HTTPClient: s.server.Client()}
	}
	if clock != nil {
		o.now = clock.Now
	}
	return o
}

func (s *source) keySource(t *testing.T, clock *clocktest.Clock) *KeySource {
	t.Helper()
	ks, err := NewKeySource(context.Background(), s.options(clock))
	if err != nil {
		t.Fatalf("NewKeySource(%s): %v", s.name, err)
	}
	return ks
}

// reheader replaces the header of a signed token (its signature no longer
// matches, which must not matter: the header is rejected first).
func reheader(tok string, header map[string]string) string {
	_, rest, _ := strings.Cut(tok, ".")
	return b64(header) + "." + rest
}

func jwksVerifier(t *testing.T, ks *KeySource, secret []byte) *Verifier {
	t.Helper()
	v, err := NewVerifier(Config{Keys: ks, Secret: secret, Issuer: testCfg.Issuer, Audience: testCfg.Audience, Production: true})
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

// wantReason checks that Verify rejects tok with reason, and that neither
// the error nor the reason echoes the token.
func wantReason(t *testing.T, v *Verifier, tok, reason string) {
	t.Helper()
	_, err := v.Verify(tok)
	if err == nil {
		t.Fatalf("Verify succeeded, want %q", reason)
	}
	if !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("err %v does not wrap ErrUnauthenticated", err)
	}
	if got := Reason(err); got != reason {
		t.Errorf("Reason = %q, want %q (err %v)", got, reason, err)
	}
	if strings.Contains(err.Error(), tok) {
		t.Errorf("error echoes the token")
	}
}

func TestParseJWKS(t *testing.T) {
	testKeys(t)
	small := newRSA(t, 1024)
	rsaJWK := jwkFor("r", &rsaA.PublicKey, "")
	with := func(m map[string]any, kv ...any) map[string]any {
		c := map[string]any{}
		for k, v := range m {
			c[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(c, kv[i].(string))
			} else {
				c[kv[i].(string)] = kv[i+1]
			}
		}
		return c
	}
	ecJWK := jwkFor("e", &ecP256.PublicKey, "")

	tests := []struct {
		name string
		json []byte
		want map[string]string // kid → algorithm; nil with err
		err  string            // substring of the error
	}{
		{name: "every key type", json: jwksJSON(
			jwkFor("rsa", &rsaA.PublicKey, ""),
			jwkFor("rsa-384", &rsaA.PublicKey, "RS384"),
			jwkFor("rsa-512", &rsaB.PublicKey, "RS512"),
			jwkFor("p256", &ecP256.PublicKey, ""),
			jwkFor("p384", &ecP384.PublicKey, "ES384"),
			jwkFor("p521", &ecP521.PublicKey, ""),
			jwkFor("ed", edKey.Public(), "EdDSA"),
		), want: map[string]string{"rsa": "RS256", "rsa-384": "RS384", "rsa-512": "RS512",
			"p256": "ES256", "p384": "ES384", "p521": "ES512", "ed": "EdDSA"}},
		{name: "use absent", json: jwksJSON(with(rsaJWK, "use", nil)), want: map[string]string{"r": "RS256"}},
		{name: "skipped keys", json: jwksJSON(
			with(rsaJWK, "kid", "enc", "use", "enc"),
			with(rsaJWK, "kid", "ops", "key_ops", []string{"encrypt"}),
			with(rsaJWK, "kid", "nokid", "kid", nil),
			with(rsaJWK, "kid", "ps256", "alg", "PS256"),
			with(rsaJWK, "kid", "rsa-es", "alg", "ES256"),
			with(ecJWK, "kid", "ec-mismatch", "alg", "ES384"),
			with(ecJWK, "kid", "k1", "crv", "secp256k1"),
			map[string]any{"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
			map[string]any{"kty": "OKP", "kid": "x25519", "crv": "X25519", "x": b64u(make([]byte, 32))},
			with(rsaJWK, "kid", "kept", "key_ops", []string{"verify"}),
		), want: map[string]string{"kept": "RS256"}},
		{name: "empty set", json: []byte(`{"keys":[]}`), want: map[string]string{}},
		{name: "duplicate kid", json: jwksJSON(rsaJWK, with(ecJWK, "kid", "r")), err: `two keys with kid "r"`},
		{name: "RSA 1024", json: jwksJSON(jwkFor("small", &small.PublicKey, "")), err: "1024 bits"},
		{name: "RSA even exponent", json: jwksJSON(with(rsaJWK, "e", b64u([]byte{2}))), err: "exponent"},
		{name: "RSA missing n", json: jwksJSON(with(rsaJWK, "n", nil)), err: `missing "n"`},
		{name: "bad base64", json: jwksJSON(with(rsaJWK, "n", "!!!")), err: "base64url"},
		{name: "EC point off curve", json: jwksJSON(with(ecJWK, "y", ecJWK["x"])), err: "invalid P-256 point"},
		{name: "EC short coordinate", json: jwksJSON(with(ecJWK, "x", b64u([]byte{1, 2, 3}))), err: "32 bytes"},
		{name: "Ed25519 wrong size", json: jwksJSON(map[string]any{"kty": "OKP", "kid": "ed", "crv": "Ed25519", "x": b64u(make([]byte, 31))}),
			err: "32 bytes"},
		{name: "not JSON", json: []byte("<html>"), err: "not a JSON object"},
		{name: "no keys member", json: []byte(`{"kid":"x"}`), err: "no keys member"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := ParseJWKS(tt.json)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if set.Len() != len(tt.want) {
				t.Errorf("keys %v, want %v", set.IDs(), tt.want)
			}
			for kid, alg := range tt.want {
				k, ok := set.Lookup(kid)
				if !ok || k.Algorithm != alg || k.ID != kid {
					t.Errorf("Lookup(%q) = %+v, %v; want algorithm %s", kid, k, ok, alg)
				}
			}
		})
	}
}

// RS*, ES* and EdDSA tokens verify with keys from a JWKS file and URL.
func TestJWKSVerify(t *testing.T) {
	body, keys := standardSet(t)
	for _, kind := range []string{"file", "url"} {
		t.Run(kind, func(t *testing.T) {
			src := newSource(t, kind, body)
			v := jwksVerifier(t, src.keySource(t, nil), nil)
			for _, alg := range []string{"RS256", "RS384", "ES256", "ES384", "ES512", "EdDSA"} {
				t.Run(alg, func(t *testing.T) {
					k := keys[alg]
					got, err := v.Verify(k.sign(t, validClaims()))
					if err != nil {
						t.Fatalf("Verify: %v", err)
					}
					if got.Subject != "alice@example.com" || !got.HasRole("OPS_ANALYST") {
						t.Errorf("viewer = %+v", got)
					}
				})
			}
			if src.server != nil && src.server.requests.Load() != 1 {
				t.Errorf("%d JWKS requests, want 1 (the initial load)", src.server.requests.Load())
			}
		})
	}
}

func TestJWKSRejections(t *testing.T) {
	body, keys := standardSet(t)
	rs := keys["RS256"]
	src := newSource(t, "url", body)
	ks := src.keySource(t, nil)
	jwksOnly := jwksVerifier(t, ks, nil)
	both := jwksVerifier(t, ks, testSecret)

	// The RSA public key in the encodings an attacker would try as an HMAC secret.
	der, err := x509.MarshalPKIXPublicKey(&rsaA.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	noneWithKid := b64(map[string]string{"alg": "none", "typ": "JWT", "kid": rs.kid}) + "." + b64(validClaims()) + "."
	critTok := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, validClaims())
		tok.Header["kid"], tok.Header["crit"] = rs.kid, []string{"exp"}
		s, err := tok.SignedString(rsaA)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}()
	hsFromSecret := sign(t, jwt.SigningMethodHS256, testSecret, validClaims())

	tests := []struct {
		name   string
		token  string
		reason string // for both verifiers unless bothReason is set
		// bothReason is the reason with secret+JWKS; "ok" means accepted.
		bothReason string
	}{
		{name: "unknown kid", token: signKid(t, jwt.SigningMethodRS256, rsaA, "no-such-key", validClaims()),
			reason: "unknown signing key"},
		{name: "missing kid", token: signKid(t, jwt.SigningMethodRS256, rsaA, "", validClaims()),
			reason: "missing kid header"},
		{name: "foreign key claiming a known kid", token: signKid(t, jwt.SigningMethodRS256, rsaOther, rs.kid, validClaims()),
			reason: "token signature invalid"},
		{name: "RS512 on a key pinned to RS256", token: signKid(t, jwt.SigningMethodRS512, rsaA, rs.kid, validClaims()),
			reason: "unexpected signing algorithm"},
		{name: "RS256 on a key pinned to RS384", token: signKid(t, jwt.SigningMethodRS256, rsaB, keys["RS384"].kid, validClaims()),
			reason: "unexpected signing algorithm"},
		{name: "ES256 naming an RSA key", token: signKid(t, jwt.SigningMethodES256, ecP256, rs.kid, validClaims()),
			reason: "unexpected signing algorithm"},
		{name: "ES384 on a P-256 key", token: reheader(signKid(t, jwt.SigningMethodES256, ecP256, keys["ES256"].kid, validClaims()),
			map[string]string{"alg": "ES384", "kid": keys["ES256"].kid}),
			reason: "unexpected signing algorithm"},
		{name: "HS256 with RSA public key PEM as secret", token: signKid(t, jwt.SigningMethodHS256, pemKey, rs.kid, validClaims()),
			reason: "unexpected signing algorithm", bothReason: "token signature invalid"},
		{name: "HS256 with RSA public key DER as secret", token: signKid(t, jwt.SigningMethodHS256, der, rs.kid, validClaims()),
			reason: "unexpected signing algorithm", bothReason: "token signature invalid"},
		{name: "HS256 with RSA modulus as secret", token: signKid(t, jwt.SigningMethodHS256, rsaA.N.Bytes(), rs.kid, validClaims()),
			reason: "unexpected signing algorithm", bothReason: "token signature invalid"},
		{name: "HS256 with the secret", token: hsFromSecret, reason: "unexpected signing algorithm", bothReason: "ok"},
		{name: "alg none", token: algNoneToken(), reason: "unexpected signing algorithm"},
		{name: "alg none with kid", token: noneWithKid, reason: "unexpected signing algorithm"},
		{name: "crit header", token: critTok, reason: "unsupported critical header"},
		{name: "wrong issuer", token: rs.sign(t, with("iss", "https://evil.example")), reason: "invalid issuer"},
		{name: "missing issuer", token: rs.sign(t, with("iss", nil)), reason: "missing iss claim"},
		{name: "wrong audience", token: rs.sign(t, with("aud", "other-api")), reason: "invalid audience"},
		{name: "missing audience", token: rs.sign(t, with("aud", nil)), reason: "missing aud claim"},
		{name: "expired", token: rs.sign(t, with("exp", time.Now().Add(-time.Hour).Unix())), reason: "token expired"},
		{name: "tampered", token: tamper(t, rs.sign(t, validClaims())), reason: "token signature invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantReason(t, jwksOnly, tt.token, tt.reason)
			bothReason := tt.bothReason
			if bothReason == "" {
				bothReason = tt.reason
			}
			if bothReason == "ok" {
				if _, err := both.Verify(tt.token); err != nil {
					t.Fatalf("secret+JWKS: %v", err)
				}
				return
			}
			wantReason(t, both, tt.token, bothReason)
		})
	}

	// The 401 carries only the fixed reason.
	t.Run("middleware", func(t *testing.T) {
		tok := signKid(t, jwt.SigningMethodRS256, rsaA, "no-such-key", validClaims())
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		Middleware(jwksOnly, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			t.Error("next handler called")
		})).ServeHTTP(rec, req)
		if strings.Contains(rec.Body.String(), tok) || strings.Contains(rec.Body.String(), "no-such-key") {
			t.Errorf("body echoes the token or its kid: %s", rec.Body)
		}
		assertUnauthenticated(t, rec, "unknown signing key", true)
	})
}

// A new key published under a new kid is picked up on the first token that
// names it; a removed key stops verifying after that refresh.
func TestJWKSRotation(t *testing.T) {
	testKeys(t)
	oldKey := testKey{"2024-01", jwt.SigningMethodES256, ecP256}
	newKey := testKey{"2024-07", jwt.SigningMethodRS256, rsaB}
	for _, kind := range []string{"file", "url"} {
		t.Run(kind, func(t *testing.T) {
			clock := newFakeClock()
			src := newSource(t, kind, jwksJSON(oldKey.jwk()))
			v := jwksVerifier(t, src.keySource(t, clock), nil)
			oldTok, newTok := oldKey.sign(t, validClaims()), newKey.sign(t, validClaims())
			fetches := func() int64 {
				if src.server == nil {
					return -1
				}
				return src.server.requests.Load()
			}

			if _, err := v.Verify(oldTok); err != nil {
				t.Fatalf("old key before rotation: %v", err)
			}
			// The issuer publishes the new key alongside the old one.
			src.publish(t, jwksJSON(oldKey.jwk(), newKey.jwk()))
			clock.Advance(DefaultMinRefreshInterval)
			if _, err := v.Verify(newTok); err != nil {
				t.Fatalf("new key after rotation: %v", err)
			}
			if _, err := v.Verify(oldTok); err != nil {
				t.Fatalf("old key still published: %v", err)
			}
			// The old key is retired.
			src.publish(t, jwksJSON(newKey.jwk()))
			clock.Advance(DefaultMinRefreshInterval)
			// An unknown kid triggers the next refresh, which drops the old key.
			wantReason(t, v, signKid(t, jwt.SigningMethodRS256, rsaA, "unknown", validClaims()), "unknown signing key")
			wantReason(t, v, oldTok, "unknown signing key")
			if _, err := v.Verify(newTok); err != nil {
				t.Fatalf("new key after retirement: %v", err)
			}
			if got := v.keys.Keys().IDs(); len(got) != 1 || got[0] != newKey.kid {
				t.Errorf("keys = %v", got)
			}
			if src.server != nil && fetches() != 3 {
				t.Errorf("%d JWKS fetches, want 3", fetches())
			}
		})
	}
}

// A key is not refreshed before MinRefreshInterval has passed since the last
// load, even for a kid the issuer has meanwhile published.
func TestJWKSRefreshWaitsForInterval(t *testing.T) {
	testKeys(t)
	a := testKey{"a", jwt.SigningMethodEdDSA, edKey}
	b := testKey{"b", jwt.SigningMethodES384, ecP384}
	clock := newFakeClock()
	src := newSource(t, "url", jwksJSON(a.jwk()))
	opts := src.options(clock)
	opts.MinRefreshInterval = 10 * time.Second
	ks, err := NewKeySource(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	v := jwksVerifier(t, ks, nil)
	src.publish(t, jwksJSON(a.jwk(), b.jwk()))
	tok := b.sign(t, validClaims())
	clock.Advance(9 * time.Second)
	wantReason(t, v, tok, "unknown signing key")
	if n := src.server.requests.Load(); n != 1 {
		t.Fatalf("%d fetches within the interval, want only the initial one", n)
	}
	clock.Advance(time.Second)
	if _, err := v.Verify(tok); err != nil {
		t.Fatalf("after the interval: %v", err)
	}
	if n := src.server.requests.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
}

// A flood of tokens with random kids fetches the JWKS at most once per
// MinRefreshInterval.
func TestJWKSBoundedRefresh(t *testing.T) {
	body, keys := standardSet(t)
	clock := newFakeClock()
	src := newSource(t, "url", body)
	v := jwksVerifier(t, src.keySource(t, clock), nil)
	clock.Advance(DefaultMinRefreshInterval) // the initial load no longer holds refreshes back

	flood := func(n int) {
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				tok := signKid(t, jwt.SigningMethodEdDSA, edKey, rand.Text(), validClaims())
				if _, err := v.Verify(tok); Reason(err) != "unknown signing key" {
					t.Errorf("random kid: %v", err)
				}
			})
		}
		wg.Wait()
	}
	flood(50)
	if n := src.server.requests.Load(); n != 2 {
		t.Fatalf("%d JWKS fetches after 50 random kids, want 2 (initial + 1 refresh)", n)
	}
	// Known keys keep working meanwhile, without fetches.
	if _, err := v.Verify(keys["ES256"].sign(t, validClaims())); err != nil {
		t.Fatal(err)
	}
	clock.Advance(DefaultMinRefreshInterval / 2)
	flood(50)
	if n := src.server.requests.Load(); n != 2 {
		t.Fatalf("%d JWKS fetches within the interval, want still 2", n)
	}
	clock.Advance(DefaultMinRefreshInterval / 2)
	flood(50)
	if n := src.server.requests.Load(); n != 3 {
		t.Fatalf("%d JWKS fetches in the next interval, want 3", n)
	}
}

// Once the set is older than MaxAge, a lookup of a known kid reloads it, so a
// removed key stops verifying even without unknown kids; a failing endpoint
// leaves the current keys in place.
func TestJWKSMaxAge(t *testing.T) {
	testKeys(t)
	a := testKey{"a", jwt.SigningMethodES512, ecP521}
	b := testKey{"b", jwt.SigningMethodRS256, rsaA}
	clock := newFakeClock()
	src := newSource(t, "url", jwksJSON(a.jwk(), b.jwk()))
	opts := src.options(clock)
	opts.MaxAge = 5 * time.Minute
	ks, err := NewKeySource(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	v := jwksVerifier(t, ks, nil)
	aTok, bTok := a.sign(t, validClaims()), b.sign(t, validClaims())

	// The endpoint fails: the keys stay.
	src.server.set([]byte("oops"), http.StatusInternalServerError)
	clock.Advance(5 * time.Minute)
	if _, err := v.Verify(aTok); err != nil {
		t.Fatalf("after a failed refresh: %v", err)
	}
	if n := src.server.requests.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
	// Invalid JSON: the keys stay too.
	src.server.set([]byte(`{"keys":[{"kty":"RSA","kid":"x","n":"AQAB","e":"AQAB"}]}`), http.StatusOK)
	clock.Advance(time.Minute)
	if _, err := v.Verify(aTok); err != nil {
		t.Fatalf("after an invalid JWKS: %v", err)
	}
	// Key a is removed.
	src.publish(t, jwksJSON(b.jwk()))
	clock.Advance(time.Minute)
	wantReason(t, v, aTok, "unknown signing key")
	if _, err := v.Verify(bTok); err != nil {
		t.Fatal(err)
	}
	if n := src.server.requests.Load(); n != 4 {
		t.Fatalf("%d fetches, want 4", n)
	}
}

// Concurrent verification during rotation is race-free.
func TestJWKSConcurrentRotation(t *testing.T) {
	testKeys(t)
	a := testKey{"a", jwt.SigningMethodEdDSA, edKey}
	src := newSource(t, "file", jwksJSON(a.jwk()))
	opts := src.options(nil)
	opts.MinRefreshInterval = time.Millisecond
	opts.MaxAge = 2 * time.Millisecond
	ks, err := NewKeySource(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	v := jwksVerifier(t, ks, nil)
	aTok := a.sign(t, validClaims())
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 50 {
				if _, err := v.Verify(aTok); err != nil {
					t.Errorf("goroutine %d: %v", i, err)
					return
				}
				if i%2 == 0 {
					v.Verify(signKid(t, jwt.SigningMethodEdDSA, edKey, rand.Text(), validClaims()))
				}
				time.Sleep(100 * time.Microsecond)
			}
		})
	}
	for range 20 {
		src.publish(t, jwksJSON(a.jwk(), jwkFor(rand.Text(), &ecP256.PublicKey, "")))
		time.Sleep(time.Millisecond)
	}
	wg.Wait()
}

func TestNewKeySourceErrors(t *testing.T) {
	testKeys(t)
	good := jwksJSON(jwkFor("a", edKey.Public(), ""))
	huge := append(append([]byte(`{"keys":[],"pad":"`), strings.Repeat("x", maxJWKSSize)...), `"}`...)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// srv serves body with status; trusted makes the options trust its certificate.
	srv := func(status int, body []byte, trusted bool) KeySourceOptions {
		s := newJWKSServer(t, body)
		s.set(body, status)
		o := KeySourceOptions{URL: s.URL}
		if trusted {
			o.HTTPClient = s.Client()
		}
		return o
	}

	tests := []struct {
		name string
		opts KeySourceOptions
		err  string
	}{
		{"nothing", KeySourceOptions{}, "a URL or a file is required"},
		{"both", KeySourceOptions{URL: "https://idp.example/jwks", File: "x"}, "not both"},
		{"ftp URL", KeySourceOptions{URL: "ftp://idp.example/jwks"}, "want an http:// or https:// URL"},
		{"relative URL", KeySourceOptions{URL: "/jwks.json"}, "want an http:// or https:// URL"},
		{"missing file", KeySourceOptions{File: filepath.Join(dir, "nope.json")}, "read JWKS file"},
		{"invalid file", KeySourceOptions{File: write("bad.json", []byte("{"))}, "not a JSON object"},
		{"no usable key", KeySourceOptions{File: write("enc.json", []byte(`{"keys":[{"kty":"oct","kid":"k","k":"AA"}]}`))},
			"no usable signing key"},
		{"file too large", KeySourceOptions{File: write("big.json", huge)}, "larger than"},
		{"HTTP 404", srv(http.StatusNotFound, good, true), "404"},
		{"body too large", srv(http.StatusOK, huge, true), "larger than"},
		{"untrusted TLS certificate", srv(http.StatusOK, good, false), "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewKeySource(context.Background(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.err)
			}
		})
	}

	t.Run("fetch timeout", func(t *testing.T) {
		release := make(chan struct{})
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer slow.Close()
		defer close(release)
		start := time.Now()
		_, err := NewKeySource(context.Background(), KeySourceOptions{URL: slow.URL, FetchTimeout: 100 * time.Millisecond})
		if err == nil || time.Since(start) > 5*time.Second {
			t.Fatalf("err = %v after %v", err, time.Since(start))
		}
	})
}

func TestNewVerifierConfig(t *testing.T) {
	testKeys(t)
	src := newSource(t, "file", jwksJSON(jwkFor("a", edKey.Public(), "")))
	ks := src.keySource(t, nil)
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"secret", Config{Secret: testSecret}, true},
		{"keys", Config{Keys: ks}, true},
		{"secret and keys", Config{Secret: testSecret, Keys: ks}, true},
		{"neither", Config{Issuer: "i", Audience: "a"}, false},
		{"short secret with keys", Config{Secret: []byte("short"), Keys: ks}, false},
		{"production with iss and aud", Config{Keys: ks, Issuer: "i", Audience: "a", Production: true}, true},
		{"production secret with iss and aud", Config{Secret: testSecret, Issuer: "i", Audience: "a", Production: true}, true},
		{"production without issuer", Config{Keys: ks, Audience: "a", Production: true}, false},
		{"production without audience", Config{Keys: ks, Issuer: "i", Production: true}, false},
		{"production without either", Config{Secret: testSecret, Production: true}, false},
		{"negative leeway", Config{Keys: ks, Leeway: -time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewVerifier(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("NewVerifier err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	// Mint still needs a secret.
	if _, err := Mint(Config{Keys: ks}, MintOptions{Subject: "s", Roles: []string{"ADMIN"}, TTL: time.Minute}); err == nil {
		t.Error("Mint without a secret succeeded")
	}
}
