package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/request"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/auth"
	"github.com/opsgraph/opsgraph/internal/policy"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/usererr"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// introspected is the part of the schema the matrix tests walk.
type introspected struct {
	Schema struct {
		MutationType struct {
			Fields []struct{ Name string }
		}
		Types []struct {
			Name       string
			Kind       string
			Interfaces []struct{ Name string }
			Fields     []struct {
				Name string
				Type typeRef
			}
		}
	} `json:"__schema"`
}

type typeRef struct {
	Kind   string
	Name   string
	OfType *typeRef
}

func (t typeRef) named() typeRef {
	for t.OfType != nil {
		t = *t.OfType
	}
	return t
}

const introspection = `{ __schema { mutationType { fields { name } }
  types { name kind interfaces { name } fields { name type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }`

func introspect(t *testing.T, srv *apitest.Server) introspected {
	t.Helper()
	var s introspected
	srv.Post(introspection, nil).MustData(t, &s)
	return s
}

// Every field of every Node type is classified, and the matrix names no
// field the schema lacks; every mutation has a rule.
func TestEveryFieldAndMutationIsClassified(t *testing.T) {
	srv := apitest.New(t, testdb.Open(t, dialect.SQLite))
	s := introspect(t, srv)
	seen := map[string]bool{}
	for _, typ := range s.Schema.Types {
		isNode := slices.ContainsFunc(typ.Interfaces, func(i struct{ Name string }) bool { return i.Name == "Node" })
		if !isNode {
			continue
		}
		seen[typ.Name] = true
		if !policy.IsEntity(typ.Name) {
			t.Errorf("type %s is not in the authorization matrix", typ.Name)
			continue
		}
		var names []string
		for _, f := range typ.Fields {
			names = append(names, f.Name)
			c, ok := policy.Lookup(typ.Name, f.Name)
			if !ok {
				t.Errorf("%s.%s is not classified", typ.Name, f.Name)
			}
			if ok && c.Class.Protected() && f.Type.Kind == "NON_NULL" {
				t.Errorf("%s.%s is %s but non-null: a denial would null its parent", typ.Name, f.Name, c.Class)
			}
		}
		for _, f := range policy.FieldsOf(typ.Name) {
			if !slices.Contains(names, f) {
				t.Errorf("the matrix classifies %s.%s, which the schema does not have", typ.Name, f)
			}
		}
	}
	for _, e := range policy.Entities() {
		if !seen[e] {
			t.Errorf("the matrix lists %s, which is not a Node type", e)
		}
	}
	for _, m := range s.Schema.MutationType.Fields {
		if _, ok := policy.MutationRule(m.Name); !ok {
			t.Errorf("mutation %s has no rule in the matrix", m.Name)
		}
	}
}

// Sentinels are protected values planted in the data; no response to a
// viewer without access may contain them.
var sentinels = map[policy.Class]string{
	policy.Financial: "987654321",
	policy.PII:       "sentinel-pii@secret.example",
	policy.Internal:  "SENTINEL-INTERNAL-NOTE",
}

func plantSentinels(t *testing.T, c *ent.Client) {
	t.Helper()
	ctx := viewer.System(context.Background(), "test")
	con := c.Contract.Query().Order(ent.Asc("id")).FirstX(ctx)
	c.Contract.UpdateOne(con).SetArrMinor(987654321).ExecX(ctx)
	acc := c.Account.Query().Order(ent.Asc("id")).FirstX(ctx)
	c.Account.UpdateOne(acc).SetBillingContactEmail(sentinels[policy.PII]).ExecX(ctx)
	req := c.Request.Query().Order(ent.Asc("id")).FirstX(ctx)
	c.Request.UpdateOne(req).SetDescription(sentinels[policy.Internal]).SetResolutionNotes(sentinels[policy.Internal]).ExecX(ctx)
	// An audit event exists now (the updates above), so every type has rows.
}

// viewers are the token holders the matrix is checked for.
func viewers() []*viewer.Viewer {
	var out []*viewer.Viewer
	for _, r := range viewer.Roles {
		if r == viewer.RoleIntegration {
			continue
		}
		subject := "someone-else@example.com"
		if r == viewer.RoleCSM {
			subject = "csm1@opsgraph.example" // a CSM with a book to read
		}
		out = append(out, &viewer.Viewer{Subject: subject, Roles: []string{r}})
	}
	return append(out,
		&viewer.Viewer{Subject: "svc-crm", Roles: []string{viewer.RoleIntegration}, Scopes: []string{"read"}},
		&viewer.Viewer{Subject: "svc-billing", Roles: []string{viewer.RoleIntegration}, Scopes: []string{"read", "financial:read"}},
		&viewer.Viewer{Subject: "svc-nothing", Roles: []string{viewer.RoleIntegration}},
	)
}

func tokenFor(t testing.TB, srv *apitest.Server, v *viewer.Viewer) string {
	t.Helper()
	tok, err := auth.Mint(srv.Config, auth.MintOptions{Subject: v.Subject, Roles: v.Roles, Scopes: v.Scopes, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// For every role, every field of every entity reads as the matrix says:
// allowed → no error; denied → null with FORBIDDEN at the field's path.
func TestFieldMatrixForEveryRole(t *testing.T) {
	db := seedtest.Demo(t, dialect.SQLite, demoNow)
	srv := apitest.New(t, db)
	plantSentinels(t, db.Client)
	s := introspect(t, srv)
	// Value types (FieldChange, ScoreComponent, ...) are selected in full, so
	// a protected value inside one would show.
	valueFields := map[string]string{}
	for _, typ := range s.Schema.Types {
		if typ.Kind != "OBJECT" || policy.IsEntity(typ.Name) || strings.HasSuffix(typ.Name, "Connection") || strings.HasPrefix(typ.Name, "__") {
			continue
		}
		var scalars []string
		for _, f := range typ.Fields {
			if k := f.Type.named().Kind; k == "SCALAR" || k == "ENUM" {
				scalars = append(scalars, f.Name)
			}
		}
		valueFields[typ.Name] = strings.Join(scalars, " ")
	}
	for _, typ := range s.Schema.Types {
		if !policy.IsEntity(typ.Name) {
			continue
		}
		root := rootConnections[typ.Name]
		var sel []string
		for _, f := range typ.Fields {
			named := f.Type.named()
			switch {
			case named.Kind == "SCALAR" || named.Kind == "ENUM":
				sel = append(sel, f.Name)
			case valueFields[named.Name] != "" && !policy.IsEntity(named.Name):
				sel = append(sel, f.Name+" { "+valueFields[named.Name]+" }")
			default:
				sel = append(sel, f.Name+" { __typename }")
			}
		}
		// Default order (oldest id first) returns the rows carrying the sentinels.
		query := fmt.Sprintf(`{ %s(first: 1) { edges { node { %s } } } }`, root, strings.Join(sel, " "))
		for _, v := range viewers() {
			name := typ.Name + "/" + strings.Join(v.Roles, ",") + "+" + strings.Join(v.Scopes, ",")
			t.Run(name, func(t *testing.T) {
				res := srv.PostAs(tokenFor(t, srv, v), query, nil)
				if !policy.CanRead(v, policy.Standard) {
					if len(res.Errors) != 1 || res.Errors[0].Code() != "FORBIDDEN" || len(res.Errors[0].Path) != 1 {
						t.Fatalf("a viewer who may read nothing was not refused at the root: %s", res.Raw)
					}
					return
				}
				if typ.Name == "AuditEvent" && !policy.CanRead(v, policy.Audit) {
					// Rows, not just fields: the audit trail is invisible.
					if len(res.Errors) > 0 || !strings.Contains(string(res.Data), `"edges":[]`) {
						t.Fatalf("audit events visible: %s", res.Raw)
					}
					return
				}
				denied := map[string]string{}
				for _, e := range res.Errors {
					if len(e.Path) != 5 || e.Code() != "FORBIDDEN" {
						t.Fatalf("unexpected error %+v", e)
					}
					denied[e.Path[4].(string)] = e.Extensions["class"].(string)
				}
				var data map[string]struct {
					Edges []struct{ Node map[string]json.RawMessage }
				}
				if err := json.Unmarshal(res.Data, &data); err != nil || len(data[root].Edges) != 1 {
					t.Fatalf("no row: %s", res.Raw)
				}
				node := data[root].Edges[0].Node
				for _, f := range typ.Fields {
					c, _ := policy.Lookup(typ.Name, f.Name)
					want := policy.CanRead(v, c.Class)
					_, isDenied := denied[f.Name]
					switch {
					case want && isDenied:
						t.Errorf("%s.%s (%s) denied to %v", typ.Name, f.Name, c.Class, v.Roles)
					case !want && !isDenied:
						t.Errorf("%s.%s (%s) readable by %v %v", typ.Name, f.Name, c.Class, v.Roles, v.Scopes)
					case !want && string(node[f.Name]) != "null":
						t.Errorf("%s.%s denied but carries %s", typ.Name, f.Name, node[f.Name])
					}
				}
				for class, sentinel := range sentinels {
					if !policy.CanRead(v, class) && strings.Contains(string(res.Raw), sentinel) {
						t.Errorf("response leaks a %s value: %s", class, res.Raw)
					}
				}
			})
		}
	}
}

// A user always reads their own email, whatever their roles.
func TestOwnEmailIsReadable(t *testing.T) {
	db := seedtest.Demo(t, dialect.SQLite, demoNow)
	srv := apitest.New(t, db)
	ctx := context.Background()
	me := db.Client.User.Query().Order(ent.Asc("id")).FirstX(ctx)
	other := db.Client.User.Query().Order(ent.Desc("id")).FirstX(ctx)
	tok := tokenFor(t, srv, &viewer.Viewer{Subject: me.Email, Roles: []string{viewer.RoleViewer}})
	res := srv.PostAs(tok, `query($me: ID!, $other: ID!) { me: node(id: $me) { ... on User { email } } other: node(id: $other) { ... on User { email } } }`,
		map[string]any{"me": encodeID(me.ID), "other": encodeID(other.ID)})
	var data struct {
		Me, Other struct{ Email *string }
	}
	_ = json.Unmarshal(res.Data, &data)
	if data.Me.Email == nil || *data.Me.Email != me.Email {
		t.Errorf("own email not readable: %s", res.Raw)
	}
	if data.Other.Email != nil || len(res.Errors) != 1 || res.Errors[0].Code() != "FORBIDDEN" {
		t.Errorf("another user's email readable by a VIEWER: %s", res.Raw)
	}
}

// Filtering or sorting on a field the viewer may not read is refused before
// any SQL runs, however it is spelled.
func TestNoFilterOrSortOnDeniedFields(t *testing.T) {
	seedtest.EachDemo(t, demoNow, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		plantSentinels(t, db.Client)
		support := tokenFor(t, srv, &viewer.Viewer{Subject: "support@opsgraph.example", Roles: []string{viewer.RoleSupport}})
		finance := tokenFor(t, srv, &viewer.Viewer{Subject: "finance@opsgraph.example", Roles: []string{viewer.RoleFinance}})
		analyst := tokenFor(t, srv, &viewer.Viewer{Subject: "analyst@opsgraph.example", Roles: []string{viewer.RoleOpsAnalyst}})
		sales := tokenFor(t, srv, &viewer.Viewer{Subject: "sales@opsgraph.example", Roles: []string{viewer.RoleSales}})
		for _, tc := range []struct {
			name, token, query string
			vars               map[string]any
			allowed            bool
		}{
			{"filter ARR", support, `{ contracts(where: {arrMinorGT: 987654320}) { totalCount } }`, nil, false},
			{"filter ARR in a variable", support, `query($w: ContractWhereInput) { contracts(where: $w) { totalCount } }`, map[string]any{"w": map[string]any{"arrMinor": 987654321}}, false},
			{"filter ARR under or", support, `{ contracts(where: {or: [{number: "x"}, {arrMinorIn: [987654321]}]}) { totalCount } }`, nil, false},
			{"filter ARR under not", support, `{ contracts(where: {not: {arrMinorLT: 5}}) { totalCount } }`, nil, false},
			{"filter ARR through an edge", support, `{ accounts(where: {hasContractsWith: {arrMinorGT: 987654320}}) { totalCount } }`, nil, false},
			{"filter ARR in a nested connection", support, `{ accounts(first: 1) { edges { node { contracts(where: {arrMinorGTE: 1}) { totalCount } } } } }`, nil, false},
			{"sort by ARR", support, `{ contracts(orderBy: {field: ARR_MINOR, direction: DESC}) { edges { node { number } } } }`, nil, false},
			{"sort by ARR in a variable", support, `query($o: [ContractOrder!]) { contracts(orderBy: $o) { totalCount } }`, map[string]any{"o": []any{map[string]any{"field": "ARR_MINOR"}}}, false},
			{"filter billing email", finance, `{ accounts(where: {billingContactEmailContains: "sentinel"}) { totalCount } }`, nil, false},
			{"filter user email via edge", finance, `{ accounts(where: {hasOwnerWith: {emailHasPrefix: "csm1"}}) { totalCount } }`, nil, false},
			{"filter request description", sales, `{ requests(where: {descriptionContains: "SENTINEL"}) { totalCount } }`, nil, false},
			{"filter in a fragment", support, `{ ...Q } fragment Q on Query { contracts(where: {arrMinorGT: 1}) { totalCount } }`, nil, false},
			{"finance filters ARR", finance, `{ contracts(where: {arrMinorGT: 987654320}) { totalCount } }`, nil, true},
			{"support filters billing email", support, `{ accounts(where: {billingContactEmailContains: "sentinel"}) { totalCount } }`, nil, true},
			{"analyst filters descriptions", analyst, `{ requests(where: {descriptionContains: "SENTINEL"}) { totalCount } }`, nil, true},
			{"analyst filters by owner name", analyst, `{ accounts(where: {hasOwnerWith: {nameContainsFold: "a"}}) { totalCount } }`, nil, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				db.Counter.Reset()
				res := srv.PostAs(tc.token, tc.query, tc.vars)
				if tc.allowed {
					if len(res.Errors) > 0 {
						t.Fatalf("refused: %s", res.Raw)
					}
					return
				}
				// A request error: no data entry at all (GraphQL-over-HTTP).
				if len(res.Errors) != 1 || res.Errors[0].Code() != "FORBIDDEN" || len(res.Data) != 0 {
					t.Fatalf("got %s, want one FORBIDDEN error and no data", res.Raw)
				}
				if n := db.Counter.Count(); n != 0 {
					t.Errorf("%d SQL statements ran for a refused request", n)
				}
				for _, s := range sentinels {
					if strings.Contains(string(res.Raw), s) {
						t.Errorf("the refusal echoes a protected value: %s", res.Raw)
					}
				}
			})
		}
	})
}

// Every mutation × every role: allowed or FORBIDDEN, as the matrix says.
func TestMutationMatrix(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	srv := apitest.New(t, db)
	f := newFixture(t, srv)
	// An entitlement for the entitlement actions to act on.
	sys := viewer.System(context.Background(), "test")
	prod := db.Client.Product.Create().SetSku("API").SetName("API").SetFeatureKey("api").SetEntitlementKind(schematype.EntitlementKindMetered).SaveX(sys)
	ent1 := db.Client.Entitlement.Create().SetAccountID(decodeID(t, f.parent)).SetProduct(prod).SetKind(schematype.EntitlementKindMetered).
		SetLimit(10).SetActiveFrom(time.Now().Add(-time.Hour)).SaveX(sys)
	e := encodeID(ent1.ID)
	ord := encodeID(db.Client.Order.Create().SetNumber("ORD-M").SetAccountID(decodeID(t, f.parent)).SetContractID(decodeID(t, f.contract)).SaveX(sys).ID)
	orderCall := func(name, input string) string {
		return fmt.Sprintf(`mutation { %s(input: {orderID: %q%s}) { order { id } userErrors { code } } }`, name, ord, input)
	}
	reqFor := func(status request.Status) string {
		return encodeID(db.Client.Request.Create().SetNumber("R-M-" + string(status)).SetTitle("T").SetRequesterID(decodeID(t, f.other)).
			SetStatus(status).SaveX(sys).ID)
	}
	req, resolved := reqFor(request.StatusNEW), reqFor(request.StatusRESOLVED)
	requestCall := func(name, id, input string) string {
		return fmt.Sprintf(`mutation { %s(input: {requestID: %q%s}) { request { id } userErrors { code } } }`, name, id, input)
	}
	calls := map[string]string{
		"healthSignalsIngest":    fmt.Sprintf(`mutation { healthSignalsIngest(input: {signals: [{accountID: %q, kind: NPS, value: 30, observedAt: "2026-01-01T00:00:00Z", source: "matrix"}]}) { accepted duplicates scores { score } userErrors { code } } }`, f.parent),
		"healthScoreRecompute":   fmt.Sprintf(`mutation { healthScoreRecompute(input: {accountID: %q}) { recomputed score { score } userErrors { code } } }`, f.parent),
		"requestCreate":          fmt.Sprintf(`mutation { requestCreate(input: {title: "X", requesterID: %q}) { request { id } userErrors { code } } }`, f.other),
		"requestTriage":          requestCall("requestTriage", req, ", category: DATA_FIX, priority: P2"),
		"requestAssign":          requestCall("requestAssign", req, fmt.Sprintf(", assigneeID: %q", f.other)),
		"requestRespond":         requestCall("requestRespond", req, `, message: "On it"`),
		"requestSetStatus":       requestCall("requestSetStatus", req, ", status: IN_PROGRESS"),
		"requestResolve":         requestCall("requestResolve", req, `, resolutionNotes: "Done"`),
		"requestReopen":          requestCall("requestReopen", req, ""),
		"requestClose":           requestCall("requestClose", resolved, ""),
		"orderCreate":            fmt.Sprintf(`mutation { orderCreate(input: {accountID: %q, lines: [{action: ADD, productID: %q}]}) { userErrors { code } } }`, f.parent, f.product),
		"orderUpdate":            orderCall("orderUpdate", ""),
		"orderSubmit":            orderCall("orderSubmit", ""),
		"orderValidate":          orderCall("orderValidate", ""),
		"orderStartProvisioning": orderCall("orderStartProvisioning", ""),
		"orderFulfill":           orderCall("orderFulfill", ""),
		"orderReject":            orderCall("orderReject", `, reason: "CREDIT_HOLD", note: "n"`),
		"orderCancel":            orderCall("orderCancel", ""),
		"orderMarkInvoiced":      orderCall("orderMarkInvoiced", `, invoiceReference: "INV-1"`),
		"entitlementReportUsage": fmt.Sprintf(`mutation { entitlementReportUsage(input: {entitlementID: %q, usage: 3, observedAt: "2026-01-01T00:00:00Z"}) { applied userErrors { code } } }`, e),
		"entitlementOverride":    fmt.Sprintf(`mutation { entitlementOverride(input: {entitlementID: %q, limit: 20, reason: "burst", expiresAt: "2099-01-01T00:00:00Z"}) { userErrors { code } } }`, e),
		"entitlementSuspend":     fmt.Sprintf(`mutation { entitlementSuspend(input: {entitlementID: %q}) { userErrors { code } } }`, e),
		"entitlementResume":      fmt.Sprintf(`mutation { entitlementResume(input: {entitlementID: %q}) { userErrors { code } } }`, e),
		"entitlementRevoke":      fmt.Sprintf(`mutation { entitlementRevoke(input: {entitlementID: %q}) { userErrors { code } } }`, e),
		"userCreate":             `mutation { userCreate(input: {email: "x@example.com", name: "X"}) { userErrors { code } } }`,
		"userUpdate":             fmt.Sprintf(`mutation { userUpdate(id: %q, input: {team: "T"}) { userErrors { code } } }`, f.other),
		"accountCreate":          `mutation { accountCreate(input: {name: "X", segment: SMB, region: NA}) { userErrors { code } } }`,
		"accountUpdate":          fmt.Sprintf(`mutation { accountUpdate(id: %q, input: {industry: "X"}) { userErrors { code } } }`, f.child),
		"productCreate":          `mutation { productCreate(input: {sku: "X", name: "X", featureKey: "x", entitlementKind: BOOLEAN}) { userErrors { code } } }`,
		"productUpdate":          fmt.Sprintf(`mutation { productUpdate(id: %q, input: {unit: "u"}) { userErrors { code } } }`, f.product),
		"contractCreate":         fmt.Sprintf(`mutation { contractCreate(input: {number: "X", accountID: %q, startDate: "2026-01-01T00:00:00Z", endDate: "2026-02-01T00:00:00Z"}) { userErrors { code } } }`, f.parent),
		"contractUpdate":         fmt.Sprintf(`mutation { contractUpdate(id: %q, input: {autoRenew: true}) { userErrors { code } } }`, f.contract),
		"contractItemCreate":     fmt.Sprintf(`mutation { contractItemCreate(input: {contractID: %q, productID: %q, quantity: 1}) { userErrors { code } } }`, f.contract, f.product),
		"contractItemUpdate":     fmt.Sprintf(`mutation { contractItemUpdate(id: %q, input: {quantity: 2}) { userErrors { code } } }`, f.item),
	}
	for _, m := range policy.Mutations {
		q, ok := calls[m.Name]
		if !ok {
			t.Errorf("no test call for mutation %s", m.Name)
			continue
		}
		vs := append(viewers(),
			&viewer.Viewer{Subject: "svc-writer", Roles: []string{viewer.RoleIntegration}, Scopes: []string{"accounts:write", "contracts:write", "requests:write"}},
			&viewer.Viewer{Subject: "svc-ops", Roles: []string{viewer.RoleIntegration}, Scopes: []string{"orders:write", "orders:provision", "billing:write", "health:write", "requests:write"}})
		for _, v := range vs {
			t.Run(m.Name+"/"+strings.Join(v.Roles, ",")+"+"+strings.Join(v.Scopes, ","), func(t *testing.T) {
				before := dump(t, db.Client)
				res := srv.PostAs(tokenFor(t, srv, v), q, nil)
				forbidden := len(res.Errors) == 1 && res.Errors[0].Code() == "FORBIDDEN"
				switch want := policy.CanCall(v, m.Name); {
				case want && len(res.Errors) > 0:
					t.Errorf("allowed call failed: %s", res.Raw)
				case !want && !forbidden:
					t.Errorf("forbidden call not refused: %s", res.Raw)
				case !want && dump(t, db.Client) != before:
					t.Errorf("a refused call changed the database")
				}
			})
		}
	}
}

// The GraphQL UserErrorCode enum and usererr.AllCodes name the same codes.
func TestUserErrorCodesMatchTheSchema(t *testing.T) {
	srv := apitest.New(t, testdb.Open(t, dialect.SQLite))
	var data struct {
		Type struct{ EnumValues []struct{ Name string } } `json:"__type"`
	}
	srv.Post(`{ __type(name: "UserErrorCode") { enumValues { name } } }`, nil).MustData(t, &data)
	var schema, code []string
	for _, v := range data.Type.EnumValues {
		schema = append(schema, v.Name)
	}
	for _, c := range usererr.AllCodes {
		code = append(code, string(c))
	}
	slices.Sort(schema)
	slices.Sort(code)
	if !slices.Equal(schema, code) {
		t.Fatalf("schema %v\ncode   %v", schema, code)
	}
}
