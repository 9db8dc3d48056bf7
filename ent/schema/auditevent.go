package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
)

// AuditEvent records one change to one entity: who, what, when, before/after.
type AuditEvent struct{ ent.Schema }

// Mixin of the AuditEvent.
func (AuditEvent) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, PolicyMixin{}} }

// Fields of the AuditEvent. Every field is immutable: the trail is append-only.
func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.String("actor").
			NotEmpty().
			Immutable().
			Comment("Subject (user email or service id) that made the change.").
			Annotations(entgql.OrderField("ACTOR")),
		field.String("action").
			NotEmpty().
			Immutable().
			Comment("What was done: CREATE, UPDATE, DELETE or a business action such as orderSubmit.").
			Annotations(entgql.OrderField("ACTION")),
		field.String("entity_type").
			NotEmpty().
			Immutable().
			Comment("GraphQL type of the changed entity, e.g. Account."),
		field.Int("entity_id").
			Immutable().
			Comment("Global ID of the changed entity.").
			Annotations(entgql.Type("ID")),
		field.JSON("changes", []schematype.FieldChange{}).
			Optional().
			Immutable().
			Comment("Changed fields with their values before and after (JSON encoded)."),
		field.Time("at").
			Default(time.Now).
			Immutable().
			Comment("When the change was committed.").
			Annotations(entgql.OrderField("AT")),
	}
}

// Indexes of the AuditEvent.
func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("entity_id", "at"),
		index.Fields("actor", "at"),
		index.Fields("at"),
		index.Fields("action"),
	}
}

// Annotations of the AuditEvent.
func (AuditEvent) Annotations() []schema.Annotation {
	return node(schema.Comment("One change to one entity, written in the same transaction as the change: who made it (actor), with which mutation (action), to what (entityType, entityID), when (at) and each changed field's value before and after (changes). The trail is append-only."))
}
