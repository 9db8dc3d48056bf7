package graph_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/opsgraph/opsgraph/graph"
	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/cost"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/server"
	"github.com/opsgraph/opsgraph/internal/store"
)

// The N+1 walk. Every root connection of Query is walked from the schema
// (not from a list kept by hand): from its node, every object field and
// every connection field, and from theirs, to walkLevels edges below the
// root node (each object field or connection is one edge; a connection at
// level 3 ends at depth 12, the server's depth limit, with __typename,
// which the depth limit does not count). Scalars are left out but for id
// (or __typename where id would pass the depth limit), and each
// connection's totalCount. Every connection is asked for first: $n, and
// every list sized by an argument (Account.healthHistory's last) for $n.
//
// Each level-1 field of a root is its own query (a whole root in one query
// would pass the field and token limits, which stay in force; only the
// cost limit is lifted). Every query runs as ADMIN, who may read every
// field, with $n = walkSmall and $n = walkLarge on both databases, and the
// SQL statements it runs must be the same for both.
//
// Left out: Query.node and Query.nodes (they need IDs and are not
// connections), the report objects that are not connections
// (billingReconciliation, dataQuality, healthModel, healthOverview,
// orderPipeline, requestQueue: one aggregate each, no pages), and the
// introspection fields. No field of the walk needs an argument it cannot
// fill; walkFields skips and reports any that would.
const (
	walkLevels = 3
	walkSmall  = 2
	walkLarge  = 10
)

// walkSel is one field of a walk query and what it selects.
type walkSel struct {
	name     string
	args     string // e.g. "(first: $n)"
	conn     bool   // a Relay connection: totalCount and edges { node { … } }
	extra    []string
	leaf     string // the node's or object's own scalar: id or __typename
	children []*walkSel
}

// walkRoot is one root connection and its queries, one per level-1 field.
type walkRoot struct {
	name    string
	queries []*walkSel
}

func walkIsConnection(s *ast.Schema, d *ast.Definition) bool {
	if d == nil || d.Kind != ast.Object || !strings.HasSuffix(d.Name, "Connection") {
		return false
	}
	edges := d.Fields.ForName("edges")
	return edges != nil && s.Types[edges.Type.Name()].Fields.ForName("node") != nil
}

func walkNodeType(s *ast.Schema, conn *ast.Definition) *ast.Definition {
	edge := s.Types[conn.Fields.ForName("edges").Type.Name()]
	return s.Types[edge.Fields.ForName("node").Type.Name()]
}

// walkArgs fills a field's paging argument with $n and reports whether
// every required argument is filled.
func walkArgs(f *ast.FieldDefinition, conn bool) (string, bool) {
	var args []string
	for _, a := range f.Arguments {
		switch {
		case conn && a.Name == "first", !conn && (a.Name == "last" || a.Name == "limit") && a.Type.Name() == "Int":
			args = append(args, a.Name+": $n")
		case a.Type.NonNull && a.DefaultValue == nil:
			return "", false
		}
	}
	if len(args) == 0 {
		return "", true
	}
	return "(" + strings.Join(args, ", ") + ")", true
}

// walkLeaf is the scalar an object at depth selects: its id if that is
// within the depth limit, else __typename (free).
func walkLeaf(d *ast.Definition, depth int) string {
	if d.Fields.ForName("id") != nil && depth+1 <= cost.DefaultMaxDepth {
		return "id"
	}
	return "__typename"
}

// walkFields selects the object and connection fields of an object of type
// d at edge level and field depth (d's own field depth), recursing to
// walkLevels.
func walkFields(t *testing.T, s *ast.Schema, d *ast.Definition, level, depth int) []*walkSel {
	if level >= walkLevels {
		return nil
	}
	var out []*walkSel
	for _, f := range d.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		ft := s.Types[f.Type.Name()]
		if ft.Kind != ast.Object && ft.Kind != ast.Interface && ft.Kind != ast.Union {
			continue
		}
		conn := walkIsConnection(s, ft)
		args, ok := walkArgs(f, conn)
		if !ok {
			t.Logf("walk: skipping %s.%s: a required argument the walk cannot fill", d.Name, f.Name)
			continue
		}
		sel := &walkSel{name: f.Name, args: args, conn: conn}
		child, childDepth := ft, depth+1
		if conn {
			child, childDepth = walkNodeType(s, ft), depth+3
		}
		if childDepth > cost.DefaultMaxDepth {
			t.Logf("walk: skipping %s.%s: past the depth limit", d.Name, f.Name)
			continue
		}
		if child.Kind == ast.Object {
			sel.leaf = walkLeaf(child, childDepth)
			sel.children = walkFields(t, s, child, level+1, childDepth)
		} else {
			sel.leaf = "__typename"
		}
		out = append(out, sel)
	}
	return out
}

// walkRoots lists Query's connections and their walk queries.
func walkRoots(t *testing.T, s *ast.Schema) []walkRoot {
	var roots []walkRoot
	for _, f := range s.Query.Fields {
		conn := s.Types[f.Type.Name()]
		if !walkIsConnection(s, conn) {
			continue
		}
		args, ok := walkArgs(f, true)
		if !ok {
			t.Logf("walk: skipping Query.%s: a required argument the walk cannot fill", f.Name)
			continue
		}
		node := walkNodeType(s, conn)
		root := &walkSel{name: f.Name, args: args, conn: true, leaf: walkLeaf(node, 3)}
		// The connection's own objects (a report's counts by kind or month).
		for _, cf := range conn.Fields {
			if ct := s.Types[cf.Type.Name()]; cf.Name != "edges" && cf.Name != "pageInfo" && ct.Kind == ast.Object {
				root.extra = append(root.extra, cf.Name+" { __typename }")
			}
		}
		r := walkRoot{name: f.Name}
		children := walkFields(t, s, node, 0, 3)
		if len(children) == 0 {
			r.queries = []*walkSel{root}
		}
		for _, c := range children {
			q := *root
			q.children = []*walkSel{c}
			r.queries = append(r.queries, &q)
		}
		roots = append(roots, r)
	}
	return roots
}

func (w *walkSel) write(b *strings.Builder) {
	b.WriteString(w.name + w.args + " { ")
	if w.conn {
		b.WriteString("totalCount ")
		for _, e := range w.extra {
			b.WriteString(e + " ")
		}
		b.WriteString("edges { node { ")
	}
	b.WriteString(w.leaf + " ")
	for _, c := range w.children {
		c.write(b)
	}
	if w.conn {
		b.WriteString("} } ")
	}
	b.WriteString("} ")
}

func (w *walkSel) query() string {
	var b strings.Builder
	b.WriteString("query($n: Int) { ")
	w.write(&b)
	b.WriteString("}")
	return b.String()
}

// count adds to objects[level] the objects v (w's value) holds at level
// (a connection's edges, a list's elements, a non-null object) and to
// paths[w] those of w alone.
func (w *walkSel) count(t *testing.T, v json.RawMessage, level int, objects map[int]int, paths map[*walkSel]int) {
	var nodes []json.RawMessage
	switch {
	case w.conn:
		var c struct {
			Edges []struct{ Node json.RawMessage }
		}
		if err := json.Unmarshal(v, &c); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		for _, e := range c.Edges {
			nodes = append(nodes, e.Node)
		}
	case len(v) > 0 && v[0] == '[':
		if err := json.Unmarshal(v, &nodes); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
	case len(v) > 0 && string(v) != "null":
		nodes = []json.RawMessage{v}
	}
	objects[level] += len(nodes)
	paths[w] += len(nodes)
	for _, n := range nodes {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(n, &fields); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		for _, c := range w.children {
			c.count(t, fields[c.name], level+1, objects, paths)
		}
	}
}

// prune returns w without the fields that returned nothing (paths[f] == 0),
// and adds the number of fields kept and dropped to kept and dropped.
func (w *walkSel) prune(paths map[*walkSel]int, kept, dropped *int) *walkSel {
	p := *w
	p.children = nil
	for _, c := range w.children {
		if paths[c] == 0 {
			*dropped += c.size()
			continue
		}
		*kept++
		p.children = append(p.children, c.prune(paths, kept, dropped))
	}
	return &p
}

func (w *walkSel) size() int {
	n := 1
	for _, c := range w.children {
		n += c.size()
	}
	return n
}

// walkSpread is how many statements a root may add with the larger page
// for a reason other than its rows: the hygiene report reads its kinds one
// after the other until the page is full, one statement per kind (4 kinds;
// see accAPIStatements).
var walkSpread = map[string]int64{"renewalHygiene": 3}

// run posts q with $n = n and returns its statements, its objects per
// level and per field.
func (w *walkSel) run(t *testing.T, srv *apitest.Server, db *store.DB, n int) (int64, map[int]int, map[*walkSel]int) {
	db.Counter.Reset()
	res := srv.Post(w.query(), map[string]any{"n": n})
	statements := db.Counter.Count()
	var data map[string]json.RawMessage
	res.MustData(t, &data)
	objects, paths := map[int]int{}, map[*walkSel]int{}
	w.count(t, data[w.name], 0, objects, paths)
	return statements, objects, paths
}

func TestSchemaWalkStatementsDoNotGrowWithPageSize(t *testing.T) {
	roots := walkRoots(t, graph.NewSchema(nil, graph.Options{}).Schema())
	if len(roots) < 10 {
		t.Fatalf("the walk found %d root connections", len(roots))
	}
	seedtest.EachDemo(t, demoNow, func(t *testing.T, db *store.DB) {
		// walkLarge⁴ objects per path are far over the default cost limit,
		// which is not what this test is about. The reports run as of the
		// demo clock, so their connections have rows.
		srv := apitest.NewWith(t, db, func(o *server.Options) {
			o.Limits.MaxCost = 1 << 30
			o.Now = func() time.Time { return demoNow }
		})
		var summary []string
		for _, r := range roots {
			statements := map[int]int64{}
			objects := map[int]map[int]int{walkSmall: {}, walkLarge: {}}
			kept, dropped := 0, 0
			for _, q := range r.queries {
				// A field that returns nothing on the small page runs no
				// statements below it (ent loads no edges of no rows), and
				// an edge whose foreign keys are all null none at all, so
				// such fields are compared only where the small page has
				// rows: the fields that returned nothing are dropped and
				// the query asked again.
				_, _, paths := q.run(t, srv, db, walkSmall)
				q = q.prune(paths, &kept, &dropped)
				branch := map[int]int64{}
				for _, n := range []int{walkSmall, walkLarge} {
					var objs map[int]int
					branch[n], objs, _ = q.run(t, srv, db, n)
					statements[n] += branch[n]
					for l, c := range objs {
						objects[n][l] += c
					}
				}
				if branch[walkLarge]-branch[walkSmall] > walkSpread[r.name] || branch[walkLarge] < branch[walkSmall] {
					what := r.name
					if len(q.children) > 0 {
						what += "." + q.children[0].name
					}
					t.Errorf("%s: %d statements with first %d, %d with first %d (N+1)\n%s",
						what, branch[walkSmall], walkSmall, branch[walkLarge], walkLarge, q.query())
				}
			}
			small, large := objects[walkSmall], objects[walkLarge]
			if large[0] <= small[0] {
				t.Errorf("%s: first %d returned %d nodes, first %d %d: the data does not fill a page",
					r.name, walkLarge, large[0], walkSmall, small[0])
			}
			grew := false
			var levels []string
			for l := 1; l <= walkLevels; l++ {
				grew = grew || large[l] > small[l]
				levels = append(levels, fmt.Sprintf("L%d %d→%d", l, small[l], large[l]))
			}
			if !grew && kept > 0 {
				t.Errorf("%s: no nested level returned more objects with the larger page (%s): the walk proves nothing below the root",
					r.name, strings.Join(levels, ", "))
			}
			summary = append(summary, fmt.Sprintf("%-25s %2d queries, %3d fields compared (%3d without rows), %4d→%4d statements; objects L0 %d→%d, %s",
				r.name, len(r.queries), kept, dropped, statements[walkSmall], statements[walkLarge], small[0], large[0], strings.Join(levels, ", ")))
		}
		t.Logf("SQL statements per root, first %d → first %d:\n%s", walkSmall, walkLarge, strings.Join(summary, "\n"))
	})
}
