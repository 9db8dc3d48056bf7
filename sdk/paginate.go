package sdk

import (
	"context"
	"errors"
	"iter"
)

// page is one page of a connection as the iterators see it.
type page[T any] struct {
	nodes   []T
	hasNext bool
	end     *string
}

// paginate yields the nodes of successive pages, fetching the next page only
// when the loop has consumed the current one. A failed page without data
// yields (nil, err) and stops. A page that arrived in part yields each node
// with the errors under it (nil for the others), then any errors outside
// the nodes as (nil, err), and goes on.
func paginate[T any](ctx context.Context, field string, after *string, fetch func(context.Context, *string) (page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		for {
			p, err := fetch(ctx, after)
			var e *Error
			if err != nil && !(errors.As(err, &e) && e.Partial()) {
				yield(zero, err)
				return
			}
			matched := 0
			for i, n := range p.nodes {
				var nodeErr error
				if e != nil {
					if sub := e.under(field, "edges", i); sub != nil {
						nodeErr = sub
						matched += len(sub.Errors)
					}
				}
				if !yield(n, nodeErr) {
					return
				}
			}
			if e != nil && matched < len(e.Errors) {
				rest := *e
				rest.Errors = nil
				for _, ge := range e.Errors {
					if !hasPrefix(ge.Path, []any{field, "edges"}) {
						rest.Errors = append(rest.Errors, ge)
					}
				}
				if len(rest.Errors) > 0 && !yield(zero, &rest) {
					return
				}
			}
			if !p.hasNext || p.end == nil || len(p.nodes) == 0 {
				return
			}
			after = p.end
		}
	}
}
