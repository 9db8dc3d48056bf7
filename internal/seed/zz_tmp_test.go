package seed_test

import (
	"context"
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
