// Package audit writes the audit trail: one AuditEvent per changed entity,
// with the actor, the action and every changed field's value before and
// after. It is an ent hook on the client, so every write through ent is
// audited in the same transaction as the write itself, whichever resolver or
// domain function made it.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// Actions recorded for plain writes; business actions name themselves
// through WithAction.
const (
	ActionCreate = "CREATE"
	ActionUpdate = "UPDATE"
	ActionDelete = "DELETE"
)

// unaudited entity types: the trail itself, and bookkeeping that records no
// business change.
var unaudited = map[string]bool{"AuditEvent": true, "IdempotencyKey": true}

// ignored fields change on every write and say nothing.
var ignored = []string{"updated_at", "created_at"}

type actionKey struct{}

// WithAction names the business action (e.g. "accountUpdate") that the
// writes made with ctx belong to.
func WithAction(ctx context.Context, action string) context.Context {
	return context.WithValue(ctx, actionKey{}, action)
}

func actionOf(ctx context.Context, fallback string) string {
	if a, ok := ctx.Value(actionKey{}).(string); ok && a != "" {
		return a
	}
	return fallback
}

// Actor returns the subject audit events name for ctx.
func Actor(ctx context.Context) string {
	if v := viewer.FromContext(ctx); v != nil && v.Subject != "" {
		return v.Subject
	}
	return "unknown"
}

type idMutation interface {
	ent.Mutation
	ID() (int, bool)
	IDs(context.Context) ([]int, error)
	Client() *ent.Client
}

// Hook returns the ent hook that records every create, update and delete.
func Hook() ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			if unaudited[m.Type()] || Disabled(ctx) {
				return next.Mutate(ctx, m)
			}
			im, ok := m.(idMutation)
			if !ok {
				return nil, fmt.Errorf("audit: mutation %T has no id accessors", m)
			}
			// Capture the values before the change.
			fields := changedFields(m)
			var (
				before map[int]map[string]any
				ids    []int
				err    error
			)
			if !m.Op().Is(ent.OpCreate) {
				ids, err = im.IDs(ctx)
				if err != nil {
					return nil, fmt.Errorf("audit: resolving changed ids: %w", err)
				}
				before, err = snapshot(ctx, im, ids, fields)
				if err != nil {
					return nil, err
				}
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			if m.Op().Is(ent.OpCreate) {
				id, ok := im.ID()
				if !ok {
					return nil, fmt.Errorf("audit: created %s has no id", m.Type())
				}
				ids = []int{id}
			}
			if err := record(ctx, im, ids, fields, before); err != nil {
				return nil, err
			}
			return v, nil
		})
	}
}

// snapshot reads the values before the change of the fields m changes. Only
// single-row updates carry them: ent's OldField reads the stored row once
// for UpdateOneID. (For UpdateOne(entity), ent takes the old values from the
// entity passed in, so domain code updates by ID.) Bulk updates and deletes
// record the new values and the affected ids.
func snapshot(ctx context.Context, m idMutation, ids []int, fields []string) (map[int]map[string]any, error) {
	if !m.Op().Is(ent.OpUpdateOne) || len(ids) != 1 {
		return nil, nil
	}
	vals := make(map[string]any, len(fields))
	for _, f := range fields {
		old, err := m.OldField(ctx, f)
		if ent.IsNotFound(err) {
			// The viewer cannot see the row: the write itself will be
			// refused (or find nothing) below; leave the verdict to it.
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("audit: reading old %s.%s: %w", m.Type(), f, err)
		}
		vals[f] = old
	}
	return map[int]map[string]any{ids[0]: vals}, nil
}

func changedFields(m ent.Mutation) []string {
	fs := append(m.Fields(), m.ClearedFields()...)
	fs = slices.DeleteFunc(fs, func(f string) bool { return slices.Contains(ignored, f) })
	slices.Sort(fs)
	return slices.Compact(fs)
}

// record writes one AuditEvent per id.
func record(ctx context.Context, m idMutation, ids []int, fields []string, before map[int]map[string]any) error {
	action := ActionUpdate
	switch {
	case m.Op().Is(ent.OpCreate):
		action = ActionCreate
	case m.Op().Is(ent.OpDelete | ent.OpDeleteOne):
		action = ActionDelete
	}
	action = actionOf(ctx, action)
	now := time.Now()
	builders := make([]*ent.AuditEventCreate, 0, len(ids))
	for _, id := range ids {
		var changes []schematype.FieldChange
		if m.Op().Is(ent.OpDelete | ent.OpDeleteOne) {
			for f, v := range before[id] {
				changes = append(changes, schematype.FieldChange{Field: f, Before: encode(v)})
			}
		} else {
			for _, f := range fields {
				var after *string
				if v, ok := m.Field(f); ok {
					after = encode(v)
				}
				var prev *string
				if b, ok := before[id]; ok {
					prev = encode(b[f])
				}
				if m.Op().Is(ent.OpUpdateOne) && equal(prev, after) {
					continue
				}
				changes = append(changes, schematype.FieldChange{Field: f, Before: prev, After: after})
			}
			if len(changes) == 0 && m.Op().Is(ent.OpUpdateOne) {
				continue // nothing really changed
			}
		}
		slices.SortFunc(changes, func(a, b schematype.FieldChange) int {
			switch {
			case a.Field < b.Field:
				return -1
			case a.Field > b.Field:
				return 1
			}
			return 0
		})
		builders = append(builders, m.Client().AuditEvent.Create().
			SetActor(Actor(ctx)).
			SetAction(action).
			SetEntityType(m.Type()).
			SetEntityID(id).
			SetChanges(changes).
			SetAt(now))
	}
	if len(builders) == 0 || collect(ctx, m.Client(), builders) {
		return nil
	}
	if err := m.Client().AuditEvent.CreateBulk(builders...).Exec(ctx); err != nil {
		return fmt.Errorf("audit: writing events for %s: %w", m.Type(), err)
	}
	return nil
}

func encode(v any) *string {
	if v == nil {
		return nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		s := fmt.Sprintf("%q", fmt.Sprint(v))
		return &s
	}
	s := string(raw)
	if s == "null" {
		return nil
	}
	return &s
}

func equal(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
