package graph_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/graph"
	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/export"
	"github.com/opsgraph/opsgraph/internal/ratelimit"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/server"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// download GETs an export and parses it as RFC 4180 CSV.
func download(t *testing.T, srv *apitest.Server, token, path string) (int, [][]string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(res.Body)
		t.Logf("%s: %d %s", path, res.StatusCode, body)
		return res.StatusCode, nil
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Fatalf("content type %q", ct)
	}
	recs, err := csv.NewReader(res.Body).ReadAll()
	if err != nil {
		t.Fatalf("%s is not CSV: %v", path, err)
	}
	return res.StatusCode, recs
}

// A root connection downloads whole, as the viewer sees it: every row the
// connection holds (across pages), columns the viewer may not read left
// out, a CSM's rows limited to their book.
func TestExportConnection(t *testing.T) {
	db := seedtest.Demo(t, dialect.SQLite, demoNow)
	srv := apitest.New(t, db)
	count := func(token string) int {
		var data struct{ Accounts struct{ TotalCount int } }
		srv.PostAs(token, `{ accounts { totalCount } }`, nil).MustData(t, &data)
		return data.Accounts.TotalCount
	}
	for _, tc := range []struct {
		name, subject, role string
		pii                 bool
	}{
		{"admin", "admin@opsgraph.example", viewer.RoleAdmin, true},
		{"sales", "sales@example.com", viewer.RoleSales, false},
		{"csm", "csm1@opsgraph.example", viewer.RoleCSM, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := srv.Token(tc.subject, tc.role)
			status, recs := download(t, srv, tok, "/export/accounts.csv")
			if status != http.StatusOK || len(recs) < 2 {
				t.Fatalf("status %d, %d records", status, len(recs))
			}
			header := recs[0]
			if !slices.Contains(header, "name") || !slices.Contains(header, "owner.id") ||
				slices.Contains(header, "billingContactEmail") != tc.pii {
				t.Fatalf("header %v", header)
			}
			if want := count(tok); len(recs)-1 != want {
				t.Fatalf("%d rows, the connection has %d", len(recs)-1, want)
			}
		})
	}
	// Arguments pass through: where as JSON.
	_, recs := download(t, srv, srv.Token("admin@opsgraph.example"), `/export/accounts.csv?where={"segment":"ENTERPRISE"}`)
	seg := slices.Index(recs[0], "segment")
	for _, r := range recs[1:] {
		if r[seg] != "ENTERPRISE" {
			t.Fatalf("row %v outside the filter", r)
		}
	}
	for _, tc := range []struct {
		path, token string
		status      int
	}{
		{"/export/accounts.csv", "", http.StatusUnauthorized},
		{"/export/nothing.csv", srv.Token("a@example.com"), http.StatusNotFound},
		{"/export/accounts.csv?where=nope", srv.Token("a@example.com"), http.StatusBadRequest},
	} {
		if status, _ := download(t, srv, tc.token, tc.path); status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.path, status, tc.status)
		}
	}
}

// Every export, reports included, downloads for an ADMIN; financial report
// columns are left out for a role without financial access.
func TestExportEveryTable(t *testing.T) {
	db := seedtest.Demo(t, dialect.SQLite, demoNow)
	srv := apitest.New(t, db)
	admin := srv.Token("admin@opsgraph.example")
	support := srv.Token("support@example.com", viewer.RoleSupport)
	tables := export.Tables(graph.NewSchema(nil, graph.Options{}).Schema())
	for name := range tables {
		t.Run(name, func(t *testing.T) {
			if status, recs := download(t, srv, admin, "/export/"+name+".csv"); status != http.StatusOK || len(recs) == 0 {
				t.Fatalf("status %d", status)
			}
		})
	}
	_, recs := download(t, srv, support, "/export/renewal-calendar.csv")
	if len(recs) == 0 || slices.Contains(recs[0], "arrMinor") || !slices.Contains(recs[0], "renewalDate") {
		t.Fatalf("SUPPORT header %v", recs)
	}
}

// A large export streams: the server's heap grows by far less than the file
// it sends (rows are fetched and written a page at a time).
func TestExportStreamsInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("large export")
	}
	db := testdb.Open(t, dialect.Postgres)
	srv := apitest.New(t, db)
	fill(t, db, 60_000)
	old := debug.SetGCPercent(10)
	defer debug.SetGCPercent(old)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > peak.Load() {
					peak.Store(m.HeapAlloc)
				}
			}
		}
	}()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/export/healthSignals.csv", nil)
	req.Header.Set("Authorization", "Bearer "+srv.Token("admin@opsgraph.example"))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(res.Body)
	rows, size := 0, 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows++
		for _, f := range rec {
			size += len(f) + 1
		}
	}
	res.Body.Close()
	close(done)
	if rows != 60_001 {
		t.Fatalf("%d records, want a header and 60000 rows", rows)
	}
	growth := int64(peak.Load()) - int64(base.HeapAlloc)
	t.Logf("exported %d rows, %.1f MB; server heap grew by at most %.1f MB", rows-1, float64(size)/1e6, float64(growth)/1e6)
	if growth > int64(size)/2 {
		t.Fatalf("heap grew by %d bytes for a %d-byte export: not streaming", growth, size)
	}
}

// fill writes n health signals for one account with one statement.
func fill(t *testing.T, db *store.DB, n int) {
	t.Helper()
	ctx := viewer.System(context.Background(), "test")
	acc := db.Client.Account.Create().SetName("Big").SetSegment("SMB").SetRegion("NA").SaveX(ctx)
	_, err := db.Client.ExecContext(ctx, fmt.Sprintf(`INSERT INTO health_signals (created_at, updated_at, account_id, kind, value, observed_at, source, ingested_at)
		SELECT now(), now(), %d, 'NPS', g %% 200 - 100, timestamp '2026-01-01' + g * interval '1 second', 'bulk', now() FROM generate_series(1, %d) g`, acc.ID, n))
	if err != nil {
		t.Fatal(err)
	}
}

// refuseOnce admits every Take but the n-th, refused with a one-second
// Retry-After.
type refuseOnce struct {
	n     int32
	takes atomic.Int32
}

func (l *refuseOnce) Take(_ context.Context, _ string, p ratelimit.Policy, cost int) (ratelimit.Decision, error) {
	if l.takes.Add(1) == l.n {
		return ratelimit.Decision{Capacity: p.Capacity, Remaining: 0, RetryAfter: time.Second, ResetAt: time.Now().Add(time.Second)}, nil
	}
	return ratelimit.Decision{Allowed: true, Capacity: p.Capacity, Remaining: p.Capacity - float64(cost), ResetAt: time.Now()}, nil
}

func (l *refuseOnce) Refund(context.Context, string, int) error { return nil }

// An export is charged page by page like any client. Refused at its first
// page it answers 429 with Retry-After; refused mid-stream it waits for the
// budget and goes on, so the file is whole.
func TestExportUnderRateLimit(t *testing.T) {
	db := seedtest.Demo(t, dialect.SQLite, demoNow)
	ps, err := ratelimit.ParsePolicies("default=1000000:1000", viewer.IsRole)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		refuse int32
		status int
	}{
		{"first page refused", 1, http.StatusTooManyRequests},
		{"second page refused", 2, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &refuseOnce{n: tc.refuse}
			srv := apitest.NewWith(t, db, func(o *server.Options) { o.RateLimits = &server.RateLimits{Limiter: l, Policies: ps} })
			tok := srv.Token("admin@opsgraph.example")
			status, recs := download(t, srv, tok, "/export/accounts.csv")
			if status != tc.status {
				t.Fatalf("status %d, want %d", status, tc.status)
			}
			if status != http.StatusOK {
				return
			}
			if len(recs)-1 != 200 || l.takes.Load() != 3 {
				t.Errorf("%d rows after %d Takes; want all 200 accounts in 2 pages, the second asked twice", len(recs)-1, l.takes.Load())
			}
		})
	}
}
