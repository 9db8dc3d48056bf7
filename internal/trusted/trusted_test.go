package trusted

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/opsgraph/opsgraph/internal/viewer"
)

func TestBuildIsDeterministic(t *testing.T) {
	docs := []Document{
		{OperationName: "B", Source: SourceSDK, Query: "query B { b }"},
		{OperationName: "A", Source: SourceSDK, Query: "query A { a }"},
		{OperationName: "Saved", Source: SourceExplorer, Query: "# Saved\nquery Saved { a }"},
		{OperationName: "A", Source: SourceExplorer, Query: "query A { a }"}, // the same text twice
	}
	one, err := Build(docs).JSON()
	if err != nil {
		t.Fatal(err)
	}
	reversed := []Document{docs[3], docs[2], docs[1], docs[0]}
	two, _ := Build(reversed).JSON()
	if !bytes.Equal(one, two) {
		t.Fatalf("the order of the input shows:\n%s\n%s", one, two)
	}
	m, err := Parse(one)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Documents) != 3 || m.Documents[0].Source != SourceExplorer {
		t.Fatalf("documents %+v", m.Documents)
	}
	id := ID("query B { b }")
	if !strings.HasPrefix(id, "sha256:") || len(id) != len("sha256:")+64 {
		t.Fatalf("id %q", id)
	}
	if d, ok := m.Lookup(strings.ToUpper(id[:7]) + id[7:]); ok {
		t.Errorf("an upper-case prefix found %v", d)
	}
	if d, ok := m.Lookup("sha256:" + strings.ToUpper(id[7:])); !ok || d.OperationName != "B" {
		t.Errorf("upper-case hex: %v %v", d, ok)
	}
	if _, err := Parse([]byte(strings.Replace(string(one), "{ b }", "{ c }", 1))); err == nil {
		t.Error("a text that does not match its id was accepted")
	}
}

func TestEnforcer(t *testing.T) {
	m := Build([]Document{{OperationName: "A", Source: SourceSDK, Query: "query A { a }"}})
	e := Enforcer{Manifest: m, Roles: []string{viewer.RoleIntegration}}
	integration := viewer.NewContext(context.Background(), &viewer.Viewer{Subject: "svc", Roles: []string{viewer.RoleIntegration}})
	admin := viewer.NewContext(context.Background(), &viewer.Viewer{Subject: "a", Roles: []string{viewer.RoleAdmin}})
	hash := func(q string) map[string]any {
		return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": strings.TrimPrefix(ID(q), IDPrefix)}}
	}
	for _, c := range []struct {
		name      string
		ctx       context.Context
		params    graphql.RawParams
		code      string // "" = allowed
		wantQuery string
	}{
		{"id", WithDocumentID(integration, ID("query A { a }")), graphql.RawParams{}, "", "query A { a }"},
		{"unknown id", WithDocumentID(integration, "sha256:00"), graphql.RawParams{}, CodeNotFound, ""},
		{"unknown id, ADMIN", WithDocumentID(admin, "sha256:00"), graphql.RawParams{}, CodeNotFound, ""},
		{"id and text", WithDocumentID(admin, ID("query A { a }")), graphql.RawParams{Query: "{ a }"}, CodeBadRequest, ""},
		{"manifest hash", integration, graphql.RawParams{Extensions: hash("query A { a }")}, "", "query A { a }"},
		{"other hash", integration, graphql.RawParams{Extensions: hash("{ b }")}, CodeNotFound, ""},
		{"other hash, ADMIN (APQ's cache decides)", admin, graphql.RawParams{Extensions: hash("{ b }")}, "", ""},
		{"manifest text", integration, graphql.RawParams{Query: "query A { a }"}, "", "query A { a }"},
		{"free text", integration, graphql.RawParams{Query: "{ b }"}, CodeRequired, ""},
		{"free text with its hash", integration, graphql.RawParams{Query: "{ b }", Extensions: hash("{ b }")}, CodeRequired, ""},
		{"nothing", integration, graphql.RawParams{}, CodeRequired, ""},
		{"free text, ADMIN", admin, graphql.RawParams{Query: "{ b }"}, "", "{ b }"},
		{"free text, the server's own", Internal(integration), graphql.RawParams{Query: "{ b }"}, "", "{ b }"},
		{"free text, anonymous", context.Background(), graphql.RawParams{Query: "{ b }"}, "", "{ b }"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := c.params
			err := e.MutateOperationParameters(c.ctx, &p)
			switch {
			case c.code == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.code != "" && (err == nil || err.Extensions["code"] != c.code):
				t.Fatalf("err = %v, want %s", err, c.code)
			case c.code == "" && p.Query != c.wantQuery:
				t.Fatalf("query %q, want %q", p.Query, c.wantQuery)
			}
		})
	}
	if err := (Enforcer{Manifest: m}).MutateOperationParameters(integration, &graphql.RawParams{Query: "{ b }"}); err != nil {
		t.Errorf("no enforced roles: %v", err)
	}
}
