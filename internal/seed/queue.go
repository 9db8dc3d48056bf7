package seed

import (
	"fmt"
	"strings"
	"time"

	"github.com/opsgraph/opsgraph/ent/request"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/requests"
	"github.com/opsgraph/opsgraph/internal/sla"
)

// SLAPolicy is the SLA policy the seeded requests are worked under.
func SLAPolicy() sla.Policy { return sla.DefaultPolicy() }

type requestRow struct {
	number, title, description string
	category                   request.Category
	priority                   request.Priority // when raised; triage may change it
	requester                  int              // user index
	account, order             int              // chunk indexes or none
	created                    time.Time
	// actions are what was done to the request after it was raised, in
	// time order.
	actions []reqAction
}

// reqAction is one request action (internal/requests).
type reqAction struct {
	at       time.Time
	action   requests.Action
	actor    int              // user index
	status   request.Status   // requestSetStatus: the status set
	assignee int              // requestAssign
	category request.Category // requestTriage
	priority request.Priority // requestTriage
	note     string           // note, response message or resolution notes
}

var (
	requestStatuses   = []request.Status{request.StatusNEW, request.StatusTRIAGED, request.StatusIN_PROGRESS, request.StatusWAITING_ON_REQUESTER, request.StatusRESOLVED, request.StatusCLOSED}
	requestPriorities = []request.Priority{request.PriorityP1, request.PriorityP2, request.PriorityP3, request.PriorityP4}
	// accountRequests are titles of requests about an account (%s).
	accountRequests = map[request.Category][]string{
		request.CategoryDATA_FIX: {
			"Fix billing contact for %s",
			"Merge duplicate account records for %s",
			"Correct segment of %s",
			"Update CRM id for %s",
			"Parent account wrong for %s",
		},
		request.CategoryREPORT: {
			"Usage report for the %s QBR",
			"Health trend export for %s",
			"Contract history of %s for legal",
		},
		request.CategoryACCESS: {
			"Read access to financial fields of %s for the new AE",
		},
		request.CategoryENTITLEMENT_DISCREPANCY: {
			"Usage over limit for %s",
			"Entitlement still active after contract end (%s)",
			"Seats on contract differ from provisioned seats for %s",
		},
		request.CategoryRENEWAL: {
			"Renewal date missing for %s",
			"Prepare renewal quote for %s",
			"Renewal owner needed for %s",
		},
		request.CategoryOTHER: {
			"Question about the health score of %s",
			"Customer asks for an SLA report (%s)",
		},
	}
	// orderRequests are titles of requests about an order (%[1]s the
	// account, %[2]s the order number) by the order's status.
	orderRequests = map[schematype.OrderStatus]string{
		schematype.OrderStatusProvisioning: "Order %[2]s for %[1]s stuck in provisioning",
		schematype.OrderStatusRejected:     "Order %[2]s for %[1]s rejected by mistake?",
		schematype.OrderStatusFulfilled:    "Fulfilled order %[2]s for %[1]s: check invoice and entitlements",
		schematype.OrderStatusCancelled:    "Re-open cancelled order %[2]s for %[1]s",
	}
	// generalRequests are titles of requests about no account (%s is a
	// region where there is one).
	generalRequests = map[request.Category][]string{
		request.CategoryDATA_FIX: {"Bulk update of industries for %s accounts", "Normalise billing contact emails in %s"},
		request.CategoryREPORT:   {"Quarterly renewal forecast for %s", "Weekly discrepancy report for %s", "Backlog aging report for CS Ops"},
		request.CategoryACCESS:   {"Add new CSM to the ops portal", "Remove access for departed contractor", "Finance read access for the %s team"},
		request.CategoryOTHER:    {"Clarify SLA definitions", "Archive old requests", "Explain health model weights"},
	}
	responses = []string{
		"Thanks, looking into it today.",
		"Picked up; will report back once I have checked the records.",
		"Acknowledged. Can you confirm which contract this is about?",
		"On it; this needs a change in the CRM first.",
	}
	resolutionNotes = []string{
		"Fixed in the CRM and re-synced.",
		"Corrected the record; requester confirmed.",
		"Report delivered by email and saved as an example query.",
		"Access granted per policy; expires in 90 days.",
		"Entitlement limit aligned with the contract.",
		"Order re-submitted and fulfilled.",
		"No change needed; explained to requester.",
	}
)

// soon returns from + d, or a point between from and now when that would
// lie in the future; whole seconds.
func (g *generator) soon(from time.Time, d time.Duration) time.Time {
	t := from.Add(d)
	if t.After(g.now) {
		t = from.Add(time.Duration(float64(g.now.Sub(from)) * g.uniform(0.2, 0.9)))
	}
	return t.Truncate(time.Second)
}

// queue plans the account's requests (and requests about no account) with
// the actions that worked them.
func (g *generator) queue(c *chunk, ai int) {
	a := &c.accounts[ai]
	policy := SLAPolicy()
	n := []int{0, 1, 2, 3}[g.weighted(45, 40, 10, 5)]
	for range n {
		g.nRequest++
		r := requestRow{number: fmt.Sprintf("R-%06d", g.nRequest), account: ai, order: none}
		about := g.chance(0.75)
		if !about {
			r.account = none
			r.category = []request.Category{request.CategoryREPORT, request.CategoryACCESS, request.CategoryOTHER, request.CategoryDATA_FIX}[g.weighted(35, 35, 20, 10)]
		} else {
			r.category = []request.Category{request.CategoryENTITLEMENT_DISCREPANCY, request.CategoryORDER_ISSUE, request.CategoryRENEWAL,
				request.CategoryDATA_FIX, request.CategoryREPORT, request.CategoryACCESS, request.CategoryOTHER}[g.weighted(20, 15, 15, 25, 10, 5, 10)]
			if r.category == request.CategoryORDER_ISSUE && len(a.orders) == 0 {
				r.category = request.CategoryDATA_FIX
			}
		}
		var status request.Status
		var priority request.Priority
		if g.requestCover < max(len(requestStatuses), len(requestPriorities)) {
			status = requestStatuses[g.requestCover%len(requestStatuses)]
			priority = requestPriorities[g.requestCover%len(requestPriorities)]
			g.requestCover++
		} else {
			status = requestStatuses[g.weighted(15, 12, 20, 10, 18, 25)]
			priority = requestPriorities[g.weighted(5, 20, 50, 25)]
		}
		switch {
		case r.category == request.CategoryORDER_ISSUE:
			r.order = pick(g, a.orders)
			o := &c.orders[r.order]
			tmpl, ok := orderRequests[o.status]
			if !ok {
				tmpl = "Order %[2]s for %[1]s needs a correction"
			}
			r.title = fmt.Sprintf(tmpl, a.name, o.number)
		case about:
			r.title = fmt.Sprintf(pick(g, accountRequests[r.category]), a.name)
		default:
			tmpl := pick(g, generalRequests[r.category])
			if strings.Contains(tmpl, "%s") {
				tmpl = fmt.Sprintf(tmpl, pick(g, schematype.AllRegions))
			}
			r.title = tmpl
		}
		r.description = fmt.Sprintf("%s\n\nRaised from the ops portal. Category %s, priority %s.", r.title, r.category, priority)
		r.requester = pick(g, g.requesters)
		if about && a.owner != none && a.owner != g.formerCSM && g.chance(0.5) {
			r.requester = a.owner
		}
		open := requests.IsOpen(status)
		switch {
		case open && g.chance(0.15):
			r.created = g.now.Add(-g.dur(30*day, 90*day)) // backlog aging
		case open:
			r.created = g.now.Add(-g.dur(10*time.Minute, 21*day))
		default:
			r.created = g.now.Add(-g.dur(day, 180*day))
		}
		if about {
			r.created = g.past(maxTime(r.created, a.created.Add(day)))
		}
		if r.order != none {
			r.created = g.past(maxTime(r.created, c.orders[r.order].updated().Add(time.Hour)))
		}
		r.created = r.created.Truncate(time.Second)
		// Raised with a priority triage sometimes corrects.
		r.priority = priority
		if status != request.StatusNEW && g.chance(0.2) {
			r.priority = pick(g, requestPriorities)
		}
		g.work(&r, status, priority, policy.Targets[sla.Priority(priority)])
		c.requests = append(c.requests, r)
	}
}

// work plans the actions that brought request r to status: triage, an
// assignment, a first response, work, pauses waiting on the requester,
// resolution (sometimes reopened) and closing — late for some, so that
// SLAs are met, met late and breached.
func (g *generator) work(r *requestRow, status request.Status, priority request.Priority, tg sla.Targets) {
	handler := pick(g, g.opsUsers)
	triager := pick(g, g.opsUsers)
	add := func(at time.Time, act reqAction) time.Time {
		if n := len(r.actions); n > 0 && at.Before(r.actions[n-1].at) {
			at = r.actions[n-1].at
		}
		act.at = at
		r.actions = append(r.actions, act)
		return at
	}
	if status == request.StatusNEW {
		if g.chance(0.1) {
			add(g.soon(r.created, g.dur(5*time.Minute, 4*time.Hour)), reqAction{action: requests.ActionAssign, actor: triager, assignee: handler})
		}
		return
	}
	first := g.soon(r.created, time.Duration(float64(tg.Response)*g.uniform(0.1, 1.6)))
	t := add(r.created.Add(time.Duration(float64(first.Sub(r.created))*g.uniform(0.2, 0.9))).Truncate(time.Second),
		reqAction{action: requests.ActionTriage, actor: triager, category: r.category, priority: priority})
	if status != request.StatusTRIAGED || g.chance(0.6) {
		t = add(g.soon(t, g.dur(time.Minute, 20*time.Minute)), reqAction{action: requests.ActionAssign, actor: triager, assignee: handler, note: "Assigned from triage."})
	} else {
		handler = triager
	}
	t = add(maxTime(t, first), reqAction{action: requests.ActionRespond, actor: handler, note: pick(g, responses)})
	if status == request.StatusTRIAGED {
		return
	}
	t = add(g.soon(t, g.dur(5*time.Minute, 6*time.Hour)), reqAction{action: requests.ActionSetStatus, actor: handler, status: request.StatusIN_PROGRESS})
	if status == request.StatusIN_PROGRESS {
		return
	}
	if status == request.StatusWAITING_ON_REQUESTER {
		add(g.soon(t, g.dur(time.Hour, 3*day)), reqAction{action: requests.ActionSetStatus, actor: handler, status: request.StatusWAITING_ON_REQUESTER,
			note: "Waiting for the requester to confirm the details."})
		return
	}
	// Resolved: sometimes after waiting on the requester for a while.
	if g.chance(0.2) {
		t = add(g.soon(t, g.dur(time.Hour, 2*day)), reqAction{action: requests.ActionSetStatus, actor: handler, status: request.StatusWAITING_ON_REQUESTER,
			note: "Asked the requester for the missing details."})
		t = add(g.soon(t, g.dur(2*time.Hour, 4*day)), reqAction{action: requests.ActionSetStatus, actor: handler, status: request.StatusIN_PROGRESS,
			note: "Requester answered."})
	}
	resolved := g.soon(first, time.Duration(float64(tg.Resolution)*g.uniform(0.1, 1.5)))
	notes := pick(g, resolutionNotes)
	t = add(maxTime(t, resolved), reqAction{action: requests.ActionResolve, actor: handler, note: notes})
	if g.chance(0.06) {
		t = add(g.soon(t, g.dur(4*time.Hour, 3*day)), reqAction{action: requests.ActionReopen, actor: r.requester, note: "Still not right, please have another look."})
		t = add(g.soon(t, g.dur(time.Hour, 2*day)), reqAction{action: requests.ActionResolve, actor: handler, note: notes + " Checked again after reopening."})
	}
	if status == request.StatusCLOSED {
		add(g.soon(t, g.dur(day, 7*day)), reqAction{action: requests.ActionClose, actor: r.requester})
	}
}
