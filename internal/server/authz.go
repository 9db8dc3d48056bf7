package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/internal/cost"
	"github.com/opsgraph/opsgraph/internal/policy"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// forbidden is the error of a denied field, argument or mutation. It names
// what was denied and why, never a value.
func forbidden(ctx context.Context, msg string, class policy.Class) *gqlerror.Error {
	ext := map[string]any{"code": "FORBIDDEN"}
	if class != "" {
		ext["class"] = string(class)
	}
	return &gqlerror.Error{Message: msg, Path: graphql.GetPath(ctx), Extensions: ext}
}

// guardField is the one field middleware (a second one would cost every
// field of every response another closure and context walk): it enforces
// the field matrix before the resolver runs (authorizeField) and meters
// what the resolver fetched after it (meterField).
func guardField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	// Fields without a selection in the document (synthetic ones) have
	// nothing to check or count.
	if fc == nil || fc.Field.Field == nil {
		return next(ctx)
	}
	if err := authorizeField(ctx, fc); err != nil {
		return nil, err
	}
	res, err := next(ctx)
	if res != nil && len(fc.Field.Selections) > 0 {
		meterField(ctx, fc, res)
	}
	return res, err
}

// authorizeField enforces the field matrix on every field the executor
// resolves, generated or hand-written alike: a denied field resolves to null
// with a FORBIDDEN error at its path, and the rest of the response arrives.
// A field of an entity that the matrix does not classify is denied.
func authorizeField(ctx context.Context, fc *graphql.FieldContext) error {
	v := viewer.FromContext(ctx)
	switch policy.Readable(v, fc.Object, fc.Field.Name) {
	case policy.Allowed:
		return nil
	case policy.OwnRecordOnly:
		if ownRecord(fc, v) {
			return nil
		}
	}
	if c, ok := policy.ReportField(fc.Object, fc.Field.Name); ok {
		return forbidden(ctx, fmt.Sprintf("reading %s.%s requires %s access", fc.Object, fc.Field.Name, c), c)
	}
	f, ok := policy.Lookup(fc.Object, fc.Field.Name)
	if !ok {
		return forbidden(ctx, fmt.Sprintf("%s.%s is not classified in the authorization matrix", fc.Object, fc.Field.Name), "")
	}
	return forbidden(ctx, fmt.Sprintf("reading %s.%s requires %s access", fc.Object, fc.Field.Name, f.Class), f.Class)
}

// ownRecord reports whether the field belongs to the viewer's own user.
func ownRecord(fc *graphql.FieldContext, v *viewer.Viewer) bool {
	if v == nil || fc.Parent == nil {
		return false
	}
	var u *ent.User
	switch p := fc.Parent.Result.(type) {
	case *ent.User:
		u = p
	case **ent.User:
		u = *p
	}
	return u != nil && strings.EqualFold(u.Email, v.Subject)
}

// authorizeRoot refuses, before it runs, a mutation the viewer's roles and
// scopes may not call, and any query field (but introspection) for a viewer
// who may read nothing (an INTEGRATION token without the read scope).
func authorizeRoot(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	fc := graphql.GetRootFieldContext(ctx)
	oc := graphql.GetOperationContext(ctx)
	if fc == nil || oc.Operation == nil || strings.HasPrefix(fc.Field.Name, "__") {
		return next(ctx)
	}
	v := viewer.FromContext(ctx)
	var msg string
	switch oc.Operation.Operation {
	case ast.Mutation:
		if !policy.CanCall(v, fc.Field.Name) {
			msg = fmt.Sprintf("your roles may not call %s", fc.Field.Name)
		}
	case ast.Query, ast.Subscription:
		if !policy.CanRead(v, policy.Standard) {
			msg = fmt.Sprintf("your token may not read %s (an INTEGRATION token needs the read scope)", fc.Field.Name)
		}
	}
	if msg == "" {
		return next(ctx)
	}
	graphql.AddError(ctx, &gqlerror.Error{
		Message:    msg,
		Path:       ast.Path{ast.PathName(fc.Field.Alias)},
		Extensions: map[string]any{"code": "FORBIDDEN"},
	})
	return graphql.Null
}

// sideDoors refuses, before anything executes, a request that filters or
// sorts a connection on a field the viewer may not read: the answer would
// reveal the values.
type sideDoors struct {
	schema *ast.Schema
}

var (
	_ graphql.HandlerExtension        = (*sideDoors)(nil)
	_ graphql.OperationContextMutator = (*sideDoors)(nil)
)

func (*sideDoors) ExtensionName() string { return "SideDoors" }

func (s *sideDoors) Validate(es graphql.ExecutableSchema) error {
	s.schema = es.Schema()
	return nil
}

func (s *sideDoors) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil {
		return nil
	}
	v := viewer.FromContext(ctx)
	var err *gqlerror.Error
	walkFields(rc, rc.Operation.SelectionSet, map[string]bool{}, func(f *ast.Field) bool {
		if !cost.IsConnection(f.Definition) {
			return true
		}
		typ := strings.TrimSuffix(f.Definition.Type.Name(), "Connection")
		args := f.ArgumentMap(rc.Variables)
		if w, ok := args["where"].(map[string]any); ok {
			if err = s.checkWhere(v, typ, w, f); err != nil {
				return false
			}
		}
		if err = checkOrder(v, typ, args["orderBy"], f); err != nil {
			return false
		}
		return true
	})
	return err
}

// whereSuffixes are the predicate suffixes entgql appends to field names.
var whereSuffixes = []string{"", "NEQ", "In", "NotIn", "GT", "GTE", "LT", "LTE", "Contains", "HasPrefix", "HasSuffix", "EqualFold", "ContainsFold", "IsNil", "NotNil"}

func (s *sideDoors) checkWhere(v *viewer.Viewer, typ string, where map[string]any, at *ast.Field) *gqlerror.Error {
	input := s.schema.Types[typ+"WhereInput"]
	for key, val := range where {
		switch key {
		case "and", "or", "not":
			if err := s.checkEach(v, typ, val, at); err != nil {
				return err
			}
			continue
		}
		if strings.HasPrefix(key, "has") && strings.HasSuffix(key, "With") && input != nil {
			if def := input.Fields.ForName(key); def != nil {
				if err := readable(v, typ, whereField(typ, key), "filtering", at); err != nil {
					return err
				}
				if err := s.checkEach(v, strings.TrimSuffix(def.Type.Name(), "WhereInput"), val, at); err != nil {
					return err
				}
				continue
			}
		}
		if err := readable(v, typ, whereField(typ, key), "filtering", at); err != nil {
			return err
		}
	}
	return nil
}

// checkEach checks a where value that holds one input object or a list of
// them (a single object coerces to a list).
func (s *sideDoors) checkEach(v *viewer.Viewer, typ string, val any, at *ast.Field) *gqlerror.Error {
	list, ok := val.([]any)
	if !ok {
		list = []any{val}
	}
	for _, item := range list {
		if m, ok := item.(map[string]any); ok {
			if err := s.checkWhere(v, typ, m, at); err != nil {
				return err
			}
		}
	}
	return nil
}

// readable refuses using typ.field in a filter or sort the viewer could not
// read.
func readable(v *viewer.Viewer, typ, field, use string, at *ast.Field) *gqlerror.Error {
	f, ok := policy.Lookup(typ, field)
	if ok && policy.CanRead(v, f.Class) {
		return nil
	}
	msg := fmt.Sprintf("%s %s by %s requires %s access", use, typ, field, f.Class)
	if !ok {
		msg = fmt.Sprintf("%s %s by %s is not allowed: the field is not classified", use, typ, field)
	}
	return &gqlerror.Error{
		Message:    msg,
		Locations:  []gqlerror.Location{{Line: at.Position.Line, Column: at.Position.Column}},
		Extensions: map[string]any{"code": "FORBIDDEN", "class": string(f.Class)},
	}
}

// whereField returns the field a where-input key filters on: the longest
// classified field that the key extends by a predicate suffix, or the edge
// that hasX / hasXWith tests.
func whereField(typ, key string) string {
	best := ""
	for _, f := range policy.FieldsOf(typ) {
		for _, suf := range whereSuffixes {
			if key == f+suf && len(f) > len(best) {
				best = f
			}
		}
	}
	if best != "" {
		return best
	}
	if rest, ok := strings.CutPrefix(key, "has"); ok && rest != "" {
		rest = strings.TrimSuffix(rest, "With")
		return strings.ToLower(rest[:1]) + rest[1:]
	}
	return key
}

func checkOrder(v *viewer.Viewer, typ string, orderBy any, at *ast.Field) *gqlerror.Error {
	var items []any
	switch o := orderBy.(type) {
	case []any:
		items = o
	case map[string]any:
		items = []any{o}
	}
	for _, it := range items {
		m, _ := it.(map[string]any)
		name, _ := m["field"].(string)
		if name == "" {
			continue
		}
		if err := readable(v, typ, enumToField(name), "sorting", at); err != nil {
			return err
		}
	}
	return nil
}

// enumToField turns an order-field enum value (ARR_MINOR) into the field it
// sorts on (arrMinor).
func enumToField(s string) string { return policy.FieldName(strings.ToLower(s)) }

// walkFields calls fn for every field of the selection set, fragments
// included, depth first; fn returns false to stop.
func walkFields(rc *graphql.OperationContext, set ast.SelectionSet, seen map[string]bool, fn func(*ast.Field) bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if !fn(s) || !walkFields(rc, s.SelectionSet, seen, fn) {
				return false
			}
		case *ast.InlineFragment:
			if !walkFields(rc, s.SelectionSet, seen, fn) {
				return false
			}
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if f := rc.Doc.Fragments.ForName(s.Name); f != nil && !walkFields(rc, f.SelectionSet, seen, fn) {
				return false
			}
		}
	}
	return true
}
