package sdkcheck_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/ratelimit"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/server"
	"github.com/opsgraph/opsgraph/internal/viewer"
	"github.com/opsgraph/opsgraph/sdk"
)

// The SDK hands each response's cost to WithCost, and a spent budget comes
// back as RATE_LIMITED with HTTP 429 once retries are exhausted.
func TestSDKCostAndRateLimit(t *testing.T) {
	db := seedtest.Demo(t, dialect.SQLite, now)
	frozen := func() time.Time { return now }
	l, err := ratelimit.NewSQL(db.SQL, db.Dialect, frozen)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := ratelimit.ParsePolicies("default=40:1", viewer.IsRole)
	if err != nil {
		t.Fatal(err)
	}
	srv := apitest.NewWith(t, db, func(o *server.Options) {
		o.Now = frozen
		o.RateLimits = &server.RateLimits{Limiter: l, Policies: ps}
	})
	var mu sync.Mutex
	var seen []sdk.Cost
	c := sdk.New(srv.URL, sdk.WithToken(srv.Token("sdk-cost@opsgraph.example", viewer.RoleAdmin)),
		sdk.WithRetry(sdk.Retry{MaxAttempts: 1}),
		sdk.WithCost(func(op string, cost sdk.Cost) {
			mu.Lock()
			defer mu.Unlock()
			if op != "Accounts" {
				t.Errorf("operation %q", op)
			}
			seen = append(seen, cost)
		}))
	ctx := context.Background()
	if _, err := c.AccountsPage(ctx, sdk.AccountsVars{First: sdk.Ptr(1)}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 {
		t.Fatalf("WithCost saw %d responses", len(seen))
	}
	first := seen[0]
	if first.Requested <= 0 || first.Actual <= 0 || first.Actual > first.Requested || first.Maximum != 10000 ||
		first.Limit != 40 || first.Remaining != 40-first.Actual || first.RestoreRate != 1 || first.ResetAt.IsZero() {
		t.Fatalf("cost %+v", first)
	}
	// Spend the rest of the budget: the frozen clock restores nothing.
	var rerr *sdk.Error
	for range 40 {
		if _, err = c.AccountsPage(ctx, sdk.AccountsVars{First: sdk.Ptr(1)}); err != nil {
			break
		}
	}
	if !errors.As(err, &rerr) || !rerr.HasCode(sdk.CodeRateLimited) || rerr.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after the budget: %v", err)
	}
}
