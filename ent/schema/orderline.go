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
			Comment("What the line does to the account's entitlement.").
			Annotations(EnumDoc{
				Type: "What an order line does, when the order is fulfilled, to the account's entitlement to the line's product.",
				Values: map[string]string{
					"ADD":    "Grants a new ACTIVE entitlement, active from fulfilment to the contract's end date; the account must have no live (ACTIVE or SUSPENDED, window not ended) entitlement to the product.",
					"CHANGE": "Changes the limit (and the tier, when given) of the account's live entitlement to the product.",
					"REMOVE": "Revokes the account's live entitlement to the product.",
					"RENEW":  "Moves the account's entitlement to the product (possibly EXPIRED) to the order's contract and extends its window to the contract's end date; an EXPIRED one becomes ACTIVE again.",
				},
			}),
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
		field.Bool("entitlement_gap").
			Default(false).
			Comment("The line is FULFILLED_WITHOUT_ENTITLEMENT (see docs/reports.md): an ADD, CHANGE or RENEW line of a FULFILLED order that no entitlement is linked to, and whose entitlement no later fulfilment took over. Kept by the database: triggers on orders, order_lines and entitlements recompute it for the (account, product) a write touches (migration report_rules).").
			Annotations(entgql.Skip(entgql.SkipAll)),
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
	return []ent.Index{
		index.Fields("order_id"),
		index.Fields("product_id"),
		// The FULFILLED_WITHOUT_ENTITLEMENT records, by id (a few dozen of
		// millions of lines).
		index.Fields("entitlement_gap", "id"),
	}
}

// Annotations of the OrderLine.
func (OrderLine) Annotations() []schema.Annotation {
	return node(schema.Comment("One action of an order on one product: add, change, remove or renew the account's entitlement to it, with the quantity and tier requested."))
}
