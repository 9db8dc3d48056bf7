package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"

	"github.com/opsgraph/opsgraph/internal/rows"
)

// TimeMixin gives every entity created/updated timestamps that connections
// can sort on.
type TimeMixin struct{ mixin.Schema }

// Fields of the TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").
			Immutable().
			Default(time.Now).
			Comment("When the record was created.").
			Annotations(entgql.OrderField("CREATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput)),
		field.Time("updated_at").
			Default(time.Now).
			UpdateDefault(time.Now).
			Comment("When the record was last changed.").
			Annotations(entgql.OrderField("UPDATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Indexes of the TimeMixin: both timestamps are sort keys.
func (TimeMixin) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("created_at"),
		index.Fields("updated_at"),
	}
}

// PolicyMixin gives an entity the ent privacy policy that guards every write
// (internal/rows.WritePolicy); reads are filtered by the row interceptor.
type PolicyMixin struct{ mixin.Schema }

// Policy of the PolicyMixin.
func (PolicyMixin) Policy() ent.Policy { return rows.WritePolicy() }

// node returns the annotations every entity shares: a Node type with a root
// Relay connection (where/orderBy), plus the extra annotations given.
func node(extra ...schema.Annotation) []schema.Annotation {
	return append([]schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
	}, extra...)
}

// editable marks an entity whose create and update inputs are generated.
func editable() schema.Annotation {
	return entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate())
}

// listEdge marks a to-many edge as a Relay connection that create/update
// inputs do not set (its rows are created through their own mutations).
func listEdge() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}
