package seed_test

import (
	"context"
	"entgo.io/ent/dialect"
	"fmt"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"os"
	"testing"

	"github.com/opsgraph/opsgraph/internal/migrate"
	"github.com/opsgraph/opsgraph/internal/seed"
	"github.com/opsgraph/opsgraph/internal/store"
)

func TestTmpDump(t *testing.T) {
	p := os.Getenv("SEED_DUMP")
	if p == "" {
		t.Skip()
	}
	os.Remove(p)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{SQLitePath: p})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := migrate.Apply(ctx, db.SQL, db.Dialect); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Demo(ctx, db.Client, seed.Options{Seed: 1, Now: now}); err != nil {
		t.Fatal(err)
	}
}

func TestTmpPerf(t *testing.T) {
	if os.Getenv("SEED_PERF") == "" {
		t.Skip()
	}
	var n, b int
	fmt.Sscan(os.Getenv("SEED_PERF"), &n, &b)
	db := testdb.Open(t, dialect.Postgres)
	sum, err := seed.Bulk(context.Background(), db.Client, seed.Options{Seed: 1, Accounts: n, BatchSize: b, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("n=%d batch=%d: %s (%.0f rows/s)", n, b, sum, float64(sum.Rows())/sum.Took.Seconds())
}

func TestTmpManySeeds(t *testing.T) {
	if os.Getenv("SEED_MANY") == "" {
		t.Skip()
	}
	for s := int64(1); s <= 25; s++ {
		db := testdb.Open(t, dialect.SQLite)
		var err error
		if s%2 == 0 {
			_, err = seed.Bulk(context.Background(), db.Client, seed.Options{Seed: s, Accounts: 300, Now: now})
		} else {
			_, err = seed.Demo(context.Background(), db.Client, seed.Options{Seed: s, Accounts: 150 + int(s), Now: now})
		}
		if err != nil {
			t.Fatal(err)
		}
		checkConsistency(t, db.Client)
	}
}

func TestTmpTiny(t *testing.T) {
	for n := 1; n <= 12; n++ {
		db := testdb.Open(t, dialect.SQLite)
		sum, err := seed.Demo(context.Background(), db.Client, seed.Options{Seed: int64(n), Accounts: n, Now: now})
		if err != nil || sum.Accounts != n {
			t.Fatal(n, err, sum)
		}
		checkConsistency(t, db.Client)
	}
}
