// Package testdb gives each test its own database, on SQLite and on a real
// PostgreSQL, with the schema created the way production creates it (the
// versioned migrations).
//
// PostgreSQL is reached at OPSGRAPH_TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable); every test
// gets a fresh database created there and dropped afterwards. When it is
// unreachable the PostgreSQL half of a test is skipped, except under CI=true,
// where it fails.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/internal/migrate"
	"github.com/opsgraph/opsgraph/internal/store"
)

// Dialects are the databases every storage test runs against.
var Dialects = []string{dialect.SQLite, dialect.Postgres}

// BaseURL returns the URL of the PostgreSQL server tests create databases in.
func BaseURL() string {
	if u := os.Getenv("OPSGRAPH_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Each runs fn as a subtest for every dialect, each with a fresh database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Open returns a fresh, migrated database of the given dialect, closed and
// removed when the test ends.
func Open(t testing.TB, dia string) *store.DB {
	t.Helper()
	ctx := context.Background()
	var db *store.DB
	switch dia {
	case dialect.SQLite:
		var err error
		db, err = store.Open(ctx, store.Options{SQLitePath: filepath.Join(t.TempDir(), "test.db")})
		if err != nil {
			t.Fatalf("open sqlite: %v", err)
		}
	case dialect.Postgres:
		u := CreateDatabase(t)
		var err error
		db, err = store.Open(ctx, store.Options{URL: u, MaxOpenConns: 10})
		if err != nil {
			t.Fatalf("open postgres: %v", err)
		}
	default:
		t.Fatalf("unknown dialect %q", dia)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := migrate.Apply(ctx, db.SQL, db.Dialect); err != nil {
		t.Fatalf("migrate %s: %v", dia, err)
	}
	return db
}

var (
	adminOnce sync.Once
	adminDB   *sql.DB
	adminErr  error
)

func admin() (*sql.DB, error) {
	adminOnce.Do(func() {
		adminDB, adminErr = sql.Open("postgres", BaseURL())
		if adminErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		adminErr = adminDB.PingContext(ctx)
	})
	return adminDB, adminErr
}

// CreateDatabase creates an empty PostgreSQL database for the test, drops it
// when the test ends, and returns its URL. It skips the test when PostgreSQL
// is unreachable, or fails it under CI=true.
func CreateDatabase(t testing.TB) string {
	t.Helper()
	a := requirePostgres(t)
	name := "opsgraph_t_" + strings.ToLower(rand.Text()[:12])
	if _, err := a.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	return databaseURL(name)
}

// databaseURL is BaseURL with the database name replaced.
func databaseURL(name string) string {
	u, err := url.Parse(BaseURL())
	if err != nil {
		panic(fmt.Sprintf("parse %s: %v", redacted(), err))
	}
	u.Path = "/" + name
	return u.String()
}

// requirePostgres returns the admin connection, skipping the test when
// PostgreSQL is unreachable, or failing it under CI=true.
func requirePostgres(t testing.TB) *sql.DB {
	t.Helper()
	a, err := admin()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at %s unreachable (CI=true, so this fails): %v", redacted(), err)
		}
		t.Skipf("PostgreSQL at %s unreachable: %v", redacted(), err)
	}
	return a
}

func redacted() string {
	u, err := url.Parse(BaseURL())
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// Name is a helper for error messages.
func Name(db *store.DB) string { return fmt.Sprintf("%s(%s)", db.Dialect, db.Location) }
