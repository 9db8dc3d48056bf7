package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
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
			Annotations(entgql.Type("OrderStatus"), entgql.OrderField("STATUS")),
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
			Annotations(entgql.OrderField("BILLING_STATUS")),
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
		index.Fields("status"),
		index.Fields("billing_status"),
		index.Fields("fulfilled_at"),
	}
}

// Annotations of the Order.
func (Order) Annotations() []schema.Annotation { return node() }
