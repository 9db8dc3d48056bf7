// Package loaded remembers, for one GraphQL request, which entities were
// read together, so a field that reads per entity (an account's health
// history) can read once for every entity that came in the same statement
// as the one it is resolving: one statement per selection, not per row.
//
// Its ent interceptor (registered by internal/store) records the accounts
// every query returns, eager loads included, when the context carries a
// Request (installed per GraphQL operation by internal/server); without
// one it does nothing.
package loaded

import (
	"context"
	"sync"

	"github.com/opsgraph/opsgraph/ent"
)

// Request holds what one request read together and the batched reads made
// for it.
type Request struct {
	mu       sync.Mutex
	accounts map[*ent.Account][]*ent.Account
	once     map[any]*once
}

type once struct {
	sync.Once
	v   any
	err error
}

type ctxKey struct{}

// With returns ctx carrying a new Request.
func With(ctx context.Context) context.Context {
	return context.WithValue(ctx, ctxKey{}, &Request{accounts: map[*ent.Account][]*ent.Account{}, once: map[any]*once{}})
}

func from(ctx context.Context) *Request {
	r, _ := ctx.Value(ctxKey{}).(*Request)
	return r
}

// Interceptor records the accounts each query returns in the context's
// Request.
func Interceptor() ent.Interceptor {
	return ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			v, err := next.Query(ctx, q)
			if r := from(ctx); r != nil && err == nil {
				if as, ok := v.([]*ent.Account); ok && len(as) > 1 {
					r.mu.Lock()
					for _, a := range as {
						r.accounts[a] = as
					}
					r.mu.Unlock()
				}
			}
			return v, err
		})
	})
}

// Accounts returns the accounts read in the same statement as a (a
// included), or just a when none were recorded.
func Accounts(ctx context.Context, a *ent.Account) []*ent.Account {
	if r := from(ctx); r != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		if as, ok := r.accounts[a]; ok {
			return as
		}
	}
	return []*ent.Account{a}
}

// Once returns f's result, computed once per request for key (a comparable
// value naming the batch and what is read); without a Request, f runs every
// time.
func Once[T any](ctx context.Context, key any, f func() (T, error)) (T, error) {
	r := from(ctx)
	if r == nil {
		return f()
	}
	r.mu.Lock()
	o, ok := r.once[key]
	if !ok {
		o = &once{}
		r.once[key] = o
	}
	r.mu.Unlock()
	o.Do(func() { o.v, o.err = f() })
	v, _ := o.v.(T)
	return v, o.err
}
