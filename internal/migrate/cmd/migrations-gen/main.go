// Command migrations-gen writes a new versioned migration for every database
// OpsGraph supports: it replays the existing migration directory
// (migrations/postgres, migrations/sqlite) on a scratch database, diffs the
// result against the ent schema (ent/schema, through the generated
// ent/migrate package) and writes the difference as an Atlas-format SQL file,
// updating atlas.sum.
//
// Run it from the repository after changing ent/schema and running
// `go generate ./...`:
//
//	go run ./internal/migrate/cmd/migrations-gen -name add_widget_color
//
// PostgreSQL diffs need a server: a uniquely named scratch database is created
// on the server of -dev-url (or OPSGRAPH_DEV_DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable) and dropped
// afterwards. SQLite diffs use a scratch file in a temporary directory.
//
// When the schema has not changed for a dialect nothing is written for it.
//
// A statement ent cannot express (a backfill, a trigger) is appended by hand
// to the migration that needs it; then recompute atlas.sum with
//
//	go run ./internal/migrate/cmd/migrations-gen -rehash
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"

	"github.com/opsgraph/opsgraph/ent/migrate"
	_ "github.com/opsgraph/opsgraph/internal/store" // registers lib/pq ("postgres") and modernc SQLite as "sqlite3".
)

const defaultDevURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// subdirs maps an ent dialect to its directory under migrations/.
var subdirs = map[string]string{
	dialect.Postgres: "postgres",
	dialect.SQLite:   "sqlite",
}

var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)

func main() {
	log.SetFlags(0)
	log.SetPrefix("migrations-gen: ")
	var (
		name    = flag.String("name", "", "migration name, e.g. add_widget_color (required; lower-case letters, digits, underscores)")
		devURL  = flag.String("dev-url", "", "PostgreSQL server to create the scratch database on (default $OPSGRAPH_DEV_DATABASE_URL or "+defaultDevURL+")")
		dir     = flag.String("dir", "", "migrations directory (default: migrations/ at the module root)")
		only    = flag.String("dialect", "all", `dialect to generate: "all", "postgres" or "sqlite3"`)
		timeout = flag.Duration("timeout", 2*time.Minute, "overall time limit")
		rehash  = flag.Bool("rehash", false, "only recompute atlas.sum of each dialect's directory, after a migration was edited by hand")
	)
	flag.Parse()
	if *rehash {
		*name = "rehash"
	}
	if !validName.MatchString(*name) {
		log.Fatalf("-name is required and must match %s (got %q)", validName, *name)
	}
	if *devURL == "" {
		*devURL = os.Getenv("OPSGRAPH_DEV_DATABASE_URL")
	}
	if *devURL == "" {
		*devURL = defaultDevURL
	}
	if *dir == "" {
		root, err := moduleRoot()
		if err != nil {
			log.Fatal(err)
		}
		*dir = filepath.Join(root, "migrations")
	}
	var dialects []string
	switch *only {
	case "all":
		dialects = []string{dialect.Postgres, dialect.SQLite}
	case dialect.Postgres, dialect.SQLite:
		dialects = []string{*only}
	case "sqlite":
		dialects = []string{dialect.SQLite}
	default:
		log.Fatalf("unknown -dialect %q", *only)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	failed := false
	for _, d := range dialects {
		path := filepath.Join(*dir, subdirs[d])
		if *rehash {
			if err := writeSum(path); err != nil {
				log.Printf("%s: %v", d, err)
				failed = true
				continue
			}
			log.Printf("%s: updated %s", d, filepath.Join(path, atlas.HashFileName))
			continue
		}
		written, err := generate(ctx, d, path, *name, *devURL)
		switch {
		case err != nil:
			log.Printf("%s: %v", d, err)
			failed = true
		case len(written) == 0:
			log.Printf("%s: no changes: %s already matches ent/schema, nothing written", d, path)
		default:
			for _, f := range written {
				log.Printf("%s: wrote %s", d, f)
			}
			log.Printf("%s: updated %s", d, filepath.Join(path, atlas.HashFileName))
		}
	}
	if failed {
		os.Exit(1)
	}
}

// generate diffs the directory at path against ent's schema for dialect d
// and writes a migration named name. It returns the files written.
func generate(ctx context.Context, d, path, name, devURL string) ([]string, error) {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, err
	}
	dir, err := atlas.NewLocalDir(path)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	before, err := sqlFiles(path)
	if err != nil {
		return nil, err
	}
	var (
		scratch string
		cleanup func() error
	)
	switch d {
	case dialect.Postgres:
		scratch, cleanup, err = postgresScratch(ctx, devURL)
	case dialect.SQLite:
		scratch, cleanup, err = sqliteScratch()
	default:
		err = fmt.Errorf("unsupported dialect %q", d)
	}
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := cleanup(); err != nil {
			log.Printf("%s: cleaning up scratch database: %v", d, err)
		}
	}()
	// Note: no migrate.WithGlobalUniqueID. The sql/globalid feature puts an
	// entsql.Annotation{IncrementStart: ...} on every table (see
	// ent/migrate/schema.go), which ent's Atlas engine turns into
	// "GENERATED BY DEFAULT AS IDENTITY (START WITH n)" on PostgreSQL and an
	// "INSERT INTO sqlite_sequence" statement on SQLite. WithGlobalUniqueID
	// would be the legacy ent_types mechanism and is rejected alongside it.
	err = migrate.NamedDiff(ctx, scratch, name,
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(d),
		schema.WithFormatter(atlas.DefaultFormatter),
		// Removing a field, edge or index from ent/schema must produce the
		// DROP too; ent leaves those out unless asked.
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
		schema.WithErrNoPlan(true),
	)
	if errors.Is(err, atlas.ErrNoPlan) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("diffing %s against ent/schema: %w", path, err)
	}
	after, err := sqlFiles(path)
	if err != nil {
		return nil, err
	}
	var written []string
	for f := range after {
		if !before[f] {
			written = append(written, filepath.Join(path, f))
		}
	}
	slices.Sort(written)
	if d == dialect.SQLite {
		if err := quoteSequenceNames(dir, written); err != nil {
			return written, err
		}
	}
	return written, nil
}

// sqliteSeqInsert matches the statements Atlas writes to start a SQLite
// AUTOINCREMENT sequence, which quote the table name with double quotes.
var sqliteSeqInsert = regexp.MustCompile(`(?m)^(INSERT INTO sqlite_sequence \(name, seq\) VALUES \()"([A-Za-z0-9_]+)"(, -?[0-9]+\);)$`)

// quoteSequenceNames rewrites the table names in Atlas's sqlite_sequence
// INSERTs from "name" to 'name' and recomputes atlas.sum. A double-quoted
// string is an identifier in SQL; SQLite only falls back to reading it as a
// string literal when built with SQLITE_DQS enabled, so the rewritten form
// works on every build.
func quoteSequenceNames(dir *atlas.LocalDir, written []string) error {
	changed := false
	for _, p := range written {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		nb := sqliteSeqInsert.ReplaceAll(b, []byte("${1}'${2}'${3}"))
		if string(nb) == string(b) {
			continue
		}
		if err := os.WriteFile(p, nb, 0o644); err != nil {
			return err
		}
		changed = true
	}
	if !changed {
		return nil
	}
	return writeSum(dir.Path())
}

// writeSum recomputes the atlas.sum of the migration directory at path.
func writeSum(path string) error {
	dir, err := atlas.NewLocalDir(path)
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	files, err := dir.Files()
	if err != nil {
		return err
	}
	sum, err := atlas.NewHashFile(files)
	if err != nil {
		return err
	}
	return atlas.WriteSumFile(dir, sum)
}

// sqlFiles lists the .sql files in path.
func sqlFiles(path string) (map[string]bool, error) {
	ents, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	m := make(map[string]bool)
	for _, e := range ents {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".sql") {
			m[e.Name()] = true
		}
	}
	return m, nil
}

// postgresScratch creates a uniquely named database on the server of devURL
// and returns its URL and a function dropping it.
func postgresScratch(ctx context.Context, devURL string) (string, func() error, error) {
	u, err := url.Parse(devURL)
	if err != nil {
		return "", nil, fmt.Errorf("parsing dev URL: %w", err)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return "", nil, fmt.Errorf("dev URL must be a postgres:// URL")
	}
	admin, err := sql.Open("postgres", devURL)
	if err != nil {
		return "", nil, err
	}
	if err := admin.PingContext(ctx); err != nil {
		_ = admin.Close()
		return "", nil, fmt.Errorf("connecting to %s: %w", u.Redacted(), err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "opsgraph_migrations_gen_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		_ = admin.Close()
		return "", nil, fmt.Errorf("creating scratch database %s: %w", name, err)
	}
	s := *u
	s.Path = "/" + name
	q := s.Query()
	q.Set("search_path", "public")
	s.RawQuery = q.Encode()
	drop := func() error {
		// The caller's context may be done by now; dropping must still happen.
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		defer admin.Close()
		if _, err := admin.ExecContext(dctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("dropping scratch database %s: %w", name, err)
		}
		return nil
	}
	return s.String(), drop, nil
}

// sqliteScratch returns the Atlas URL of an empty SQLite file in a new
// temporary directory (a file rather than ":memory:", so every connection of
// the pool sees the same database) and a function removing it.
func sqliteScratch() (string, func() error, error) {
	tmp, err := os.MkdirTemp("", "opsgraph-migrations-gen-")
	if err != nil {
		return "", nil, err
	}
	// Atlas's sqlite URL parser passes everything after "sqlite://" to the
	// "sqlite3" database/sql driver (modernc, registered by internal/store).
	u := "sqlite://" + filepath.ToSlash(filepath.Join(tmp, "dev.db")) + "?_pragma=foreign_keys(1)"
	return u, func() error { return os.RemoveAll(tmp) }, nil
}

// moduleRoot finds the directory holding the opsgraph go.mod, walking up
// from the working directory.
func moduleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/opsgraph/opsgraph\n") {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no github.com/opsgraph/opsgraph go.mod above %s; pass -dir", wd)
		}
	}
}
