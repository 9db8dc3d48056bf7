package auth

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/opsgraph/opsgraph/internal/viewer"
)

// signingAlg is the algorithm Mint produces and the only one the secret
// verifies.
const signingAlg = "HS256"

// Errors of the Verifier's key lookup; Reason maps them to client-safe text.
var (
	errMissingKid   = errors.New("auth: token has no kid header")
	errAlgMismatch  = errors.New("auth: token alg is not the algorithm its key allows")
	errAlgNoKey     = errors.New("auth: no key is configured for the token alg")
	errCriticalHead = errors.New("auth: token has a crit header")
)

// claims is the JWT payload. Roles stays raw so a missing or ill-typed claim
// gets a precise reason instead of a generic decode failure.
type claims struct {
	jwt.RegisteredClaims
	Roles json.RawMessage `json:"roles,omitempty"`
	Scope string          `json:"scope,omitempty"`
}

// Verifier checks bearer tokens. It is safe for concurrent use.
type Verifier struct {
	secret  []byte
	keys    *KeySource
	methods []string
	parser  *jwt.Parser
	leeway  time.Duration
	cache   tokenCache
}

// NewVerifier returns a Verifier for cfg. It fails when there is neither a
// secret nor a key source, when the secret is shorter than MinSecretLen, and
// in production mode when the issuer or the audience is not set.
//
// With a secret the Verifier accepts HS256 tokens signed with it. With
// cfg.Keys it accepts RS256/RS384/RS512, ES256/ES384/ES512 and EdDSA tokens
// whose `kid` header names a key of the set that allows the token's
// algorithm. HS256 tokens are never checked against a JWKS key.
func NewVerifier(cfg Config) (*Verifier, error) {
	if err := cfg.validateVerifier(); err != nil {
		return nil, err
	}
	v := &Verifier{keys: cfg.Keys, leeway: cfg.leeway()}
	if len(cfg.Secret) > 0 {
		v.secret = append([]byte(nil), cfg.Secret...)
		v.methods = append(v.methods, signingAlg)
	}
	if cfg.Keys != nil {
		v.methods = append(v.methods, asymmetricAlgs...)
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(v.methods),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(v.leeway),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	v.parser = jwt.NewParser(opts...)
	return v, nil
}

// Verify checks tokenString (algorithm and key, signature, exp/nbf with
// leeway, iss and aud when configured) and returns the viewer its claims
// describe. Every error is an *Error wrapping ErrUnauthenticated.
func (v *Verifier) Verify(tokenString string) (*viewer.Viewer, error) {
	now := time.Now()
	if vw, ok := v.cache.get(tokenString, now, v.keys); ok {
		return vw, nil
	}
	var (
		c    claims
		used any // the key that verified the token
	)
	tok, err := v.parser.ParseWithClaims(tokenString, &c, func(t *jwt.Token) (any, error) {
		k, err := v.key(t)
		used = k
		return k, err
	})
	if err != nil {
		return nil, unauthenticated(v.parseReason(tok, &c, err), err)
	}
	vw, err := c.viewer()
	if err != nil {
		return nil, err
	}
	// The parser requires exp: the token is accepted until exp + leeway.
	vw.Expires = c.ExpiresAt.Add(v.leeway)
	e := cachedToken{v: vw, until: now.Add(tokenCacheTTL)}
	if vw.Expires.Before(e.until) {
		e.until = vw.Expires
	}
	if c.NotBefore != nil {
		e.notBefore = c.NotBefore.Add(-v.leeway)
	}
	if tok.Method.Alg() != signingAlg {
		e.kid, _ = tok.Header["kid"].(string)
		e.key = used
	}
	v.cache.put(tokenString, e, now)
	return vw.Fresh(), nil
}

// key is the jwt.Keyfunc: it picks the one key that may verify tok. The
// parser has already checked that tok's alg is one of v.methods.
func (v *Verifier) key(tok *jwt.Token) (any, error) {
	if _, ok := tok.Header["crit"]; ok {
		// RFC 7515 §4.1.11: no extension is understood here.
		return nil, errCriticalHead
	}
	alg := tok.Method.Alg()
	if alg == signingAlg {
		if v.secret == nil {
			return nil, errAlgNoKey
		}
		return v.secret, nil
	}
	if v.keys == nil {
		return nil, errAlgNoKey
	}
	kid, _ := tok.Header["kid"].(string)
	if kid == "" {
		return nil, errMissingKid
	}
	k, err := v.keys.Key(kid)
	if err != nil {
		return nil, err
	}
	if k.Algorithm != alg {
		return nil, errAlgMismatch
	}
	return k.Public, nil
}

// parseReason maps a jwt parse error to a short client-safe reason. c holds
// whatever claims were decoded before the error.
func (v *Verifier) parseReason(tok *jwt.Token, c *claims, err error) string {
	switch {
	case errors.Is(err, errUnknownKey):
		return "unknown signing key"
	case errors.Is(err, errMissingKid):
		return "missing kid header"
	case errors.Is(err, errCriticalHead):
		return "unsupported critical header"
	case errors.Is(err, errAlgMismatch), errors.Is(err, errAlgNoKey),
		tok != nil && tok.Method != nil && !slices.Contains(v.methods, tok.Method.Alg()),
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
