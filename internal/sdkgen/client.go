package sdkgen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"path/filepath"
	"strings"

	gql "github.com/vektah/gqlparser/v2/ast"
)

// goStructs indexes the struct types genqlient generated: name → fields.
type goStructs map[string][]goField

type goField struct {
	Name string
	Type string // as written, e.g. "[]*AccountsAccountsAccountConnectionEdgesAccountEdge"
}

func (s goStructs) field(structName, name string) (goField, bool) {
	for _, f := range s[structName] {
		if f.Name == name {
			return f, true
		}
	}
	return goField{}, false
}

func parseStructs(path string) (goStructs, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	out := goStructs{}
	for _, d := range file.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, spec := range gd.Specs {
			ts := spec.(*ast.TypeSpec)
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			var fields []goField
			for _, f := range st.Fields.List {
				var b bytes.Buffer
				_ = printer.Fprint(&b, fset, f.Type)
				if len(f.Names) == 0 { // embedded
					fields = append(fields, goField{Name: strings.TrimPrefix(b.String(), "*"), Type: b.String()})
				}
				for _, n := range f.Names {
					fields = append(fields, goField{Name: n.Name, Type: b.String()})
				}
			}
			out[ts.Name.Name] = fields
		}
	}
	return out, nil
}

// Client writes sdk/client_gen.go: for every operation its variables as a
// struct and a *Client method, for connections a pagination iterator, for
// mutations the userErrors as a typed error, and for each entity type a
// typed look-up by ID.
func Client(sdkDir string) error {
	schema, ops, err := Load(sdkDir)
	if err != nil {
		return err
	}
	structs, err := parseStructs(filepath.Join(sdkDir, GenqlientFile))
	if err != nil {
		return err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "// %s\n\npackage sdk\n\nimport (\n\"context\"\n\"iter\"\n\"time\"\n)\n\nvar (\n_ time.Time\n_ iter.Seq[int]\n)\n\n", generatedHeader)
	for _, op := range ops {
		if err := writeOperation(&b, schema, structs, op); err != nil {
			return fmt.Errorf("operation %s: %w", op.Name, err)
		}
	}
	src, err := formatGo(ClientFile, b.Bytes())
	if err != nil {
		return err
	}
	return writeFiles(sdkDir, map[string][]byte{ClientFile: src})
}

func writeOperation(b *bytes.Buffer, schema *gql.Schema, structs goStructs, op Operation) error {
	root := schema.Query
	if op.Kind == gql.Mutation {
		root = schema.Mutation
	}
	first := root.Fields.ForName(op.Fields[0])
	resp := op.Name + "Response"
	if _, ok := structs[resp]; !ok {
		return fmt.Errorf("genqlient wrote no %s", resp)
	}

	// A generated typed look-up: AccountByID(ctx, id) (*Account, error).
	if typ, ok := strings.CutSuffix(op.Name, "ByID"); ok && !op.Written && op.Fields[0] == "node" {
		impl := op.Name + "Node" + typ
		if _, ok := structs[impl]; !ok {
			return fmt.Errorf("genqlient wrote no %s", impl)
		}
		fmt.Fprintf(b, `// %s fetches the %s with the given global ID, or nil when there is none
// the viewer may see (or the ID names another type).
func (c *Client) %s(ctx context.Context, id string) (*%s, error) {
	var data %s
	err := c.run(ctx, request{op: %q, query: %s_Operation, vars: map[string]string{"id": id}, retry: true}, &data)
	if data.Node != nil {
		if n, ok := (*data.Node).(*%s); ok {
			return &n.%s, err
		}
	}
	return nil, err
}

`, op.Name, typ, op.Name, typ, resp, op.Name, op.Name, impl, typ)
		return nil
	}

	base := MethodName(schema, op)
	hasVars := len(op.Variables) > 0
	varsType := base + "Vars"
	if hasVars {
		fmt.Fprintf(b, "// %s are the variables of the %s %s.\ntype %s struct {\n", varsType, op.Name, op.Kind, varsType)
		for _, v := range op.Variables {
			if a := first.Arguments.ForName(v.Variable); a != nil {
				writeDoc(b, a.Description, "\t")
			}
			t, tag := optional(v.Type, v.DefaultValue != nil), v.Variable
			if !t.NonNull {
				tag += ",omitempty"
			}
			fmt.Fprintf(b, "\t%s %s `json:%q`\n", upperFirst(v.Variable), goType(t), tag)
		}
		b.WriteString("}\n\n")
	}
	params, varsExpr := "ctx context.Context", "nil"
	if hasVars {
		params += ", vars " + varsType
		varsExpr = "&vars"
	}
	retry := "true"
	if op.Kind == gql.Mutation {
		retry = "false"
		if v := op.Variables.ForName("idempotencyKey"); v != nil {
			retry = "vars.IdempotencyKey != nil && *vars.IdempotencyKey != \"\""
		}
	}

	method := base
	iterate := op.Kind == gql.Query && len(op.Fields) == 1 && isConnection(schema.Types[first.Type.Name()]) &&
		op.Variables.ForName("after") != nil
	if iterate {
		method += "Page"
	}
	desc := strings.TrimSpace(first.Description)
	if desc == "" {
		desc = fmt.Sprintf("Runs the %s %s.", op.Name, op.Kind)
	}
	writeDoc(b, fmt.Sprintf("%s runs the %s %s (%s).\n\n%s", method, op.Name, op.Kind, strings.Join(op.Fields, ", "), desc), "")
	if op.Kind == gql.Mutation {
		b.WriteString("//\n// Business rule failures come back as a *UserErrors error together with the payload.\n")
		if retry != "false" {
			b.WriteString("// With an idempotency key the call is retried on network errors, 429 and 5xx; without one it is sent once.\n")
		} else {
			b.WriteString("// The call is sent once: it is never retried.\n")
		}
	}
	fmt.Fprintf(b, "func (c *Client) %s(%s) (*%s, error) {\n\tvar data %s\n", method, params, resp, resp)
	fmt.Fprintf(b, "\terr := c.run(ctx, request{op: %q, query: %s_Operation, vars: %s, retry: %s}, &data)\n",
		op.Name, op.Name, varsExpr, retry)
	if op.Kind == gql.Mutation {
		for _, f := range op.Fields {
			rf, ok := structs.field(resp, upperFirst(f))
			if !ok {
				return fmt.Errorf("%s has no field %s", resp, upperFirst(f))
			}
			payload := strings.TrimPrefix(rf.Type, "*")
			if _, ok := structs.field(payload, "UserErrors"); !ok {
				continue
			}
			if strings.HasPrefix(rf.Type, "*") {
				fmt.Fprintf(b, "\tif err == nil && data.%s != nil {\n\t\terr = userErrorsOf(%q, data.%s.UserErrors)\n\t}\n", rf.Name, f, rf.Name)
			} else {
				fmt.Fprintf(b, "\tif err == nil {\n\t\terr = userErrorsOf(%q, data.%s.UserErrors)\n\t}\n", f, rf.Name)
			}
		}
	}
	b.WriteString("\treturn &data, err\n}\n\n")
	if iterate {
		return writeIterator(b, structs, op, strings.TrimSuffix(method, "Page"), first)
	}
	return nil
}

// writeIterator writes the iter.Seq2 over a connection's nodes.
func writeIterator(b *bytes.Buffer, structs goStructs, op Operation, method string, field *gql.FieldDefinition) error {
	resp := op.Name + "Response"
	conn, ok := structs.field(resp, upperFirst(field.Name))
	if !ok || strings.HasPrefix(conn.Type, "*") {
		return fmt.Errorf("%s.%s: a non-null connection is needed for an iterator", resp, upperFirst(field.Name))
	}
	edges, ok := structs.field(conn.Type, "Edges")
	if !ok {
		return fmt.Errorf("%s selects no edges: an iterator needs edges { node } and pageInfo { hasNextPage endCursor }", op.Name)
	}
	if _, ok := structs.field(conn.Type, "PageInfo"); !ok {
		return fmt.Errorf("%s selects no pageInfo", op.Name)
	}
	edge := strings.TrimPrefix(strings.TrimPrefix(edges.Type, "[]"), "*")
	node, ok := structs.field(edge, "Node")
	if !ok {
		return fmt.Errorf("%s selects no edges.node", op.Name)
	}
	elem, ref := node.Type, "e.Node"
	if !strings.HasPrefix(elem, "*") {
		elem, ref = "*"+elem, "&e.Node"
	}
	nilEdge := ""
	if strings.HasPrefix(strings.TrimPrefix(edges.Type, "[]"), "*") {
		nilEdge = "\t\t\tif e == nil {\n\t\t\t\tp.nodes = append(p.nodes, nil)\n\t\t\t\tcontinue\n\t\t\t}\n"
	}
	f := upperFirst(field.Name)
	fmt.Fprintf(b, `// %s iterates over the %s connection from vars.After on, fetching each
// page (vars.First nodes, or the server's default) only when the loop asks
// for more. A non-nil error with a nil node ends the iteration unless the
// page arrived in part; a non-nil error with a node means that node arrived
// with some fields denied (null), see *Error.
func (c *Client) %s(ctx context.Context, vars %sVars) iter.Seq2[%s, error] {
	return paginate(ctx, %q, vars.After, func(ctx context.Context, after *string) (page[%s], error) {
		vars.After = after
		data, err := c.%sPage(ctx, vars)
		p := page[%s]{hasNext: data.%s.PageInfo.HasNextPage, end: data.%s.PageInfo.EndCursor}
		for _, e := range data.%s.Edges {
%s			p.nodes = append(p.nodes, %s)
		}
		return p, err
	})
}

`, method, field.Name, method, method, elem, field.Name, elem, method, elem, f, f, f, nilEdge, ref)
	return nil
}
