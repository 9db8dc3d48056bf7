//go:build ignore

// entc.go runs ent's code generator with the entgql extension: it writes the
// ent client into ent/ and the GraphQL SDL of the entity graph into
// schema/ent.graphql, which gqlgen then serves with the hand-written parts of
// the schema. Run it through `go generate ./...` from the repository root.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/format"
	"log"
	"os"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	entschema "entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/opsgraph/opsgraph/internal/policy"
)

// int64Fields types every int64 ent field as Int64 on its object type and
// its create/update inputs (the where inputs are handled by the scalar map).
func int64Fields(g *gen.Graph, s *ast.Schema) error {
	for _, n := range g.Nodes {
		for _, f := range n.Fields {
			if f.Type.Type != field.TypeInt64 {
				continue
			}
			name := f.StructField()
			name = strings.ToLower(name[:1]) + name[1:]
			for _, typ := range []string{n.Name, "Create" + n.Name + "Input", "Update" + n.Name + "Input"} {
				def := s.Types[typ]
				if def == nil {
					continue
				}
				if fd := def.Fields.ForName(name); fd != nil {
					fd.Type = &ast.Type{NamedType: "Int64", NonNull: fd.Type.NonNull, Position: fd.Type.Position}
				}
			}
		}
	}
	return nil
}

// describePaging documents the page-size rules the server enforces on every
// connection (see internal/server/pagination.go), the cursor, sort and
// filter arguments, and describes the root connections.
func describePaging(g *gen.Graph, s *ast.Schema) error {
	for _, def := range s.Types {
		for _, f := range def.Fields {
			if !strings.HasSuffix(f.Type.Name(), "Connection") {
				continue
			}
			if a := f.Arguments.ForName("first"); a != nil {
				a.Description = "Returns the first _n_ elements from the list: 0 to 100; 50 when neither `first` nor `last` is given."
			}
			if a := f.Arguments.ForName("last"); a != nil {
				a.Description = "Returns the last _n_ elements from the list: 0 to 100."
			}
			if a := f.Arguments.ForName("after"); a != nil {
				a.Description = "Returns the elements after this cursor (an edge's cursor, or pageInfo.endCursor of the previous page)."
			}
			if a := f.Arguments.ForName("before"); a != nil {
				a.Description = "Returns the elements before this cursor (an edge's cursor, or pageInfo.startCursor of the next page)."
			}
			if a := f.Arguments.ForName("orderBy"); a != nil {
				a.Description = "Sort keys, applied in order; ties, and the order without orderBy, are by id ascending."
			}
			if a := f.Arguments.ForName("where"); a != nil {
				a.Description = "Filter: only the elements it matches are returned and counted in totalCount."
			}
			if def.Name == "Query" && f.Description == "" {
				f.Description = "All " + strings.TrimSuffix(f.Type.Name(), "Connection") +
					" records the viewer may see, as a Relay connection: filter with `where`, sort with `orderBy`, page with `first`/`after`."
			}
		}
	}
	return nil
}

// nullableProtected makes every field the authorization matrix protects
// nullable: a denied field resolves to null with a FORBIDDEN error, which a
// non-null field would turn into a null parent.
func nullableProtected(_ *gen.Graph, s *ast.Schema) error {
	for _, typ := range policy.Entities() {
		def := s.Types[typ]
		if def == nil {
			continue
		}
		for _, f := range def.Fields {
			if c, ok := policy.Lookup(typ, f.Name); ok && c.Class.Protected() && f.Type.NonNull {
				t := *f.Type
				t.NonNull = false
				f.Type = &t
			}
		}
	}
	return nil
}

// Naming helpers of ent's code generator, as entgql uses them to name the
// GraphQL fields it generates.
var (
	camel    = gen.Funcs["camel"].(func(string) string)
	snake    = gen.Funcs["snake"].(func(string) string)
	pascal   = gen.Funcs["pascal"].(func(string) string)
	singular = gen.Funcs["singular"].(func(string) string)
)

// describeSchema documents what entgql leaves undocumented or documents
// with generic text, so that every element of the served schema has a
// precise description (graph/descriptions_test.go checks the SDL): the
// entity types (from their schema.Comment), their ids and connection edges
// (from the edge comments), enum types and values (from the EnumDoc
// annotations of ent/schema), order fields, every where-input predicate
// (one text per operator, with the field's own comment), the create and
// update inputs (defaults, clear and append fields, edge IDs), the Relay
// types, the scalars and the gqlgen directives.
func describeSchema(g *gen.Graph, s *ast.Schema) error {
	describeBuiltins(s)
	enums := map[string]enumDoc{}
	var errs []error
	for _, n := range g.Nodes {
		if s.Types[n.Name] == nil {
			continue // not part of the GraphQL schema (entgql.Skip)
		}
		errs = append(errs, describeNode(n, s, enums)...)
	}
	return errors.Join(errs...)
}

// describeBuiltins documents the types, scalars and directives entgql adds
// to every schema.
func describeBuiltins(s *ast.Schema) {
	type doc struct {
		text   string
		fields map[string]string
	}
	for name, d := range map[string]doc{
		"Query":  {text: "The entry points for reading: any entity by its ID (node, nodes), a Relay connection of every entity type, the health model and the analyst reports. Every read is filtered by the viewer's row rules and field authorization."},
		"Cursor": {text: "Opaque position of an item in a connection: an edge's cursor, or a page's startCursor and endCursor. Pass it as `after` or `before` to the same connection, with the same orderBy, to page on from there."},
		"Time":   {text: "An instant, as an RFC 3339 string with a zone offset and optional fractional seconds, e.g. 2026-11-01T12:00:00Z. Inputs also accept `2026-11-01 12:00:00`, read as UTC."},
		"Node": {
			text:   "An object with an opaque global ID. Every entity type implements it; node(id:) and nodes(ids:) fetch any of them by ID.",
			fields: map[string]string{"id": "Opaque global ID: unique across the whole graph and stable. Treat it as a string; do not parse it."},
		},
		"PageInfo": {
			text: "Where a connection's page lies: whether items exist before and after it, and the cursors to fetch them.",
			fields: map[string]string{
				"hasNextPage":     "Whether items follow the page: known when paging forward with `first`; always true when `before` was given.",
				"hasPreviousPage": "Whether items precede the page: known when paging backward with `last`; always true when `after` was given.",
				"startCursor":     "Cursor of the page's first edge, to pass as `before` for the previous page; null when the page is empty.",
				"endCursor":       "Cursor of the page's last edge, to pass as `after` for the next page; null when the page is empty.",
			},
		},
		"OrderDirection": {text: "Direction of a sort key in an `orderBy` argument."},
	} {
		def := s.Types[name]
		if def == nil {
			continue
		}
		def.Description = d.text
		for f, text := range d.fields {
			if fd := def.Fields.ForName(f); fd != nil {
				fd.Description = text
			}
		}
	}
	if q := s.Types["Query"]; q != nil {
		if f := q.Fields.ForName("node"); f != nil {
			f.Description = "The object with this ID, of any type; null when no object has it or the viewer may not see it (the two look the same). A malformed ID is refused with BAD_USER_INPUT."
			if a := f.Arguments.ForName("id"); a != nil {
				a.Description = "Global ID of the object."
			}
		}
		if f := q.Fields.ForName("nodes"); f != nil {
			f.Description = "The objects with these IDs, of any types, in the order of the IDs; null in place of each ID that names no object the viewer may see."
			if a := f.Arguments.ForName("ids"); a != nil {
				a.Description = "Global IDs of the objects."
			}
		}
	}
	const codegen = " Used by gqlgen's code generation on the server; no effect on requests."
	directives := map[string]struct {
		text string
		args map[string]string
	}{
		"goModel": {"Binds a GraphQL type to a Go type of the server." + codegen, map[string]string{
			"model":         "The Go type, as its package path and name.",
			"models":        "Several Go types the GraphQL type may bind to.",
			"forceGenerate": "Generate a Go model for the type even though models are given.",
		}},
		"goField": {"Binds a field to a Go struct field or method of another name, or to a resolver." + codegen, map[string]string{
			"forceResolver": "Resolve the field with a resolver function instead of a struct field.",
			"name":          "Name of the Go struct field or method the field binds to.",
			"omittable":     "Give the input field a Go type that tells an absent field from an explicit null.",
		}},
	}
	for name, d := range directives {
		dir := s.Directives[name]
		if dir == nil {
			continue
		}
		// entgql shares its directive definitions between schemas: copy.
		c := *dir
		c.Description = d.text
		c.Arguments = make(ast.ArgumentDefinitionList, len(dir.Arguments))
		for i, a := range dir.Arguments {
			ac := *a
			ac.Description = d.args[a.Name]
			c.Arguments[i] = &ac
		}
		s.Directives[name] = &c
	}
}

// noun names an entity type in prose: "contract item", "contract items".
type noun struct{ one, many string }

func nounOf(t *gen.Type) noun {
	w := strings.ReplaceAll(snake(t.Name), "_", " ")
	return noun{one: w, many: w + "s"}
}

// a prefixes w with its indefinite article. (No name here starts with a
// vowel sound spelt u, as "user" does not.)
func a(w string) string {
	if strings.ContainsRune("aeioAEIO", rune(strings.TrimLeft(w, "`")[0])) {
		return "an " + w
	}
	return "a " + w
}

// sentence ends s with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}

// decodeAnnotation decodes the annotation raw (as ent hands it to
// extensions: decoded JSON) into v.
func decodeAnnotation(raw any, v any) error {
	b, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// gqlAnnotation returns the entgql annotation of a field or edge.
func gqlAnnotation(annotations gen.Annotations) (*entgql.Annotation, error) {
	ant := &entgql.Annotation{}
	if raw, ok := annotations[ant.Name()]; ok {
		if err := ant.Decode(raw); err != nil {
			return nil, err
		}
	}
	return ant, nil
}

// enumDoc is ent/schema's EnumDoc annotation.
type enumDoc struct {
	Type   string
	Values map[string]string
}

// allFields is the node's id followed by its fields, as entgql lists them.
func allFields(n *gen.Type) []*gen.Field {
	if n.ID == nil {
		return n.Fields
	}
	return append([]*gen.Field{n.ID}, n.Fields...)
}

// describeNode documents the GraphQL types entgql generates for the node n.
// enums holds the EnumDoc each enum type got from the first field that
// described it.
func describeNode(n *gen.Type, s *ast.Schema, enums map[string]enumDoc) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", n.Name, fmt.Sprintf(format, args...)))
	}
	nn := nounOf(n)

	// The object type, its id and its connection edges.
	var comment entschema.CommentAnnotation
	if raw, ok := n.Annotations[comment.Name()]; ok {
		if err := decodeAnnotation(raw, &comment); err != nil {
			fail("decoding schema.Comment: %v", err)
		}
	}
	if comment.Text == "" {
		fail("the type has no description: give it a schema.Comment annotation")
	}
	obj := s.Types[n.Name]
	obj.Description = comment.Text
	if f := obj.Fields.ForName("id"); f != nil {
		f.Description = fmt.Sprintf("Opaque global ID of the %s, unique across the whole graph: node(id:) fetches the %s again.", nn.one, nn.one)
	}
	for _, e := range n.Edges {
		if f := obj.Fields.ForName(camel(e.Name)); f != nil && f.Description == "" {
			if e.Comment() == "" {
				fail("edge %s has no comment", e.Name)
			}
			f.Description = e.Comment()
		}
	}

	// Enum fields: the enum types and their values.
	for _, f := range n.Fields {
		if !f.IsEnum() {
			continue
		}
		ant, err := gqlAnnotation(f.Annotations)
		if err != nil {
			fail("field %s: %v", f.Name, err)
			continue
		}
		name := ant.Type
		if name == "" {
			name = n.Name + f.StructField()
		}
		def := s.Types[name]
		if def == nil || def.Kind != ast.Enum {
			continue
		}
		raw, ok := f.Annotations["EnumDoc"]
		if !ok {
			fail("enum field %s has no schema.EnumDoc annotation", f.Name)
			continue
		}
		var doc enumDoc
		if err := decodeAnnotation(raw, &doc); err != nil {
			fail("field %s: decoding EnumDoc: %v", f.Name, err)
			continue
		}
		if prev, ok := enums[name]; ok {
			b1, _ := json.Marshal(prev)
			b2, _ := json.Marshal(doc)
			if string(b1) != string(b2) {
				fail("field %s documents the enum %s differently from another field", f.Name, name)
			}
			continue
		}
		enums[name] = doc
		if doc.Type == "" {
			fail("field %s: EnumDoc has no Type description", f.Name)
		}
		def.Description = doc.Type
		known := map[string]bool{}
		for _, v := range f.Enums {
			known[v.Value] = true
			ev := def.EnumValues.ForName(v.Value)
			if ev == nil {
				continue
			}
			if ev.Description = doc.Values[v.Value]; ev.Description == "" {
				fail("field %s: EnumDoc does not describe the value %s", f.Name, v.Value)
			}
		}
		for v := range doc.Values {
			if !known[v] {
				fail("field %s: EnumDoc describes %s, which is not a value of the enum", f.Name, v)
			}
		}
	}

	// Sorting: the order input and the order fields.
	if def := s.Types[n.Name+"Order"]; def != nil {
		def.Description = fmt.Sprintf("One sort key of %s connections. `orderBy` takes a list of keys: %s sort by the first key, ties by the next, and finally by id ascending (without orderBy, by id alone). Sorting on a field the viewer may not read is refused with FORBIDDEN.", n.Name, nn.many)
		if f := def.Fields.ForName("field"); f != nil {
			f.Description = fmt.Sprintf("The field to sort %s by.", nn.many)
		}
		if f := def.Fields.ForName("direction"); f != nil {
			f.Description = "ASC (the default) or DESC."
		}
	}
	if def := s.Types[n.Name+"OrderField"]; def != nil {
		def.Description = fmt.Sprintf("The fields %s connections can be sorted by.", n.Name)
		for _, f := range allFields(n) {
			ant, err := gqlAnnotation(f.Annotations)
			if err != nil {
				fail("field %s: %v", f.Name, err)
				continue
			}
			if ev := def.EnumValues.ForName(ant.OrderField); ant.OrderField != "" && ev != nil {
				ev.Description = orderFieldDoc(f)
			}
		}
	}

	// The Relay connection and its edge type.
	if def := s.Types[n.Name+"Connection"]; def != nil {
		def.Description = fmt.Sprintf("A page of %s, as a Relay connection.", nn.many)
		describeFields(def, map[string]string{
			"edges":      fmt.Sprintf("The %s of the page, each with its cursor, in the requested order.", nn.many),
			"pageInfo":   "Whether items exist before and after the page, and the cursors to fetch them.",
			"totalCount": fmt.Sprintf("How many %s match the connection's filter (where) for this viewer, on all pages together.", nn.many),
		})
	}
	if def := s.Types[n.Name+"Edge"]; def != nil {
		def.Description = fmt.Sprintf("One %s in a connection, with its cursor.", nn.one)
		describeFields(def, map[string]string{
			"node":   fmt.Sprintf("The %s.", nn.one),
			"cursor": fmt.Sprintf("Position of this %s in the connection: pass it as `after` (or `before`), with the same orderBy, to page on from here.", nn.one),
		})
	}

	if def := s.Types[n.Name+"WhereInput"]; def != nil {
		describeWhere(n, def)
	}
	for _, create := range []bool{true, false} {
		if err := describeMutationInput(n, s, create); err != nil {
			fail("%v", err)
		}
	}
	return errs
}

// describeFields sets the descriptions of def's fields by name.
func describeFields(def *ast.Definition, docs map[string]string) {
	for _, f := range def.Fields {
		if d, ok := docs[f.Name]; ok {
			f.Description = d
		}
	}
}

// valueKind groups fields by how their predicates and sorting compare.
type valueKind int

const (
	kindOther valueKind = iota
	kindID
	kindTime
	kindString
	kindEnum
	kindBool
	kindNumber
)

func kindOf(f *gen.Field) valueKind {
	switch {
	case f.Name == "id":
		return kindID
	case f.IsTime():
		return kindTime
	case f.IsString():
		return kindString
	case f.IsEnum():
		return kindEnum
	case f.IsBool():
		return kindBool
	case f.Type != nil && f.Type.Numeric():
		return kindNumber
	}
	return kindOther
}

// about is a second sentence giving a field's own description.
func about(f *gen.Field) string {
	if c := f.Comment(); c != "" {
		return fmt.Sprintf(" `%s`: %s", camel(f.Name), sentence(c))
	}
	return ""
}

// orderFieldDoc describes the order field that sorts by f.
func orderFieldDoc(f *gen.Field) string {
	how := ""
	switch kindOf(f) {
	case kindTime:
		how = " (ascending: earliest first)"
	case kindNumber:
		how = " (ascending: smallest first)"
	case kindString:
		how = " in the database's string order (its collation on PostgreSQL, byte order on SQLite)"
	case kindEnum:
		how = " in alphabetical order of the value names, not the order the enum lists them in"
	case kindBool:
		how = " (ascending: false first)"
	}
	d := fmt.Sprintf("Sorts by `%s`%s.", camel(f.Name), how)
	if f.Optional {
		d += " Nulls sort last ascending on PostgreSQL, first on SQLite."
	}
	return d + about(f)
}

// describeWhere documents every field of the where input of n: the
// combinators, one predicate per field and operator, and the edge
// predicates.
func describeWhere(n *gen.Type, def *ast.Definition) {
	nn := nounOf(n)
	def.Description = fmt.Sprintf("Filters %s. %s matches when it satisfies every predicate set in the input (a predicate left out or null does not filter); `and`, `or` and `not` combine inputs. Filtering on a field the viewer may not read is refused with FORBIDDEN.", nn.many, strings.ToUpper(a(nn.one)[:1])+a(nn.one)[1:])
	docs := map[string]string{
		"not": fmt.Sprintf("Matches the %s that the given filter does not match.", nn.many),
		"and": fmt.Sprintf("Matches the %s that every one of the given filters matches.", nn.many),
		"or":  fmt.Sprintf("Matches the %s that at least one of the given filters matches.", nn.many),
	}
	for _, f := range allFields(n) {
		for _, op := range f.Ops() {
			name := camel(f.Name + "_" + op.Name())
			if op == gen.EQ {
				name = camel(f.Name)
			}
			docs[name] = predicateDoc(nn, f, op)
		}
	}
	for _, e := range n.Edges {
		target := nounOf(e.Type)
		field := camel(e.Name)
		edgeAbout := ""
		if c := e.Comment(); c != "" {
			edgeAbout = fmt.Sprintf(" `%s`: %s", field, sentence(c))
		}
		if e.Unique {
			docs[camel("has_"+e.Name)] = fmt.Sprintf("`true`: matches the %s that have %s; `false`: those that have none.%s", nn.many, a("`"+field+"`"), edgeAbout)
			docs[camel("has_"+e.Name+"_with")] = fmt.Sprintf("Matches the %s whose `%s` (%s) matches every one of the given filters.%s", nn.many, field, a(target.one), edgeAbout)
		} else {
			docs[camel("has_"+e.Name)] = fmt.Sprintf("`true`: matches the %s with at least one %s in `%s`; `false`: those with none.%s", nn.many, target.one, field, edgeAbout)
			docs[camel("has_"+e.Name+"_with")] = fmt.Sprintf("Matches the %s with at least one %s in `%s` that matches every one of the given filters.%s", nn.many, target.one, field, edgeAbout)
		}
	}
	describeFields(def, docs)
}

// predicateDoc describes the where-input predicate of field f and operator op.
func predicateDoc(nn noun, f *gen.Field, op gen.Op) string {
	name := camel(f.Name)
	subject := fmt.Sprintf("Matches the %s whose `%s`", nn.many, name)
	kind := kindOf(f)
	value := "the given value"
	values := "the given values"
	if kind == kindID {
		value, values = "the given ID", "the given IDs"
	}
	if kind == kindTime {
		value, values = "the given instant", "the given instants"
	}
	var what, note string
	switch op {
	case gen.EQ:
		what = "is " + value
		if kind == kindString {
			what = "equals " + value + " exactly (case-sensitive)"
		}
	case gen.NEQ:
		what = "is not " + value
	case gen.In:
		what = "is one of " + values
	case gen.NotIn:
		what = "is none of " + values
	case gen.GT, gen.GTE, gen.LT, gen.LTE:
		i := map[gen.Op]int{gen.GT: 0, gen.GTE: 1, gen.LT: 2, gen.LTE: 3}[op]
		switch kind {
		case kindTime:
			what = []string{"is after", "is at or after", "is before", "is at or before"}[i] + " " + value
		case kindString:
			what = []string{"sorts after", "sorts after or equals", "sorts before", "sorts before or equals"}[i] + " " + value +
				" in the database's string order (its collation on PostgreSQL, byte order on SQLite)"
		default:
			what = []string{"is greater than", "is at least", "is less than", "is at most"}[i] + " " + value
		}
		if kind == kindID {
			note = " IDs compare as the integers they encode; the ids of one type are assigned in increasing order."
		}
	case gen.Contains, gen.HasPrefix, gen.HasSuffix:
		what = map[gen.Op]string{gen.Contains: "contains the given substring", gen.HasPrefix: "starts with " + value, gen.HasSuffix: "ends with " + value}[op]
		note = " Case-sensitive on PostgreSQL; on SQLite, ASCII letters match in either case."
	case gen.EqualFold:
		what = "equals " + value + ", ignoring case"
	case gen.ContainsFold:
		what = "contains the given substring, ignoring case"
	case gen.IsNil:
		return fmt.Sprintf("`true`: matches the %s whose `%s` is null (not set); `false` does not filter.%s", nn.many, name, about(f))
	case gen.NotNil:
		return fmt.Sprintf("`true`: matches the %s whose `%s` is set (not null); `false` does not filter.%s", nn.many, name, about(f))
	default:
		what = "satisfies " + op.Name() + " with " + value
	}
	if f.Optional && (op == gen.NEQ || op == gen.NotIn) {
		note += fmt.Sprintf(" A null `%s` matches no comparison: use `%s`.", name, camel(f.Name+"_"+gen.IsNil.Name()))
	}
	return subject + " " + what + "." + note + about(f)
}

// describeMutationInput documents the create (or update) input of n.
func describeMutationInput(n *gen.Type, s *ast.Schema, create bool) error {
	desc := &entgql.MutationDescriptor{Type: n, IsCreate: create}
	name, err := desc.Input()
	if err != nil {
		return err
	}
	def := s.Types[name]
	if def == nil {
		return nil
	}
	fields, err := desc.InputFields()
	if err != nil {
		return err
	}
	edges, err := desc.InputEdges()
	if err != nil {
		return err
	}
	nn := nounOf(n)
	mutation := strings.ToLower(n.Name[:1]) + n.Name[1:]
	if create {
		mutation += "Create"
		def.Description = fmt.Sprintf("Input of %s: the new %s. An optional field left out takes its default (given with the field) or stays null.", mutation, nn.one)
	} else {
		mutation += "Update"
		def.Description = fmt.Sprintf("Input of %s: the changes to the %s. A field left out or null keeps its value; a `clear…` field sets an optional value to null.", mutation, nn.one)
	}
	docs := map[string]string{}
	for _, f := range fields {
		field := camel(f.Name)
		text := sentence(f.Comment())
		d := text
		if create {
			if v := defaultText(f.Field); v != "" {
				d += " Default: " + v + "."
			}
		}
		docs[field] = d
		if f.AppendOp {
			docs["append"+f.StructField()] = fmt.Sprintf("Values to add after the current `%s` (after the new ones when `%s` is given too). `%s`: %s", field, field, field, text)
		}
		if f.ClearOp {
			docs["clear"+f.StructField()] = fmt.Sprintf("`true` sets `%s` to null; when `%s` is given in the same input too, it is applied after the clear and wins. `false` changes nothing. `%s`: %s", field, field, field, text)
		}
	}
	for _, e := range edges {
		field := camel(e.Name)
		text := sentence(e.Comment())
		switch {
		case e.Unique:
			docs[field+"ID"] = fmt.Sprintf("%s Takes %s ID (an ID of another type is refused with WRONG_TYPE).", text, a(e.Type.Name))
		case create:
			docs[camel(singular(e.Name))+"IDs"] = fmt.Sprintf("%s IDs of %s records.", text, e.Type.Name)
		default:
			docs["add"+pascal(singular(e.Name))+"IDs"] = fmt.Sprintf("IDs of %s records to add to `%s`. `%s`: %s", e.Type.Name, field, field, text)
			docs["remove"+pascal(singular(e.Name))+"IDs"] = fmt.Sprintf("IDs of %s records to remove from `%s`. `%s`: %s", e.Type.Name, field, field, text)
		}
		if !create && e.Optional {
			docs[camel(snake(e.MutationClear()))] = fmt.Sprintf("`true` unlinks `%s` (sets it to null); when `%sID` is given in the same input too, it is applied after the clear and wins. `false` changes nothing. `%s`: %s", field, field, field, text)
		}
	}
	describeFields(def, docs)
	return nil
}

// defaultText is the default value of f in prose, or "" when f has no
// literal default.
func defaultText(f *gen.Field) string {
	if !f.Default || f.DefaultFunc() {
		return ""
	}
	switch v := f.DefaultValue().(type) {
	case nil:
		return ""
	case string:
		if v == "" {
			return "the empty string"
		}
		return v
	case []any:
		if len(v) == 0 {
			return "none (an empty list)"
		}
		return fmt.Sprint(v...)
	case []string:
		if len(v) == 0 {
			return "none (an empty list)"
		}
		return strings.Join(v, ", ")
	default:
		return fmt.Sprint(v)
	}
}

// lookaheadFile is where lookaheadMap writes the entity map of the compiled
// read path (internal/lookahead).
const lookaheadFile = "internal/lookahead/entities_gen.go"

// lookaheadMap writes, for internal/lookahead, how each GraphQL entity type
// maps onto its table: the columns of its exposed fields, the foreign keys
// of its exposed edges and the columns of its order fields. It runs last, so
// it sees the schema as served.
func lookaheadMap(g *gen.Graph, s *ast.Schema) error {
	var b strings.Builder
	b.WriteString("// Code generated by ent/entc.go (lookaheadMap). DO NOT EDIT.\n\n")
	b.WriteString("package lookahead\n\n")
	b.WriteString("// entities maps each GraphQL entity type onto its table.\n")
	b.WriteString("var entities = map[string]*entity{\n")
	camel := gen.Funcs["camel"].(func(string) string)
	// names returns the GraphQL names of a field or edge (none when
	// skipped) and its annotation.
	names := func(ants gen.Annotations, name string) ([]string, *entgql.Annotation, error) {
		ant, err := gqlAnnotation(ants)
		switch {
		case err != nil:
			return nil, nil, err
		case ant.Skip.Is(entgql.SkipType):
			return nil, ant, nil
		case len(ant.Mapping) > 0:
			return ant.Mapping, ant, nil
		}
		return []string{camel(name)}, ant, nil
	}
	for _, n := range g.Nodes {
		nant, err := gqlAnnotation(n.Annotations)
		if err != nil {
			return err
		}
		typ := n.Name
		if nant.Type != "" {
			typ = nant.Type
		}
		def := s.Types[typ]
		if nant.Skip.Is(entgql.SkipType) || def == nil {
			continue
		}
		fmt.Fprintf(&b, "\t%q: {\n\t\ttable: %q,\n\t\tcolumns: map[string]string{\n", typ, n.Table())
		fmt.Fprintf(&b, "\t\t\t%q: %q,\n", "id", n.ID.StorageKey())
		var orders, zeros [][2]string
		for _, f := range n.Fields {
			if f.Sensitive() {
				continue
			}
			gqlNames, ant, err := names(f.Annotations, f.Name)
			if err != nil {
				return err
			}
			zero, plain := columnZero(f)
			for _, name := range gqlNames {
				if plain && def.Fields.ForName(name) != nil {
					fmt.Fprintf(&b, "\t\t\t%q: %q,\n", name, f.StorageKey())
					if zero != "" {
						zeros = append(zeros, [2]string{name, zero})
					}
				}
			}
			if ant.OrderField != "" {
				orders = append(orders, [2]string{ant.OrderField, f.StorageKey()})
			}
		}
		b.WriteString("\t\t},\n\t\tzeros: map[string]string{\n")
		for _, z := range zeros {
			fmt.Fprintf(&b, "\t\t\t%q: %q,\n", z[0], z[1])
		}
		b.WriteString("\t\t},\n\t\torders: map[string]string{\n")
		for _, o := range orders {
			fmt.Fprintf(&b, "\t\t\t%q: %q,\n", o[0], o[1])
		}
		b.WriteString("\t\t},\n\t\tedges: map[string]edge{\n")
		for _, e := range n.Edges {
			if e.M2M() || e.Through != nil {
				continue
			}
			gqlNames, _, err := names(e.Annotations, e.Name)
			if err != nil {
				return err
			}
			for _, name := range gqlNames {
				if def.Fields.ForName(name) == nil {
					continue
				}
				fmt.Fprintf(&b, "\t\t\t%q: {target: %q, column: %q, ownFK: %t, unique: %t},\n",
					name, e.Type.Name, e.Rel.Column(), e.OwnFK(), e.Unique)
			}
		}
		b.WriteString("\t\t},\n\t},\n")
	}
	b.WriteString("}\n")
	src, err := format.Source([]byte(b.String()))
	if err != nil {
		return fmt.Errorf("formatting %s: %w", lookaheadFile, err)
	}
	return os.WriteFile(lookaheadFile, src, 0o644)
}

// columnZero reports whether internal/lookahead may read field f straight
// from its column (a string, number, bool, time or enum with no Go type of
// its own), and the SQL literal of the value ent scans from NULL when the
// field is optional but not nillable (ent hands the resolvers Go's zero
// value, not null). Times need none: gqlgen writes a zero time as null.
func columnZero(f *gen.Field) (zero string, plain bool) {
	if f.Type.RType != nil && f.Type.RType.PkgPath != "" && !f.IsEnum() {
		return "", false
	}
	switch {
	case f.IsEnum(), f.Type.Type == field.TypeString:
		zero = "''"
	case f.Type.Numeric():
		zero = "0"
	case f.Type.Type == field.TypeBool:
		zero = "false"
	case f.Type.Type == field.TypeTime:
	default:
		return "", false
	}
	if !f.Optional || f.Nillable || f.Type.Type == field.TypeTime {
		zero = ""
	}
	return zero, true
}

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithConfigPath("./gqlgen.yml"),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("./schema/ent.graphql"),
		entgql.WithWhereInputs(true),
		entgql.WithNodeDescriptor(true),
		// 64-bit integers (money in minor units, quantities, usage) are
		// exposed as the Int64 scalar: GraphQL's Int is 32-bit.
		entgql.WithMapScalarFunc(func(f *gen.Field, op gen.Op) string {
			if f.Type.Type != field.TypeInt64 || op.Niladic() {
				return ""
			}
			if op.Variadic() {
				return "[Int64!]"
			}
			return "Int64"
		}),
		entgql.WithSchemaHook(int64Fields, describePaging, nullableProtected, describeSchema, lookaheadMap),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	err = entc.Generate("./ent/schema", &gen.Config{
		Target:  "./ent",
		Package: "github.com/opsgraph/opsgraph/ent",
		Features: []gen.Feature{
			gen.FeatureGlobalID,
			gen.FeaturePrivacy,
			gen.FeatureEntQL,
			gen.FeatureVersionedMigration,
			gen.FeatureModifier,
			gen.FeatureIntercept,
			gen.FeatureNamedEdges,
			gen.FeatureLock,
			gen.FeatureUpsert,
			gen.FeatureExecQuery,
		},
	}, entc.Extensions(ex))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
	// entgql v0.7.0 finds a connection's edges, node, pageInfo and
	// totalCount selections by response key, so an aliased one
	// (`n: totalCount`, `e: edges`) is not found and answers 0 or [].
	// Match the field's name instead (the differential test of the compiled
	// read path, internal/server, caught it).
	if err := replaceOnce("./ent/gql_pagination.go", "if f.Alias == name {", "if f.Name == name {"); err != nil {
		log.Fatal(err)
	}
}

// replaceOnce replaces the one occurrence of old in a generated file, and
// fails when there is none (the generator changed: look again).
func replaceOnce(path, old, new string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if n := strings.Count(string(src), old); n != 1 {
		return fmt.Errorf("%s: %q occurs %d times, want 1", path, old, n)
	}
	return os.WriteFile(path, []byte(strings.Replace(string(src), old, new, 1)), 0o644)
}
