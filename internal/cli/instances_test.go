package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/auth"
	"github.com/opsgraph/opsgraph/internal/config"
	"github.com/opsgraph/opsgraph/internal/testdb"
)

// serveEnv, set in a child's environment, makes the test binary run
// `opsgraph` with the JSON-encoded arguments it holds instead of the tests:
// a real second server process without building another binary.
const serveEnv = "OPSGRAPH_CLI_TEST_SERVE"

func TestMain(m *testing.M) {
	if args := os.Getenv(serveEnv); args != "" {
		var argv []string
		if err := json.Unmarshal([]byte(args), &argv); err != nil {
			panic(err)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Run(ctx, argv, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(testdb.Main(m))
}

// process is a server running as a child process.
type process struct {
	cmd    *exec.Cmd
	stderr *apitest.SyncBuffer
	base   string
	// exited is closed when the process has exited, with code its exit
	// code.
	exited chan struct{}
	code   int
}

// stop sends SIGTERM and returns the exit code (-1: it did not stop
// within a minute and was killed).
func (p *process) stop(t *testing.T) int {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return p.code
	case <-time.After(time.Minute):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return -1
	}
}

// startProcess runs `opsgraph serve args...` in a child process and waits
// until it listens.
func startProcess(t *testing.T, args ...string) *process {
	t.Helper()
	raw, _ := json.Marshal(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"="+string(raw))
	p := &process{cmd: cmd, stderr: &apitest.SyncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &bytes.Buffer{}, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() {
		_ = cmd.Wait()
		p.code = cmd.ProcessState.ExitCode()
		close(p.exited)
		done <- p.code
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
			return // stopped by the test, which checked the code
		default:
		}
		switch code := p.stop(t); code {
		case 0:
		case -1:
			t.Errorf("server process did not stop on SIGTERM")
		default:
			t.Errorf("server process exited with %d:\n%s", code, p.stderr.String())
		}
	})
	p.base = "http://" + waitFor(t, p.stderr, regexp.MustCompile(`msg=listening addr=(\S+)`), done)
	return p
}

// post sends query with token and returns the status, the Retry-After
// header and the decoded body.
func post(t *testing.T, base, token, query string) (int, string, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
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
	return res.StatusCode, res.Header.Get("Retry-After"), out
}

// Two server processes on one PostgreSQL share each subject's rate limit:
// a subject spending its budget through both is refused by either, with
// 429 and Retry-After, while another subject is unaffected.
func TestRateLimitSharedByTwoProcesses(t *testing.T) {
	url := testdb.CreateDatabase(t)
	common := []string{"--database-url", url, "--jwt-secret", testSecret, "--seed=false", "--admin-addr=",
		// 30 points, restoring 0.01 a second: no meaningful refill while
		// the test runs.
		"--rate-limits", "default=30:0.01"}
	one := startProcess(t, common...)
	two := startProcess(t, append(common, "--migrate=false")...)

	mint := func(subject string) string {
		tok, err := auth.Mint(auth.Config{Secret: []byte(testSecret)}, auth.MintOptions{Subject: subject, Roles: []string{"OPS_MANAGER"}, TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	// 10 points requested and fetched: five connections' pageInfo.
	const q = `{ a: accounts(first: 1) { pageInfo { hasNextPage } } b: accounts(first: 1) { pageInfo { hasNextPage } }
		c: accounts(first: 1) { pageInfo { hasNextPage } } d: accounts(first: 1) { pageInfo { hasNextPage } } e: accounts(first: 1) { pageInfo { hasNextPage } } }`
	lead := mint("lead@opsgraph.example")
	for i, p := range []*process{one, two, one} {
		if code, _, body := post(t, p.base, lead, q); code != http.StatusOK || body["errors"] != nil {
			t.Fatalf("request %d: %d %v", i+1, code, body)
		}
	}
	for _, p := range []*process{two, one} {
		code, retry, body := post(t, p.base, lead, q)
		errs, _ := body["errors"].([]any)
		if code != http.StatusTooManyRequests || retry == "" || len(errs) != 1 ||
			errs[0].(map[string]any)["extensions"].(map[string]any)["code"] != "RATE_LIMITED" {
			t.Fatalf("over the shared budget: %d Retry-After %q %v", code, retry, body)
		}
	}
	other := mint("analyst@opsgraph.example")
	for _, p := range []*process{one, two} {
		if code, _, body := post(t, p.base, other, q); code != http.StatusOK || body["errors"] != nil {
			t.Errorf("another subject: %d %v", code, body)
		}
	}
}

// The embedded development default runs without metrics when the default
// admin port is taken (a local Prometheus listens on 9090), rather than
// not at all; a configured admin address that is taken stops serve.
func TestServeWithTheAdminPortTaken(t *testing.T) {
	if held, err := net.Listen("tcp", config.Default("admin-addr")); err == nil {
		defer held.Close()
	} // else something on this machine already holds it: the same case
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr apitest.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"--addr", "127.0.0.1:0", "--seed=false", "--sqlite-path", filepath.Join(dir, "opsgraph.db")}, &stdout, &stderr)
	}()
	waitFor(t, &stderr, regexp.MustCompile(`msg=listening addr=(\S+)`), done)
	if !strings.Contains(stderr.String(), "admin listener off") {
		t.Errorf("no warning about the admin listener:\n%s", stderr.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}

	var out, errs bytes.Buffer
	code := Run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--seed=false", "--sqlite-path", filepath.Join(dir, "opsgraph.db"),
		"--jwt-secret", testSecret, "--admin-addr", config.Default("admin-addr")}, &out, &errs)
	if code == 0 || !strings.Contains(errs.String(), "admin listener") {
		t.Errorf("a configured secret (not the development default) with the admin port taken: exit %d\n%s", code, errs.String())
	}
}
