package graph_test

import (
	"context"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/store"
)

// The derived entitlement fields read as computed here, independently, from
// the stored columns, for every seeded entitlement; ACTIVE rows past their
// window read EXPIRED.
func TestEntitlementDerivedFields(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	seedtest.EachDemo(t, now, func(t *testing.T, db *store.DB) {
		srv := apitest.NewAt(t, db, func() time.Time { return now })
		type row struct {
			Limit, Usage, OverrideLimit *int64
			OverrideExpiresAt, ActiveTo *time.Time
			Status, EffectiveStatus     string
			EffectiveLimit, Remaining   *int64
			OverLimit, OverrideActive   bool
			Utilization                 *float64
		}
		var after any
		seen, over, expired := 0, 0, 0
		for {
			var data struct {
				Entitlements struct {
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
					Edges []struct{ Node row }
				}
			}
			srv.Post(`query($after: Cursor) { entitlements(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
				edges { node { limit usage overrideLimit overrideExpiresAt activeTo status effectiveStatus effectiveLimit remaining overLimit overrideActive utilization } } } }`,
				map[string]any{"after": after}).MustData(t, &data)
			for _, e := range data.Entitlements.Edges {
				n := e.Node
				seen++
				limit := n.Limit
				overrideOn := n.OverrideLimit != nil && (n.OverrideExpiresAt == nil || n.OverrideExpiresAt.After(now))
				if overrideOn {
					limit = n.OverrideLimit
				}
				wantStatus := n.Status
				if n.Status == "ACTIVE" && n.ActiveTo != nil && !n.ActiveTo.After(now) {
					wantStatus = "EXPIRED"
					expired++
				}
				if n.EffectiveStatus != wantStatus || n.OverrideActive != overrideOn {
					t.Fatalf("%+v: status/override wrong", n)
				}
				if limit == nil {
					if n.EffectiveLimit != nil || n.Remaining != nil || n.OverLimit || n.Utilization != nil {
						t.Fatalf("%+v: derived values without a limit", n)
					}
					continue
				}
				if n.EffectiveLimit == nil || *n.EffectiveLimit != *limit || *n.Remaining != max(*limit-*n.Usage, 0) || n.OverLimit != (*n.Usage > *limit) {
					t.Fatalf("%+v: derived limit values wrong", n)
				}
				if n.OverLimit {
					over++
				}
			}
			if !data.Entitlements.PageInfo.HasNextPage {
				break
			}
			after = data.Entitlements.PageInfo.EndCursor
		}
		if want := db.Client.Entitlement.Query().CountX(context.Background()); seen != want || over == 0 || expired == 0 {
			t.Fatalf("checked %d of %d entitlements (%d over limit, %d past their window): the demo data should have both", seen, want, over, expired)
		}
	})
}

// The entitlement actions through the API: applied flags, typed userErrors,
// derived fields after the change.
func TestEntitlementActionsThroughTheAPI(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	seedtest.EachDemo(t, now, func(t *testing.T, db *store.DB) {
		srv := apitest.NewAt(t, db, func() time.Time { return now })
		var list struct {
			Entitlements struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		srv.Post(`{ entitlements(first: 1, where: {kind: METERED, status: ACTIVE, hasContractWith: {status: ACTIVE}}) { edges { node { id } } } }`, nil).MustData(t, &list)
		id := list.Entitlements.Edges[0].Node.ID
		report := func(usage int, at string) (applied bool, usageNow int64, codes []string) {
			var d struct {
				EntitlementReportUsage struct {
					Applied     bool
					Entitlement *struct{ Usage int64 }
					UserErrors  []struct{ Code string }
				}
			}
			srv.Post(`mutation($id: ID!, $u: Int64!, $at: Time!) { entitlementReportUsage(input: {entitlementID: $id, usage: $u, observedAt: $at}) { applied entitlement { usage } userErrors { code } } }`,
				map[string]any{"id": id, "u": usage, "at": at}).MustData(t, &d)
			p := d.EntitlementReportUsage
			for _, e := range p.UserErrors {
				codes = append(codes, e.Code)
			}
			if p.Entitlement != nil {
				usageNow = p.Entitlement.Usage
			}
			return p.Applied, usageNow, codes
		}
		if applied, u, codes := report(4242, "2026-11-01T11:00:00Z"); !applied || u != 4242 || codes != nil {
			t.Fatalf("newer report: %v %d %v", applied, u, codes)
		}
		if applied, u, codes := report(1, "2020-01-01T00:00:00Z"); applied || u != 4242 || codes != nil {
			t.Fatalf("older report: %v %d %v", applied, u, codes)
		}
		if applied, _, codes := report(-5, "2026-11-01T11:30:00Z"); applied || len(codes) != 1 || codes[0] != "NEGATIVE_VALUE" {
			t.Fatalf("negative report: %v %v", applied, codes)
		}
		var sus struct {
			EntitlementSuspend struct {
				Entitlement struct{ Status, EffectiveStatus string }
			}
		}
		srv.Post(`mutation($id: ID!) { entitlementSuspend(input: {entitlementID: $id}) { entitlement { status effectiveStatus } userErrors { code } } }`, map[string]any{"id": id}).MustData(t, &sus)
		if sus.EntitlementSuspend.Entitlement.Status != "SUSPENDED" {
			t.Fatalf("suspend: %+v", sus)
		}
	})
}
