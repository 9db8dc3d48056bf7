package server

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/opsgraph/opsgraph/internal/cost"
	"github.com/opsgraph/opsgraph/internal/ratelimit"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// Limits bound what one GraphQL request may ask for. Zero values take the
// defaults of DefaultLimits.
type Limits struct {
	// MaxCost is the most points one operation may cost (cost.Analyze).
	MaxCost int
	// MaxDepth is the deepest field nesting allowed.
	MaxDepth int
	// MaxFields is the most fields one operation may select, fragments
	// expanded.
	MaxFields int
	// MaxAliases is the most aliased fields one operation may select.
	MaxAliases int
	// MaxTokens is the parser's token limit: longer documents are refused
	// before they are parsed in full.
	MaxTokens int
	// Timeout bounds a query's or mutation's execution; its database
	// statements are cancelled when it passes.
	Timeout time.Duration
}

// DefaultLimits are the limits a deployment gets unless it configures
// others (internal/config documents each).
var DefaultLimits = Limits{
	MaxCost:    cost.DefaultMaxCost,
	MaxDepth:   cost.DefaultMaxDepth,
	MaxFields:  cost.DefaultMaxFields,
	MaxAliases: cost.DefaultMaxAliases,
	MaxTokens:  15_000,
	Timeout:    10 * time.Second,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxCost > 0 {
		d.MaxCost = l.MaxCost
	}
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	if l.MaxFields > 0 {
		d.MaxFields = l.MaxFields
	}
	if l.MaxAliases > 0 {
		d.MaxAliases = l.MaxAliases
	}
	if l.MaxTokens > 0 {
		d.MaxTokens = l.MaxTokens
	}
	if l.Timeout > 0 {
		d.Timeout = l.Timeout
	}
	return d
}

// The codes of requests refused for their shape. They are request errors
// (nothing executed): gqlgen answers them like validation errors.
const (
	CodeTooCostly   = "QUERY_TOO_COSTLY"
	CodeTooDeep     = "QUERY_TOO_DEEP"
	CodeTooMany     = "TOO_MANY_FIELDS"
	CodeTooAliased  = "TOO_MANY_ALIASES"
	CodeRateLimited = "RATE_LIMITED"
	CodeTimeout     = "TIMEOUT"
)

func init() {
	for _, c := range []string{CodeTooCostly, CodeTooDeep, CodeTooMany, CodeTooAliased} {
		errcode.RegisterErrorType(c, errcode.KindProtocol)
	}
}

// opCost is one operation's pricing, its budget and its meter.
type opCost struct {
	analysis cost.Analysis
	max      int
	// policy and budget are the subject's rate limit and its bucket after
	// the charge; budget is nil when the request is not rate limited.
	policy ratelimit.Policy
	budget *ratelimit.Decision
	meter  cost.Meter
}

type opCostKey struct{}

const costStats = "OpsGraphCost"

// RateLimits charge each request's cost to its subject's leaky bucket
// (internal/ratelimit).
type RateLimits struct {
	Limiter  ratelimit.Limiter
	Policies ratelimit.Policies
}

// costLimits prices every operation before it runs (internal/cost) and
// refuses one over the limits; it then charges the price to the subject's
// rate limit. A request refused for its price touches no data: pricing
// reads only the document and the schema.
type costLimits struct {
	limits Limits
	rate   *RateLimits
	schema *ast.Schema
}

var (
	_ graphql.HandlerExtension        = (*costLimits)(nil)
	_ graphql.OperationContextMutator = (*costLimits)(nil)
)

func (*costLimits) ExtensionName() string { return "CostLimits" }

func (c *costLimits) Validate(es graphql.ExecutableSchema) error {
	c.schema = es.Schema()
	return nil
}

func (c *costLimits) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil {
		return nil
	}
	a := cost.Analyze(c.schema, rc.Operation, rc.Variables)
	oc := &opCost{analysis: a, max: c.limits.MaxCost}
	rc.Stats.SetExtension(costStats, oc)
	if info := infoFrom(ctx); info != nil {
		info.costRequested = a.Cost
	}
	refuse := func(code, format string, args ...any) *gqlerror.Error {
		err := gqlerror.Errorf(format, args...)
		err.Extensions = map[string]any{"code": code}
		return err
	}
	switch {
	case a.Depth > c.limits.MaxDepth:
		err := refuse(CodeTooDeep, "the operation nests fields %d deep; at most %d levels are allowed", a.Depth, c.limits.MaxDepth)
		err.Extensions["depth"], err.Extensions["maxDepth"] = a.Depth, c.limits.MaxDepth
		return err
	case a.Fields > c.limits.MaxFields:
		err := refuse(CodeTooMany, "the operation selects %d fields (fragments expanded); at most %d are allowed", a.Fields, c.limits.MaxFields)
		err.Extensions["fields"], err.Extensions["maxFields"] = a.Fields, c.limits.MaxFields
		return err
	case a.Aliases > c.limits.MaxAliases:
		err := refuse(CodeTooAliased, "the operation uses %d aliases; at most %d are allowed", a.Aliases, c.limits.MaxAliases)
		err.Extensions["aliases"], err.Extensions["maxAliases"] = a.Aliases, c.limits.MaxAliases
		return err
	case a.Cost > c.limits.MaxCost:
		err := refuse(CodeTooCostly, "the operation could cost %d points, over the limit of %d per request: ask for smaller pages (first/last) or fewer nested connections", a.Cost, c.limits.MaxCost)
		err.Extensions["cost"] = map[string]any{"requested": a.Cost, "maximum": c.limits.MaxCost}
		return err
	}
	v := viewer.FromContext(ctx)
	if c.rate == nil || v == nil || a.Cost == 0 {
		return nil
	}
	p, from, limited := c.rate.Policies.For(v.Subject, v.Roles)
	if !limited {
		return nil
	}
	st, err := c.rate.Limiter.Take(ctx, v.Subject, p, a.Cost)
	if err != nil {
		// The budget's store is down: the data's store most likely too, and
		// refusing everything for it would turn a throttle fault into an
		// outage. Let the request through; the error is logged.
		if info := infoFrom(ctx); info != nil {
			info.budgetErr = err
		}
		return nil
	}
	oc.policy, oc.budget = p, &st
	if st.Allowed {
		return nil
	}
	retry := max(1, int(math.Ceil(st.RetryAfter.Seconds())))
	ext := map[string]any{
		"requested": a.Cost, "maximum": c.limits.MaxCost,
		"limit": int(st.Capacity), "remaining": int(st.Remaining), "restoreRate": p.RestoreRate,
		"resetAt": st.ResetAt.UTC().Format(time.RFC3339),
	}
	var gerr *gqlerror.Error
	if st.NeverFits {
		gerr = refuse(CodeTooCostly, "the operation could cost %d points, more than your whole budget of %d: ask for smaller pages", a.Cost, int(st.Capacity))
	} else {
		gerr = refuse(CodeRateLimited, "rate limited: the operation costs %d points and %d of %d are available (restoring %g per second); retry in %d s",
			a.Cost, int(st.Remaining), int(st.Capacity), p.RestoreRate, retry)
		gerr.Extensions["retryAfterSeconds"] = retry
		if info := infoFrom(ctx); info != nil {
			info.status = 429
			info.retryAfter = strconv.Itoa(retry)
			info.rateLimited = from
		}
	}
	gerr.Extensions["cost"] = ext
	return gerr
}

// withCost puts the operation's pricing into the context for meterField
// and costExtension; it bounds a query's or mutation's execution by the
// timeout.
func withCost(timeout time.Duration) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		oc := graphql.GetOperationContext(ctx)
		if c, ok := oc.Stats.GetExtension(costStats).(*opCost); ok {
			ctx = context.WithValue(ctx, opCostKey{}, c)
		}
		if timeout <= 0 || oc.Operation == nil || oc.Operation.Operation == ast.Subscription {
			return next(ctx)
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		h := next(ctx)
		return func(ctx context.Context) *graphql.Response {
			defer cancel()
			return h(ctx)
		}
	}
}

// meterField adds the actual units of a resolved field with a selection
// (an object or a list of them) to the operation's meter.
func meterField(ctx context.Context, fc *graphql.FieldContext, res any) {
	def := fc.Field.Definition
	if def == nil || fc.Field.ObjectDefinition == nil || strings.HasPrefix(def.Name, "__") {
		return // introspection is free
	}
	if oc, _ := ctx.Value(opCostKey{}).(*opCost); oc != nil {
		oc.meter.Add(cost.Units(fc.Field.ObjectDefinition.Name, def, res))
	}
}

// costExtension reports the operation's cost in extensions.cost of every
// response (Shopify's requested and actual cost, GitHub's rateLimit) and
// refunds the budget what the operation was charged but did not fetch.
func costExtension(rate *RateLimits) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		oc, _ := ctx.Value(opCostKey{}).(*opCost)
		if resp == nil || oc == nil {
			return resp
		}
		actual := oc.meter.Total()
		if info := infoFrom(ctx); info != nil {
			info.costActual = actual
		}
		ext := map[string]any{
			"requested": oc.analysis.Cost,
			"actual":    actual,
			"maximum":   oc.max,
		}
		if st := oc.budget; st != nil {
			remaining := st.Remaining
			resetAt := st.ResetAt
			if refund := oc.analysis.Cost - actual; refund > 0 && rate != nil {
				// The refund runs on the request's context minus its
				// deadline: a timed-out query still gives back its points.
				if err := rate.Limiter.Refund(context.WithoutCancel(ctx), viewer.FromContext(ctx).Subject, refund); err == nil {
					remaining = math.Min(st.Capacity, remaining+float64(refund))
					resetAt = resetAt.Add(-time.Duration(float64(refund) / oc.policy.RestoreRate * float64(time.Second)))
				}
			}
			ext["limit"] = int(st.Capacity)
			ext["remaining"] = int(remaining)
			ext["restoreRate"] = oc.policy.RestoreRate
			ext["resetAt"] = resetAt.UTC().Format(time.RFC3339)
		}
		if resp.Extensions == nil {
			resp.Extensions = map[string]any{}
		}
		resp.Extensions["cost"] = ext
		return resp
	}
}
