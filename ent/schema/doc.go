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

// Enums shared by several fields (GoType enums of schematype, the two band
// fields of HealthScore, and the signal kind of HealthSignal and
// LatestHealthSignal).
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
	// signalKinds are the kinds of HealthSignal.kind and LatestHealthSignal.kind.
	signalKinds   = []string{"PRODUCT_USAGE", "ACTIVE_USERS", "SUPPORT_TICKETS", "NPS", "CSAT", "TELEMETRY_UPTIME"}
	signalKindDoc = EnumDoc{
		Type: "What a health signal measures. The health model has one measure per kind; the weights, directions, normalisations and freshness windows given here are the built-in model's (healthModel shows the one in force).",
		Values: map[string]string{
			"PRODUCT_USAGE":    "Share of the licensed usage consumed, in percent (0–100). Higher is better; weight 30; fresh for 7 days.",
			"ACTIVE_USERS":     "Share of the licensed seats in active use, in percent (0–100). Higher is better; weight 20; fresh for 7 days.",
			"SUPPORT_TICKETS":  "Number of open support tickets (0 scores 100, 20 or more score 0). Lower is better; weight 15; fresh for 24 hours.",
			"NPS":              "Net Promoter Score, −100 to 100. Higher is better; weight 15; fresh for 180 days.",
			"CSAT":             "Customer satisfaction score, 1 to 5. Higher is better; weight 10; fresh for 90 days.",
			"TELEMETRY_UPTIME": "Service uptime in percent, at most 100: at least 99.9 scores 100, at least 99.5 scores 75, at least 99 scores 40, below scores 0. Weight 10; fresh for 24 hours.",
		},
	}
)
