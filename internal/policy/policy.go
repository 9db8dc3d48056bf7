// Package policy is OpsGraph's authorization matrix, in one place: which
// class every field of every entity belongs to, which roles (and, for
// INTEGRATION service accounts, which scopes) may read each class, and which
// roles and scopes may call each mutation. The GraphQL layer enforces it on
// every field and argument; docs/authorization.md is generated from it.
package policy

import (
	"slices"
	"strings"

	"github.com/opsgraph/opsgraph/internal/viewer"
)

// Class is the sensitivity class of a field.
type Class string

// Field classes.
const (
	// Identifier is every entity's id: opaque, readable by every
	// authenticated viewer that can see the row (so a write-only service
	// account still learns the id of what it created).
	Identifier Class = "ID"
	// Standard fields: any authenticated role that can see the row.
	Standard Class = "STANDARD"
	// Financial fields: revenue, prices, invoices.
	Financial Class = "FINANCIAL"
	// PII fields: personal data of contacts and users.
	PII Class = "PII"
	// Internal fields: free text written for the ops team.
	Internal Class = "INTERNAL"
	// Audit fields: the audit trail.
	Audit Class = "AUDIT"
)

// ClassSpec says who may read a class.
type ClassSpec struct {
	Class Class
	// Roles that may read the class.
	Roles []string
	// Scope an INTEGRATION token needs to read the class; empty: never.
	Scope string
	// Description for the documentation.
	Description string
}

// humanRoles are every role but INTEGRATION, whose reach its scopes set.
var humanRoles = []string{viewer.RoleAdmin, viewer.RoleOpsManager, viewer.RoleOpsAnalyst, viewer.RoleCSM,
	viewer.RoleSales, viewer.RoleFinance, viewer.RoleSupport, viewer.RoleViewer}

// Classes lists every class with its readers, in documentation order.
var Classes = []ClassSpec{
	{Identifier, humanRoles, "*",
		"Every entity's opaque id. INTEGRATION tokens read it with any scope."},
	{Standard, humanRoles, "read",
		"Everything not in another class."},
	{Financial, []string{viewer.RoleAdmin, viewer.RoleOpsManager, viewer.RoleFinance, viewer.RoleSales, viewer.RoleCSM}, "financial:read",
		"ARR, unit prices, invoice references. CSMs read them for the accounts in their book."},
	{PII, []string{viewer.RoleAdmin, viewer.RoleOpsManager, viewer.RoleSupport, viewer.RoleCSM}, "pii:read",
		"Billing contacts and the email addresses of users other than the viewer. CSMs read them for their book."},
	{Internal, []string{viewer.RoleAdmin, viewer.RoleOpsManager, viewer.RoleOpsAnalyst}, "",
		"Request descriptions and resolution notes."},
	{Audit, []string{viewer.RoleAdmin, viewer.RoleOpsManager, viewer.RoleViewer}, "",
		"The audit trail."},
}

// Protected reports whether some authenticated viewers may not read class c
// (so its fields must be nullable in the schema).
func (c Class) Protected() bool { return c != Identifier && c != Standard }

// Field is the classification of one field.
type Field struct {
	Class Class
	// OwnRecord lets a viewer read the field on the user record that is
	// their own (their email), whatever the class.
	OwnRecord bool
}

// entity declares the fields of one entity type by class. Every field of
// every entity must be listed; a test enumerates the schema and fails on
// an unclassified one.
type entity struct {
	standard, financial, pii, internal, audit string
	ownRecord                                 string
}

var entities = map[string]entity{
	"User": {
		standard:  "id createdAt updatedAt name roles team region active ownedAccounts renewalContracts requestedRequests assignedRequests",
		pii:       "email",
		ownRecord: "email",
	},
	"Account": {
		standard: "id createdAt updatedAt name domain segment region industry lifecycleStage lifecycleStageChangedAt externalCrmID owner parent children contracts orders entitlements healthSignals healthScores requests health healthHistory",
		pii:      "billingContactName billingContactEmail",
	},
	"Product": {
		standard: "id createdAt updatedAt sku name featureKey entitlementKind unit tiers active",
	},
	"Contract": {
		standard:  "id createdAt updatedAt number status startDate endDate renewalDate currency autoRenew account renewalOwner items orders entitlements",
		financial: "arrMinor",
	},
	"ContractItem": {
		standard:  "id createdAt updatedAt quantity tier contract product",
		financial: "unitPriceMinor",
	},
	"Order": {
		standard:  "id createdAt updatedAt number status idempotencyKey submittedAt validatedAt provisioningAt fulfilledAt rejectedAt cancelledAt rejectionReason rejectionNote validationErrors billingStatus account contract lines events allowedActions",
		financial: "invoiceReference",
	},
	"OrderLine": {
		standard: "id createdAt updatedAt action quantity tier order product entitlements",
	},
	"OrderEvent": {
		standard: "id createdAt updatedAt fromStatus toStatus actor note at order",
	},
	"Entitlement": {
		standard: "id createdAt updatedAt kind limit usage usageUpdatedAt tier activeFrom activeTo status softLimit overrideLimit overrideReason overrideExpiresAt account contract product sourceOrderLine effectiveLimit overrideActive remaining overLimit utilization effectiveStatus",
	},
	"HealthSignal": {
		standard: "id createdAt updatedAt kind value observedAt source ingestedAt account",
	},
	"HealthScore": {
		standard: "id createdAt updatedAt score band coverage modelVersion components previousScore previousBand computedAt account trend",
	},
	"Request": {
		standard: "id createdAt updatedAt number title category priority status firstResponseAt responseDueAt resolutionDueAt resolvedAt requester assignee account order history responseSlaState resolutionSlaState slaState slaPaused timeToResolution",
		internal: "description resolutionNotes",
	},
	"AuditEvent": {
		standard: "id",
		audit:    "createdAt updatedAt actor action entityType entityID changes at",
	},
}

// fields is entities expanded: type → field → classification.
var fields = func() map[string]map[string]Field {
	out := make(map[string]map[string]Field, len(entities))
	for typ, e := range entities {
		m := map[string]Field{}
		for class, list := range map[Class]string{Standard: e.standard, Financial: e.financial, PII: e.pii, Internal: e.internal, Audit: e.audit} {
			for _, f := range strings.Fields(list) {
				if _, dup := m[f]; dup {
					panic("policy: " + typ + "." + f + " classified twice")
				}
				c := class
				if f == "id" {
					c = Identifier
				}
				m[f] = Field{Class: c}
			}
		}
		for _, f := range strings.Fields(e.ownRecord) {
			c := m[f]
			c.OwnRecord = true
			m[f] = c
		}
		out[typ] = m
	}
	return out
}()

// Entities lists the entity types the matrix covers, sorted.
func Entities() []string {
	out := make([]string, 0, len(fields))
	for t := range fields {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// FieldsOf lists the classified fields of an entity type, sorted.
func FieldsOf(typ string) []string {
	out := make([]string, 0, len(fields[typ]))
	for f := range fields[typ] {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// IsEntity reports whether typ is an entity type the matrix covers.
func IsEntity(typ string) bool {
	_, ok := fields[typ]
	return ok
}

// Lookup returns the classification of typ.field, an entity's field. ok is
// false for an unclassified field, which nobody may read. Types that are not
// entities (connections, edges, payloads, value types) are not classified:
// what they carry is checked on its own.
func Lookup(typ, field string) (f Field, ok bool) {
	f, ok = fields[typ][field]
	return f, ok
}

// Access is what the matrix lets a viewer do with one field.
type Access int

const (
	// Denied: the viewer may not read the field.
	Denied Access = iota
	// Allowed: the viewer may read the field.
	Allowed
	// OwnRecordOnly: the viewer may read the field of their own user only.
	OwnRecordOnly
)

// Readable decides whether v may read typ.field, for every field the
// executor resolves: an entity's field by its class (an unclassified one is
// denied), a report type's classified field by its class, and any other
// type's field (connections, edges, payloads, value types) always, since
// what it carries is checked on its own.
func Readable(v *viewer.Viewer, typ, field string) Access {
	if !IsEntity(typ) {
		if c, ok := ReportField(typ, field); ok && !CanRead(v, c) {
			return Denied
		}
		return Allowed
	}
	f, ok := Lookup(typ, field)
	switch {
	case !ok:
		return Denied
	case CanRead(v, f.Class):
		return Allowed
	case f.OwnRecord:
		return OwnRecordOnly
	}
	return Denied
}

func spec(c Class) *ClassSpec {
	for i := range Classes {
		if Classes[i].Class == c {
			return &Classes[i]
		}
	}
	return nil
}

// CanRead reports whether v may read fields of class c (rows permitting).
func CanRead(v *viewer.Viewer, c Class) bool {
	if v == nil {
		return false
	}
	if v.System {
		return true
	}
	s := spec(c)
	return s != nil && grants(v, s.Roles, s.Scope)
}

// grants reports whether v holds one of roles or, as an INTEGRATION token,
// scope ("*": any scope; empty: none grants).
func grants(v *viewer.Viewer, roles []string, scope string) bool {
	if slices.ContainsFunc(v.Roles, func(r string) bool { return slices.Contains(roles, r) }) {
		return true
	}
	if !v.HasRole(viewer.RoleIntegration) {
		return false
	}
	switch scope {
	case "":
		return false
	case "*":
		return len(v.Scopes) > 0
	}
	return v.HasScope(scope)
}

// Mutation says who may call a mutation, and which write of which entity it
// makes: the ent layer allows that write to the same roles and scopes.
type Mutation struct {
	Name string
	// Entity and Op ("create", "update") name the write it makes.
	Entity, Op string
	// Roles that may call it.
	Roles []string
	// Scope an INTEGRATION token needs; empty: never.
	Scope string
	// Note qualifies the rule (row limits) for the documentation.
	Note string
}

// Mutations lists who may call each mutation, in documentation order.
var Mutations = []Mutation{
	{"userCreate", "User", "create", []string{viewer.RoleAdmin, viewer.RoleOpsManager}, "", ""},
	{"userUpdate", "User", "update", []string{viewer.RoleAdmin, viewer.RoleOpsManager}, "", ""},
	{"accountCreate", "Account", "create", []string{viewer.RoleAdmin, viewer.RoleOpsManager, viewer.RoleSales}, "accounts:write", ""},
	{"accountUpdate", "Account", "update", []string{viewer.RoleAdmin, viewer.RoleOpsManager, viewer.RoleSales, viewer.RoleCSM}, "accounts:write", "A CSM may update only the accounts in their book."},
	{"productCreate", "Product", "create", []string{viewer.RoleAdmin, viewer.RoleOpsManager}, "", ""},
	{"productUpdate", "Product", "update", []string{viewer.RoleAdmin, viewer.RoleOpsManager}, "", ""},
	{"contractCreate", "Contract", "create", []string{viewer.RoleAdmin, viewer.RoleOpsManager, viewer.RoleSales, viewer.RoleFinance}, "contracts:write", ""},
	{"contractUpdate", "Contract", "update", []string{viewer.RoleAdmin, viewer.RoleOpsManager, viewer.RoleSales, viewer.RoleFinance}, "contracts:write", ""},
	{"contractItemCreate", "ContractItem", "create", []string{viewer.RoleAdmin, viewer.RoleOpsManager, viewer.RoleSales, viewer.RoleFinance}, "contracts:write", ""},
	{"contractItemUpdate", "ContractItem", "update", []string{viewer.RoleAdmin, viewer.RoleOpsManager, viewer.RoleSales, viewer.RoleFinance}, "contracts:write", ""},
	{"entitlementReportUsage", "Entitlement", "update", []string{viewer.RoleAdmin, viewer.RoleOpsManager}, "entitlements:write", "Telemetry pipelines report with an INTEGRATION token."},
	{"entitlementOverride", "Entitlement", "update", []string{viewer.RoleAdmin, viewer.RoleOpsManager}, "", ""},
	{"entitlementSuspend", "Entitlement", "update", []string{viewer.RoleAdmin, viewer.RoleOpsManager}, "entitlements:write", ""},
	{"entitlementResume", "Entitlement", "update", []string{viewer.RoleAdmin, viewer.RoleOpsManager}, "entitlements:write", ""},
	{"entitlementRevoke", "Entitlement", "update", []string{viewer.RoleAdmin, viewer.RoleOpsManager}, "entitlements:write", ""},
	{"orderCreate", "Order", "create", orderWriters, "orders:write", "A CSM may order only for the accounts in their book."},
	{"orderUpdate", "Order", "update", orderWriters, "orders:write", "A CSM may change only the orders of their book."},
	{"orderSubmit", "Order", "update", orderWriters, "orders:write", "A CSM may submit only for the accounts in their book."},
	{"orderValidate", "Order", "update", orderOperators, "orders:provision", ""},
	{"orderStartProvisioning", "Order", "update", orderOperators, "orders:provision", ""},
	{"orderFulfill", "Order", "update", orderOperators, "orders:provision", "Creates, changes and revokes entitlements."},
	{"orderReject", "Order", "update", orderOperators, "orders:provision", ""},
	{"orderCancel", "Order", "update", orderWriters, "orders:write", "A CSM may cancel only the orders of their book."},
	{"orderMarkInvoiced", "Order", "update", []string{viewer.RoleAdmin, viewer.RoleFinance}, "billing:write", "Billing systems report invoices with an INTEGRATION token."},
	{"healthSignalsIngest", "HealthSignal", "create", []string{viewer.RoleAdmin, viewer.RoleOpsManager}, "health:write", "Telemetry and survey pipelines send signals with an INTEGRATION token."},
	{"healthScoreRecompute", "HealthScore", "create", []string{viewer.RoleAdmin, viewer.RoleOpsManager}, "health:write", ""},
	{"requestCreate", "Request", "create", humanRoles, "requests:write", "Every signed-in person may raise a request."},
	{"requestTriage", "Request", "update", requestWorkers, "", ""},
	{"requestAssign", "Request", "update", requestWorkers, "", ""},
	{"requestRespond", "Request", "update", requestWorkers, "", ""},
	{"requestSetStatus", "Request", "update", requestWorkers, "", ""},
	{"requestResolve", "Request", "update", requestWorkers, "", ""},
	{"requestReopen", "Request", "update", requestWorkers, "", ""},
	{"requestClose", "Request", "update", requestWorkers, "", ""},
}

var (
	// orderWriters place and change orders.
	orderWriters = []string{viewer.RoleAdmin, viewer.RoleOpsManager, viewer.RoleSales, viewer.RoleCSM}
	// orderOperators move orders through validation and provisioning.
	orderOperators = []string{viewer.RoleAdmin, viewer.RoleOpsManager}
	// requestWorkers work the request queue.
	requestWorkers = []string{viewer.RoleAdmin, viewer.RoleOpsManager, viewer.RoleOpsAnalyst}
)

// sideWrites lists, per mutation, the writes it makes besides its main one
// ("Entity:op"), so the ent layer allows them to the mutation's callers.
var sideWrites = map[string]string{
	"orderCreate":            "OrderLine:create OrderEvent:create",
	"orderUpdate":            "OrderLine:create OrderLine:delete",
	"orderSubmit":            "Order:create OrderLine:create OrderEvent:create",
	"orderValidate":          "OrderEvent:create",
	"orderStartProvisioning": "OrderEvent:create",
	"orderFulfill":           "OrderEvent:create Entitlement:create Entitlement:update",
	"orderReject":            "OrderEvent:create",
	"orderCancel":            "OrderEvent:create",
	"healthSignalsIngest":    "HealthScore:create Account:update",
	"healthScoreRecompute":   "Account:update",
}

// SideWrites returns the writes besides its main one that mutation name
// makes, as "Entity:op".
func SideWrites(name string) []string { return strings.Fields(sideWrites[name]) }

// writes reports whether mutation m makes the write op of entity.
func (m Mutation) writes(entity, op string) bool {
	return (m.Entity == entity && m.Op == op) || slices.Contains(SideWrites(m.Name), entity+":"+op)
}

// MutationRule returns the rule of a mutation; ok is false for a mutation
// the matrix does not list, which nobody may call.
func MutationRule(name string) (Mutation, bool) {
	for _, m := range Mutations {
		if m.Name == name {
			return m, true
		}
	}
	return Mutation{}, false
}

// CanWrite reports whether v may make the write op ("create", "update",
// "delete") of entity: whether some mutation that makes it is open to v.
func CanWrite(v *viewer.Viewer, entity, op string) bool {
	if v != nil && v.System {
		return true
	}
	for _, m := range Mutations {
		if m.writes(entity, op) && allowed(v, m) {
			return true
		}
	}
	return false
}

// CanCall reports whether v may call the mutation name.
func CanCall(v *viewer.Viewer, name string) bool {
	if v == nil {
		return false
	}
	if v.System {
		return true
	}
	m, ok := MutationRule(name)
	return ok && allowed(v, m)
}

func allowed(v *viewer.Viewer, m Mutation) bool {
	return v != nil && grants(v, m.Roles, m.Scope)
}
