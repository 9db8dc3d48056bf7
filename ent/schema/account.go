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

// Account is a customer organisation, possibly part of a hierarchy.
type Account struct{ ent.Schema }

// Mixin of the Account.
func (Account) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, PolicyMixin{}} }

// Fields of the Account.
func (Account) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").
			NotEmpty().
			MaxLen(200).
			Comment("Legal or trading name.").
			Annotations(entgql.OrderField("NAME")),
		field.String("domain").
			Optional().
			MaxLen(253).
			Comment("Primary web domain, e.g. example.com.").
			Annotations(entgql.OrderField("DOMAIN")),
		field.Enum("segment").
			Values("SMB", "MID_MARKET", "ENTERPRISE").
			Comment("Customer segment.").
			Annotations(entgql.OrderField("SEGMENT"), EnumDoc{
				Type: "Customer segment of an account, by company size.",
				Values: map[string]string{
					"SMB":        "Small or medium-sized business.",
					"MID_MARKET": "Mid-market company.",
					"ENTERPRISE": "Large enterprise.",
				},
			}),
		field.Enum("region").
			GoType(schematype.Region("")).
			Comment("Region the account is served from.").
			Annotations(entgql.Type("Region"), entgql.OrderField("REGION"), regionDoc),
		field.String("industry").
			Optional().
			MaxLen(100).
			Comment("Industry the customer works in."),
		field.Enum("lifecycle_stage").
			Values("ONBOARDING", "ADOPTION", "GROWTH", "RENEWAL", "AT_RISK", "CHURNED").
			Default("ONBOARDING").
			Comment("Where the customer is in its lifecycle.").
			Annotations(entgql.OrderField("LIFECYCLE_STAGE"), EnumDoc{
				Type: "Where a customer is in its lifecycle. Set with accountCreate and accountUpdate; a change stamps lifecycleStageChangedAt.",
				Values: map[string]string{
					"ONBOARDING": "Being set up; a new account's stage unless another is given. An account left here for onboardingStaleDays is listed by dataQuality.",
					"ADOPTION":   "Onboarded and rolling the product out to its users.",
					"GROWTH":     "Established and expanding its use.",
					"RENEWAL":    "Working towards its contract renewal.",
					"AT_RISK":    "Flagged as likely to churn.",
					"CHURNED":    "No longer a customer; left out of the healthOverview report.",
				},
			}),
		field.Time("lifecycle_stage_changed_at").
			Default(time.Now).
			Comment("When the lifecycle stage last changed.").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		field.Int("owner_id").
			Optional().
			Comment("The CSM who owns the account.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("parent_id").
			Optional().
			Comment("The parent account in the hierarchy.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("external_crm_id").
			Optional().
			Nillable().
			Unique().
			MaxLen(100).
			Comment("Identifier of the account in the CRM."),
		field.String("billing_contact_name").
			Optional().
			MaxLen(200).
			Comment("Name of the billing contact (PII)."),
		field.String("billing_contact_email").
			Optional().
			MaxLen(254).
			Comment("Email of the billing contact (PII)."),
		field.Int("health_score_id").
			Optional().
			Nillable().
			Comment("The account's latest health score.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		// The duplicate keys of the dataQuality report, stored so that its
		// groups are an index scan. The database writes them: a trigger on
		// insert and on an update of name or domain sets them with the
		// report's own SQL expressions (internal/reports, nameKeyExpr and
		// domainKeyExpr; the triggers are in the account_keys migration).
		// Immutable: OpsGraph never updates them itself.
		field.String("name_key").
			Optional().
			Nillable().
			Immutable().
			Comment("The normalised name the dataQuality report groups duplicates by; written by a database trigger.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("domain_key").
			Optional().
			Nillable().
			Immutable().
			Comment("The normalised domain the dataQuality report groups duplicates by, null when the domain is; written by a database trigger.").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the Account.
func (Account) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("owner", User.Type).
			Ref("owned_accounts").
			Field("owner_id").
			Unique().
			Comment("The CSM who owns the account."),
		edge.To("children", Account.Type).
			Comment("Accounts directly below this one in the hierarchy.").
			Annotations(listEdge()...).
			From("parent").
			Field("parent_id").
			Unique().
			Comment("The account directly above this one in the hierarchy."),
		edge.To("contracts", Contract.Type).
			Comment("Contracts signed by the account.").
			Annotations(listEdge()...),
		edge.To("orders", Order.Type).
			Comment("Orders placed for the account.").
			Annotations(listEdge()...),
		edge.To("entitlements", Entitlement.Type).
			Comment("What the account is entitled to use.").
			Annotations(listEdge()...),
		edge.To("health_signals", HealthSignal.Type).
			Comment("Health signals observed for the account.").
			Annotations(listEdge()...),
		edge.To("health_scores", HealthScore.Type).
			Comment("Health scores computed for the account, one per computation.").
			Annotations(listEdge()...),
		edge.To("requests", Request.Type).
			Comment("Ops requests about the account.").
			Annotations(listEdge()...),
		edge.To("health", HealthScore.Type).
			Field("health_score_id").
			Unique().
			Comment("The latest health score, with its trend against the one before; null until the account is first scored.").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Indexes of the Account.
func (Account) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("owner_id"),
		index.Fields("health_score_id"),
		index.Fields("parent_id"),
		index.Fields("name"),
		index.Fields("domain"),
		index.Fields("segment"),
		index.Fields("region"),
		index.Fields("lifecycle_stage"),
		// The dataQuality duplicate groups: one index scan per key, the
		// member ids read from the index.
		index.Fields("name_key", "id"),
		index.Fields("domain_key", "id"),
	}
}

// Annotations of the Account.
func (Account) Annotations() []schema.Annotation {
	return node(editable(), schema.Comment("A customer organisation, possibly part of a hierarchy of accounts (parent, children), with its owner (CSM), contracts, orders, entitlements, health and requests."))
}
