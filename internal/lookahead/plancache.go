package lookahead

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/opsgraph/opsgraph/ent/schema/gid"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// planCacheSize bounds the compiled (and declined) operations kept.
const planCacheSize = 1024

// planCache remembers what Compile answered for an operation: compiling is
// string building that cost 10 % of the server's CPU for a point lookup,
// and clients send the same few operations over and over. What Compile
// decides depends on the document, the operation, the viewer's roles,
// scopes and system flag (the field matrix and the row rules) and the
// variables; a node id variable only through the table it names (its value
// is a statement parameter), so requests for different accounts share one
// entry.
type planCache struct {
	mu sync.Mutex
	m  map[planKey]*template
}

type planKey struct {
	op     *ast.OperationDefinition // of a document gqlgen keeps parsed
	viewer string
	vars   string
}

// template is what compiling an operation gives: its statement with the
// parameters still to bind, or the reason it is declined.
type template struct {
	sql, path string
	params    []param
	reason    string // the decline; "" when compiled
}

// key returns the cache key of oc for v; false when the operation cannot
// be cached (a variable that does not encode).
func (c *planCache) key(oc *graphql.OperationContext, v *viewer.Viewer) (planKey, bool) {
	if oc == nil || oc.Operation == nil || v == nil {
		return planKey{}, false
	}
	var b strings.Builder
	b.WriteString(strings.Join(v.Roles, ","))
	b.WriteByte('|')
	b.WriteString(strings.Join(v.Scopes, " "))
	b.WriteString("|" + strconv.FormatBool(v.System))
	k := planKey{op: oc.Operation, viewer: b.String()}
	b.Reset()
	for _, d := range oc.Operation.VariableDefinitions {
		val := oc.Variables[d.Variable]
		b.WriteString(d.Variable + "=")
		if s, ok := val.(string); ok && d.Type.Elem == nil && d.Type.NamedType == "ID" {
			if id, err := gid.Decode(s); err == nil {
				table, _ := gid.TableOf(id)
				b.WriteString("@" + table + ";")
				continue
			}
		}
		raw, err := json.Marshal(val)
		if err != nil {
			return planKey{}, false
		}
		b.Write(raw)
		b.WriteByte(';')
	}
	k.vars = b.String()
	return k, true
}

func (c *planCache) get(k planKey) (*template, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	return e, ok
}

func (c *planCache) put(k planKey, e *template) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[planKey]*template{}
	}
	for old := range c.m { // full: drop one at random
		if len(c.m) < planCacheSize {
			break
		}
		delete(c.m, old)
	}
	c.m[k] = e
}

// bind returns the plan with this request's parameters: a node id
// variable's value decoded (a cached template's key guarantees it names the
// table the template was compiled for).
func (e *template) bind(vars map[string]any) (*Plan, string) {
	if e.sql == "" {
		return nil, e.reason
	}
	args := make([]any, len(e.params))
	for i, p := range e.params {
		args[i] = p.value
		if p.variable == "" {
			continue
		}
		s, _ := vars[p.variable].(string)
		id, err := gid.Decode(s)
		if err != nil {
			return nil, "node id does not decode" // not reached: compile decoded it
		}
		args[i] = int64(id)
	}
	return &Plan{SQL: e.sql, Args: args, Path: e.path}, ""
}
