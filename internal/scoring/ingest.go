package scoring

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/healthsignal"
	"github.com/opsgraph/opsgraph/internal/audit"
	"github.com/opsgraph/opsgraph/internal/health"
	"github.com/opsgraph/opsgraph/internal/txn"
	"github.com/opsgraph/opsgraph/internal/usererr"
)

// MaxBatch is the most signals one Ingest takes.
const MaxBatch = 1000

// MaxSourceLen is the longest source name, in bytes.
const MaxSourceLen = 100

// SignalInput is one health signal to ingest.
type SignalInput struct {
	AccountID  int
	Kind       healthsignal.Kind
	Value      float64
	ObservedAt time.Time
	Source     string
}

// IngestResult is what an ingest did.
type IngestResult struct {
	// Accepted counts the signals stored.
	Accepted int
	// Duplicates counts the signals skipped: already stored, or repeated
	// within the batch.
	Duplicates int
	// Rescored counts the accounts that got a new score.
	Rescored int
	// Scores holds, per account the batch names (in the order it first
	// names them), the new score of an account that got new signals, or
	// else its current score; an account without a score (no fresh signal
	// yet) has none.
	Scores []*ent.HealthScore
}

// Unwrap rebinds the scores read in the ingest's transaction to the client
// (txn.Run calls it after the commit).
func (r IngestResult) Unwrap() IngestResult {
	for i, sc := range r.Scores {
		r.Scores[i] = sc.Unwrap()
	}
	return r
}

// maxAttempts bounds how often an action is retried after losing a race on
// a unique key to a concurrent writer.
const maxAttempts = 3

// Ingest stores a batch of 1 to MaxBatch signals and rescores, once, every
// account that got at least one new signal.
//
// A signal whose key (account, kind, source, observation time) is already
// stored, or repeated within the batch, is skipped and counted as a
// duplicate; so re-sending a batch stores nothing, writes no score and
// reports the accounts' current scores, as the first send did. Observation
// times are kept in UTC at microsecond precision (PostgreSQL's).
//
// Any invalid signal fails the whole batch with userErrors at
// ["input","signals",i,field] and nothing is stored. Concurrent ingests of
// the same accounts apply one after the other (their accounts are locked).
func (s *Service) Ingest(ctx context.Context, signals []SignalInput) (IngestResult, usererr.List, error) {
	var errs usererr.List
	switch {
	case len(signals) == 0:
		errs.Add(usererr.Required, "at least one signal is required", "input", "signals")
	case len(signals) > MaxBatch:
		errs.Add(usererr.TooMany, fmt.Sprintf("a batch takes at most %d signals, got %d", MaxBatch, len(signals)), "input", "signals")
	}
	if !errs.Empty() {
		return IngestResult{}, errs, nil
	}
	m, err := s.scorer(ctx)
	if err != nil {
		return IngestResult{}, nil, err
	}
	return retry(ctx, func() (IngestResult, usererr.List, error) {
		return txn.Run(audit.WithAction(ctx, "healthSignalsIngest"), s.client, func(ctx context.Context, tx *ent.Client) (IngestResult, usererr.List, error) {
			return s.ingest(ctx, tx, m, signals)
		})
	})
}

// retry runs an action again when it lost a race on a unique key (another
// transaction stored the same row first): the next attempt sees that row.
// Inside a caller's transaction it cannot (the transaction is aborted).
func retry[T any](ctx context.Context, fn func() (T, usererr.List, error)) (T, usererr.List, error) {
	for attempt := 1; ; attempt++ {
		v, errs, err := fn()
		if err != nil && ent.IsConstraintError(err) && attempt < maxAttempts && ent.TxFromContext(ctx) == nil {
			continue
		}
		return v, errs, err
	}
}

// signalKey is the unique key of a stored signal.
type signalKey struct {
	account int
	kind    healthsignal.Kind
	source  string
	at      int64 // UnixMicro
}

func keyOf(in SignalInput) signalKey {
	return signalKey{in.AccountID, in.Kind, in.Source, in.ObservedAt.UnixMicro()}
}

func (s *Service) ingest(ctx context.Context, tx *ent.Client, m health.Model, raw []SignalInput) (IngestResult, usererr.List, error) {
	var res IngestResult
	now := s.clock()
	signals, errs := normalise(raw, now)
	// The accounts the batch names, locked: concurrent ingests and rescores
	// of an account apply one after the other.
	var ids []int
	for _, in := range signals {
		if _, ok := usererr.ForRef(in.AccountID, account.Table); ok {
			ids = append(ids, in.AccountID)
		}
	}
	slices.Sort(ids)
	accts, err := lockAccounts(ctx, tx, slices.Compact(ids))
	if err != nil {
		return res, nil, err
	}
	for i, in := range signals {
		_, valid := usererr.ForRef(in.AccountID, account.Table)
		if _, found := accts[in.AccountID]; valid && !found {
			errs.Add(usererr.NotFound, "accountID does not name an account", signalField(i, "accountID")...)
		}
	}
	if !errs.Empty() {
		return res, errs, nil
	}

	known, err := storedKeys(ctx, tx, signals)
	if err != nil {
		return res, nil, err
	}
	var creates []*ent.HealthSignalCreate
	touched := make(map[int]bool) // account → got a new signal
	var order []int               // accounts in the order the batch names them
	for _, in := range signals {
		if _, seen := touched[in.AccountID]; !seen {
			touched[in.AccountID] = false
			order = append(order, in.AccountID)
		}
		k := keyOf(in)
		if known[k] {
			res.Duplicates++
			continue
		}
		known[k] = true
		touched[in.AccountID] = true
		creates = append(creates, tx.HealthSignal.Create().SetAccountID(in.AccountID).SetKind(in.Kind).
			SetValue(in.Value).SetObservedAt(in.ObservedAt).SetSource(in.Source).SetIngestedAt(now))
	}
	res.Accepted = len(creates)

	err = audit.Batched(ctx, func(ctx context.Context) error {
		if len(creates) > 0 {
			if err := tx.HealthSignal.CreateBulk(creates...).Exec(ctx); err != nil {
				return fmt.Errorf("storing health signals: %w", err)
			}
		}
		var rescore []int
		for _, id := range order {
			if touched[id] {
				rescore = append(rescore, id)
			}
		}
		slices.Sort(rescore)
		current, err := currentScores(ctx, tx, accts)
		if err != nil {
			return err
		}
		fresh, err := s.rescore(ctx, tx, m, now, rescore, current)
		if err != nil {
			return err
		}
		res.Rescored = len(fresh)
		for _, id := range order {
			if sc := fresh[id]; sc != nil {
				res.Scores = append(res.Scores, sc)
			} else if sc := current[id]; sc != nil {
				res.Scores = append(res.Scores, sc)
			}
		}
		return nil
	})
	return res, nil, err
}

func signalField(i int, name string) []string {
	return []string{"input", "signals", strconv.Itoa(i), name}
}

// normalise validates the signals and returns them as stored: observation
// times in UTC at microsecond precision, sources trimmed. Value rules are
// what each kind means, not the model's ranges (the model clamps): counts
// and percentages are not negative, uptime is at most 100 %, NPS lies in
// −100..100.
func normalise(in []SignalInput, now time.Time) ([]SignalInput, usererr.List) {
	var errs usererr.List
	out := make([]SignalInput, len(in))
	for i, sg := range in {
		sg.Source = strings.TrimSpace(sg.Source)
		sg.ObservedAt = sg.ObservedAt.UTC().Truncate(time.Microsecond)
		out[i] = sg
		if code, ok := usererr.ForRef(sg.AccountID, account.Table); !ok {
			errs.Add(code, "accountID does not name an account", signalField(i, "accountID")...)
		}
		if err := healthsignal.KindValidator(sg.Kind); err != nil {
			errs.Add(usererr.InvalidValue, fmt.Sprintf("%q is not a signal kind", sg.Kind), signalField(i, "kind")...)
		}
		v := sg.Value
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			errs.Add(usererr.InvalidValue, "value must be a finite number", signalField(i, "value")...)
		case sg.Kind == healthsignal.KindNPS && (v < -100 || v > 100):
			errs.Add(usererr.InvalidValue, "an NPS value lies between -100 and 100", signalField(i, "value")...)
		case sg.Kind != healthsignal.KindNPS && v < 0:
			errs.Add(usererr.NegativeValue, fmt.Sprintf("a %s value must not be negative", sg.Kind), signalField(i, "value")...)
		case sg.Kind == healthsignal.KindTELEMETRY_UPTIME && v > 100:
			errs.Add(usererr.InvalidValue, "an uptime value is a percentage, at most 100", signalField(i, "value")...)
		}
		switch {
		case sg.ObservedAt.IsZero():
			errs.Add(usererr.Required, "observedAt is required", signalField(i, "observedAt")...)
		case sg.ObservedAt.After(now.Add(health.MaxClockSkew)):
			errs.Add(usererr.InvalidValue, "observedAt lies in the future", signalField(i, "observedAt")...)
		}
		switch {
		case sg.Source == "":
			errs.Add(usererr.Required, "source is required", signalField(i, "source")...)
		case len(sg.Source) > MaxSourceLen:
			errs.Add(usererr.TooLong, fmt.Sprintf("source must be at most %d bytes long", MaxSourceLen), signalField(i, "source")...)
		}
	}
	return out, errs
}

// storedKeys returns which of the signals' keys are already stored, in one
// query (its IN lists may match a few other rows; the keys decide).
func storedKeys(ctx context.Context, tx *ent.Client, signals []SignalInput) (map[signalKey]bool, error) {
	var ids []int
	var times []time.Time
	seenID, seenAt := map[int]bool{}, map[int64]bool{}
	for _, in := range signals {
		if !seenID[in.AccountID] {
			seenID[in.AccountID] = true
			ids = append(ids, in.AccountID)
		}
		if at := in.ObservedAt.UnixMicro(); !seenAt[at] {
			seenAt[at] = true
			times = append(times, in.ObservedAt)
		}
	}
	rows, err := tx.HealthSignal.Query().
		Where(healthsignal.AccountIDIn(ids...), healthsignal.ObservedAtIn(times...)).
		Select(healthsignal.FieldAccountID, healthsignal.FieldKind, healthsignal.FieldSource, healthsignal.FieldObservedAt).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("finding known signals: %w", err)
	}
	known := make(map[signalKey]bool, len(rows))
	for _, r := range rows {
		known[signalKey{r.AccountID, r.Kind, r.Source, r.ObservedAt.UnixMicro()}] = true
	}
	return known, nil
}
