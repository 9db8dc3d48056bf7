package reports

// Helpers of the order reports (order pipeline, entitlement discrepancies,
// billing reconciliation): their enums, durations between two stored times,
// nearest-rank distributions computed in the database, and the times those
// queries return.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// parseEnum is the UnmarshalGQL of a string enum whose values are all.
func parseEnum[T ~string](v any, all []T, name string) (T, error) {
	s, ok := v.(string)
	if !ok || !slices.Contains(all, T(s)) {
		return "", fmt.Errorf("%v is not a valid %s", v, name)
	}
	return T(s), nil
}

// secondsBetween is the SQL expression of the seconds from the time column
// from to the time column to (NULL when either is NULL). PostgreSQL
// subtracts exactly (microseconds). SQLite stores times as the driver's text
// ("2006-01-02 15:04:05.999999999 -0700 MST", written in UTC): whole seconds
// by unixepoch() of the date and time, plus the difference of the fractions.
func secondsBetween(s *entsql.Selector, from, to string) string {
	if s.Dialect() == dialect.Postgres {
		return "EXTRACT(EPOCH FROM (" + to + " - " + from + "))"
	}
	whole := func(c string) string { return "unixepoch(substr(" + c + ", 1, 19))" }
	// CAST takes the longest numeric prefix: "0.25 +0000 UTC" → 0.25, "0 +0000 UTC" → 0.
	frac := func(c string) string { return "CAST('0' || substr(" + c + ", 20) AS REAL)" }
	return "((" + whole(to) + " - " + whole(from) + ") + (" + frac(to) + " - " + frac(from) + "))"
}

// afterPredicates returns an ordering option that replaces the query with
// outer(t), where t is the query as built so far: its FROM, its columns and
// its WHERE, the row rules (internal/rows) included. ent applies a query's
// modifiers before its predicates and its orderings after them, so an
// ordering is where the filtered rows can become a derived table, e.g. to
// aggregate window functions over exactly the rows the viewer may read.
//
// outer must select FROM t (directly or through further derived tables,
// first in its FROM): the row rules' predicates name their columns through
// the query's selector when they are written out, and resolve to t's table
// through that chain.
func afterPredicates(outer func(t *entsql.Selector) *entsql.Selector) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		*s = *outer(s.Clone())
	}
}

// distributionRow is one distribution computed by distributions.
type distributionRow struct {
	K   int                `sql:"k"`
	N   int                `sql:"n"`
	P50 entsql.NullFloat64 `sql:"p50"`
	P90 entsql.NullFloat64 `sql:"p90"`
	Max entsql.NullFloat64 `sql:"max"`
}

// distributions returns the modifier and the ordering option that turn an
// entity query into one statement computing, for each expression of exprs
// (numbers, NULL to skip a row), its count, nearest-rank p50 and p90, and
// maximum over the rows the query selects: one distributionRow per
// expression with at least one value, K its index. exprs are evaluated on
// the query's selector.
//
//	SELECT k, COUNT(*), MIN(CASE WHEN 100*rn >= 50*n THEN d END), …, MAX(d)
//	FROM (SELECT m.k, d, ROW_NUMBER() OVER (PARTITION BY m.k ORDER BY d) rn,
//	             COUNT(*) OVER (PARTITION BY m.k) n
//	      FROM (<the query: SELECT expr0 AS d0, … WHERE row rules AND …>) t,
//	           (SELECT 0 AS k UNION ALL SELECT 1 …) m
//	      WHERE d IS NOT NULL) u
//	GROUP BY k
//
// The nearest-rank p-th percentile is the value of rank ⌈p·n/100⌉, the
// smallest rank rn with 100·rn ≥ p·n; ties hold equal values, so which of
// them gets the rank does not matter.
func distributions(exprs ...func(s *entsql.Selector) string) (modify, wrap func(*entsql.Selector)) {
	modify = func(s *entsql.Selector) {
		cols := make([]string, len(exprs))
		for i, e := range exprs {
			cols[i] = entsql.As(e(s), "d"+strconv.Itoa(i))
		}
		s.Select(cols...)
	}
	wrap = afterPredicates(func(t *entsql.Selector) *entsql.Selector {
		b := entsql.Dialect(t.Dialect())
		if t.Dialect() == dialect.Postgres {
			return percentileDisc(b, t, len(exprs))
		}
		var pick, keys strings.Builder
		pick.WriteString("CASE m.k")
		for i := range exprs {
			fmt.Fprintf(&pick, " WHEN %d THEN t.d%d", i, i)
			if i > 0 {
				keys.WriteString(" UNION ALL ")
			}
			fmt.Fprintf(&keys, "SELECT %d AS k", i)
		}
		pick.WriteString(" END")
		d := pick.String()
		ranked := b.Select().
			From(t.As("t")).
			AppendFromExpr(entsql.Expr("("+keys.String()+") m")).
			SelectExpr(
				entsql.Expr("m.k AS k"),
				entsql.Expr(d+" AS d"),
				entsql.Expr("ROW_NUMBER() OVER (PARTITION BY m.k ORDER BY "+d+") AS rn"),
				entsql.Expr("COUNT(*) OVER (PARTITION BY m.k) AS n"),
			).
			Where(entsql.P(func(pb *entsql.Builder) { pb.WriteString(d + " IS NOT NULL") })).
			As("u")
		rank := func(p int) string {
			return fmt.Sprintf("MIN(CASE WHEN 100 * u.rn >= %d * u.n THEN u.d END)", p)
		}
		return b.Select().From(ranked).SelectExpr(
			entsql.Expr("u.k AS k"),
			entsql.Expr("COUNT(*) AS n"),
			entsql.Expr(rank(50)+" AS p50"),
			entsql.Expr(rank(90)+" AS p90"),
			entsql.Expr("MAX(u.d) AS max"),
		).GroupBy("k")
	})
	return modify, wrap
}

// percentileDisc is distributions' outer query on PostgreSQL: its
// ordered-set aggregates sort each expression's values once, where the
// window functions rank four times as many rows. percentile_disc(f) is the
// first value whose rank reaches f·n, rounded up: the nearest rank (0.9·n
// is within half a unit in the last place of the exact product, so the
// ceiling is exact whenever the product is a whole number). One row per
// expression with at least one value, like the portable form.
//
//	SELECT x.k, x.n, x.p50, x.p90, x.max
//	FROM (SELECT COUNT(t.d0) AS n0, percentile_disc(0.5) WITHIN GROUP (ORDER BY t.d0) AS p50_0, …
//	      FROM (<the query>) t) a,
//	     LATERAL (VALUES (0, a.n0, a.p50_0, a.p90_0, a.max0), …) AS x(k, n, p50, p90, max)
//	WHERE x.n > 0
func percentileDisc(b *entsql.DialectBuilder, t *entsql.Selector, n int) *entsql.Selector {
	var cols []entsql.Querier
	var values strings.Builder
	for i := range n {
		d := fmt.Sprintf("t.d%d", i)
		cols = append(cols,
			entsql.Expr(fmt.Sprintf("COUNT(%s) AS n%d", d, i)),
			entsql.Expr(fmt.Sprintf("percentile_disc(0.5) WITHIN GROUP (ORDER BY %s) AS p50_%d", d, i)),
			entsql.Expr(fmt.Sprintf("percentile_disc(0.9) WITHIN GROUP (ORDER BY %s) AS p90_%d", d, i)),
			entsql.Expr(fmt.Sprintf("MAX(%s) AS max%d", d, i)))
		if i > 0 {
			values.WriteString(", ")
		}
		fmt.Fprintf(&values, "(%d, a.n%d, a.p50_%d, a.p90_%d, a.max%d)", i, i, i, i, i)
	}
	agg := b.Select().From(t.As("t")).SelectExpr(cols...).As("a")
	return b.Select().From(agg).
		AppendFromExpr(entsql.Expr("LATERAL (VALUES "+values.String()+") AS x(k, n, p50, p90, max)")).
		SelectExpr(entsql.Expr("x.k AS k"), entsql.Expr("x.n AS n"), entsql.Expr("x.p50 AS p50"), entsql.Expr("x.p90 AS p90"), entsql.Expr("x.max AS max")).
		Where(entsql.ExprP("x.n > 0"))
}

// stats converts the distributions of n expressions to DurationStats, in
// expression order (count 0 for an expression without values).
func stats(rows []distributionRow, n int) []*DurationStats {
	out := make([]*DurationStats, n)
	for i := range out {
		out[i] = &DurationStats{}
	}
	f := func(v entsql.NullFloat64) *float64 {
		if !v.Valid {
			return nil
		}
		x := v.Float64
		return &x
	}
	for _, r := range rows {
		if r.K >= 0 && r.K < n {
			out[r.K] = &DurationStats{Count: r.N, P50Seconds: f(r.P50), P90Seconds: f(r.P90), MaxSeconds: f(r.Max)}
		}
	}
	return out
}

// timeLayouts are the layouts SQLite text times come in: modernc's default
// (time.Time.String, a monotonic reading cut off) and the layouts it parses.
var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999 -0700 MST",
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	time.RFC3339Nano,
}

// dbTime converts a time a query computed (a MAX or COALESCE of time
// columns) to a time.Time in UTC: PostgreSQL returns a time.Time, SQLite the
// stored text.
func dbTime(v any) (time.Time, error) {
	var s string
	switch v := v.(type) {
	case time.Time:
		return v.UTC(), nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return time.Time{}, fmt.Errorf("reports: a time of type %T", v)
	}
	if i := strings.Index(s, " m="); i >= 0 {
		s = s[:i]
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("reports: unparseable time %q", s)
}
