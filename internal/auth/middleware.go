package auth

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/opsgraph/opsgraph/internal/viewer"
)

// Middleware authenticates every request with the bearer token in its
// Authorization header. A valid token puts its viewer in the request context
// (see viewer.FromContext) before calling next; a missing or invalid one is
// answered with 401 and a GraphQL-shaped error (see WriteUnauthenticated).
func Middleware(v *Verifier, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vw, err := v.Authenticate(r.Header.Get("Authorization"))
		if err != nil {
			WriteUnauthenticated(w, Reason(err), !errors.Is(err, errNoToken))
			return
		}
		next.ServeHTTP(w, r.WithContext(viewer.NewContext(r.Context(), vw)))
	})
}

// errNoToken is the cause of an Authenticate error when the header carries
// no bearer token at all (as opposed to an invalid one).
var errNoToken = errors.New("auth: no bearer token")

// Authenticate returns the viewer of an Authorization header value
// ("Bearer <token>"). It is the one way a request becomes a viewer: the
// HTTP Middleware calls it with the request's header, the websocket
// transport with the Authorization entry of connection_init. Every error is
// an *Error (see Reason).
func (v *Verifier) Authenticate(authorization string) (*viewer.Viewer, error) {
	token, reason := bearerToken(authorization)
	if token == "" {
		return nil, unauthenticated(reason, errNoToken)
	}
	return v.Verify(token)
}

// bearerToken extracts the token from an Authorization header value. When
// there is none it returns "" and the reason why.
func bearerToken(header string) (token, reason string) {
	if header == "" {
		return "", "missing bearer token"
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(header), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", "authorization scheme must be Bearer"
	}
	if token = strings.TrimSpace(token); token == "" {
		return "", "missing bearer token"
	}
	return token, ""
}

// gqlErrorBody is a GraphQL response carrying a single error.
type gqlErrorBody struct {
	Errors []gqlError `json:"errors"`
}

type gqlError struct {
	Message    string            `json:"message"`
	Extensions map[string]string `json:"extensions"`
}

// WriteUnauthenticated answers 401 with a WWW-Authenticate challenge for the
// "opsgraph" realm (adding error="invalid_token" when the request presented a
// token) and the body
//
//	{"errors":[{"message":reason,"extensions":{"code":"UNAUTHENTICATED"}}]}
//
// reason is sent to the client as is, so it must not contain the token.
func WriteUnauthenticated(w http.ResponseWriter, reason string, tokenPresent bool) {
	challenge := `Bearer realm="opsgraph"`
	if tokenPresent {
		challenge += `, error="invalid_token"`
	}
	h := w.Header()
	h.Set("WWW-Authenticate", challenge)
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnauthorized)
	_ = json.NewEncoder(w).Encode(gqlErrorBody{Errors: []gqlError{{
		Message:    reason,
		Extensions: map[string]string{"code": "UNAUTHENTICATED"},
	}}})
}
