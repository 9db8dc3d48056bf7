// Package cost prices a GraphQL operation before it runs and measures its
// shape (depth, fields, aliases), so the server can refuse a query that
// would be too expensive without touching the database, and it counts what
// an operation really fetched.
//
// The model, after Shopify's and GitHub's:
//
//   - a scalar or enum field costs 0;
//   - an object field costs 1 plus the cost of its selection;
//   - a Relay connection costs 1 plus its pageInfo and other fields, plus its
//     page size (first or last; DefaultPage when neither is given) times the
//     cost of one element of edges and of nodes;
//   - any other list of objects costs its bound (from an argument such as
//     limit or last, or from ListSizes) times the cost of one element;
//   - a few fields cost more than an object read (FieldCosts: the reports run
//     aggregate SQL), so their base is that cost instead of 1.
//
// On an interface or union the most expensive possible type counts. The
// actual cost counts the same units over what was really resolved: 1 per
// object returned (its FieldCosts base for the priced fields), so a page
// that comes back short costs less than was requested.
package cost

import (
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"

	"github.com/vektah/gqlparser/v2/ast"
)

// DefaultPage is the page size a connection asked for without first or
// last is priced at (the server applies the same default).
const DefaultPage = 50

// The default limits of one operation (the server's settings override
// them).
const (
	DefaultMaxCost    = 10_000
	DefaultMaxDepth   = 12
	DefaultMaxFields  = 1_000
	DefaultMaxAliases = 50
)

// FieldCosts are the fields whose own cost is more than an object read:
// each report is one or a few aggregate statements over the whole book.
var FieldCosts = map[string]int{
	"Query.renewalCalendar":          100,
	"Query.renewalHygiene":           100,
	"Query.dataQuality":              100,
	"Query.healthOverview":           100,
	"Query.requestQueue":             100,
	"Query.orderPipeline":            100,
	"Query.entitlementDiscrepancies": 100,
	"Query.billingReconciliation":    100,
}

// ListSizes bounds the lists of objects that are neither connections nor
// sized by an argument: the most elements they return (or, where the data
// has no hard cap, a generous typical size, said so).
var ListSizes = map[string]int{
	// A mutation's user errors: one per invalid input field at most.
	"AccountPayload.userErrors":              10,
	"ContractPayload.userErrors":             10,
	"ContractItemPayload.userErrors":         10,
	"EntitlementPayload.userErrors":          10,
	"EntitlementUsagePayload.userErrors":     10,
	"HealthScoreRecomputePayload.userErrors": 10,
	"HealthSignalsIngestPayload.userErrors":  10,
	"OrderPayload.userErrors":                10,
	"ProductPayload.userErrors":              10,
	"RequestPayload.userErrors":              10,
	"UserPayload.userErrors":                 10,
	// One score per account of the ingested batch (a batch holds at most
	// 500 signals; most name few accounts).
	"HealthSignalsIngestPayload.scores": 100,
	// An audit event's changed fields: one per column of the entity.
	"AuditEvent.changes": 20,
	// Amounts per currency.
	"BillingMonth.fulfilledNotInvoicedArr":                5,
	"BillingReconciliationReport.fulfilledNotInvoicedArr": 5,
	"RenewalMonth.arr":                                    5,
	// One row per calendar month, at most MaxBillingMonths.
	"BillingReconciliationReport.months": 120,
	// Capped at 100 by the report.
	"DataQualityReport.duplicateGroups": 100,
	"DataQualityReport.staleOnboarding": 100,
	// One per tracked field.
	"DataQualityReport.fields": 20,
	// Accounts sharing a key: typically 2 or 3.
	"DuplicateGroup.accounts": 5,
	// One per measure of the health model.
	"HealthModel.measures":   10,
	"HealthScore.components": 10,
	// One per kind of hygiene issue or discrepancy.
	"RenewalHygieneConnection.countsByKind": 10,
	"DiscrepancyConnection.countsByKind":    10,
	// One per calendar month of the horizon (at most MaxHorizonDays, about
	// 121 months).
	"RenewalConnection.byMonth": 121,
	// One per band, signal kind, status, stage, priority or aging bucket.
	"HealthOverviewReport.byBand":             5,
	"HealthOverviewReport.signals":            10,
	"OrderPipelineReport.byStatus":            10,
	"OrderPipelineReport.stages":              10,
	"RequestQueueReport.open":                 20,
	"RequestQueueReport.aging":                10,
	"RequestQueueReport.resolutionCompliance": 5,
	"RequestQueueReport.responseCompliance":   5,
	// An order's lines, events and validation errors; a line's entitlements;
	// a contract's items; a request's history: no hard cap, priced at a
	// generous typical size.
	"Order.lines":            20,
	"Order.events":           20,
	"Order.validationErrors": 20,
	"OrderLine.entitlements": 10,
	"Contract.items":         20,
	"Request.history":        20,
}

// ArgSized names, for lists sized by an argument, that argument and its
// value when absent (the schema's default, repeated here for lists whose
// argument has none).
var ArgSized = map[string]struct {
	Arg     string
	Default int
}{
	"Account.healthHistory":           {"last", 30},
	"OrderPipelineReport.stuckOrders": {"limit", 50},
	"Query.nodes":                     {"ids", 0},
}

// parentSized are lists sized by an argument of the field that returned
// their parent object.
var parentSized = map[string]struct {
	Parent, Arg string
	Default     int
}{
	"HealthOverviewReport.movers": {"Query.healthOverview", "moversLimit", 20},
	"RequestQueueReport.breached": {"Query.requestQueue", "breachedLimit", 50},
}

// Analysis is what pricing found about one operation.
type Analysis struct {
	// Cost is the worst-case cost in points.
	Cost int
	// Depth is the deepest field nesting (a root field is depth 1).
	Depth int
	// Fields counts the fields selected, fragments expanded.
	Fields int
	// Aliases counts the fields selected under an alias.
	Aliases int
}

// Analyze prices op against schema with the operation's variables. The
// fields of introspection (__schema, __type, __typename) are free and do
// not count toward depth or fields: they read the schema, not the data.
func Analyze(schema *ast.Schema, op *ast.OperationDefinition, vars map[string]any) Analysis {
	w := walker{schema: schema, vars: vars}
	var root *ast.Definition
	switch op.Operation {
	case ast.Mutation:
		root = schema.Mutation
	case ast.Subscription:
		root = schema.Subscription
	default:
		root = schema.Query
	}
	var a Analysis
	a.Cost = w.selection(op.SelectionSet, root, 1, nil, &a)
	return a
}

type walker struct {
	schema *ast.Schema
	vars   map[string]any
}

// maxFields bounds the expansion walk: past it the analysis stops adding
// fields (the request is refused for its field count anyway), so a query
// built from nested fragment spreads cannot make pricing itself expensive.
const maxFields = 100_000

// selection prices set on the type def (an object, interface or union) at
// depth: the most expensive possible concrete type wins. parent is the
// field that returned def, for lists sized by their parent's arguments.
func (w walker) selection(set ast.SelectionSet, def *ast.Definition, depth int, parent *ast.Field, a *Analysis) int {
	if def == nil || len(set) == 0 {
		return 0
	}
	types := []*ast.Definition{def}
	if def.IsAbstractType() {
		types = w.schema.GetPossibleTypes(def)
	}
	best := 0
	// Depth, fields and aliases are counted once, on the widest type; the
	// cost is the maximum over the possible types.
	var shape Analysis
	for i, t := range types {
		var s Analysis
		c := w.fieldsOf(set, t, depth, parent, &s)
		if c > best {
			best = c
		}
		if i == 0 || s.Fields > shape.Fields {
			shape.Fields, shape.Aliases = s.Fields, s.Aliases
		}
		if s.Depth > shape.Depth {
			shape.Depth = s.Depth
		}
	}
	a.Fields = min(a.Fields+shape.Fields, maxFields)
	a.Aliases += shape.Aliases
	a.Depth = max(a.Depth, shape.Depth)
	return best
}

// fieldsOf prices the selections of set that apply to the concrete type t.
func (w walker) fieldsOf(set ast.SelectionSet, t *ast.Definition, depth int, parent *ast.Field, a *Analysis) int {
	total := 0
	for _, sel := range set {
		if a.Fields >= maxFields {
			break
		}
		switch s := sel.(type) {
		case *ast.Field:
			total = add(total, w.field(s, t, depth, parent, a))
		case *ast.InlineFragment:
			if w.applies(s.TypeCondition, t) {
				total = add(total, w.fieldsOf(s.SelectionSet, t, depth, parent, a))
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && w.applies(s.Definition.TypeCondition, t) {
				total = add(total, w.fieldsOf(s.Definition.SelectionSet, t, depth, parent, a))
			}
		}
	}
	return total
}

// applies reports whether a fragment on cond applies to the concrete type t.
func (w walker) applies(cond string, t *ast.Definition) bool {
	if cond == "" || cond == t.Name {
		return true
	}
	c := w.schema.Types[cond]
	if c == nil || !c.IsAbstractType() {
		return false
	}
	for _, p := range w.schema.GetPossibleTypes(c) {
		if p.Name == t.Name {
			return true
		}
	}
	return false
}

func (w walker) field(f *ast.Field, on *ast.Definition, depth int, parent *ast.Field, a *Analysis) int {
	if strings.HasPrefix(f.Name, "__") {
		return 0
	}
	a.Fields++
	if f.Alias != "" && f.Alias != f.Name {
		a.Aliases++
	}
	a.Depth = max(a.Depth, depth)
	def := on.Fields.ForName(f.Name)
	if def == nil {
		return 0 // validation reports it
	}
	typ := w.schema.Types[def.Type.Name()]
	if typ == nil || typ.Kind == ast.Scalar || typ.Kind == ast.Enum {
		return 0
	}
	key := on.Name + "." + f.Name
	base := 1
	if c, ok := FieldCosts[key]; ok {
		base = c
	}
	if IsConnection(def) {
		return add(base, w.connection(f, typ, depth, a))
	}
	child := w.selection(f.SelectionSet, typ, depth+1, f, a)
	n := 1
	if def.Type.Elem != nil {
		n = w.listSize(key, f, parent)
	}
	return mul(n, add(base, child))
}

// connection prices a connection's selection: its own fields once, one
// element of edges and nodes times the page size.
func (w walker) connection(f *ast.Field, conn *ast.Definition, depth int, a *Analysis) int {
	var perPage, once int
	w.connectionFields(f.SelectionSet, conn, depth+1, f, a, &perPage, &once)
	return add(once, mul(w.pageSize(f), perPage))
}

func (w walker) connectionFields(set ast.SelectionSet, conn *ast.Definition, depth int, parent *ast.Field, a *Analysis, perPage, once *int) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "edges" || s.Name == "nodes" {
				def := conn.Fields.ForName(s.Name)
				if def == nil {
					continue
				}
				a.Fields++
				if s.Alias != "" && s.Alias != s.Name {
					a.Aliases++
				}
				a.Depth = max(a.Depth, depth)
				elem := w.schema.Types[def.Type.Name()]
				*perPage = add(*perPage, add(1, w.selection(s.SelectionSet, elem, depth+1, s, a)))
				continue
			}
			*once = add(*once, w.field(s, conn, depth, parent, a))
		case *ast.InlineFragment:
			w.connectionFields(s.SelectionSet, conn, depth, parent, a, perPage, once)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				w.connectionFields(s.Definition.SelectionSet, conn, depth, parent, a, perPage, once)
			}
		}
	}
}

func (w walker) pageSize(f *ast.Field) int {
	args := f.ArgumentMap(w.vars)
	for _, name := range []string{"first", "last"} {
		if n, ok := Int(args[name]); ok {
			return max(n, 0)
		}
	}
	return DefaultPage
}

func (w walker) listSize(key string, f *ast.Field, parent *ast.Field) int {
	if p, ok := parentSized[key]; ok && parent != nil {
		if parent.ObjectDefinition != nil && parent.ObjectDefinition.Name+"."+parent.Name == p.Parent {
			if n, ok := Int(parent.ArgumentMap(w.vars)[p.Arg]); ok {
				return max(n, 0)
			}
		}
		return p.Default
	}
	if s, ok := ArgSized[key]; ok {
		v := f.ArgumentMap(w.vars)[s.Arg]
		if list, ok := v.([]any); ok {
			return len(list)
		}
		if n, ok := Int(v); ok {
			return max(n, 0)
		}
		return s.Default
	}
	if n, ok := ListSizes[key]; ok {
		return n
	}
	// Unpriced lists are caught by TestEveryListIsPriced; price them high
	// rather than free.
	return 100
}

// IsConnection reports whether def returns a Relay connection paged with
// first/last.
func IsConnection(def *ast.FieldDefinition) bool {
	return def != nil && def.Type != nil &&
		strings.HasSuffix(def.Type.Name(), "Connection") &&
		def.Arguments.ForName("first") != nil
}

// Priced reports how the list field typeName.field is priced, or an error
// saying it is not (used by the test that walks the schema).
func Priced(schema *ast.Schema, typeName string, def *ast.FieldDefinition) error {
	key := typeName + "." + def.Name
	typ := schema.Types[def.Type.Name()]
	if def.Type.Elem == nil || typ == nil || typ.Kind == ast.Scalar || typ.Kind == ast.Enum {
		return nil
	}
	if strings.HasSuffix(typeName, "Connection") && (def.Name == "edges" || def.Name == "nodes") {
		return nil
	}
	if _, ok := ListSizes[key]; ok {
		return nil
	}
	if p, ok := parentSized[key]; ok {
		parent := strings.SplitN(p.Parent, ".", 2)
		pd := schema.Types[parent[0]]
		if pd == nil || pd.Fields.ForName(parent[1]) == nil || pd.Fields.ForName(parent[1]).Arguments.ForName(p.Arg) == nil {
			return fmt.Errorf("%s is sized by %s(%s), which the schema does not have", key, p.Parent, p.Arg)
		}
		return nil
	}
	if s, ok := ArgSized[key]; ok {
		if def.Arguments.ForName(s.Arg) == nil {
			return fmt.Errorf("%s is sized by its %q argument, which the schema does not have", key, s.Arg)
		}
		return nil
	}
	return fmt.Errorf("%s returns a list of %s with no price: add it to cost.ListSizes or cost.ArgSized", key, typ.Name)
}

// Int reads an argument's value (a literal or a decoded variable) as an
// int.
func Int(v any) (int, bool) {
	switch n := v.(type) {
	case int64:
		return int(n), true
	case int:
		return n, true
	case int32:
		return int(n), true
	case float64:
		return int(n), true
	case interface{ Int64() (int64, error) }: // json.Number
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}

const maxInt = int(^uint(0) >> 1)

// add and mul saturate, so a crafted query cannot overflow its price into a
// small number.
func add(a, b int) int {
	if a > maxInt-b {
		return maxInt
	}
	return a + b
}

func mul(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a > maxInt/b {
		return maxInt
	}
	return a * b
}

// Units is the actual cost of one resolved field with a selection (an
// object or a list of objects; leaves are free and not metered): 0 for a
// null result, the element count for a list, and the field's base (1, or
// its FieldCosts entry) for one object.
func Units(typeName string, def *ast.FieldDefinition, result any) int {
	if def == nil {
		return 0
	}
	v := reflect.ValueOf(result)
	switch v.Kind() {
	case reflect.Invalid:
		return 0
	case reflect.Pointer, reflect.Interface, reflect.Map:
		if v.IsNil() {
			return 0
		}
	case reflect.Slice, reflect.Array:
		return v.Len()
	}
	if c, ok := FieldCosts[typeName+"."+def.Name]; ok {
		return c
	}
	return 1
}

// Meter sums the actual cost of one operation; fields resolve concurrently.
type Meter struct{ n atomic.Int64 }

// Add adds points.
func (m *Meter) Add(points int) {
	if points > 0 {
		m.n.Add(int64(points))
	}
}

// Total is the points added so far.
func (m *Meter) Total() int { return int(m.n.Load()) }
