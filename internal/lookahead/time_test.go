package lookahead

import (
	"bytes"
	"context"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/99designs/gqlgen/graphql"

	"github.com/opsgraph/opsgraph/internal/testdb"
)

// The SQL of a Time field writes what gqlgen writes for the time.Time that
// lib/pq scans from the same column, in every session time zone.
func TestTimeTextIsGqlgensFormat(t *testing.T) {
	db := testdb.Open(t, dialect.Postgres)
	ctx := context.Background()
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	values := []string{
		"2026-01-01 00:00:00Z", "2026-03-29 01:30:00.123456Z", "2026-07-01 12:34:56.7Z",
		"1999-12-31 23:59:59.000001Z", "2026-10-25 00:59:59.99Z", "2020-02-29 12:00:00.5+05:45",
	}
	for _, zone := range []string{"UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham"} {
		if _, err := conn.ExecContext(ctx, "SET TIME ZONE '"+zone+"'"); err != nil {
			t.Fatal(err)
		}
		for _, v := range values {
			var (
				scanned time.Time
				text    string // the JSON string
			)
			q := "SELECT c, " + timeJSON("c") + " FROM (SELECT $1::timestamptz AS c) x"
			if err := conn.QueryRowContext(ctx, q, v).Scan(&scanned, &text); err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			graphql.MarshalTime(scanned).MarshalGQL(&want)
			if got := text; got != want.String() {
				t.Errorf("%s in %s: SQL %s, gqlgen %s", v, zone, got, want.String())
			}
		}
	}
}
