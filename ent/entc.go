//go:build ignore

// entc.go runs ent's code generator with the entgql extension: it writes the
// ent client into ent/ and the GraphQL SDL of the entity graph into
// schema/ent.graphql, which gqlgen then serves with the hand-written parts of
// the schema. Run it through `go generate ./...` from the repository root.
package main

import (
	"log"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
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
// connection (see internal/server/pagination.go) and describes the root
// connections.
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
		entgql.WithSchemaHook(int64Fields, describePaging, nullableProtected),
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
}
