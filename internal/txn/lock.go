package txn

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/internal/usererr"
)

// ForUpdate is a query modifier that locks the selected rows until the
// transaction ends, on PostgreSQL; SQLite serialises writing transactions
// already.
func ForUpdate(s *entsql.Selector) {
	if s.Dialect() == dialect.Postgres {
		s.ForUpdate()
	}
}

// Lock reads the row an action names by id for the input field (e.g.
// "orderID"), locked with ForUpdate by read, so concurrent actions on one
// row apply one after the other. An id of another table (WRONG_TYPE), of no
// row, or of a row the viewer may not see (NOT_FOUND) is a failure.
func Lock[T any](ctx context.Context, id int, table, field string, read func(ctx context.Context) (T, error)) (T, usererr.List, error) {
	var zero T
	var l usererr.List
	msg := fmt.Sprintf("%s does not name a row of %s", field, table)
	if code, ok := usererr.ForRef(id, table); !ok {
		l.Add(code, msg, "input", field)
		return zero, l, nil
	}
	v, err := read(ctx)
	if ent.IsNotFound(err) {
		l.Add(usererr.NotFound, msg, "input", field)
		return zero, l, nil
	}
	return v, nil, err
}
