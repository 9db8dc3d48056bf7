package reports

// SQL helpers written for the operations reports (health overview, request
// queue) and used by the others too: conditional counts, and time
// parameters compared exactly on both databases.

import (
	"context"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// sumIf is "COALESCE(SUM(CASE WHEN p THEN 1 ELSE 0 END), 0)": the number of
// rows meeting p (0 over no rows). p's arguments are bound parameters.
func sumIf(p *entsql.Predicate) entsql.Querier {
	return entsql.ExprFunc(func(b *entsql.Builder) {
		b.WriteString("COALESCE(SUM(CASE WHEN ").Join(p).WriteString(" THEN 1 ELSE 0 END), 0)")
	})
}

// scanner is an ent select builder (what Modify returns).
type scanner interface {
	Scan(ctx context.Context, v any) error
}

// countAll is "SELECT COUNT(*)" over ent query q, its interceptors and row
// rules applied. Unlike q.Count, which counts the id column, it lets
// PostgreSQL count from an index that does not hold the id.
func countAll[S scanner, Q interface {
	Modify(...func(*entsql.Selector)) S
}](ctx context.Context, q Q) (int, error) {
	var rows []struct {
		N int `sql:"n"`
	}
	err := q.Modify(func(s *entsql.Selector) { s.Select().AppendSelectExprAs(entsql.Expr("COUNT(*)"), "n") }).Scan(ctx, &rows)
	if err != nil || len(rows) != 1 {
		return 0, err
	}
	return rows[0].N, nil
}

// Comparisons of a stored time with a bound instant. The instant is bound in
// UTC: SQLite compares the text the driver writes, and every time is stored
// in UTC. PostgreSQL keeps microseconds and would round an instant with a
// finer part, so there the instant is rounded in the direction that keeps
// the comparison exact for stored values: down for <= and >, up for < and >=.

// atOrBefore is "col <= t".
func atOrBefore(s *entsql.Selector, col string, t time.Time) *entsql.Predicate {
	return entsql.LTE(col, timeArg(s, t, false))
}

// after is "col > t".
func after(s *entsql.Selector, col string, t time.Time) *entsql.Predicate {
	return entsql.GT(col, timeArg(s, t, false))
}

// before is "col < t".
func before(s *entsql.Selector, col string, t time.Time) *entsql.Predicate {
	return entsql.LT(col, timeArg(s, t, true))
}

// atOrAfter is "col >= t".
func atOrAfter(s *entsql.Selector, col string, t time.Time) *entsql.Predicate {
	return entsql.GTE(col, timeArg(s, t, true))
}

func timeArg(s *entsql.Selector, t time.Time, up bool) time.Time {
	t = t.UTC()
	if s.Dialect() != dialect.Postgres {
		return t
	}
	f := t.Truncate(time.Microsecond)
	if up && f.Before(t) {
		f = f.Add(time.Microsecond)
	}
	return f
}
