package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	coderws "github.com/coder/websocket"

	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/auth"
	"github.com/opsgraph/opsgraph/internal/server"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/trusted"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// integrationToken mints an INTEGRATION token with the read scope.
func integrationToken(t *testing.T, s *apitest.Server) string {
	t.Helper()
	tok, err := auth.Mint(s.Config, auth.MintOptions{Subject: "svc-billing", Roles: []string{viewer.RoleIntegration}, Scopes: []string{"read"}, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func isTrustedCode(code string) bool { return strings.HasPrefix(code, "PERSISTED_DOCUMENT_") }

func TestTrustedDocuments(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	s := apitest.NewWith(t, db, func(o *server.Options) { o.TrustedRoles = []string{viewer.RoleIntegration} })
	integration := "Bearer " + integrationToken(t, s)
	admin := "Bearer " + s.Token("admin@opsgraph.example")
	send := func(token string, body map[string]any) *reply {
		t.Helper()
		return call(t, "POST", s.URL+"/graphql", jsonBody(body), "Content-Type", "application/json", "Accept", gqlResponse, "Authorization", token)
	}
	manifest := trusted.Embedded()

	t.Run("free text is refused", func(t *testing.T) {
		r := send(integration, map[string]any{"query": okQuery})
		if r.status != http.StatusBadRequest || r.code() != trusted.CodeRequired || len(r.body.Data) != 0 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("an unknown id is refused", func(t *testing.T) {
		r := send(integration, map[string]any{"documentId": "sha256:" + strings.Repeat("ab", 32)})
		if r.status != http.StatusBadRequest || r.code() != trusted.CodeNotFound {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("an unknown APQ hash is refused, not looked up in the APQ cache", func(t *testing.T) {
		// ADMIN stores a free text in the APQ cache; INTEGRATION may not run it by hash.
		hash := strings.TrimPrefix(trusted.ID(okQuery), "sha256:")
		pq := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
		if r := send(admin, map[string]any{"query": okQuery, "extensions": pq}); r.status != 200 || len(r.body.Errors) > 0 {
			t.Fatalf("ADMIN: %d %s", r.status, r.raw)
		}
		if r := send(integration, map[string]any{"extensions": pq}); r.code() != trusted.CodeNotFound {
			t.Fatalf("INTEGRATION: %d %s", r.status, r.raw)
		}
	})
	t.Run("documentId and query together are refused", func(t *testing.T) {
		d := manifest.Documents[0]
		if r := send(admin, map[string]any{"documentId": d.ID, "query": okQuery}); r.status != http.StatusBadRequest || r.code() != "BAD_REQUEST" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("ADMIN free text runs", func(t *testing.T) {
		if r := send(admin, map[string]any{"query": okQuery}); r.status != 200 || len(r.body.Errors) > 0 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})

	// Every document of the manifest gets past the check, by id, as
	// INTEGRATION; those without required variables run.
	ran := 0
	for _, d := range manifest.Documents {
		t.Run(d.Source+"/"+d.OperationName, func(t *testing.T) {
			r := send(integration, map[string]any{"documentId": d.ID, "variables": map[string]any{}})
			if isTrustedCode(r.code()) {
				t.Fatalf("refused: %s", r.raw)
			}
			if len(r.body.Data) > 0 && string(r.body.Data) != "null" {
				ran++
			}
		})
	}
	if ran < 5 {
		t.Errorf("only %d manifest documents ran", ran)
	}

	t.Run("the APQ form of a manifest id runs", func(t *testing.T) {
		d := queryDocument(t, manifest, "RenewalCalendar")
		pq := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": strings.TrimPrefix(d.ID, "sha256:")}}
		r := send(integration, map[string]any{"extensions": pq, "variables": map[string]any{"withinDays": 30}})
		if r.status != 200 || isTrustedCode(r.code()) || len(r.body.Data) == 0 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("a manifest document's exact text runs", func(t *testing.T) {
		d := queryDocument(t, manifest, "RenewalCalendar")
		r := send(integration, map[string]any{"query": d.Query, "variables": map[string]any{"withinDays": 30}})
		if r.status != 200 || isTrustedCode(r.code()) {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		r = send(integration, map[string]any{"query": d.Query + " ", "variables": map[string]any{"withinDays": 30}})
		if r.code() != trusted.CodeRequired {
			t.Fatalf("a changed text: %d %s", r.status, r.raw)
		}
	})
	t.Run("GET with documentId", func(t *testing.T) {
		d := queryDocument(t, manifest, "RenewalCalendar")
		r := call(t, "GET", s.URL+"/graphql?"+url.Values{"documentId": {d.ID}, "variables": {`{"withinDays": 30}`}}.Encode(), nil, "Authorization", integration)
		if r.status != 200 || len(r.body.Data) == 0 || isTrustedCode(r.code()) {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		r = call(t, "GET", s.URL+"/graphql?"+url.Values{"query": {okQuery}}.Encode(), nil, "Authorization", integration)
		if r.code() != trusted.CodeRequired {
			t.Fatalf("free text over GET: %d %s", r.status, r.raw)
		}
	})
	t.Run("SSE is enforced", func(t *testing.T) {
		r := call(t, "POST", s.URL+"/graphql", jsonBody(map[string]any{"query": okQuery}),
			"Content-Type", "application/json", "Accept", "text/event-stream", "Authorization", integration)
		if !strings.Contains(string(r.raw), trusted.CodeRequired) {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("the websocket is enforced", func(t *testing.T) {
		c := dialWS(t, s.URL, map[string]any{"Authorization": integration})
		c.send(t, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": okQuery}})
		m := c.next(t)
		if !strings.Contains(string(m.raw), trusted.CodeRequired) {
			t.Fatalf("%s", m.raw)
		}
	})
	t.Run("exports are the server's own documents", func(t *testing.T) {
		r := call(t, "GET", s.URL+"/export/accounts.csv", nil, "Authorization", integration)
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})

	t.Run("enforcement off: INTEGRATION free text runs", func(t *testing.T) {
		off := apitest.New(t, db)
		r := call(t, "POST", off.URL+"/graphql", jsonBody(map[string]any{"query": okQuery}),
			"Content-Type", "application/json", "Authorization", "Bearer "+integrationToken(t, off))
		if r.status != 200 || len(r.body.Errors) > 0 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
}

func queryDocument(t *testing.T, m *trusted.Manifest, name string) trusted.Document {
	t.Helper()
	for _, d := range m.Documents {
		if d.OperationName == name {
			return d
		}
	}
	t.Fatalf("no manifest document %s", name)
	return trusted.Document{}
}

// wsConn is a graphql-transport-ws client.
type wsConn struct {
	c   *coderws.Conn
	ctx context.Context
}

type wsMessage struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	raw     []byte
	Payload struct {
		Data   map[string]any  `json:"data"`
		Errors []apitest.Error `json:"errors"`
	} `json:"payload"`
}

// openWS opens a websocket to base's /graphql with header pairs.
func openWS(t *testing.T, base string, header ...string) (*wsConn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	c, res, err := coderws.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql", &coderws.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: h,
	})
	if err != nil {
		if res != nil {
			return nil, &dialError{status: res.StatusCode, err: err}
		}
		return nil, err
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return &wsConn{c: c, ctx: ctx}, nil
}

type dialError struct {
	status int
	err    error
}

func (e *dialError) Error() string { return e.err.Error() }

// dialWS opens a websocket and sends connection_init with payload (nil:
// none), expecting the ack.
func dialWS(t *testing.T, base string, payload map[string]any, header ...string) *wsConn {
	t.Helper()
	c, err := openWS(t, base, header...)
	if err != nil {
		t.Fatal(err)
	}
	c.init(t, payload)
	if m := c.next(t); m.Type != "connection_ack" {
		t.Fatalf("after connection_init: %s", m.raw)
	}
	return c
}

func (c *wsConn) init(t *testing.T, payload map[string]any) {
	t.Helper()
	msg := map[string]any{"type": "connection_init"}
	if payload != nil {
		msg["payload"] = payload
	}
	c.send(t, msg)
}

func (c *wsConn) send(t *testing.T, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := c.c.Write(c.ctx, coderws.MessageText, b); err != nil {
		t.Fatal(err)
	}
}

// next returns the next message that is not a ping or pong.
func (c *wsConn) next(t *testing.T) *wsMessage {
	t.Helper()
	for {
		m, err := c.read()
		if err != nil {
			t.Fatal(err)
		}
		if m.Type != "ping" && m.Type != "pong" && m.Type != "ka" {
			return m
		}
	}
}

func (c *wsConn) read() (*wsMessage, error) {
	_, b, err := c.c.Read(c.ctx)
	if err != nil {
		return nil, err
	}
	m := &wsMessage{raw: b}
	return m, json.Unmarshal(b, m)
}
