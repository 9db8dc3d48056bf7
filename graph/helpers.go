package graph

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/internal/usererr"
)

// orEmpty returns a non-nil list: userErrors is a non-null list.
func orEmpty(l usererr.List) []*usererr.Error {
	if l == nil {
		return []*usererr.Error{}
	}
	return l
}

// isMissing reports whether err says only that a node does not exist.
func isMissing(err error) bool {
	var nf *ent.NotFoundError
	var gerr *gqlerror.Error
	return errors.As(err, &nf) || (errors.As(err, &gerr) && gerr.Extensions["code"] == "NOT_FOUND")
}

// missingAsNull resolves a node that does not exist (or that the viewer may
// not see) to null without an error: the two look the same to a client.
func missingAsNull(n ent.Noder, err error) (ent.Noder, error) {
	if err != nil && isMissing(err) {
		return nil, nil
	}
	return n, err
}

// nodes resolves ids in one query per type. An entry whose node does not
// exist (or that the viewer may not see) is null without an error; the list
// keeps the length and order of ids. ent reports each missing entry through
// graphql.AddError, so the lookup runs under a private response context and
// only real faults are passed on.
func nodes(ctx context.Context, client *ent.Client, ids []int) ([]ent.Noder, error) {
	sub := graphql.WithResponseContext(ctx, graphql.DefaultErrorPresenter, graphql.DefaultRecover)
	ns, err := client.Noders(sub, ids)
	if err != nil {
		if isMissing(err) { // a single id is looked up directly
			return make([]ent.Noder, len(ids)), nil
		}
		return nil, err
	}
	for _, e := range graphql.GetErrors(sub) {
		if e.Extensions["code"] == "NOT_FOUND" || isMissing(e.Err) {
			continue
		}
		graphql.AddError(ctx, e)
	}
	if len(ns) != len(ids) {
		ns = make([]ent.Noder, len(ids))
	}
	return ns, nil
}
