package explorer_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/opsgraph/opsgraph/graph"
	"github.com/opsgraph/opsgraph/internal/auth"
	"github.com/opsgraph/opsgraph/internal/explorer"
	"github.com/opsgraph/opsgraph/internal/export"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// schema is the server's GraphQL schema, parsed from its SDL.
func schema(t *testing.T) *ast.Schema {
	t.Helper()
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "opsgraph.graphql", Input: graph.SDL()})
	if err != nil {
		t.Fatalf("parsing graph.SDL(): %v", err)
	}
	return s
}

// The eight reports each have a saved operation, as do the look-ups.
var wantRoots = []string{
	"renewalCalendar", "renewalHygiene", "entitlementDiscrepancies", "healthOverview",
	"requestQueue", "dataQuality", "billingReconciliation", "orderPipeline",
	"accounts", "orders",
}

// Every saved operation is valid against the schema, with its variables;
// its CSV exports exist and belong to its root field; together they cover
// every report.
func TestOperationsAgainstSchema(t *testing.T) {
	s := schema(t)
	tables := export.Tables(s)
	ops, err := explorer.Operations()
	if err != nil {
		t.Fatal(err)
	}
	roots := map[string]bool{}
	for _, op := range ops {
		t.Run(op.ID, func(t *testing.T) {
			doc, errs := gqlparser.LoadQuery(s, op.Query)
			if errs != nil {
				t.Fatalf("%s does not validate: %v", op.File, errs)
			}
			if len(doc.Operations) != 1 || doc.Operations[0].Operation != ast.Query {
				t.Fatalf("%s: want exactly one query operation", op.File)
			}
			o := doc.Operations[0]
			if o.Name != op.OperationName {
				t.Errorf("operation name %q, catalog says %q", o.Name, op.OperationName)
			}
			var vars map[string]any
			if err := json.Unmarshal([]byte(op.Variables), &vars); err != nil {
				t.Fatalf("@variables: %v", err)
			}
			for k := range vars {
				if o.VariableDefinitions.ForName(k) == nil {
					t.Errorf("@variables sets %q, which the operation does not declare", k)
				}
			}
			if _, err := validator.VariableValues(s, o, vars); err != nil {
				t.Errorf("@variables do not fit the operation: %v", err)
			}
			var fields []string
			for _, sel := range o.SelectionSet {
				if f, ok := sel.(*ast.Field); ok {
					fields = append(fields, f.Name)
					roots[f.Name] = true
				}
			}
			if len(op.Exports) == 0 {
				t.Errorf("%s has no @export", op.File)
			}
			for _, name := range op.Exports {
				tbl, ok := tables[name]
				if !ok {
					t.Errorf("@export %s: no such CSV export", name)
					continue
				}
				if !slices.Contains(fields, tbl.Root) {
					t.Errorf("@export %s exports %s, which the operation does not query (%v)", name, tbl.Root, fields)
				}
			}
			if op.Title == "" || len(op.Description) < 40 || op.Group == "" {
				t.Errorf("title %q, group %q, description %q: each operation is documented", op.Title, op.Group, op.Description)
			}
			if strings.Contains(op.Query, "@export") || !strings.HasPrefix(op.Query, "# "+op.Title+"\n") {
				t.Errorf("the tab's query should start with the title comment and drop the @ lines:\n%s", op.Query)
			}
		})
	}
	for _, r := range wantRoots {
		if !roots[r] {
			t.Errorf("no saved operation queries %s", r)
		}
	}
}

func get(t *testing.T, h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	if strings.HasPrefix(target, "/") {
		target = "http://127.0.0.1:8080" + target // as a browser on this machine asks
	}
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var assetRef = regexp.MustCompile(`(?:href|src)="explorer/(assets/[^"]+)"`)

// The page, its hashed assets and the catalog, with their content types
// and cache headers.
func TestHandler(t *testing.T) {
	s := schema(t)
	h := explorer.Handler(explorer.Options{Schema: s})

	page := get(t, h, "/")
	if page.Code != http.StatusOK || page.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /: %d %q", page.Code, page.Header().Get("Content-Type"))
	}
	if cc := page.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("GET / Cache-Control %q, want no-cache (the page names the current assets)", cc)
	}
	csp := page.Header().Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'self'", "script-src 'self'", "connect-src 'self'", "font-src 'self'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, d)
		}
	}
	if et := page.Header().Get("ETag"); et == "" || get(t, h, "/", "If-None-Match", et).Code != http.StatusNotModified {
		t.Errorf("GET / with its ETag %q is not 304", et)
	}

	refs := assetRef.FindAllStringSubmatch(page.Body.String(), -1)
	if len(refs) != 2 {
		t.Fatalf("index.html should load one script and one stylesheet:\n%s", page.Body)
	}
	want := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".woff2": "font/woff2", ".woff": "font/woff"}
	hashed := regexp.MustCompile(`^assets/(main|font)-[0-9a-f]{12}\.(js|css|woff2?)$`)
	var names []string
	_ = fs.WalkDir(explorer.Dist(), "assets", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	for _, r := range refs {
		if !slices.Contains(names, r[1]) {
			t.Errorf("index.html refers to %s, which dist/ lacks", r[1])
		}
	}
	for _, name := range names {
		if !hashed.MatchString(name) {
			t.Errorf("%s: asset names carry a content hash", name)
		}
		res := get(t, h, "/explorer/"+name)
		ext := name[strings.LastIndex(name, "."):]
		if res.Code != http.StatusOK || res.Header().Get("Content-Type") != want[ext] {
			t.Errorf("GET /explorer/%s: %d %q, want 200 %q", name, res.Code, res.Header().Get("Content-Type"), want[ext])
		}
		if cc := res.Header().Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("GET /explorer/%s: Cache-Control %q", name, cc)
		}
		if res.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET /explorer/%s: no nosniff", name)
		}
		if ext == ".js" || ext == ".css" {
			gz := get(t, h, "/explorer/"+name, "Accept-Encoding", "gzip, deflate, br")
			if gz.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(gz.Header().Get("Vary"), "Accept-Encoding") {
				t.Errorf("GET /explorer/%s with Accept-Encoding: gzip: encoding %q, Vary %q", name, gz.Header().Get("Content-Encoding"), gz.Header().Get("Vary"))
				continue
			}
			zr, err := gzip.NewReader(gz.Body)
			if err != nil {
				t.Fatal(err)
			}
			plain, _ := io.ReadAll(zr)
			if !bytes.Equal(plain, res.Body.Bytes()) {
				t.Errorf("GET /explorer/%s: the gzip encoding differs from the file", name)
			}
			if gz.Body.Len() > res.Body.Len()/2 {
				t.Errorf("GET /explorer/%s: gzip %d of %d bytes", name, gz.Body.Len(), res.Body.Len())
			}
		}
	}
	for _, missing := range []string{"/explorer/assets/main-000000000000.js", "/explorer/assets/", "/explorer/assets/..%2findex.html", "/explorer/index.html"} {
		if res := get(t, h, missing); res.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", missing, res.Code)
		}
	}
	if res := get(t, h, "/explorer/third-party-licenses.txt"); res.Code != http.StatusOK || !strings.Contains(res.Body.String(), "graphiql@") {
		t.Errorf("GET /explorer/third-party-licenses.txt: %d", res.Code)
	}

	cat := get(t, h, "/explorer/operations.json")
	if cat.Code != http.StatusOK || cat.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET /explorer/operations.json: %d %q", cat.Code, cat.Header().Get("Content-Type"))
	}
	var body struct {
		Operations []explorer.Operation `json:"operations"`
		Exports    []struct {
			Name string   `json:"name"`
			Root string   `json:"root"`
			Rows []string `json:"rows"`
		} `json:"exports"`
	}
	if err := json.Unmarshal(cat.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	ops, _ := explorer.Operations()
	if len(body.Operations) != len(ops) || body.Operations[0].Query != ops[0].Query || body.Operations[0].Variables == "" {
		t.Errorf("operations.json lists %d operations, want %d", len(body.Operations), len(ops))
	}
	if len(body.Exports) != len(export.Tables(s)) {
		t.Errorf("operations.json lists %d exports, want %d", len(body.Exports), len(export.Tables(s)))
	}
	for _, e := range body.Exports {
		if e.Name == "order-pipeline-stuck" && (e.Root != "orderPipeline" || !slices.Equal(e.Rows, []string{"stuckOrders"})) {
			t.Errorf("export %+v", e)
		}
	}

	// Without DevTokens (anything but the embedded default on loopback).
	if res := get(t, h, "/explorer/dev-token?role=ADMIN"); res.Code != http.StatusNotFound || strings.Contains(res.Body.String(), "token\":") {
		t.Errorf("GET /explorer/dev-token without DevTokens: %d %s, want 404", res.Code, res.Body)
	}
}

// Development tokens: one per role, for the role's demo user, short-lived,
// verifiable with the server's secret; refused to other sites and hosts.
func TestDevTokens(t *testing.T) {
	cfg := auth.Config{Secret: []byte("explorer-test-secret-0123456789abcdef")}
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	h := explorer.Handler(explorer.Options{Schema: schema(t), DevTokens: &explorer.DevTokens{Auth: cfg, TTL: 30 * time.Minute, Now: func() time.Time { return now }},
		Logger: slog.New(slog.DiscardHandler)})

	var roles []string
	for _, d := range explorer.DevRoles {
		roles = append(roles, d.Role)
	}
	if want := slices.DeleteFunc(slices.Clone(viewer.Roles), func(r string) bool { return r == viewer.RoleIntegration }); !slices.Equal(roles, want) {
		t.Errorf("role switcher offers %v, want %v", roles, want)
	}
	for _, d := range explorer.DevRoles {
		res := get(t, h, "/explorer/dev-token?role="+d.Role, "Sec-Fetch-Site", "same-origin")
		if res.Code != http.StatusOK || res.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("%s: %d %s", d.Role, res.Code, res.Body)
		}
		var body struct {
			Token, Role, Subject, ExpiresAt string
			Roles                           []explorer.DevRole
		}
		if err := json.Unmarshal(res.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		vw, err := v.Verify(body.Token)
		if err != nil {
			t.Fatalf("%s: the token does not verify: %v", d.Role, err)
		}
		if vw.Subject != d.Subject || !slices.Equal(vw.Roles, []string{d.Role}) || body.Role != d.Role || body.Subject != d.Subject || len(body.Roles) != len(explorer.DevRoles) {
			t.Errorf("%s: viewer %+v, body %+v", d.Role, vw, body)
		}
		if body.ExpiresAt != now.Add(30*time.Minute).UTC().Format(time.RFC3339) {
			t.Errorf("%s: expiresAt %s", d.Role, body.ExpiresAt)
		}
	}
	if res := get(t, h, "/explorer/dev-token"); res.Code != http.StatusOK || !strings.Contains(res.Body.String(), `"role":"`+explorer.DefaultDevRole+`"`) {
		t.Errorf("no role: %d %s, want the default role %s", res.Code, res.Body, explorer.DefaultDevRole)
	}
	for _, tt := range []struct {
		name   string
		target string
		header []string
		status int
	}{
		{"unknown role", "/explorer/dev-token?role=INTEGRATION", nil, http.StatusBadRequest},
		{"another site", "/explorer/dev-token?role=ADMIN", []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"another origin", "/explorer/dev-token?role=ADMIN", []string{"Origin", "http://evil.example"}, http.StatusForbidden},
		{"a rebound host name", "http://evil.example:8080/explorer/dev-token?role=ADMIN", nil, http.StatusForbidden},
	} {
		res := get(t, h, tt.target, tt.header...)
		if res.Code != tt.status || strings.Contains(res.Body.String(), `"token"`) {
			t.Errorf("%s: %d %s, want %d", tt.name, res.Code, res.Body, tt.status)
		}
	}
	for _, host := range []string{"localhost:8080", "127.0.0.1:8080", "[::1]:8080", "127.0.0.1"} {
		req := httptest.NewRequest(http.MethodGet, "/explorer/dev-token?role=CSM", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("Host %s: %d %s", host, rec.Code, rec.Body)
		}
	}
}

// Hosts named in the bundle's JavaScript, each a link or a text the browser
// never loads by itself (the browser test checks the requests the page
// really makes, and the page's Content-Security-Policy allows only 'self').
var knownJSHosts = map[string]string{
	"www.w3.org":       "XML/SVG namespace URIs",
	"react.dev":        "React's minified error messages link to their explanation",
	"github.com":       "GraphiQL's logo link and the Explorer plugin's credits (not shown)",
	"www.onegraph.com": "the Explorer plugin's attribution link (hidden: showAttribution false)",
	"codemirror.net":   "the link to CodeMirror's key map manual in GraphiQL's settings dialog",
	"en.wikipedia.org": "text of graphql-js's Float scalar description",
	"commonmark.org":   "text of graphql-js's description of descriptions",
	"yarnpkg.com":      "text of graphql-js's duplicate-module error message",
}

var (
	anyOrigin = regexp.MustCompile(`(?i)\b(?:https?:)?//([a-z0-9-]+(?:\.[a-z0-9-]+)+)`)
	jsOrigin  = regexp.MustCompile(`(?i)\bhttps?://([a-z0-9-]+(?:\.[a-z0-9-]+)+)`)
	cdn       = regexp.MustCompile(`(?i)fonts\.(googleapis|gstatic)\.com|cdn\.jsdelivr|unpkg\.com|cdnjs|esm\.sh|jspm\.io|skypack`)
)

// Nothing served names another origin the browser would load: the page and
// the CSS none at all, the JavaScript only the known links and texts.
func TestBundleHasNoExternalOrigins(t *testing.T) {
	dist := explorer.Dist()
	err := fs.WalkDir(dist, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".woff2") || strings.HasSuffix(p, ".woff") || p == "third-party-licenses.txt" {
			return err
		}
		data, err := fs.ReadFile(dist, p)
		if err != nil {
			return err
		}
		text := string(data)
		if m := cdn.FindString(text); m != "" {
			t.Errorf("%s names a CDN: %s", p, m)
		}
		switch {
		case strings.HasSuffix(p, ".js"):
			seen := map[string]bool{}
			for _, m := range jsOrigin.FindAllStringSubmatch(text, -1) {
				host := strings.ToLower(m[1])
				if _, ok := knownJSHosts[host]; !ok && !seen[host] {
					t.Errorf("%s names %s, which is not a known harmless link: check that the browser never loads it, then list it in knownJSHosts", p, m[0])
				}
				seen[host] = true
			}
			if regexp.MustCompile(`import\(\s*["'\x60]https?:`).MatchString(text) {
				t.Errorf("%s imports a module from another origin", p)
			}
		default: // index.html, CSS
			if m := anyOrigin.FindString(text); m != "" {
				t.Errorf("%s names an external origin: %s", p, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
