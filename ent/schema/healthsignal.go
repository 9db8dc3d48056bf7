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
			Values(signalKinds...).
			Comment("What was measured.").
			Annotations(entgql.OrderField("KIND"), signalKindDoc),
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
