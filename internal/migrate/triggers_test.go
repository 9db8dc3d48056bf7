package migrate_test

import (
	"context"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/internal/migrate"
	"github.com/opsgraph/opsgraph/migrations"
)

// triggerStmt matches a CREATE or DROP TRIGGER statement and its name.
var triggerStmt = regexp.MustCompile("(?im)^\\s*(CREATE|DROP)\\s+TRIGGER\\s+(?:IF\\s+EXISTS\\s+)?[\"`]?([A-Za-z0-9_]+)[\"`]?")

// TestTriggersSurvive checks that, after every migration, the database has
// exactly the triggers the migration files create (and do not drop). The
// triggers keep columns the reports read (see ent/schema); on SQLite a
// migration that rebuilds a table (Atlas copies it to a new one) drops the
// table's triggers silently, and that migration must create them again.
func TestTriggersSurvive(t *testing.T) {
	eachDialect(t, func(t *testing.T, dia string) {
		dir := map[string]string{dialect.Postgres: "postgres", dialect.SQLite: "sqlite"}[dia]
		files, err := fs.Glob(migrations.FS, path.Join(dir, "*.sql"))
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(files)
		want := map[string]bool{}
		for _, f := range files {
			b, err := fs.ReadFile(migrations.FS, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range triggerStmt.FindAllStringSubmatch(string(b), -1) {
				want[m[2]] = strings.EqualFold(m[1], "CREATE")
			}
		}
		var expected []string
		for name, live := range want {
			if live {
				expected = append(expected, name)
			}
		}
		slices.Sort(expected)
		if len(expected) == 0 {
			t.Fatal("no CREATE TRIGGER in the migrations: the pattern no longer matches them")
		}

		db := openEmpty(t, dia)
		ctx := context.Background()
		if err := migrate.Apply(ctx, db.SQL, dia); err != nil {
			t.Fatalf("Apply: %v", err)
		}
		q := "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
		if dia == dialect.Postgres {
			q = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname"
		}
		rows, err := db.SQL.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
			got = append(got, name)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if !slices.Equal(got, expected) {
			t.Errorf("%s triggers after all migrations:\n got %v\nwant %v\n(a migration that rebuilds a table on SQLite drops its triggers: create them again at its end)", dia, got, expected)
		}
	})
}
