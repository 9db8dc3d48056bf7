// Package orderoracle computes what the order reports (order pipeline,
// entitlement discrepancies, billing reconciliation) should say, in plain
// Go over every row, written apart from the SQL in internal/reports: the
// reports' tests compare the two exactly. Definitions: docs/reports.md.
package orderoracle

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/order"
	"github.com/opsgraph/opsgraph/ent/orderline"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/ent/user"
	"github.com/opsgraph/opsgraph/internal/reports"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// Data is every row the order reports read.
type Data struct {
	Orders       []*ent.Order
	Lines        []*ent.OrderLine
	Events       []*ent.OrderEvent
	Entitlements []*ent.Entitlement
	Contracts    map[int]*ent.Contract
	Items        []*ent.ContractItem
	orders       map[int]*ent.Order
	lines        map[int]*ent.OrderLine
}

// Load reads every row as the system.
func Load(ctx context.Context, c *ent.Client) (*Data, error) {
	ctx = viewer.System(ctx, "orderoracle")
	var d Data
	var err error
	if d.Orders, err = c.Order.Query().All(ctx); err != nil {
		return nil, err
	}
	if d.Lines, err = c.OrderLine.Query().All(ctx); err != nil {
		return nil, err
	}
	if d.Events, err = c.OrderEvent.Query().All(ctx); err != nil {
		return nil, err
	}
	if d.Entitlements, err = c.Entitlement.Query().All(ctx); err != nil {
		return nil, err
	}
	ks, err := c.Contract.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	if d.Items, err = c.ContractItem.Query().All(ctx); err != nil {
		return nil, err
	}
	d.Contracts = map[int]*ent.Contract{}
	for _, k := range ks {
		d.Contracts[k.ID] = k
	}
	d.orders = map[int]*ent.Order{}
	for _, o := range d.Orders {
		d.orders[o.ID] = o
	}
	d.lines = map[int]*ent.OrderLine{}
	for _, l := range d.Lines {
		d.lines[l.ID] = l
	}
	return &d, nil
}

// Book returns the accounts of the CSM with the given email: those they own
// and all their descendants.
func Book(ctx context.Context, c *ent.Client, email string) (map[int]bool, error) {
	ctx = viewer.System(ctx, "orderoracle")
	uid, err := c.User.Query().Where(user.Email(email)).OnlyID(ctx)
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", email, err)
	}
	all, err := c.Account.Query().Select(account.FieldID, account.FieldOwnerID, account.FieldParentID).All(ctx)
	if err != nil {
		return nil, err
	}
	in := map[int]bool{}
	for changed := true; changed; {
		changed = false
		for _, a := range all {
			if !in[a.ID] && (a.OwnerID == uid || (a.ParentID != 0 && in[a.ParentID])) {
				in[a.ID], changed = true, true
			}
		}
	}
	return in, nil
}

// Keep selects the accounts whose rows a report covers (nil: all).
type Keep map[int]bool

// Has reports whether the account's rows are kept.
func (k Keep) Has(accountID int) bool { return k == nil || k[accountID] }

// Stats is an expected DurationStats.
type Stats struct {
	Count         int
	P50, P90, Max *float64
}

func (s Stats) String() string {
	f := func(p *float64) string {
		if p == nil {
			return "null"
		}
		return fmt.Sprint(*p)
	}
	return fmt.Sprintf("{n=%d p50=%s p90=%s max=%s}", s.Count, f(s.P50), f(s.P90), f(s.Max))
}

// distribution is the nearest-rank distribution of vs.
func distribution(vs []float64) Stats {
	if len(vs) == 0 {
		return Stats{}
	}
	vs = slices.Clone(vs)
	slices.Sort(vs)
	rank := func(p int) *float64 {
		k := (p*len(vs) + 99) / 100 // ⌈p·n/100⌉
		return &vs[k-1]
	}
	return Stats{Count: len(vs), P50: rank(50), P90: rank(90), Max: &vs[len(vs)-1]}
}

// Pipeline is the expected order pipeline.
type Pipeline struct {
	ByStatus map[schematype.OrderStatus]int
	LeadTime Stats
	// Stages: submitted→validated, validated→provisioning,
	// provisioning→fulfilled.
	Stages [3]Stats
}

// OrderPipeline computes the pipeline of the kept accounts' orders with the
// fulfilment window [from, to).
func (d *Data) OrderPipeline(keep Keep, from, to time.Time) Pipeline {
	p := Pipeline{ByStatus: map[schematype.OrderStatus]int{}}
	var lead []float64
	var stages [3][]float64
	span := func(out *[]float64, a, b *time.Time) {
		if a != nil && b != nil {
			*out = append(*out, b.Sub(*a).Seconds())
		}
	}
	for _, o := range d.Orders {
		if !keep.Has(o.AccountID) {
			continue
		}
		p.ByStatus[o.Status]++
		if o.FulfilledAt == nil || o.FulfilledAt.Before(from) || !o.FulfilledAt.Before(to) {
			continue
		}
		span(&lead, o.SubmittedAt, o.FulfilledAt)
		span(&stages[0], o.SubmittedAt, o.ValidatedAt)
		span(&stages[1], o.ValidatedAt, o.ProvisioningAt)
		span(&stages[2], o.ProvisioningAt, o.FulfilledAt)
	}
	p.LeadTime = distribution(lead)
	for i := range stages {
		p.Stages[i] = distribution(stages[i])
	}
	return p
}

// Stuck is an expected stuck order.
type Stuck struct {
	Order   int
	Status  schematype.OrderStatus
	Last    time.Time
	Seconds float64
}

// StuckOrders lists the kept accounts' orders in SUBMITTED, VALIDATED or
// PROVISIONING whose last transition (latest event, else the status's
// stamp, else creation) is before now − hours, oldest first then by id, at
// most limit.
func (d *Data) StuckOrders(keep Keep, now time.Time, hours, limit int) []Stuck {
	latest := map[int]time.Time{}
	for _, e := range d.Events {
		if t, ok := latest[e.OrderID]; !ok || e.At.After(t) {
			latest[e.OrderID] = e.At
		}
	}
	cutoff := now.Add(-time.Duration(hours) * time.Hour)
	var out []Stuck
	for _, o := range d.Orders {
		if !keep.Has(o.AccountID) {
			continue
		}
		var stamp *time.Time
		switch o.Status {
		case schematype.OrderStatusSubmitted:
			stamp = o.SubmittedAt
		case schematype.OrderStatusValidated:
			stamp = o.ValidatedAt
		case schematype.OrderStatusProvisioning:
			stamp = o.ProvisioningAt
		default:
			continue
		}
		last, ok := latest[o.ID]
		switch {
		case ok:
		case stamp != nil:
			last = *stamp
		default:
			last = o.CreatedAt
		}
		if last.Before(cutoff) {
			out = append(out, Stuck{Order: o.ID, Status: o.Status, Last: last.UTC(), Seconds: now.Sub(last).Seconds()})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Last.Equal(out[j].Last) {
			return out[i].Last.Before(out[j].Last)
		}
		return out[i].Order < out[j].Order
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// Kinds in report order.
var Kinds = []string{
	"OVER_LIMIT", "NO_ACTIVE_CONTRACT", "FULFILLED_WITHOUT_ENTITLEMENT",
	"EXCEEDS_CONTRACT", "EXPIRED_BUT_ACTIVE", "FULFILLED_NOT_INVOICED",
}

// Record is an expected discrepancy; 0 for an object not involved.
type Record struct {
	Kind                                                 string
	Account, Entitlement, Contract, Order, Line, Product int
}

func (r Record) String() string {
	return fmt.Sprintf("%s{account %d entitlement %d contract %d order %d line %d product %d}",
		r.Kind, r.Account, r.Entitlement, r.Contract, r.Order, r.Line, r.Product)
}

// Discrepancies lists the kept accounts' discrepancies at now, in report
// order: by kind, then entitlement, line, (contract, product) or order id.
func (d *Data) Discrepancies(keep Keep, now time.Time, notInvoicedAfterDays int) []Record {
	byKind := map[string][]Record{}
	add := func(r Record) { byKind[r.Kind] = append(byKind[r.Kind], r) }
	live := func(e *ent.Entitlement) bool {
		return e.Status == entitlement.StatusACTIVE && (e.ActiveTo == nil || e.ActiveTo.After(now))
	}
	type group struct{ contract, product int }
	units := map[group]int64{}
	accountOf := map[group]int{}
	for _, e := range d.Entitlements {
		if !keep.Has(e.AccountID) {
			continue
		}
		rec := Record{Account: e.AccountID, Entitlement: e.ID, Contract: deref(e.ContractID), Product: e.ProductID}
		if live(e) {
			limit := e.Limit
			if e.OverrideLimit != nil && (e.OverrideExpiresAt == nil || e.OverrideExpiresAt.After(now)) {
				limit = e.OverrideLimit
			}
			if limit != nil && e.Usage > *limit {
				rec.Kind = "OVER_LIMIT"
				add(rec)
			}
			k := d.Contracts[deref(e.ContractID)]
			if k == nil || k.Status != contract.StatusACTIVE || !k.EndDate.After(now) {
				rec.Kind = "NO_ACTIVE_CONTRACT"
				add(rec)
			}
			if e.ContractID != nil {
				g := group{*e.ContractID, e.ProductID}
				u := int64(1)
				if e.Kind != schematype.EntitlementKindBoolean && e.Limit != nil {
					u = *e.Limit
				}
				units[g] += u
				if a, ok := accountOf[g]; !ok || e.AccountID < a {
					accountOf[g] = e.AccountID
				}
			}
		}
		if e.Status == entitlement.StatusACTIVE && e.ActiveTo != nil && !e.ActiveTo.After(now) {
			rec.Kind = "EXPIRED_BUT_ACTIVE"
			add(rec)
		}
	}
	contracted := map[group]int64{}
	for _, it := range d.Items {
		contracted[group{it.ContractID, it.ProductID}] += it.Quantity
	}
	for g, u := range units {
		if u > contracted[g] {
			add(Record{Kind: "EXCEEDS_CONTRACT", Account: accountOf[g], Contract: g.contract, Product: g.product})
		}
	}
	// Lines: an entitlement is linked to the line, or a line of an order
	// of the account fulfilled at or after this one moved the link of the
	// account's entitlement to the product.
	linked := map[int]bool{}
	for _, e := range d.Entitlements {
		if e.SourceOrderLineID != nil {
			linked[*e.SourceOrderLineID] = true
		}
	}
	for _, l := range d.Lines {
		o := d.orders[l.OrderID]
		if !keep.Has(o.AccountID) || o.Status != schematype.OrderStatusFulfilled || l.Action == orderline.ActionREMOVE || linked[l.ID] {
			continue
		}
		superseded := false
		for _, e := range d.Entitlements {
			if e.AccountID != o.AccountID || e.ProductID != l.ProductID || e.SourceOrderLineID == nil {
				continue
			}
			o2 := d.orders[d.lines[*e.SourceOrderLineID].OrderID]
			if o2.FulfilledAt != nil && o.FulfilledAt != nil && !o2.FulfilledAt.Before(*o.FulfilledAt) {
				superseded = true
			}
		}
		if !superseded {
			add(Record{Kind: "FULFILLED_WITHOUT_ENTITLEMENT", Account: o.AccountID, Contract: deref(o.ContractID), Order: o.ID, Line: l.ID, Product: l.ProductID})
		}
	}
	threshold := now.Add(-time.Duration(notInvoicedAfterDays) * 24 * time.Hour)
	for _, o := range d.Orders {
		if keep.Has(o.AccountID) && o.Status == schematype.OrderStatusFulfilled && o.BillingStatus == order.BillingStatusNOT_BILLED &&
			o.FulfilledAt != nil && o.FulfilledAt.Before(threshold) {
			add(Record{Kind: "FULFILLED_NOT_INVOICED", Account: o.AccountID, Contract: deref(o.ContractID), Order: o.ID})
		}
	}
	var out []Record
	for _, k := range Kinds {
		rs := byKind[k]
		main := func(r Record) [2]int {
			switch k {
			case "FULFILLED_WITHOUT_ENTITLEMENT":
				return [2]int{r.Line}
			case "EXCEEDS_CONTRACT":
				return [2]int{r.Contract, r.Product}
			case "FULFILLED_NOT_INVOICED":
				return [2]int{r.Order}
			}
			return [2]int{r.Entitlement}
		}
		sort.Slice(rs, func(i, j int) bool {
			a, b := main(rs[i]), main(rs[j])
			return a[0] < b[0] || a[0] == b[0] && a[1] < b[1]
		})
		out = append(out, rs...)
	}
	return out
}

// Month is an expected month of the billing reconciliation.
type Month struct {
	Month                                      string
	FulfilledNotInvoiced, InvoicedNotFulfilled int
	Arr                                        map[string]int64
}

// Billing is the expected billing reconciliation.
type Billing struct {
	Months                                     []Month
	FulfilledNotInvoiced, InvoicedNotFulfilled int
	Arr                                        map[string]int64
}

// BillingReconciliation computes the reconciliation of the kept accounts'
// orders over [from, to), by UTC calendar month.
func (d *Data) BillingReconciliation(keep Keep, from, to time.Time) Billing {
	b := Billing{Arr: map[string]int64{}}
	idx := map[string]int{}
	for m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC); m.Before(to); m = m.AddDate(0, 1, 0) {
		idx[m.Format("2006-01")] = len(b.Months)
		b.Months = append(b.Months, Month{Month: m.Format("2006-01"), Arr: map[string]int64{}})
	}
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	seen, seenMonth := map[int]bool{}, map[string]bool{}
	for _, o := range d.Orders {
		if !keep.Has(o.AccountID) {
			continue
		}
		switch {
		case o.Status == schematype.OrderStatusFulfilled && o.BillingStatus == order.BillingStatusNOT_BILLED && o.FulfilledAt != nil && in(*o.FulfilledAt):
			m := &b.Months[idx[o.FulfilledAt.UTC().Format("2006-01")]]
			m.FulfilledNotInvoiced++
			b.FulfilledNotInvoiced++
			if k := d.Contracts[deref(o.ContractID)]; k != nil {
				if !seen[k.ID] {
					seen[k.ID] = true
					b.Arr[k.Currency] += k.ArrMinor
				}
				if key := fmt.Sprint(m.Month, k.ID); !seenMonth[key] {
					seenMonth[key] = true
					m.Arr[k.Currency] += k.ArrMinor
				}
			}
		case o.Status != schematype.OrderStatusFulfilled && o.BillingStatus == order.BillingStatusINVOICED && in(o.CreatedAt):
			b.Months[idx[o.CreatedAt.UTC().Format("2006-01")]].InvoicedNotFulfilled++
			b.InvoicedNotFulfilled++
		}
	}
	return b
}

// Money formats a report's amounts as the oracle's per-currency sums print
// (map[EUR:1 USD:2]); amounts not sorted by currency print as such.
func Money(ms []*reports.MoneyAmount) string {
	m := map[string]int64{}
	for _, a := range ms {
		m[a.Currency] = a.AmountMinor
	}
	if !sort.SliceIsSorted(ms, func(i, j int) bool { return ms[i].Currency < ms[j].Currency }) || len(m) != len(ms) {
		return fmt.Sprint("unsorted or repeated ", ms)
	}
	return fmt.Sprint(m)
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
