package lookahead_test

import (
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"

	"github.com/opsgraph/opsgraph/graph/generated"
	"github.com/opsgraph/opsgraph/internal/lookahead"
	"github.com/opsgraph/opsgraph/internal/policy"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

var schema = generated.NewExecutableSchema(generated.Config{}).Schema()

func compile(t *testing.T, v *viewer.Viewer, query string, vars map[string]any) (*lookahead.Plan, string) {
	t.Helper()
	doc, errs := gqlparser.LoadQuery(schema, query)
	if errs != nil {
		t.Fatalf("%s: %v", query, errs)
	}
	oc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: vars}
	return lookahead.New(schema).Compile(oc, v)
}

var (
	admin = &viewer.Viewer{Subject: "admin@example.com", Roles: []string{viewer.RoleAdmin}}
	csm   = &viewer.Viewer{Subject: "csm@example.com", Roles: []string{viewer.RoleCSM}}
)

// The compiler takes what it can answer as the executor would and names
// why it declines the rest (the differential test in internal/server
// checks the answers).
func TestCompileAndDecline(t *testing.T) {
	for _, tc := range []struct {
		name    string
		v       *viewer.Viewer
		query   string
		vars    map[string]any
		decline string // "" = compiled
	}{
		{"nested connections", admin, `{ accounts(first: 50) { edges { node { id name contracts(first: 8) { edges { node { id entitlements(first: 10) { totalCount edges { node { id usage } } } } } } } } } }`, nil, ""},
		{"unique edges and typenames", admin, `{ contracts(first: 3) { __typename pageInfo { hasNextPage } edges { node { __typename account { id owner { email } } } } } }`, nil, ""},
		{"a leaf selected twice", admin, `{ accounts(first: 1) { edges { node { id ... on Account { id name } } } } }`, nil, ""},
		{"node by id", admin, `query($id: ID!) { node(id: $id) { id ... on Account { name } } }`, map[string]any{"id": "YWNjb3VudHM6MQ"}, ""},
		{"order variables", admin, `query($o: [AccountOrder!]) { accounts(first: 5, orderBy: $o) { edges { node { id } } } }`, map[string]any{"o": []any{map[string]any{"field": "NAME", "direction": "DESC"}}}, ""},

		{"hasNextPage without edges", admin, `{ accounts(first: 2) { pageInfo { hasNextPage } } }`, nil, "hasNextPage without edges"},
		{"totalCount alone", admin, `{ accounts(first: 2) { totalCount edges { node { children(first: 1) { totalCount } } } } }`, nil, ""},
		{"no first", admin, `{ accounts { totalCount } }`, nil, "without a positive first"},
		{"first 0", admin, `{ accounts(first: 0) { totalCount } }`, nil, "without a positive first"},
		{"after", admin, `{ accounts(first: 2, after: "x") { totalCount } }`, nil, "with after"},
		{"last", admin, `{ accounts(last: 2) { totalCount } }`, nil, "with last"},
		{"where", admin, `{ accounts(first: 2, where: {nameContains: "a"}) { totalCount } }`, nil, "with where"},
		{"cursor", admin, `{ accounts(first: 2) { edges { cursor } } }`, nil, "AccountEdge.cursor"},
		{"end cursor", admin, `{ accounts(first: 2) { pageInfo { endCursor } } }`, nil, "PageInfo.endCursor"},
		{"directive", admin, `{ accounts(first: 2) { totalCount @skip(if: false) } }`, nil, "directive"},
		{"a selection merged twice", admin, `{ accounts(first: 2) { edges { node { owner { id } owner { email } } } } }`, nil, "selected twice"},
		{"hand-written root", admin, `{ healthModel { version } }`, nil, "root field healthModel"},
		{"hand-written field", admin, `{ requests(first: 2) { edges { node { id slaState } } } }`, nil, "not ent's"},
		{"mutation", admin, `mutation { orderCancel(input: {orderID: "x"}) { userErrors { code } } }`, nil, "not a query"},
		{"row rules", csm, `{ accounts(first: 2) { totalCount } }`, nil, "row rules apply to Account"},
		{"row rules below", csm, `{ users(first: 2) { edges { node { email } } } products(first: 1) { totalCount } contracts(first: 1) { totalCount } }`, nil, "row rules apply to Contract"},
		{"no read scope", &viewer.Viewer{Subject: "svc", Roles: []string{viewer.RoleIntegration}}, `{ products(first: 1) { totalCount } }`, nil, "may not read"},
		{"no viewer", nil, `{ products(first: 1) { totalCount } }`, nil, "may not read"},
		{"unknown node", admin, `{ node(id: "bm9wZTox") { id } }`, nil, "node"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, reason := compile(t, tc.v, tc.query, tc.vars)
			switch {
			case tc.decline == "" && plan == nil:
				t.Fatalf("declined (%s), want compiled", reason)
			case tc.decline == "" && !strings.HasPrefix(plan.SQL, "SELECT json_build_object("):
				t.Fatalf("plan %q", plan.SQL)
			case tc.decline != "" && plan != nil:
				t.Fatalf("compiled, want declined with %q:\n%s", tc.decline, plan.SQL)
			case tc.decline != "" && !strings.Contains(reason, tc.decline):
				t.Fatalf("declined with %q, want %q", reason, tc.decline)
			}
		})
	}
}

// A field the matrix keeps from a role is declined for that role, and
// compiled for the roles that may read it (and read every account).
func TestFieldMatrix(t *testing.T) {
	const q = `{ accounts(first: 1) { edges { node { billingContactEmail } } } }`
	for _, role := range viewer.Roles {
		v := &viewer.Viewer{Subject: "someone@example.com", Roles: []string{role}, Scopes: []string{"read"}}
		plan, reason := compile(t, v, q, nil)
		readable := policy.Readable(v, "Account", "billingContactEmail") == policy.Allowed
		switch {
		case role == viewer.RoleCSM:
			if plan != nil {
				t.Errorf("CSM: compiled despite row rules")
			}
		case readable && plan == nil:
			t.Errorf("%s may read billingContactEmail, but declined: %s", role, reason)
		case !readable && plan != nil:
			t.Errorf("%s may not read billingContactEmail, but compiled", role)
		case !readable && !strings.Contains(reason, "billingContactEmail is not readable") && !strings.Contains(reason, "may not read"):
			t.Errorf("%s: declined for %q", role, reason)
		}
	}
}

// The statement selects only the columns the page reads and aggregates
// the page in the executor's order (order fields, then id): by those
// columns, or, when it reads one row more for hasNextPage, by a row number
// that also leaves that row out.
func TestPageOrderAndColumns(t *testing.T) {
	const page = `accounts(first: 3, orderBy: [{field: SEGMENT, direction: DESC}])`
	for _, tc := range []struct {
		name, query   string
		want, lacking []string
	}{
		{
			name:    "page only",
			query:   `{ ` + page + ` { edges { node { name } } } }`,
			want:    []string{`ORDER BY t2."segment" DESC, t2."id" ASC)`, `(SELECT x."name", x."segment", x."id" FROM "accounts" x ORDER BY x."segment" DESC, x."id" ASC LIMIT 3)`},
			lacking: []string{"row_number()", "FILTER"},
		},
		{
			name:    "hasNextPage",
			query:   `{ ` + page + ` { edges { node { name } } pageInfo { hasNextPage } } }`,
			want:    []string{`row_number() OVER (ORDER BY x."segment" DESC, x."id" ASC)`, `SELECT x."name", row_number()`, "LIMIT 4", "FILTER (WHERE t2.rn <= 3)"},
			lacking: []string{`x."segment", x."id" FROM`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, reason := compile(t, admin, tc.query, nil)
			if plan == nil {
				t.Fatal(reason)
			}
			for _, want := range tc.want {
				if !strings.Contains(plan.SQL, want) {
					t.Errorf("plan lacks %q:\n%s", want, plan.SQL)
				}
			}
			for _, no := range tc.lacking {
				if strings.Contains(plan.SQL, no) {
					t.Errorf("plan has %q:\n%s", no, plan.SQL)
				}
			}
		})
	}
}

// BenchmarkCompile measures compiling the harness's Q1 (done per request).
func BenchmarkCompile(b *testing.B) {
	const q = `query Q1 { accounts(first: 50) { edges { node { id name segment region lifecycleStage contracts(first: 8) { edges { node { id number status startDate endDate arrMinor currency entitlements(first: 10) { edges { node { id kind limit usage status activeFrom activeTo } } } } } } } } } }`
	doc, errs := gqlparser.LoadQuery(schema, q)
	if errs != nil {
		b.Fatal(errs)
	}
	oc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0]}
	c := lookahead.New(schema)
	b.ReportAllocs()
	for b.Loop() {
		if plan, reason := c.Compile(oc, admin); plan == nil {
			b.Fatal(reason)
		}
	}
}
