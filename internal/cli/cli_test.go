package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/auth"
	"github.com/opsgraph/opsgraph/internal/seed"
	"github.com/opsgraph/opsgraph/internal/testdb"
)

const testSecret = "cli-test-secret-cli-test-secret-0123456789"

// waitFor polls buf until re matches, returning the first submatch.
func waitFor(t *testing.T, buf *apitest.SyncBuffer, re *regexp.Regexp, done <-chan int) string {
	t.Helper()
	// A readiness wait, not a speed check: a first start migrates and seeds
	// the embedded database, which under -race on a busy machine takes
	// minutes; go test's -timeout bounds the whole run.
	deadline := time.After(20 * time.Minute)
	for {
		if m := re.FindStringSubmatch(buf.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("server exited with %d before %s appeared; output:\n%s", code, re, buf.String())
		case <-deadline:
			t.Fatalf("%s did not appear; output:\n%s", re, buf.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func query(t *testing.T, base, token, q string) map[string]any {
	t.Helper()
	code, _, out := post(t, base, token, q)
	if code != http.StatusOK || out["errors"] != nil {
		t.Fatalf("status %d: %v", code, out)
	}
	return out["data"].(map[string]any)
}

func httpGet(t *testing.T, url string, want int) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Errorf("GET %s = %d, want %d", url, res.StatusCode, want)
	}
	return string(b)
}

const acceptance = `{ accounts(first: 5, orderBy: {field: NAME}) { totalCount edges { node { id name owner { email } contracts(first: 3) { edges { node { number renewalDate items { product { sku } } } } } } } } }`

// The README's first command: on a bare machine the server creates the
// SQLite file, migrates, seeds the demo data, prints a working ADMIN token,
// serves the acceptance query, and shuts down cleanly on a signal.
func TestServeEmbeddedDefault(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr apitest.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--sqlite-path", filepath.Join(dir, "opsgraph.db")}, &stdout, &stderr)
	}()
	token := waitFor(t, &stdout, regexp.MustCompile(`export OPSGRAPH_TOKEN=(\S+)`), done)
	base := waitFor(t, &stdout, regexp.MustCompile(`GraphQL:\s+(http://\S+)/graphql`), done)

	data := query(t, base, token, acceptance)
	accounts := data["accounts"].(map[string]any)
	if accounts["totalCount"].(float64) < 200 || len(accounts["edges"].([]any)) != 5 {
		t.Fatalf("acceptance query: %v", accounts)
	}
	// The log is written in batches (--log-flush-interval, 100ms): the
	// request's line comes within one.
	waitFor(t, &stderr, regexp.MustCompile(`msg=request .*status=200 .*operation_type=query .*(sql_statements=\d+)`), done)
	if !strings.Contains(stderr.String(), "demo data loaded") || !strings.Contains(stderr.String(), "migrations applied") {
		t.Errorf("log lacks the migration/seed lines:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), token) {
		t.Errorf("the token was logged")
	}
	// The admin listener serves the metrics of that query and pprof; the API
	// address serves neither.
	admin := waitFor(t, &stderr, regexp.MustCompile(`msg="admin listening" addr=(\S+)`), done)
	metrics := httpGet(t, "http://"+admin+"/metrics", http.StatusOK)
	for _, want := range []string{`opsgraph_graphql_requests_total{code="OK",operation="anonymous",type="query"} 1`, "opsgraph_db_connections_open ", "go_goroutines "} {
		if !strings.Contains(metrics, want) {
			t.Errorf("admin /metrics lacks %s", want)
		}
	}
	httpGet(t, "http://"+admin+"/debug/pprof/", http.StatusOK)
	httpGet(t, base+"/metrics", http.StatusNotFound)
	httpGet(t, base+"/debug/pprof/", http.StatusNotFound)
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d after shutdown; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not shut down")
	}

	// A second start reuses the data and the secret: the old token still works.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	var stdout2, stderr2 apitest.SyncBuffer
	done2 := make(chan int, 1)
	go func() {
		done2 <- Run(ctx2, []string{"--addr", "127.0.0.1:0", "--admin-addr=", "--sqlite-path", filepath.Join(dir, "opsgraph.db")}, &stdout2, &stderr2)
	}()
	base2 := waitFor(t, &stdout2, regexp.MustCompile(`GraphQL:\s+(http://\S+)/graphql`), done2)
	if got := query(t, base2, token, `{ accounts { totalCount } }`)["accounts"].(map[string]any)["totalCount"]; got != accounts["totalCount"] {
		t.Errorf("after restart totalCount = %v, want %v (seeded twice?)", got, accounts["totalCount"])
	}
	cancel2()
	<-done2
}

// The same against PostgreSQL, whose schema only the migrations create.
func TestServePostgres(t *testing.T) {
	url := testdb.CreateDatabase(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr apitest.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--admin-addr=", "--database-url", url, "--jwt-secret", testSecret}, &stdout, &stderr)
	}()
	addr := waitFor(t, &stderr, regexp.MustCompile(`msg=listening addr=(\S+)`), done)
	if strings.Contains(stdout.String(), "OPSGRAPH_TOKEN") {
		t.Errorf("a configured secret must not print a development token")
	}
	tok, err := auth.Mint(auth.Config{Secret: []byte(testSecret)}, auth.MintOptions{Subject: "lead@opsgraph.example", Roles: []string{"OPS_MANAGER"}, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	data := query(t, "http://"+addr, tok, acceptance)
	if data["accounts"].(map[string]any)["totalCount"].(float64) < 200 {
		t.Fatalf("acceptance query: %v", data)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr.String())
	}
}

func TestServeRefusesPublicAddressWithoutSecret(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"serve", "--addr", "0.0.0.0:0", "--sqlite-path", filepath.Join(t.TempDir(), "x.db")}, &stdout, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "OPSGRAPH_JWT_SECRET") {
		t.Fatalf("code %d, stderr %q", code, stderr.String())
	}
}

func TestTokenCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"token", "--jwt-secret", testSecret, "--subject", "svc-billing", "--role", "INTEGRATION", "--scope", "orders:write,read", "--ttl", "1h"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("code %d: %s", code, stderr.String())
	}
	v, err := auth.NewVerifier(auth.Config{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Verify(strings.TrimSpace(stdout.String()))
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "svc-billing" || !got.HasRole("INTEGRATION") || !got.HasScope("orders:write") || !got.HasScope("read") {
		t.Fatalf("viewer = %+v", got)
	}
	for _, args := range [][]string{
		{"token", "--jwt-secret", testSecret, "--subject", "x"},                                    // no role
		{"token", "--jwt-secret", testSecret, "--subject", "x", "--role", "WIZARD"},                // unknown role
		{"token", "--database-url", "postgres://127.0.0.1/x", "--subject", "x", "--role", "ADMIN"}, // no secret with PostgreSQL
		{"token", "--jwt-secret", "short", "--subject", "x", "--role", "ADMIN"},                    // secret too short
	} {
		stderr.Reset()
		if code := Run(context.Background(), args, &stdout, &stderr); code == 0 {
			t.Errorf("%v succeeded", args)
		}
	}
}

func TestSchemaCommandPrintsSDL(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := Run(context.Background(), []string{"schema"}, &stdout, &stderr); code != 0 {
		t.Fatalf("code %d: %s", code, stderr.String())
	}
	for _, want := range []string{"type Query", "type Mutation", "accountCreate(", "interface Node", "scalar Int64"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("SDL lacks %q", want)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := Run(context.Background(), []string{"frobnicate"}, &stdout, &stderr); code != 2 {
		t.Fatalf("code %d", code)
	}
}

// jwksFile writes a JWK Set with one Ed25519 key (kid "cli-key") and returns
// its path and the private key.
func jwksFile(t *testing.T) (string, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "OKP", "crv": "Ed25519", "kid": "cli-key", "use": "sig", "x": base64.RawURLEncoding.EncodeToString(pub),
	}}})
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, set, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, priv
}

// edToken signs an EdDSA token for an ADMIN with the given iss and aud ("" to omit).
func edToken(t *testing.T, priv ed25519.PrivateKey, kid, iss, aud string) string {
	t.Helper()
	claims := jwt.MapClaims{"sub": "idp-user@opsgraph.example", "roles": []string{"ADMIN"}, "exp": time.Now().Add(time.Hour).Unix()}
	if iss != "" {
		claims["iss"] = iss
	}
	if aud != "" {
		claims["aud"] = aud
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The verifier serve builds, for each way of configuring token verification.
func TestServeVerifier(t *testing.T) {
	jwks, priv := jwksFile(t)
	const pg = "postgres://postgres@127.0.0.1:5432/opsgraph?sslmode=disable"
	hsToken := func(t *testing.T, secret []byte, iss, aud string) string {
		tok, err := auth.Mint(auth.Config{Secret: secret, Issuer: iss, Audience: aud},
			auth.MintOptions{Subject: "cli@opsgraph.example", Roles: []string{"VIEWER"}, TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	type check struct {
		token func(t *testing.T, generated []byte) string
		ok    bool
	}
	edOK := check{func(t *testing.T, _ []byte) string { return edToken(t, priv, "cli-key", "", "") }, true}
	edProd := check{func(t *testing.T, _ []byte) string {
		return edToken(t, priv, "cli-key", "https://idp.example/", "opsgraph-api")
	}, true}
	edNoIssAud := check{func(t *testing.T, _ []byte) string { return edToken(t, priv, "cli-key", "", "") }, false}
	edUnknownKid := check{func(t *testing.T, _ []byte) string { return edToken(t, priv, "other", "", "") }, false}
	hsConfigured := func(ok bool) check {
		return check{func(t *testing.T, _ []byte) string { return hsToken(t, []byte(testSecret), "", "") }, ok}
	}
	hsGenerated := check{func(t *testing.T, gen []byte) string { return hsToken(t, gen, "", "") }, true}

	tests := []struct {
		name      string
		args      []string
		err       string // substring of the error; empty: success
		generated bool   // a development secret is generated
		checks    []check
	}{
		{name: "embedded default", args: nil, generated: true, checks: []check{hsGenerated, edUnknownKid}},
		{name: "PostgreSQL without secret or JWKS", args: []string{"--database-url", pg}, err: "OPSGRAPH_JWT_SECRET or a JWKS"},
		{name: "PostgreSQL with JWKS file and no secret", args: []string{"--database-url", pg, "--jwks-file", jwks},
			checks: []check{edOK, edUnknownKid, hsConfigured(false)}},
		{name: "PostgreSQL with JWKS file and secret", args: []string{"--database-url", pg, "--jwks-file", jwks, "--jwt-secret", testSecret},
			checks: []check{edOK, hsConfigured(true)}},
		{name: "SQLite with JWKS: no generated secret", args: []string{"--jwks-file", jwks, "--addr", "0.0.0.0:8080"},
			checks: []check{edOK}},
		{name: "missing JWKS file", args: []string{"--database-url", pg, "--jwks-file", filepath.Join(t.TempDir(), "nope.json")},
			err: "loading the JWKS"},
		{name: "production without issuer and audience", args: []string{"--database-url", pg, "--jwks-file", jwks, "--auth-production=true"},
			err: "OPSGRAPH_JWT_ISSUER and OPSGRAPH_JWT_AUDIENCE"},
		{name: "production with generated secret",
			args: []string{"--auth-production=true", "--jwt-issuer", "https://idp.example/", "--jwt-audience", "opsgraph-api"},
			err:  "generated development secret"},
		{name: "production with JWKS",
			args:   []string{"--database-url", pg, "--jwks-file", jwks, "--auth-production=true", "--jwt-issuer", "https://idp.example/", "--jwt-audience", "opsgraph-api"},
			checks: []check{edProd, edNoIssAud}},
		{name: "public address with generated secret", args: []string{"--addr", "0.0.0.0:8080"}, err: "OPSGRAPH_JWT_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--sqlite-path", filepath.Join(t.TempDir(), "opsgraph.db")}, tt.args...)
			var stderr bytes.Buffer
			cfg, err := parse("serve", args, &stderr, nil)
			if err != nil {
				t.Fatal(err)
			}
			v, gen, err := newVerifier(context.Background(), cfg, cfg.Logger(&stderr))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (gen != nil) != tt.generated {
				t.Fatalf("generated secret = %v, want %v", gen != nil, tt.generated)
			}
			for i, c := range tt.checks {
				_, err := v.Verify(c.token(t, gen))
				if (err == nil) != c.ok {
					t.Errorf("check %d: Verify err = %v, want ok=%v", i, err, c.ok)
				}
			}
		})
	}
}

// serve on PostgreSQL with a JWKS file and no HS256 secret.
func TestServePostgresJWKS(t *testing.T) {
	url := testdb.CreateDatabase(t)
	jwks, priv := jwksFile(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr apitest.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--admin-addr=", "--database-url", url, "--jwks-file", jwks, "--seed=false",
			"--auth-production=true", "--jwt-issuer", "https://idp.example/", "--jwt-audience", "opsgraph-api"}, &stdout, &stderr)
	}()
	addr := waitFor(t, &stderr, regexp.MustCompile(`msg=listening addr=(\S+)`), done)
	if strings.Contains(stdout.String(), "OPSGRAPH_TOKEN") {
		t.Errorf("no development token without a generated secret")
	}
	data := query(t, "http://"+addr, edToken(t, priv, "cli-key", "https://idp.example/", "opsgraph-api"), `{ accounts { totalCount } }`)
	if data["accounts"].(map[string]any)["totalCount"].(float64) != 0 {
		t.Fatalf("accounts: %v", data)
	}
	// Wrong audience: 401.
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+edToken(t, priv, "cli-key", "https://idp.example/", "other"))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong audience: status %d", res.StatusCode)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr.String())
	}
}

// opsgraph token signs with HS256 and says so when only a JWKS is configured.
func TestTokenCommandNeedsSecretWithJWKS(t *testing.T) {
	jwks, _ := jwksFile(t)
	for _, args := range [][]string{
		{"token", "--database-url", "postgres://127.0.0.1/x", "--jwks-file", jwks, "--subject", "x", "--role", "ADMIN"},
		{"token", "--sqlite-path", filepath.Join(t.TempDir(), "x.db"), "--jwks-file", jwks, "--subject", "x", "--role", "ADMIN"},
	} {
		var stdout, stderr bytes.Buffer
		if code := Run(context.Background(), args, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), "set OPSGRAPH_JWT_SECRET") {
			t.Errorf("%v: code %d, stderr %q", args, code, stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	args := []string{"token", "--database-url", "postgres://127.0.0.1/x", "--jwks-file", jwks, "--jwt-secret", testSecret, "--subject", "x", "--role", "ADMIN"}
	if code := Run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("with a secret and a JWKS: code %d, stderr %q", code, stderr.String())
	}
}

// `opsgraph sweep` stores the expiries the demo data holds, once.
func TestSweepCommand(t *testing.T) {
	db := testdb.Open(t, "sqlite3")
	if _, err := seed.Demo(context.Background(), db.Client, seed.Options{Seed: 1, Accounts: 200, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	run := func() string {
		var stdout, stderr bytes.Buffer
		if code := Run(context.Background(), []string{"sweep", "--sqlite-path", db.Location}, &stdout, &stderr); code != 0 {
			t.Fatalf("sweep: %d %s", code, stderr.String())
		}
		return stdout.String()
	}
	first := run()
	if !regexp.MustCompile(`^expired [1-9]\d* entitlements, cleared \d+ overrides`).MatchString(first) {
		t.Fatalf("first sweep: %q", first)
	}
	if second := run(); !strings.HasPrefix(second, "expired 0 entitlements, cleared 0 overrides") {
		t.Fatalf("second sweep: %q", second)
	}
}
