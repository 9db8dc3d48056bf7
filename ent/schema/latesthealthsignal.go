package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// LatestHealthSignal is the observation time of an account's latest health
// signal of one kind: MAX(observed_at) of its health_signals, kept by the
// database. A trigger on health_signals INSERT (migration
// health_signal_latest) upserts it, so every write path — ingest, the seed's
// bulk writer, tests writing signals with ent — keeps it exact; signals are
// append-only, so nothing else changes it. It lets the health overview read
// one row per (account, kind) instead of grouping every signal. Not exposed
// in the API, and not written through ent.
type LatestHealthSignal struct{ ent.Schema }

// Mixin of the LatestHealthSignal: the write policy only (the trigger writes
// the rows; no mutation may).
func (LatestHealthSignal) Mixin() []ent.Mixin { return []ent.Mixin{PolicyMixin{}} }

// Fields of the LatestHealthSignal.
func (LatestHealthSignal) Fields() []ent.Field {
	return []ent.Field{
		field.Int("account_id").
			Immutable().
			Comment("The observed account."),
		field.Enum("kind").
			Values(signalKinds...).
			Immutable().
			Comment("What was measured.").
			Annotations(signalKindDoc),
		field.Time("observed_at").
			Comment("Observation time of the account's latest signal of the kind."),
	}
}

// Edges of the LatestHealthSignal.
func (LatestHealthSignal) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("account", Account.Type).
			Ref("latest_health_signals").
			Field("account_id").
			Unique().
			Required().
			Immutable().
			Comment("The observed account."),
	}
}

// Indexes of the LatestHealthSignal: one row per account and kind (the
// trigger's ON CONFLICT target).
func (LatestHealthSignal) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "kind").Unique(),
	}
}

// Annotations of the LatestHealthSignal: internal, not part of the GraphQL API.
func (LatestHealthSignal) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipAll),
		schema.Comment("Observation time of the latest health signal per account and kind, kept by a trigger on health_signals."),
	}
}
