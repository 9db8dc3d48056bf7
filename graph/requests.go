package graph

import (
	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/request"
	"github.com/opsgraph/opsgraph/graph/model"
	"github.com/opsgraph/opsgraph/internal/requests"
	"github.com/opsgraph/opsgraph/internal/sla"
	"github.com/opsgraph/opsgraph/internal/usererr"
)

// requestPayload is the payload of every request action.
func requestPayload(q *ent.Request, errs usererr.List, err error) (*model.RequestPayload, error) {
	return &model.RequestPayload{Request: q, UserErrors: orEmpty(errs)}, err
}

// slaOf evaluates a request's SLA clocks now, from the history on the row: no
// SQL, so a connection of requests costs no extra statements.
func (r *Resolver) slaOf(q *ent.Request) (sla.Status, error) {
	return requests.Evaluate(r.slaPolicy, q, r.now())
}

// requestStatus converts a status recorded in a request's history.
func requestStatus(s string) (request.Status, error) {
	st := request.Status(s)
	return st, request.StatusValidator(st)
}
