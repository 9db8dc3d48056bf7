// Package usererr holds business rule failures: the userErrors a mutation
// returns instead of changing anything. gqlgen binds the GraphQL UserError
// and UserErrorCode types to Error and Code.
package usererr

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/opsgraph/opsgraph/ent/schema/gid"
)

// Code is a stable, machine-readable failure code (GraphQL enum UserErrorCode).
type Code string

// Codes. Keep in step with enum UserErrorCode in schema/opsgraph.graphql; a
// test checks they match.
const (
	Required       Code = "REQUIRED"
	InvalidValue   Code = "INVALID_VALUE"
	InvalidEmail   Code = "INVALID_EMAIL"
	TooLong        Code = "TOO_LONG"
	NegativeValue  Code = "NEGATIVE_VALUE"
	EndBeforeStart Code = "END_BEFORE_START"
	NotFound       Code = "NOT_FOUND"
	WrongType      Code = "WRONG_TYPE"
	Taken          Code = "TAKEN"
	HierarchyCycle Code = "HIERARCHY_CYCLE"
	UnknownRole    Code = "UNKNOWN_ROLE"
	// IdempotencyKeyReused: the key was first used with other input.
	IdempotencyKeyReused Code = "IDEMPOTENCY_KEY_REUSED"
	// InvalidTransition: the record's current state does not allow the action.
	InvalidTransition Code = "INVALID_TRANSITION"
	// TooMany: a batch is larger than the mutation accepts.
	TooMany Code = "TOO_MANY"

	// Order validation failures (also recorded on the order).
	OrderHasNoLines         Code = "ORDER_HAS_NO_LINES"
	ContractRequired        Code = "CONTRACT_REQUIRED"
	ContractNotActive       Code = "CONTRACT_NOT_ACTIVE"
	ContractAccountMismatch Code = "CONTRACT_ACCOUNT_MISMATCH"
	ProductInactive         Code = "PRODUCT_INACTIVE"
	ProductNotOnContract    Code = "PRODUCT_NOT_ON_CONTRACT"
	QuantityNotPositive     Code = "QUANTITY_NOT_POSITIVE"
	QuantityExceedsContract Code = "QUANTITY_EXCEEDS_CONTRACT"
	TierNotOffered          Code = "TIER_NOT_OFFERED"
	EntitlementMismatch     Code = "ENTITLEMENT_MISMATCH"
)

// AllCodes lists every code.
var AllCodes = []Code{
	Required, InvalidValue, InvalidEmail, TooLong, NegativeValue, EndBeforeStart,
	NotFound, WrongType, Taken, HierarchyCycle, UnknownRole, IdempotencyKeyReused, InvalidTransition,
	TooMany, OrderHasNoLines, ContractRequired, ContractNotActive, ContractAccountMismatch, ProductInactive,
	ProductNotOnContract, QuantityNotPositive, QuantityExceedsContract, TierNotOffered, EntitlementMismatch,
}

// MarshalGQL implements graphql.Marshaler.
func (c Code) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(c))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (c *Code) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("UserErrorCode must be a string")
	}
	for _, k := range AllCodes {
		if string(k) == s {
			*c = k
			return nil
		}
	}
	return fmt.Errorf("%q is not a valid UserErrorCode", s)
}

// Error is one business rule failure.
type Error struct {
	// Field is the path to the input field at fault, e.g. ["input","email"].
	Field []string `json:"field,omitempty"`
	// Message explains the failure to a person. It never echoes protected values.
	Message string `json:"message"`
	// Code is the stable failure code.
	Code Code `json:"code"`
}

func (e *Error) Error() string {
	if len(e.Field) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s: %s", strings.Join(e.Field, "."), e.Code, e.Message)
}

// ForRef says whether id can name a row of table before looking it up: ok
// when it lies in the table's id range; otherwise the failure to report,
// WRONG_TYPE for an id of another table and NOT_FOUND for an id of none.
func ForRef(id int, table string) (code Code, ok bool) {
	if gid.Is(id, table) {
		return "", true
	}
	if _, other := gid.TableOf(id); other {
		return WrongType, false
	}
	return NotFound, false
}

// List collects failures.
type List []*Error

// Add appends a failure at the given field path.
func (l *List) Add(code Code, message string, field ...string) {
	*l = append(*l, &Error{Field: field, Message: message, Code: code})
}

// Empty reports whether there are no failures.
func (l List) Empty() bool { return len(l) == 0 }

// Has reports whether a failure with code exists.
func (l List) Has(code Code) bool {
	for _, e := range l {
		if e.Code == code {
			return true
		}
	}
	return false
}

// Error makes a non-empty List usable as an error (used to roll back a
// transaction); it joins the failures.
func (l List) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}
