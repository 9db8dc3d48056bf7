package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/opsgraph/opsgraph/graph/generated"
	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/server"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// requestLog hands a test each request's log record, in order, so it can
// see how a request was answered (compiled or executed, SQL statements).
type requestLog chan map[string]any

func (l requestLog) Enabled(context.Context, slog.Level) bool { return true }
func (l requestLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l requestLog) WithGroup(string) slog.Handler            { return l }
func (l requestLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "request" {
		return nil
	}
	m := map[string]any{}
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value.Any()
		return true
	})
	l <- m
	return nil
}

func (l requestLog) next(t *testing.T) map[string]any {
	t.Helper()
	select {
	case m := <-l:
		return m
	case <-time.After(time.Minute):
		t.Fatal("no request log record")
		return nil
	}
}

// compiledCase is one query of the differential corpus; compiles says
// whether an ADMIN's request must take the compiled path.
type compiledCase struct {
	name     string
	query    string
	vars     map[string]any
	compiles bool
}

// TestCompiledReadsMatchTheExecutor is the differential test of
// internal/lookahead: every query of a corpus built from the schema (every
// root connection with all its column fields, every edge to depth 3, each
// order field, pages of 1 to 50, totalCount, pageInfo, fragments, aliases,
// node(id:) of each type) is sent by every role to two servers over one
// PostgreSQL demo database, one answering with compiled statements and one
// with the executor only. Data, errors, status and extensions.cost must be
// equal; the queries the compiler claims are answered with one statement,
// and the ones it must decline (row rules, denied fields) are executed.
func TestCompiledReadsMatchTheExecutor(t *testing.T) {
	differential(t, seedtest.Demo(t, dialect.Postgres, demoNow), viewer.Roles)
}

// The same on empty tables, where every page and count is empty (a
// connection's subquery must still be one row).
func TestCompiledReadsMatchTheExecutorOnEmptyTables(t *testing.T) {
	differential(t, testdb.Open(t, dialect.Postgres), []string{viewer.RoleAdmin})
}

func differential(t *testing.T, db *store.DB, roles []string) {
	t.Helper()
	now := func() time.Time { return demoNow }
	log := make(requestLog, 1)
	compiled := apitest.NewWith(t, db, func(o *server.Options) {
		o.Now, o.CompiledReads, o.Logger = now, true, slog.New(log)
		o.Limits = roomyLimits
	})
	plain := apitest.NewWith(t, db, func(o *server.Options) {
		o.Now, o.Limits = now, roomyLimits
	})
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	corpus := compiledCorpus(t, schema, plain)

	compiledCount := 0
	for _, role := range roles {
		token := compiled.Token("differential-"+strings.ToLower(role)+"@opsgraph.example", role)
		cases := corpus
		if role != viewer.RoleAdmin {
			// Every other role gets the root queries and the hand-written
			// ones; the depth-3 walk is ADMIN's (it reads every field).
			cases = slices.DeleteFunc(slices.Clone(corpus), func(c compiledCase) bool { return strings.HasPrefix(c.name, "walk ") })
		}
		for _, c := range cases {
			got := compiled.PostAs(token, c.query, c.vars)
			rec := log.next(t)
			want := plain.PostAs(token, c.query, c.vars)
			label := role + " " + c.name
			compareResponses(t, label, got, want)
			isCompiled := rec["compiled"] == true
			if isCompiled {
				compiledCount++
				if n, _ := rec["sql_statements"].(int64); n != 1 {
					t.Errorf("%s: compiled, but %d SQL statements", label, n)
				}
			}
			if role == viewer.RoleAdmin && c.compiles && !isCompiled {
				t.Errorf("%s: ADMIN's query was not compiled:\n%s", label, c.query)
			}
			// A CSM reads accounts and what hangs off them through the row
			// rules of their book, which the compiler leaves to the
			// executor (users and products they read whole).
			if role == viewer.RoleCSM && isCompiled && (strings.Contains(c.name, "accounts") || c.name == "Q1" || c.name == "Q2" || c.name == "node Account") {
				t.Errorf("%s: compiled for a CSM, whose row rules the compiler must leave to the executor", label)
			}
		}
	}
	t.Logf("%d queries × roles, %d answered compiled", len(corpus), compiledCount)
}

// roomyLimits let the depth-3 walk through: this test is about answers,
// not limits.
var roomyLimits = server.Limits{MaxCost: 1_000_000, MaxDepth: 30, MaxFields: 100_000, MaxAliases: 1_000, MaxTokens: 1_000_000}

// compareResponses fails unless both responses have the same status, data,
// errors and cost (requested and actual).
func compareResponses(t *testing.T, label string, got, want *apitest.Response) {
	t.Helper()
	if got.Status != want.Status {
		t.Errorf("%s: status %d, executor %d", label, got.Status, want.Status)
	}
	var gd, wd any
	_ = json.Unmarshal(got.Data, &gd)
	_ = json.Unmarshal(want.Data, &wd)
	if !reflect.DeepEqual(gd, wd) {
		t.Errorf("%s: data differs\ncompiled: %s\nexecutor: %s", label, clip(got.Data), clip(want.Data))
	}
	if !reflect.DeepEqual(errorKeys(got.Errors), errorKeys(want.Errors)) {
		t.Errorf("%s: errors differ\ncompiled: %v\nexecutor: %v", label, got.Errors, want.Errors)
	}
	gc, _ := got.Extensions["cost"].(map[string]any)
	wc, _ := want.Extensions["cost"].(map[string]any)
	for _, k := range []string{"requested", "actual"} {
		if gc[k] != wc[k] {
			t.Errorf("%s: extensions.cost.%s %v, executor %v", label, k, gc[k], wc[k])
		}
	}
}

func errorKeys(errs []apitest.Error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, fmt.Sprintf("%s %v %s", e.Code(), e.Path, e.Message))
	}
	slices.Sort(out)
	return out
}

func clip(b []byte) string {
	if len(b) > 1500 {
		return string(b[:1500]) + "…"
	}
	return string(b)
}

// compiledCorpus builds the differential corpus from the schema. It reads
// one id of each entity type through the executor for node(id:).
func compiledCorpus(t *testing.T, schema *ast.Schema, srv *apitest.Server) []compiledCase {
	t.Helper()
	g := corpusGen{schema: schema}
	var out []compiledCase
	var roots []*ast.FieldDefinition
	for _, f := range schema.Query.Fields {
		if g.entityOfConnection(f) != "" {
			roots = append(roots, f)
		}
	}
	if len(roots) < 10 {
		t.Fatalf("only %d root entity connections found", len(roots))
	}
	for _, f := range roots {
		typ := g.entityOfConnection(f)
		node := g.leaves(typ) + " " + g.uniqueEdges(typ, g.leaves)
		out = append(out, compiledCase{
			name:     "root " + f.Name,
			query:    fmt.Sprintf("{ %s(first: 5) { totalCount pageInfo { hasNextPage hasPreviousPage } edges { node { %s } } } }", f.Name, node),
			compiles: true,
		})
		// Each edge of the type to depth 3: level 1 with its leaves, level
		// 2 with its leaves and ids of level 3.
		for _, e := range g.edges(typ) {
			third := func(typ string) string {
				return "__typename " + g.uniqueEdges(typ, func(string) string { return "id" }) + " " + g.connectionEdges(typ, 2, func(string) string { return "id" })
			}
			second := func(typ string) string {
				return g.leaves(typ) + " " + g.uniqueEdges(typ, third) + " " + g.connectionEdges(typ, 2, third)
			}
			out = append(out, compiledCase{
				name:     "walk " + f.Name + "." + e.Name,
				query:    fmt.Sprintf("{ %s(first: 3) { edges { node { id %s } } } }", f.Name, g.edgeSelection(e, 3, second)),
				compiles: true,
			})
		}
		for i, v := range g.orderFields(f) {
			dir := []string{"ASC", "DESC"}[i%2]
			out = append(out, compiledCase{
				name:     fmt.Sprintf("order %s %s %s", f.Name, v, dir),
				query:    fmt.Sprintf("query($n: Int) { %s(first: $n, orderBy: [{field: %s, direction: %s}]) { pageInfo { hasNextPage } edges { node { id %s } } } }", f.Name, v, dir, g.leaves(typ)),
				vars:     map[string]any{"n": []int{1, 7, 50}[i%3]},
				compiles: true,
			})
		}
	}
	// Shapes the generated cases do not have.
	out = append(out,
		compiledCase{name: "Q1", compiles: true, query: `query Q1 { accounts(first: 50) { edges { node { id name segment region lifecycleStage contracts(first: 8) { edges { node { id number status startDate endDate arrMinor currency entitlements(first: 10) { edges { node { id kind limit usage status activeFrom activeTo } } } } } } } } } }`},
		compiledCase{name: "aliases and two roots", compiles: true, query: `{ a: accounts(first: 2, orderBy: {field: NAME, direction: DESC}) { n: totalCount e: edges { x: node { i: id k: name } } } b: products(first: 3) { edges { node { sku } } } t: __typename }`},
		compiledCase{name: "fragments", compiles: true, query: `query { accounts(first: 4) { ...Page } } fragment Page on AccountConnection { edges { node { ...Acc ... on Account { region } } } } fragment Acc on Account { id name owner { ... on User { email } } }`},
		compiledCase{name: "two order fields", compiles: true, query: `{ accounts(first: 20, orderBy: [{field: SEGMENT}, {field: NAME, direction: DESC}]) { edges { node { id segment name } } } }`},
		compiledCase{name: "__typename only", compiles: true, query: `{ __typename }`},
		compiledCase{name: "connection typenames", compiles: true, query: `{ accounts(first: 2) { __typename pageInfo { __typename hasNextPage } edges { __typename node { __typename id } } } }`},
		compiledCase{name: "page info only", compiles: true, query: `{ orders(first: 3) { pageInfo { hasPreviousPage } } }`},
		compiledCase{name: "declined hasNextPage without edges", query: `{ orders(first: 3) { pageInfo { hasNextPage } } accounts(first: 5) { edges { node { children(first: 1) { pageInfo { hasNextPage } } } } } }`},
		compiledCase{name: "totalCount only", compiles: true, query: `{ accounts(first: 3) { totalCount } contracts { pageInfo { hasPreviousPage } } }`},
		compiledCase{name: "nested totalCount only, often empty", compiles: true, query: `{ accounts(first: 20) { edges { node { id children(first: 2) { totalCount pageInfo { hasPreviousPage __typename } } requests(first: 1) { totalCount } } } } }`},
		compiledCase{name: "nested pages, often empty", compiles: true, query: `{ accounts(first: 20) { edges { node { id children(first: 2) { pageInfo { hasNextPage } edges { node { id } } } orders(first: 1) { edges { node { id } } } } } } }`},
		compiledCase{name: "default page size", compiles: true, query: `{ accounts { totalCount edges { node { id contracts { totalCount edges { node { id } } } } } } }`},
		// Declined: the executor answers, and must answer the same.
		compiledCase{name: "declined after", query: `{ accounts(first: 2, after: "bad") { edges { node { id } } } }`},
		compiledCase{name: "declined where", query: `{ accounts(first: 2, where: {nameContains: "a"}) { edges { node { id name } } } }`},
		compiledCase{name: "declined last", query: `{ accounts(last: 2) { edges { node { id } } } }`},
		compiledCase{name: "declined directive", query: `query($x: Boolean!) { accounts(first: 2) { edges { node { id name @include(if: $x) } } } }`, vars: map[string]any{"x": true}},
		compiledCase{name: "declined cursor", query: `{ accounts(first: 2) { edges { cursor node { id } } pageInfo { endCursor } } }`},
		compiledCase{name: "declined hand-written root", query: `{ healthModel { version } accounts(first: 1) { totalCount } }`},
		compiledCase{name: "declined unknown field", query: `{ accounts(first: 2) { edges { node { nope } } } }`},
	)
	for _, typ := range g.nodeTypes() {
		id := firstID(t, srv, g, typ)
		if id == "" {
			continue
		}
		out = append(out, compiledCase{
			name:     "node " + typ,
			query:    fmt.Sprintf("query($id: ID!) { node(id: $id) { __typename id ... on %s { %s %s } } }", typ, g.leaves(typ), g.uniqueEdges(typ, g.leaves)),
			vars:     map[string]any{"id": id},
			compiles: true,
		})
	}
	out = append(out,
		compiledCase{name: "node missing", compiles: true, query: `query($id: ID!) { node(id: $id) { id } }`, vars: map[string]any{"id": "YWNjb3VudHM6NDI5NDk2NzI5NQ"}},
		compiledCase{name: "node bad id", query: `{ node(id: "not-an-id") { id } }`},
	)
	if id := firstID(t, srv, g, "Account"); id != "" {
		out = append(out, compiledCase{name: "Q2", compiles: true, query: `query Q2($id: ID!) { node(id: $id) { ... on Account { id name segment lifecycleStage healthSignals(first: 20, orderBy: [{field: OBSERVED_AT, direction: DESC}]) { edges { node { id kind value observedAt source } } } } } }`, vars: map[string]any{"id": id}})
	}
	return out
}

// firstID reads one global id of an entity type through the executor.
func firstID(t *testing.T, srv *apitest.Server, g corpusGen, typ string) string {
	t.Helper()
	for _, f := range g.schema.Query.Fields {
		if g.entityOfConnection(f) != typ {
			continue
		}
		var data map[string]struct {
			Edges []struct{ Node struct{ ID string } }
		}
		srv.Post(fmt.Sprintf("{ c: %s(first: 1) { edges { node { id } } } }", f.Name), nil).MustData(t, &data)
		if e := data["c"].Edges; len(e) > 0 {
			return e[0].Node.ID
		}
	}
	return ""
}

// corpusGen builds selections from the schema's entity types: the object
// types implementing Node that the ent schema file declares.
type corpusGen struct{ schema *ast.Schema }

func fromEnt(pos *ast.Position) bool {
	return pos != nil && pos.Src != nil && strings.HasSuffix(pos.Src.Name, "ent.graphql")
}

func (g corpusGen) isEntity(typ string) bool {
	d := g.schema.Types[typ]
	return d != nil && d.Kind == ast.Object && slices.Contains(d.Interfaces, "Node") && fromEnt(d.Position)
}

func (g corpusGen) entityOfConnection(f *ast.FieldDefinition) string {
	name := f.Type.Name()
	if !fromEnt(f.Position) || !strings.HasSuffix(name, "Connection") || g.schema.Types[name] == nil {
		return ""
	}
	if typ := strings.TrimSuffix(name, "Connection"); g.isEntity(typ) {
		return typ
	}
	return ""
}

func (g corpusGen) nodeTypes() []string {
	var out []string
	for name := range g.schema.Types {
		if g.isEntity(name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// leaves selects every column-like field of typ: the ent schema's scalar
// and enum fields without arguments.
func (g corpusGen) leaves(typ string) string {
	var out []string
	for _, f := range g.schema.Types[typ].Fields {
		if !fromEnt(f.Position) || len(f.Arguments) > 0 || f.Type.Elem != nil {
			continue
		}
		d := g.schema.Types[f.Type.Name()]
		switch {
		case slices.Contains([]string{"ID", "String", "Int", "Int64", "Float", "Boolean", "Time"}, f.Type.Name()), d != nil && d.Kind == ast.Enum:
			out = append(out, f.Name)
		}
	}
	return strings.Join(out, " ")
}

// edges are typ's fields leading to another entity: unique edges and
// connections.
func (g corpusGen) edges(typ string) []*ast.FieldDefinition {
	var out []*ast.FieldDefinition
	for _, f := range g.schema.Types[typ].Fields {
		if !fromEnt(f.Position) {
			continue
		}
		if g.entityOfConnection(f) != "" || (f.Type.Elem == nil && g.isEntity(f.Type.Name())) {
			out = append(out, f)
		}
	}
	return out
}

func (g corpusGen) edgeSelection(f *ast.FieldDefinition, first int, inner func(string) string) string {
	if typ := g.entityOfConnection(f); typ != "" {
		return fmt.Sprintf("%s(first: %d) { totalCount pageInfo { hasNextPage } edges { node { id %s } } }", f.Name, first, inner(typ))
	}
	return fmt.Sprintf("%s { id %s }", f.Name, inner(f.Type.Name()))
}

func (g corpusGen) uniqueEdges(typ string, inner func(string) string) string {
	var out []string
	for _, f := range g.edges(typ) {
		if g.entityOfConnection(f) == "" {
			out = append(out, g.edgeSelection(f, 0, inner))
		}
	}
	return strings.Join(out, " ")
}

func (g corpusGen) connectionEdges(typ string, first int, inner func(string) string) string {
	var out []string
	for _, f := range g.edges(typ) {
		if g.entityOfConnection(f) != "" {
			out = append(out, g.edgeSelection(f, first, inner))
		}
	}
	return strings.Join(out, " ")
}

// orderFields lists the order field enum values of a connection field.
func (g corpusGen) orderFields(f *ast.FieldDefinition) []string {
	a := f.Arguments.ForName("orderBy")
	if a == nil {
		return nil
	}
	in := g.schema.Types[a.Type.Name()]
	if in == nil || in.Fields.ForName("field") == nil {
		return nil
	}
	enum := g.schema.Types[in.Fields.ForName("field").Type.Name()]
	var out []string
	for _, v := range enum.EnumValues {
		out = append(out, v.Name)
	}
	return out
}
