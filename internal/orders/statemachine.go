// Package orders holds the order lifecycle. This file is its state machine:
// the one place that says which action may move an order from which state to
// which, and which timestamp each state stamps. The order actions (submit,
// validate, provision, fulfil, reject, cancel) go through Next, so an illegal
// transition is refused the same way everywhere.
package orders

import (
	"fmt"
	"slices"

	"github.com/opsgraph/opsgraph/ent/schema/schematype"
)

// Action is something done to an order.
type Action string

// Order actions. Update edits a draft and leaves it a draft.
const (
	ActionUpdate            Action = "update"
	ActionSubmit            Action = "submit"
	ActionValidate          Action = "validate"
	ActionStartProvisioning Action = "startProvisioning"
	ActionFulfill           Action = "fulfill"
	ActionReject            Action = "reject"
	ActionCancel            Action = "cancel"
)

// Actions lists every action, in lifecycle order.
var Actions = []Action{ActionUpdate, ActionSubmit, ActionValidate, ActionStartProvisioning, ActionFulfill, ActionReject, ActionCancel}

type (
	status = schematype.OrderStatus
	edge   struct {
		from []status
		to   status
	}
)

var (
	draft        = schematype.OrderStatusDraft
	submitted    = schematype.OrderStatusSubmitted
	validated    = schematype.OrderStatusValidated
	provisioning = schematype.OrderStatusProvisioning
	fulfilled    = schematype.OrderStatusFulfilled
	rejected     = schematype.OrderStatusRejected
	cancelled    = schematype.OrderStatusCancelled
)

// transitions is the state machine.
var transitions = map[Action]edge{
	ActionUpdate:            {from: []status{draft}, to: draft},
	ActionSubmit:            {from: []status{draft}, to: submitted},
	ActionValidate:          {from: []status{submitted}, to: validated},
	ActionStartProvisioning: {from: []status{validated}, to: provisioning},
	ActionFulfill:           {from: []status{provisioning}, to: fulfilled},
	ActionReject:            {from: []status{submitted, validated, provisioning}, to: rejected},
	ActionCancel:            {from: []status{draft, submitted, validated, provisioning}, to: cancelled},
}

// TransitionError reports an action the order's current state does not
// allow. Its message names the current state (a userError INVALID_TRANSITION).
type TransitionError struct {
	Action  Action
	Current status
	Allowed []Action
}

func (e *TransitionError) Error() string {
	if len(e.Allowed) == 0 {
		return fmt.Sprintf("cannot %s an order that is %s: %s is final", e.Action, e.Current, e.Current)
	}
	return fmt.Sprintf("cannot %s an order that is %s (allowed now: %v)", e.Action, e.Current, e.Allowed)
}

// Next returns the state action moves an order in state from to, or a
// *TransitionError when the action is not allowed from that state.
func Next(from status, a Action) (status, error) {
	e, ok := transitions[a]
	if !ok {
		return from, fmt.Errorf("orders: unknown action %q", a)
	}
	if !slices.Contains(e.from, from) {
		return from, &TransitionError{Action: a, Current: from, Allowed: Allowed(from)}
	}
	return e.to, nil
}

// Allowed lists the actions allowed from state, in lifecycle order.
func Allowed(from status) []Action {
	var out []Action
	for _, a := range Actions {
		if slices.Contains(transitions[a].from, from) {
			out = append(out, a)
		}
	}
	return out
}

// Terminal reports whether no action leaves state.
func Terminal(s status) bool { return len(Allowed(s)) == 0 }

// StampField is the order field that records when an order reached state;
// empty for DRAFT (the creation time).
func StampField(s status) string {
	switch s {
	case submitted:
		return "submitted_at"
	case validated:
		return "validated_at"
	case provisioning:
		return "provisioning_at"
	case fulfilled:
		return "fulfilled_at"
	case rejected:
		return "rejected_at"
	case cancelled:
		return "cancelled_at"
	}
	return ""
}
