// Package rows enforces row-level access in the ent layer, under every
// resolver, report and future endpoint: an ent query interceptor adds the
// viewer's row predicates to every query, eager loads and node lookups
// included.
//
//   - A viewer whose only row-limited role is CSM reads the accounts they own
//     and those accounts' descendants (their book), everything that hangs
//     off them, and the requests they raised or are assigned.
//   - Only viewers who may read the audit trail see audit events.
//   - Every other authenticated role reads every row. A context without a
//     viewer is the server's own work (seed, migrations, tests' fixtures).
package rows

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/lib/pq"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/intercept"
	"github.com/opsgraph/opsgraph/ent/user"
	"github.com/opsgraph/opsgraph/internal/policy"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// unlimited are the roles that read every row.
var unlimited = []string{
	viewer.RoleAdmin, viewer.RoleOpsManager, viewer.RoleOpsAnalyst, viewer.RoleSales,
	viewer.RoleFinance, viewer.RoleSupport, viewer.RoleViewer, viewer.RoleIntegration,
}

// BookOnly reports whether v reads only a CSM's book.
func BookOnly(v *viewer.Viewer) bool {
	if v == nil || v.System || !v.HasRole(viewer.RoleCSM) {
		return false
	}
	return !slices.ContainsFunc(v.Roles, func(r string) bool { return slices.Contains(unlimited, r) })
}

type userIDKey struct{}

// userID returns the id of the viewer's user (0 when the subject is no user).
func userID(ctx context.Context, c *ent.Client, v *viewer.Viewer) (int, error) {
	id, err := v.Memo(userIDKey{}, func() (any, error) {
		ids, err := c.User.Query().Where(user.Email(v.Subject)).IDs(ctx)
		if err != nil {
			return 0, fmt.Errorf("rows: resolving the viewer's user: %w", err)
		}
		if len(ids) == 0 {
			return 0, nil
		}
		return ids[0], nil
	})
	return id.(int), err
}

// scope is what a CSM's row predicates need: their user id and, once
// resolved for the request, the ids of their book.
type scope struct {
	uid      int
	ids      []int64
	resolved bool
}

type readOnlyKey struct{}

// ReadOnly marks ctx as a request that writes nothing (a GraphQL query, and
// so a CSV export). Its row rules resolve a CSM's book once, on the first
// query, and every later statement of the request compares with those ids:
// nothing in the request can change whom the book holds. A request that may
// write (a mutation) keeps the book as a subquery in every statement, so a
// change of an account's owner or parent applies at once.
func ReadOnly(ctx context.Context) context.Context {
	return context.WithValue(ctx, readOnlyKey{}, true)
}

func readOnly(ctx context.Context) bool {
	b, _ := ctx.Value(readOnlyKey{}).(bool)
	return b
}

type bookKey struct{}

// scopeOf returns the viewer's scope: the user id, and in a read-only
// request the book's ids, each resolved once per request.
func scopeOf(ctx context.Context, c *ent.Client, v *viewer.Viewer) (scope, error) {
	uid, err := userID(ctx, c, v)
	if err != nil || !readOnly(ctx) {
		return scope{uid: uid}, err
	}
	ids, err := v.Memo(bookKey{}, func() (any, error) {
		// As the system: the query must not apply these rules to itself.
		ids, err := c.Account.Query().Where(func(s *entsql.Selector) {
			s.Where(entsql.P(func(b *entsql.Builder) {
				b.WriteString(s.C(account.FieldID) + " IN ")
				writeBook(b, uid)
			}))
		}).IDs(viewer.System(ctx, "rows"))
		if err != nil {
			return nil, fmt.Errorf("rows: resolving the viewer's book: %w", err)
		}
		out := make([]int64, len(ids))
		for i, id := range ids {
			out[i] = int64(id)
		}
		return out, nil
	})
	if err != nil {
		return scope{}, err
	}
	return scope{uid: uid, ids: ids.([]int64), resolved: true}, nil
}

// writeBook writes the subquery of the ids of the accounts owned by uid and
// their descendants.
func writeBook(b *entsql.Builder, uid int) {
	b.WriteString("(WITH RECURSIVE book(id) AS (SELECT id FROM accounts WHERE owner_id = ").
		Arg(uid).
		WriteString(" UNION SELECT a.id FROM accounts a JOIN book ON a.parent_id = book.id) SELECT id FROM book)")
}

// inBook writes "<col> is in the book". On PostgreSQL the book is an array:
// the ids resolved for the request when sc holds them (one parameter), else
// an array computed once per statement (= ANY(ARRAY(…))). The planner
// cannot estimate the recursive CTE (it guesses ~1,000× the real size) and
// would scan the whole table, while an array reads as selective and uses
// the column's index — docs/benchmarks.md measured a CSM's open requests at
// 370 ms with IN (CTE) and 58 ms with the array at 100k accounts; the CTE
// itself costs tens of milliseconds per statement there (it hashes the
// accounts for its recursive step), which the resolved ids save. SQLite
// reads resolved ids from one JSON array parameter, else the subquery.
func inBook(b *entsql.Builder, dia, col string, sc scope) {
	if dia == dialect.Postgres {
		if sc.resolved {
			b.WriteString(col + " = ANY(").Arg(pq.Array(sc.ids)).WriteString(")")
			return
		}
		b.WriteString(col + " = ANY(ARRAY")
		writeBook(b, sc.uid)
		b.WriteString(")")
		return
	}
	if sc.resolved {
		// One parameter whatever the book's size (SQLite caps the number
		// of parameters of a statement).
		b.WriteString(col + " IN (SELECT value FROM json_each(").Arg(jsonIDs(sc.ids)).WriteString("))")
		return
	}
	b.WriteString(col + " IN ")
	writeBook(b, sc.uid)
}

// jsonIDs is ids as a JSON array.
func jsonIDs(ids []int64) string {
	b := make([]byte, 0, 2+len(ids)*12)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// book writes "<col> is in the book".
func book(s *entsql.Selector, col string, sc scope) *entsql.Predicate {
	return entsql.P(func(b *entsql.Builder) { inBook(b, s.Dialect(), s.C(col), sc) })
}

// via writes "<col> IN (SELECT id FROM <table> WHERE account_id is in the book)".
func via(s *entsql.Selector, col, table string, sc scope) *entsql.Predicate {
	return entsql.P(func(b *entsql.Builder) {
		b.WriteString(s.C(col) + " IN (SELECT id FROM " + table + " WHERE ")
		inBook(b, s.Dialect(), "account_id", sc)
		b.WriteString(")")
	})
}

// AccountScope returns the predicate that limits an account-id column to
// the viewer's rows, for raw SQL that reads a table around the ent query
// interceptor (a report's subquery); nil when the viewer reads every row.
func AccountScope(ctx context.Context, c *ent.Client) (func(s *entsql.Selector, col string) *entsql.Predicate, error) {
	v := viewer.FromContext(ctx)
	if !BookOnly(v) {
		return nil, nil
	}
	sc, err := scopeOf(ctx, c, v)
	if err != nil {
		return nil, err
	}
	return func(s *entsql.Selector, col string) *entsql.Predicate {
		return entsql.P(func(b *entsql.Builder) { inBook(b, s.Dialect(), col, sc) })
	}, nil
}

func none() *entsql.Predicate {
	return entsql.P(func(b *entsql.Builder) { b.WriteString("1 = 0") })
}

// predicate is a row rule: the condition on a query's selector, given the
// viewer's scope.
type predicate func(s *entsql.Selector, sc scope) *entsql.Predicate

// rule returns the row rule of entity type typ for v; nil when v reads
// every row of it. deny is true when v reads none.
func rule(v *viewer.Viewer, typ string) (pred predicate, deny bool) {
	if v == nil || v.System {
		return nil, false
	}
	if typ == "AuditEvent" && !policy.CanRead(v, policy.Audit) {
		return nil, true
	}
	if !BookOnly(v) {
		return nil, false
	}
	switch typ {
	case "Account":
		return func(s *entsql.Selector, sc scope) *entsql.Predicate { return book(s, "id", sc) }, false
	case "Contract", "Order", "Entitlement", "HealthSignal", "LatestHealthSignal", "HealthScore":
		return func(s *entsql.Selector, sc scope) *entsql.Predicate { return book(s, "account_id", sc) }, false
	case "ContractItem", "ContractAllocation":
		return func(s *entsql.Selector, sc scope) *entsql.Predicate { return via(s, "contract_id", "contracts", sc) }, false
	case "OrderLine", "OrderEvent":
		return func(s *entsql.Selector, sc scope) *entsql.Predicate { return via(s, "order_id", "orders", sc) }, false
	case "Request":
		return func(s *entsql.Selector, sc scope) *entsql.Predicate {
			return entsql.Or(book(s, "account_id", sc), entsql.EQ(s.C("requester_id"), sc.uid), entsql.EQ(s.C("assignee_id"), sc.uid))
		}, false
	}
	return nil, false // users, products: every row
}

// Unrestricted reports whether v reads every row of entity type typ: no
// row rule applies. Code that reads rows without ent (internal/lookahead)
// may do so only then.
func Unrestricted(v *viewer.Viewer, typ string) bool {
	pred, deny := rule(v, typ)
	return pred == nil && !deny
}

// Interceptor returns the interceptor that applies the row rules.
func Interceptor(client func() *ent.Client) ent.Interceptor {
	return intercept.TraverseFunc(func(ctx context.Context, q intercept.Query) error {
		v := viewer.FromContext(ctx)
		pred, deny := rule(v, q.Type())
		switch {
		case deny:
			q.WhereP(func(s *entsql.Selector) { s.Where(none()) })
			return nil
		case pred == nil:
			return nil
		}
		sc, err := scopeOf(ctx, client(), v)
		if err != nil {
			return err
		}
		q.WhereP(func(s *entsql.Selector) { s.Where(pred(s, sc)) })
		return nil
	})
}
