package requests

import (
	"fmt"
	"slices"

	"github.com/opsgraph/opsgraph/ent/request"
)

// Action is something done to a request. Its value is the mutation's name,
// which the request's history records.
type Action string

// Request actions.
const (
	ActionCreate    Action = "requestCreate"
	ActionTriage    Action = "requestTriage"
	ActionAssign    Action = "requestAssign"
	ActionRespond   Action = "requestRespond"
	ActionSetStatus Action = "requestSetStatus"
	ActionResolve   Action = "requestResolve"
	ActionReopen    Action = "requestReopen"
	ActionClose     Action = "requestClose"
)

// Actions lists every action on an existing request, in lifecycle order.
var Actions = []Action{ActionTriage, ActionAssign, ActionRespond, ActionSetStatus, ActionResolve, ActionReopen, ActionClose}

// Statuses lists every request status, in lifecycle order.
var Statuses = []request.Status{
	request.StatusNEW, request.StatusTRIAGED, request.StatusIN_PROGRESS,
	request.StatusWAITING_ON_REQUESTER, request.StatusRESOLVED, request.StatusCLOSED,
}

// Settable are the statuses requestSetStatus may move an open request to.
var Settable = []request.Status{request.StatusTRIAGED, request.StatusIN_PROGRESS, request.StatusWAITING_ON_REQUESTER}

// target is the status to set: requestSetStatus's chosen status.
const target request.Status = ""

var (
	statusNew        = request.StatusNEW
	statusTriaged    = request.StatusTRIAGED
	statusInProgress = request.StatusIN_PROGRESS
	statusWaiting    = request.StatusWAITING_ON_REQUESTER
	statusResolved   = request.StatusRESOLVED
	statusClosed     = request.StatusCLOSED
)

// stay maps each of the statuses to itself: actions that do not move the
// request.
func stay(from ...request.Status) map[request.Status]request.Status {
	m := make(map[request.Status]request.Status, len(from))
	for _, s := range from {
		m[s] = s
	}
	return m
}

// open are the statuses in which a request is being worked on.
var open = []request.Status{statusNew, statusTriaged, statusInProgress, statusWaiting}

// transitions is the state machine: for each action, the statuses it is
// allowed from and the status it leaves the request in (target: the status
// requestSetStatus names).
var transitions = map[Action]map[request.Status]request.Status{
	ActionTriage:    {statusNew: statusTriaged, statusTriaged: statusTriaged, statusInProgress: statusInProgress, statusWaiting: statusWaiting},
	ActionAssign:    stay(open...),
	ActionRespond:   stay(open...),
	ActionSetStatus: {statusNew: target, statusTriaged: target, statusInProgress: target, statusWaiting: target},
	ActionResolve:   {statusNew: statusResolved, statusTriaged: statusResolved, statusInProgress: statusResolved, statusWaiting: statusResolved},
	ActionReopen:    {statusResolved: statusInProgress},
	ActionClose:     {statusResolved: statusClosed},
}

// TransitionError reports an action the request's current status does not
// allow. Its message names the current status (a userError
// INVALID_TRANSITION).
type TransitionError struct {
	Action  Action
	Current request.Status
	Allowed []Action
}

func (e *TransitionError) Error() string {
	verb := actionVerb(e.Action)
	if len(e.Allowed) == 0 {
		return fmt.Sprintf("cannot %s a request that is %s: %s is final", verb, e.Current, e.Current)
	}
	return fmt.Sprintf("cannot %s a request that is %s (allowed now: %v)", verb, e.Current, e.Allowed)
}

func actionVerb(a Action) string {
	switch a {
	case ActionSetStatus:
		return "change the status of"
	case ActionRespond:
		return "respond to"
	}
	v := string(a[len("request"):])
	return string(v[0]-'A'+'a') + v[1:]
}

// Next returns the status action a moves a request in status from to; for
// ActionSetStatus, to is the status asked for (one of Settable). It returns
// a *TransitionError when the action is not allowed from that status.
func Next(from request.Status, a Action, to request.Status) (request.Status, error) {
	edges, ok := transitions[a]
	if !ok {
		return from, fmt.Errorf("requests: unknown action %q", a)
	}
	next, ok := edges[from]
	if !ok {
		return from, &TransitionError{Action: a, Current: from, Allowed: Allowed(from)}
	}
	if next == target {
		if !slices.Contains(Settable, to) {
			return from, fmt.Errorf("requests: %s cannot set status %s", a, to)
		}
		next = to
	}
	return next, nil
}

// Allowed lists the actions allowed from status, in lifecycle order.
func Allowed(from request.Status) []Action {
	var out []Action
	for _, a := range Actions {
		if _, ok := transitions[a][from]; ok {
			out = append(out, a)
		}
	}
	return out
}

// IsOpen reports whether a request in status s is still being worked on.
func IsOpen(s request.Status) bool { return slices.Contains(open, s) }
