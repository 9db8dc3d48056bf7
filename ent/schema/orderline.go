package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// OrderLine is one action of an order on one product.
type OrderLine struct{ ent.Schema }

// Mixin of the OrderLine.
func (OrderLine) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, PolicyMixin{}} }

// Fields of the OrderLine.
func (OrderLine) Fields() []ent.Field {
	return []ent.Field{
		field.Int("order_id").
			Comment("The order the line belongs to.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("action").
			Values("ADD", "CHANGE", "REMOVE", "RENEW").
			Comment("What the line does to the account's entitlement."),
		field.Int("product_id").
			Comment("The product the line is about.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int64("quantity").
			Default(0).
			Comment("Quantity or limit requested."),
		field.String("tier").
			Optional().
			MaxLen(50).
			Comment("Service tier requested."),
	}
}

// Edges of the OrderLine.
func (OrderLine) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).
			Ref("lines").
			Field("order_id").
			Unique().
			Required().
			Comment("The order the line belongs to."),
		edge.To("product", Product.Type).
			Field("product_id").
			Unique().
			Required().
			Comment("The product the line is about."),
		edge.To("entitlements", Entitlement.Type).
			Comment("Entitlements the line created or changed when the order was fulfilled."),
	}
}

// Indexes of the OrderLine.
func (OrderLine) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id"), index.Fields("product_id")}
}

// Annotations of the OrderLine.
func (OrderLine) Annotations() []schema.Annotation { return node() }
