package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// The extensions.code values the server sends in top-level GraphQL errors.
const (
	CodeUnauthenticated  = "UNAUTHENTICATED"    // no token, or a bad one (HTTP 401)
	CodeForbidden        = "FORBIDDEN"          // the viewer may not read a field or call a mutation
	CodeBadUserInput     = "BAD_USER_INPUT"     // a malformed argument, e.g. a global ID of the wrong type
	CodePageSizeExceeded = "PAGE_SIZE_EXCEEDED" // first/last above the server's cap
	CodeValidationFailed = "GRAPHQL_VALIDATION_FAILED"
	CodeParseFailed      = "GRAPHQL_PARSE_FAILED"
	CodeInternal         = "INTERNAL_SERVER_ERROR"
	// Limits (docs/operations.md in the server's repository): refused
	// before anything ran, except TIMEOUT.
	CodeQueryTooCostly = "QUERY_TOO_COSTLY" // priced over the per-operation maximum or the whole budget: ask for smaller pages
	CodeQueryTooDeep   = "QUERY_TOO_DEEP"
	CodeTooManyFields  = "TOO_MANY_FIELDS"
	CodeTooManyAliases = "TOO_MANY_ALIASES"
	CodeRateLimited    = "RATE_LIMITED" // HTTP 429: the budget is spent; retried after Retry-After
	CodeTimeout        = "TIMEOUT"      // the execution time limit passed; a mutation rolled back
)

// GraphQLError is one entry of a response's errors.
type GraphQLError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// Code is the error's extensions.code ("" when it has none).
func (e GraphQLError) Code() string {
	c, _ := e.Extensions["code"].(string)
	return c
}

// PathString renders the path as accounts.edges.3.node.arrMinor.
func (e GraphQLError) PathString() string {
	parts := make([]string, len(e.Path))
	for i, p := range e.Path {
		parts[i] = fmt.Sprint(p)
	}
	return strings.Join(parts, ".")
}

// Error is a failed call: the transport failed (Err), the server answered
// with a non-200 status, or the response carried GraphQL errors. When the
// server returned data alongside the errors (a field the viewer may not read
// is null with a FORBIDDEN error at its path; the rest arrives), Data holds
// it and the method's typed result is filled in too.
type Error struct {
	Operation  string         // the SDK operation, e.g. "Accounts"
	StatusCode int            // the HTTP status; 0 when no response arrived
	Errors     []GraphQLError // the response's errors
	Data       json.RawMessage
	Extensions map[string]any
	Attempts   int   // how many times the request was sent
	Err        error // the transport or decoding failure, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "opsgraph %s", e.Operation)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.StatusCode)
	}
	for i, ge := range e.Errors {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Errors)-3)
			break
		}
		b.WriteString(": ")
		if c := ge.Code(); c != "" {
			b.WriteString(c + " ")
		}
		if len(ge.Path) > 0 {
			b.WriteString("at " + ge.PathString() + " ")
		}
		b.WriteString(ge.Message)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Code is the first error's extensions.code ("" when none).
func (e *Error) Code() string {
	for _, ge := range e.Errors {
		if c := ge.Code(); c != "" {
			return c
		}
	}
	return ""
}

// HasCode reports whether any of the errors has extensions.code code.
func (e *Error) HasCode(code string) bool {
	for _, ge := range e.Errors {
		if ge.Code() == code {
			return true
		}
	}
	return false
}

// Partial reports whether data arrived with the errors: the typed result
// holds everything but the fields the errors name (which are null).
func (e *Error) Partial() bool { return len(e.Data) > 0 }

// onlyDeniedFields reports whether data arrived and every error is a
// FORBIDDEN field below a root field.
func (e *Error) onlyDeniedFields() bool {
	if !e.Partial() || e.Err != nil || len(e.Errors) == 0 {
		return false
	}
	for _, ge := range e.Errors {
		if ge.Code() != CodeForbidden || len(ge.Path) < 2 {
			return false
		}
	}
	return true
}

// under returns the errors whose path starts with prefix, as an *Error of
// their own (nil when there are none).
func (e *Error) under(prefix ...any) *Error {
	var sub []GraphQLError
	for _, ge := range e.Errors {
		if hasPrefix(ge.Path, prefix) {
			sub = append(sub, ge)
		}
	}
	if len(sub) == 0 {
		return nil
	}
	c := *e
	c.Errors = sub
	return &c
}

func hasPrefix(path, prefix []any) bool {
	if len(path) < len(prefix) {
		return false
	}
	for i, p := range prefix {
		if fmt.Sprint(path[i]) != fmt.Sprint(p) {
			return false
		}
	}
	return true
}

// IsCode reports whether err is (or wraps) an *Error with extensions.code
// code, e.g. sdk.IsCode(err, sdk.CodeForbidden).
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.HasCode(code)
}

// UserErrors is the error a mutation returns when the server refused the
// action for business reasons (validation, an illegal transition, …): the
// payload's userErrors, typed. Nothing was changed.
type UserErrors struct {
	Field  string // the mutation, e.g. "orderSubmit"
	Errors []UserError
}

func (e *UserErrors) Error() string {
	parts := make([]string, len(e.Errors))
	for i, ue := range e.Errors {
		parts[i] = string(ue.Code) + ": " + ue.Message
		if len(ue.Field) > 0 {
			parts[i] += " (" + strings.Join(ue.Field, ".") + ")"
		}
	}
	return fmt.Sprintf("opsgraph %s refused: %s", e.Field, strings.Join(parts, "; "))
}

// Has reports whether one of the errors has code.
func (e *UserErrors) Has(code UserErrorCode) bool {
	for _, ue := range e.Errors {
		if ue.Code == code {
			return true
		}
	}
	return false
}

// HasUserError reports whether err is (or wraps) *UserErrors with code.
func HasUserError(err error, code UserErrorCode) bool {
	var e *UserErrors
	return errors.As(err, &e) && e.Has(code)
}

func userErrorsOf(field string, errs []UserError) error {
	if len(errs) == 0 {
		return nil
	}
	return &UserErrors{Field: field, Errors: errs}
}
