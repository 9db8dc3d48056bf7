package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// postGraphileArgs are the flags of the PostGraphile v4 comparison server:
// the CLI's production recommendations (no GraphiQL, no query log, no
// CRUD mutations: the scenarios only read), one Node process (no
// --cluster-workers, so it is comparable to one Go process) and the pool
// size opsgraph serve gets (-db-pool).
func postGraphileArgs(dbURL, port string, pool int, extra []string) []string {
	return append([]string{
		"--connection", dbURL,
		"--schema", "public",
		"--host", "127.0.0.1",
		"--port", port,
		"--max-pool-size", strconv.Itoa(pool),
		"--disable-default-mutations",
		"--disable-graphiql",
		"--disable-query-log",
		"--dynamic-json",
		"--no-ignore-rbac",
		"--no-ignore-indexes",
		"--legacy-relations", "omit",
	}, extra...)
}

// StartPostGraphile runs PostGraphile v4 (bin is its CLI, e.g.
// node_modules/.bin/postgraphile) against dbURL on a free loopback port
// and waits until it answers a query. Its output goes to logw.
func StartPostGraphile(ctx context.Context, bin, dbURL string, pool int, extra []string, logw io.Writer) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := postGraphileArgs(dbURL, strconv.Itoa(port), pool, extra)
	cmd := exec.Command(bin, args...)
	// NODE_ENV=production: PostGraphile and its dependencies skip
	// development-only checks and error detail.
	cmd.Env = append(os.Environ(), "NODE_ENV=production")
	tail := &lastBytes{max: 4 << 10}
	out := io.MultiWriter(logw, tail) // one writer for both: exec then serialises the writes
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("postgraphile: %w", err)
	}
	s := &Server{Bin: bin, URL: fmt.Sprintf("http://127.0.0.1:%d/graphql", port), Pid: cmd.Process.Pid, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	if err := waitGraphQL(ctx, s, 2*time.Minute); err != nil {
		s.Stop()
		return nil, fmt.Errorf("postgraphile: %w; its output ends:\n%s", err, tail)
	}
	return s, nil
}

// PostGraphileCommand is the command line of the comparison server for
// the report, without the database URL (it may hold a password).
func PostGraphileCommand(pool int, extra []string) string {
	return "postgraphile " + strings.Join(postGraphileArgs("$DATABASE_URL", "<free port>", pool, extra), " ")
}

// freePort is a loopback TCP port nothing listens on right now.
// PostGraphile takes a port number, not a listener, so the port is
// released before it binds it; the window is short and on loopback.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitGraphQL polls s.URL with `{ __typename }` until it answers: the
// schema is introspected from the database before the server listens,
// and a listening server answers at once.
func waitGraphQL(ctx context.Context, s *Server, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	p := &stdPoster{client: http.DefaultClient, url: s.URL, buf: new(bytes.Buffer)}
	body := []byte(`{"query":"{ __typename }"}`)
	for {
		msg, b, err := p.post(ctx, body)
		if err == nil && msg == "" && bytes.Contains(b, []byte(`"__typename":"Query"`)) {
			return nil
		}
		select {
		case <-s.done:
			return errors.New("exited before answering")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer to { __typename } within %s", limit)
		}
	}
}

// lastBytes keeps the last max bytes written to it, for error messages.
type lastBytes struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (l *lastBytes) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	if over := len(l.b) - l.max; over > 0 {
		l.b = append(l.b[:0], l.b[over:]...)
	}
	return len(p), nil
}

func (l *lastBytes) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}
