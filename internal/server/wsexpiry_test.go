package server_test

import (
	"errors"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	coderws "github.com/coder/websocket"

	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/auth"
	"github.com/opsgraph/opsgraph/internal/server"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// TestWebsocketClosesAtTokenExpiry: a websocket does not outlive its token.
// The token is checked at connection_init (or the upgrade); when it
// expires (exp plus the leeway) the server closes the socket with 4403
// "token expired", ending its subscriptions, so a client reconnects with a
// fresh token.
func TestWebsocketClosesAtTokenExpiry(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	cfg := auth.Config{Secret: apitest.Secret, Leeway: time.Millisecond}
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := apitest.NewWith(t, db, func(o *server.Options) { o.Verifier = v })
	mint := func(ttl time.Duration) string {
		tok, err := auth.Mint(cfg, auth.MintOptions{Subject: "admin@opsgraph.example", Roles: []string{viewer.RoleAdmin}, TTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}

	for _, tt := range []struct {
		name string
		open func(tok string) *wsConn
	}{
		{"token in connection_init", func(tok string) *wsConn { return dialWS(t, s.URL, map[string]any{"token": tok}) }},
		{"token in the upgrade's Authorization header", func(tok string) *wsConn {
			return dialWS(t, s.URL, nil, "Authorization", "Bearer "+tok)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			short := tt.open(mint(2 * time.Second))
			long := tt.open(mint(time.Hour))
			sub := map[string]any{"id": "s", "type": "subscribe", "payload": map[string]any{"query": `subscription { orderUpdated { id } }`}}
			short.send(t, sub)
			long.send(t, sub)
			waitSubs(t, db.Events, 2)
			for {
				m, err := short.read()
				if err != nil {
					if got, reason := coderws.CloseStatus(err), closeReason(err); got != 4403 || reason != "token expired" {
						t.Fatalf("closed with %v %q (%v), want 4403 \"token expired\"", got, reason, err)
					}
					break
				}
				if m.Type != "ping" && m.Type != "pong" {
					t.Fatalf("before the expiry: %s", m.raw)
				}
			}
			// Its subscription ended with it; the other connection's did not.
			waitSubs(t, db.Events, 1)
			long.send(t, map[string]any{"id": "q", "type": "subscribe", "payload": map[string]any{"query": `{ __typename }`}})
			if m := long.next(t); m.Type != "next" || m.ID != "q" {
				t.Fatalf("the connection with the long-lived token: %s", m.raw)
			}
			long.send(t, map[string]any{"id": "s", "type": "complete"})
			waitSubs(t, db.Events, 0)
		})
	}
}

// closeReason is the reason of the close frame that ended a read.
func closeReason(err error) string {
	var ce coderws.CloseError
	if errors.As(err, &ce) {
		return ce.Reason
	}
	return ""
}
