package graph_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/schema/gid"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

var healthNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// healthAccounts creates n accounts and returns their global IDs.
func healthAccounts(t *testing.T, db *store.DB, n int) []string {
	t.Helper()
	ctx := viewer.System(context.Background(), "test")
	ids := make([]string, n)
	for i := range ids {
		a := db.Client.Account.Create().SetName(fmt.Sprintf("Health %d", i)).SetSegment(account.SegmentSMB).SetRegion(schematype.RegionNA).SaveX(ctx)
		ids[i] = gid.Encode(a.ID)
	}
	return ids
}

type signal = map[string]any

func healthSignal(acct, kind string, value float64, age time.Duration) signal {
	return signal{"accountID": acct, "kind": kind, "value": value, "observedAt": healthNow.Add(-age).Format(time.RFC3339Nano), "source": "api-test"}
}

const ingestMutation = `mutation($s: [HealthSignalInput!]!) { healthSignalsIngest(input: {signals: $s}) {
	accepted duplicates
	scores { score band coverage modelVersion account { id } trend { change direction previousScore previousBand bandChanged } }
	userErrors { field code message } } }`

type ingestPayload struct {
	HealthSignalsIngest struct {
		Accepted, Duplicates int
		Scores               []struct {
			Score, Coverage float64
			Band            string
			ModelVersion    int
			Account         struct{ ID string }
			Trend           *struct {
				Change        float64
				Direction     string
				PreviousScore float64
				PreviousBand  string
				BandChanged   bool
			}
		}
		UserErrors []struct {
			Field   []string
			Code    string
			Message string
		}
	}
}

func ingest(t *testing.T, srv *apitest.Server, signals ...signal) ingestPayload {
	t.Helper()
	var p ingestPayload
	srv.Post(ingestMutation, map[string]any{"s": signals}).MustData(t, &p)
	return p
}

// Signals in, scores out: the payload, Account.health with components and
// trend, the history and the model, through the API.
func TestHealthThroughTheAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.NewAt(t, db, func() time.Time { return healthNow })
		ids := healthAccounts(t, db, 2)
		a, b := ids[0], ids[1]

		first := []signal{
			healthSignal(a, "PRODUCT_USAGE", 90, time.Hour),
			healthSignal(a, "SUPPORT_TICKETS", 2, time.Hour),
			healthSignal(a, "NPS", 40, 48*time.Hour),
			healthSignal(a, "CSAT", 4.5, 30*24*time.Hour),
			healthSignal(b, "PRODUCT_USAGE", 10, 10*24*time.Hour), // stale: b gets no score
		}
		p := ingest(t, srv, first...).HealthSignalsIngest
		// (30·90 + 15·90 + 15·70 + 10·87.5) / 70 = 85.4, coverage 0.7.
		if p.Accepted != 5 || p.Duplicates != 0 || len(p.UserErrors) != 0 || len(p.Scores) != 1 {
			t.Fatalf("first ingest: %+v", p)
		}
		if sc := p.Scores[0]; sc.Account.ID != a || sc.Score != 85.4 || sc.Band != "GREEN" || sc.Coverage != 0.7 || sc.ModelVersion != 1 || sc.Trend != nil {
			t.Fatalf("first score: %+v", sc)
		}
		// Re-sent: nothing new, the same score reported.
		if p := ingest(t, srv, first...).HealthSignalsIngest; p.Accepted != 0 || p.Duplicates != 5 || len(p.Scores) != 1 || p.Scores[0].Score != 85.4 {
			t.Fatalf("re-sent: %+v", p)
		}
		// Usage collapses: 30·10 + 15·90 + 15·70 + 10·87.5 → 51.1, YELLOW.
		p = ingest(t, srv, healthSignal(a, "PRODUCT_USAGE", 10, 0)).HealthSignalsIngest
		if len(p.Scores) != 1 || p.Scores[0].Score != 51.1 || p.Scores[0].Trend == nil {
			t.Fatalf("second ingest: %+v", p)
		}
		if tr := *p.Scores[0].Trend; tr.Change != -34.3 || tr.Direction != "DOWN" || tr.PreviousScore != 85.4 || tr.PreviousBand != "GREEN" || !tr.BandChanged {
			t.Fatalf("trend %+v", tr)
		}

		var acct struct {
			Node struct {
				Health struct {
					Score, Coverage float64
					Band            string
					Components      []struct {
						Kind  string
						Fresh bool
					}
					Trend struct{ Change float64 }
				}
				HealthHistory []struct{ Score float64 }
				Last          []struct{ Score float64 }
				Since         []struct{ Score float64 }
			}
		}
		srv.Post(`query($id: ID!, $since: Time) { node(id: $id) { ... on Account {
			health { score band coverage components { kind fresh } trend { change } }
			healthHistory { score }
			last: healthHistory(last: 1) { score }
			since: healthHistory(since: $since) { score } } } }`,
			map[string]any{"id": a, "since": healthNow.Add(time.Second).Format(time.RFC3339)}).MustData(t, &acct)
		h := acct.Node.Health
		fresh := map[string]bool{}
		for _, c := range h.Components {
			fresh[c.Kind] = c.Fresh
		}
		if h.Score != 51.1 || h.Band != "YELLOW" || h.Trend.Change != -34.3 || len(h.Components) != 6 ||
			!fresh["PRODUCT_USAGE"] || !fresh["CSAT"] || fresh["ACTIVE_USERS"] || fresh["TELEMETRY_UPTIME"] {
			t.Fatalf("health %+v", h)
		}
		if hist := acct.Node.HealthHistory; len(hist) != 2 || hist[0].Score != 85.4 || hist[1].Score != 51.1 {
			t.Fatalf("history %+v (oldest first)", hist)
		}
		if l := acct.Node.Last; len(l) != 1 || l[0].Score != 51.1 {
			t.Fatalf("last 1: %+v", l)
		}
		if s := acct.Node.Since; len(s) != 0 {
			t.Fatalf("since after the last score: %+v", s)
		}
		for _, last := range []int{0, 101} {
			res := srv.Post(`query($id: ID!, $n: Int) { node(id: $id) { ... on Account { healthHistory(last: $n) { score } } } }`, map[string]any{"id": a, "n": last})
			if len(res.Errors) != 1 || res.Errors[0].Code() != "BAD_USER_INPUT" {
				t.Fatalf("last %d: %s", last, res.Raw)
			}
		}

		var model struct {
			HealthModel struct {
				Version     int
				Fingerprint string
				Measures    []struct {
					Kind             string
					Weight           float64
					HigherIsBetter   bool
					Normalisation    string
					FreshnessSeconds int
				}
				GreenFrom, YellowFrom float64
				ActivatedAt           time.Time
			}
		}
		srv.Post(`{ healthModel { version fingerprint measures { kind weight higherIsBetter normalisation freshnessSeconds } greenFrom yellowFrom activatedAt } }`, nil).MustData(t, &model)
		m := model.HealthModel
		if m.Version != 1 || len(m.Fingerprint) != 64 || len(m.Measures) != 6 || m.GreenFrom != 70 || m.YellowFrom != 40 || !m.ActivatedAt.Equal(healthNow) {
			t.Fatalf("model %+v", m)
		}
		if ms := m.Measures[2]; ms.Kind != "SUPPORT_TICKETS" || ms.Weight != 15 || ms.HigherIsBetter || ms.FreshnessSeconds != 86400 ||
			ms.Normalisation != `{"method":"MINMAX","min":0,"max":20}` {
			t.Fatalf("tickets measure %+v", ms)
		}

		// Recompute one account and every account.
		var rc struct {
			HealthScoreRecompute struct {
				Recomputed int
				Score      *struct {
					Score float64
					Trend struct{ Direction string }
				}
				UserErrors []struct{ Code string }
			}
		}
		srv.Post(`mutation($id: ID) { healthScoreRecompute(input: {accountID: $id}) { recomputed score { score trend { direction } } userErrors { code } } }`,
			map[string]any{"id": a}).MustData(t, &rc)
		if r := rc.HealthScoreRecompute; r.Recomputed != 1 || r.Score == nil || r.Score.Score != 51.1 || r.Score.Trend.Direction != "FLAT" || len(r.UserErrors) != 0 {
			t.Fatalf("recompute one: %+v", r)
		}
		rc.HealthScoreRecompute.Score = nil
		srv.Post(`mutation { healthScoreRecompute(input: {}) { recomputed score { score } userErrors { code } } }`, nil).MustData(t, &rc)
		if r := rc.HealthScoreRecompute; r.Recomputed != 1 || r.Score != nil {
			t.Fatalf("recompute all: %+v (b has no fresh signal)", r)
		}
		srv.Post(`mutation($id: ID) { healthScoreRecompute(input: {accountID: $id}) { recomputed score { score } userErrors { code } } }`,
			map[string]any{"id": gid.Encode(db.Client.User.Create().SetName("U").SetEmail("u@example.com").SaveX(viewer.System(context.Background(), "t")).ID)}).MustData(t, &rc)
		if r := rc.HealthScoreRecompute; len(r.UserErrors) != 1 || r.UserErrors[0].Code != "WRONG_TYPE" {
			t.Fatalf("recompute a user: %+v", r)
		}
	})
}

// Invalid batches come back as userErrors at the signal's field and store
// nothing.
func TestHealthIngestUserErrors(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.NewAt(t, db, func() time.Time { return healthNow })
		a := healthAccounts(t, db, 1)[0]
		missing := gid.Encode(db.Client.Account.Create().SetName("Gone").SetSegment(account.SegmentSMB).SetRegion(schematype.RegionNA).SaveX(viewer.System(context.Background(), "t")).ID + 1000)
		ok := healthSignal(a, "NPS", 10, time.Hour)
		many := make([]signal, 1001)
		for i := range many {
			many[i] = healthSignal(a, "NPS", 10, time.Duration(i)*time.Minute)
		}
		for _, tc := range []struct {
			name    string
			signals []signal
			code    string
			field   string
		}{
			{"1,001 signals", many, "TOO_MANY", "input.signals"},
			{"none", []signal{}, "REQUIRED", "input.signals"},
			{"future", []signal{ok, healthSignal(a, "NPS", 10, -time.Hour)}, "INVALID_VALUE", "input.signals.1.observedAt"},
			{"negative", []signal{ok, healthSignal(a, "SUPPORT_TICKETS", -3, time.Hour)}, "NEGATIVE_VALUE", "input.signals.1.value"},
			{"NPS out of range", []signal{ok, healthSignal(a, "NPS", 300, time.Hour)}, "INVALID_VALUE", "input.signals.1.value"},
			{"unknown account", []signal{ok, healthSignal(missing, "NPS", 10, time.Hour)}, "NOT_FOUND", "input.signals.1.accountID"},
			{"blank source", []signal{ok, {"accountID": a, "kind": "NPS", "value": 1, "observedAt": healthNow.Format(time.RFC3339), "source": " "}}, "REQUIRED", "input.signals.1.source"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := ingest(t, srv, tc.signals...).HealthSignalsIngest
				if len(p.UserErrors) != 1 || p.UserErrors[0].Code != tc.code || strings.Join(p.UserErrors[0].Field, ".") != tc.field || p.Accepted != 0 || len(p.Scores) != 0 {
					t.Fatalf("payload %+v, want %s at %s", p, tc.code, tc.field)
				}
			})
		}
		if n := db.Client.HealthSignal.Query().CountX(context.Background()); n != 0 {
			t.Fatalf("%d signals stored by refused batches", n)
		}
	})
}

// The calls the authorization matrix makes (graph/authz_test.go), for an
// account id.
func healthMatrixCalls(acct string) map[string]string {
	return map[string]string{
		"healthSignalsIngest":  fmt.Sprintf(`mutation { healthSignalsIngest(input: {signals: [{accountID: %q, kind: NPS, value: 30, observedAt: "2026-01-01T00:00:00Z", source: "matrix"}]}) { accepted duplicates scores { score } userErrors { code } } }`, acct),
		"healthScoreRecompute": fmt.Sprintf(`mutation { healthScoreRecompute(input: {accountID: %q}) { recomputed score { score } userErrors { code } } }`, acct),
	}
}

// A pipeline's INTEGRATION token with health:write and the operations roles
// may ingest and recompute; others are refused and store nothing.
func TestHealthMutationsAuthorization(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		a := healthAccounts(t, db, 1)[0]
		for name, q := range healthMatrixCalls(a) {
			for _, tc := range []struct {
				v       *viewer.Viewer
				allowed bool
			}{
				{&viewer.Viewer{Subject: "pipeline", Roles: []string{viewer.RoleIntegration}, Scopes: []string{"health:write"}}, true},
				{&viewer.Viewer{Subject: "ops@example.com", Roles: []string{viewer.RoleOpsManager}}, true},
				{&viewer.Viewer{Subject: "reader", Roles: []string{viewer.RoleIntegration}, Scopes: []string{"read"}}, false},
				{&viewer.Viewer{Subject: "csm@example.com", Roles: []string{viewer.RoleCSM}}, false},
				{&viewer.Viewer{Subject: "analyst@example.com", Roles: []string{viewer.RoleOpsAnalyst}}, false},
			} {
				t.Run(name+"/"+tc.v.Subject, func(t *testing.T) {
					signals := db.Client.HealthSignal.Query().CountX(context.Background())
					res := srv.PostAs(tokenFor(t, srv, tc.v), q, nil)
					if tc.allowed {
						if len(res.Errors) > 0 || strings.Contains(string(res.Data), `"code"`) {
							t.Fatalf("allowed call failed: %s", res.Raw)
						}
						return
					}
					if len(res.Errors) != 1 || res.Errors[0].Code() != "FORBIDDEN" {
						t.Fatalf("got %s, want FORBIDDEN", res.Raw)
					}
					if n := db.Client.HealthSignal.Query().CountX(context.Background()); n != signals {
						t.Fatalf("a refused call stored signals")
					}
				})
			}
		}
	})
}
