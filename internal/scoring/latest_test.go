package scoring

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/healthsignal"
	"github.com/opsgraph/opsgraph/internal/audit"
	"github.com/opsgraph/opsgraph/internal/health"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
)

// checkLatestSignals compares latest_health_signals, which the database
// keeps, with MAX(observed_at) per account and kind over every signal,
// computed here from the rows.
func checkLatestSignals(t *testing.T, db *store.DB, step string) {
	t.Helper()
	type pair struct {
		account int
		kind    healthsignal.Kind
	}
	want := map[pair]time.Time{}
	for _, s := range db.Client.HealthSignal.Query().AllX(sys()) {
		k := pair{s.AccountID, s.Kind}
		if at, ok := want[k]; !ok || s.ObservedAt.After(at) {
			want[k] = s.ObservedAt
		}
	}
	got := db.Client.LatestHealthSignal.Query().AllX(sys())
	if len(got) != len(want) {
		t.Errorf("%s: %d latest rows, want one per (account, kind) with signals: %d", step, len(got), len(want))
	}
	for _, l := range got {
		if at, ok := want[pair{l.AccountID, healthsignal.Kind(l.Kind)}]; !ok || !l.ObservedAt.Equal(at) {
			t.Errorf("%s: latest %s of account %d at %s, want %s (found %v)", step, l.Kind, l.AccountID, l.ObservedAt, at, ok)
		}
	}
}

// checkScoreCopies compares each account's copies of its latest score
// (health_band, health_current_score, health_previous_score,
// health_computed_at), which the database keeps, with the score
// health_score_id points at.
func checkScoreCopies(t *testing.T, db *store.DB, step string) (scored int) {
	t.Helper()
	scores := map[int]*ent.HealthScore{}
	for _, s := range db.Client.HealthScore.Query().AllX(sys()) {
		scores[s.ID] = s
	}
	for _, a := range db.Client.Account.Query().AllX(sys()) {
		if a.HealthScoreID == nil {
			if a.HealthBand != nil || a.HealthCurrentScore != nil || a.HealthPreviousScore != nil || a.HealthComputedAt != nil {
				t.Errorf("%s: unscored account %d has copies %v %v %v %v", step, a.ID, a.HealthBand, a.HealthCurrentScore, a.HealthPreviousScore, a.HealthComputedAt)
			}
			continue
		}
		scored++
		s := scores[*a.HealthScoreID]
		switch {
		case a.HealthBand == nil || string(*a.HealthBand) != string(s.Band):
			t.Errorf("%s: account %d band %v, score %d has %s", step, a.ID, a.HealthBand, s.ID, s.Band)
		case a.HealthCurrentScore == nil || *a.HealthCurrentScore != s.Score:
			t.Errorf("%s: account %d score %v, score %d has %v", step, a.ID, a.HealthCurrentScore, s.ID, s.Score)
		case (a.HealthPreviousScore == nil) != (s.PreviousScore == nil) || (s.PreviousScore != nil && *a.HealthPreviousScore != *s.PreviousScore):
			t.Errorf("%s: account %d previous score %v, score %d has %v", step, a.ID, a.HealthPreviousScore, s.ID, s.PreviousScore)
		case a.HealthComputedAt == nil || !a.HealthComputedAt.Equal(s.ComputedAt):
			t.Errorf("%s: account %d computed at %v, score %d at %s", step, a.ID, a.HealthComputedAt, s.ID, s.ComputedAt)
		}
	}
	return scored
}

// The database keeps latest_health_signals equal to MAX(observed_at) per
// account and kind over health_signals, and the accounts' copies of their
// latest score equal to that score, whatever writes them: ingest (batches
// out of order, repeated pairs, concurrent ingests), bulk inserts of
// thousands of signals per statement (the seed's writer), single ent
// creates, and pointing an account at a score directly.
func TestDatabaseKeepsLatestSignalsAndScoreCopies(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ids := accounts(t, db, 30)
		s := New(db.Client, clock, health.DefaultModel())
		kinds := []healthsignal.Kind{healthsignal.KindPRODUCT_USAGE, healthsignal.KindSUPPORT_TICKETS, healthsignal.KindNPS}
		checkLatestSignals(t, db, "empty")

		// Ingest: a pair several times in a batch and across sources, then
		// an older signal after a newer one (the latest stays).
		var batch []SignalInput
		for i, id := range ids[:20] {
			for j, k := range kinds {
				batch = append(batch, sig(id, k, 10, time.Duration(i+j)*time.Hour), sig(id, k, 20, time.Duration(i+j)*time.Hour+time.Minute))
				in := sig(id, k, 30, time.Duration(i+j)*time.Hour+time.Second)
				in.Source = "other"
				batch = append(batch, in)
			}
		}
		mustIngest(t, s, batch)
		checkLatestSignals(t, db, "first ingest")
		mustIngest(t, s, []SignalInput{sig(ids[0], kinds[0], 1, 1000*time.Hour), sig(ids[1], kinds[1], 1, -time.Minute)})
		checkLatestSignals(t, db, "older and newer signals")
		if n := checkScoreCopies(t, db, "after ingest"); n != 20 {
			t.Fatalf("%d accounts scored, want 20", n)
		}

		// Concurrent ingests of overlapping batches, new pairs included.
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for g := range 4 {
			wg.Go(func() {
				var b []SignalInput
				for i, id := range ids[10:] {
					b = append(b, sig(id, kinds[(i+g)%len(kinds)], float64(g), time.Duration(g*7+i)*time.Minute))
				}
				_, uerrs, err := s.Ingest(ops(), b)
				if err == nil && !uerrs.Empty() {
					err = uerrs
				}
				errs[g] = err
			})
		}
		wg.Wait()
		for g, err := range errs {
			if err != nil {
				t.Fatalf("concurrent ingest %d: %v", g, err)
			}
		}
		checkLatestSignals(t, db, "concurrent ingests")

		// The seed's way: thousands of rows per INSERT, written with ent
		// around ingest, in an order that is not the time order.
		var bs []*ent.HealthSignalCreate
		for n := range 3000 {
			id := ids[n%len(ids)]
			age := time.Duration((n*7919)%5000) * time.Minute
			bs = append(bs, db.Client.HealthSignal.Create().SetAccountID(id).SetKind(kinds[n/len(ids)%len(kinds)]).
				SetValue(float64(n%100)).SetObservedAt(t0.Add(-age)).SetSource(fmt.Sprintf("bulk%d", n)))
		}
		db.Client.HealthSignal.CreateBulk(bs...).ExecX(audit.Disable(sys()))
		checkLatestSignals(t, db, "bulk insert")
		db.Client.HealthSignal.Create().SetAccountID(ids[29]).SetKind(healthsignal.KindCSAT).SetValue(4).
			SetObservedAt(t0).SetSource("one").ExecX(audit.Disable(sys()))
		checkLatestSignals(t, db, "single create")

		// Rescoring everything, then pointing accounts at scores directly.
		if _, uerrs, err := s.Recompute(ops(), nil); err != nil || !uerrs.Empty() {
			t.Fatal(err, uerrs)
		}
		checkScoreCopies(t, db, "after recompute")
		first := db.Client.HealthScore.Query().Order(ent.Asc("id")).FirstX(sys())
		db.Client.Account.UpdateOneID(ids[29]).SetHealthScoreID(first.ID).ExecX(audit.Disable(sys()))
		db.Client.Account.UpdateOneID(ids[0]).ClearHealthScoreID().ExecX(audit.Disable(sys()))
		db.Client.Account.UpdateOneID(ids[1]).SetName("Renamed").ExecX(audit.Disable(sys()))
		checkScoreCopies(t, db, "pointed directly")
	})
}
