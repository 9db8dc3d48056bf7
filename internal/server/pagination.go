package server

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/opsgraph/opsgraph/internal/cost"
)

// Page sizes of every Relay connection.
const (
	// DefaultPageSize applies when a connection is asked for with neither
	// first nor last.
	DefaultPageSize = cost.DefaultPage
	// MaxPageSize is the largest first or last a request may ask for.
	MaxPageSize = 100
)

// pageDefaults is a query-document cache that, before storing a validated
// document, gives every connection field asked for without first or last an
// explicit `first: 50`. Because gqlgen hands the same document to the
// request that parsed it, the default is visible to everything that reads
// field arguments: the resolvers and ent's eager loading alike, so a nested
// connection never loads more than a page per parent.
type pageDefaults struct {
	next graphql.Cache[*ast.QueryDocument]
}

func (c pageDefaults) Get(ctx context.Context, key string) (*ast.QueryDocument, bool) {
	return c.next.Get(ctx, key)
}

func (c pageDefaults) Add(ctx context.Context, key string, doc *ast.QueryDocument) {
	for _, op := range doc.Operations {
		defaultPages(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		defaultPages(f.SelectionSet)
	}
	c.next.Add(ctx, key, doc)
}

func defaultPages(set ast.SelectionSet) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if cost.IsConnection(s.Definition) && s.Arguments.ForName("first") == nil && s.Arguments.ForName("last") == nil {
				s.Arguments = append(s.Arguments, &ast.Argument{
					Name:     "first",
					Value:    &ast.Value{Kind: ast.IntValue, Raw: fmt.Sprint(DefaultPageSize)},
					Position: s.Position,
				})
			}
			defaultPages(s.SelectionSet)
		case *ast.InlineFragment:
			defaultPages(s.SelectionSet)
		}
	}
}

// pageLimits refuses, before anything executes, a request that asks any
// connection for more than MaxPageSize items (variables resolved).
type pageLimits struct{}

var (
	_ graphql.HandlerExtension        = pageLimits{}
	_ graphql.OperationContextMutator = pageLimits{}
)

func (pageLimits) ExtensionName() string                   { return "PageLimits" }
func (pageLimits) Validate(graphql.ExecutableSchema) error { return nil }
func (pageLimits) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil {
		return nil
	}
	var err *gqlerror.Error
	walkFields(rc, rc.Operation.SelectionSet, map[string]bool{}, func(f *ast.Field) bool {
		if !cost.IsConnection(f.Definition) {
			return true
		}
		args := f.ArgumentMap(rc.Variables)
		if args["first"] == nil && args["last"] == nil {
			// Both absent or null: a page size from a variable left unset
			// gets the default page, like an absent argument; a literal
			// null is refused. Either way no connection is unbounded.
			if err = defaultVariablePage(rc, f); err != nil {
				return false
			}
			return true
		}
		for _, name := range []string{"first", "last"} {
			if n, ok := cost.Int(args[name]); ok && (n < 0 || n > MaxPageSize) {
				err = &gqlerror.Error{
					Message: fmt.Sprintf("`%s` on the `%s` connection must be between 0 and %d; %d were requested. Page through larger sets with `after`.",
						name, f.Name, MaxPageSize, n),
					Locations:  []gqlerror.Location{{Line: f.Position.Line, Column: f.Position.Column}},
					Extensions: map[string]any{"code": "PAGE_SIZE_EXCEEDED", "max": MaxPageSize},
				}
				return false
			}
		}
		return true
	})
	return err
}

// defaultVariablePage sets the page-size variable of f, unset or null, to
// DefaultPageSize; f has first and last both null.
func defaultVariablePage(rc *graphql.OperationContext, f *ast.Field) *gqlerror.Error {
	for _, name := range []string{"first", "last"} {
		arg := f.Arguments.ForName(name)
		if arg == nil || arg.Value == nil {
			continue
		}
		if arg.Value.Kind != ast.Variable {
			return &gqlerror.Error{
				Message: fmt.Sprintf("`%s: null` on the `%s` connection: omit first and last for a page of %d, or ask for up to %d",
					name, f.Name, DefaultPageSize, MaxPageSize),
				Locations:  []gqlerror.Location{{Line: f.Position.Line, Column: f.Position.Column}},
				Extensions: map[string]any{"code": "BAD_USER_INPUT"},
			}
		}
		if rc.Variables == nil {
			rc.Variables = map[string]any{}
		}
		if name == "first" || f.Arguments.ForName("first") == nil {
			rc.Variables[arg.Value.Raw] = int64(DefaultPageSize)
			return nil
		}
	}
	return nil
}
