package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// HealthModel is one version of the account health model. The model is data
// (internal/health); each distinct definition the servers have run gets the
// next version number, so every HealthScore names the model that computed it.
type HealthModel struct{ ent.Schema }

// Mixin of the HealthModel.
func (HealthModel) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, PolicyMixin{}} }

// Fields of the HealthModel.
func (HealthModel) Fields() []ent.Field {
	return []ent.Field{
		field.Int("version").
			Positive().
			Immutable().
			Comment("Version number; one more than the previous definition's."),
		field.String("fingerprint").
			NotEmpty().
			Immutable().
			Comment("Content hash of the definition (health.Model.Fingerprint)."),
		field.Text("definition").
			NotEmpty().
			Immutable().
			Comment("The model as JSON (health.LoadModel reads it)."),
		field.Time("activated_at").
			Default(time.Now).
			Immutable().
			Comment("When a server first ran this definition."),
	}
}

// Indexes of the HealthModel.
func (HealthModel) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("version").Unique(),
		index.Fields("fingerprint").Unique(),
	}
}

// Annotations of the HealthModel: read through the hand-written healthModel query.
func (HealthModel) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
