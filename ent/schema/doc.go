package schema

// EnumDoc documents the GraphQL enum of an enum field: what the enum type is
// and what each of its values means. entgql documents neither, so
// ent/entc.go copies both into schema/ent.graphql, and refuses to generate
// while an enum field has no EnumDoc or its EnumDoc misses or invents a
// value. Fields that share a Go enum type share one EnumDoc (the first field
// of a type that entgql meets defines the GraphQL enum). Like comments, an
// EnumDoc changes nothing in the database.
type EnumDoc struct {
	// Type describes the enum type.
	Type string
	// Values describes each value, by name.
	Values map[string]string
}

// Name implements ent's schema.Annotation.
func (EnumDoc) Name() string { return "EnumDoc" }

// Enums shared by several fields (GoType enums of schematype, and the two
// band fields of HealthScore).
var (
	regionDoc = EnumDoc{
		Type: "Sales and operations region of an account or a user.",
		Values: map[string]string{
			"NA":    "North America.",
			"EMEA":  "Europe, the Middle East and Africa.",
			"APAC":  "Asia-Pacific.",
			"LATAM": "Latin America.",
		},
	}
	orderStatusDoc = EnumDoc{
		Type: "State of an order in its lifecycle: DRAFT → SUBMITTED → VALIDATED → PROVISIONING → FULFILLED, or REJECTED / CANCELLED on the way. FULFILLED, REJECTED and CANCELLED are final.",
		Values: map[string]string{
			"DRAFT":        "Being prepared: orderUpdate may still change its contract and lines. Every order starts here.",
			"SUBMITTED":    "Submitted by orderSubmit (submittedAt), waiting for orderValidate.",
			"VALIDATED":    "Passed validation against its contract and the product catalog (validatedAt); next: orderStartProvisioning.",
			"PROVISIONING": "Being provisioned (provisioningAt); next: orderFulfill, which applies its lines to the account's entitlements.",
			"FULFILLED":    "Fulfilled (fulfilledAt): each line created, changed, revoked or renewed an entitlement. Final; billing continues with orderMarkInvoiced.",
			"REJECTED":     "Rejected (rejectedAt) by orderReject, or by orderValidate with rejectOnFailure (reason VALIDATION_FAILED); see rejectionReason and rejectionNote. Final.",
			"CANCELLED":    "Cancelled by orderCancel before it was fulfilled (cancelledAt). Final.",
		},
	}
	entitlementKindDoc = EnumDoc{
		Type: "How a product is entitled: a feature flag, a licensed quantity or a metered usage limit.",
		Values: map[string]string{
			"BOOLEAN":  "A feature flag: the feature is on or off; the entitlement has no limit (null), and counts as 1 against the contracted quantity.",
			"QUANTITY": "A licensed quantity, e.g. seats: the limit is how many are licensed.",
			"METERED":  "A metered usage allowance, e.g. API calls or GB: the limit caps the usage reported with entitlementReportUsage.",
		},
	}
	// bandValues are the health bands of HealthScore.band and previousBand.
	bandValues = map[string]string{
		"GREEN":  "Healthy: the score is at or above the health model's greenFrom (70 in the built-in model).",
		"YELLOW": "Needs attention: the score is at or above the health model's yellowFrom (40 in the built-in model) and below greenFrom.",
		"RED":    "At risk: the score is below the health model's yellowFrom (40 in the built-in model).",
	}
)
