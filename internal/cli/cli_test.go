package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/internal/auth"
	"github.com/opsgraph/opsgraph/internal/testdb"
)

const testSecret = "cli-test-secret-cli-test-secret-0123456789"

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls buf until re matches, returning the first submatch.
func waitFor(t *testing.T, buf *syncBuffer, re *regexp.Regexp, done <-chan int) string {
	t.Helper()
	deadline := time.After(2 * time.Minute)
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
	body, _ := json.Marshal(map[string]any{"query": q})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || out["errors"] != nil {
		t.Fatalf("status %d: %v", res.StatusCode, out)
	}
	return out["data"].(map[string]any)
}

const acceptance = `{ accounts(first: 5, orderBy: {field: NAME}) { totalCount edges { node { id name owner { email } contracts(first: 3) { edges { node { number renewalDate items { product { sku } } } } } } } } }`

// The README's first command: on a bare machine the server creates the
// SQLite file, migrates, seeds the demo data, prints a working ADMIN token,
// serves the acceptance query, and shuts down cleanly on a signal.
func TestServeEmbeddedDefault(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"--addr", "127.0.0.1:0", "--sqlite-path", filepath.Join(dir, "opsgraph.db")}, &stdout, &stderr)
	}()
	token := waitFor(t, &stdout, regexp.MustCompile(`export OPSGRAPH_TOKEN=(\S+)`), done)
	base := waitFor(t, &stdout, regexp.MustCompile(`GraphQL:\s+(http://\S+)/graphql`), done)

	data := query(t, base, token, acceptance)
	accounts := data["accounts"].(map[string]any)
	if accounts["totalCount"].(float64) < 200 || len(accounts["edges"].([]any)) != 5 {
		t.Fatalf("acceptance query: %v", accounts)
	}
	if !strings.Contains(stderr.String(), "demo data loaded") || !strings.Contains(stderr.String(), "migrations applied") {
		t.Errorf("log lacks the migration/seed lines:\n%s", stderr.String())
	}
	if !regexp.MustCompile(`msg=request .*status=200 .*operation_type=query .*sql_statements=\d+`).MatchString(stderr.String()) {
		t.Errorf("no request log line:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), token) {
		t.Errorf("the token was logged")
	}
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
	var stdout2, stderr2 syncBuffer
	done2 := make(chan int, 1)
	go func() {
		done2 <- Run(ctx2, []string{"--addr", "127.0.0.1:0", "--sqlite-path", filepath.Join(dir, "opsgraph.db")}, &stdout2, &stderr2)
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
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--database-url", url, "--jwt-secret", testSecret}, &stdout, &stderr)
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
