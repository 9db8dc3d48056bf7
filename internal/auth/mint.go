package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/opsgraph/opsgraph/internal/viewer"
)

// MintOptions describes a token to issue.
type MintOptions struct {
	// Subject is the `sub` claim; required.
	Subject string
	// Roles is the `roles` claim; at least one, each a known role.
	Roles []string
	// Scopes become the space-separated `scope` claim; optional.
	Scopes []string
	// TTL is the token lifetime; must be positive.
	TTL time.Duration
	// Now returns the issue time; time.Now when nil.
	Now func() time.Time
}

// Mint issues an HS256 token for opts signed with cfg.Secret. It sets sub,
// roles, scope (when any), iat, nbf, exp, iss and aud (when configured) and a
// random jti.
func Mint(cfg Config, opts MintOptions) (string, error) {
	if err := cfg.validate(); err != nil {
		return "", err
	}
	if err := opts.validate(); err != nil {
		return "", fmt.Errorf("auth: mint: %w", err)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	issued := now()
	payload := struct {
		jwt.RegisteredClaims
		Roles []string `json:"roles"`
		Scope string   `json:"scope,omitempty"`
	}{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   opts.Subject,
			Issuer:    cfg.Issuer,
			IssuedAt:  jwt.NewNumericDate(issued),
			NotBefore: jwt.NewNumericDate(issued),
			ExpiresAt: jwt.NewNumericDate(issued.Add(opts.TTL)),
			ID:        rand.Text(),
		},
		Roles: opts.Roles,
		Scope: strings.Join(opts.Scopes, " "),
	}
	if cfg.Audience != "" {
		payload.Audience = jwt.ClaimStrings{cfg.Audience}
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, payload).SignedString(cfg.Secret)
	if err != nil {
		return "", fmt.Errorf("auth: mint: sign token: %w", err)
	}
	return signed, nil
}

func (o MintOptions) validate() error {
	if o.Subject == "" {
		return errors.New("subject is required")
	}
	// JSON carries only UTF-8: invalid bytes would be replaced by U+FFFD and
	// the token would name another subject (found by FuzzMintVerify).
	if !utf8.ValidString(o.Subject) {
		return errors.New("subject must be valid UTF-8")
	}
	if o.TTL <= 0 {
		return fmt.Errorf("TTL must be positive, got %v", o.TTL)
	}
	if len(o.Roles) == 0 {
		return errors.New("at least one role is required")
	}
	for _, r := range o.Roles {
		if !viewer.IsRole(r) {
			return fmt.Errorf("unknown role %q", r)
		}
	}
	for _, s := range o.Scopes {
		if s == "" || strings.ContainsFunc(s, unicode.IsSpace) || !utf8.ValidString(s) {
			return fmt.Errorf("invalid scope %q: must be non-empty UTF-8 without spaces", s)
		}
	}
	return nil
}
