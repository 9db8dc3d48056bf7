package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
)

// Order is a request to add, change, remove or renew cloud services for an
// account under a contract.
type Order struct{ ent.Schema }

// Mixin of the Order.
func (Order) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, PolicyMixin{}} }

// Fields of the Order.
func (Order) Fields() []ent.Field {
	stamp := func(name, comment string) ent.Field {
		return field.Time(name).Optional().Nillable().Comment(comment)
	}
	return []ent.Field{
		field.String("number").
			Unique().
			NotEmpty().
			MaxLen(64).
			Comment("Order number; unique.").
			Annotations(entgql.OrderField("NUMBER")),
		field.Int("account_id").
			Comment("The account the order is for.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("contract_id").
			Optional().
			Nillable().
			Comment("The contract the order is placed under.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("status").
			GoType(schematype.OrderStatus("")).
			Default(string(schematype.OrderStatusDraft)).
			Comment("Where the order is in its lifecycle.").
			Annotations(entgql.Type("OrderStatus"), entgql.OrderField("STATUS"), orderStatusDoc),
		field.String("idempotency_key").
			Optional().
			Nillable().
			MaxLen(200).
			Comment("Client-chosen key that makes a retried submission return the original order; unique per account."),
		stamp("submitted_at", "When the order was submitted."),
		stamp("validated_at", "When the order passed validation."),
		stamp("provisioning_at", "When provisioning started."),
		stamp("fulfilled_at", "When the order was fulfilled."),
		stamp("rejected_at", "When the order was rejected."),
		stamp("cancelled_at", "When the order was cancelled."),
		field.String("rejection_reason").
			Optional().
			MaxLen(100).
			Comment("Reason code given when the order was rejected."),
		field.String("rejection_note").
			Optional().
			MaxLen(2000).
			Comment("Free-text note given when the order was rejected."),
		field.JSON("validation_errors", []schematype.OrderValidationError{}).
			Optional().
			Comment("Machine-readable failures found by the last validation."),
		field.Enum("billing_status").
			Values("NOT_BILLED", "INVOICED", "NOT_BILLABLE").
			Default("NOT_BILLED").
			Comment("Whether finance has invoiced the order.").
			Annotations(entgql.OrderField("BILLING_STATUS"), EnumDoc{
				Type: "Whether finance has invoiced an order; kept apart from the order's status.",
				Values: map[string]string{
					"NOT_BILLED":   "Not invoiced yet; every new order's billing status.",
					"INVOICED":     "Invoiced, recorded with orderMarkInvoiced on a FULFILLED order; invoiceReference names the invoice.",
					"NOT_BILLABLE": "Not to be invoiced. No OpsGraph action sets it: it comes from records imported from the systems OpsGraph replaced.",
				},
			}),
		field.String("invoice_reference").
			Optional().
			MaxLen(100).
			Comment("Reference of the invoice that billed the order (financial)."),
	}
}

// Edges of the Order.
func (Order) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("account", Account.Type).
			Ref("orders").
			Field("account_id").
			Unique().
			Required().
			Comment("The account the order is for."),
		edge.From("contract", Contract.Type).
			Ref("orders").
			Field("contract_id").
			Unique().
			Comment("The contract the order is placed under."),
		edge.To("lines", OrderLine.Type).
			Comment("What the order adds, changes, removes or renews."),
		edge.To("events", OrderEvent.Type).
			Comment("The order's state transitions, oldest first: its fulfilment timeline."),
	}
}

// Indexes of the Order.
func (Order) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "idempotency_key").Unique(),
		index.Fields("contract_id"),
		// With what the order pipeline's stuck orders read to rank the
		// candidates (a CSM's book by account), so the page is found from
		// this index and the events' alone.
		index.Fields("status").
			Annotations(entsql.IncludeColumns("id", "account_id", "created_at", "submitted_at", "validated_at", "provisioning_at")),
		index.Fields("fulfilled_at"),
		// The billing reconciliation's two exceptions, small slices of all
		// orders: FULFILLED but NOT_BILLED by fulfilment time, INVOICED but
		// not fulfilled by creation time. (Plain composite indexes: a partial
		// index's predicate reads back differently on PostgreSQL, which the
		// migration drift check cannot tell apart.) They carry the columns
		// the report reads (its ARR joins by contract, a CSM's book by
		// account), so PostgreSQL answers from the index alone.
		index.Fields("billing_status", "status", "fulfilled_at").
			Annotations(entsql.IncludeColumns("contract_id", "account_id")),
		index.Fields("billing_status", "created_at").
			Annotations(entsql.IncludeColumns("status", "account_id")),
	}
}

// Annotations of the Order.
func (Order) Annotations() []schema.Annotation {
	return node(schema.Comment("A request to add, change, remove or renew an account's entitlements under a contract, one line per product. Its status moves DRAFT → SUBMITTED → VALIDATED → PROVISIONING → FULFILLED (or to REJECTED or CANCELLED on the way), each transition stamped and recorded in its events; allowedActions lists what the current status allows."))
}
