package policy

import (
	"strings"

	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// RedactChanges returns the changes of an audit event on an entity of type
// entityType as v may see them: the before/after values of a field v may not
// read are withheld (Redacted), so the audit trail never carries a protected
// value to a viewer who could not read it on the entity itself. A changed
// column the matrix does not know is withheld too.
func RedactChanges(v *viewer.Viewer, entityType string, changes []schematype.FieldChange) []*schematype.FieldChange {
	out := make([]*schematype.FieldChange, len(changes))
	for i, c := range changes {
		c := c
		if f, ok := changedField(entityType, c.Field); !ok || !CanRead(v, f.Class) {
			c.Before, c.After, c.Redacted = nil, nil, true
		}
		out[i] = &c
	}
	return out
}

// changedField maps a stored column name (arr_minor, owner_id) to the
// classification of the field that shows it (arrMinor, owner).
func changedField(entityType, column string) (Field, bool) {
	if f, ok := Lookup(entityType, FieldName(column)); ok {
		return f, true
	}
	if base, ok := strings.CutSuffix(column, "_id"); ok {
		return Lookup(entityType, FieldName(base))
	}
	return Field{}, false
}

// FieldName turns a stored column or ent field name (arr_minor, owner_id)
// into its GraphQL field name (arrMinor, ownerID).
func FieldName(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		switch {
		case parts[i] == "id":
			parts[i] = "ID"
		case parts[i] != "":
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
