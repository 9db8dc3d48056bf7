// Package viewer carries the authenticated caller of a request through the
// context: the subject (a user's email or a service id), its roles and, for
// service accounts, its scopes. Authentication puts a Viewer in the context;
// everything below (resolvers, domain services, ent privacy rules, audit) reads
// it from there.
package viewer

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Role names as they appear in the JWT `roles` claim.
const (
	RoleAdmin       = "ADMIN"
	RoleOpsManager  = "OPS_MANAGER"
	RoleOpsAnalyst  = "OPS_ANALYST"
	RoleCSM         = "CSM"
	RoleSales       = "SALES"
	RoleFinance     = "FINANCE"
	RoleSupport     = "SUPPORT"
	RoleViewer      = "VIEWER"
	RoleIntegration = "INTEGRATION"
)

// Roles lists every role name OpsGraph knows, in a stable order.
var Roles = []string{
	RoleAdmin, RoleOpsManager, RoleOpsAnalyst, RoleCSM, RoleSales,
	RoleFinance, RoleSupport, RoleViewer, RoleIntegration,
}

// IsRole reports whether name is a known role.
func IsRole(name string) bool { return slices.Contains(Roles, name) }

// Viewer is the authenticated caller of a request.
type Viewer struct {
	// Subject is the JWT `sub` claim: a user's email or a service id.
	Subject string
	// Roles are the JWT `roles` claim.
	Roles []string
	// Scopes are the JWT `scope` claim (space separated in the token).
	Scopes []string
	// System marks work the server does on its own behalf (seed, sweeps).
	System bool
	// Expires is when the viewer's token stops being accepted (its exp
	// claim plus the verifier's clock-skew leeway; zero for system
	// viewers). A connection that outlives one request (a websocket)
	// ends then.
	Expires time.Time

	memo sync.Map // key → *memoEntry, values computed once per viewer (request)
}

type memoEntry struct {
	once sync.Once
	v    any
	err  error
}

// Memo returns the value of fn under key, computing it once per viewer: a
// viewer lives for one request, so this caches per-request lookups such as
// the viewer's user id.
func (v *Viewer) Memo(key any, fn func() (any, error)) (any, error) {
	e, _ := v.memo.LoadOrStore(key, &memoEntry{})
	m := e.(*memoEntry)
	m.once.Do(func() { m.v, m.err = fn() })
	return m.v, m.err
}

// Fresh returns a copy of v without its memoized values, for a connection
// that outlives one request (a websocket): each operation gets its own, so
// nothing memoized by one (a CSM's book) is reused by the next.
func (v *Viewer) Fresh() *Viewer {
	if v == nil {
		return nil
	}
	return &Viewer{Subject: v.Subject, Roles: v.Roles, Scopes: v.Scopes, System: v.System, Expires: v.Expires}
}

// HasRole reports whether the viewer holds role.
func (v *Viewer) HasRole(role string) bool {
	return v != nil && slices.Contains(v.Roles, role)
}

// HasScope reports whether the viewer holds scope.
func (v *Viewer) HasScope(scope string) bool {
	return v != nil && slices.Contains(v.Scopes, scope)
}

type ctxKey struct{}

// NewContext returns a copy of ctx carrying v.
func NewContext(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// FromContext returns the viewer in ctx, or nil when the request is anonymous.
func FromContext(ctx context.Context) *Viewer {
	v, _ := ctx.Value(ctxKey{}).(*Viewer)
	return v
}

// System returns a context for work the server does on its own behalf, named
// by subject (for example "system:seed"). It is visible in audit events.
func System(ctx context.Context, subject string) context.Context {
	return NewContext(ctx, &Viewer{Subject: subject, Roles: []string{RoleAdmin}, System: true})
}
