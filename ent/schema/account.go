package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
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
		// Copies of the latest score's band, time and scores (the score
		// health_score_id points at), so that the health overview's band
		// tally and movers read accounts alone instead of joining every
		// account to its score. Chosen by measurement at 100k accounts on
		// PostgreSQL (docs/benchmarks.md): a covering index on
		// health_scores (id) took the bands only from 640 to 380–450 ms;
		// from accounts alone bands take 191 → 27 ms, movers 88 → 31 ms.
		// Triggers on accounts (migration health_signal_latest) set all
		// four from health_score_id on every INSERT and every UPDATE of
		// health_score_id, so every write path that points an account at
		// a score keeps them exact; ent never writes them (immutable, not
		// in the API).
		field.Enum("health_band").
			Values("GREEN", "YELLOW", "RED").
			Optional().
			Nillable().
			Immutable().
			Comment("Band of the latest health score, copied by the database from health_score_id.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Float("health_current_score").
			Optional().
			Nillable().
			Immutable().
			Comment("Score of the latest health score, copied by the database from health_score_id.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Float("health_previous_score").
			Optional().
			Nillable().
			Immutable().
			Comment("Previous score of the latest health score, copied by the database from health_score_id.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("health_computed_at").
			Optional().
			Nillable().
			Immutable().
			Comment("When the latest health score was computed, copied by the database from health_score_id.").
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
		edge.To("latest_health_signals", LatestHealthSignal.Type).
			Comment("Observation time of the account's latest health signal per kind (internal; kept by the database, deleted with the account).").
			Annotations(entgql.Skip(entgql.SkipAll), entsql.OnDelete(entsql.Cascade)),
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
