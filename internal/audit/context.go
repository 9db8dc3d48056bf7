package audit

import "context"

type disabledKey struct{}

// Disable returns a context whose writes are not audited. Only bulk loads of
// generated data (the demo and benchmark seed) use it; every business action
// is audited.
func Disable(ctx context.Context) context.Context {
	return context.WithValue(ctx, disabledKey{}, true)
}

// Disabled reports whether ctx came from Disable.
func Disabled(ctx context.Context) bool {
	v, _ := ctx.Value(disabledKey{}).(bool)
	return v
}
