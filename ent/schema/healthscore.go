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

// HealthScore is one computation of an account's health by the health model.
// History is kept: one row per computation.
type HealthScore struct{ ent.Schema }

// Mixin of the HealthScore.
func (HealthScore) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, PolicyMixin{}} }

// Fields of the HealthScore.
func (HealthScore) Fields() []ent.Field {
	return []ent.Field{
		field.Int("account_id").
			Comment("The scored account.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Float("score").
			Range(0, 100).
			Comment("Score from 0 (worst) to 100 (best).").
			Annotations(entgql.OrderField("SCORE")),
		field.Enum("band").
			Values("GREEN", "YELLOW", "RED").
			Comment("Band the score falls in.").
			Annotations(entgql.OrderField("BAND"), EnumDoc{
				Type:   "Health band of a score, by the thresholds of the health model that computed it.",
				Values: bandValues,
			}),
		field.Float("coverage").
			Range(0, 1).
			Comment("Share of the model's weight backed by fresh signals (0–1)."),
		field.Int("model_version").
			Positive().
			Comment("Version of the health model that computed the score."),
		field.JSON("components", []schematype.ScoreComponent{}).
			Optional().
			Comment("Per-measure breakdown of the score."),
		field.Float("previous_score").
			Optional().
			Nillable().
			Comment("Score of the account's computation before this one; null for the first."),
		field.Enum("previous_band").
			Values("GREEN", "YELLOW", "RED").
			Optional().
			Nillable().
			Comment("Band of the account's computation before this one; null for the first.").
			Annotations(EnumDoc{
				Type:   "Health band of the account's score before this one, by the thresholds of the health model that computed that score.",
				Values: bandValues,
			}),
		field.Time("computed_at").
			Default(time.Now).
			Comment("When the score was computed.").
			Annotations(entgql.OrderField("COMPUTED_AT")),
	}
}

// Edges of the HealthScore.
func (HealthScore) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("account", Account.Type).
			Ref("health_scores").
			Field("account_id").
			Unique().
			Required().
			Comment("The scored account."),
	}
}

// Indexes of the HealthScore.
func (HealthScore) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "computed_at"),
		index.Fields("band"),
		index.Fields("score"),
		index.Fields("computed_at"),
	}
}

// Annotations of the HealthScore.
func (HealthScore) Annotations() []schema.Annotation {
	return node(schema.Comment("One computation of an account's health by the health model: every rescoring writes a new score, so an account's scores are its health history, and Account.health points at the latest."))
}
