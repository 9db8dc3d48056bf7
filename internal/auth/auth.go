// Package auth authenticates HTTP requests to the GraphQL server with JWTs.
// A Verifier checks a bearer token and turns its claims into a
// viewer.Viewer; Middleware puts that viewer in the request context; Mint
// issues tokens (for the CLI, tests and the embedded default setup).
//
// Tokens are signed either with HS256 and a shared secret (development, the
// CLI) or with RS256/RS384/RS512, ES256/ES384/ES512 or EdDSA by a key from a
// JWK Set (a KeySource, read from a file or URL). Each JWKS key allows exactly
// one algorithm, and HS256 tokens are only ever checked against the secret,
// so a token cannot choose how it is verified.
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
	// Secret is the HS256 key; at least MinSecretLen bytes. Mint needs it; a
	// Verifier needs it or Keys, and without it rejects HS256 tokens.
	Secret []byte
	// Keys, when set, verifies asymmetrically signed tokens (see KeySource).
	// Such tokens must name their key in the `kid` header and use the
	// algorithm that key allows.
	Keys *KeySource
	// Issuer, when set, is written to and required in the `iss` claim.
	Issuer string
	// Audience, when set, is written to and required in the `aud` claim.
	Audience string
	// Leeway is the clock skew tolerated for exp/nbf; DefaultLeeway when zero.
	Leeway time.Duration
	// Production makes NewVerifier require Issuer and Audience, so that every
	// token must carry the expected `iss` and `aud`.
	Production bool
}

// validate checks the configuration Mint needs: a secret.
func (c Config) validate() error {
	if err := c.validateSecret(); err != nil {
		return err
	}
	if c.Leeway < 0 {
		return fmt.Errorf("auth: negative leeway %v", c.Leeway)
	}
	return nil
}

func (c Config) validateSecret() error {
	switch {
	case len(c.Secret) == 0:
		return errors.New("auth: secret is empty")
	case len(c.Secret) < MinSecretLen:
		return fmt.Errorf("auth: secret is %d bytes, need at least %d", len(c.Secret), MinSecretLen)
	}
	return nil
}

// validateVerifier checks the configuration NewVerifier needs: a secret or
// a key source, and in production mode an issuer and an audience.
func (c Config) validateVerifier() error {
	switch {
	case len(c.Secret) == 0 && c.Keys == nil:
		return errors.New("auth: secret is empty and no JWKS is configured")
	case len(c.Secret) > 0:
		if err := c.validateSecret(); err != nil {
			return err
		}
	}
	switch {
	case c.Leeway < 0:
		return fmt.Errorf("auth: negative leeway %v", c.Leeway)
	case c.Production && (c.Issuer == "" || c.Audience == ""):
		return errors.New("auth: production mode requires both an issuer and an audience")
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
