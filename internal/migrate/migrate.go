// Package migrate brings a database up to date with OpsGraph's versioned
// migrations (package migrations, generated from ent/schema by
// ./internal/migrate/cmd/migrations-gen).
//
// Apply runs the pending migrations with Atlas's executor, recording each in
// the opsgraph_schema_revisions table. The migration directory is checked
// against its atlas.sum first, so an edited migration file is refused, and
// applied files against the hashes recorded when they ran, so is a released
// migration edited and re-summed (ErrAppliedMigrationChanged). Each
// file runs in its own transaction (unless it starts with the Atlas
// directive "-- atlas:txmode none"), so a failed file leaves nothing half
// done; the failure is recorded in its revision row.
//
// On PostgreSQL, Apply holds a session advisory lock for its whole run, so
// several server instances starting at once migrate the database exactly
// once: the others wait and then find nothing pending. On SQLite, which the
// server embeds as a single instance, Apply is serialised within the process.
package migrate

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	atlasschema "ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlite"
	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/migrations"
)

// LockKey is the PostgreSQL advisory-lock key Apply holds while migrating
// ("opsgraph" in ASCII).
const LockKey int64 = 0x6f70736772617068

// sqliteMu serialises Apply on SQLite within the process.
var sqliteMu sync.Mutex

// ErrAppliedMigrationChanged is returned (wrapped) when a migration file, or
// one before it, differs from what was applied to the database even though
// atlas.sum agrees with it: a released migration was edited and re-summed.
var ErrAppliedMigrationChanged = errors.New("migration changed after it was applied")

// Apply applies every pending embedded migration of dialect
// (dialect.Postgres or dialect.SQLite) to db. It is a no-op when the
// database is up to date.
func Apply(ctx context.Context, db *sql.DB, dia string) error {
	return apply(ctx, db, dia, migrations.FS, "")
}

// ApplyTo is Apply stopping after the migration of version: later ones
// stay pending (a staged rollout, or a test of an older schema).
func ApplyTo(ctx context.Context, db *sql.DB, dia, version string) error {
	return apply(ctx, db, dia, migrations.FS, version)
}

// Pending returns the versions of the embedded migrations not yet applied
// to db, in the order Apply would apply them; empty when the database is up
// to date. It does not write to the database.
func Pending(ctx context.Context, db *sql.DB, dia string) ([]string, error) {
	files, err := pending(ctx, db, dia, migrations.FS)
	if err != nil {
		return nil, err
	}
	versions := make([]string, len(files))
	for i, f := range files {
		versions[i] = f.Version()
	}
	return versions, nil
}

// Report describes the migration state of a database.
type Report struct {
	// Dialect is the database's dialect.
	Dialect string
	// Current is the version of the last fully applied migration, empty if
	// none.
	Current string
	// Revisions are the rows of the revisions table, by version; a row with
	// Applied < Total or a non-empty Error records a failed attempt.
	Revisions []*atlasmigrate.Revision
	// Pending are the file names of the migrations Apply would run.
	Pending []string
}

// Status reports which migrations have been applied to db and which are
// pending. It does not write to the database.
func Status(ctx context.Context, db *sql.DB, dia string) (*Report, error) {
	return status(ctx, db, dia, migrations.FS)
}

// status is Status over the migration directories of fsys.
func status(ctx context.Context, db *sql.DB, dia string, fsys fs.FS) (*Report, error) {
	files, err := pending(ctx, db, dia, fsys)
	if err != nil {
		return nil, err
	}
	rrw, err := newRevisions(ctx, db, dia)
	if err != nil {
		return nil, fmt.Errorf("migrate %s: %w", dia, err)
	}
	rep := &Report{Dialect: dia}
	switch ok, err := rrw.exists(ctx); {
	case err != nil:
		return nil, fmt.Errorf("migrate %s: %w", dia, err)
	case ok:
		if rep.Revisions, err = rrw.ReadRevisions(ctx); err != nil {
			return nil, fmt.Errorf("migrate %s: %w", dia, err)
		}
	}
	for _, r := range rep.Revisions {
		if r.Applied == r.Total && r.Error == "" {
			rep.Current = r.Version
		}
	}
	for _, f := range files {
		rep.Pending = append(rep.Pending, f.Name())
	}
	return rep, nil
}

// subdir returns the directory of migrations.FS holding dialect's files.
func subdir(dia string) (string, error) {
	switch dia {
	case dialect.Postgres:
		return "postgres", nil
	case dialect.SQLite:
		return "sqlite", nil
	default:
		return "", fmt.Errorf("migrate: unsupported dialect %q (want %q or %q)", dia, dialect.Postgres, dialect.SQLite)
	}
}

// loadDir reads dialect's migration directory from fsys into memory and
// checks it against its atlas.sum.
func loadDir(fsys fs.FS, dia string) (atlasmigrate.Dir, error) {
	sub, err := subdir(dia)
	if err != nil {
		return nil, err
	}
	ents, err := fs.ReadDir(fsys, sub)
	if err != nil {
		return nil, fmt.Errorf("migrate %s: reading migrations %s/: %w", dia, sub, err)
	}
	dir := &atlasmigrate.MemDir{}
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() || (!strings.HasSuffix(name, ".sql") && name != atlasmigrate.HashFileName) {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(sub, name))
		if err != nil {
			return nil, fmt.Errorf("migrate %s: reading %s/%s: %w", dia, sub, name, err)
		}
		if err := dir.WriteFile(name, b); err != nil {
			return nil, err
		}
	}
	if err := atlasmigrate.Validate(dir); err != nil {
		var cerr *atlasmigrate.ChecksumError
		if errors.As(err, &cerr) {
			return nil, fmt.Errorf("migrate %s: migrations %s/ do not match %s (%s %s): %w; regenerate with migrations-gen instead of editing migration files",
				dia, sub, atlasmigrate.HashFileName, cerr.File, cerr.Reason, err)
		}
		return nil, fmt.Errorf("migrate %s: validating migrations %s/ against %s: %w", dia, sub, atlasmigrate.HashFileName, err)
	}
	return dir, nil
}

// checkApplied compares the atlas.sum hash of every fully applied revision
// with the directory's. atlas.sum hashes are cumulative, so this catches an
// edit to the file or to any file before it. Atlas's executor only checks
// partially applied files.
func checkApplied(dir atlasmigrate.Dir, revs []*atlasmigrate.Revision) error {
	sum, err := dir.Checksum()
	if err != nil {
		return err
	}
	files, err := dir.Files()
	if err != nil {
		return err
	}
	byVersion := make(map[string]atlasmigrate.File, len(files))
	for _, f := range files {
		byVersion[f.Version()] = f
	}
	for _, r := range revs {
		f, ok := byVersion[r.Version]
		if !ok || r.Hash == "" || r.Applied != r.Total || !r.Type.Has(atlasmigrate.RevisionTypeExecute) {
			continue
		}
		if h, err := sum.SumByName(f.Name()); err == nil && h != r.Hash {
			return fmt.Errorf("%s (or a file before it): %w", f.Name(), ErrAppliedMigrationChanged)
		}
	}
	return nil
}

// openDriver opens the Atlas driver of dialect over q.
func openDriver(dia string, q atlasschema.ExecQuerier) (atlasmigrate.Driver, error) {
	switch dia {
	case dialect.Postgres:
		return postgres.Open(q)
	case dialect.SQLite:
		return sqlite.Open(q)
	default:
		_, err := subdir(dia)
		return nil, err
	}
}

// operatorVersion is recorded in every revision row.
var operatorVersion = sync.OnceValue(func() string {
	v := "opsgraph internal/migrate"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "ariga.io/atlas" {
				v += " (ariga.io/atlas " + d.Version + ")"
			}
		}
	}
	return v
})

// pending returns the migration files of fsys not yet applied to db.
func pending(ctx context.Context, db *sql.DB, dia string, fsys fs.FS) ([]atlasmigrate.File, error) {
	dir, err := loadDir(fsys, dia)
	if err != nil {
		return nil, err
	}
	drv, err := openDriver(dia, db)
	if err != nil {
		return nil, fmt.Errorf("migrate %s: %w", dia, err)
	}
	rrw, err := newRevisions(ctx, db, dia)
	if err != nil {
		return nil, fmt.Errorf("migrate %s: %w", dia, err)
	}
	ok, err := rrw.exists(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate %s: %w", dia, err)
	}
	var store atlasmigrate.RevisionReadWriter = rrw
	if !ok {
		// Nothing applied yet; do not create the table just to look.
		store = emptyRevisions{rrw}
	}
	revs, err := store.ReadRevisions(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate %s: %w", dia, err)
	}
	if err := checkApplied(dir, revs); err != nil {
		return nil, fmt.Errorf("migrate %s: %w", dia, err)
	}
	ex, err := atlasmigrate.NewExecutor(drv, dir, store)
	if err != nil {
		return nil, fmt.Errorf("migrate %s: %w", dia, err)
	}
	files, err := ex.Pending(ctx)
	switch {
	case errors.Is(err, atlasmigrate.ErrNoPendingFiles):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("migrate %s: computing pending migrations: %w", dia, err)
	}
	return files, nil
}

// emptyRevisions stands in for the revisions table before it exists.
type emptyRevisions struct{ *revisions }

func (emptyRevisions) ReadRevisions(context.Context) ([]*atlasmigrate.Revision, error) {
	return nil, nil
}

func (emptyRevisions) ReadRevision(context.Context, string) (*atlasmigrate.Revision, error) {
	return nil, atlasmigrate.ErrRevisionNotExist
}

func (emptyRevisions) WriteRevision(context.Context, *atlasmigrate.Revision) error {
	return errors.New("migrate: revisions table does not exist (read-only use)")
}

func (emptyRevisions) DeleteRevision(context.Context, string) error {
	return errors.New("migrate: revisions table does not exist (read-only use)")
}

// apply is Apply over the migration directories of fsys, up to version
// upTo when it is not empty.
func apply(ctx context.Context, db *sql.DB, dia string, fsys fs.FS, upTo string) (err error) {
	// Refuse a broken directory before touching the database.
	dir, err := loadDir(fsys, dia)
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: getting a connection: %w", dia, err)
	}
	defer conn.Close()
	unlock, err := lock(ctx, conn, dia)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", dia, err)
	}
	defer func() {
		if uerr := unlock(); uerr != nil {
			err = errors.Join(err, fmt.Errorf("migrate %s: %w", dia, uerr))
		}
	}()
	rrw, err := newRevisions(ctx, conn, dia)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", dia, err)
	}
	if err := rrw.create(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", dia, err)
	}
	revs, err := rrw.ReadRevisions(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", dia, err)
	}
	if err := checkApplied(dir, revs); err != nil {
		return fmt.Errorf("migrate %s: %w", dia, err)
	}
	drv, err := openDriver(dia, conn)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", dia, err)
	}
	ex, err := atlasmigrate.NewExecutor(drv, dir, rrw, atlasmigrate.WithOperatorVersion(operatorVersion()))
	if err != nil {
		return fmt.Errorf("migrate %s: %w", dia, err)
	}
	files, err := ex.Pending(ctx)
	switch {
	case errors.Is(err, atlasmigrate.ErrNoPendingFiles):
		return nil
	case err != nil:
		return fmt.Errorf("migrate %s: computing pending migrations: %w", dia, err)
	}
	for _, f := range files {
		if upTo != "" && f.Version() > upTo {
			break
		}
		if err := applyFile(ctx, conn, dia, dir, rrw, f); err != nil {
			return fmt.Errorf("migrate %s: migration %s (%s) failed: %w", dia, f.Version(), f.Name(), err)
		}
	}
	return nil
}

// lock takes the migration lock for dialect on conn and returns its release.
func lock(ctx context.Context, conn *sql.Conn, dia string) (func() error, error) {
	if dia != dialect.Postgres {
		sqliteMu.Lock()
		return func() error { sqliteMu.Unlock(); return nil }, nil
	}
	// pg_advisory_lock waits for the holder; lib/pq cancels the wait if ctx
	// ends.
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", LockKey); err != nil {
		return nil, fmt.Errorf("taking advisory lock %d: %w", LockKey, err)
	}
	return func() error {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		var released bool
		err := conn.QueryRowContext(uctx, "SELECT pg_advisory_unlock($1)", LockKey).Scan(&released)
		if err == nil && !released {
			err = errors.New("lock was not held")
		}
		if err != nil {
			// Drop the session so the server releases the lock with it.
			discard(conn)
			return fmt.Errorf("releasing advisory lock %d: %w", LockKey, err)
		}
		return nil
	}, nil
}

// discard makes database/sql close conn instead of returning it to the pool.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}

// applyFile runs migration file f and records it, in one transaction unless
// the file opts out with "-- atlas:txmode none".
func applyFile(ctx context.Context, conn *sql.Conn, dia string, dir atlasmigrate.Dir, rrw *revisions, f atlasmigrate.File) error {
	txMode, err := fileTxMode(f)
	if err != nil {
		return err
	}
	opts := []atlasmigrate.ExecutorOption{atlasmigrate.WithOperatorVersion(operatorVersion())}
	if txMode == "none" {
		drv, err := openDriver(dia, conn)
		if err != nil {
			return err
		}
		ex, err := atlasmigrate.NewExecutor(drv, dir, rrw, opts...)
		if err != nil {
			return err
		}
		return ex.Execute(ctx, f)
	}
	start := time.Now()
	tx, err := begin(ctx, conn, dia)
	if err != nil {
		return err
	}
	rtx := rrw.on(tx)
	err = func() error {
		// A row with nothing applied is a rolled-back earlier attempt: start
		// afresh so the row takes this file's current hash and statement count.
		switch prev, err := rtx.ReadRevision(ctx, f.Version()); {
		case errors.Is(err, atlasmigrate.ErrRevisionNotExist):
		case err != nil:
			return err
		case prev.Applied == 0:
			if err := rtx.DeleteRevision(ctx, f.Version()); err != nil {
				return err
			}
		}
		drv, err := openDriver(dia, tx)
		if err != nil {
			return err
		}
		ex, err := atlasmigrate.NewExecutor(drv, dir, rtx, opts...)
		if err != nil {
			return err
		}
		return ex.Execute(ctx, f)
	}()
	if err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, fmt.Errorf("rolling back: %w", rerr))
		}
		// After a failed statement PostgreSQL refuses the executor's final
		// revision write in the aborted transaction; that is moot once
		// rolled back (recordFailure persists the outcome), so report the
		// statement's error alone.
		var serr *atlasmigrate.StmtExecError
		if errors.As(err, &serr) {
			err = serr
		}
		if rerr := recordFailure(ctx, dia, rrw, dir, f, start, err); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// recordFailure writes the revision row of a file whose transaction was
// rolled back: nothing applied, with the error and failing statement.
func recordFailure(ctx context.Context, dia string, rrw *revisions, dir atlasmigrate.Dir, f atlasmigrate.File, start time.Time, cause error) error {
	ctx = context.WithoutCancel(ctx)
	rev, err := rrw.ReadRevision(ctx, f.Version())
	if errors.Is(err, atlasmigrate.ErrRevisionNotExist) {
		rev = &atlasmigrate.Revision{Version: f.Version(), Description: f.Desc(), Type: atlasmigrate.RevisionTypeExecute}
	} else if err != nil {
		return fmt.Errorf("recording the failure: %w", err)
	}
	if stmts, err := fileStmts(dia, f); err == nil {
		rev.Total = len(stmts)
	}
	if sum, err := dir.Checksum(); err == nil {
		if h, err := sum.SumByName(f.Name()); err == nil {
			rev.Hash = h
		}
	}
	rev.Applied, rev.PartialHashes = 0, nil
	rev.ExecutedAt, rev.ExecutionTime = start, time.Since(start)
	rev.OperatorVersion = operatorVersion()
	rev.Error, rev.ErrorStmt = cause.Error(), ""
	var serr *atlasmigrate.StmtExecError
	if errors.As(cause, &serr) {
		rev.Error, rev.ErrorStmt = serr.Err.Error(), serr.Stmt.Text
	}
	if err := rrw.WriteRevision(ctx, rev); err != nil {
		return fmt.Errorf("recording the failure: %w", err)
	}
	return nil
}

// fileStmts splits f into its statements as the executor does on dia, with
// the dialect's scanner (a SQLite trigger's BEGIN … END body is one
// statement; atlas's generic scanner would split it at each semicolon).
func fileStmts(dia string, f atlasmigrate.File) ([]string, error) {
	var sc atlasmigrate.StmtScanner
	switch dia {
	case dialect.Postgres:
		sc = &postgres.Driver{}
	case dialect.SQLite:
		sc = &sqlite.Driver{}
	default:
		return f.Stmts()
	}
	decls, err := sc.ScanStmts(string(f.Bytes()))
	if err != nil {
		return nil, err
	}
	stmts := make([]string, len(decls))
	for i, d := range decls {
		stmts[i] = d.Text
	}
	return stmts, nil
}

// fileTxMode returns the file's Atlas txmode directive: "file" (default)
// or "none".
func fileTxMode(f atlasmigrate.File) (string, error) {
	lf, ok := f.(*atlasmigrate.LocalFile)
	if !ok {
		return "file", nil
	}
	switch ds := lf.Directive("txmode"); {
	case len(ds) == 0:
		return "file", nil
	case len(ds) == 1 && (ds[0] == "file" || ds[0] == "none"):
		return ds[0], nil
	default:
		return "", fmt.Errorf("unsupported atlas:txmode directive %q", strings.Join(ds, ", "))
	}
}

// txn is a migration transaction.
type txn interface {
	atlasschema.ExecQuerier
	Commit() error
	Rollback() error
}

// begin starts a migration transaction on conn. On SQLite, as Atlas does,
// foreign-key enforcement is switched off around the transaction (the
// pragma cannot change inside one, and table rebuilds need it off) and the
// commit is refused if it introduced foreign-key violations.
func begin(ctx context.Context, conn *sql.Conn, dia string) (txn, error) {
	if dia != dialect.SQLite {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return nil, fmt.Errorf("beginning transaction: %w", err)
		}
		return tx, nil
	}
	var on bool
	if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&on); err != nil {
		return nil, fmt.Errorf("reading foreign_keys pragma: %w", err)
	}
	if on {
		if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = off"); err != nil {
			return nil, fmt.Errorf("disabling foreign keys: %w", err)
		}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		if on {
			if _, err2 := conn.ExecContext(ctx, "PRAGMA foreign_keys = on"); err2 != nil {
				discard(conn)
			}
		}
		return nil, fmt.Errorf("beginning transaction: %w", err)
	}
	commit, err := sqlite.CommitFunc(ctx, conn, tx, on)
	if err != nil {
		_ = sqlite.RollbackFunc(ctx, conn, tx, on)()
		return nil, err
	}
	return &sqliteTx{Tx: tx, conn: conn, fk: on, commit: commit, rollback: sqlite.RollbackFunc(ctx, conn, tx, on)}, nil
}

// sqliteTx restores foreign-key enforcement when it ends; if that fails the
// connection is discarded rather than returned to the pool without it.
type sqliteTx struct {
	*sql.Tx
	conn             *sql.Conn
	fk               bool // foreign keys were on before the transaction
	commit, rollback func() error
}

func (t *sqliteTx) Commit() error   { return t.end(t.commit) }
func (t *sqliteTx) Rollback() error { return t.end(t.rollback) }

func (t *sqliteTx) end(fn func() error) error {
	err := fn()
	if err != nil && t.fk {
		var on bool
		if qerr := t.conn.QueryRowContext(context.Background(), "PRAGMA foreign_keys").Scan(&on); qerr != nil || !on {
			discard(t.conn)
		}
	}
	return err
}
