package policy

import (
	"os"
	"testing"

	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// docs/authorization.md is generated from the matrix and kept in sync.
func TestAuthorizationDocIsCurrent(t *testing.T) {
	raw, err := os.ReadFile("../../docs/authorization.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != Markdown() {
		t.Fatal("docs/authorization.md is stale: run go generate ./...")
	}
}

func TestCanRead(t *testing.T) {
	v := func(roles []string, scopes ...string) *viewer.Viewer {
		return &viewer.Viewer{Subject: "s", Roles: roles, Scopes: scopes}
	}
	for _, tc := range []struct {
		name  string
		v     *viewer.Viewer
		class Class
		want  bool
	}{
		{"anonymous", nil, Identifier, false},
		{"support no money", v([]string{viewer.RoleSupport}), Financial, false},
		{"support contacts", v([]string{viewer.RoleSupport}), PII, true},
		{"finance money", v([]string{viewer.RoleFinance}), Financial, true},
		{"two roles combine", v([]string{viewer.RoleViewer, viewer.RoleFinance}), Financial, true},
		{"viewer audit", v([]string{viewer.RoleViewer}), Audit, true},
		{"analyst no audit", v([]string{viewer.RoleOpsAnalyst}), Audit, false},
		{"integration read", v([]string{viewer.RoleIntegration}, "read"), Standard, true},
		{"integration no scope", v([]string{viewer.RoleIntegration}), Standard, false},
		{"integration ids with any scope", v([]string{viewer.RoleIntegration}, "orders:write"), Identifier, true},
		{"integration no ids without scope", v([]string{viewer.RoleIntegration}), Identifier, false},
		{"integration financial scope", v([]string{viewer.RoleIntegration}, "financial:read"), Financial, true},
		{"integration never internal", v([]string{viewer.RoleIntegration}, "read", "financial:read", "pii:read"), Internal, false},
		{"unknown class", v([]string{viewer.RoleAdmin}), Class("NEW"), false},
		{"system", &viewer.Viewer{System: true}, Audit, true},
	} {
		if got := CanRead(tc.v, tc.class); got != tc.want {
			t.Errorf("%s: CanRead = %v, want %v", tc.name, got, tc.want)
		}
	}
	if CanCall(v([]string{viewer.RoleAdmin}), "noSuchMutation") {
		t.Error("an unlisted mutation is callable")
	}
}

func TestRedactChanges(t *testing.T) {
	str := func(s string) *string { return &s }
	changes := []schematype.FieldChange{
		{Field: "arr_minor", Before: str("1"), After: str("987654321")},
		{Field: "auto_renew", Before: str("false"), After: str("true")},
		{Field: "renewal_owner_id", After: str("42")},
		{Field: "mystery_column", After: str(`"x"`)},
	}
	viewerRole := &viewer.Viewer{Subject: "a", Roles: []string{viewer.RoleViewer}}
	got := RedactChanges(viewerRole, "Contract", changes)
	want := []bool{true, false, false, true}
	for i, c := range got {
		if c.Redacted != want[i] || (c.Redacted && (c.Before != nil || c.After != nil)) {
			t.Errorf("%s: redacted=%v before=%v after=%v", c.Field, c.Redacted, c.Before, c.After)
		}
	}
	if changes[0].After == nil {
		t.Error("RedactChanges modified its input")
	}
	finance := &viewer.Viewer{Subject: "f", Roles: []string{viewer.RoleFinance}}
	if RedactChanges(finance, "Contract", changes)[0].Redacted {
		t.Error("FINANCE cannot see ARR changes")
	}
}
