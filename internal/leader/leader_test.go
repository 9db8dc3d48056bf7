package leader_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/internal/leader"
	"github.com/opsgraph/opsgraph/internal/migrate"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// A slot runs once: a second instance trying the same slot after the first
// finished is skipped (what the sweep's transaction lock alone allowed), an
// earlier slot is never run again, a later one runs; on PostgreSQL an
// instance trying while another runs is skipped too.
func TestTryRunOncePerSlot(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := leader.New(db.SQL, db.Dialect, "test-job", time.Second)
		b := leader.New(db.SQL, db.Dialect, "test-job", time.Second)
		runs := 0
		fn := func(context.Context) error { runs++; return nil }
		for i, c := range []struct {
			job  *leader.Job
			slot int64
			want bool
		}{
			{a, 5, true}, {b, 5, false}, {a, 5, false}, {b, 4, false}, {b, 6, true}, {a, 6, false},
		} {
			ran, err := c.job.TryRun(ctx, c.slot, fn)
			if err != nil || ran != c.want {
				t.Fatalf("step %d, slot %d: ran %v, err %v; want ran %v", i, c.slot, ran, err, c.want)
			}
		}
		if runs != 2 {
			t.Fatalf("runs %d, want 2", runs)
		}
		// A failed run is not repeated in its slot.
		boom := errors.New("boom")
		if ran, err := a.TryRun(ctx, 7, func(context.Context) error { return boom }); !ran || !errors.Is(err, boom) {
			t.Fatalf("failing run: ran %v err %v", ran, err)
		}
		if ran, err := b.TryRun(ctx, 7, fn); ran || err != nil {
			t.Fatalf("after a failed run of the slot: ran %v err %v", ran, err)
		}
		// Another job is independent.
		other := leader.New(db.SQL, db.Dialect, "other-job", time.Second)
		if ran, err := other.TryRun(ctx, 7, fn); !ran || err != nil {
			t.Fatalf("another job: ran %v err %v", ran, err)
		}
		if db.Dialect != dialect.Postgres {
			return
		}
		// While a runs (slot 8), b is refused the lock for slot 9.
		started, release := make(chan struct{}), make(chan struct{})
		done := make(chan error, 1)
		go func() {
			_, err := a.TryRun(ctx, 8, func(context.Context) error { close(started); <-release; return nil })
			done <- err
		}()
		<-started
		ran, err := b.TryRun(ctx, 9, fn)
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if ran || err != nil {
			t.Fatalf("while another instance runs: ran %v err %v", ran, err)
		}
		if ran, err := b.TryRun(ctx, 9, fn); !ran || err != nil {
			t.Fatalf("after it finished: ran %v err %v", ran, err)
		}
	})
}

// Two instances (two connection pools, as two processes would have) on one
// PostgreSQL database, each running the job every 200 ms: over a dozen
// slots every slot ran exactly once, by one of them.
func TestOncePerSlotAcrossInstances(t *testing.T) {
	url := testdb.CreateDatabase(t)
	ctx := context.Background()
	open := func() *store.DB {
		db, err := store.Open(ctx, store.Options{URL: url, MaxOpenConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	one, two := open(), open()
	if err := migrate.Apply(ctx, one.SQL, one.Dialect); err != nil {
		t.Fatal(err)
	}
	const interval = 200 * time.Millisecond
	var (
		mu   sync.Mutex
		runs = map[int64][]string{}
	)
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	for i, db := range []*store.DB{one, two} {
		job := leader.New(db.SQL, db.Dialect, "expiry-sweep", interval)
		name := []string{"one", "two"}[i]
		wg.Go(func() {
			job.Run(rctx, log, func(ctx context.Context, slot int64) error {
				mu.Lock()
				runs[slot] = append(runs[slot], name)
				mu.Unlock()
				time.Sleep(40 * time.Millisecond) // a run takes a while: the other instance wakes meanwhile
				return nil
			})
		})
	}
	time.Sleep(12*interval + interval/2)
	cancel()
	wg.Wait()
	var slots []int64
	by := map[string]int{}
	for s, who := range runs {
		slots = append(slots, s)
		if len(who) != 1 {
			t.Errorf("slot %d ran %d times: %v", s, len(who), who)
		}
		by[who[0]]++
	}
	slices.Sort(slots)
	// Liveness: a slot is lost only when both instances wake (or reach the
	// database) more than an interval late, which a starved test machine
	// can cause; a few such slots are tolerated, none may run twice.
	span := int(slots[len(slots)-1]-slots[0]) + 1
	if len(slots) < 8 || len(slots) < span*3/4 {
		t.Fatalf("%d slots of %d ran in 12.5 intervals, want nearly all: %v", len(slots), span, slots)
	}
	if len(slots) < span {
		t.Logf("%d of %d slots lost to scheduling delays: %v", span-len(slots), span, slots)
	}
	t.Logf("%d slots, runs by instance %v", len(slots), by)
}
