package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestPosters sends the same requests through both clients to a server
// that answers with a Content-Length, chunked, with Connection: close and
// with errors, and expects the same bodies and classifications.
func TestPosters(t *testing.T) {
	big := `{"data":{"x":"` + strings.Repeat("y", 100_000) + `"}}`
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad headers", http.StatusUnauthorized)
			return
		}
		switch string(body) {
		case "small": // net/http sets Content-Length
			io.WriteString(w, `{"data":{"ok":true}}`)
		case "big": // larger than net/http's buffer: chunked
			io.WriteString(w, big[:50_000])
			w.(http.Flusher).Flush()
			io.WriteString(w, big[50_000:])
		case "close":
			w.Header().Set("Connection", "close")
			io.WriteString(w, `{"data":{"closed":true}}`)
		case "gqlerror":
			io.WriteString(w, `{"errors":[{"message":"no"}],"data":null}`)
		default:
			http.Error(w, "unknown", http.StatusBadRequest)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	cases := []struct {
		body, want string
		wantErr    bool
	}{
		{"small", `{"data":{"ok":true}}`, false},
		{"big", big, false},
		{"small", `{"data":{"ok":true}}`, false},
		{"close", `{"data":{"closed":true}}`, false},
		{"small", `{"data":{"ok":true}}`, false},
		{"gqlerror", `{"errors":[{"message":"no"}],"data":null}`, true},
		{"nope", "unknown\n", true},
	}
	for _, name := range []string{"lean", "std"} {
		t.Run(name, func(t *testing.T) {
			c := Clients{URL: srv.URL + "/graphql", Token: "tok"}
			if name == "std" {
				c.Std = srv.Client()
			}
			p, err := c.newPoster()
			if err != nil {
				t.Fatal(err)
			}
			defer p.close()
			before := conns.Load()
			for _, tc := range cases {
				msg, b, err := p.post(t.Context(), []byte(tc.body))
				if err != nil {
					t.Fatalf("%s: %v", tc.body, err)
				}
				if !bytes.Equal(b, []byte(tc.want)) {
					t.Errorf("%s: body %q…, want %q…", tc.body, shorten(string(b), 40), shorten(tc.want, 40))
				}
				if (msg != "") != tc.wantErr {
					t.Errorf("%s: msg %q, want an error: %v", tc.body, msg, tc.wantErr)
				}
			}
			// One connection until the server closed it, then one more.
			if n := conns.Load() - before; name == "lean" && n != 2 {
				t.Errorf("lean client opened %d connections, want 2", n)
			}
		})
	}
}
