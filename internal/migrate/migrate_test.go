package migrate_test

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/schema/field"

	"github.com/opsgraph/opsgraph/ent/account"
	entmigrate "github.com/opsgraph/opsgraph/ent/migrate"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/migrate"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/migrations"
)

// eachDialect runs fn as a subtest for SQLite and PostgreSQL.
func eachDialect(t *testing.T, fn func(t *testing.T, dia string)) {
	t.Helper()
	for _, d := range testdb.Dialects {
		t.Run(d, func(t *testing.T) { fn(t, d) })
	}
}

// openEmpty opens a fresh database with no schema at all (testdb.Open would
// already have migrated it).
func openEmpty(t testing.TB, dia string) *store.DB {
	t.Helper()
	var opts store.Options
	switch dia {
	case dialect.SQLite:
		opts.SQLitePath = filepath.Join(t.TempDir(), "test.db")
	case dialect.Postgres:
		opts.URL = testdb.CreateDatabase(t)
		opts.MaxOpenConns = 5
	default:
		t.Fatalf("unknown dialect %q", dia)
	}
	db, err := store.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("open %s: %v", dia, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// subdir is the directory of migrations.FS holding dia's files.
func subdir(dia string) string {
	if dia == dialect.Postgres {
		return "postgres"
	}
	return "sqlite"
}

// embedded returns the embedded migration file names of dia, in order, and
// their versions.
func embedded(t testing.TB, dia string) (names, versions []string) {
	t.Helper()
	ents, err := fs.ReadDir(migrations.FS, subdir(dia))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
			versions = append(versions, strings.SplitN(e.Name(), "_", 2)[0])
		}
	}
	if len(names) == 0 {
		t.Fatalf("no embedded migrations for %s", dia)
	}
	return names, versions
}

// sums returns the embedded atlas.sum of dia.
func sums(t testing.TB, dia string) atlasmigrate.HashFile {
	t.Helper()
	b, err := fs.ReadFile(migrations.FS, path.Join(subdir(dia), atlasmigrate.HashFileName))
	if err != nil {
		t.Fatal(err)
	}
	var hf atlasmigrate.HashFile
	if err := hf.UnmarshalText(b); err != nil {
		t.Fatal(err)
	}
	return hf
}

func pending(t testing.TB, db *store.DB) []string {
	t.Helper()
	p, err := migrate.Pending(context.Background(), db.SQL, db.Dialect)
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	return p
}

func countRevisions(t testing.TB, db *store.DB) map[string]int {
	t.Helper()
	rows, err := db.SQL.Query("SELECT version, count(*) FROM " + migrate.RevisionsTable + " GROUP BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[string]int{}
	for rows.Next() {
		var v string
		var n int
		if err := rows.Scan(&v, &n); err != nil {
			t.Fatal(err)
		}
		m[v] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestApplyAppliesEverythingOnce(t *testing.T) {
	eachDialect(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		db := openEmpty(t, dia)
		names, versions := embedded(t, dia)

		if got := pending(t, db); !slices.Equal(got, versions) {
			t.Fatalf("Pending before Apply = %v, want every embedded version %v", got, versions)
		}
		if err := migrate.Apply(ctx, db.SQL, dia); err != nil {
			t.Fatalf("first Apply: %v", err)
		}
		if got := pending(t, db); len(got) != 0 {
			t.Fatalf("Pending after Apply = %v, want none", got)
		}
		rep, err := migrate.Status(ctx, db.SQL, dia)
		if err != nil {
			t.Fatalf("Status: %v", err)
		}
		if len(rep.Revisions) != len(versions) || len(rep.Pending) != 0 || rep.Current != versions[len(versions)-1] {
			t.Fatalf("Status = %+v, want %d revisions, none pending, current %s", rep, len(versions), versions[len(versions)-1])
		}
		hf := sums(t, dia)
		for i, r := range rep.Revisions {
			wantHash, err := hf.SumByName(names[i])
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case r.Version != versions[i]:
				t.Errorf("revision %d version %s, want %s", i, r.Version, versions[i])
			case r.Description != strings.TrimSuffix(strings.SplitN(names[i], "_", 2)[1], ".sql"):
				t.Errorf("revision %s description %q", r.Version, r.Description)
			case r.Type != atlasmigrate.RevisionTypeExecute:
				t.Errorf("revision %s type %v, want applied", r.Version, r.Type)
			case r.Total == 0 || r.Applied != r.Total:
				t.Errorf("revision %s applied %d of %d statements", r.Version, r.Applied, r.Total)
			case r.Error != "" || r.ErrorStmt != "":
				t.Errorf("revision %s records an error: %q (%q)", r.Version, r.Error, r.ErrorStmt)
			case r.Hash != wantHash:
				t.Errorf("revision %s hash %s, want %s from atlas.sum", r.Version, r.Hash, wantHash)
			case len(r.PartialHashes) != 0:
				t.Errorf("revision %s keeps partial hashes %v", r.Version, r.PartialHashes)
			case r.ExecutedAt.IsZero() || r.ExecutionTime <= 0:
				t.Errorf("revision %s executed_at %v, execution_time %v", r.Version, r.ExecutedAt, r.ExecutionTime)
			case !strings.Contains(r.OperatorVersion, "opsgraph"):
				t.Errorf("revision %s operator_version %q", r.Version, r.OperatorVersion)
			}
		}

		if err := migrate.Apply(ctx, db.SQL, dia); err != nil {
			t.Fatalf("second Apply: %v", err)
		}
		rep2, err := migrate.Status(ctx, db.SQL, dia)
		if err != nil {
			t.Fatalf("Status: %v", err)
		}
		for i := range rep.Revisions {
			if !rep2.Revisions[i].ExecutedAt.Equal(rep.Revisions[i].ExecutedAt) {
				t.Errorf("second Apply re-ran %s", rep.Revisions[i].Version)
			}
		}
		for v, n := range countRevisions(t, db) {
			if n != 1 {
				t.Errorf("version %s recorded %d times", v, n)
			}
		}
	})
}

// entDiff returns the statements ent would generate to bring db to tables
// (drops included), or nil when db matches.
func entDiff(t testing.TB, db *store.DB, tables []*schema.Table) []string {
	t.Helper()
	dir := &atlasmigrate.MemDir{}
	m, err := schema.NewMigrate(entsql.OpenDB(db.Dialect, db.SQL),
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeInspect),
		schema.WithDialect(db.Dialect),
		schema.WithFormatter(atlasmigrate.DefaultFormatter),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
		schema.WithErrNoPlan(true),
	)
	if err != nil {
		t.Fatal(err)
	}
	err = m.NamedDiff(context.Background(), "drift", tables...)
	if errors.Is(err, atlasmigrate.ErrNoPlan) {
		return nil
	}
	if err != nil {
		t.Fatalf("diffing the migrated database against ent/schema: %v", err)
	}
	files, err := dir.Files()
	if err != nil {
		t.Fatal(err)
	}
	var stmts []string
	for _, f := range files {
		s, err := f.Stmts()
		if err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, s...)
	}
	return stmts
}

// nonEntTables are the tables the migrations create that ent/schema does
// not declare, each with its reason. ent's diff inspects only the tables
// ent knows, so it would never notice another one; TestNoDrift therefore
// also requires the migrated database to hold exactly ent's tables and
// these.
var nonEntTables = map[string]string{
	// Atlas's revision records, created by Apply itself.
	migrate.RevisionsTable: "applied migrations (internal/migrate)",
	// Throttle state written by raw SQL on every request (hand-written
	// migration rate_limit_buckets; UNLOGGED on PostgreSQL, which ent
	// cannot express).
	"rate_limit_buckets": "GraphQL cost buckets (internal/ratelimit)",
	// Written by raw SQL: the claimed slot of each background job
	// (hand-written migration leader_slots).
	"leader_slots": "background job slots (internal/leader)",
}

// tables lists the tables of db's schema, sorted.
func tables(t testing.TB, db *store.DB) []string {
	t.Helper()
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
	if db.Dialect == dialect.Postgres {
		q = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
	}
	rows, err := db.SQL.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// TestNoDrift fails when ent/schema has changed without a migration being
// generated for it: the migrated database must be exactly what ent wants,
// plus the documented nonEntTables.
func TestNoDrift(t *testing.T) {
	eachDialect(t, func(t *testing.T, dia string) {
		db := openEmpty(t, dia)
		if err := migrate.Apply(context.Background(), db.SQL, dia); err != nil {
			t.Fatalf("Apply: %v", err)
		}
		if stmts := entDiff(t, db, entmigrate.Tables); len(stmts) > 0 {
			t.Fatalf("the %s migrations do not produce ent/schema; ent wants:\n\t%s\n"+
				"run: go run ./internal/migrate/cmd/migrations-gen -name <change>",
				dia, strings.Join(stmts, "\n\t"))
		}
		var want []string
		for _, tbl := range entmigrate.Tables {
			want = append(want, tbl.Name)
		}
		for name := range nonEntTables {
			want = append(want, name)
		}
		slices.Sort(want)
		if got := tables(t, db); !slices.Equal(got, want) {
			t.Fatalf("the %s migrations create tables\n\t%v\nwant ent/schema's tables and nonEntTables\n\t%v\n"+
				"(a table ent does not declare escapes the diff above: declare it in ent/schema, or list it in nonEntTables with its reason)",
				dia, got, want)
		}
		if dia == dialect.Postgres {
			var persistence string
			if err := db.SQL.QueryRow("SELECT relpersistence FROM pg_class WHERE oid = 'rate_limit_buckets'::regclass").Scan(&persistence); err != nil {
				t.Fatal(err)
			}
			if persistence != "u" {
				t.Errorf("rate_limit_buckets relpersistence %q, want u (UNLOGGED)", persistence)
			}
		}

		// The check itself must notice schema changes: a users table with a
		// field added, and one with a field removed.
		users := entmigrate.UsersTable
		withUsersColumns := func(cols []*schema.Column) []*schema.Table {
			return []*schema.Table{{
				Name:       users.Name,
				Columns:    cols,
				PrimaryKey: users.PrimaryKey,
				Indexes:    users.Indexes,
				Annotation: users.Annotation,
			}}
		}
		added := append(slices.Clone(users.Columns), &schema.Column{Name: "drift_probe_column", Type: field.TypeString, Nullable: true, Size: 50})
		if stmts := strings.Join(entDiff(t, db, withUsersColumns(added)), "\n"); !strings.Contains(stmts, "drift_probe_column") {
			t.Fatalf("drift check missed an added field; diff was:\n%s", stmts)
		}
		// Remove a column that is neither the key nor indexed.
		var drop *schema.Column
		for _, c := range users.Columns[1:] {
			if !slices.ContainsFunc(users.Indexes, func(i *schema.Index) bool { return slices.Contains(i.Columns, c) }) {
				drop = c
				break
			}
		}
		if drop == nil {
			t.Fatal("users has no unindexed column to remove")
		}
		removed := slices.DeleteFunc(slices.Clone(users.Columns), func(c *schema.Column) bool { return c == drop })
		if stmts := entDiff(t, db, withUsersColumns(removed)); len(stmts) == 0 {
			t.Fatalf("drift check missed a removed field (%s)", drop.Name)
		}
	})
}

// TestGlobalIDRanges checks the migrations start every table's ids in its
// global-ID range (ent's sql/globalid IncrementStart annotations).
func TestGlobalIDRanges(t *testing.T) {
	eachDialect(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		db := openEmpty(t, dia)
		if err := migrate.Apply(ctx, db.SQL, dia); err != nil {
			t.Fatalf("Apply: %v", err)
		}
		inRange := func(t *testing.T, tbl *schema.Table, id int64) {
			t.Helper()
			if tbl.Annotation == nil || tbl.Annotation.IncrementStart == nil {
				t.Fatalf("table %s has no IncrementStart annotation", tbl.Name)
			}
			start := int64(*tbl.Annotation.IncrementStart)
			if id < start || id >= start+1<<32 {
				t.Errorf("%s: first id %d outside its range [%d, %d)", tbl.Name, id, start, start+1<<32)
			}
		}

		u := db.Client.User.Create().SetEmail("a@b.co").SetName("A").SaveX(ctx)
		inRange(t, entmigrate.UsersTable, int64(u.ID))
		a := db.Client.Account.Create().SetName("Acme").SetSegment(account.SegmentSMB).SetRegion(schematype.RegionNA).SetOwnerID(u.ID).SaveX(ctx)
		inRange(t, entmigrate.AccountsTable, int64(a.ID))
		t.Logf("%s: first user id %d, first account id %d", dia, u.ID, a.ID)
		if dia == dialect.Postgres && u.ID != 51539607552 {
			t.Errorf("first user id %d, want 51539607552", u.ID)
		}

		// Every other table: the id its sequence hands out next.
		for _, tbl := range entmigrate.Tables {
			if tbl == entmigrate.UsersTable || tbl == entmigrate.AccountsTable {
				continue
			}
			var next int64
			switch dia {
			case dialect.Postgres:
				if err := db.SQL.QueryRowContext(ctx, "SELECT nextval(pg_get_serial_sequence($1, 'id'))", tbl.Name).Scan(&next); err != nil {
					t.Fatalf("%s: %v", tbl.Name, err)
				}
			default:
				var seq int64
				if err := db.SQL.QueryRowContext(ctx, "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = ?", tbl.Name).Scan(&seq); err != nil {
					t.Fatalf("%s: %v", tbl.Name, err)
				}
				next = seq + 1
			}
			inRange(t, tbl, next)
		}
	})
}

// TestConcurrentApply starts two "instances" on the same fresh database at
// once: both succeed and every migration is recorded once.
func TestConcurrentApply(t *testing.T) {
	eachDialect(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		var dbs [2]*store.DB
		switch dia {
		case dialect.Postgres:
			u := testdb.CreateDatabase(t)
			for i := range dbs {
				db, err := store.Open(ctx, store.Options{URL: u, MaxOpenConns: 4})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = db.Close() })
				dbs[i] = db
			}
		default:
			// The embedded SQLite is single-instance: two callers in one
			// process share the pool.
			dbs[0] = openEmpty(t, dia)
			dbs[1] = dbs[0]
		}
		// On PostgreSQL a third session holds the migration lock at first:
		// both instances must wait for it rather than migrate.
		var release func()
		if dia == dialect.Postgres {
			holder, err := dbs[0].SQL.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer holder.Close()
			if _, err := holder.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrate.LockKey); err != nil {
				t.Fatal(err)
			}
			release = func() {
				if _, err := holder.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", migrate.LockKey); err != nil {
					t.Fatal(err)
				}
			}
		}
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			done  = make(chan struct{})
			errs  [2]error
		)
		for i := range dbs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = migrate.Apply(ctx, dbs[i].SQL, dia)
			}()
		}
		close(start)
		go func() { wg.Wait(); close(done) }()
		if release != nil {
			select {
			case <-done:
				t.Fatalf("Apply did not wait for the advisory lock held elsewhere (errors %v)", errs)
			case <-time.After(500 * time.Millisecond):
			}
			if got := pending(t, dbs[0]); len(got) == 0 {
				t.Fatalf("migrations ran while another session held the lock")
			}
			release()
		}
		<-done
		for i, err := range errs {
			if err != nil {
				t.Errorf("Apply %d: %v", i, err)
			}
		}
		_, versions := embedded(t, dia)
		got := countRevisions(t, dbs[0])
		if len(got) != len(versions) {
			t.Errorf("revisions %v, want one each of %v", got, versions)
		}
		for _, v := range versions {
			if got[v] != 1 {
				t.Errorf("version %s recorded %d times", v, got[v])
			}
		}
		if p := pending(t, dbs[1]); len(p) != 0 {
			t.Errorf("Pending after concurrent Apply = %v", p)
		}
	})
}

// dirFS returns a copy of the embedded migrations of dia as an fstest.MapFS,
// with edit applied to the files (name → content; nil content removes).
func dirFS(t testing.TB, dia string, edit func(files map[string][]byte)) fstest.MapFS {
	t.Helper()
	sub := subdir(dia)
	ents, err := fs.ReadDir(migrations.FS, sub)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range ents {
		b, err := fs.ReadFile(migrations.FS, path.Join(sub, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	edit(files)
	m := fstest.MapFS{}
	for name, b := range files {
		if b != nil {
			m[path.Join(sub, name)] = &fstest.MapFile{Data: b}
		}
	}
	return m
}

// resum recomputes atlas.sum over the .sql files, as the generator would.
func resum(t testing.TB, files map[string][]byte) {
	t.Helper()
	dir := &atlasmigrate.MemDir{}
	for name, b := range files {
		if strings.HasSuffix(name, ".sql") && b != nil {
			if err := dir.WriteFile(name, b); err != nil {
				t.Fatal(err)
			}
		}
	}
	fl, err := dir.Files()
	if err != nil {
		t.Fatal(err)
	}
	hf, err := atlasmigrate.NewHashFile(fl)
	if err != nil {
		t.Fatal(err)
	}
	b, err := hf.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	files[atlasmigrate.HashFileName] = b
}

func TestTamperedMigrationsRefused(t *testing.T) {
	eachDialect(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		names, _ := embedded(t, dia)
		last := names[len(names)-1]
		cases := []struct {
			name string
			edit func(map[string][]byte)
			want error
		}{
			{"edited file", func(f map[string][]byte) {
				f[last] = append(f[last], []byte("\nCREATE TABLE sneaky (id integer);\n")...)
			}, atlasmigrate.ErrChecksumMismatch},
			{"file added without sum", func(f map[string][]byte) {
				f["99990101000000_extra.sql"] = []byte("CREATE TABLE extra (id integer);\n")
			}, atlasmigrate.ErrChecksumMismatch},
			{"file removed", func(f map[string][]byte) {
				f[last] = nil
			}, atlasmigrate.ErrChecksumMismatch},
			{"atlas.sum missing", func(f map[string][]byte) {
				f[atlasmigrate.HashFileName] = nil
			}, atlasmigrate.ErrChecksumNotFound},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				db := openEmpty(t, dia)
				fsys := dirFS(t, dia, tc.edit)
				err := migrate.ApplyFS(ctx, db.SQL, dia, fsys)
				t.Logf("refused with: %v", err)
				if !errors.Is(err, tc.want) {
					t.Fatalf("ApplyFS = %v, want %v", err, tc.want)
				}
				if _, err := migrate.PendingFS(ctx, db.SQL, dia, fsys); !errors.Is(err, tc.want) {
					t.Fatalf("PendingFS = %v, want %v", err, tc.want)
				}
				// Nothing was touched: the untampered migrations are all
				// still pending.
				if _, versions := embedded(t, dia); !slices.Equal(pending(t, db), versions) {
					t.Fatalf("a refused directory changed the database")
				}
			})
		}
	})
}

// TestAppliedMigrationEditedRefused: editing an applied migration and
// regenerating atlas.sum to match is still refused.
func TestAppliedMigrationEditedRefused(t *testing.T) {
	eachDialect(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		db := openEmpty(t, dia)
		if err := migrate.Apply(ctx, db.SQL, dia); err != nil {
			t.Fatalf("Apply: %v", err)
		}
		names, _ := embedded(t, dia)
		edited := dirFS(t, dia, func(f map[string][]byte) {
			f[names[0]] = append(f[names[0]], []byte("\nCREATE TABLE sneaky (id integer);\n")...)
			resum(t, f)
		})
		err := migrate.ApplyFS(ctx, db.SQL, dia, edited)
		t.Logf("refused with: %v", err)
		if !errors.Is(err, migrate.ErrAppliedMigrationChanged) || !strings.Contains(err.Error(), names[0]) {
			t.Fatalf("ApplyFS = %v, want ErrAppliedMigrationChanged naming %s", err, names[0])
		}
		if _, err := migrate.PendingFS(ctx, db.SQL, dia, edited); !errors.Is(err, migrate.ErrAppliedMigrationChanged) {
			t.Fatalf("PendingFS = %v, want ErrAppliedMigrationChanged", err)
		}
	})
}

// TestFailedMigrationRecorded: a migration that fails is rolled back, its
// revision records the error and the failing statement, Apply names the
// version, and a corrected file then applies.
func TestFailedMigrationRecorded(t *testing.T) {
	eachDialect(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		db := openEmpty(t, dia)
		const (
			version = "99990101000000"
			name    = version + "_broken.sql"
			badStmt = "INSERT INTO no_such_table (id) VALUES (1);"
		)
		broken := dirFS(t, dia, func(f map[string][]byte) {
			f[name] = []byte("CREATE TABLE half_done (id integer);\n" + badStmt + "\n")
			resum(t, f)
		})
		err := migrate.ApplyFS(ctx, db.SQL, dia, broken)
		t.Logf("failing migration reported as: %v", err)
		if err == nil || !strings.Contains(err.Error(), version) {
			t.Fatalf("ApplyFS = %v, want an error naming version %s", err, version)
		}
		var serr *atlasmigrate.StmtExecError
		if !errors.As(err, &serr) || serr.Version != version {
			t.Fatalf("ApplyFS error %v does not wrap the failing statement", err)
		}
		if _, err := migrate.Status(ctx, db.SQL, dia); err == nil {
			t.Fatalf("Status over the embedded migrations accepted a database with an unknown partially applied version")
		}
		rep, err := migrate.StatusFS(ctx, db.SQL, dia, broken)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rep.Pending, []string{name}) {
			t.Fatalf("Status pending = %v, want [%s]", rep.Pending, name)
		}
		r := rep.Revisions[len(rep.Revisions)-1]
		if r.Version != version || r.Applied != 0 || r.Total != 2 || r.Error == "" || r.ErrorStmt != badStmt || r.Hash == "" {
			t.Fatalf("failed revision recorded as %+v", r)
		}
		_, versions := embedded(t, dia)
		if rep.Current != versions[len(versions)-1] {
			t.Fatalf("Current = %s, want %s", rep.Current, versions[len(versions)-1])
		}
		if p, err := migrate.PendingFS(ctx, db.SQL, dia, broken); err != nil || !slices.Equal(p, []string{version}) {
			t.Fatalf("PendingFS after failure = %v, %v; want [%s]", p, err, version)
		}
		var n int
		q := "SELECT count(*) FROM sqlite_master WHERE name = 'half_done'"
		if dia == dialect.Postgres {
			q = "SELECT count(*) FROM information_schema.tables WHERE table_name = 'half_done'"
		}
		if err := db.SQL.QueryRowContext(ctx, q).Scan(&n); err != nil || n != 0 {
			t.Fatalf("the failed migration was not rolled back (half_done tables: %d, %v)", n, err)
		}

		fixed := dirFS(t, dia, func(f map[string][]byte) {
			f[name] = []byte("CREATE TABLE half_done (id integer);\nINSERT INTO half_done (id) VALUES (1);\nINSERT INTO half_done (id) VALUES (2);\n")
			resum(t, f)
		})
		if err := migrate.ApplyFS(ctx, db.SQL, dia, fixed); err != nil {
			t.Fatalf("ApplyFS after fixing the file: %v", err)
		}
		rep, err = migrate.StatusFS(ctx, db.SQL, dia, fixed)
		if err != nil {
			t.Fatal(err)
		}
		var hf atlasmigrate.HashFile
		if err := hf.UnmarshalText(fixed[path.Join(subdir(dia), atlasmigrate.HashFileName)].Data); err != nil {
			t.Fatal(err)
		}
		wantHash, err := hf.SumByName(name)
		if err != nil {
			t.Fatal(err)
		}
		r = rep.Revisions[len(rep.Revisions)-1]
		if r.Version != version || r.Applied != 3 || r.Total != 3 || r.Error != "" || r.ErrorStmt != "" || r.Hash != wantHash || rep.Current != version {
			t.Fatalf("fixed revision recorded as %+v", r)
		}
		if p, err := migrate.PendingFS(ctx, db.SQL, dia, fixed); err != nil || len(p) != 0 {
			t.Fatalf("PendingFS after fix = %v, %v", p, err)
		}
	})
}

func TestUnknownDialect(t *testing.T) {
	err := migrate.Apply(context.Background(), nil, "mysql")
	if err == nil || !strings.Contains(err.Error(), "mysql") {
		t.Fatalf("Apply(mysql) = %v", err)
	}
}
