package store

import (
	"context"
	stdsql "database/sql"
	"path/filepath"
	"testing"
)

// The cache keeps the most recently used statements, prepares each once,
// and closes what it evicts.
func TestStmtCache(t *testing.T) {
	pool, err := stdsql.Open("sqlite3", SQLiteDSN(filepath.Join(t.TempDir(), "c.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ctx := context.Background()
	c := newStmtCache(2)
	get := func(q string) *stdsql.Stmt {
		t.Helper()
		s, err := c.get(ctx, pool, q)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a := get("SELECT 1")
	if get("SELECT 1") != a {
		t.Fatal("the same text was prepared twice")
	}
	get("SELECT 2")
	get("SELECT 1") // now the most recent
	get("SELECT 3") // evicts SELECT 2
	if c.lookup("SELECT 2") != nil || c.lookup("SELECT 1") != a || c.ll.Len() != 2 {
		t.Fatalf("cache holds %d statements; SELECT 2 should have gone", c.ll.Len())
	}
	var n int
	if err := a.QueryRowContext(ctx).Scan(&n); err != nil || n != 1 {
		t.Fatalf("cached statement: %d, %v", n, err)
	}
	if _, err := c.get(ctx, pool, "SELEC nonsense"); err == nil {
		t.Fatal("a statement that does not prepare was accepted")
	}
	if c.lookup("SELEC nonsense") != nil {
		t.Fatal("a failed statement was cached")
	}
}
