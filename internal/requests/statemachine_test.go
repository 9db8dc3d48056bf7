package requests

import (
	"errors"
	"strings"
	"testing"

	"github.com/opsgraph/opsgraph/ent/request"
)

// The whole table: every action from every status, with the status it
// leaves (none: refused).
func TestNext(t *testing.T) {
	const no request.Status = "-"
	N, T, I, W, R, C := statusNew, statusTriaged, statusInProgress, statusWaiting, statusResolved, statusClosed
	want := map[Action][6]request.Status{ // from NEW, TRIAGED, IN_PROGRESS, WAITING, RESOLVED, CLOSED
		ActionTriage:  {T, T, I, W, no, no},
		ActionAssign:  {N, T, I, W, no, no},
		ActionRespond: {N, T, I, W, no, no},
		ActionResolve: {R, R, R, R, no, no},
		ActionReopen:  {no, no, no, no, I, no},
		ActionClose:   {no, no, no, no, C, no},
	}
	for a, row := range want {
		for i, from := range Statuses {
			got, err := Next(from, a, "")
			if row[i] == no {
				var te *TransitionError
				if !errors.As(err, &te) || te.Current != from || got != from {
					t.Errorf("%s from %s: got %s, %v; want a TransitionError", a, from, got, err)
				} else if !strings.Contains(err.Error(), string(from)) {
					t.Errorf("%s from %s: message %q does not name the status", a, from, err)
				}
				continue
			}
			if err != nil || got != row[i] {
				t.Errorf("%s from %s: got %s, %v; want %s", a, from, got, err, row[i])
			}
		}
	}
	// requestSetStatus: from any open status to any settable one.
	for _, from := range Statuses {
		for _, to := range Statuses {
			got, err := Next(from, ActionSetStatus, to)
			var te *TransitionError
			switch {
			case !IsOpen(from):
				if !errors.As(err, &te) {
					t.Errorf("setStatus %s → %s: %v, want a TransitionError", from, to, err)
				}
			case to == N || to == R || to == C:
				if err == nil || errors.As(err, &te) {
					t.Errorf("setStatus %s → %s: %v, want a plain error (the input is at fault)", from, to, err)
				}
			case err != nil || got != to:
				t.Errorf("setStatus %s → %s: got %s, %v", from, to, got, err)
			}
		}
	}
	if _, err := Next(N, "requestFly", ""); err == nil {
		t.Error("unknown action accepted")
	}
}

func TestTransitionErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		a    Action
		from request.Status
		want string
	}{
		{ActionClose, statusNew, "cannot close a request that is NEW (allowed now: [requestTriage requestAssign requestRespond requestSetStatus requestResolve])"},
		{ActionReopen, statusClosed, "cannot reopen a request that is CLOSED: CLOSED is final"},
		{ActionRespond, statusResolved, "cannot respond to a request that is RESOLVED (allowed now: [requestReopen requestClose])"},
		{ActionSetStatus, statusClosed, "cannot change the status of a request that is CLOSED: CLOSED is final"},
	} {
		_, err := Next(tc.from, tc.a, statusInProgress)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s from %s: %v\nwant %s", tc.a, tc.from, err, tc.want)
		}
	}
}
