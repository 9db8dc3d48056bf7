package lookahead

import (
	"slices"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"

	"github.com/opsgraph/opsgraph/ent/schema/gid"
	"github.com/opsgraph/opsgraph/graph/generated"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// Requests of one operation share a cache entry whatever account id they
// ask for, and get their own id as the parameter; another table, another
// viewer class or another variable value is another entry.
func TestPlanCache(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	doc, errs := gqlparser.LoadQuery(schema, `query($id: ID!, $n: Int) { node(id: $id) { id ... on Account { name contracts(first: $n) { totalCount edges { node { id } } } } } }`)
	if errs != nil {
		t.Fatal(errs)
	}
	c := New(schema)
	admin := &viewer.Viewer{Subject: "a", Roles: []string{viewer.RoleAdmin}}
	csm := &viewer.Viewer{Subject: "c", Roles: []string{viewer.RoleCSM}}
	account := func(id int) string {
		start, _ := gid.Start("accounts")
		return gid.Encode(start + id)
	}
	run := func(v *viewer.Viewer, id string, n int) (*Plan, string) {
		t.Helper()
		oc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: map[string]any{"id": id, "n": n}}
		return c.Compile(oc, v)
	}
	p1, _ := run(admin, account(1), 5)
	p2, _ := run(admin, account(2), 5)
	if p1 == nil || p2 == nil || p1.SQL != p2.SQL || len(c.plans.m) != 1 {
		t.Fatalf("two accounts: %d entries, plans %v %v", len(c.plans.m), p1, p2)
	}
	if slices.Equal(p1.Args, p2.Args) {
		t.Fatalf("both requests got the parameters %v", p1.Args)
	}
	if want, _ := gid.Decode(account(2)); p2.Args[0] != int64(want) {
		t.Fatalf("second request's parameter %v, want %d", p2.Args[0], want)
	}
	if p, _ := run(admin, account(2), 7); p == nil || p.SQL == p1.SQL || len(c.plans.m) != 2 {
		t.Fatal("another page size shared the entry")
	}
	contract, _ := gid.Start("contracts")
	if p, reason := run(admin, gid.Encode(contract+1), 5); p == nil || p.SQL == p1.SQL || len(c.plans.m) != 3 {
		t.Fatalf("a contract id shared the account's entry (%s)", reason)
	}
	for range 2 {
		if p, reason := run(csm, account(1), 5); p != nil || reason == "" {
			t.Fatal("a CSM's request was compiled")
		}
	}
	if len(c.plans.m) != 4 {
		t.Fatalf("%d entries, want 4 (the CSM's decline cached once)", len(c.plans.m))
	}
}
