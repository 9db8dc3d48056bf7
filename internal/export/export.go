// Package export serves CSV downloads of the reports and of every root
// connection: GET /export/<name>.csv?<arguments>.
//
// An export is GraphQL underneath: it runs the report or connection query
// through the same GraphQL handler, as the same viewer, so authorization,
// row rules and page limits are exactly those of the API. Columns the viewer
// may not read are left out (not blanked). Connections are fetched a page of
// 100 rows at a time and each page is written and flushed before the next
// is fetched, so an export of any size runs in constant memory.
package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/opsgraph/opsgraph/internal/policy"
	"github.com/opsgraph/opsgraph/internal/trusted"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// pageSize is the number of connection rows fetched per GraphQL request.
const pageSize = 100

// Handler serves the exports of schema by running queries on gql, which
// must expect the viewer in the request context (authentication happens
// before this handler).
func Handler(schema *ast.Schema, gql http.Handler) http.Handler {
	tables := Tables(schema)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutSuffix(r.PathValue("file"), ".csv")
		t, known := tables[name]
		if !ok || !known {
			httpError(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("no export %q; see docs/reports.md for the list", r.PathValue("file")))
			return
		}
		run(w, r, schema, gql, t)
	})
}

// Table is one CSV export: the rows a query field returns.
type Table struct {
	// Name is the file name without .csv.
	Name string
	// Root is the Query field.
	Root string
	// Rows is the path from the root field's value to the list of rows;
	// empty for a connection (its edges' nodes).
	Rows []string
	// Columns are dotted field paths relative to a row.
	Columns []string
}

// connection reports whether t pages through a connection.
func (t Table) connection() bool { return len(t.Rows) == 0 }

// Tables returns every export of schema by name: the reports' tables and
// one per root connection of an entity (all scalar fields and the ids of
// linked records).
func Tables(schema *ast.Schema) map[string]Table {
	out := map[string]Table{}
	for _, t := range reportTables {
		out[t.Name] = t
	}
	for _, f := range schema.Query.Fields {
		node := strings.TrimSuffix(f.Type.Name(), "Connection")
		if node == f.Type.Name() || !policy.IsEntity(node) || f.Arguments.ForName("where") == nil {
			continue
		}
		out[f.Name] = Table{Name: f.Name, Root: f.Name, Columns: entityColumns(schema, node)}
	}
	return out
}

// entityColumns are a node type's scalar and enum fields, and id of each
// linked single record.
func entityColumns(schema *ast.Schema, typ string) []string {
	var cols []string
	for _, f := range schema.Types[typ].Fields {
		named := schema.Types[f.Type.Name()]
		switch {
		case f.Type.Elem != nil || len(f.Arguments) > 0:
		case named.Kind == ast.Scalar || named.Kind == ast.Enum:
			cols = append(cols, f.Name)
		case policy.IsEntity(named.Name):
			cols = append(cols, f.Name+".id")
		}
	}
	return cols
}

// readable keeps the columns whose every step the viewer may read.
func readable(schema *ast.Schema, typ string, cols []string, v *viewer.Viewer) []string {
	var out []string
	for _, c := range cols {
		t, ok := typ, true
		for _, step := range strings.Split(c, ".") {
			def := schema.Types[t].Fields.ForName(step)
			if def == nil {
				ok = false
				break
			}
			if f, entity := policy.Lookup(t, step); entity && !policy.CanRead(v, f.Class) {
				ok = false
			}
			if class, report := policy.ReportField(t, step); report && !policy.CanRead(v, class) {
				ok = false
			}
			t = def.Type.Name()
		}
		if ok {
			out = append(out, c)
		}
	}
	return out
}

// rowType returns the GraphQL type of t's rows and the root field.
func rowType(schema *ast.Schema, t Table) (string, *ast.FieldDefinition, error) {
	root := schema.Query.Fields.ForName(t.Root)
	if root == nil {
		return "", nil, fmt.Errorf("export %s: no Query field %s", t.Name, t.Root)
	}
	typ := root.Type.Name()
	path := t.Rows
	if t.connection() {
		path = []string{"edges", "node"}
	}
	for _, step := range path {
		f := schema.Types[typ].Fields.ForName(step)
		if f == nil {
			return "", nil, fmt.Errorf("export %s: %s has no field %s", t.Name, typ, step)
		}
		typ = f.Type.Name()
	}
	return typ, root, nil
}

// leaves expands columns whose value is an object (e.g. a list of money
// amounts) into the object's scalar fields, for the selection; the cell
// still formats the whole value.
func leaves(schema *ast.Schema, typ string, cols []string) []string {
	var out []string
	for _, c := range cols {
		t := typ
		for _, step := range strings.Split(c, ".") {
			t = schema.Types[t].Fields.ForName(step).Type.Name()
		}
		def := schema.Types[t]
		if def.Kind != ast.Object {
			out = append(out, c)
			continue
		}
		for _, f := range def.Fields {
			if k := schema.Types[f.Type.Name()].Kind; k == ast.Scalar || k == ast.Enum {
				out = append(out, c+"."+f.Name)
			}
		}
	}
	return out
}

// selection writes the GraphQL selection of dotted paths.
func selection(paths []string) string {
	type node struct {
		name     string
		children []*node
	}
	root := &node{}
	for _, p := range paths {
		n := root
		for _, step := range strings.Split(p, ".") {
			i := slices.IndexFunc(n.children, func(c *node) bool { return c.name == step })
			if i < 0 {
				n.children = append(n.children, &node{name: step})
				i = len(n.children) - 1
			}
			n = n.children[i]
		}
	}
	var b strings.Builder
	var write func(n *node)
	write = func(n *node) {
		for i, c := range n.children {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(c.name)
			if len(c.children) > 0 {
				b.WriteString(" { ")
				write(c)
				b.WriteString(" }")
			}
		}
	}
	write(root)
	return b.String()
}

// args turns the URL query into GraphQL variables for the arguments of def
// (and, for a report list, of the rows field): JSON values are taken as
// they are (where: {...}, kinds: ["A"]), anything else as a string, or a
// number when the argument is an Int or Float.
func args(q map[string][]string, defs ast.ArgumentDefinitionList, skip ...string) (decl, pass string, vars map[string]any, err error) {
	vars = map[string]any{}
	var d, p []string
	for _, a := range defs {
		if slices.Contains(skip, a.Name) {
			continue
		}
		vals, ok := q[a.Name]
		if !ok || len(vals) == 0 {
			continue
		}
		raw := vals[0]
		var v any
		switch named := a.Type.Name(); {
		case a.Type.Elem != nil && !strings.HasPrefix(strings.TrimSpace(raw), "["):
			v = strings.Split(raw, ",") // kinds=A,B
		case a.Type.Elem != nil || strings.HasSuffix(named, "Input") || strings.HasSuffix(named, "Order"):
			if err := json.Unmarshal([]byte(raw), &v); err != nil {
				return "", "", nil, fmt.Errorf("argument %s: not JSON: %v", a.Name, err)
			}
		case named == "Int" || named == "Float":
			n, perr := strconv.ParseFloat(raw, 64)
			if perr != nil {
				return "", "", nil, fmt.Errorf("argument %s: not a number", a.Name)
			}
			v = n
		case named == "Boolean":
			v = raw == "true"
		default:
			v = raw
		}
		vars[a.Name] = v
		d = append(d, "$"+a.Name+": "+a.Type.String())
		p = append(p, a.Name+": $"+a.Name)
	}
	return strings.Join(d, ", "), strings.Join(p, ", "), vars, nil
}

// run streams one export.
func run(w http.ResponseWriter, r *http.Request, schema *ast.Schema, gql http.Handler, t Table) {
	typ, root, err := rowType(schema, t)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "INTERNAL", err.Error())
		return
	}
	cols := readable(schema, typ, t.Columns, viewer.FromContext(r.Context()))
	if len(cols) == 0 {
		httpError(w, http.StatusForbidden, "FORBIDDEN", "no column of this export is readable with your access")
		return
	}
	q := r.URL.Query()
	decl, pass, vars, err := args(q, root.Arguments, "first", "after", "last", "before")
	if err != nil {
		httpError(w, http.StatusBadRequest, "BAD_USER_INPUT", err.Error())
		return
	}
	var inner string
	if t.connection() {
		decl = strings.TrimPrefix(decl+", $after: Cursor", ", ")
		pass = strings.TrimPrefix(pass+fmt.Sprintf(", first: %d, after: $after", pageSize), ", ")
		inner = "pageInfo { hasNextPage endCursor } edges { node { " + selection(leaves(schema, typ, cols)) + " } }"
	} else {
		// Arguments of the rows field (e.g. stuckOrders' olderThanHours).
		rowsDef := schema.Types[root.Type.Name()].Fields.ForName(t.Rows[0])
		d2, p2, v2, err := args(q, rowsDef.Arguments)
		if err != nil {
			httpError(w, http.StatusBadRequest, "BAD_USER_INPUT", err.Error())
			return
		}
		for k, v := range v2 {
			if _, clash := vars[k]; clash {
				httpError(w, http.StatusBadRequest, "BAD_USER_INPUT", "argument "+k+" is ambiguous")
				return
			}
			vars[k] = v
		}
		decl = strings.Trim(decl+", "+d2, ", ")
		sel := t.Rows[0]
		if p2 != "" {
			sel += "(" + p2 + ")"
		}
		inner = nest(append([]string{sel}, t.Rows[1:]...), selection(leaves(schema, typ, cols)))
		if root.Arguments.ForName("first") != nil { // a connection whose side list is exported
			pass = strings.Trim(pass+", first: 1", ", ")
		}
	}
	query := "query Export"
	if decl != "" {
		query += "(" + decl + ")"
	}
	query += " { r: " + t.Root
	if pass != "" {
		query += "(" + pass + ")"
	}
	query += " { " + inner + " } }"

	var out *csv.Writer
	flusher, _ := w.(http.Flusher)
	for after := any(nil); ; {
		if t.connection() {
			vars["after"] = after
		}
		data, status, body := execute(r, gql, query, vars)
		if status == http.StatusTooManyRequests && out != nil {
			// Mid-stream the subject's rate limit ran out: the rows sent so
			// far stay valid, so wait for the budget (as long as the client
			// stays) and go on with the same page.
			if wait(r.Context(), retryAfter(body)) {
				continue
			}
			return
		}
		if status != 0 {
			if out == nil {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				_, _ = w.Write(body)
			}
			return // mid-stream: the truncated file ends here
		}
		rows, next := extract(data, t)
		if out == nil {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", t.Name+".csv"))
			out = csv.NewWriter(w)
			_ = out.Write(cols)
		}
		for _, row := range rows {
			writeRecord(w, out, record(row, cols))
		}
		out.Flush()
		if flusher != nil {
			flusher.Flush()
		}
		if next == nil || out.Error() != nil {
			return
		}
		after = next
	}
}

// record is the CSV record of one row: a cell per column.
func record(row any, cols []string) []string {
	rec := make([]string, len(cols))
	for i, c := range cols {
		rec[i] = format(lookup(row, strings.Split(c, ".")))
	}
	return rec
}

// writeRecord writes rec to out, which writes to w. A record of one empty
// cell is written as "" because encoding/csv would write an empty line,
// which CSV readers skip: a one-column export would lose the row (found by
// FuzzCSV).
func writeRecord(w io.Writer, out *csv.Writer, rec []string) {
	if len(rec) == 1 && rec[0] == "" {
		out.Flush()
		_, _ = io.WriteString(w, "\"\"\n")
		return
	}
	_ = out.Write(rec)
}

// nest wraps sel in the path of fields.
func nest(path []string, sel string) string {
	s := sel
	for i := len(path) - 1; i >= 0; i-- {
		s = path[i] + " { " + s + " }"
	}
	return s
}

// execute runs one GraphQL request in-process, as the caller. A non-zero
// status reports a failure to pass on (with its body). The document is the
// export's own, built from its definition (the caller gives argument values
// only), so it is marked as the server's: a viewer restricted to trusted
// documents may export too.
func execute(r *http.Request, gql http.Handler, query string, vars map[string]any) (data json.RawMessage, status int, body []byte) {
	payload, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(trusted.Internal(r.Context()), http.MethodPost, "/graphql", bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	rec := &buffer{header: http.Header{}}
	gql.ServeHTTP(rec, req)
	var res struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(rec.body.Bytes(), &res); err != nil {
		return nil, http.StatusBadGateway, rec.body.Bytes()
	}
	if len(res.Errors) > 0 {
		status := http.StatusBadRequest
		switch res.Errors[0].Extensions["code"] {
		case "FORBIDDEN":
			status = http.StatusForbidden
		case "INTERNAL_SERVER_ERROR", "INTERNAL":
			status = http.StatusInternalServerError
		case "RATE_LIMITED":
			status = http.StatusTooManyRequests
		}
		return nil, status, rec.body.Bytes()
	}
	return res.Data, 0, nil
}

// retryAfter is the wait a RATE_LIMITED response asks for.
func retryAfter(body []byte) time.Duration {
	var res struct {
		Errors []struct {
			Extensions struct {
				RetryAfterSeconds float64 `json:"retryAfterSeconds"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	_ = json.Unmarshal(body, &res)
	if len(res.Errors) == 0 || res.Errors[0].Extensions.RetryAfterSeconds <= 0 {
		return time.Second
	}
	return time.Duration(res.Errors[0].Extensions.RetryAfterSeconds * float64(time.Second))
}

// wait sleeps d unless ctx ends first; it reports whether it slept.
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// extract returns the rows of one response and the cursor of the next page
// (nil when there is none).
func extract(data json.RawMessage, t Table) ([]any, any) {
	var doc map[string]any
	_ = json.Unmarshal(data, &doc)
	v := doc["r"]
	if t.connection() {
		conn, _ := v.(map[string]any)
		edges, _ := conn["edges"].([]any)
		rows := make([]any, 0, len(edges))
		for _, e := range edges {
			rows = append(rows, e.(map[string]any)["node"])
		}
		info, _ := conn["pageInfo"].(map[string]any)
		if more, _ := info["hasNextPage"].(bool); more {
			return rows, info["endCursor"]
		}
		return rows, nil
	}
	for _, step := range t.Rows {
		m, _ := v.(map[string]any)
		v = m[step]
	}
	rows, _ := v.([]any)
	return rows, nil
}

// lookup follows a dotted path through a row; through a list it collects
// the values of every element.
func lookup(v any, path []string) any {
	if len(path) == 0 {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		return lookup(x[path[0]], path[1:])
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			out = append(out, lookup(e, path))
		}
		return out
	}
	return nil
}

// format writes one cell: null is empty, lists are joined with "; ", money
// amounts read "USD 1234" (minor units), other objects are JSON.
func format(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = format(e)
		}
		return strings.Join(parts, "; ")
	case map[string]any:
		if cur, ok := x["currency"].(string); ok && len(x) == 2 {
			return cur + " " + format(x["amountMinor"])
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// buffer is an in-memory http.ResponseWriter for one page.
type buffer struct {
	header http.Header
	body   bytes.Buffer
	status int
}

func (b *buffer) Header() http.Header         { return b.header }
func (b *buffer) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *buffer) WriteHeader(s int)           { b.status = s }

// httpError answers with a GraphQL-shaped error body.
func httpError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}}})
}
