package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Contract is an agreement with an account for a set of products.
type Contract struct{ ent.Schema }

// Mixin of the Contract.
func (Contract) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, PolicyMixin{}} }

// Fields of the Contract.
func (Contract) Fields() []ent.Field {
	return []ent.Field{
		field.String("number").
			Unique().
			NotEmpty().
			MaxLen(64).
			Comment("Contract number; unique.").
			Annotations(entgql.OrderField("NUMBER")),
		field.Int("account_id").
			Comment("The account that signed the contract.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("status").
			Values("DRAFT", "ACTIVE", "EXPIRED", "TERMINATED").
			Default("DRAFT").
			Comment("Contract status.").
			Annotations(entgql.OrderField("STATUS"), EnumDoc{
				Type: "Status of a contract, set with contractCreate and contractUpdate.",
				Values: map[string]string{
					"DRAFT":      "Being prepared, not in force; a new contract's status unless another is given.",
					"ACTIVE":     "In force: orders may be placed under it until its end date.",
					"EXPIRED":    "Ran to its end date and was not renewed.",
					"TERMINATED": "Ended before its end date.",
				},
			}),
		field.Time("start_date").
			Comment("First day the contract is in force.").
			Annotations(entgql.OrderField("START_DATE")),
		field.Time("end_date").
			Comment("Last day the contract is in force.").
			Annotations(entgql.OrderField("END_DATE")),
		field.Time("renewal_date").
			Optional().
			Nillable().
			Comment("When the contract is due to renew; null when unknown.").
			Annotations(entgql.OrderField("RENEWAL_DATE")),
		field.Int("renewal_owner_id").
			Optional().
			Nillable().
			Comment("The user who owns the renewal.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int64("arr_minor").
			Default(0).
			Comment("Annual recurring revenue in minor units of currency (financial).").
			Annotations(entgql.OrderField("ARR_MINOR")),
		field.String("currency").
			Default("USD").
			Match(currencyPattern).
			Comment("ISO 4217 currency code of the contract's amounts."),
		field.Bool("auto_renew").
			Default(false).
			Comment("Whether the contract renews automatically."),
	}
}

// Edges of the Contract.
func (Contract) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("account", Account.Type).
			Ref("contracts").
			Field("account_id").
			Unique().
			Required().
			Comment("The account that signed the contract."),
		edge.From("renewal_owner", User.Type).
			Ref("renewal_contracts").
			Field("renewal_owner_id").
			Unique().
			Comment("The user who owns the renewal."),
		edge.To("items", ContractItem.Type).
			Comment("Products on the contract with their quantities and prices.").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("orders", Order.Type).
			Comment("Orders placed against the contract.").
			Annotations(listEdge()...),
		edge.To("entitlements", Entitlement.Type).
			Comment("Entitlements granted under the contract.").
			Annotations(listEdge()...),
	}
}

// Indexes of the Contract.
func (Contract) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id"),
		index.Fields("renewal_owner_id"),
		index.Fields("status"),
		index.Fields("start_date"),
		index.Fields("end_date"),
		index.Fields("renewal_date"),
		index.Fields("arr_minor"),
	}
}

// Annotations of the Contract.
func (Contract) Annotations() []schema.Annotation {
	return node(editable(), schema.Comment("An agreement with an account for a set of products (its items), in force from startDate to endDate, with its ARR, currency and renewal terms."))
}
