package ratelimit

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
)

// DB runs the SQL limiter's statements: a *sql.DB, or the store's counting
// driver (*sqlcount.Driver, store.DB.Counter) so that they show in a
// request's statement count.
type DB interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// SQL is a Limiter over the rate_limit_buckets table (see the migration
// rate_limit_buckets), which every server instance on the database shares.
//
// Each statement reads and writes a bucket atomically, so instances need no
// lock and no transaction: an admitting Take is one upsert that drains the
// level to now, adds the cost and returns the new level only when it fits
// (on conflict the row is locked, so concurrent Takes of one subject
// serialise on it). A refused Take runs one more statement, a read, for the
// Retry-After; a Refund is one update.
//
// The time is the injected clock's, passed as a parameter, so tests control
// it. Instances should keep their clocks in sync (NTP); a clock behind the
// bucket's last update drains nothing and never moves updated_at back, so
// skew can delay draining but never grants points.
type SQL struct {
	db   DB
	now  func() time.Time
	stmt statements
	// ts formats a time as the dialect's parameter.
	ts func(time.Time) any
}

type statements struct {
	// take: subject, cost, now, restore rate, restore rate, capacity; returns
	// the new level, or no row when the cost does not fit.
	take string
	// peek: restore rate, now, subject; returns the level drained to now.
	peek string
	// refund: points, subject.
	refund string
	// prune: cutoff; deletes the buckets last changed before it.
	prune string
}

// The PostgreSQL statements. The elapsed time is the microseconds of
// timestamptz, exact in double precision.
var postgresStatements = statements{
	take: `INSERT INTO rate_limit_buckets AS b (subject, level, updated_at)
VALUES ($1, $2::double precision, $3::timestamptz)
ON CONFLICT (subject) DO UPDATE
SET level = GREATEST(0, b.level - $4::double precision * GREATEST(0, EXTRACT(EPOCH FROM excluded.updated_at - b.updated_at)::double precision)) + excluded.level,
    updated_at = GREATEST(b.updated_at, excluded.updated_at)
WHERE GREATEST(0, b.level - $5::double precision * GREATEST(0, EXTRACT(EPOCH FROM excluded.updated_at - b.updated_at)::double precision)) + excluded.level <= $6::double precision
RETURNING level`,
	peek: `SELECT GREATEST(0, level - $1::double precision * GREATEST(0, EXTRACT(EPOCH FROM $2::timestamptz - updated_at)::double precision))
FROM rate_limit_buckets WHERE subject = $3`,
	refund: `UPDATE rate_limit_buckets SET level = GREATEST(0, level - $1::double precision) WHERE subject = $2`,
	prune:  `DELETE FROM rate_limit_buckets WHERE updated_at < $1::timestamptz`,
}

// The SQLite statements. updated_at is UTC text in the format of SQLite's
// date functions, which compute in whole milliseconds: the elapsed time is
// rounded to them so that it is exact too.
var sqliteStatements = statements{
	take: `INSERT INTO rate_limit_buckets AS b (subject, level, updated_at)
VALUES (?, ?, ?)
ON CONFLICT (subject) DO UPDATE
SET level = MAX(0.0, b.level - ? * MAX(0.0, round((julianday(excluded.updated_at) - julianday(b.updated_at)) * 86400000.0) / 1000.0)) + excluded.level,
    updated_at = MAX(b.updated_at, excluded.updated_at)
WHERE MAX(0.0, b.level - ? * MAX(0.0, round((julianday(excluded.updated_at) - julianday(b.updated_at)) * 86400000.0) / 1000.0)) + excluded.level <= ?
RETURNING level`,
	peek: `SELECT MAX(0.0, level - ? * MAX(0.0, round((julianday(?) - julianday(updated_at)) * 86400000.0) / 1000.0))
FROM rate_limit_buckets WHERE subject = ?`,
	refund: `UPDATE rate_limit_buckets SET level = MAX(0.0, level - ?) WHERE subject = ?`,
	prune:  `DELETE FROM rate_limit_buckets WHERE updated_at < ?`,
}

// sqliteTime is the updated_at format on SQLite (sortable as text).
const sqliteTime = "2006-01-02 15:04:05.000"

// NewSQL returns a Limiter over the rate_limit_buckets table of db, whose
// dialect is dia (dialect.Postgres or dialect.SQLite), reading the time
// from now (time.Now when nil).
func NewSQL(db DB, dia string, now func() time.Time) (*SQL, error) {
	if now == nil {
		now = time.Now
	}
	l := &SQL{db: db, now: now}
	switch dia {
	case dialect.Postgres:
		l.stmt = postgresStatements
		l.ts = func(t time.Time) any { return t.UTC() }
	case dialect.SQLite:
		l.stmt = sqliteStatements
		l.ts = func(t time.Time) any { return t.UTC().Format(sqliteTime) }
	default:
		return nil, fmt.Errorf("ratelimit: unsupported dialect %q (want %q or %q)", dia, dialect.Postgres, dialect.SQLite)
	}
	return l, nil
}

// Take implements Limiter: one statement when admitted, two when refused
// (one when the cost can never fit).
func (l *SQL) Take(ctx context.Context, subject string, p Policy, cost int) (Decision, error) {
	if err := check(p, cost); err != nil {
		return Decision{}, err
	}
	now := l.now()
	if float64(cost) <= p.Capacity {
		level, ok, err := l.queryLevel(ctx, l.stmt.take, subject, float64(cost), l.ts(now), p.RestoreRate, p.RestoreRate, p.Capacity)
		if err != nil {
			return Decision{}, fmt.Errorf("ratelimit: taking %d points: %w", cost, err)
		}
		if ok {
			return decide(p, cost, level, true, now), nil
		}
	}
	// Refused: read the level for Remaining and Retry-After. Another
	// instance may have moved it since; the figures are advice.
	level, _, err := l.queryLevel(ctx, l.stmt.peek, p.RestoreRate, l.ts(now), subject)
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: reading the bucket: %w", err)
	}
	return decide(p, cost, level, false, now), nil
}

// Refund implements Limiter: one statement (none for zero points).
func (l *SQL) Refund(ctx context.Context, subject string, points int) error {
	switch {
	case points < 0:
		return fmt.Errorf("%w: refund %d", ErrNegative, points)
	case points == 0:
		return nil
	}
	if _, err := l.db.ExecContext(ctx, l.stmt.refund, float64(points), subject); err != nil {
		return fmt.Errorf("ratelimit: refunding %d points: %w", points, err)
	}
	return nil
}

// Prune deletes the buckets not changed for idle: with idle at least the
// longest drain time of the policies (Policies.MaxDrain), every such
// bucket is empty, which is the same as no row, so pruning changes no
// decision. It returns how many it deleted.
func (l *SQL) Prune(ctx context.Context, idle time.Duration) (int64, error) {
	res, err := l.db.ExecContext(ctx, l.stmt.prune, l.ts(l.now().Add(-idle)))
	if err != nil {
		return 0, fmt.Errorf("ratelimit: pruning idle buckets: %w", err)
	}
	return res.RowsAffected()
}

// queryLevel runs q and scans the level of its row; ok is false when it
// returned none.
func (l *SQL) queryLevel(ctx context.Context, q string, args ...any) (level float64, ok bool, err error) {
	rows, err := l.db.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, false, err
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&level); err != nil {
			return 0, false, err
		}
		ok = true
	}
	if err := rows.Err(); err != nil {
		return 0, false, err
	}
	return level, ok, rows.Close()
}
