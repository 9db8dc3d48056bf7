package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPostGraphileArgs(t *testing.T) {
	args := postGraphileArgs("postgres://u:pw@h:5432/db?sslmode=disable", "5123", 4, []string{"--timeout", "9000"})
	got := " " + strings.Join(args, " ") + " "
	for _, want := range []string{
		" --connection postgres://u:pw@h:5432/db?sslmode=disable ", " --host 127.0.0.1 ", " --port 5123 ",
		" --max-pool-size 4 ", " --disable-default-mutations ", " --disable-graphiql ", " --disable-query-log ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("args %q lack %q", got, want)
		}
	}
	if !strings.HasSuffix(got, " --timeout 9000 ") {
		t.Errorf("extra flags not last: %q", got)
	}
	for _, bad := range []string{"--cluster-workers", "--watch", "--graphiql "} {
		if strings.Contains(got, bad) {
			t.Errorf("args %q contain %q", got, bad)
		}
	}
	if cmd := PostGraphileCommand(4, nil); strings.Contains(cmd, "postgres://") || !strings.HasPrefix(cmd, "postgraphile --connection $DATABASE_URL ") {
		t.Errorf("report command %q", cmd)
	}
}

// waitGraphQL returns once { __typename } is answered, and reports a
// server that exited instead of hanging until the limit.
func TestWaitGraphQL(t *testing.T) {
	var calls atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Error("PostGraphile got an Authorization header")
		}
		body, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(body), "__typename") {
			t.Errorf("probe %s", body)
		}
		if calls.Add(1) < 3 { // still introspecting
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"data":{"__typename":"Query"}}`))
	}))
	defer ts.Close()
	for _, c := range []struct {
		name, url string
		exited    bool
		want      string // error substring; "": ready
	}{
		{"ready after retries", ts.URL, false, ""},
		{"exited", "http://127.0.0.1:1/graphql", true, "exited before answering"},
		{"never answers", "http://127.0.0.1:1/graphql", false, "within"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &Server{URL: c.url, done: make(chan struct{})}
			if c.exited {
				close(s.done)
			}
			err := waitGraphQL(context.Background(), s, time.Second)
			if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestLastBytes(t *testing.T) {
	for _, c := range []struct {
		writes []string
		want   string
	}{
		{[]string{"abc"}, "abc"},
		{[]string{"abcdef", "gh"}, "defgh"},
		{[]string{"0123456789"}, "56789"},
	} {
		l := &lastBytes{max: 5}
		for _, w := range c.writes {
			if n, err := l.Write([]byte(w)); n != len(w) || err != nil {
				t.Errorf("Write %q: %d, %v", w, n, err)
			}
		}
		if l.String() != c.want {
			t.Errorf("%q kept %q, want %q", c.writes, l.String(), c.want)
		}
	}
}
