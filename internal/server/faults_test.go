package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/auth"
	"github.com/opsgraph/opsgraph/internal/migrate"
	"github.com/opsgraph/opsgraph/internal/server"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// With every pooled connection held, requests wait the acquire timeout and
// then fail with 503, Retry-After and UNAVAILABLE ("database busy"), not
// at the request timeout, not by hanging; once connections are free again
// requests succeed; nothing leaks a goroutine.
func TestPoolExhaustedFailsFastAndRecovers(t *testing.T) {
	url := testdb.CreateDatabase(t) // before the goroutine snapshot: the admin pool stays open
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx := context.Background()
	const wait = 300 * time.Millisecond
	db, err := store.Open(ctx, store.Options{URL: url, MaxOpenConns: 2, AcquireTimeout: wait})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := migrate.Apply(ctx, db.SQL, db.Dialect); err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{Secret: apitest.Secret})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.Handler(server.Options{DB: db, Verifier: v,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Limits: server.Limits{Timeout: 10 * time.Second}}))
	defer ts.Close()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	tok, err := auth.Mint(auth.Config{Secret: apitest.Secret}, auth.MintOptions{Subject: "admin@opsgraph.example", Roles: []string{viewer.RoleAdmin}, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		status int
		retry  string
		body   struct {
			Errors []struct {
				Message    string         `json:"message"`
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		took time.Duration
	}
	do := func() result {
		body, _ := json.Marshal(map[string]any{"query": `{ accounts(first: 1) { totalCount } }`})
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		start := time.Now()
		res, err := client.Do(req)
		if err != nil {
			t.Error(err)
			return result{}
		}
		defer res.Body.Close()
		r := result{status: res.StatusCode, retry: res.Header.Get("Retry-After"), took: time.Since(start)}
		if err := json.NewDecoder(res.Body).Decode(&r.body); err != nil {
			t.Error(err)
		}
		return r
	}
	if r := do(); r.status != http.StatusOK || len(r.body.Errors) > 0 {
		t.Fatalf("before: %d %+v", r.status, r.body)
	}

	// Two transactions hold both connections (as two slow requests would).
	var txs []interface{ Rollback() error }
	for range 2 {
		tx, err := db.Client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		txs = append(txs, tx)
	}
	var wg sync.WaitGroup
	results := make([]result, 6)
	for i := range results {
		wg.Go(func() { results[i] = do() })
	}
	wg.Wait()
	for i, r := range results {
		if r.status != http.StatusServiceUnavailable || r.retry == "" || len(r.body.Errors) == 0 ||
			r.body.Errors[0].Extensions["code"] != "UNAVAILABLE" || !strings.Contains(r.body.Errors[0].Message, "database busy") {
			t.Errorf("request %d with the pool exhausted: %d Retry-After %q %+v", i, r.status, r.retry, r.body)
		}
		if r.took < wait || r.took > wait+3*time.Second {
			t.Errorf("request %d took %s, want about the acquire timeout %s", i, r.took, wait)
		}
	}
	// The waits are counted (opsgraph_db_wait_*), though database/sql's own
	// counter never sees them: they queue in front of the pool.
	if n, d := db.Waits(); n < int64(len(results)) || d < time.Duration(len(results))*wait {
		t.Errorf("waits counted: %d for %s, want at least %d for %s", n, d, len(results), time.Duration(len(results))*wait)
	}
	if db.SQL.Stats().WaitCount != 0 {
		t.Errorf("database/sql waited %d times: statements reached the pool past the gate", db.SQL.Stats().WaitCount)
	}
	for _, tx := range txs {
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
	}
	if r := do(); r.status != http.StatusOK || len(r.body.Errors) > 0 {
		t.Fatalf("after the connections were freed: %d %+v", r.status, r.body)
	}
	ts.Close()
	client.CloseIdleConnections()
	_ = db.Close()
}
