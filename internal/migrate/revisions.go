package migrate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	atlasschema "ariga.io/atlas/sql/schema"
	"entgo.io/ent/dialect"
)

// RevisionsTable is the table recording which migrations have been applied.
// It is created by Apply and is not part of ent/schema.
const RevisionsTable = "opsgraph_schema_revisions"

// revisions is the atlas migrate.RevisionReadWriter over RevisionsTable.
// One row per migration file, keyed by its version; the executor rewrites
// the row as statements run, so a failure leaves the row showing how far the
// file got and why it stopped.
type revisions struct {
	q       atlasschema.ExecQuerier // a *sql.Conn or *sql.Tx
	dialect string
	schema  string // PostgreSQL schema holding the table (current_schema()).
}

var _ atlasmigrate.RevisionReadWriter = (*revisions)(nil)

// newRevisions returns the revision store for dialect over q. On PostgreSQL
// it resolves the schema the unqualified table name lands in, which the
// executor needs to tell the history table apart from user tables.
func newRevisions(ctx context.Context, q atlasschema.ExecQuerier, dia string) (*revisions, error) {
	r := &revisions{q: q, dialect: dia}
	if dia == dialect.Postgres {
		rows, err := q.QueryContext(ctx, "SELECT current_schema()")
		if err != nil {
			return nil, fmt.Errorf("reading current schema: %w", err)
		}
		defer rows.Close()
		var s sql.NullString
		if rows.Next() {
			if err := rows.Scan(&s); err != nil {
				return nil, fmt.Errorf("reading current schema: %w", err)
			}
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("reading current schema: %w", err)
		}
		if !s.Valid || s.String == "" {
			return nil, errors.New("reading current schema: no schema on the search_path")
		}
		r.schema = s.String
	}
	return r, nil
}

// on returns a copy of r running its statements through q (a transaction).
func (r *revisions) on(q atlasschema.ExecQuerier) *revisions {
	c := *r
	c.q = q
	return &c
}

// create creates the revisions table if it does not exist.
func (r *revisions) create(ctx context.Context) error {
	var stmt string
	switch r.dialect {
	case dialect.Postgres:
		stmt = `CREATE TABLE IF NOT EXISTS ` + RevisionsTable + ` (
	version          text        NOT NULL PRIMARY KEY,
	description      text        NOT NULL,
	type             bigint      NOT NULL DEFAULT 2,
	applied          bigint      NOT NULL DEFAULT 0,
	total            bigint      NOT NULL DEFAULT 0,
	executed_at      timestamptz NOT NULL,
	execution_time   bigint      NOT NULL,
	error            text        NULL,
	error_stmt       text        NULL,
	hash             text        NOT NULL,
	partial_hashes   jsonb       NULL,
	operator_version text        NOT NULL
)`
	default:
		stmt = `CREATE TABLE IF NOT EXISTS ` + RevisionsTable + ` (
	version          text    NOT NULL PRIMARY KEY,
	description      text    NOT NULL,
	type             integer NOT NULL DEFAULT 2,
	applied          integer NOT NULL DEFAULT 0,
	total            integer NOT NULL DEFAULT 0,
	executed_at      text    NOT NULL,
	execution_time   integer NOT NULL,
	error            text    NULL,
	error_stmt       text    NULL,
	hash             text    NOT NULL,
	partial_hashes   text    NULL,
	operator_version text    NOT NULL
)`
	}
	if _, err := r.q.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("creating %s: %w", RevisionsTable, err)
	}
	return nil
}

// exists reports whether the revisions table exists.
func (r *revisions) exists(ctx context.Context) (bool, error) {
	query := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	args := []any{RevisionsTable}
	if r.dialect == dialect.Postgres {
		query = "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2"
		args = []any{r.schema, RevisionsTable}
	}
	rows, err := r.q.QueryContext(ctx, query, args...)
	if err != nil {
		return false, fmt.Errorf("looking for %s: %w", RevisionsTable, err)
	}
	defer rows.Close()
	var n int
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return false, err
		}
	}
	return n > 0, rows.Err()
}

// Ident implements migrate.RevisionReadWriter.
func (r *revisions) Ident() *atlasmigrate.TableIdent {
	return &atlasmigrate.TableIdent{Name: RevisionsTable, Schema: r.schema}
}

const revisionColumns = "version, description, type, applied, total, executed_at, execution_time, error, error_stmt, hash, partial_hashes, operator_version"

// ReadRevisions implements migrate.RevisionReadWriter. Revisions come back
// ordered by version in byte order, as the executor expects.
func (r *revisions) ReadRevisions(ctx context.Context) ([]*atlasmigrate.Revision, error) {
	order := "version"
	if r.dialect == dialect.Postgres {
		order = `version COLLATE "C"`
	}
	return r.query(ctx, "SELECT "+revisionColumns+" FROM "+RevisionsTable+" ORDER BY "+order)
}

// ReadRevision implements migrate.RevisionReadWriter.
func (r *revisions) ReadRevision(ctx context.Context, version string) (*atlasmigrate.Revision, error) {
	revs, err := r.query(ctx, "SELECT "+revisionColumns+" FROM "+RevisionsTable+" WHERE version = "+r.ph(1), version)
	if err != nil {
		return nil, err
	}
	if len(revs) == 0 {
		return nil, atlasmigrate.ErrRevisionNotExist
	}
	return revs[0], nil
}

// WriteRevision implements migrate.RevisionReadWriter: it inserts or
// replaces the row of rev.Version.
func (r *revisions) WriteRevision(ctx context.Context, rev *atlasmigrate.Revision) error {
	var partial any // NULL when there are none
	if len(rev.PartialHashes) > 0 {
		b, err := json.Marshal(rev.PartialHashes)
		if err != nil {
			return err
		}
		partial = string(b)
	}
	var executedAt any = rev.ExecutedAt
	if r.dialect != dialect.Postgres {
		executedAt = rev.ExecutedAt.UTC().Format(time.RFC3339Nano)
	}
	ph := make([]string, 12)
	for i := range ph {
		ph[i] = r.ph(i + 1)
	}
	if r.dialect == dialect.Postgres {
		ph[10] += "::jsonb"
	}
	set := make([]string, 0, 11)
	for _, c := range strings.Split(revisionColumns, ", ")[1:] {
		set = append(set, c+" = excluded."+c)
	}
	stmt := "INSERT INTO " + RevisionsTable + " (" + revisionColumns + ") VALUES (" + strings.Join(ph, ", ") +
		") ON CONFLICT (version) DO UPDATE SET " + strings.Join(set, ", ")
	_, err := r.q.ExecContext(ctx, stmt,
		rev.Version,
		rev.Description,
		int64(rev.Type),
		int64(rev.Applied),
		int64(rev.Total),
		executedAt,
		int64(rev.ExecutionTime),
		nullString(rev.Error),
		nullString(rev.ErrorStmt),
		rev.Hash,
		partial,
		rev.OperatorVersion,
	)
	if err != nil {
		return fmt.Errorf("writing revision %s to %s: %w", rev.Version, RevisionsTable, err)
	}
	return nil
}

// DeleteRevision implements migrate.RevisionReadWriter.
func (r *revisions) DeleteRevision(ctx context.Context, version string) error {
	if _, err := r.q.ExecContext(ctx, "DELETE FROM "+RevisionsTable+" WHERE version = "+r.ph(1), version); err != nil {
		return fmt.Errorf("deleting revision %s from %s: %w", version, RevisionsTable, err)
	}
	return nil
}

func (r *revisions) query(ctx context.Context, query string, args ...any) ([]*atlasmigrate.Revision, error) {
	rows, err := r.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", RevisionsTable, err)
	}
	defer rows.Close()
	var revs []*atlasmigrate.Revision
	for rows.Next() {
		var (
			rev                      atlasmigrate.Revision
			typ, applied, total, dur int64
			errMsg, errStmt, partial sql.NullString
			executedAtT              time.Time
			executedAtS              string
			executedAt               any = &executedAtS
		)
		if r.dialect == dialect.Postgres {
			executedAt = &executedAtT
		}
		if err := rows.Scan(&rev.Version, &rev.Description, &typ, &applied, &total, executedAt, &dur,
			&errMsg, &errStmt, &rev.Hash, &partial, &rev.OperatorVersion); err != nil {
			return nil, fmt.Errorf("reading %s: %w", RevisionsTable, err)
		}
		if r.dialect != dialect.Postgres {
			if executedAtT, err = time.Parse(time.RFC3339Nano, executedAtS); err != nil {
				return nil, fmt.Errorf("reading %s: version %s: executed_at: %w", RevisionsTable, rev.Version, err)
			}
		}
		rev.Type = atlasmigrate.RevisionType(typ)
		rev.Applied, rev.Total = int(applied), int(total)
		rev.ExecutedAt = executedAtT
		rev.ExecutionTime = time.Duration(dur)
		rev.Error, rev.ErrorStmt = errMsg.String, errStmt.String
		if partial.Valid && partial.String != "" {
			if err := json.Unmarshal([]byte(partial.String), &rev.PartialHashes); err != nil {
				return nil, fmt.Errorf("reading %s: version %s: partial_hashes: %w", RevisionsTable, rev.Version, err)
			}
		}
		revs = append(revs, &rev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", RevisionsTable, err)
	}
	return revs, nil
}

// ph returns the n-th (1-based) bind placeholder of the dialect.
func (r *revisions) ph(n int) string {
	if r.dialect == dialect.Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
