package explorer_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/auth"
	"github.com/opsgraph/opsgraph/internal/cli"
	"github.com/opsgraph/opsgraph/internal/explorer"
)

// chromiumPath is Debian's Chromium (scripts/ensure-chromium installs it).
// Without it the browser test is skipped, and fails under CI=true.
const chromiumPath = "/usr/bin/chromium"

func requireChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found (CI=true, so this fails): run scripts/ensure-chromium (apt-get install -y chromium)", chromiumPath)
		}
		t.Skipf("%s not found: run scripts/ensure-chromium (apt-get install -y chromium) to run the browser test", chromiumPath)
	}
}

// serve runs `opsgraph serve args…` in process, as the binary does, until
// the test ends, and returns its base URL once it listens (after migrating
// and seeding).
func serve(t *testing.T, args ...string) (base string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr apitest.SyncBuffer
	done := make(chan int, 1)
	go func() { done <- cli.Run(ctx, append([]string{"serve", "--admin-addr="}, args...), &stdout, &stderr) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited with %d:\n%s", code, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Errorf("serve did not stop")
		}
	}
	t.Cleanup(stop)
	listening := regexp.MustCompile(`msg=listening addr=(\S+)`)
	// A readiness wait, not a speed check: the demo seed under -race on a
	// loaded machine takes minutes (it took over 5 with other builds
	// running); go test -timeout (30m) bounds the whole run.
	deadline := time.After(20 * time.Minute)
	for {
		if m := listening.FindStringSubmatch(stderr.String()); m != nil {
			return "http://" + m[1], stop
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d before listening:\n%s", code, stderr.String())
		case <-deadline:
			t.Fatalf("serve did not listen in time:\n%s", stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// httpJSON GETs or POSTs JSON with a bearer token.
func httpJSON(t *testing.T, method, target, token string, body any, out any) int {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decoding: %v", method, target, err)
		}
	}
	return res.StatusCode
}

type gqlResponse struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// page drives one browser tab and records every request it makes.
type page struct {
	t         *testing.T
	ctx       context.Context
	artifacts string

	mu         sync.Mutex
	requests   []string
	responses  map[string][]int64 // URL → HTTP statuses
	exceptions []string
	logErrors  []string // console and browser errors, CSP violations among them
}

func (p *page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.fail("%s: %v", what, err)
	}
}

// wait polls a JavaScript predicate until it is truthy.
func (p *page) wait(what, predicate string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 95*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(90*time.Second))); err != nil {
		p.fail("waiting for %s (%s): %v", what, predicate, err)
	}
}

func eval[T any](p *page, js string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.fail("evaluating %s: %v", js, err)
	}
	return v
}

// fail saves a screenshot of the page for the failure and stops the test.
func (p *page) fail(format string, args ...any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		name := filepath.Join(p.artifacts, "explorer-failure-"+strings.ReplaceAll(p.t.Name(), "/", "_")+".png")
		if os.WriteFile(name, png, 0o644) == nil {
			p.t.Logf("screenshot of the failure: %s", name)
		}
	}
	p.t.Fatalf(format, args...)
}

func (p *page) screenshot(name string) []byte {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.fail("screenshot: %v", err)
	}
	path := filepath.Join(p.artifacts, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
	return png
}

// checkRequests fails when the page asked anything of another origin.
func (p *page) checkRequests(base string) {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.requests) == 0 {
		p.t.Fatal("no requests recorded")
	}
	for _, u := range p.requests {
		if strings.HasPrefix(u, "data:") || strings.HasPrefix(u, "blob:"+base+"/") {
			continue
		}
		if u != base && !strings.HasPrefix(u, base+"/") {
			p.t.Errorf("the page requested %s, outside the server %s", u, base)
		}
	}
	for _, e := range p.exceptions {
		p.t.Errorf("uncaught exception in the page: %s", e)
	}
	for _, e := range p.logErrors {
		if strings.Contains(e, "Content Security Policy") || strings.Contains(e, "Content-Security-Policy") {
			p.t.Errorf("the page broke its Content-Security-Policy: %s", e)
		} else {
			p.t.Logf("browser error: %s", e)
		}
	}
	// The recording saw the page's own requests.
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`^` + regexp.QuoteMeta(base) + `/$`),
		regexp.MustCompile(`/explorer/assets/main-[0-9a-f]+\.js$`),
		regexp.MustCompile(`/explorer/assets/main-[0-9a-f]+\.css$`),
		regexp.MustCompile(`/explorer/assets/font-[0-9a-f]+\.woff2?$`),
		regexp.MustCompile(`/explorer/operations\.json$`),
		regexp.MustCompile(`/graphql$`),
	} {
		if !slices.ContainsFunc(p.requests, want.MatchString) {
			p.t.Errorf("no request matching %s among the %d recorded", want, len(p.requests))
		}
	}
	fonts := 0
	for _, u := range p.requests {
		if strings.HasSuffix(u, ".woff2") || strings.HasSuffix(u, ".woff") {
			fonts++
		}
	}
	p.t.Logf("%d requests, all to %s (%d font files)", len(p.requests), base, fonts)
}

// waitFile waits for the browser to finish saving a download.
func waitFile(t *testing.T, file string) []byte {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if data, err := os.ReadFile(file); err == nil && len(data) > 0 {
			if _, partial := os.Stat(file + ".crdownload"); partial != nil {
				return data
			}
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(filepath.Dir(file))
			t.Fatalf("%s was not saved (downloads: %v)", file, entries)
		}
	}
}

func (p *page) requestsWith(prefix string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, u := range p.requests {
		if strings.HasPrefix(u, prefix) {
			out = append(out, u)
		}
	}
	return out
}

// statuses counts the responses to url with the status.
func (p *page) statuses(url string, status int64) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, s := range p.responses[url] {
		if s == status {
			n++
		}
	}
	return n
}

func (p *page) requestsTo(prefix string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, u := range p.requests {
		if strings.HasPrefix(u, prefix) {
			n++
		}
	}
	return n
}

// newBrowser starts headless Chromium with no network beyond this machine
// and opens a tab on it.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox, // the tests may run as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-proxy-server", true),
		// No name resolves: nothing but the server at 127.0.0.1 is reachable.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1600, 1000),
	)
	// The browser lives at most as long as this context: the first Do binds
	// it to the context it runs with.
	bounded, cancelBounded := context.WithTimeout(context.Background(), 8*time.Minute)
	t.Cleanup(cancelBounded)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(bounded, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", chromiumPath, err)
	}
	return ctx
}

// newPage opens a tab (a fresh browser context: its own session storage)
// that records its requests and exceptions and saves downloads in
// downloads.
func newPage(t *testing.T, browserCtx context.Context, artifacts, downloads string) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	p := &page{t: t, ctx: ctx, artifacts: artifacts, responses: map[string][]int64{}}
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			p.mu.Lock()
			p.requests = append(p.requests, ev.Request.URL)
			p.mu.Unlock()
		case *network.EventResponseReceived:
			p.mu.Lock()
			p.responses[ev.Response.URL] = append(p.responses[ev.Response.URL], ev.Response.Status)
			p.mu.Unlock()
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError {
				p.mu.Lock()
				p.logErrors = append(p.logErrors, fmt.Sprintf("%s %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
				p.mu.Unlock()
			}
		case *runtime.EventExceptionThrown:
			text := ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				text += " " + ev.ExceptionDetails.Exception.Description
			}
			p.mu.Lock()
			p.exceptions = append(p.exceptions, text)
			p.mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads, EventsEnabled: new(true),
		BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
	}); err != nil {
		t.Fatalf("download behaviour: %v", err)
	}
	p.do("viewport", chromedp.EmulateViewport(1600, 1000))
	return p
}

func artifactsDir(t *testing.T) string {
	dir := os.Getenv("OPSGRAPH_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

const (
	queryEditor    = `document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror`
	responseEditor = `document.querySelector('.graphiql-response .CodeMirror').CodeMirror`
)

// openAndRun opens a saved operation from the Saved operations pane, runs
// it, and returns the response the page shows.
func (p *page) openAndRun(id, operationName string) gqlResponse {
	p.t.Helper()
	p.do("open "+id, chromedp.Click(chromedp.CSS(`.og-saved-open[data-operation="`+id+`"]`)))
	p.wait(id+" in the query editor", queryEditor+`.getValue().includes('query `+operationName+`(') && `+queryEditor+`.operationName === '`+operationName+`'`)
	p.do("clear the response", chromedp.Evaluate[chromedp.Void](responseEditor+`.setValue('')`))
	p.do("run "+id, chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)))
	p.wait("the response of "+id, responseEditor+`.getValue().includes('"data"') && document.querySelector('[data-testid=result-summary]')?.dataset.rows !== ''`)
	text := eval[string](p, responseEditor+`.getValue()`)
	var res gqlResponse
	if err := json.Unmarshal([]byte(text), &res); err != nil {
		p.fail("the response of %s is not JSON: %v", id, err)
	}
	if len(res.Data) == 0 {
		p.fail("the response of %s has no data: %s", id, text)
	}
	return res
}

func (p *page) selectRole(role string) {
	p.t.Helper()
	p.do("choose "+role, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const s = document.querySelector('#og-role');
		Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set.call(s, %q);
		s.dispatchEvent(new Event('change', { bubbles: true }));
	})()`, role)))
	p.wait("signed in as "+role, `document.querySelector('[data-testid=identity]')?.textContent.includes(' · `+role+` · ')`)
}

func rowsOf(t *testing.T, res gqlResponse, field string) (edges []json.RawMessage, totalCount int) {
	t.Helper()
	var conn struct {
		TotalCount int               `json:"totalCount"`
		Edges      []json.RawMessage `json:"edges"`
	}
	if err := json.Unmarshal(res.Data[field], &conn); err != nil {
		t.Fatalf("%s: %v in %s", field, err, res.Data[field])
	}
	return conn.Edges, conn.TotalCount
}

// The explorer end to end: the embedded default as analysts start it (dev
// role switcher), and a configured secret (paste a token); a real Chromium
// with no network, every request the page makes recorded.
func TestExplorerInBrowser(t *testing.T) {
	requireChromium(t)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "opsgraph.db")
	artifacts := artifactsDir(t)
	downloads := t.TempDir()

	// 1. The embedded default on loopback: development tokens.
	base, stop := serve(t, "--addr", "127.0.0.1:0", "--sqlite-path", dbPath, "--sweep-interval", "0")

	var dev struct {
		Token string             `json:"token"`
		Roles []explorer.DevRole `json:"roles"`
	}
	if code := httpJSON(t, http.MethodGet, base+"/explorer/dev-token?role=ADMIN", "", nil, &dev); code != http.StatusOK || dev.Token == "" || len(dev.Roles) != 8 {
		t.Fatalf("GET /explorer/dev-token on the embedded default: %d %+v", code, dev)
	}
	// Every saved operation runs cleanly as ADMIN, and its CSV exports answer.
	ops, err := explorer.Operations()
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		var vars map[string]any
		_ = json.Unmarshal([]byte(op.Variables), &vars)
		var res gqlResponse
		if code := httpJSON(t, http.MethodPost, base+"/graphql", dev.Token, map[string]any{"query": op.Query, "variables": vars}, &res); code != http.StatusOK || len(res.Errors) > 0 || len(res.Data) == 0 {
			t.Errorf("saved operation %s as ADMIN: %d %+v", op.ID, code, res.Errors)
		}
		for _, name := range op.Exports {
			req, _ := http.NewRequest(http.MethodGet, base+"/export/"+name+".csv", nil)
			req.Header.Set("Authorization", "Bearer "+dev.Token)
			r, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
				t.Errorf("export %s of %s: %d %s", name, op.ID, r.StatusCode, r.Header.Get("Content-Type"))
			}
		}
	}

	ctx := newBrowser(t)
	p := newPage(t, ctx, artifacts, downloads)
	p.do("load the explorer", chromedp.Navigate(base+"/"))
	// Signed in with a development token for the default role, the saved
	// operations pane open.
	p.wait("the development sign-in", `document.querySelector('[data-testid=identity]')?.textContent.includes('analyst@opsgraph.example')`)
	p.wait("the saved operations", `document.querySelectorAll('.og-saved-open').length === `+fmt.Sprint(len(ops)))
	if got := eval[string](p, `sessionStorage.getItem('opsgraph.explorer.token') || ''`); got == "" {
		t.Error("the token is not in sessionStorage")
	}
	if got := eval[int](p, `Object.keys(localStorage).filter(k => (localStorage.getItem(k) || '').includes('eyJ')).length`); got != 0 {
		t.Error("a token is in localStorage; it must stay in sessionStorage")
	}

	// As OPS_ANALYST: the renewals report has rows, and ARR is FORBIDDEN
	// at its field, summarised in one line.
	res := p.openAndRun("renewal-calendar", "RenewalCalendar")
	edges, total := rowsOf(t, res, "renewalCalendar")
	if len(edges) == 0 || total == 0 {
		p.fail("no renewals in the result: %s", res.Data["renewalCalendar"])
	}
	forbidden := 0
	for _, e := range res.Errors {
		if e.Extensions["code"] == "FORBIDDEN" && len(e.Path) > 0 && e.Path[len(e.Path)-1] == "arrMinor" {
			forbidden++
		}
	}
	if forbidden != len(edges) {
		t.Errorf("OPS_ANALYST: %d FORBIDDEN errors at arrMinor for %d renewals; errors %+v", forbidden, len(edges), res.Errors)
	}
	p.wait("the row count in the summary", `document.querySelector('[data-testid=result-summary]').dataset.rows === '`+fmt.Sprint(len(edges))+`'`)
	summary := eval[string](p, `document.querySelector('[data-testid=result-summary]').textContent`)
	if !strings.Contains(summary, "FORBIDDEN ×") || !strings.Contains(summary, "renewalCalendar.edges[*].node.arrMinor") {
		t.Errorf("the summary does not group the FORBIDDEN errors by path: %q", summary)
	}
	if !strings.Contains(eval[string](p, `document.querySelector('#og-role').value`), "OPS_ANALYST") {
		t.Error("the role switcher does not show OPS_ANALYST")
	}
	// Download CSV: the report's two exports offered, the renewals saved with
	// the analyst's columns (ARR left out) and every row, not one page.
	p.do("open the CSV menu", chromedp.Click(chromedp.CSS(`[data-testid=csv-button]`)))
	p.wait("the CSV choices", `document.querySelectorAll('[data-export]').length === 2`)
	choices := eval[[]string](p, `[...document.querySelectorAll('[data-export]')].map(b => b.dataset.export)`)
	if !slices.Equal(choices, []string{"renewal-calendar", "renewal-calendar-months"}) {
		t.Errorf("CSV choices %v", choices)
	}
	p.do("download renewal-calendar.csv", chromedp.Click(chromedp.CSS(`[data-export="renewal-calendar"]`)))
	p.wait("the download", `document.querySelector('[data-testid=csv-status]')?.dataset.kind === 'ok'`)
	data := waitFile(t, filepath.Join(downloads, "renewal-calendar.csv"))
	records, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("renewal-calendar.csv: %v", err)
	}
	if len(records) != total+1 || !slices.Contains(records[0], "contract.number") || slices.Contains(records[0], "arrMinor") {
		t.Errorf("renewal-calendar.csv: %d records for %d renewals, header %v (arrMinor must be left out for OPS_ANALYST)", len(records), total, records[0])
	}
	if n := p.requestsTo(base + "/export/renewal-calendar.csv?withinDays=120"); n != 1 {
		t.Errorf("%d requests to the export with the report's arguments", n)
	}

	// Another report as OPS_ANALYST: rows and no error; the screenshot.
	res = p.openAndRun("entitlement-discrepancies", "EntitlementDiscrepancies")
	if edges, total := rowsOf(t, res, "entitlementDiscrepancies"); len(res.Errors) != 0 || len(edges) == 0 || total < len(edges) {
		t.Errorf("entitlement discrepancies as OPS_ANALYST: %d rows of %d, errors %+v", len(edges), total, res.Errors)
	}
	p.wait("the summary", `document.querySelector('[data-testid=result-summary]').dataset.errors === '0'`)
	png := p.screenshot("explorer.png")
	if os.Getenv("OPSGRAPH_UPDATE_SCREENSHOT") == "1" {
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "explorer.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("wrote docs/explorer.png")
	}

	// The role switcher: FINANCE sees ARR.
	p.selectRole("FINANCE")
	res = p.openAndRun("renewal-calendar", "RenewalCalendar")
	var renewals struct {
		Edges []struct {
			Node struct {
				ArrMinor *json.Number `json:"arrMinor"`
			} `json:"node"`
		} `json:"edges"`
	}
	if err := json.Unmarshal(res.Data["renewalCalendar"], &renewals); err != nil || len(res.Errors) != 0 || len(renewals.Edges) == 0 {
		t.Errorf("FINANCE: %v, errors %+v", err, res.Errors)
	}
	for _, e := range renewals.Edges {
		if e.Node.ArrMinor == nil {
			t.Errorf("FINANCE: a renewal without ARR")
			break
		}
	}

	// Another report, a CSM's book, and the docs pane.
	p.selectRole("CSM")
	res = p.openAndRun("health-overview", "HealthOverview")
	var health struct {
		ByBand []struct {
			Band     string `json:"band"`
			Accounts int    `json:"accounts"`
		} `json:"byBand"`
	}
	if err := json.Unmarshal(res.Data["healthOverview"], &health); err != nil || len(res.Errors) != 0 || len(health.ByBand) != 3 || health.ByBand[0].Band != "GREEN" {
		t.Errorf("CSM health overview: %s %+v", res.Data["healthOverview"], res.Errors)
	}
	p.do("open the docs", chromedp.Click(chromedp.CSS(`.graphiql-sidebar button[aria-label="Show Documentation Explorer"]`)))
	p.wait("the docs pane", `document.querySelector('.graphiql-doc-explorer')?.textContent.includes('Query')`)
	p.checkRequests(base)
	if n := p.statuses(base+"/graphql", http.StatusUnauthorized); n != 0 {
		t.Errorf("%d GraphQL requests of the page were refused (401): some went without the token", n)
	}
	if n := p.statuses(base+"/graphql", http.StatusOK); n < 5 {
		t.Errorf("only %d GraphQL requests answered 200 (introspection per role, and the runs)", n)
	}
	stop()

	// 2. A configured secret: no development tokens; the page asks for a
	// token, refuses a bad one, and works with a pasted one.
	secret := "explorer-browser-test-secret-0123456789"
	base, _ = serve(t, "--addr", "127.0.0.1:0", "--sqlite-path", dbPath, "--jwt-secret", secret, "--sweep-interval", "0")
	if code := httpJSON(t, http.MethodGet, base+"/explorer/dev-token?role=ADMIN", "", nil, nil); code != http.StatusNotFound {
		t.Errorf("GET /explorer/dev-token with a configured secret: %d, want 404", code)
	}
	downloads2 := t.TempDir()
	p2 := newPage(t, ctx, artifacts, downloads2)
	p2.do("load the explorer", chromedp.Navigate(base+"/"))
	p2.wait("the sign-in form", `!!document.querySelector('#og-token-input')`)
	if eval[bool](p2, `!!document.querySelector('#og-role')`) {
		t.Error("the role switcher is shown without development tokens")
	}
	other, err := auth.Mint(auth.Config{Secret: []byte("another-secret-another-secret-0123456789")}, auth.MintOptions{Subject: "csm1@opsgraph.example", Roles: []string{"CSM"}, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	p2.do("paste a foreign token", chromedp.SendKeys(chromedp.CSS(`#og-token-input`), other), chromedp.Click(chromedp.CSS(`#og-sign-in`)))
	p2.wait("the refusal", `document.querySelector('.og-signin-error')?.textContent.includes('refused')`)
	p2.screenshot("explorer-sign-in.png")
	tok, err := auth.Mint(auth.Config{Secret: []byte(secret)}, auth.MintOptions{Subject: "lead@opsgraph.example", Roles: []string{"OPS_MANAGER"}, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	p2.do("paste the token", chromedp.Evaluate[chromedp.Void](`(() => {
		const el = document.querySelector('#og-token-input');
		Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set.call(el, '');
		el.dispatchEvent(new Event('input', { bubbles: true }));
	})()`), chromedp.SendKeys(chromedp.CSS(`#og-token-input`), tok), chromedp.Click(chromedp.CSS(`#og-sign-in`)))
	p2.wait("signed in with the pasted token", `document.querySelector('[data-testid=identity]')?.textContent.includes('lead@opsgraph.example')`)
	res = p2.openAndRun("account-360", "Account360")
	accounts, total := rowsOf(t, res, "accounts")
	if len(res.Errors) != 0 || len(accounts) == 0 {
		t.Errorf("Account 360 with a pasted token: %s %+v", res.Data["accounts"], res.Errors)
	}
	// Its CSV: one export (accounts), the query's where and orderBy as JSON.
	p2.do("download accounts.csv", chromedp.Click(chromedp.CSS(`[data-testid=csv-button]`)))
	p2.wait("the download", `document.querySelector('[data-testid=csv-status]')?.dataset.kind === 'ok'`)
	var exportURL *url.URL
	for _, u := range p2.requestsWith(base + "/export/accounts.csv?") {
		exportURL, _ = url.Parse(u)
	}
	if exportURL == nil {
		t.Fatal("no request for accounts.csv")
	}
	if q := exportURL.Query(); q.Get("where") != `{"nameContainsFold":"atlas"}` || q.Get("orderBy") != `[{"field":"NAME"}]` || q.Has("first") {
		t.Errorf("accounts.csv arguments %v", q)
	}
	records, err = csv.NewReader(bytes.NewReader(waitFile(t, filepath.Join(downloads2, "accounts.csv")))).ReadAll()
	if err != nil || len(records) != total+1 || records[0][0] != "id" {
		t.Errorf("accounts.csv: %d records for %d accounts (%v), header %v", len(records), total, err, records[0])
	}
	p2.checkRequests(base)
}
