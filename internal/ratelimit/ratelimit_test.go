package ratelimit_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/internal/clocktest"
	"github.com/opsgraph/opsgraph/internal/migrate"
	"github.com/opsgraph/opsgraph/internal/ratelimit"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
)

// clock is a settable time source.
func newClock() *clocktest.Clock { return clocktest.New(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)) }

// backend makes a fresh limiter over its own, empty storage; count, when
// not nil, returns the statements run since the limiter was made.
type backend struct {
	name string
	make func(t *testing.T, now func() time.Time) (l ratelimit.Limiter, count func() int64)
}

// backends are the in-memory limiter and the SQL limiter on every dialect
// (each test its own migrated database), counting statements through the
// store's counting driver.
var backends = []backend{
	{"memory", func(t *testing.T, now func() time.Time) (ratelimit.Limiter, func() int64) {
		return ratelimit.NewMemory(now), nil
	}},
	{dialect.SQLite, sqlBackend(dialect.SQLite)},
	{dialect.Postgres, sqlBackend(dialect.Postgres)},
}

func sqlBackend(dia string) func(t *testing.T, now func() time.Time) (ratelimit.Limiter, func() int64) {
	return func(t *testing.T, now func() time.Time) (ratelimit.Limiter, func() int64) {
		db := testdb.Open(t, dia)
		l, err := ratelimit.NewSQL(db.Counter, db.Dialect, now)
		if err != nil {
			t.Fatal(err)
		}
		db.Counter.Reset()
		return l, db.Counter.Count
	}
}

// step is one call in a scenario: advance the clock, then Take (cost) or
// Refund (refund > 0).
type step struct {
	advance time.Duration
	subject string // default "alice"
	cost    int
	refund  int

	allowed    bool
	neverFits  bool
	remaining  float64
	retryAfter time.Duration
	resetIn    time.Duration // ResetAt - now
	statements int64         // on SQL backends
}

func TestTake(t *testing.T) {
	p := ratelimit.Policy{Capacity: 10, RestoreRate: 2}
	cases := []struct {
		name  string
		steps []step
	}{
		{"admits up to capacity, then refuses", []step{
			{cost: 4, allowed: true, remaining: 6, resetIn: 2 * time.Second, statements: 1},
			{cost: 6, allowed: true, remaining: 0, resetIn: 5 * time.Second, statements: 1},
			// 1 point needs 0.5 s: Retry-After rounds up to 1 s.
			{cost: 1, remaining: 0, retryAfter: time.Second, resetIn: 5 * time.Second, statements: 2},
			{cost: 0, allowed: true, remaining: 0, resetIn: 5 * time.Second, statements: 1},
		}},
		{"retry after rounds up and is exact at the boundary", []step{
			{cost: 10, allowed: true, remaining: 0, resetIn: 5 * time.Second},
			{cost: 5, remaining: 0, retryAfter: 3 * time.Second, resetIn: 5 * time.Second}, // 2.5 s
			{advance: 2 * time.Second, cost: 5, remaining: 4, retryAfter: time.Second, resetIn: 3 * time.Second},
			{advance: 500 * time.Millisecond, cost: 5, allowed: true, remaining: 0, resetIn: 5 * time.Second},
			{cost: 4, remaining: 0, retryAfter: 2 * time.Second, resetIn: 5 * time.Second},
		}},
		{"drains over time, never below empty", []step{
			{cost: 10, allowed: true, remaining: 0, resetIn: 5 * time.Second},
			{advance: 3 * time.Second, cost: 1, allowed: true, remaining: 5, resetIn: 2500 * time.Millisecond},
			{advance: 250 * time.Millisecond, cost: 0, allowed: true, remaining: 5.5, resetIn: 2250 * time.Millisecond},
			{advance: time.Hour, cost: 3, allowed: true, remaining: 7, resetIn: 1500 * time.Millisecond},
		}},
		{"refund lowers the level, not below empty", []step{
			{cost: 8, allowed: true, remaining: 2, resetIn: 4 * time.Second},
			{refund: 5, statements: 1},
			{cost: 5, allowed: true, remaining: 2, resetIn: 4 * time.Second},
			{refund: 100, statements: 1},
			{cost: 10, allowed: true, remaining: 0, resetIn: 5 * time.Second},
		}},
		{"a refund for an unknown subject is a no-op", []step{
			{subject: "nobody", refund: 3, statements: 1},
			{subject: "nobody", cost: 10, allowed: true, remaining: 0, resetIn: 5 * time.Second},
		}},
		{"a cost above capacity never fits and takes nothing", []step{
			{cost: 11, neverFits: true, remaining: 10, statements: 1},
			{cost: 3, allowed: true, remaining: 7, resetIn: 1500 * time.Millisecond},
			{cost: 11, neverFits: true, remaining: 7, resetIn: 1500 * time.Millisecond, statements: 1},
			{cost: 7, allowed: true, remaining: 0, resetIn: 5 * time.Second},
		}},
		{"subjects are independent", []step{
			{subject: "alice", cost: 10, allowed: true, remaining: 0, resetIn: 5 * time.Second},
			{subject: "bob", cost: 10, allowed: true, remaining: 0, resetIn: 5 * time.Second},
			{subject: "alice", cost: 1, remaining: 0, retryAfter: time.Second, resetIn: 5 * time.Second},
			{subject: "carol", cost: 1, allowed: true, remaining: 9, resetIn: 500 * time.Millisecond},
			{subject: "bob", refund: 10},
			{subject: "bob", cost: 10, allowed: true, remaining: 0, resetIn: 5 * time.Second},
			{subject: "alice", cost: 1, remaining: 0, retryAfter: time.Second, resetIn: 5 * time.Second},
		}},
		{"a clock behind drains nothing and does not rewind", []step{
			{cost: 10, allowed: true, remaining: 0, resetIn: 5 * time.Second},
			{advance: -5 * time.Second, cost: 1, remaining: 0, retryAfter: time.Second, resetIn: 5 * time.Second},
			// Admitted 5 s behind: the bucket keeps its later update time.
			{cost: 0, allowed: true, remaining: 0, resetIn: 5 * time.Second},
			// The first Take's time plus 1 s: 2 points drained.
			{advance: 6 * time.Second, cost: 2, allowed: true, remaining: 0, resetIn: 5 * time.Second},
		}},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					clk := newClock()
					l, count := be.make(t, clk.Now)
					ctx := context.Background()
					for i, s := range tc.steps {
						clk.Advance(s.advance)
						subject := s.subject
						if subject == "" {
							subject = "alice"
						}
						before := int64(0)
						if count != nil {
							before = count()
						}
						if s.refund > 0 {
							if err := l.Refund(ctx, subject, s.refund); err != nil {
								t.Fatalf("step %d: Refund: %v", i, err)
							}
						} else {
							d, err := l.Take(ctx, subject, p, s.cost)
							if err != nil {
								t.Fatalf("step %d: Take: %v", i, err)
							}
							want := ratelimit.Decision{
								Allowed:    s.allowed,
								Remaining:  s.remaining,
								Capacity:   p.Capacity,
								RetryAfter: s.retryAfter,
								ResetAt:    clk.Now().Add(s.resetIn),
								NeverFits:  s.neverFits,
							}
							if !equal(d, want) {
								t.Fatalf("step %d: Take(%s, %d) at +%v =\n\t%+v\nwant\n\t%+v", i, subject, s.cost, clk.Now().Sub(newClock().Now()), d, want)
							}
						}
						if count != nil && s.statements != 0 {
							if got := count() - before; got != s.statements {
								t.Errorf("step %d: %d statements, want %d", i, got, s.statements)
							}
						}
					}
				})
			}
		})
	}
}

// equal compares decisions, the floating-point figures to a microsecond's
// worth of drain.
func equal(a, b ratelimit.Decision) bool {
	return a.Allowed == b.Allowed && a.NeverFits == b.NeverFits && a.Capacity == b.Capacity &&
		a.RetryAfter == b.RetryAfter &&
		math.Abs(a.Remaining-b.Remaining) < 1e-6 &&
		a.ResetAt.Sub(b.ResetAt).Abs() < time.Microsecond
}

func TestInvalid(t *testing.T) {
	ctx := context.Background()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			l, _ := be.make(t, newClock().Now)
			for _, p := range []ratelimit.Policy{{}, {Capacity: 10}, {RestoreRate: 1}, {Capacity: -1, RestoreRate: 1}, {Capacity: math.Inf(1), RestoreRate: 1}, {Capacity: math.NaN(), RestoreRate: 1}} {
				if _, err := l.Take(ctx, "alice", p, 1); err == nil {
					t.Errorf("Take with policy %+v: no error", p)
				}
			}
			if _, err := l.Take(ctx, "alice", ratelimit.Policy{Capacity: 10, RestoreRate: 1}, -1); !errors.Is(err, ratelimit.ErrNegative) {
				t.Errorf("Take of cost -1 = %v, want ErrNegative", err)
			}
			if err := l.Refund(ctx, "alice", -1); !errors.Is(err, ratelimit.ErrNegative) {
				t.Errorf("Refund of -1 = %v, want ErrNegative", err)
			}
		})
	}
	if _, err := ratelimit.NewSQL(nil, "mysql", nil); err == nil {
		t.Error("NewSQL(mysql): no error")
	}
}

// openPools opens two pools ("instances") on one fresh, migrated database
// of dia.
func openPools(t *testing.T, dia string) [2]*store.DB {
	t.Helper()
	ctx := context.Background()
	var opts store.Options
	switch dia {
	case dialect.Postgres:
		opts = store.Options{URL: testdb.CreateDatabase(t), MaxOpenConns: 8}
	default:
		opts = store.Options{SQLitePath: filepath.Join(t.TempDir(), "shared.db")}
	}
	var dbs [2]*store.DB
	for i := range dbs {
		db, err := store.Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		dbs[i] = db
	}
	if err := migrate.Apply(ctx, dbs[0].SQL, dia); err != nil {
		t.Fatal(err)
	}
	return dbs
}

// TestInstancesShareBuckets runs two limiters on two pools to one
// database, as two server instances would.
func TestInstancesShareBuckets(t *testing.T) {
	ctx := context.Background()
	for _, dia := range testdb.Dialects {
		t.Run(dia, func(t *testing.T) {
			dbs := openPools(t, dia)
			clk := newClock()
			var ls [2]ratelimit.Limiter
			for i, db := range dbs {
				l, err := ratelimit.NewSQL(db.SQL, dia, clk.Now)
				if err != nil {
					t.Fatal(err)
				}
				ls[i] = l
			}

			t.Run("alternating", func(t *testing.T) {
				p := ratelimit.Policy{Capacity: 10, RestoreRate: 1}
				take := func(i, cost int) ratelimit.Decision {
					t.Helper()
					d, err := ls[i].Take(ctx, "alternating", p, cost)
					if err != nil {
						t.Fatal(err)
					}
					return d
				}
				if d := take(0, 6); !d.Allowed || d.Remaining != 4 {
					t.Fatalf("instance 0 Take 6 = %+v", d)
				}
				if d := take(1, 5); d.Allowed || d.Remaining != 4 || d.RetryAfter != time.Second {
					t.Fatalf("instance 1 Take 5 after instance 0 took 6 = %+v, want refused, 4 remaining, retry after 1s", d)
				}
				if err := ls[1].Refund(ctx, "alternating", 2); err != nil {
					t.Fatal(err)
				}
				if d := take(0, 5); !d.Allowed || d.Remaining != 1 {
					t.Fatalf("instance 0 Take 5 after instance 1 refunded 2 = %+v", d)
				}
				clk.Advance(3 * time.Second)
				if d := take(1, 4); !d.Allowed || d.Remaining != 0 {
					t.Fatalf("instance 1 Take 4 after 3 s = %+v", d)
				}
			})

			t.Run("concurrent", func(t *testing.T) {
				// Frozen time: no point drains, so exactly Capacity Takes of
				// cost 1 succeed, whichever instance runs them.
				p := ratelimit.Policy{Capacity: 50, RestoreRate: 1}
				const goroutines, each = 16, 8
				var (
					wg       sync.WaitGroup
					start    = make(chan struct{})
					admitted [2]atomic.Int64
					refused  atomic.Int64
					errs     = make(chan error, goroutines*each)
				)
				for g := range goroutines {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						for range each {
							d, err := ls[g%2].Take(ctx, "hot", p, 1)
							switch {
							case err != nil:
								errs <- err
							case d.Allowed:
								admitted[g%2].Add(1)
							case d.NeverFits || d.RetryAfter != time.Second || d.Remaining != 0:
								errs <- errors.New("refusal with wrong figures")
							default:
								refused.Add(1)
							}
						}
					}()
				}
				close(start)
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Fatal(err)
				}
				a0, a1 := admitted[0].Load(), admitted[1].Load()
				t.Logf("admitted %d + %d, refused %d", a0, a1, refused.Load())
				if a0+a1 != 50 || refused.Load() != goroutines*each-50 {
					t.Fatalf("admitted %d (instance 0) + %d (instance 1), refused %d; want 50 admitted in all", a0, a1, refused.Load())
				}
				if a0 == 0 || a1 == 0 {
					t.Errorf("one instance admitted nothing (%d, %d): the test did not exercise both", a0, a1)
				}
				var level float64
				q := "SELECT level FROM rate_limit_buckets WHERE subject = $1"
				if dia == dialect.SQLite {
					q = "SELECT level FROM rate_limit_buckets WHERE subject = ?"
				}
				if err := dbs[1].SQL.QueryRowContext(ctx, q, "hot").Scan(&level); err != nil || level != 50 {
					t.Fatalf("stored level %v (%v), want 50", level, err)
				}
				// Another subject is unaffected, on either instance.
				for i, l := range ls {
					d, err := l.Take(ctx, "cold"+string(rune('0'+i)), p, 50)
					if err != nil || !d.Allowed {
						t.Fatalf("instance %d: another subject's Take = %+v, %v", i, d, err)
					}
				}
			})
		})
	}
}

// BenchmarkTake measures a Take on PostgreSQL: an admitted one (one
// statement) and a refused one (two).
func BenchmarkTake(b *testing.B) {
	db := testdb.Open(b, dialect.Postgres)
	l, err := ratelimit.NewSQL(db.Counter, db.Dialect, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	run := func(b *testing.B, subject string, p ratelimit.Policy, wantAllowed bool) {
		if _, err := l.Take(ctx, subject, p, 1); err != nil { // create the row
			b.Fatal(err)
		}
		db.Counter.Reset()
		n := 0
		for b.Loop() {
			n++
			d, err := l.Take(ctx, subject, p, 1)
			if err != nil {
				b.Fatal(err)
			}
			if d.Allowed != wantAllowed {
				b.Fatalf("Allowed = %v", d.Allowed)
			}
		}
		b.ReportMetric(float64(db.Counter.Count())/float64(n), "statements/op")
	}
	b.Run("admit", func(b *testing.B) {
		run(b, "bench-admit", ratelimit.Policy{Capacity: 1e15, RestoreRate: 1}, true)
	})
	b.Run("refuse", func(b *testing.B) {
		run(b, "bench-refuse", ratelimit.Policy{Capacity: 1, RestoreRate: 1e-9}, false)
	})
}

// Pruning deletes only buckets idle for longer than asked, and a pruned
// subject starts again with an empty bucket, as it would have after
// draining.
func TestPrune(t *testing.T) {
	for _, dia := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(dia, func(t *testing.T) {
			ctx := context.Background()
			clk := newClock()
			db := testdb.Open(t, dia)
			l, err := ratelimit.NewSQL(db.SQL, db.Dialect, clk.Now)
			if err != nil {
				t.Fatal(err)
			}
			// A full bucket drains in 100 s.
			p := ratelimit.Policy{Capacity: 10, RestoreRate: 0.1}
			if _, err := l.Take(ctx, "idle", p, 10); err != nil {
				t.Fatal(err)
			}
			clk.Advance(250 * time.Second)
			if _, err := l.Take(ctx, "busy", p, 10); err != nil {
				t.Fatal(err)
			}
			clk.Advance(10 * time.Second)
			n, err := l.Prune(ctx, 200*time.Second)
			if err != nil || n != 1 {
				t.Fatalf("Prune: %d, %v; want the one bucket idle 260 s", n, err)
			}
			d, err := l.Take(ctx, "busy", p, 10)
			if err != nil || d.Allowed {
				t.Fatalf("the busy bucket was pruned: %+v %v", d, err)
			}
			if d, err := l.Take(ctx, "idle", p, 10); err != nil || !d.Allowed {
				t.Fatalf("after pruning: %+v %v", d, err)
			}
		})
	}
	ps, err := ratelimit.ParsePolicies("default=20000:1000,INTEGRATION=300:0.5", func(r string) bool { return r == "INTEGRATION" })
	if err != nil {
		t.Fatal(err)
	}
	if got := ps.MaxDrain(); got != 600*time.Second {
		t.Errorf("MaxDrain = %s, want 10m", got)
	}
}
