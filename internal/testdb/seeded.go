package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
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

// A template is a database filled once per test process and copied for
// every test that asks for the same contents.
type template struct {
	once sync.Once
	err  error
	path string // SQLite: the template file
	name string // PostgreSQL: the template database
}

var (
	templatesMu sync.Mutex
	templates   = map[string]*template{}
	tmplDir     string
	mainRan     bool
)

// Main runs the package's tests and then drops the template databases
// Seeded made. A package whose tests call Seeded has
//
//	func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }
func Main(m *testing.M) int {
	mainRan = true
	code := m.Run()
	templatesMu.Lock()
	defer templatesMu.Unlock()
	for _, tp := range templates {
		if tp.name != "" {
			if a, err := admin(); err == nil {
				_, _ = a.Exec("DROP DATABASE IF EXISTS " + tp.name + " WITH (FORCE)")
			}
		}
	}
	if tmplDir != "" {
		_ = os.RemoveAll(tmplDir)
	}
	return code
}

// Seeded returns a fresh, migrated database of dialect dia holding what
// fill writes, running fill once per test process and key: the first call
// fills a template (a SQLite file, a PostgreSQL template database) and
// every call gets its own copy, so tests share no state but pay for the
// (slow) seed once. key names the contents: equal keys must mean equal
// fills.
func Seeded(t testing.TB, dia, key string, fill func(context.Context, *store.DB) error) *store.DB {
	t.Helper()
	if !mainRan {
		t.Fatal("testdb.Seeded needs func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) } in the package")
	}
	if dia == dialect.Postgres {
		requirePostgres(t)
	}
	templatesMu.Lock()
	tp := templates[dia+"\x00"+key]
	if tp == nil {
		tp = &template{}
		templates[dia+"\x00"+key] = tp
	}
	templatesMu.Unlock()
	tp.once.Do(func() { tp.err = tp.build(dia, key, fill) })
	if tp.err != nil {
		t.Fatalf("seeding the %s template %q: %v", dia, key, tp.err)
	}
	ctx := context.Background()
	var (
		db  *store.DB
		err error
	)
	switch dia {
	case dialect.SQLite:
		path := filepath.Join(t.TempDir(), "test.db")
		if err := copyFile(tp.path, path); err != nil {
			t.Fatal(err)
		}
		db, err = store.Open(ctx, store.Options{SQLitePath: path})
	case dialect.Postgres:
		db, err = store.Open(ctx, store.Options{URL: cloneDatabase(t, tp.name), MaxOpenConns: 10})
	default:
		t.Fatalf("unknown dialect %q", dia)
	}
	if err != nil {
		t.Fatalf("open %s copy: %v", dia, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func (tp *template) build(dia, key string, fill func(context.Context, *store.DB) error) error {
	ctx := context.Background()
	sum := sha256.Sum256([]byte(key))
	var opts store.Options
	switch dia {
	case dialect.SQLite:
		templatesMu.Lock()
		if tmplDir == "" {
			d, err := os.MkdirTemp("", "opsgraph-testdb-")
			if err != nil {
				templatesMu.Unlock()
				return err
			}
			tmplDir = d
		}
		templatesMu.Unlock()
		tp.path = filepath.Join(tmplDir, hex.EncodeToString(sum[:8])+".db")
		opts.SQLitePath = tp.path
	case dialect.Postgres:
		a, err := admin()
		if err != nil {
			return err
		}
		tp.name = "opsgraph_tmpl_" + hex.EncodeToString(sum[:4]) + "_" + strings.ToLower(rand.Text()[:8])
		if _, err := a.Exec("CREATE DATABASE " + tp.name); err != nil {
			return err
		}
		opts.URL = databaseURL(tp.name)
	}
	db, err := store.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := migrate.Apply(ctx, db.SQL, db.Dialect); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := fill(ctx, db); err != nil {
		return err
	}
	if dia == dialect.SQLite {
		if _, err := db.SQL.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			return err
		}
	}
	return db.Close()
}

// cloneDatabase creates the test's own database from the template and
// returns its URL; it is dropped when the test ends.
func cloneDatabase(t testing.TB, tmpl string) string {
	t.Helper()
	a := requirePostgres(t)
	name := "opsgraph_t_" + strings.ToLower(rand.Text()[:12])
	// The template's last connections may still be closing: retry briefly.
	var err error
	for i := 0; ; i++ {
		_, err = a.Exec("CREATE DATABASE " + name + " TEMPLATE " + tmpl)
		if err == nil || i == 50 || !strings.Contains(err.Error(), "being accessed by other users") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("create database %s from %s: %v", name, tmpl, err)
	}
	t.Cleanup(func() {
		if _, err := a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	return databaseURL(name)
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		_ = dst.Close()
		return err
	}
	return dst.Close()
}
