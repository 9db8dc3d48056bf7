package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// HealthSignal is one observation of an account's health.
type HealthSignal struct{ ent.Schema }

// Mixin of the HealthSignal.
func (HealthSignal) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, PolicyMixin{}} }

// Fields of the HealthSignal.
func (HealthSignal) Fields() []ent.Field {
	return []ent.Field{
		field.Int("account_id").
			Comment("The observed account.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("kind").
			Values("PRODUCT_USAGE", "ACTIVE_USERS", "SUPPORT_TICKETS", "NPS", "CSAT", "TELEMETRY_UPTIME").
			Comment("What was measured.").
			Annotations(entgql.OrderField("KIND"), EnumDoc{
				Type: "What a health signal measures. The health model has one measure per kind; the weights, directions, normalisations and freshness windows given here are the built-in model's (healthModel shows the one in force).",
				Values: map[string]string{
					"PRODUCT_USAGE":    "Share of the licensed usage consumed, in percent (0–100). Higher is better; weight 30; fresh for 7 days.",
					"ACTIVE_USERS":     "Share of the licensed seats in active use, in percent (0–100). Higher is better; weight 20; fresh for 7 days.",
					"SUPPORT_TICKETS":  "Number of open support tickets (0 scores 100, 20 or more score 0). Lower is better; weight 15; fresh for 24 hours.",
					"NPS":              "Net Promoter Score, −100 to 100. Higher is better; weight 15; fresh for 180 days.",
					"CSAT":             "Customer satisfaction score, 1 to 5. Higher is better; weight 10; fresh for 90 days.",
					"TELEMETRY_UPTIME": "Service uptime in percent, at most 100: at least 99.9 scores 100, at least 99.5 scores 75, at least 99 scores 40, below scores 0. Weight 10; fresh for 24 hours.",
				},
			}),
		field.Float("value").
			Comment("The measured value.").
			Annotations(entgql.OrderField("VALUE")),
		field.Time("observed_at").
			Comment("When the value was measured at the source.").
			Annotations(entgql.OrderField("OBSERVED_AT")),
		field.String("source").
			NotEmpty().
			MaxLen(100).
			Comment("System the signal came from."),
		field.Time("ingested_at").
			Default(time.Now).
			Comment("When OpsGraph received the signal.").
			Annotations(entgql.OrderField("INGESTED_AT")),
	}
}

// Edges of the HealthSignal.
func (HealthSignal) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("account", Account.Type).
			Ref("health_signals").
			Field("account_id").
			Unique().
			Required().
			Comment("The observed account."),
	}
}

// Indexes of the HealthSignal: the unique key makes re-sent signals no-ops.
func (HealthSignal) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "kind", "source", "observed_at").Unique(),
		index.Fields("account_id", "observed_at"),
		index.Fields("observed_at"),
		index.Fields("kind"),
		index.Fields("value"),
		index.Fields("ingested_at"),
	}
}

// Annotations of the HealthSignal.
func (HealthSignal) Annotations() []schema.Annotation {
	return node(schema.Comment("One observation of an account's health, ingested with healthSignalsIngest (a signal with the same account, kind, source and observation time is stored once). The health model scores the freshest signal of each kind."))
}
