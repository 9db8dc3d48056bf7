package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
)

// Product is an item of the catalog that contracts and orders refer to.
type Product struct{ ent.Schema }

// Mixin of the Product.
func (Product) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, PolicyMixin{}} }

// Fields of the Product.
func (Product) Fields() []ent.Field {
	return []ent.Field{
		field.String("sku").
			Unique().
			NotEmpty().
			MaxLen(64).
			Comment("Stock keeping unit; unique.").
			Annotations(entgql.OrderField("SKU")),
		field.String("name").
			NotEmpty().
			MaxLen(200).
			Comment("Display name.").
			Annotations(entgql.OrderField("NAME")),
		field.String("feature_key").
			NotEmpty().
			MaxLen(100).
			Comment("Key the product's feature is checked by in the service."),
		field.Enum("entitlement_kind").
			GoType(schematype.EntitlementKind("")).
			Comment("How the product is entitled: flag, quantity or metered limit.").
			Annotations(entgql.Type("EntitlementKind"), entitlementKindDoc),
		field.String("unit").
			Optional().
			MaxLen(50).
			Comment("Unit of quantity or usage, e.g. seats or GB."),
		field.Strings("tiers").
			Default([]string{}).
			Comment("Service tiers the product is offered in."),
		field.Bool("active").
			Default(true).
			Comment("Whether the product can be ordered."),
	}
}

// Indexes of the Product.
func (Product) Indexes() []ent.Index {
	return []ent.Index{index.Fields("name")}
}

// Annotations of the Product.
func (Product) Annotations() []schema.Annotation {
	return node(editable(), schema.Comment("An item of the catalog that contracts and orders refer to: what the service checks (featureKey), how it is entitled and in which tiers it is offered."))
}
