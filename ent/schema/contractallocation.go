package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// ContractAllocation keeps, for one (contract, product), the units its
// ACTIVE entitlements hold and the quantity its contract items grant, so
// that the EXCEEDS_CONTRACT discrepancies (internal/reports) read the pairs
// over the contract as a range of an index instead of grouping every
// entitlement. The database maintains it: triggers on entitlements and
// contract_items (see the contract_allocations migration) recompute the row
// of every pair a write touches, whichever code path writes; ent never
// writes it (internal/rows.WritePolicy). Not exposed in the API.
//
// allocated ignores the active window (an ACTIVE entitlement whose
// active_to has passed still counts until the expiry sweep stores EXPIRED):
// the window depends on the clock, not on a write. It is therefore at least
// the live units (units are never negative), and excess > 0 holds for every
// pair the report can list; earliest_end tells whether it is more: only
// when earliest_end ≤ now can an ACTIVE entitlement of the pair have ended.
type ContractAllocation struct{ ent.Schema }

// Mixin of the ContractAllocation: the write policy only (no timestamps:
// only the triggers write it).
func (ContractAllocation) Mixin() []ent.Mixin { return []ent.Mixin{PolicyMixin{}} }

// Fields of the ContractAllocation.
func (ContractAllocation) Fields() []ent.Field {
	return []ent.Field{
		field.Int("contract_id").
			Immutable().
			Comment("The contract (a plain column: derived data, no foreign key)."),
		field.Int("product_id").
			Immutable().
			Comment("The product (a plain column, like contract_id)."),
		field.Int64("allocated").
			Comment("Units of the pair's ACTIVE entitlements, whatever their active window: each counts its limit, 1 for a feature flag or without a limit."),
		field.Int64("contracted").
			Comment("Sum of the quantities of the contract's items for the product; 0 without an item."),
		field.Int64("excess").
			Comment("allocated − contracted: the pairs with excess > 0 are the EXCEEDS_CONTRACT candidates."),
		field.Time("earliest_end").
			Optional().
			Nillable().
			Comment("The earliest active_to of the pair's ACTIVE entitlements; null when none of them has an end. While it is after now, allocated is the live units."),
	}
}

// Indexes of the ContractAllocation: one row per pair; the candidates
// (excess > 0) as a range holding all the count reads (an index-only scan
// on PostgreSQL).
func (ContractAllocation) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("contract_id", "product_id").Unique(),
		index.Fields("excess", "contract_id", "product_id", "earliest_end"),
	}
}

// Annotations of the ContractAllocation: internal, not part of the GraphQL
// API.
func (ContractAllocation) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipAll),
		schema.Comment("Per (contract, product): the units of its ACTIVE entitlements and the contracted quantity, maintained by database triggers. Internal."),
	}
}
