package rows

import (
	"context"
	"strings"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/privacy"
	"github.com/opsgraph/opsgraph/internal/policy"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// WritePolicy is the ent privacy policy every entity carries (see
// ent/schema's PolicyMixin): a write is allowed only to the roles and scopes
// of a mutation that makes it (internal/policy), a CSM may change only rows
// in their book, and the audit trail is append-only. Work without a viewer,
// or explicitly as the system (seed, sweeps), is the server's own, except
// contract allocations, which only the database writes.
func WritePolicy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{privacy.MutationRuleFunc(writeRule)},
	}
}

func opName(op ent.Op) string {
	switch {
	case op.Is(ent.OpCreate):
		return "create"
	case op.Is(ent.OpUpdate | ent.OpUpdateOne):
		return "update"
	default:
		return "delete"
	}
}

type idsMutation interface {
	IDs(context.Context) ([]int, error)
}

func writeRule(ctx context.Context, m ent.Mutation) error {
	if m.Type() == "ContractAllocation" {
		// Derived data the database's triggers keep (see ent/schema); a write
		// through ent, even the system's, could only make it wrong.
		return privacy.Denyf("contract allocations are maintained by the database")
	}
	v := viewer.FromContext(ctx)
	if v == nil || v.System {
		return privacy.Allow
	}
	switch m.Type() {
	case "AuditEvent":
		if m.Op().Is(ent.OpCreate) {
			return privacy.Allow // written by the audit hook for an allowed write
		}
		return privacy.Denyf("the audit trail is append-only")
	case "IdempotencyKey":
		return privacy.Allow // bookkeeping of an allowed create
	}
	op := opName(m.Op())
	if !policy.CanWrite(v, m.Type(), op) {
		return privacy.Denyf("roles %s may not %s %s", strings.Join(v.Roles, ","), op, m.Type())
	}
	if BookOnly(v) && op != "create" && m.Type() == "Account" {
		im, ok := m.(idsMutation)
		if !ok {
			return privacy.Denyf("cannot resolve the accounts a %s changes", op)
		}
		ids, err := im.IDs(ctx)
		if err != nil {
			return err
		}
		client := m.(interface{ Client() *ent.Client }).Client()
		n, err := client.Account.Query().Where(account.IDIn(ids...)).Count(ctx)
		if err != nil {
			return err
		}
		if n != len(ids) {
			return privacy.Denyf("a CSM may change only the accounts in their book")
		}
	}
	return privacy.Allow
}
