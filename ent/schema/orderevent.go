package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
)

// OrderEvent is one state transition of an order: its fulfilment timeline.
type OrderEvent struct{ ent.Schema }

// Mixin of the OrderEvent.
func (OrderEvent) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, PolicyMixin{}} }

// Fields of the OrderEvent.
func (OrderEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Int("order_id").
			Comment("The order that changed state.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("from_status").
			GoType(schematype.OrderStatus("")).
			Optional().
			Nillable().
			Comment("State before the transition; null for the order's creation.").
			Annotations(entgql.Type("OrderStatus"), orderStatusDoc),
		field.Enum("to_status").
			GoType(schematype.OrderStatus("")).
			Comment("State after the transition.").
			Annotations(entgql.Type("OrderStatus"), orderStatusDoc),
		field.String("actor").
			NotEmpty().
			Comment("Subject (user email or service id) that made the transition."),
		field.String("note").
			Optional().
			MaxLen(2000).
			Comment("Note given with the transition."),
		field.Time("at").
			Default(time.Now).
			Comment("When the transition happened.").
			Annotations(entgql.OrderField("AT")),
	}
}

// Edges of the OrderEvent.
func (OrderEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).
			Ref("events").
			Field("order_id").
			Unique().
			Required().
			Comment("The order that changed state."),
	}
}

// Indexes of the OrderEvent.
func (OrderEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("order_id", "at"),
		index.Fields("at"),
	}
}

// Annotations of the OrderEvent.
func (OrderEvent) Annotations() []schema.Annotation {
	return node(schema.Comment("One state transition of an order, with who made it and when; an order's events, oldest first, are its fulfilment timeline, starting with its creation (from null to DRAFT)."))
}
