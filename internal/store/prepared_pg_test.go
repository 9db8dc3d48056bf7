package store_test

import (
	"context"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
)

// A prepared query runs through the gate and the counter like any other,
// and keeps working after PostgreSQL drops every connection (database/sql
// prepares it again on the new ones).
func TestPreparedQueries(t *testing.T) {
	db := testdb.Open(t, dialect.Postgres)
	ctx := store.Prepared(context.Background())
	query := func(arg int) (int, error) {
		var rows entsql.Rows
		if err := db.Counter.Query(ctx, "SELECT $1::int + 1", []any{arg}, &rows); err != nil {
			return 0, err
		}
		defer rows.Close()
		var n int
		if !rows.Next() {
			return 0, rows.Err()
		}
		err := rows.Scan(&n)
		return n, err
	}
	db.Counter.Reset()
	for i := range 5 {
		if n, err := query(i); err != nil || n != i+1 {
			t.Fatalf("query(%d) = %d, %v", i, n, err)
		}
	}
	if n := db.Counter.Count(); n != 5 {
		t.Errorf("counted %d statements, want 5", n)
	}
	if _, err := db.SQL.ExecContext(context.Background(),
		`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	var last error
	for range 3 { // the first may meet a dead connection
		var n int
		if n, last = query(41); last == nil {
			if n != 42 {
				t.Fatalf("after the restart: %d", n)
			}
			return
		}
	}
	t.Fatalf("prepared query after the connections were dropped: %v", last)
}
