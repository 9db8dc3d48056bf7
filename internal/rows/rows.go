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

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/opsgraph/opsgraph/ent"
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

// writeBook writes the subquery of the ids of the accounts owned by uid and
// their descendants.
func writeBook(b *entsql.Builder, uid int) {
	b.WriteString("(WITH RECURSIVE book(id) AS (SELECT id FROM accounts WHERE owner_id = ").
		Arg(uid).
		WriteString(" UNION SELECT a.id FROM accounts a JOIN book ON a.parent_id = book.id) SELECT id FROM book)")
}

// inBook writes "<col> is in the book". On PostgreSQL the book becomes an
// array computed once per statement (= ANY(ARRAY(…))): the planner cannot
// estimate the recursive CTE (it guesses ~1,000× the real size) and would
// scan the whole table, while an array of unknown size reads as selective
// and uses the column's index — docs/benchmarks.md measured a CSM's open
// requests at 370 ms with IN (CTE) and 58 ms with the array at 100k
// accounts.
func inBook(b *entsql.Builder, dia, col string, uid int) {
	if dia == dialect.Postgres {
		b.WriteString(col + " = ANY(ARRAY")
		writeBook(b, uid)
		b.WriteString(")")
		return
	}
	b.WriteString(col + " IN ")
	writeBook(b, uid)
}

// book writes "<col> is in the book".
func book(s *entsql.Selector, col string, uid int) *entsql.Predicate {
	return entsql.P(func(b *entsql.Builder) { inBook(b, s.Dialect(), s.C(col), uid) })
}

// via writes "<col> IN (SELECT id FROM <table> WHERE account_id is in the book)".
func via(s *entsql.Selector, col, table string, uid int) *entsql.Predicate {
	return entsql.P(func(b *entsql.Builder) {
		b.WriteString(s.C(col) + " IN (SELECT id FROM " + table + " WHERE ")
		inBook(b, s.Dialect(), "account_id", uid)
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
	uid, err := userID(ctx, c, v)
	if err != nil {
		return nil, err
	}
	return func(s *entsql.Selector, col string) *entsql.Predicate {
		return entsql.P(func(b *entsql.Builder) { inBook(b, s.Dialect(), col, uid) })
	}, nil
}

func none() *entsql.Predicate {
	return entsql.P(func(b *entsql.Builder) { b.WriteString("1 = 0") })
}

// Interceptor returns the interceptor that applies the row rules.
func Interceptor(client func() *ent.Client) ent.Interceptor {
	return intercept.TraverseFunc(func(ctx context.Context, q intercept.Query) error {
		v := viewer.FromContext(ctx)
		if v == nil || v.System {
			return nil
		}
		if q.Type() == "AuditEvent" && !policy.CanRead(v, policy.Audit) {
			q.WhereP(func(s *entsql.Selector) { s.Where(none()) })
			return nil
		}
		if !BookOnly(v) {
			return nil
		}
		var pred func(s *entsql.Selector, uid int) *entsql.Predicate
		switch q.Type() {
		case "Account":
			pred = func(s *entsql.Selector, uid int) *entsql.Predicate { return book(s, "id", uid) }
		case "Contract", "Order", "Entitlement", "HealthSignal", "LatestHealthSignal", "HealthScore":
			pred = func(s *entsql.Selector, uid int) *entsql.Predicate { return book(s, "account_id", uid) }
		case "ContractItem", "ContractAllocation":
			pred = func(s *entsql.Selector, uid int) *entsql.Predicate { return via(s, "contract_id", "contracts", uid) }
		case "OrderLine", "OrderEvent":
			pred = func(s *entsql.Selector, uid int) *entsql.Predicate { return via(s, "order_id", "orders", uid) }
		case "Request":
			pred = func(s *entsql.Selector, uid int) *entsql.Predicate {
				return entsql.Or(book(s, "account_id", uid), entsql.EQ(s.C("requester_id"), uid), entsql.EQ(s.C("assignee_id"), uid))
			}
		default:
			return nil // users, products: every row
		}
		uid, err := userID(ctx, client(), v)
		if err != nil {
			return err
		}
		q.WhereP(func(s *entsql.Selector) { s.Where(pred(s, uid)) })
		return nil
	})
}
