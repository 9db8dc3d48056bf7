package policy

import (
	"slices"
	"strings"
)

// reportFields classifies the fields of the report types that carry
// protected figures. A report type is a value type, not an entity: its
// other fields are STANDARD, and the entities it links to (accounts,
// contracts, …) are checked field by field on their own. Its rows are those
// of the entities underneath, filtered by the row rules (a CSM's report
// covers their book).
var reportFields = map[string]Class{
	"Renewal.arrMinor": Financial,
	"RenewalMonth.arr": Financial,
	"BillingReconciliationReport.fulfilledNotInvoicedArr": Financial,
	"BillingMonth.fulfilledNotInvoicedArr":                Financial,
}

// ReportField returns the class of a protected field of a report type; ok
// is false for every other field of a non-entity type.
func ReportField(typ, field string) (c Class, ok bool) {
	c, ok = reportFields[typ+"."+field]
	return c, ok
}

// ReportFields lists the protected report fields ("Type.field"), sorted.
func ReportFields() []string {
	out := make([]string, 0, len(reportFields))
	for f := range reportFields {
		out = append(out, f)
	}
	slices.SortFunc(out, strings.Compare)
	return out
}
