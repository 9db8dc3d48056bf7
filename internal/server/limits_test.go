package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/clocktest"
	"github.com/opsgraph/opsgraph/internal/observe"
	"github.com/opsgraph/opsgraph/internal/ratelimit"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/server"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

var demoNow = time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)

// nest returns a selection of accounts' parents depth levels deep.
func nest(depth int) string {
	q := "id"
	for range depth {
		q = "parent { " + q + " }"
	}
	return q
}

func TestRequestShapeLimits(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	s := apitest.NewWith(t, db, func(o *server.Options) {
		o.Limits = server.Limits{MaxCost: 301, MaxDepth: 6, MaxAliases: 3, MaxFields: 40, MaxTokens: 400}
	})
	aliases := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, " a%d: accounts(first: 1) { totalCount }", i)
		}
		return b.String() + " }"
	}
	fields := func(n int) string {
		return "{ accounts(first: 1) { edges { node { " + strings.Repeat("name ", n) + "} } } }"
	}
	tests := []struct {
		name, query string
		code        string
	}{
		{"depth at the limit", "{ accounts(first: 1) { edges { node { " + nest(2) + " } } } }", ""},
		{"one level deeper", "{ accounts(first: 1) { edges { node { " + nest(3) + " } } } }", server.CodeTooDeep},
		{"aliases at the limit", aliases(3), ""},
		{"one alias too many", aliases(4), server.CodeTooAliased},
		{"fields at the limit", fields(37), ""},
		{"one field too many", fields(38), server.CodeTooMany},
		{"cost at the limit: 1 + 100 × 3", "{ accounts(first: 100) { edges { node { owner { id } } } } }", ""},
		{"one point over", "{ accounts(first: 100) { pageInfo { hasNextPage } edges { node { owner { id } } } } }", server.CodeTooCostly},
		{"token limit", "{ accounts(first: 1) { edges { node { " + strings.Repeat("id ", 400) + "} } } }", "GRAPHQL_PARSE_FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db.Counter.Reset()
			r := s.Post(tt.query, nil)
			if tt.code == "" {
				if len(r.Errors) > 0 {
					t.Fatalf("refused: %s", r.Raw)
				}
				return
			}
			if len(r.Errors) != 1 || r.Errors[0].Code() != tt.code {
				t.Fatalf("want %s, got %d %s", tt.code, r.Status, r.Raw)
			}
			if r.Data != nil && string(r.Data) != "null" {
				t.Errorf("a refused request returned data: %s", r.Data)
			}
			if n := db.Counter.Count(); n != 0 {
				t.Errorf("a refused request ran %d SQL statements", n)
			}
		})
	}
}

func TestCostOverTheLimitTouchesNoData(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	s := apitest.New(t, db)
	db.Counter.Reset()
	r := s.Post(`{ accounts(first: 100) { edges { node { contracts(first: 100) { edges { node { id } } } } } } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != server.CodeTooCostly {
		t.Fatalf("want QUERY_TOO_COSTLY, got %s", r.Raw)
	}
	c, _ := r.Errors[0].Extensions["cost"].(map[string]any)
	if c["requested"] != float64(1+100*(1+1+(1+100*2))) || c["maximum"] != float64(10000) {
		t.Errorf("error extensions: %v", r.Errors[0].Extensions)
	}
	// A request error: 200 with application/json (the legacy media type
	// apitest asks for), as a validation error.
	if r.Status != http.StatusOK {
		t.Errorf("status %d, want 200 for application/json", r.Status)
	}
	if n := db.Counter.Count(); n != 0 {
		t.Errorf("the refused request ran %d SQL statements", n)
	}
}

// TestCostExtension checks extensions.cost against the data returned:
// requested is the page's worst case, actual counts the objects that came
// back.
func TestCostExtension(t *testing.T) {
	seedtest.EachDemo(t, demoNow, func(t *testing.T, db *store.DB) {
		s := apitest.New(t, db)
		q := `query($n: Int, $w: AccountWhereInput) { accounts(first: $n, where: $w) { totalCount edges { node { id owner { email } contracts(first: 2) { edges { node { id } } } } } } }`
		for _, tt := range []struct {
			name string
			vars map[string]any
		}{
			{"a full page", map[string]any{"n": 5}},
			{"a short page", map[string]any{"n": 20, "w": map[string]any{"nameHasPrefix": "A"}}},
			{"an empty page", map[string]any{"n": 20, "w": map[string]any{"name": "no such account"}}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := s.Post(q, tt.vars)
				var data struct {
					Accounts struct {
						Edges []struct {
							Node struct {
								Owner     *struct{ Email string }
								Contracts struct{ Edges []struct{} }
							}
						}
					}
				}
				r.MustData(t, &data)
				n := tt.vars["n"].(int)
				// connection 1 + n × (edge 1 + node 1 + owner 1 + contracts (1 + 2 × 2))
				wantRequested := 1 + n*(1+1+1+(1+2*2))
				wantActual := 1
				for _, e := range data.Accounts.Edges {
					wantActual += 2 + 1 + 2*len(e.Node.Contracts.Edges)
					if e.Node.Owner != nil {
						wantActual++
					}
				}
				c, ok := r.Extensions["cost"].(map[string]any)
				if !ok {
					t.Fatalf("no extensions.cost: %s", r.Raw)
				}
				if c["requested"] != float64(wantRequested) || c["actual"] != float64(wantActual) || c["maximum"] != float64(10000) {
					t.Errorf("cost %v, want requested %d actual %d", c, wantRequested, wantActual)
				}
			})
		}
	})
}

func TestIntrospectionOff(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	s := apitest.NewWith(t, db, func(o *server.Options) { o.Introspection = false })
	r := s.Post(`{ __schema { queryType { name } } }`, nil)
	if len(r.Errors) == 0 {
		t.Fatalf("introspection answered with it off: %s", r.Raw)
	}
	r = s.Post(`{ acounts { totalCount } }`, nil)
	if len(r.Errors) == 0 || strings.Contains(r.Errors[0].Message, "Did you mean") {
		t.Errorf("suggestions with introspection off: %s", r.Raw)
	}
	on := apitest.New(t, db)
	r = on.Post(`{ acounts { totalCount } }`, nil)
	if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "Did you mean") {
		t.Errorf("no suggestion with introspection on: %s", r.Raw)
	}
}

// TestTimeout holds a lock the query needs, so it blocks in PostgreSQL
// until the server's execution timeout cancels it: the client gets
// TIMEOUT and the statement is gone from pg_stat_activity.
func TestTimeout(t *testing.T) {
	// The same with compiled reads: the one statement is cancelled too.
	for _, compiled := range []bool{false, true} {
		t.Run(fmt.Sprintf("compiled=%t", compiled), func(t *testing.T) {
			db := testdb.Open(t, dialect.Postgres)
			s := apitest.NewWith(t, db, func(o *server.Options) {
				o.Limits.Timeout = 300 * time.Millisecond
				o.CompiledReads = compiled
			})
			ctx := context.Background()
			tx, err := db.SQL.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(ctx, `LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE`); err != nil {
				t.Fatal(err)
			}
			r := s.Post(`{ accounts(first: 1) { totalCount } }`, nil)
			if len(r.Errors) == 0 || r.Errors[0].Code() != server.CodeTimeout {
				t.Fatalf("want TIMEOUT, got %s", r.Raw)
			}
			var waiting int
			err = db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
			if err != nil {
				t.Fatal(err)
			}
			if waiting != 0 {
				t.Errorf("%d statements still wait for the lock after the timeout", waiting)
			}
		})
	}
}

func decode(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// A page size from a variable left unset gets the default page, as an
// absent first does; a literal null is refused: no connection is unbounded
// and the price holds.
func TestUnsetPageSizeVariable(t *testing.T) {
	db := seedtest.Demo(t, dialect.SQLite, demoNow)
	s := apitest.New(t, db)
	var d struct {
		Accounts struct {
			TotalCount int
			Edges      []any
		}
	}
	r := s.Post(`query($n: Int) { accounts(first: $n) { totalCount edges { node { id } } } }`, nil)
	r.MustData(t, &d)
	if d.Accounts.TotalCount <= server.DefaultPageSize || len(d.Accounts.Edges) != server.DefaultPageSize {
		t.Errorf("unset $n: %d edges of %d", len(d.Accounts.Edges), d.Accounts.TotalCount)
	}
	if c := r.Extensions["cost"].(map[string]any); c["requested"] != float64(1+2*server.DefaultPageSize) || c["actual"] != c["requested"] {
		t.Errorf("cost %v", c)
	}
	r = s.Post(`{ accounts(first: null) { totalCount } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "first: null") {
		t.Errorf("literal null: %s", r.Raw)
	}
}

// costTen costs 10 points requested and 10 actual whatever the data: five
// connections with their pageInfo, no elements.
const costTen = `{ a: accounts(first: 1) { pageInfo { hasNextPage } } b: accounts(first: 1) { pageInfo { hasNextPage } }
	c: accounts(first: 1) { pageInfo { hasNextPage } } d: accounts(first: 1) { pageInfo { hasNextPage } } e: accounts(first: 1) { pageInfo { hasNextPage } } }`

// TestRateLimit: each subject's cost points come from its own bucket; over
// it, HTTP 429 with Retry-After and RATE_LIMITED; a query is charged only
// what it really fetched.
func TestRateLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		clk := clocktest.New(demoNow)
		l, err := ratelimit.NewSQL(db.SQL, db.Dialect, clk.Now)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := ratelimit.ParsePolicies("default=30:2,INTEGRATION=1000:100", viewer.IsRole)
		if err != nil {
			t.Fatal(err)
		}
		metrics := observe.NewMetrics()
		s := apitest.NewWith(t, db, func(o *server.Options) {
			o.RateLimits = &server.RateLimits{Limiter: l, Policies: ps}
			o.Metrics = metrics
		})
		ada := s.Token("ada@opsgraph.example", viewer.RoleAdmin)
		for i, want := range []float64{20, 10, 0} {
			r := s.PostAs(ada, costTen, nil)
			if r.Status != http.StatusOK || len(r.Errors) > 0 {
				t.Fatalf("request %d: %d %s", i+1, r.Status, r.Raw)
			}
			c := r.Extensions["cost"].(map[string]any)
			if c["requested"] != float64(10) || c["actual"] != float64(10) || c["limit"] != float64(30) || c["remaining"] != want || c["restoreRate"] != float64(2) {
				t.Errorf("request %d: cost %v, want remaining %v", i+1, c, want)
			}
		}
		r := s.PostAs(ada, costTen, nil)
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "5" || len(r.Errors) != 1 || r.Errors[0].Code() != server.CodeRateLimited {
			t.Fatalf("over the budget: %d Retry-After %q %s", r.Status, r.Header.Get("Retry-After"), r.Raw)
		}
		if r.Errors[0].Extensions["retryAfterSeconds"] != float64(5) {
			t.Errorf("error extensions: %v", r.Errors[0].Extensions)
		}
		rec := httptest.NewRecorder()
		metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		for _, series := range []string{
			`opsgraph_rate_limited_total{role="default"} 1`,
			`opsgraph_graphql_requests_total{code="RATE_LIMITED",operation="anonymous",type="query"} 1`,
			`opsgraph_graphql_cost_points_count{kind="requested",type="query"} 4`,
		} {
			if !strings.Contains(rec.Body.String(), series) {
				t.Errorf("/metrics lacks %s", series)
			}
		}
		// Another subject has its own bucket; an integration its role's.
		integ := s.Token("sync@integrations.example", viewer.RoleIntegration)
		if r := s.PostAs(integ, costTen, nil); r.Status != http.StatusOK || r.Extensions["cost"].(map[string]any)["limit"] != float64(1000) {
			t.Errorf("another subject: %d %s", r.Status, r.Raw)
		}
		// 5 s at 2 points a second drains the 10 points the request needs.
		clk.Advance(5 * time.Second)
		if r := s.PostAs(ada, costTen, nil); r.Status != http.StatusOK {
			t.Errorf("after Retry-After: %d %s", r.Status, r.Raw)
		}
		// A page that comes back short is charged what it fetched: 21
		// requested, 1 (the connection) actual on an empty database.
		clk.Advance(time.Minute)
		r = s.PostAs(ada, `{ accounts(first: 10) { edges { node { id } } } }`, nil)
		if c := r.Extensions["cost"].(map[string]any); c["requested"] != float64(21) || c["actual"] != float64(1) || c["remaining"] != float64(29) {
			t.Errorf("refund: cost %v", c)
		}
		// A request over the whole budget can never pass: too costly, not
		// "retry later".
		r = s.PostAs(ada, `{ accounts(first: 20) { edges { node { id } } } }`, nil)
		if r.Status == http.StatusTooManyRequests || len(r.Errors) != 1 || r.Errors[0].Code() != server.CodeTooCostly {
			t.Errorf("over the capacity: %d %s", r.Status, r.Raw)
		}
	})
}
