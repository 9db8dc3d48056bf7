package schema

import (
	"regexp"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
)

// EmailPattern is the shape of an acceptable email address.
var EmailPattern = regexp.MustCompile(`^[^\s@]+@[^\s@]+\.[^\s@]+$`)

// User holds the people who own accounts, renewals and requests.
type User struct{ ent.Schema }

// Mixin of the User.
func (User) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, PolicyMixin{}} }

// Fields of the User.
func (User) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").
			Unique().
			NotEmpty().
			MaxLen(254).
			Match(EmailPattern).
			Comment("Sign-in email address; unique.").
			Annotations(entgql.OrderField("EMAIL")),
		field.String("name").
			NotEmpty().
			MaxLen(200).
			Comment("Full name.").
			Annotations(entgql.OrderField("NAME")),
		field.Strings("roles").
			Default([]string{}).
			Comment("Role names granted to the user (ADMIN, OPS_MANAGER, CSM, ...)."),
		field.String("team").
			Optional().
			MaxLen(100).
			Comment("Team the user belongs to."),
		field.Enum("region").
			GoType(schematype.Region("")).
			Optional().
			Comment("Region the user works in.").
			Annotations(entgql.Type("Region"), regionDoc),
		field.Bool("active").
			Default(true).
			Comment("Whether the user can still own work."),
	}
}

// Edges of the User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("owned_accounts", Account.Type).
			Comment("Accounts this user owns as CSM.").
			Annotations(listEdge()...),
		edge.To("renewal_contracts", Contract.Type).
			Comment("Contracts whose renewal this user owns.").
			Annotations(listEdge()...),
		edge.To("requested_requests", Request.Type).
			Comment("Ops requests this user raised.").
			Annotations(listEdge()...),
		edge.To("assigned_requests", Request.Type).
			Comment("Ops requests assigned to this user.").
			Annotations(listEdge()...),
	}
}

// Indexes of the User.
func (User) Indexes() []ent.Index {
	return []ent.Index{index.Fields("name")}
}

// Annotations of the User.
func (User) Annotations() []schema.Annotation {
	return node(editable(), schema.Comment("A person at the company: owns accounts (as their CSM), contract renewals and requests, raises and works on requests. A token whose subject is the user's email acts as this user."))
}
