// Package txn runs a business action in one database transaction: it
// commits when the action succeeds and rolls back on an error or on any
// business rule failure, so a failed action changes nothing.
package txn

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/internal/usererr"
)

// Run calls fn with a transactional client. fn returns the action's result,
// its business rule failures and an error; a non-empty failure list or an
// error rolls the transaction back. When ctx already carries a transaction
// (ent.TxFromContext), fn joins it and the outer caller commits.
func Run[T any](ctx context.Context, client *ent.Client, fn func(ctx context.Context, tx *ent.Client) (T, usererr.List, error)) (T, usererr.List, error) {
	var zero T
	if tx := ent.TxFromContext(ctx); tx != nil {
		return fn(ctx, tx.Client())
	}
	tx, err := client.Tx(ctx)
	if err != nil {
		return zero, nil, fmt.Errorf("starting transaction: %w", err)
	}
	txCtx := ent.NewTxContext(ctx, tx)
	v, uerrs, err := func() (v T, uerrs usererr.List, err error) {
		defer func() {
			if r := recover(); r != nil {
				_ = tx.Rollback()
				panic(r)
			}
		}()
		return fn(txCtx, tx.Client())
	}()
	if err != nil || !uerrs.Empty() {
		if rerr := tx.Rollback(); rerr != nil {
			err = errors.Join(err, fmt.Errorf("rolling back: %w", rerr))
		}
		return zero, uerrs, err
	}
	if err := tx.Commit(); err != nil {
		return zero, nil, fmt.Errorf("committing: %w", err)
	}
	return unwrap(v), nil, nil
}

// unwrap rebinds an entity read inside the transaction to the client's own
// driver, so its edges can still be loaded (by resolvers, after the commit).
func unwrap[T any](v T) T {
	if u, ok := any(v).(interface{ Unwrap() T }); ok && !isNil(v) {
		return u.Unwrap()
	}
	return v
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice:
		return rv.IsNil()
	}
	return false
}
