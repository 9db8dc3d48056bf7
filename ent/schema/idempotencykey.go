package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// IdempotencyKey remembers a create mutation a caller sent with an
// idempotency key, so a retry returns the object created the first time
// instead of creating another. Not exposed in the API.
type IdempotencyKey struct{ ent.Schema }

// Mixin of the IdempotencyKey.
func (IdempotencyKey) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, PolicyMixin{}} }

// Fields of the IdempotencyKey.
func (IdempotencyKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("subject").
			NotEmpty().
			Immutable().
			Comment("Token subject that sent the request; keys are scoped to it."),
		field.String("key").
			NotEmpty().
			MaxLen(200).
			Immutable().
			Comment("The caller's idempotency key."),
		field.String("action").
			NotEmpty().
			Immutable().
			Comment("Mutation the key was used with, e.g. accountCreate."),
		field.String("request_hash").
			NotEmpty().
			Immutable().
			Comment("SHA-256 of the mutation's input, to refuse a key reused with other input."),
		field.Int("entity_id").
			Immutable().
			Comment("Global ID of the object the first request created."),
	}
}

// Indexes of the IdempotencyKey.
func (IdempotencyKey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("subject", "key").Unique()}
}

// Annotations of the IdempotencyKey: internal, not part of the GraphQL API.
func (IdempotencyKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
