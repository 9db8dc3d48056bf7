package reports

import (
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/migrations"
)

// The migrations keep accounts.name_key and domain_key with exactly the
// expressions nameKeyExpr and domainKeyExpr produce now: the newest
// migration creating the triggers holds accountKeysSQL verbatim, and on
// SQLite no later statement rebuilds accounts (dropping the triggers).
func TestAccountKeysMigrated(t *testing.T) {
	for _, c := range []struct{ dia, dir, marker, rebuild string }{
		{dialect.Postgres, "postgres", `CREATE TRIGGER "accounts_keys"`, ""},
		{dialect.SQLite, "sqlite", "CREATE TRIGGER `accounts_keys_insert`", "DROP TABLE `accounts`;"},
	} {
		t.Run(c.dia, func(t *testing.T) {
			want := accountKeysSQL(c.dia)
			if i := strings.IndexFunc(want, func(r rune) bool { return r < ' ' && r != '\n' }); i >= 0 {
				t.Errorf("accountKeysSQL has control character %q at %d", want[i], i)
			}
			names, err := fs.Glob(migrations.FS, path.Join(c.dir, "*.sql"))
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(names)
			var last, text string
			for _, n := range names {
				b, err := fs.ReadFile(migrations.FS, n)
				if err != nil {
					t.Fatal(err)
				}
				s := string(b)
				if strings.Contains(s, c.marker) {
					last, text = n, s
					continue
				}
				if last != "" && c.rebuild != "" && strings.Contains(s, c.rebuild) {
					t.Errorf("%s rebuilds accounts after %s created its key triggers; append accountKeysSQL to it again", n, last)
				}
			}
			if last == "" {
				t.Fatalf("no migration in %s/ creates the account key triggers (%s); append to it:\n%s", c.dir, c.marker, want)
			}
			i := strings.Index(text, want)
			if i < 0 {
				t.Fatalf("%s does not hold the current account key SQL; nameKeyExpr or domainKeyExpr changed? "+
					"Add a migration ending with:\n%s", last, want)
			}
			if c.rebuild != "" && strings.LastIndex(text, c.rebuild) > i {
				t.Errorf("%s rebuilds accounts after creating its key triggers", last)
			}
		})
	}
}
