package scoring

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/auditevent"
	"github.com/opsgraph/opsgraph/ent/healthmodel"
	"github.com/opsgraph/opsgraph/ent/healthscore"
	"github.com/opsgraph/opsgraph/ent/healthsignal"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/audit"
	"github.com/opsgraph/opsgraph/internal/health"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/usererr"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return t0 }

func ops() context.Context {
	return viewer.NewContext(context.Background(), &viewer.Viewer{Subject: "lead@example.com", Roles: []string{viewer.RoleOpsManager}})
}

func sys() context.Context { return viewer.System(context.Background(), "test") }

// accounts creates n accounts (unaudited fixtures) and returns their ids.
func accounts(t testing.TB, db *store.DB, n int) []int {
	t.Helper()
	ctx := audit.Disable(sys())
	var ids []int
	for lo := 0; lo < n; lo += 500 {
		var bs []*ent.AccountCreate
		for i := lo; i < min(lo+500, n); i++ {
			bs = append(bs, db.Client.Account.Create().SetName(fmt.Sprintf("Acct %d", i)).SetSegment(account.SegmentSMB).SetRegion(schematype.RegionNA))
		}
		for _, a := range db.Client.Account.CreateBulk(bs...).SaveX(ctx) {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

func sig(acct int, kind healthsignal.Kind, v float64, age time.Duration) SignalInput {
	return SignalInput{AccountID: acct, Kind: kind, Value: v, ObservedAt: t0.Add(-age), Source: "test"}
}

func mustIngest(t *testing.T, s *Service, in []SignalInput) IngestResult {
	t.Helper()
	res, errs, err := s.Ingest(ops(), in)
	if err != nil || !errs.Empty() {
		t.Fatalf("ingest: %v %v", err, errs)
	}
	return res
}

func scoreCount(t testing.TB, db *store.DB, acct ...int) int {
	t.Helper()
	q := db.Client.HealthScore.Query()
	if len(acct) > 0 {
		q.Where(healthscore.AccountIDIn(acct...))
	}
	return q.CountX(sys())
}

// Ingest stores signals, scores each touched account once with the model
// (the same result internal/health computes) and points the account at the
// score; re-sending is a no-op that reports the same scores; a later signal
// rescores with the trend against the score before.
func TestIngestScoresDedupesAndTrends(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ids := accounts(t, db, 2)
		a, b := ids[0], ids[1]
		s := New(db.Client, clock, health.DefaultModel())
		batch := []SignalInput{
			sig(a, healthsignal.KindPRODUCT_USAGE, 80, time.Hour),
			sig(a, healthsignal.KindSUPPORT_TICKETS, 4, 2*time.Hour),
			sig(a, healthsignal.KindPRODUCT_USAGE, 80, time.Hour), // repeated within the batch
			sig(b, healthsignal.KindNPS, 20, 24*time.Hour),
			sig(b, healthsignal.KindPRODUCT_USAGE, 10, 30*time.Minute),
		}
		res := mustIngest(t, s, batch)
		if res.Accepted != 4 || res.Duplicates != 1 || res.Rescored != 2 || len(res.Scores) != 2 {
			t.Fatalf("first ingest: %+v", res)
		}
		for i, acct := range []int{a, b} {
			sc := res.Scores[i]
			var hs []health.Signal
			for _, in := range batch {
				if in.AccountID == acct {
					hs = append(hs, health.Signal{Kind: string(in.Kind), Value: in.Value, ObservedAt: in.ObservedAt})
				}
			}
			want := health.DefaultModel().Score(hs, t0)
			if sc.AccountID != acct || sc.Score != want.Score || string(sc.Band) != want.Band || sc.Coverage != want.Coverage ||
				sc.ModelVersion != 1 || sc.PreviousScore != nil || !sc.ComputedAt.Equal(t0) {
				t.Errorf("score of account %d = %+v, want %+v", acct, sc, want)
			}
			if _, ok := Trend(sc); ok {
				t.Errorf("a first score has a trend")
			}
			if got := db.Client.Account.GetX(sys(), acct).HealthScoreID; got == nil || *got != sc.ID {
				t.Errorf("account %d health_score_id = %v, want %d", acct, got, sc.ID)
			}
		}
		// Account a: usage 80, tickets 4 → (30·80 + 15·80)/45 = 80.
		if res.Scores[0].Score != 80 || res.Scores[0].Band != healthscore.BandGREEN || res.Scores[0].Coverage != 0.45 {
			t.Errorf("account a: %+v", res.Scores[0])
		}

		again := mustIngest(t, s, batch)
		if again.Accepted != 0 || again.Duplicates != len(batch) || again.Rescored != 0 || len(again.Scores) != 2 ||
			again.Scores[0].ID != res.Scores[0].ID || again.Scores[1].ID != res.Scores[1].ID {
			t.Fatalf("re-sent batch: %+v", again)
		}
		if n := scoreCount(t, db); n != 2 {
			t.Fatalf("%d scores after a re-sent batch, want 2", n)
		}
		if n := db.Client.HealthSignal.Query().CountX(sys()); n != 4 {
			t.Fatalf("%d signals stored, want 4", n)
		}

		// Usage drops: account a goes down, b (not in the batch) is untouched.
		next := mustIngest(t, s, []SignalInput{sig(a, healthsignal.KindPRODUCT_USAGE, 20, 10*time.Minute)})
		if next.Accepted != 1 || next.Rescored != 1 || len(next.Scores) != 1 {
			t.Fatalf("next ingest: %+v", next)
		}
		sc := next.Scores[0]
		d, ok := Trend(sc)
		// (30·20 + 15·80)/45 = 40 → YELLOW, from 80 GREEN.
		if !ok || sc.Score != 40 || d.Change != -40 || d.Direction != health.TrendDown || !d.BandChanged ||
			*sc.PreviousScore != 80 || *sc.PreviousBand != healthscore.PreviousBandGREEN {
			t.Fatalf("rescored: %+v trend %+v", sc, d)
		}
		if scoreCount(t, db, b) != 1 {
			t.Errorf("account b rescored by a batch without it")
		}
		hist, err := s.History(ops(), a, nil, 30)
		if err != nil || len(hist) != 2 || hist[0].Score != 80 || hist[1].Score != 40 {
			t.Fatalf("history %v %v", hist, err)
		}
		since := t0
		if hist, _ := s.History(ops(), a, &since, 1); len(hist) != 1 || hist[0].ID != sc.ID {
			t.Fatalf("history since/last: %v", hist)
		}
		// Many accounts in one statement: the same histories.
		for _, c := range []struct {
			since *time.Time
			last  int
		}{{nil, 30}, {nil, 1}, {&since, 1}} {
			all, err := s.Histories(ops(), []int{a, b}, c.since, c.last, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, acct := range []int{a, b} {
				one, _ := s.History(ops(), acct, c.since, c.last)
				if len(all[acct]) != len(one) {
					t.Fatalf("histories(%v, %d) of %d: %v, want %v", c.since, c.last, acct, all[acct], one)
				}
				for i := range one {
					if all[acct][i].ID != one[i].ID {
						t.Fatalf("histories(%v, %d) of %d: %v, want %v", c.since, c.last, acct, all[acct], one)
					}
				}
			}
		}

		// Audited as the action, in batches; signals, scores and the
		// accounts' repointing alike.
		for typ, want := range map[string]int{"HealthSignal": 5, "HealthScore": 3, "Account": 3} {
			n := db.Client.AuditEvent.Query().Where(auditevent.Action("healthSignalsIngest"), auditevent.EntityType(typ)).CountX(sys())
			if n != want {
				t.Errorf("%d %s audit events, want %d", n, typ, want)
			}
		}
		ev := db.Client.AuditEvent.Query().Where(auditevent.EntityType("HealthScore"), auditevent.EntityID(sc.ID)).OnlyX(sys())
		if ev.Actor != "lead@example.com" || !slices.ContainsFunc(ev.Changes, func(c schematype.FieldChange) bool { return c.Field == "score" }) {
			t.Errorf("score audit event %+v", ev)
		}
	})
}

// Every invalid signal is reported at its path; nothing is stored.
func TestIngestValidation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		a := accounts(t, db, 1)[0]
		s := New(db.Client, clock, health.DefaultModel())
		ok := sig(a, healthsignal.KindNPS, 10, time.Hour)
		with := func(f func(*SignalInput)) []SignalInput {
			in := ok
			f(&in)
			return []SignalInput{ok, in}
		}
		many := make([]SignalInput, MaxBatch+1)
		for i := range many {
			many[i] = sig(a, healthsignal.KindNPS, 10, time.Duration(i)*time.Minute)
		}
		user := db.Client.User.Create().SetName("U").SetEmail("u@example.com").SaveX(audit.Disable(sys()))
		for _, tc := range []struct {
			name  string
			in    []SignalInput
			code  usererr.Code
			field string
		}{
			{"empty batch", nil, usererr.Required, "input.signals"},
			{"too many", many, usererr.TooMany, "input.signals"},
			{"unknown account", with(func(in *SignalInput) { in.AccountID = a + 100000 }), usererr.NotFound, "input.signals.1.accountID"},
			{"not an account", with(func(in *SignalInput) { in.AccountID = user.ID }), usererr.WrongType, "input.signals.1.accountID"},
			{"no such id", with(func(in *SignalInput) { in.AccountID = -1 }), usererr.NotFound, "input.signals.1.accountID"},
			{"unknown kind", with(func(in *SignalInput) { in.Kind = "MOOD" }), usererr.InvalidValue, "input.signals.1.kind"},
			{"NaN", with(func(in *SignalInput) { in.Value = math.NaN() }), usererr.InvalidValue, "input.signals.1.value"},
			{"infinite", with(func(in *SignalInput) { in.Value = math.Inf(1) }), usererr.InvalidValue, "input.signals.1.value"},
			{"NPS above 100", with(func(in *SignalInput) { in.Value = 101 }), usererr.InvalidValue, "input.signals.1.value"},
			{"negative tickets", with(func(in *SignalInput) { in.Kind, in.Value = healthsignal.KindSUPPORT_TICKETS, -1 }), usererr.NegativeValue, "input.signals.1.value"},
			{"uptime above 100", with(func(in *SignalInput) { in.Kind, in.Value = healthsignal.KindTELEMETRY_UPTIME, 100.5 }), usererr.InvalidValue, "input.signals.1.value"},
			{"future", with(func(in *SignalInput) { in.ObservedAt = t0.Add(health.MaxClockSkew + time.Second) }), usererr.InvalidValue, "input.signals.1.observedAt"},
			{"no time", with(func(in *SignalInput) { in.ObservedAt = time.Time{} }), usererr.Required, "input.signals.1.observedAt"},
			{"blank source", with(func(in *SignalInput) { in.Source = "  " }), usererr.Required, "input.signals.1.source"},
			{"long source", with(func(in *SignalInput) { in.Source = strings.Repeat("s", MaxSourceLen+1) }), usererr.TooLong, "input.signals.1.source"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res, errs, err := s.Ingest(ops(), tc.in)
				if err != nil {
					t.Fatal(err)
				}
				if len(errs) != 1 || errs[0].Code != tc.code || strings.Join(errs[0].Field, ".") != tc.field {
					t.Fatalf("userErrors %v, want %s at %s", errs, tc.code, tc.field)
				}
				if res.Accepted != 0 || len(res.Scores) != 0 {
					t.Errorf("result %+v with userErrors", res)
				}
			})
		}
		if n := db.Client.HealthSignal.Query().CountX(sys()); n != 0 {
			t.Fatalf("%d signals stored by invalid batches", n)
		}
		// Edge values that are fine: skew tolerance, NPS bounds, uptime 100.
		res := mustIngest(t, s, []SignalInput{
			sig(a, healthsignal.KindNPS, -100, -health.MaxClockSkew),
			sig(a, healthsignal.KindTELEMETRY_UPTIME, 100, 0),
			sig(a, healthsignal.KindPRODUCT_USAGE, 140, 0), // over-use: the model clamps
		})
		if res.Accepted != 3 || res.Rescored != 1 {
			t.Fatalf("edge values: %+v", res)
		}
	})
}

// A batch of 1,000 signals rescores each account it touches exactly once,
// and the statements it takes do not depend on how many accounts that is.
func TestBatchOf1000RescoresEachAccountOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		s := New(db.Client, clock, health.DefaultModel())
		if _, err := s.Model(ops()); err != nil { // activated once per server
			t.Fatal(err)
		}
		kinds := []healthsignal.Kind{healthsignal.KindPRODUCT_USAGE, healthsignal.KindACTIVE_USERS, healthsignal.KindSUPPORT_TICKETS, healthsignal.KindNPS, healthsignal.KindCSAT}
		statements := map[int]int64{}
		for _, n := range []int{10, 50} {
			ids := accounts(t, db, n)
			batch := make([]SignalInput, 1000)
			for i := range batch {
				k := kinds[i%len(kinds)]
				v := float64(i % 5)
				if k == healthsignal.KindCSAT {
					v = 1 + float64(i%5)
				}
				batch[i] = sig(ids[i%n], k, v, time.Duration(i)*time.Second)
			}
			db.Counter.Reset()
			res := mustIngest(t, s, batch)
			statements[n] = db.Counter.Count()
			if res.Accepted != 1000 || res.Rescored != n || len(res.Scores) != n {
				t.Fatalf("%d accounts: %+v", n, res)
			}
			for _, id := range ids {
				if c := scoreCount(t, db, id); c != 1 {
					t.Fatalf("account %d has %d scores, want exactly 1", id, c)
				}
			}
			t.Logf("%d accounts: %d statements", n, statements[n])
		}
		if statements[10] != statements[50] || statements[50] > 15 {
			t.Fatalf("statements by accounts: %v; want the same small number", statements)
		}
	})
}

// Stale signals do not count; the weights of the fresh measures are
// renormalised and coverage says how much weight had data; an account with
// no fresh signal is not scored.
func TestStaleSignalsAreExcluded(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ids := accounts(t, db, 2)
		s := New(db.Client, clock, health.DefaultModel())
		res := mustIngest(t, s, []SignalInput{
			sig(ids[0], healthsignal.KindPRODUCT_USAGE, 50, 6*24*time.Hour),                    // fresh (7 days)
			{ids[0], healthsignal.KindPRODUCT_USAGE, 40, t0.Add(-6 * 24 * time.Hour), "other"}, // same time, lower value: 50 wins
			sig(ids[0], healthsignal.KindPRODUCT_USAGE, 100, 8*24*time.Hour),                   // stale, and older anyway
			sig(ids[0], healthsignal.KindSUPPORT_TICKETS, 0, 24*time.Hour),                     // exactly 24h old: stale
			sig(ids[0], healthsignal.KindACTIVE_USERS, 100, 8*24*time.Hour),                    // stale
			sig(ids[0], healthsignal.KindNPS, 100, 100*24*time.Hour),                           // fresh (180 days)
			sig(ids[1], healthsignal.KindTELEMETRY_UPTIME, 99.99, 25*time.Hour),                // stale: no score at all
		})
		if res.Rescored != 1 || len(res.Scores) != 1 {
			t.Fatalf("result %+v", res)
		}
		sc := res.Scores[0]
		// (30·50 + 15·100) / 45 = 66.7, coverage 45/100.
		if sc.Score != 66.7 || sc.Band != healthscore.BandYELLOW || sc.Coverage != 0.45 {
			t.Fatalf("score %+v", sc)
		}
		fresh := map[string]bool{}
		for _, c := range sc.Components {
			fresh[c.Kind] = c.Fresh
		}
		want := map[string]bool{"PRODUCT_USAGE": true, "ACTIVE_USERS": false, "SUPPORT_TICKETS": false, "NPS": true, "CSAT": false, "TELEMETRY_UPTIME": false}
		if fmt.Sprint(fresh) != fmt.Sprint(want) {
			t.Fatalf("fresh components %v, want %v", fresh, want)
		}
		if scoreCount(t, db, ids[1]) != 0 || db.Client.Account.GetX(sys(), ids[1]).HealthScoreID != nil {
			t.Fatalf("an account with only stale signals was scored")
		}
	})
}

// Each distinct model definition is stored once with the next version;
// the same definition again keeps its version; scores name it.
func TestModelVersions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		a := accounts(t, db, 1)[0]
		def := health.DefaultModel()
		changed := health.DefaultModel()
		changed.Measures[0].Weight = 50
		reordered := health.DefaultModel()
		slices.Reverse(reordered.Measures)
		reordered.Version = 9 // a file's version does not matter

		for i, tc := range []struct {
			model   health.Model
			version int
		}{{def, 1}, {changed, 2}, {reordered, 1}, {changed, 2}} {
			s := New(db.Client, clock, tc.model)
			row, err := s.Model(ops())
			if err != nil {
				t.Fatal(err)
			}
			if row.Version != tc.version || row.Fingerprint != tc.model.Fingerprint() {
				t.Fatalf("model %d: version %d, want %d", i, row.Version, tc.version)
			}
			stored, err := Definition(row)
			if err != nil || stored.Fingerprint() != tc.model.Fingerprint() || stored.Version != row.Version {
				t.Fatalf("stored definition %+v %v", stored, err)
			}
			res := mustIngest(t, s, []SignalInput{sig(a, healthsignal.KindPRODUCT_USAGE, 50, time.Duration(i)*time.Minute)})
			if res.Scores[0].ModelVersion != tc.version {
				t.Fatalf("score by model version %d names %d", tc.version, res.Scores[0].ModelVersion)
			}
		}
		if n := db.Client.HealthModel.Query().CountX(sys()); n != 2 {
			t.Fatalf("%d model rows, want 2", n)
		}
		ev := db.Client.AuditEvent.Query().Where(auditevent.EntityType("HealthModel")).AllX(sys())
		if len(ev) != 2 || ev[0].Actor != "system:health-model" || ev[0].Action != "healthModelActivate" {
			t.Fatalf("model audit events %+v", ev)
		}
	})
}

// Servers starting at once with the same new model agree on one version.
func TestConcurrentModelActivation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		models := []health.Model{health.DefaultModel(), health.DefaultModel()}
		models[1].Bands.Green = 75
		var wg sync.WaitGroup
		versions := make([]int, 8)
		errs := make([]error, 8)
		for i := range versions {
			wg.Go(func() {
				row, err := New(db.Client, clock, models[i%2]).Model(ops())
				errs[i] = err
				if err == nil {
					versions[i] = row.Version
				}
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("instance %d: %v", i, err)
			}
			if versions[i] != versions[i%2] || versions[0] == versions[1] {
				t.Fatalf("versions %v: instances with one model must agree, the two models differ", versions)
			}
		}
		rows := db.Client.HealthModel.Query().Order(ent.Asc(healthmodel.FieldVersion)).AllX(sys())
		if len(rows) != 2 || rows[0].Version != 1 || rows[1].Version != 2 {
			t.Fatalf("model rows %v", rows)
		}
	})
}

// An instance that loses the race for a version number (another stored a
// different model under it meanwhile) takes the next one.
func TestModelActivationAfterLosingTheRace(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		other := health.DefaultModel()
		other.Bands.Yellow = 30
		tx, err := db.Client.Tx(sys())
		if err != nil {
			t.Fatal(err)
		}
		tx.HealthModel.Create().SetVersion(1).SetFingerprint(other.Fingerprint()).SetDefinition("{}").SaveX(audit.Disable(sys()))
		done := make(chan *ent.HealthModel)
		go func() {
			row, err := New(db.Client, clock, health.DefaultModel()).Model(ops())
			if err != nil {
				t.Error(err)
			}
			done <- row
		}()
		time.Sleep(300 * time.Millisecond) // the activation now waits for tx
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if row := <-done; row == nil || row.Version != 2 {
			t.Fatalf("activated %+v, want version 2", row)
		}
	})
}

// Concurrent ingests of the same batch neither fail nor store anything
// twice: one stores and rescores, the others find duplicates.
func TestConcurrentIngestOfTheSameBatch(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ids := accounts(t, db, 20)
		s := New(db.Client, clock, health.DefaultModel())
		var batch []SignalInput
		for i, id := range ids {
			for k, kind := range []healthsignal.Kind{healthsignal.KindPRODUCT_USAGE, healthsignal.KindNPS} {
				batch = append(batch, sig(id, kind, float64(i+k), time.Duration(i)*time.Minute))
			}
		}
		const n = 6
		results := make([]IngestResult, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				// A second service: another server instance.
				svc := s
				if i%2 == 1 {
					svc = New(db.Client, clock, health.DefaultModel())
				}
				res, uerrs, err := svc.Ingest(ops(), batch)
				if err == nil && !uerrs.Empty() {
					err = uerrs
				}
				results[i], errs[i] = res, err
			})
		}
		wg.Wait()
		accepted, rescored := 0, 0
		for i, err := range errs {
			if err != nil {
				t.Fatalf("ingest %d: %v", i, err)
			}
			accepted += results[i].Accepted
			rescored += results[i].Rescored
			if results[i].Accepted+results[i].Duplicates != len(batch) || len(results[i].Scores) != len(ids) {
				t.Fatalf("ingest %d: %+v", i, results[i])
			}
		}
		if accepted != len(batch) || rescored != len(ids) {
			t.Fatalf("accepted %d of %d, rescored %d accounts of %d", accepted, len(batch), rescored, len(ids))
		}
		if c := db.Client.HealthSignal.Query().CountX(sys()); c != len(batch) {
			t.Fatalf("%d signals stored, want %d", c, len(batch))
		}
		if c := scoreCount(t, db); c != len(ids) {
			t.Fatalf("%d scores, want %d", c, len(ids))
		}
	})
}

// Recompute rescores one account, or every account a page at a time with a
// fixed number of statements per page.
func TestRecompute(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		n := PageSize*2 + 37
		ids := accounts(t, db, n)
		// Every account but the last has a fresh signal, stored directly.
		var bs []*ent.HealthSignalCreate
		for i, id := range ids[:n-1] {
			bs = append(bs, db.Client.HealthSignal.Create().SetAccountID(id).SetKind(healthsignal.KindPRODUCT_USAGE).
				SetValue(float64(i%100)).SetObservedAt(t0.Add(-time.Hour)).SetSource("test"))
		}
		for lo := 0; lo < len(bs); lo += 500 {
			db.Client.HealthSignal.CreateBulk(bs[lo:min(lo+500, len(bs))]...).ExecX(audit.Disable(sys()))
		}
		s := New(db.Client, clock, health.DefaultModel())
		if _, err := s.Model(ops()); err != nil {
			t.Fatal(err)
		}

		db.Counter.Reset()
		res, errs, err := s.Recompute(ops(), nil)
		if err != nil || !errs.Empty() {
			t.Fatal(err, errs)
		}
		if res.Recomputed != n-1 || res.Score != nil {
			t.Fatalf("recompute all: %+v", res)
		}
		pages := int64(n/PageSize + 1)
		if c := db.Counter.Count(); c > pages*8 {
			t.Fatalf("%d statements for %d pages", c, pages)
		}
		if c := scoreCount(t, db); c != n-1 {
			t.Fatalf("%d scores, want %d", c, n-1)
		}

		// One account: a second score, with its trend.
		res, errs, err = s.Recompute(ops(), &ids[7])
		if err != nil || !errs.Empty() || res.Recomputed != 1 || res.Score == nil || res.Score.Score != 7 {
			t.Fatalf("recompute one: %+v %v %v", res, errs, err)
		}
		if d, ok := Trend(res.Score); !ok || d.Direction != health.TrendFlat {
			t.Fatalf("trend %+v", d)
		}
		// The account without fresh data: nothing to score.
		res, errs, err = s.Recompute(ops(), &ids[n-1])
		if err != nil || !errs.Empty() || res.Recomputed != 0 || res.Score != nil {
			t.Fatalf("recompute unscorable: %+v %v %v", res, errs, err)
		}
		for _, tc := range []struct {
			id   int
			code usererr.Code
		}{{ids[0] + 1<<20, usererr.NotFound}, {notAnAccount(t, db), usererr.WrongType}} {
			_, errs, err := s.Recompute(ops(), &tc.id)
			if err != nil || len(errs) != 1 || errs[0].Code != tc.code || strings.Join(errs[0].Field, ".") != "input.accountID" {
				t.Fatalf("recompute %d: %v %v, want %s", tc.id, errs, err, tc.code)
			}
		}
		if n := db.Client.AuditEvent.Query().Where(auditevent.Action("healthScoreRecompute"), auditevent.EntityType("HealthScore")).CountX(sys()); n != scoreCount(t, db) {
			t.Fatalf("%d recompute audit events for scores", n)
		}
	})
}

// notAnAccount returns the id of a row that is not an account (a score).
func notAnAccount(t *testing.T, db *store.DB) int {
	t.Helper()
	return db.Client.HealthScore.Query().FirstIDX(sys())
}

// The normalisation JSON spells out every parameter.
func TestNormalisationJSON(t *testing.T) {
	for _, tc := range []struct {
		n    health.Normalisation
		want string
	}{
		{health.MinMax(0, 100), `{"method":"MINMAX","min":0,"max":100}`},
		{health.Thresholds(0, health.Step{Bound: 99.9, Score: 100}), `{"method":"THRESHOLDS","steps":[{"bound":99.9,"score":100}],"floor":0}`},
	} {
		if got := NormalisationJSON(tc.n); got != tc.want {
			t.Errorf("NormalisationJSON = %s, want %s", got, tc.want)
		}
	}
}
