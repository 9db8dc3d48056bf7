package sdkgen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// maxValueDepth bounds how deep value objects (types without an id) nest in
// a default selection.
const maxValueDepth = 4

// selector builds default selections and the named fragments they use.
type selector struct {
	schema    *ast.Schema
	fragments map[string]string // fragment name → full definition text
	building  map[string]bool   // fragments under construction (cycle guard)
}

func newSelector(s *ast.Schema) *selector {
	return &selector{schema: s, fragments: map[string]string{}, building: map[string]bool{}}
}

func (b *selector) def(t *ast.Type) *ast.Definition { return b.schema.Types[t.Name()] }

// isNode reports whether def is an entity with a global ID: the Node
// interface or an object implementing it.
func isNode(def *ast.Definition) bool {
	return def.Name == "Node" || slices.Contains(def.Interfaces, "Node")
}

// isConnection reports whether def is a Relay connection type.
func isConnection(def *ast.Definition) bool {
	return def.Kind == ast.Object && def.Fields.ForName("edges") != nil && def.Fields.ForName("pageInfo") != nil
}

// needsArguments reports whether field has an argument a default selection
// cannot supply (non-null without a default).
func needsArguments(f *ast.FieldDefinition) bool {
	for _, a := range f.Arguments {
		if a.Type.NonNull && a.DefaultValue == nil {
			return true
		}
	}
	return false
}

// fragment makes sure the named fragment for object type def exists and
// reports whether it could be built (false on a cycle or when the type has
// nothing to select).
func (b *selector) fragment(def *ast.Definition, depth int) bool {
	if _, ok := b.fragments[def.Name]; ok {
		return true
	}
	if b.building[def.Name] || depth > maxValueDepth {
		return false
	}
	b.building[def.Name] = true
	defer delete(b.building, def.Name)
	var lines []string
	for _, f := range def.Fields {
		lines = append(lines, b.nestedField(f, depth)...)
	}
	if len(lines) == 0 {
		return false
	}
	b.fragments[def.Name] = fmt.Sprintf("fragment %s on %s {\n%s}\n", def.Name, def.Name, indent(lines, "  "))
	return true
}

// ref makes sure the fragment XRef (the id of an X) exists and returns its
// name: every link to an X in a default selection shares that Go type.
func (b *selector) ref(def *ast.Definition) string {
	name := def.Name + "Ref"
	b.fragments[name] = fmt.Sprintf("fragment %s on %s {\n  id\n}\n", name, def.Name)
	return name
}

// nestedField is the default selection of a field inside a fragment:
// scalars and enums, the id of a linked entity, value objects through their
// fragments; nested connections and fields that need arguments are left to
// hand-written operations.
func (b *selector) nestedField(f *ast.FieldDefinition, depth int) []string {
	if strings.HasPrefix(f.Name, "__") || needsArguments(f) {
		return nil
	}
	def := b.def(f.Type)
	switch def.Kind {
	case ast.Scalar, ast.Enum:
		return []string{f.Name}
	case ast.Object, ast.Interface:
		switch {
		case isConnection(def):
			return nil
		case def.Kind == ast.Object && isNode(def):
			return flattened(f.Name, b.ref(def))
		case isNode(def):
			return []string{f.Name + " { id }"}
		case def.Kind == ast.Object && b.fragment(def, depth+1):
			return flattened(f.Name, def.Name)
		}
	}
	return nil
}

// flattened selects field through the fragment named name, flattened so the
// Go type of the field is the fragment's type.
func flattened(field, name string) []string {
	return []string{"# @genqlient(flatten: true)", fmt.Sprintf("%s {\n  ...%s\n}", field, name)}
}

// rootSelection is the selection set of a root field whose type is def, or
// nil for a scalar or enum.
func (b *selector) rootSelection(def *ast.Definition, mutation bool) ([]string, error) {
	switch {
	case def.Kind == ast.Scalar || def.Kind == ast.Enum:
		return nil, nil
	case def.Kind == ast.Interface || def.Kind == ast.Union:
		return b.polymorphic(def)
	case isConnection(def):
		return b.connection(def)
	case isNode(def) || !mutation:
		if !b.fragment(def, 0) {
			return nil, fmt.Errorf("type %s has nothing to select", def.Name)
		}
		return []string{"..." + def.Name}, nil
	default: // a mutation payload: the changed entities in full, userErrors
		var lines []string
		for _, f := range def.Fields {
			fd := b.def(f.Type)
			if fd.Kind == ast.Object && isNode(fd) && !needsArguments(f) {
				if !b.fragment(fd, 0) {
					return nil, fmt.Errorf("type %s has nothing to select", fd.Name)
				}
				lines = append(lines, flattened(f.Name, fd.Name)...)
				continue
			}
			lines = append(lines, b.nestedField(f, 0)...)
		}
		return lines, nil
	}
}

// connection selects totalCount and the connection's other fields, pageInfo
// and each edge's cursor and node in full.
func (b *selector) connection(def *ast.Definition) ([]string, error) {
	var lines []string
	for _, f := range def.Fields {
		switch f.Name {
		case "edges":
			edge := b.def(f.Type)
			var inner []string
			for _, ef := range edge.Fields {
				if ef.Name != "node" {
					inner = append(inner, b.nestedField(ef, 0)...)
					continue
				}
				node := b.def(ef.Type)
				if node.Kind != ast.Object || !b.fragment(node, 0) {
					return nil, fmt.Errorf("connection %s: cannot select node type %s", def.Name, node.Name)
				}
				inner = append(inner, flattened("node", node.Name)...)
			}
			lines = append(lines, "edges {", indent(inner, "  ")+"}")
		case "pageInfo":
			if !b.fragment(b.def(f.Type), 0) {
				return nil, fmt.Errorf("connection %s: cannot select pageInfo", def.Name)
			}
			lines = append(lines, flattened("pageInfo", b.def(f.Type).Name)...)
		default:
			lines = append(lines, b.nestedField(f, 0)...)
		}
	}
	return lines, nil
}

// polymorphic selects an interface's type name and id: the concrete types'
// fields cannot share one selection (their nullability differs), so typed
// look-ups are separate operations (byIDOperation).
func (b *selector) polymorphic(def *ast.Definition) ([]string, error) {
	lines := []string{"__typename"}
	if def.Fields.ForName("id") != nil {
		lines = append(lines, "id")
	}
	return lines, nil
}

// byIDOperation is the typed look-up of one entity type through node(id:):
// AccountByID returns an Account in full.
func (b *selector) byIDOperation(def *ast.Definition) (string, error) {
	if !b.fragment(def, 0) {
		return "", fmt.Errorf("type %s has nothing to select", def.Name)
	}
	return fmt.Sprintf("query %sByID($id: ID!) {\n  node(id: $id) {\n    __typename\n    ... on %s { ...%s }\n  }\n}\n", def.Name, def.Name, def.Name), nil
}

// defaultOperation writes the operation for one root field: every argument
// a variable (nullable ones omitted when unset, so the server's defaults
// apply), the default selection of its type.
func (b *selector) defaultOperation(kind ast.Operation, f *ast.FieldDefinition) (string, error) {
	var vars, args []string
	for _, a := range f.Arguments {
		t := optional(a.Type, a.DefaultValue != nil)
		if !t.NonNull {
			vars = append(vars, "# @genqlient(omitempty: true)")
		}
		vars = append(vars, fmt.Sprintf("$%s: %s", a.Name, t.String()))
		args = append(args, fmt.Sprintf("%s: $%s", a.Name, a.Name))
	}
	sel, err := b.rootSelection(b.def(f.Type), kind == ast.Mutation)
	if err != nil {
		return "", fmt.Errorf("%s.%s: %w", kind, f.Name, err)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %s", kind, operationName(b.schema, kind, f.Name))
	if len(vars) > 0 {
		fmt.Fprintf(&sb, "(\n%s)", indent(vars, "  "))
	}
	sb.WriteString(" {\n")
	if len(sel) == 1 && strings.HasPrefix(sel[0], "...") {
		sb.WriteString("  # @genqlient(flatten: true)\n")
	}
	sb.WriteString("  " + f.Name)
	if len(args) > 0 {
		fmt.Fprintf(&sb, "(%s)", strings.Join(args, ", "))
	}
	if len(sel) > 0 {
		fmt.Fprintf(&sb, " {\n%s  }", indent(sel, "    "))
	}
	sb.WriteString("\n}\n")
	return sb.String(), nil
}

// operationName is the name of the default operation of a root field:
// the field's name, capitalised, unless a schema type has that name (the
// Go type of its fragment), then with the operation kind added.
func operationName(s *ast.Schema, kind ast.Operation, field string) string {
	name := upperFirst(field)
	if _, taken := s.Types[name]; taken {
		name += upperFirst(string(kind))
	}
	return name
}

// MethodName is the *sdk.Client method of an operation: a default
// operation's method is named after its root field.
func MethodName(s *ast.Schema, op Operation) string {
	if !op.Written && len(op.Fields) == 1 && operationName(s, op.Kind, op.Fields[0]) == op.Name {
		return upperFirst(op.Fields[0])
	}
	return op.Name
}

func indent(lines []string, prefix string) string {
	var sb strings.Builder
	for _, l := range lines {
		for _, part := range strings.Split(l, "\n") {
			sb.WriteString(prefix + part + "\n")
		}
	}
	return sb.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
