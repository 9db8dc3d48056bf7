// Package auth authenticates HTTP requests to the GraphQL server with
// HS256-signed JWTs. A Verifier checks a bearer token and turns its claims
// into a viewer.Viewer; Middleware puts that viewer in the request context;
// Mint issues tokens (for the CLI, tests and the embedded default setup).
//
// Tokens carry the registered claims sub, exp (required), iat, nbf, iss, aud
// and jti, plus two private claims:
//
//	roles  JSON array of role names (see viewer.Roles), at least one
//	scope  optional space-separated list of scopes
package auth

import (
	"errors"
	"fmt"
	"time"
)

// MinSecretLen is the minimum length of an HS256 signing secret, in bytes.
const MinSecretLen = 32

// DefaultLeeway is the clock skew tolerated when Config.Leeway is zero.
const DefaultLeeway = 30 * time.Second

// ErrUnauthenticated is the sentinel every verification failure wraps. Test
// for it with errors.Is; use Reason for a message safe to show to clients.
var ErrUnauthenticated = errors.New("unauthenticated")

// Config holds the token parameters shared by Verifier and Mint.
type Config struct {
	// Secret is the HS256 key; at least MinSecretLen bytes.
	Secret []byte
	// Issuer, when set, is written to and required in the `iss` claim.
	Issuer string
	// Audience, when set, is written to and required in the `aud` claim.
	Audience string
	// Leeway is the clock skew tolerated for exp/nbf; DefaultLeeway when zero.
	Leeway time.Duration
}

func (c Config) validate() error {
	switch {
	case len(c.Secret) == 0:
		return errors.New("auth: secret is empty")
	case len(c.Secret) < MinSecretLen:
		return fmt.Errorf("auth: secret is %d bytes, need at least %d", len(c.Secret), MinSecretLen)
	case c.Leeway < 0:
		return fmt.Errorf("auth: negative leeway %v", c.Leeway)
	}
	return nil
}

func (c Config) leeway() time.Duration {
	if c.Leeway == 0 {
		return DefaultLeeway
	}
	return c.Leeway
}

// Error is the error Verify returns. Reason is a short, fixed description
// (such as "token expired") that never contains any part of the token, so it
// is safe to return to clients. Error wraps both ErrUnauthenticated and the
// underlying cause, which is meant for server logs only.
type Error struct {
	Reason string
	cause  error
}

func (e *Error) Error() string { return ErrUnauthenticated.Error() + ": " + e.Reason }

// Unwrap returns ErrUnauthenticated and, when there is one, the cause.
func (e *Error) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrUnauthenticated}
	}
	return []error{ErrUnauthenticated, e.cause}
}

func unauthenticated(reason string, cause error) error {
	return &Error{Reason: reason, cause: cause}
}

// Reason returns the client-safe reason of an error returned by Verify, or
// "invalid token" for any other error.
func Reason(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Reason
	}
	return "invalid token"
}
