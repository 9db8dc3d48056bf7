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

// Entitlement is what an account may use of a product: a feature flag, a
// licensed quantity or a metered limit, inside an active window.
type Entitlement struct{ ent.Schema }

// Mixin of the Entitlement.
func (Entitlement) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, PolicyMixin{}} }

// Fields of the Entitlement.
func (Entitlement) Fields() []ent.Field {
	return []ent.Field{
		field.Int("account_id").
			Comment("The entitled account.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("contract_id").
			Optional().
			Nillable().
			Comment("The contract that grants the entitlement.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("product_id").
			Comment("The entitled product.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("source_order_line_id").
			Optional().
			Nillable().
			Comment("The order line whose fulfilment created or last changed the entitlement.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("kind").
			GoType(schematype.EntitlementKind("")).
			Comment("Flag, licensed quantity or metered limit.").
			Annotations(entgql.Type("EntitlementKind"), entitlementKindDoc),
		field.Int64("limit").
			StorageKey("limit_value").
			Optional().
			Nillable().
			Comment("Licensed quantity or usage limit; null for feature flags."),
		field.Int64("usage").
			Default(0).
			Comment("Latest reported usage.").
			Annotations(entgql.OrderField("USAGE")),
		field.Time("usage_updated_at").
			Optional().
			Nillable().
			Comment("Observation time of the latest usage report."),
		field.String("tier").
			Optional().
			MaxLen(50).
			Comment("Service tier entitled."),
		field.Time("active_from").
			Comment("Start of the active window.").
			Annotations(entgql.OrderField("ACTIVE_FROM")),
		field.Time("active_to").
			Optional().
			Nillable().
			Comment("End of the active window; null when open-ended.").
			Annotations(entgql.OrderField("ACTIVE_TO")),
		field.Enum("status").
			Values("ACTIVE", "SUSPENDED", "EXPIRED", "REVOKED").
			Default("ACTIVE").
			Comment("Entitlement status.").
			Annotations(entgql.OrderField("STATUS"), EnumDoc{
				Type: "Stored status of an entitlement. effectiveStatus reads an ACTIVE entitlement whose active window has ended as EXPIRED before the expiry sweep stores it.",
				Values: map[string]string{
					"ACTIVE":    "In use, within its active window (or past it until the expiry sweep runs); a new entitlement's status.",
					"SUSPENDED": "Temporarily disabled by entitlementSuspend; entitlementResume makes it ACTIVE again while its active window has not ended.",
					"EXPIRED":   "Its active window ended, stored by the expiry sweep; an order's RENEW line can make it ACTIVE again.",
					"REVOKED":   "Ended for good, by entitlementRevoke or an order's REMOVE line.",
				},
			}),
		field.Bool("soft_limit").
			Default(false).
			Comment("Whether usage may exceed the limit (soft) or is blocked at it (hard)."),
		field.Int64("override_limit").
			Optional().
			Nillable().
			Comment("Temporary limit that replaces the limit until it expires."),
		field.String("override_reason").
			Optional().
			MaxLen(500).
			Comment("Why the override was granted."),
		field.Time("override_expires_at").
			Optional().
			Nillable().
			Comment("When the override stops applying."),
		// Kept by the database (triggers of migration report_rules), for
		// the discrepancy report: a few candidates read through an index
		// instead of every ACTIVE entitlement. Neither depends on the clock;
		// the report applies its time conditions to the candidates.
		field.Bool("over_limit_candidate").
			Default(false).
			Immutable().
			Comment("Usage is above the limit or above the override limit (whether or not the override has expired): the candidates for OVER_LIMIT. Kept by a trigger on the row.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("contract_in_force_until").
			Optional().
			Nillable().
			Immutable().
			Comment("The end date of the entitlement's contract while that contract is ACTIVE; null without a contract or when it is not ACTIVE: NO_ACTIVE_CONTRACT is this being null or past. Kept by triggers on entitlements and contracts.").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the Entitlement.
func (Entitlement) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("account", Account.Type).
			Ref("entitlements").
			Field("account_id").
			Unique().
			Required().
			Comment("The entitled account."),
		edge.From("contract", Contract.Type).
			Ref("entitlements").
			Field("contract_id").
			Unique().
			Comment("The contract that grants the entitlement."),
		edge.To("product", Product.Type).
			Field("product_id").
			Unique().
			Required().
			Comment("The entitled product."),
		edge.From("source_order_line", OrderLine.Type).
			Ref("entitlements").
			Field("source_order_line_id").
			Unique().
			Comment("The order line whose fulfilment created or last changed the entitlement."),
	}
}

// Indexes of the Entitlement.
func (Entitlement) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "product_id"),
		index.Fields("contract_id", "product_id"),
		index.Fields("product_id"),
		index.Fields("source_order_line_id"),
		// By status and kind, with what the dataQuality report's
		// usageUpdatedAt completeness reads (ACTIVE metered entitlements),
		// so that count reads the index alone.
		index.Fields("status", "kind").
			Annotations(entsql.IncludeColumns("usage_updated_at")),
		// The candidates of the discrepancy report's entitlement kinds, with
		// the columns their rules (and a CSM's book) read, so each kind is
		// counted from its index alone.
		index.Fields("status", "over_limit_candidate").
			Annotations(entsql.IncludeColumns("account_id", "active_to", "usage", "limit_value", "override_limit", "override_expires_at")),
		index.Fields("status", "contract_in_force_until").
			Annotations(entsql.IncludeColumns("account_id", "active_to")),
		index.Fields("status", "active_to").
			Annotations(entsql.IncludeColumns("account_id")),
		index.Fields("active_to"),
		index.Fields("usage"),
		index.Fields("active_from"),
	}
}

// Annotations of the Entitlement.
func (Entitlement) Annotations() []schema.Annotation {
	return node(schema.Comment("What an account may use of a product: a feature flag, a licensed quantity or a metered limit, inside an active window. Created and changed by fulfilled orders, adjusted by the entitlement mutations; the effective* fields are derived at read time against the server clock."))
}
