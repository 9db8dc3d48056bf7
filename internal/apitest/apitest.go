// Package apitest runs GraphQL requests against a real OpsGraph HTTP
// handler (authentication, limits, resolvers, ent, a real database) for
// tests.
package apitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/internal/auth"
	"github.com/opsgraph/opsgraph/internal/server"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// Secret is the HS256 secret test servers use.
var Secret = []byte("apitest-secret-apitest-secret-0123456789")

// Server is a test server over one database.
type Server struct {
	t      testing.TB
	DB     *store.DB
	URL    string
	Config auth.Config
}

// New starts a server over db, closed when the test ends.
func New(t testing.TB, db *store.DB) *Server {
	t.Helper()
	return NewAt(t, db, nil)
}

// NewAt is New with the server's clock fixed by now (nil: time.Now).
func NewAt(t testing.TB, db *store.DB, now func() time.Time) *Server {
	t.Helper()
	return NewWith(t, db, func(o *server.Options) { o.Now = now })
}

// NewWith is New with the server's options changed by configure (limits,
// rate limits, ...) before the handler is built.
func NewWith(t testing.TB, db *store.DB, configure func(*server.Options)) *Server {
	t.Helper()
	cfg := auth.Config{Secret: Secret}
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		t.Fatalf("verifier: %v", err)
	}
	opts := server.Options{DB: db, Verifier: v, Introspection: true, Logger: discardLogger()}
	if configure != nil {
		configure(&opts)
	}
	ts := httptest.NewServer(server.Handler(opts))
	t.Cleanup(ts.Close)
	return &Server{t: t, DB: db, URL: ts.URL, Config: cfg}
}

// Token mints a token for subject with roles.
func (s *Server) Token(subject string, roles ...string) string {
	s.t.Helper()
	if len(roles) == 0 {
		roles = []string{viewer.RoleAdmin}
	}
	tok, err := auth.Mint(s.Config, auth.MintOptions{Subject: subject, Roles: roles, TTL: time.Hour})
	if err != nil {
		s.t.Fatalf("mint: %v", err)
	}
	return tok
}

// Response is a decoded GraphQL response.
type Response struct {
	Status     int
	Header     http.Header     `json:"-"`
	Data       json.RawMessage `json:"data"`
	Errors     []Error         `json:"errors"`
	Extensions map[string]any  `json:"extensions"`
	Raw        []byte          `json:"-"`
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns the error's extensions.code.
func (e Error) Code() string {
	c, _ := e.Extensions["code"].(string)
	return c
}

// Post sends query with variables as the ADMIN test user.
func (s *Server) Post(query string, vars map[string]any) *Response {
	s.t.Helper()
	return s.PostAs(s.Token("admin@opsgraph.example", viewer.RoleAdmin), query, vars)
}

// PostAs sends query with variables and the bearer token (none when empty).
func (s *Server) PostAs(token, query string, vars map[string]any) *Response {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return s.do(req)
}

// Get sends query over GET.
func (s *Server) Get(token, query string) *Response {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+"/graphql?query="+urlEscape(query), nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return s.do(req)
}

func (s *Server) do(req *http.Request) *Response {
	s.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("request: %v", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	out := &Response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if err := json.Unmarshal(raw, out); err != nil {
		s.t.Fatalf("decoding response %q: %v", raw, err)
	}
	return out
}

// MustData fails the test on any error and decodes data into v.
func (r *Response) MustData(t testing.TB, v any) {
	t.Helper()
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Fatalf("status %d, errors: %s", r.Status, r.Raw)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decoding data %s: %v", r.Data, err)
	}
}

func urlEscape(s string) string {
	return url.QueryEscape(s)
}
