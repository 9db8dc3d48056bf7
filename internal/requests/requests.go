// Package requests holds the CS Ops request queue's actions: intake,
// triage, assignment, responses, status changes and resolution. Every action
// appends to the request's history, from which internal/sla computes the SLA
// clocks.
//
// Each action runs in one transaction (the request locked for update on
// PostgreSQL), is audited under its mutation's name, validates its whole
// input into userErrors with codes, and is safe to retry: an action whose
// effect is already in place (the same assignee, the same status, the same
// response, resolving with the same notes, closing a closed request …)
// succeeds without writing anything. An action the request's status does
// not allow (statemachine.go) fails with INVALID_TRANSITION naming that
// status, and changes nothing.
//
// At every action the response and resolution due instants are stored from
// the SLA evaluation at that instant (nil while paused or stopped), so the
// queue can be sorted by them; the SLA states are computed at read time from
// the history (Evaluate).
package requests

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/order"
	"github.com/opsgraph/opsgraph/ent/request"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/ent/user"
	"github.com/opsgraph/opsgraph/internal/audit"
	"github.com/opsgraph/opsgraph/internal/idempotency"
	"github.com/opsgraph/opsgraph/internal/sla"
	"github.com/opsgraph/opsgraph/internal/txn"
	"github.com/opsgraph/opsgraph/internal/usererr"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// Limits of the free-text inputs, in characters.
const (
	MaxTitle = 300   // title
	MaxText  = 10000 // description, response message, resolution notes
	MaxNote  = 2000  // the note kept with an action
)

// Service runs the request actions against one ent client.
type Service struct {
	client *ent.Client
	now    func() time.Time
	policy sla.Policy
}

// New returns a Service under the SLA policy; now may be nil (time.Now).
// Actions happen at now(); a clock that runs behind a request's last action
// acts at that action's instant.
func New(client *ent.Client, now func() time.Time, policy sla.Policy) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{client: client, now: now, policy: policy}
}

func field(name string) []string { return []string{"input", name} }

// CreateInput is the input of Create.
type CreateInput struct {
	Title       string            `json:"title"`
	Description *string           `json:"description,omitempty"`
	Category    *request.Category `json:"category,omitempty"` // OTHER when nil
	Priority    *request.Priority `json:"priority,omitempty"` // P3 when nil
	AccountID   *int              `json:"accountID,omitempty"`
	OrderID     *int              `json:"orderID,omitempty"`
	// RequesterID is who raises the request; nil: the caller's user.
	RequesterID *int `json:"requesterID,omitempty"`
	// Number is the request number; empty: a new REQ-… number. Not part of
	// the API: loaders (the seed) that keep their own numbering set it.
	Number string `json:"number,omitempty"`
}

// Create raises a request (NEW), under an optional idempotency key.
func (s *Service) Create(ctx context.Context, in CreateInput, key *string) (*ent.Request, usererr.List, error) {
	return idempotency.Run(ctx, s.client, string(ActionCreate), func(ctx context.Context, tx *ent.Client) (*ent.Request, usererr.List, error) {
		return idempotency.Do(ctx, tx, key, idempotency.Action[*ent.Request]{
			Name:   string(ActionCreate),
			Input:  in,
			Load:   tx.Request.Get,
			ID:     func(r *ent.Request) int { return r.ID },
			Create: func(ctx context.Context) (*ent.Request, usererr.List, error) { return s.create(ctx, tx, in) },
		})
	})
}

func (s *Service) create(ctx context.Context, tx *ent.Client, in CreateInput) (*ent.Request, usererr.List, error) {
	var l usererr.List
	title := text(&l, in.Title, "title", MaxTitle, true)
	if in.Description != nil {
		text(&l, *in.Description, "description", MaxText, false)
	}
	category, priority := request.CategoryOTHER, request.PriorityP3
	if in.Category != nil {
		category = *in.Category
		if request.CategoryValidator(category) != nil {
			l.Add(usererr.InvalidValue, "category is not a request category", field("category")...)
		}
	}
	if in.Priority != nil {
		priority = *in.Priority
		if request.PriorityValidator(priority) != nil {
			l.Add(usererr.InvalidValue, "priority must be P1, P2, P3 or P4", field("priority")...)
		}
	}
	accountID := in.AccountID
	if in.AccountID != nil {
		if _, _, err := lookup(ctx, &l, *in.AccountID, account.Table, "accountID", tx.Account.Get); err != nil {
			return nil, nil, err
		}
	}
	if in.OrderID != nil {
		o, ok, err := lookup(ctx, &l, *in.OrderID, order.Table, "orderID", tx.Order.Get)
		switch {
		case err != nil:
			return nil, nil, err
		case ok && accountID == nil:
			accountID = &o.AccountID // the request is about the order's account
		case ok && o.AccountID != *accountID:
			l.Add(usererr.InvalidValue, "orderID names an order of another account than accountID", field("orderID")...)
		}
	}
	requester, err := s.requester(ctx, tx, &l, in.RequesterID)
	if err != nil {
		return nil, nil, err
	}
	if !l.Empty() {
		return nil, l, nil
	}
	number := in.Number
	if number == "" {
		number = newNumber()
	}
	at := s.at(nil)
	h := []schematype.RequestEvent{{At: at, Action: string(ActionCreate), Actor: audit.Actor(ctx),
		ToStatus: string(statusNew), Priority: string(priority)}}
	st, err := evaluate(s.policy, h, at)
	if err != nil {
		return nil, nil, fmt.Errorf("evaluating the SLA of a new request: %w", err)
	}
	return saved(tx.Request.Create().
		SetNumber(number).
		SetTitle(title).
		SetNillableDescription(in.Description).
		SetCategory(category).
		SetPriority(priority).
		SetStatus(statusNew).
		SetRequesterID(requester).
		SetNillableAccountID(accountID).
		SetNillableOrderID(in.OrderID).
		SetNillableResponseDueAt(st.Response.DueAt).
		SetNillableResolutionDueAt(st.Resolution.DueAt).
		SetNillableResponseMet(met(st.Response)).
		SetNillableResolutionMet(met(st.Resolution)).
		SetResponseBreached(st.Response.State == sla.StateBreached).
		SetResolutionBreached(st.Resolution.State == sla.StateBreached).
		SetHistory(h).
		SetCreatedAt(at).
		SetUpdatedAt(at).
		Save(ctx))
}

// requester returns the id of the user who raises a request: id when given
// (it must name a user), else the caller's user. A service (INTEGRATION),
// the system, or a caller with no user record must name one.
func (s *Service) requester(ctx context.Context, tx *ent.Client, l *usererr.List, id *int) (int, error) {
	if id != nil {
		u, _, err := lookup(ctx, l, *id, user.Table, "requesterID", tx.User.Get)
		if u == nil {
			return 0, err
		}
		return u.ID, nil
	}
	const msg = "requesterID is required: the caller is not a user"
	v := viewer.FromContext(ctx)
	if v == nil || v.System || v.HasRole(viewer.RoleIntegration) || v.Subject == "" {
		l.Add(usererr.Required, msg, field("requesterID")...)
		return 0, nil
	}
	uid, err := tx.User.Query().Where(user.Email(strings.ToLower(strings.TrimSpace(v.Subject)))).FirstID(ctx)
	if ent.IsNotFound(err) {
		l.Add(usererr.Required, msg, field("requesterID")...)
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("resolving the caller's user: %w", err)
	}
	return uid, nil
}

// numberAlphabet is Crockford's base 32: no I, L, O or U to misread.
const numberAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newNumber returns a new request number, REQ- and 10 random characters
// (50 bits: a collision is not to be expected).
func newNumber() string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // never fails
	for i := range b {
		b[i] = numberAlphabet[b[i]&31]
	}
	return "REQ-" + string(b[:])
}

// Triage sets a request's category and priority; a NEW request becomes
// TRIAGED.
func (s *Service) Triage(ctx context.Context, id int, category request.Category, priority request.Priority, note *string) (*ent.Request, usererr.List, error) {
	return s.act(ctx, ActionTriage, id, func(ctx context.Context, tx *ent.Client, r *ent.Request) (change, usererr.List, error) {
		var l usererr.List
		if request.CategoryValidator(category) != nil {
			l.Add(usererr.InvalidValue, "category is not a request category", field("category")...)
		}
		if request.PriorityValidator(priority) != nil {
			l.Add(usererr.InvalidValue, "priority must be P1, P2, P3 or P4", field("priority")...)
		}
		c := change{note: noteOf(&l, note), priority: priority,
			same: r.Category == category && r.Priority == priority,
			set: func(u *ent.RequestUpdateOne, _ time.Time) {
				if category != r.Category {
					u.SetCategory(category)
				}
			}}
		return c, l, nil
	})
}

// Assign assigns an open request to an active user.
func (s *Service) Assign(ctx context.Context, id, assigneeID int, note *string) (*ent.Request, usererr.List, error) {
	return s.act(ctx, ActionAssign, id, func(ctx context.Context, tx *ent.Client, r *ent.Request) (change, usererr.List, error) {
		var l usererr.List
		u, ok, err := lookup(ctx, &l, assigneeID, user.Table, "assigneeID", tx.User.Get)
		if err != nil {
			return change{}, nil, err
		}
		if ok && !u.Active {
			l.Add(usererr.InvalidValue, "assigneeID names an inactive user", field("assigneeID")...)
		}
		return change{note: noteOf(&l, note),
			same: r.AssigneeID != nil && *r.AssigneeID == assigneeID,
			set:  func(u *ent.RequestUpdateOne, _ time.Time) { u.SetAssigneeID(assigneeID) }}, l, nil
	})
}

// Respond records a response to the requester (the message is kept in the
// history); the first one stops the response clock. The same response sent
// again by the same actor right after is not recorded twice.
func (s *Service) Respond(ctx context.Context, id int, message string) (*ent.Request, usererr.List, error) {
	return s.act(ctx, ActionRespond, id, func(ctx context.Context, tx *ent.Client, r *ent.Request) (change, usererr.List, error) {
		var l usererr.List
		message := text(&l, message, "message", MaxText, true)
		last := lastEvent(r)
		return change{note: message,
			same: last.Action == string(ActionRespond) && last.Actor == audit.Actor(ctx) && last.Note == message,
			set: func(u *ent.RequestUpdateOne, at time.Time) {
				if r.FirstResponseAt == nil {
					u.SetFirstResponseAt(at)
				}
			}}, l, nil
	})
}

// SetStatus moves an open request to TRIAGED, IN_PROGRESS or
// WAITING_ON_REQUESTER; time WAITING_ON_REQUESTER pauses the SLA clocks.
func (s *Service) SetStatus(ctx context.Context, id int, status request.Status, note *string) (*ent.Request, usererr.List, error) {
	return s.act(ctx, ActionSetStatus, id, func(ctx context.Context, tx *ent.Client, r *ent.Request) (change, usererr.List, error) {
		var l usererr.List
		if !slices.Contains(Settable, status) {
			l.Add(usererr.InvalidValue, fmt.Sprintf("status must be one of %v; use the request's own actions for the others", Settable), field("status")...)
		}
		return change{note: noteOf(&l, note), to: status, same: r.Status == status}, l, nil
	})
}

// Resolve resolves an open request with the notes (required); it stops the
// resolution clock.
func (s *Service) Resolve(ctx context.Context, id int, notes string) (*ent.Request, usererr.List, error) {
	return s.act(ctx, ActionResolve, id, func(ctx context.Context, tx *ent.Client, r *ent.Request) (change, usererr.List, error) {
		var l usererr.List
		notes := text(&l, notes, "resolutionNotes", MaxText, true)
		return change{note: notes,
			done: r.Status == statusResolved && r.ResolutionNotes == notes,
			set: func(u *ent.RequestUpdateOne, at time.Time) {
				u.SetResolvedAt(at).SetResolutionNotes(notes)
			}}, l, nil
	})
}

// Reopen moves a RESOLVED request back to IN_PROGRESS; its resolution clock
// runs again from now.
func (s *Service) Reopen(ctx context.Context, id int, note *string) (*ent.Request, usererr.List, error) {
	return s.act(ctx, ActionReopen, id, func(ctx context.Context, tx *ent.Client, r *ent.Request) (change, usererr.List, error) {
		var l usererr.List
		return change{note: noteOf(&l, note),
			done: r.Status == statusInProgress && lastEvent(r).Action == string(ActionReopen),
			set: func(u *ent.RequestUpdateOne, _ time.Time) {
				u.ClearResolvedAt().ClearResolutionNotes()
			}}, l, nil
	})
}

// Close closes a RESOLVED request for good.
func (s *Service) Close(ctx context.Context, id int, note *string) (*ent.Request, usererr.List, error) {
	return s.act(ctx, ActionClose, id, func(ctx context.Context, tx *ent.Client, r *ent.Request) (change, usererr.List, error) {
		var l usererr.List
		return change{note: noteOf(&l, note), done: r.Status == statusClosed}, l, nil
	})
}

// change is what an action does to the request it loaded.
type change struct {
	// to is the status asked for (requestSetStatus).
	to request.Status
	// priority is the priority after the action; empty: unchanged.
	priority request.Priority
	// note is kept with the action in the history.
	note string
	// same: what the action sets is already so; if the action is allowed
	// and leaves the status as it is, it is a no-op.
	same bool
	// done: the action's result is already in place (a retry after it
	// succeeded), though the status no longer allows it: a no-op.
	done bool
	// set makes the action's own field changes.
	set func(u *ent.RequestUpdateOne, at time.Time)
}

// act runs an action on request id in one transaction: it loads the
// request, lets plan validate the input and say what changes, checks the
// transition, then appends the action to the history and stores the status,
// priority and the due instants of the SLA evaluation at the action's
// instant together with the action's own changes.
func (s *Service) act(ctx context.Context, a Action, id int, plan func(ctx context.Context, tx *ent.Client, r *ent.Request) (change, usererr.List, error)) (*ent.Request, usererr.List, error) {
	return txn.Run(audit.WithAction(ctx, string(a)), s.client, func(ctx context.Context, tx *ent.Client) (*ent.Request, usererr.List, error) {
		r, l, err := load(ctx, tx, id)
		if err != nil || !l.Empty() {
			return nil, l, err
		}
		c, l, err := plan(ctx, tx, r)
		if err != nil || !l.Empty() {
			return nil, l, err
		}
		to, err := Next(r.Status, a, c.to)
		var terr *TransitionError
		switch {
		case errors.As(err, &terr) && c.done:
			return r, nil, nil
		case errors.As(err, &terr):
			l.Add(usererr.InvalidTransition, terr.Error(), field("requestID")...)
			return nil, l, nil
		case err != nil:
			return nil, nil, err
		case c.same && to == r.Status:
			return r, nil, nil
		}
		priority := r.Priority
		if c.priority != "" {
			priority = c.priority
		}
		h := History(r)
		at := s.at(h)
		h = append(slices.Clip(h), schematype.RequestEvent{At: at, Action: string(a), Actor: audit.Actor(ctx),
			FromStatus: string(r.Status), ToStatus: string(to), Priority: string(priority), Note: c.note})
		st, err := evaluate(s.policy, h, at)
		if err != nil {
			return nil, nil, fmt.Errorf("evaluating the SLA of request %d: %w", r.ID, err)
		}
		u := tx.Request.UpdateOneID(r.ID).SetHistory(h).SetUpdatedAt(at)
		if to != r.Status {
			u.SetStatus(to)
		}
		if priority != r.Priority {
			u.SetPriority(priority)
		}
		setDue(r.ResponseDueAt, st.Response.DueAt, u.SetResponseDueAt, u.ClearResponseDueAt)
		setDue(r.ResolutionDueAt, st.Resolution.DueAt, u.SetResolutionDueAt, u.ClearResolutionDueAt)
		setMet(met(st.Response), u.SetResponseMet, u.ClearResponseMet)
		setMet(met(st.Resolution), u.SetResolutionMet, u.ClearResolutionMet)
		u.SetResponseBreached(st.Response.State == sla.StateBreached).SetResolutionBreached(st.Resolution.State == sla.StateBreached)
		if c.set != nil {
			c.set(u, at)
		}
		return saved(u.Save(ctx))
	})
}

// met is what the reports store of a clock: whether it stopped within its
// target, nil while it runs or is paused.
func met(c sla.Clock) *bool {
	if c.StoppedAt == nil {
		return nil
	}
	ok := c.State == sla.StateMet
	return &ok
}

func setMet(v *bool, set func(bool) *ent.RequestUpdateOne, clear func() *ent.RequestUpdateOne) {
	if v == nil {
		clear()
		return
	}
	set(*v)
}

// at returns the instant of an action: now, but not before the last entry
// of the history h (another instance's clock may run ahead), in UTC to the
// microsecond (what PostgreSQL stores).
func (s *Service) at(h []schematype.RequestEvent) time.Time {
	t := s.now().UTC().Truncate(time.Microsecond)
	if n := len(h); n > 0 && t.Before(h[n-1].At) {
		return h[n-1].At
	}
	return t
}

func setDue(old, due *time.Time, set func(time.Time) *ent.RequestUpdateOne, clear func() *ent.RequestUpdateOne) {
	switch {
	case due == nil && old != nil:
		clear()
	case due != nil && (old == nil || !old.Equal(*due)):
		set(*due)
	}
}

func lastEvent(r *ent.Request) schematype.RequestEvent {
	h := History(r)
	return h[len(h)-1]
}

// load reads the request an action names, locked for update on PostgreSQL
// so concurrent actions on it apply one after the other.
func load(ctx context.Context, tx *ent.Client, id int) (*ent.Request, usererr.List, error) {
	return txn.Lock(ctx, id, request.Table, "requestID", func(ctx context.Context) (*ent.Request, error) {
		return tx.Request.Query().Where(request.ID(id)).Modify(txn.ForUpdate).Only(ctx)
	})
}

// lookup reads the row id names for the input field name; a wrong type or a
// missing row is a failure in l (ok false).
func lookup[T any](ctx context.Context, l *usererr.List, id int, table, name string, get func(context.Context, int) (T, error)) (v T, ok bool, err error) {
	if code, ok := usererr.ForRef(id, table); !ok {
		msg := name + " refers to no existing record"
		if code == usererr.WrongType {
			msg = name + " refers to a record of the wrong type"
		}
		l.Add(code, msg, field(name)...)
		return v, false, nil
	}
	v, err = get(ctx, id)
	if ent.IsNotFound(err) {
		l.Add(usererr.NotFound, name+" refers to no existing record", field(name)...)
		return v, false, nil
	}
	if err != nil {
		return v, false, fmt.Errorf("reading %s: %w", name, err)
	}
	return v, true, nil
}

// text checks a free-text input and returns it trimmed.
func text(l *usererr.List, v, name string, max int, required bool) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "" && required:
		l.Add(usererr.Required, name+" is required", field(name)...)
	case utf8.RuneCountInString(v) > max:
		l.Add(usererr.TooLong, fmt.Sprintf("%s must be at most %d characters", name, max), field(name)...)
	}
	return v
}

// noteOf checks an optional note.
func noteOf(l *usererr.List, note *string) string {
	if note == nil {
		return ""
	}
	return text(l, *note, "note", MaxNote, false)
}

// saved turns the result of a save into the action's result: a value the
// schema refuses (a title over its byte limit) is the caller's fault.
func saved(r *ent.Request, err error) (*ent.Request, usererr.List, error) {
	var verr *ent.ValidationError
	if errors.As(err, &verr) {
		var l usererr.List
		l.Add(usererr.InvalidValue, verr.Name+" is not acceptable", field(verr.Name)...)
		return nil, l, nil
	}
	return r, nil, err
}
