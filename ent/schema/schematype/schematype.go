// Package schematype holds the value types that ent/schema fields share:
// enums used by more than one entity and the JSON documents stored on rows.
// gqlgen binds the GraphQL types of the same names to them.
package schematype

import (
	"fmt"
	"io"
	"strconv"
	"time"
)

// enum implements the shared parts of the string enums below.
func unmarshalEnum[T ~string](v any, valid []T, name string) (T, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s must be a string", name)
	}
	for _, e := range valid {
		if string(e) == s {
			return e, nil
		}
	}
	return "", fmt.Errorf("%q is not a valid %s", s, name)
}

func values[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// Region is the sales/operations region of an account or a user.
type Region string

// Regions.
const (
	RegionNA    Region = "NA"
	RegionEMEA  Region = "EMEA"
	RegionAPAC  Region = "APAC"
	RegionLATAM Region = "LATAM"
)

// AllRegions lists every region.
var AllRegions = []Region{RegionNA, RegionEMEA, RegionAPAC, RegionLATAM}

// Values implements ent's EnumValues.
func (Region) Values() []string { return values(AllRegions) }

// MarshalGQL implements graphql.Marshaler.
func (r Region) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(r))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (r *Region) UnmarshalGQL(v any) (err error) {
	*r, err = unmarshalEnum(v, AllRegions, "Region")
	return err
}

// OrderStatus is the state of an order in its lifecycle.
type OrderStatus string

// Order states.
const (
	OrderStatusDraft        OrderStatus = "DRAFT"
	OrderStatusSubmitted    OrderStatus = "SUBMITTED"
	OrderStatusValidated    OrderStatus = "VALIDATED"
	OrderStatusProvisioning OrderStatus = "PROVISIONING"
	OrderStatusFulfilled    OrderStatus = "FULFILLED"
	OrderStatusRejected     OrderStatus = "REJECTED"
	OrderStatusCancelled    OrderStatus = "CANCELLED"
)

// AllOrderStatuses lists every order state in lifecycle order.
var AllOrderStatuses = []OrderStatus{
	OrderStatusDraft, OrderStatusSubmitted, OrderStatusValidated, OrderStatusProvisioning,
	OrderStatusFulfilled, OrderStatusRejected, OrderStatusCancelled,
}

// Values implements ent's EnumValues.
func (OrderStatus) Values() []string { return values(AllOrderStatuses) }

// MarshalGQL implements graphql.Marshaler.
func (s OrderStatus) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(s))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (s *OrderStatus) UnmarshalGQL(v any) (err error) {
	*s, err = unmarshalEnum(v, AllOrderStatuses, "OrderStatus")
	return err
}

// EntitlementKind is how a product is entitled: a feature flag, a licensed
// quantity, or a metered usage limit.
type EntitlementKind string

// Entitlement kinds.
const (
	EntitlementKindBoolean  EntitlementKind = "BOOLEAN"
	EntitlementKindQuantity EntitlementKind = "QUANTITY"
	EntitlementKindMetered  EntitlementKind = "METERED"
)

// AllEntitlementKinds lists every entitlement kind.
var AllEntitlementKinds = []EntitlementKind{EntitlementKindBoolean, EntitlementKindQuantity, EntitlementKindMetered}

// Values implements ent's EnumValues.
func (EntitlementKind) Values() []string { return values(AllEntitlementKinds) }

// MarshalGQL implements graphql.Marshaler.
func (k EntitlementKind) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(k))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (k *EntitlementKind) UnmarshalGQL(v any) (err error) {
	*k, err = unmarshalEnum(v, AllEntitlementKinds, "EntitlementKind")
	return err
}

// OrderValidationError is one machine-readable failure recorded on an order when
// it is validated against its contract and the product catalog.
type OrderValidationError struct {
	// Code is a stable, machine-readable reason such as PRODUCT_NOT_ON_CONTRACT.
	Code string `json:"code"`
	// Line is the 1-based index of the order line at fault, or 0 for the order.
	Line int `json:"line"`
	// Message explains the failure to a person.
	Message string `json:"message"`
}

// ScoreComponent is one measure's contribution to a health score.
type ScoreComponent struct {
	// Kind is the health signal kind the measure reads.
	Kind string `json:"kind"`
	// Weight is the measure's weight in the model, before renormalisation.
	Weight float64 `json:"weight"`
	// Value is the raw signal value used, if a fresh one existed.
	Value *float64 `json:"value,omitempty"`
	// Score is the normalised 0–100 score of the measure, if it counted.
	Score *float64 `json:"score,omitempty"`
	// Fresh reports whether a signal inside the freshness window existed.
	Fresh bool `json:"fresh"`
}

// FieldChange is one field's value before and after a change, JSON encoded.
// Before is null on creation and After is null on deletion.
type FieldChange struct {
	Field  string  `json:"field"`
	Before *string `json:"before,omitempty"`
	After  *string `json:"after,omitempty"`
	// Redacted is set when the values were withheld from the viewer (never
	// stored).
	Redacted bool `json:"-"`
}

// RequestEvent is one entry of a request's timeline: an action taken on the
// request, with the status and priority it left the request in.
type RequestEvent struct {
	// At is when the action happened.
	At time.Time `json:"at"`
	// Action is the mutation that acted, e.g. requestAssign.
	Action string `json:"action"`
	// Actor is the subject (user email or service id) that acted.
	Actor string `json:"actor"`
	// FromStatus is the status before the action; empty on creation.
	FromStatus string `json:"fromStatus,omitempty"`
	// ToStatus is the status after the action.
	ToStatus string `json:"toStatus"`
	// Priority is the priority after the action.
	Priority string `json:"priority"`
	// Note is what the actor wrote with the action, if anything.
	Note string `json:"note,omitempty"`
}
