package server_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	coderws "github.com/coder/websocket"

	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/server"
	"github.com/opsgraph/opsgraph/internal/testdb"
)

func TestWebsocket(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	s := apitest.New(t, db)
	tok := s.Token("admin@opsgraph.example")

	refused := func(t *testing.T, payload map[string]any) {
		t.Helper()
		c, err := openWS(t, s.URL)
		if err != nil {
			t.Fatal(err)
		}
		c.init(t, payload)
		for {
			m, err := c.read()
			if err != nil {
				if got := coderws.CloseStatus(err); got != 4403 {
					t.Fatalf("closed with %v (%v), want 4403", got, err)
				}
				return
			}
			if m.Type == "connection_ack" {
				t.Fatalf("connection_init with %v acknowledged", payload)
			}
		}
	}
	t.Run("init without a token closes with 4403", func(t *testing.T) { refused(t, nil) })
	t.Run("init with an invalid token closes with 4403", func(t *testing.T) {
		refused(t, map[string]any{"Authorization": "Bearer not-a-token"})
	})
	t.Run("an invalid Authorization header is refused at the upgrade", func(t *testing.T) {
		_, err := openWS(t, s.URL, "Authorization", "Bearer not-a-token")
		var de *dialError
		if !errors.As(err, &de) || de.status != http.StatusUnauthorized {
			t.Fatalf("err = %v", err)
		}
	})

	query := func(t *testing.T, c *wsConn) {
		t.Helper()
		c.send(t, map[string]any{"id": "q1", "type": "subscribe", "payload": map[string]any{"query": okQuery}})
		m := c.next(t)
		if m.Type != "next" || m.ID != "q1" || len(m.Payload.Errors) > 0 || m.Payload.Data["accounts"] == nil {
			t.Fatalf("first message: %s", m.raw)
		}
		if m := c.next(t); m.Type != "complete" || m.ID != "q1" {
			t.Fatalf("second message: %s", m.raw)
		}
	}
	t.Run("Authorization in connection_init", func(t *testing.T) {
		query(t, dialWS(t, s.URL, map[string]any{"Authorization": "Bearer " + tok}))
	})
	t.Run("token in connection_init", func(t *testing.T) {
		c := dialWS(t, s.URL, map[string]any{"token": tok})
		query(t, c)
		query(t, c) // a second operation on the connection
	})
	t.Run("Authorization header at the upgrade", func(t *testing.T) {
		query(t, dialWS(t, s.URL, nil, "Authorization", "Bearer "+tok))
	})
	t.Run("limits apply", func(t *testing.T) {
		c := dialWS(t, s.URL, map[string]any{"token": tok})
		c.send(t, map[string]any{"id": "q2", "type": "subscribe", "payload": map[string]any{"query": `{ accounts(first: 1000) { totalCount } }`}})
		if m := c.next(t); !strings.Contains(string(m.raw), "PAGE_SIZE_EXCEEDED") {
			t.Fatalf("%s", m.raw)
		}
	})
	t.Run("another origin is refused", func(t *testing.T) {
		_, err := openWS(t, s.URL, "Origin", "https://evil.example")
		var de *dialError
		if !errors.As(err, &de) || de.status != http.StatusForbidden {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestServerSentEvents(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	s := apitest.New(t, db)
	sse := func(body any, header ...string) *reply {
		return call(t, "POST", s.URL+"/graphql", jsonBody(body), append([]string{"Content-Type", "application/json", "Accept", "text/event-stream"}, header...)...)
	}
	r := sse(map[string]any{"query": okQuery}, "Authorization", "Bearer "+s.Token("admin@opsgraph.example"))
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/event-stream") ||
		!strings.Contains(string(r.raw), "event: next\ndata: {\"data\":{\"accounts\"") || !strings.Contains(string(r.raw), "event: complete") {
		t.Fatalf("%d %q %s", r.status, r.header.Get("Content-Type"), r.raw)
	}
	if r := sse(map[string]any{"query": okQuery}); r.status != http.StatusUnauthorized {
		t.Fatalf("without a token: %d %s", r.status, r.raw)
	}
	if r := sse([]any{map[string]any{"query": okQuery}}, "Authorization", "Bearer "+s.Token("admin@opsgraph.example")); r.status != 400 || r.code() != "BATCHING_NOT_SUPPORTED" {
		t.Fatalf("a batch: %d %s", r.status, r.raw)
	}
}

func TestCORS(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	const portal = "https://portal.example.com"
	s := apitest.NewWith(t, db, func(o *server.Options) { o.CORSOrigins = []string{portal, "http://localhost:3000"} })
	preflight := func(base, origin string) *reply {
		return call(t, "OPTIONS", base+"/graphql", nil, "Origin", origin, "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "authorization, content-type")
	}

	r := preflight(s.URL, portal)
	want := map[string]string{
		"Access-Control-Allow-Origin":  portal,
		"Access-Control-Allow-Methods": "GET, POST",
		"Access-Control-Allow-Headers": "Authorization, Content-Type, X-Request-Id",
		"Access-Control-Max-Age":       "600",
	}
	if r.status != http.StatusNoContent {
		t.Fatalf("preflight: %d", r.status)
	}
	for k, v := range want {
		if got := r.header.Get(k); got != v {
			t.Errorf("preflight %s = %q, want %q", k, got, v)
		}
	}
	if !strings.Contains(strings.Join(r.header.Values("Vary"), ","), "Origin") || r.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("preflight Vary %q, credentials %q", r.header.Values("Vary"), r.header.Get("Access-Control-Allow-Credentials"))
	}

	r = preflight(s.URL, "https://evil.example")
	if r.header.Get("Access-Control-Allow-Origin") != "" || r.header.Get("Access-Control-Allow-Methods") != "" {
		t.Errorf("preflight from another origin got CORS headers: %v", r.header)
	}

	r = call(t, "POST", s.URL+"/graphql", jsonBody(map[string]any{"query": okQuery}), "Origin", portal, "Content-Type", "application/json",
		"Authorization", "Bearer "+s.Token("admin@opsgraph.example"))
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != portal || r.header.Get("Access-Control-Expose-Headers") != "X-Request-Id" {
		t.Errorf("request from the portal: %d %v", r.status, r.header)
	}
	// Even a refused request carries the header, so the page can read the error.
	r = call(t, "POST", s.URL+"/graphql", jsonBody(map[string]any{"query": okQuery}), "Origin", portal, "Content-Type", "application/json")
	if r.status != http.StatusUnauthorized || r.header.Get("Access-Control-Allow-Origin") != portal {
		t.Errorf("unauthenticated request from the portal: %d %v", r.status, r.header)
	}
	// A page of an allowed origin may open a websocket.
	if _, err := openWS(t, s.URL, "Origin", portal); err != nil {
		t.Errorf("websocket from the portal: %v", err)
	}

	off := apitest.New(t, db)
	if r := preflight(off.URL, portal); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("without CORS origins: %v", r.header)
	}
}
