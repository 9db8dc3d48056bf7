package auth

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/opsgraph/opsgraph/internal/viewer"
)

// signingAlg is the only algorithm Verifier accepts and Mint produces.
const signingAlg = "HS256"

// claims is the JWT payload. Roles stays raw so a missing or ill-typed claim
// gets a precise reason instead of a generic decode failure.
type claims struct {
	jwt.RegisteredClaims
	Roles json.RawMessage `json:"roles,omitempty"`
	Scope string          `json:"scope,omitempty"`
}

// Verifier checks bearer tokens. It is safe for concurrent use.
type Verifier struct {
	secret []byte
	parser *jwt.Parser
}

// NewVerifier returns a Verifier for cfg. It fails when the secret is missing
// or shorter than MinSecretLen.
func NewVerifier(cfg Config) (*Verifier, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{signingAlg}),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(cfg.leeway()),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	return &Verifier{
		secret: append([]byte(nil), cfg.Secret...),
		parser: jwt.NewParser(opts...),
	}, nil
}

// Verify checks tokenString (signature, algorithm, exp/nbf with leeway, iss
// and aud when configured) and returns the viewer its claims describe. Every
// error is an *Error wrapping ErrUnauthenticated.
func (v *Verifier) Verify(tokenString string) (*viewer.Viewer, error) {
	var c claims
	tok, err := v.parser.ParseWithClaims(tokenString, &c, func(*jwt.Token) (any, error) {
		return v.secret, nil
	})
	if err != nil {
		return nil, unauthenticated(parseReason(tok, &c, err), err)
	}
	return c.viewer()
}

// parseReason maps a jwt parse error to a short client-safe reason. c holds
// whatever claims were decoded before the error.
func parseReason(tok *jwt.Token, c *claims, err error) string {
	switch {
	case tok != nil && tok.Method != nil && tok.Method.Alg() != signingAlg,
		errors.Is(err, jwt.ErrTokenUnverifiable):
		return "unexpected signing algorithm"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "token malformed"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "token signature invalid"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "token not valid yet"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "token used before issued"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		// The parser requires exp, and iss/aud when configured.
		switch {
		case c.ExpiresAt == nil:
			return "missing exp claim"
		case c.Issuer == "":
			return "missing iss claim"
		default:
			return "missing aud claim"
		}
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "invalid issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "invalid audience"
	default:
		return "invalid token"
	}
}

// viewer validates the private claims and builds the Viewer.
func (c *claims) viewer() (*viewer.Viewer, error) {
	if c.Subject == "" {
		return nil, unauthenticated("missing sub claim", nil)
	}
	if len(c.Roles) == 0 || string(c.Roles) == "null" {
		return nil, unauthenticated("missing roles claim", nil)
	}
	var roles []string
	if err := json.Unmarshal(c.Roles, &roles); err != nil {
		return nil, unauthenticated("roles claim must be an array of strings", err)
	}
	if len(roles) == 0 {
		return nil, unauthenticated("empty roles claim", nil)
	}
	for _, r := range roles {
		if !viewer.IsRole(r) {
			return nil, unauthenticated("unknown role in roles claim", nil)
		}
	}
	return &viewer.Viewer{
		Subject: c.Subject,
		Roles:   roles,
		Scopes:  strings.Fields(c.Scope),
	}, nil
}
