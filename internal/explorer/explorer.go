// Package explorer serves the analysts' GraphQL explorer: GraphiQL with the
// query-builder Explorer plugin, a library of saved report operations, token
// sign-in and CSV download, built from explorer/ (npm, esbuild) into dist/
// and embedded in the binary. Nothing it serves refers to another origin.
//
// Routes (mounted by internal/server):
//
//	GET /                             the explorer page (dist/index.html)
//	GET /explorer/assets/<file>       hashed JS, CSS and fonts; cached for a year
//	GET /explorer/operations.json     the saved operations and the CSV exports
//	GET /explorer/third-party-licenses.txt  the licenses of the bundled npm packages
//	GET /explorer/dev-token?role=R    a development token; only with DevTokens, else 404
//
// Rebuild the bundle with `cd explorer && npm ci && npm run build`; see
// docs/explorer.md.
package explorer

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/opsgraph/opsgraph/internal/export"
)

//go:embed dist
var distFiles embed.FS

// Dist returns the built front-end: index.html and assets/.
func Dist() fs.FS {
	sub, err := fs.Sub(distFiles, "dist")
	if err != nil {
		panic(err)
	}
	return sub
}

// Options configure the explorer.
type Options struct {
	// Schema is the GraphQL schema; its root fields name the CSV exports.
	Schema *ast.Schema
	// DevTokens, when set, serves development tokens for the demo user of
	// each role at /explorer/dev-token. Only the embedded default bound to
	// loopback sets it (internal/cli); otherwise the route answers 404.
	DevTokens *DevTokens
	// Logger logs dev-token issuance (nil: slog.Default()).
	Logger *slog.Logger
}

// contentSecurityPolicy allows nothing but this origin: scripts, styles,
// fonts and requests all come from the server. Styles may be inline
// (CodeMirror and the Explorer plugin set style attributes); images may be
// data: URLs (GraphiQL's CSS embeds a few icons).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'none'; frame-ancestors 'none'"

// Handler returns the explorer's routes. It panics when the embedded
// operations are malformed (the package's tests check them).
func Handler(opts Options) http.Handler {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	catalog, err := catalogJSON(opts.Schema)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		serveAsset(w, r, "index.html")
	})
	mux.HandleFunc("GET /explorer/assets/{file}", func(w http.ResponseWriter, r *http.Request) {
		name := "assets/" + r.PathValue("file")
		if _, ok := assets()[name]; !ok || strings.ContainsAny(r.PathValue("file"), `/\`) {
			http.NotFound(w, r)
			return
		}
		// Every asset name carries a hash of its contents.
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		serveAsset(w, r, name)
	})
	mux.HandleFunc("GET /explorer/third-party-licenses.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		serveAsset(w, r, "third-party-licenses.txt")
	})
	mux.HandleFunc("GET /explorer/operations.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(catalog))
	})
	if opts.DevTokens != nil {
		mux.Handle("GET /explorer/dev-token", opts.DevTokens.handler(log))
	} else {
		mux.HandleFunc("GET /explorer/dev-token", func(w http.ResponseWriter, _ *http.Request) {
			jsonError(w, http.StatusNotFound, "NOT_FOUND",
				"development tokens are only issued by the embedded default (SQLite, generated secret) bound to a loopback address; paste a token instead")
		})
	}
	return securityHeaders(mux)
}

// securityHeaders sets on every explorer response (the page, its assets,
// the JSON routes, errors): the Content-Security-Policy (this origin only, no
// inline scripts), no framing, no Referer, no MIME sniffing.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// catalogJSON is /explorer/operations.json: the saved operations and every
// CSV export (name, Query field, path to the rows), so the page can offer
// "Download CSV" for any query whose root field has one.
func catalogJSON(schema *ast.Schema) ([]byte, error) {
	ops, err := Operations()
	if err != nil {
		return nil, err
	}
	type exportJSON struct {
		Name string   `json:"name"`
		Root string   `json:"root"`
		Rows []string `json:"rows"`
	}
	var exports []exportJSON
	if schema != nil {
		for _, t := range export.Tables(schema) {
			rows := t.Rows
			if rows == nil {
				rows = []string{}
			}
			exports = append(exports, exportJSON{Name: t.Name, Root: t.Root, Rows: rows})
		}
	}
	slices.SortFunc(exports, func(a, b exportJSON) int { return strings.Compare(a.Name, b.Name) })
	return json.Marshal(map[string]any{"operations": ops, "exports": exports})
}

// asset is one embedded file, with its gzip encoding when that is smaller.
type asset struct {
	contentType string
	etag        string // of data; the gzip encoding's has a -gz suffix
	data        []byte
	gzipped     []byte
}

var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".woff2": "font/woff2",
	".woff":  "font/woff",
	".txt":   "text/plain; charset=utf-8",
	".json":  "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
}

// assets loads dist once per process and gzips the text files (the
// bundle's JavaScript shrinks to about a third).
var assets = sync.OnceValue(func() map[string]*asset {
	out := map[string]*asset{}
	dist := Dist()
	_ = fs.WalkDir(dist, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(dist, p)
		if err != nil {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			ct = "application/octet-stream"
		}
		sum := sha256.Sum256(data)
		a := &asset{contentType: ct, data: data, etag: hex.EncodeToString(sum[:12])}
		if strings.HasPrefix(ct, "text/") || ct == "application/json" || ct == "image/svg+xml" {
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
			_, _ = zw.Write(data)
			_ = zw.Close()
			if b.Len() < len(data) {
				a.gzipped = b.Bytes()
			}
		}
		out[p] = a
		return nil
	})
	return out
})

func serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	a, ok := assets()[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	data, etag := a.data, a.etag
	if a.gzipped != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			data, etag = a.gzipped, a.etag+"-gz"
		}
	}
	h.Set("ETag", `"`+etag+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// jsonError writes a GraphQL-shaped error body, like the API's.
func jsonError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}},
	})
}
