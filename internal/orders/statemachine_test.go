package orders

import (
	"errors"
	"strings"
	"testing"

	"github.com/opsgraph/opsgraph/ent/order"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
)

// Every (state, action) pair: the expected outcome, written out by hand.
func TestEveryStateActionPair(t *testing.T) {
	const x = "" // refused
	want := map[schematype.OrderStatus]map[Action]schematype.OrderStatus{
		draft:        {ActionUpdate: draft, ActionSubmit: submitted, ActionValidate: x, ActionStartProvisioning: x, ActionFulfill: x, ActionReject: x, ActionCancel: cancelled},
		submitted:    {ActionUpdate: x, ActionSubmit: x, ActionValidate: validated, ActionStartProvisioning: x, ActionFulfill: x, ActionReject: rejected, ActionCancel: cancelled},
		validated:    {ActionUpdate: x, ActionSubmit: x, ActionValidate: x, ActionStartProvisioning: provisioning, ActionFulfill: x, ActionReject: rejected, ActionCancel: cancelled},
		provisioning: {ActionUpdate: x, ActionSubmit: x, ActionValidate: x, ActionStartProvisioning: x, ActionFulfill: fulfilled, ActionReject: rejected, ActionCancel: cancelled},
		fulfilled:    {ActionUpdate: x, ActionSubmit: x, ActionValidate: x, ActionStartProvisioning: x, ActionFulfill: x, ActionReject: x, ActionCancel: x},
		rejected:     {ActionUpdate: x, ActionSubmit: x, ActionValidate: x, ActionStartProvisioning: x, ActionFulfill: x, ActionReject: x, ActionCancel: x},
		cancelled:    {ActionUpdate: x, ActionSubmit: x, ActionValidate: x, ActionStartProvisioning: x, ActionFulfill: x, ActionReject: x, ActionCancel: x},
	}
	if len(want) != len(schematype.AllOrderStatuses) {
		t.Fatalf("the table covers %d states, the schema has %d", len(want), len(schematype.AllOrderStatuses))
	}
	for _, from := range schematype.AllOrderStatuses {
		if len(want[from]) != len(Actions) {
			t.Fatalf("%s: the table covers %d actions, there are %d", from, len(want[from]), len(Actions))
		}
		for _, a := range Actions {
			got, err := Next(from, a)
			exp := want[from][a]
			if exp == x {
				var te *TransitionError
				if !errors.As(err, &te) || te.Current != from || got != from {
					t.Errorf("%s --%s--> %s, %v; want a TransitionError", from, a, got, err)
				}
				if err != nil && !strings.Contains(err.Error(), string(from)) {
					t.Errorf("error %q does not name the current state", err)
				}
				continue
			}
			if err != nil || got != exp {
				t.Errorf("%s --%s--> %s, %v; want %s", from, a, got, err, exp)
			}
		}
	}
}

func TestTerminalStatesAndStamps(t *testing.T) {
	for _, s := range schematype.AllOrderStatuses {
		wantTerminal := s == fulfilled || s == rejected || s == cancelled
		if Terminal(s) != wantTerminal {
			t.Errorf("Terminal(%s) = %v", s, Terminal(s))
		}
		f := StampField(s)
		if s == draft {
			if f != "" {
				t.Errorf("DRAFT stamps %q", f)
			}
			continue
		}
		if !strings.HasSuffix(f, "_at") || !order.ValidColumn(f) {
			t.Errorf("StampField(%s) = %q, not an order column", s, f)
		}
	}
	if _, err := Next(draft, Action("teleport")); err == nil {
		t.Error("an unknown action was accepted")
	}
}
