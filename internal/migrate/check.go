package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/migrations"
)

// Check answers cheaply, for a readiness probe, whether every embedded
// migration has been applied. It asks the database with one query until
// the answer is yes and not at all after that: an applied migration stays
// applied (a newer instance only adds later ones).
type Check struct {
	db       *sql.DB
	dia      string
	query    func() checkQuery
	upToDate atomic.Bool
}

// NewCheck returns the Check of db, of dialect dia, against the embedded
// migrations.
func NewCheck(db *sql.DB, dia string) *Check { return newCheck(db, dia, migrations.FS) }

func newCheck(db *sql.DB, dia string, fsys fs.FS) *Check {
	c := &Check{db: db, dia: dia}
	c.query = sync.OnceValue(func() checkQuery {
		dir, err := loadDir(fsys, dia)
		if err != nil {
			return checkQuery{err: err}
		}
		files, err := dir.Files()
		if err != nil {
			return checkQuery{err: fmt.Errorf("migrate %s: %w", dia, err)}
		}
		args := make([]any, len(files))
		ph := make([]string, len(files))
		for i, f := range files {
			args[i] = f.Version()
			ph[i] = "?"
			if dia == dialect.Postgres {
				ph[i] = fmt.Sprintf("$%d", i+1)
			}
		}
		q := "SELECT count(*) FROM " + RevisionsTable + " WHERE applied = total AND (error IS NULL OR error = '')"
		if len(files) > 0 {
			q += " AND version IN (" + strings.Join(ph, ", ") + ")"
		}
		return checkQuery{text: q, args: args, want: len(files)}
	})
	return c
}

// checkQuery counts the fully applied revisions of the embedded migrations.
type checkQuery struct {
	text string
	args []any
	want int
	err  error
}

// Confirmed reports whether UpToDate has answered yes, so that it will not
// query the database again.
func (c *Check) Confirmed() bool { return c.upToDate.Load() }

// UpToDate reports whether every embedded migration is fully applied (a
// missing revisions table means none is). An error means the database did
// not answer.
func (c *Check) UpToDate(ctx context.Context) (bool, error) {
	if c.upToDate.Load() {
		return true, nil
	}
	q := c.query()
	if q.err != nil {
		return false, q.err
	}
	var n int
	if err := c.db.QueryRowContext(ctx, q.text, q.args...).Scan(&n); err != nil {
		// Only then look for the table: a database never migrated has none.
		exists, xerr := c.tableExists(ctx)
		switch {
		case xerr != nil:
			return false, fmt.Errorf("checking migrations: %w", err)
		case !exists:
			return false, nil
		default:
			return false, fmt.Errorf("checking migrations: %w", err)
		}
	}
	if n < q.want {
		return false, nil
	}
	c.upToDate.Store(true)
	return true, nil
}

func (c *Check) tableExists(ctx context.Context) (bool, error) {
	var ok bool
	var err error
	if c.dia == dialect.Postgres {
		err = c.db.QueryRowContext(ctx, "SELECT to_regclass($1) IS NOT NULL", RevisionsTable).Scan(&ok)
	} else {
		var n int
		err = c.db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", RevisionsTable).Scan(&n)
		ok = n > 0
	}
	return ok, err
}
