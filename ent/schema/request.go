package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/opsgraph/opsgraph/ent/schema/schematype"
)

// Request is an item of the CS Ops request queue.
type Request struct{ ent.Schema }

// Mixin of the Request.
func (Request) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, PolicyMixin{}} }

// Fields of the Request.
func (Request) Fields() []ent.Field {
	stamp := func(name, comment string) ent.Field {
		return field.Time(name).Optional().Nillable().Comment(comment)
	}
	return []ent.Field{
		field.String("number").
			Unique().
			NotEmpty().
			MaxLen(64).
			Comment("Request number; unique.").
			Annotations(entgql.OrderField("NUMBER")),
		field.String("title").
			NotEmpty().
			MaxLen(300).
			Comment("One-line summary."),
		field.Text("description").
			Optional().
			Comment("What is needed and why (internal)."),
		field.Enum("category").
			Values("DATA_FIX", "REPORT", "ACCESS", "ENTITLEMENT_DISCREPANCY", "ORDER_ISSUE", "RENEWAL", "OTHER").
			Default("OTHER").
			Comment("Kind of work requested.").
			Annotations(EnumDoc{
				Type: "Kind of work a request asks for.",
				Values: map[string]string{
					"DATA_FIX":                "Correct wrong or missing data.",
					"REPORT":                  "Produce a report or an extract.",
					"ACCESS":                  "Grant, change or remove someone's access.",
					"ENTITLEMENT_DISCREPANCY": "An entitlement disagrees with the contract, an order or billing.",
					"ORDER_ISSUE":             "A problem with an order.",
					"RENEWAL":                 "Help with a contract renewal.",
					"OTHER":                   "Anything else; a new request's category unless another is given.",
				},
			}),
		field.Enum("priority").
			Values("P1", "P2", "P3", "P4").
			Default("P3").
			Comment("Urgency; sets the SLA targets.").
			Annotations(entgql.OrderField("PRIORITY"), EnumDoc{
				Type: "Urgency of a request; it sets the request's SLA targets. The targets given here are the defaults, in SLA time (around the clock unless the server's SLA policy sets a business-hours calendar); the server's --sla-policy may set others.",
				Values: map[string]string{
					"P1": "Most urgent: first response within 1 hour, resolution within 8 hours.",
					"P2": "First response within 4 hours, resolution within 24 hours.",
					"P3": "First response within 8 hours, resolution within 72 hours; a new request's priority unless another is given.",
					"P4": "Least urgent: first response within 24 hours, resolution within 120 hours.",
				},
			}),
		field.Enum("status").
			Values("NEW", "TRIAGED", "IN_PROGRESS", "WAITING_ON_REQUESTER", "RESOLVED", "CLOSED").
			Default("NEW").
			Comment("Where the request is in the queue.").
			Annotations(entgql.OrderField("STATUS"), EnumDoc{
				Type: "Where a request is in the queue. NEW, TRIAGED, IN_PROGRESS and WAITING_ON_REQUESTER are open.",
				Values: map[string]string{
					"NEW":                  "Raised and not yet triaged; every request starts here.",
					"TRIAGED":              "Category and priority set (requestTriage); not yet being worked on.",
					"IN_PROGRESS":          "Being worked on.",
					"WAITING_ON_REQUESTER": "Waiting for the requester; both SLA clocks are paused.",
					"RESOLVED":             "Resolved with resolution notes (requestResolve); the resolution clock stopped. requestReopen makes it IN_PROGRESS again, requestClose closes it.",
					"CLOSED":               "Closed for good (requestClose).",
				},
			}),
		field.Int("requester_id").
			Comment("Who raised the request.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("assignee_id").
			Optional().
			Nillable().
			Comment("Who works on the request.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("account_id").
			Optional().
			Nillable().
			Comment("The account the request is about.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("order_id").
			Optional().
			Nillable().
			Comment("The order the request is about.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		stamp("first_response_at", "When the request first got a response."),
		field.Time("response_due_at").
			Optional().
			Nillable().
			Comment("When a first response is due under the SLA.").
			Annotations(entgql.OrderField("RESPONSE_DUE_AT")),
		field.Time("resolution_due_at").
			Optional().
			Nillable().
			Comment("When resolution is due under the SLA.").
			Annotations(entgql.OrderField("RESOLUTION_DUE_AT")),
		stamp("resolved_at", "When the request was resolved."),
		field.Text("resolution_notes").
			Optional().
			Comment("How the request was resolved (internal)."),
		field.Bool("response_met").
			Optional().
			Nillable().
			Comment("Whether the response clock stopped within its target; null while it runs. Stored for reports.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Bool("resolution_met").
			Optional().
			Nillable().
			Comment("Whether the resolution clock stopped within its target; null while it runs (again after a reopen). Stored for reports.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Bool("response_breached").
			Default(false).
			Comment("Whether the running or paused response clock was past its target at the last action; a running clock also breaches once response_due_at passes. Stored for reports.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Bool("resolution_breached").
			Default(false).
			Comment("Whether the running or paused resolution clock was past its target at the last action; a running clock also breaches once resolution_due_at passes. Stored for reports.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.JSON("history", []schematype.RequestEvent{}).
			Optional().
			Comment("The request's timeline, oldest first: every action with its actor, status and priority. The SLA clocks are computed from it."),
	}
}

// Edges of the Request.
func (Request) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("requester", User.Type).
			Ref("requested_requests").
			Field("requester_id").
			Unique().
			Required().
			Comment("Who raised the request."),
		edge.From("assignee", User.Type).
			Ref("assigned_requests").
			Field("assignee_id").
			Unique().
			Comment("Who works on the request."),
		edge.From("account", Account.Type).
			Ref("requests").
			Field("account_id").
			Unique().
			Comment("The account the request is about."),
		edge.To("order", Order.Type).
			Field("order_id").
			Unique().
			Comment("The order the request is about."),
	}
}

// Indexes of the Request.
func (Request) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("requester_id"),
		index.Fields("assignee_id"),
		index.Fields("account_id"),
		index.Fields("order_id"),
		index.Fields("status", "priority"),
		index.Fields("priority"),
		index.Fields("response_due_at"),
		index.Fields("resolution_due_at"),
	}
}

// Annotations of the Request.
func (Request) Annotations() []schema.Annotation {
	return node(schema.Comment("An item of the CS Ops request queue: what is needed, about which account or order, who raised it and who works on it, under per-priority SLA targets for the first response and the resolution."))
}
