package schema

import (
	"regexp"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

// ContractItem is one product on a contract.
type ContractItem struct{ ent.Schema }

// Mixin of the ContractItem.
func (ContractItem) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, PolicyMixin{}} }

// Fields of the ContractItem.
func (ContractItem) Fields() []ent.Field {
	return []ent.Field{
		field.Int("contract_id").
			Comment("The contract the item belongs to.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("product_id").
			Comment("The contracted product.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int64("quantity").
			NonNegative().
			Comment("Contracted quantity (licenses) or limit (metered usage).").
			Annotations(entgql.OrderField("QUANTITY")),
		field.String("tier").
			Optional().
			MaxLen(50).
			Comment("Service tier contracted."),
		field.Int64("unit_price_minor").
			NonNegative().
			Default(0).
			Comment("Unit price in minor units of the contract's currency (financial)."),
	}
}

// Edges of the ContractItem.
func (ContractItem) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("contract", Contract.Type).
			Ref("items").
			Field("contract_id").
			Unique().
			Required().
			Comment("The contract the item belongs to."),
		edge.To("product", Product.Type).
			Field("product_id").
			Unique().
			Required().
			Comment("The contracted product."),
	}
}

// Indexes of the ContractItem.
func (ContractItem) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("contract_id", "product_id"),
		index.Fields("product_id"),
		index.Fields("quantity"),
	}
}

// Annotations of the ContractItem.
func (ContractItem) Annotations() []schema.Annotation {
	return node(editable(), schema.Comment("One product on a contract: the contracted quantity (or usage limit), tier and unit price. Orders under the contract are validated against its items."))
}
