// Package scoring stores account health: it ingests health signals, scores
// accounts with the health model in force (internal/health) and keeps every
// score as history. It also records each model definition a server runs as
// a numbered HealthModel version.
//
// Every action runs in one transaction, is audited under its mutation's name
// (internal/audit, its events written in one batch) and is safe to retry:
// re-sent signals are skipped by their unique key (account, kind, source,
// observation time).
//
// Rescoring is set-based: whatever the number of accounts an action
// touches, it locks them, reads their latest fresh signals, inserts their
// new scores and repoints their latest score with a fixed number of
// statements (recomputing every account does so a page of accounts at a
// time).
package scoring

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/healthmodel"
	"github.com/opsgraph/opsgraph/internal/audit"
	"github.com/opsgraph/opsgraph/internal/health"
	"github.com/opsgraph/opsgraph/internal/txn"
	"github.com/opsgraph/opsgraph/internal/usererr"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// Service runs the health actions against one ent client.
type Service struct {
	client *ent.Client
	now    func() time.Time
	model  health.Model

	mu     sync.Mutex
	stored *ent.HealthModel // the row of model, once known
}

// New returns a Service scoring with model; now may be nil (time.Now).
func New(client *ent.Client, now func() time.Time, model health.Model) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{client: client, now: now, model: model}
}

// clock is the service's now in UTC at the database's (microsecond)
// precision, so times it stores compare the same on every dialect.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// maxModelAttempts bounds the retries of activating a model version when
// other instances activate versions at the same time.
const maxModelAttempts = 5

// Model returns the stored version of the model in force: the HealthModel
// row with the model's fingerprint, inserted with the next version number
// (max + 1) on first use. Instances starting at once agree: an insert that
// loses the race on the unique version or fingerprint re-reads. The row is
// written by the server itself (system:health-model), audited as
// "healthModelActivate".
func (s *Service) Model(ctx context.Context) (*ent.HealthModel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stored != nil {
		return s.stored, nil
	}
	inTx := ent.TxFromContext(ctx) != nil
	ctx = audit.WithAction(viewer.System(ctx, "system:health-model"), "healthModelActivate")
	fp := s.model.Fingerprint()
	for attempt := 1; ; attempt++ {
		row, err := s.activate(ctx, fp)
		if ent.IsConstraintError(err) && attempt < maxModelAttempts && !inTx {
			continue // another instance took the version or stored this model
		}
		if err != nil {
			return nil, fmt.Errorf("storing the health model: %w", err)
		}
		if !inTx { // a row of a caller's transaction is not known until it commits
			s.stored = row
		}
		return row, nil
	}
}

// activate finds the row of fingerprint fp or inserts it as the next version.
func (s *Service) activate(ctx context.Context, fp string) (*ent.HealthModel, error) {
	row, _, err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) (*ent.HealthModel, usererr.List, error) {
		row, err := tx.HealthModel.Query().Where(healthmodel.Fingerprint(fp)).Only(ctx)
		if err == nil || !ent.IsNotFound(err) {
			return row, nil, err
		}
		version := 1
		last, err := tx.HealthModel.Query().Order(ent.Desc(healthmodel.FieldVersion)).First(ctx)
		switch {
		case err == nil:
			version = last.Version + 1
		case !ent.IsNotFound(err):
			return nil, nil, err
		}
		m := s.model
		m.Version = version
		def, err := json.Marshal(m)
		if err != nil {
			return nil, nil, err
		}
		row, err = tx.HealthModel.Create().SetVersion(version).SetFingerprint(fp).
			SetDefinition(string(def)).SetActivatedAt(s.clock()).Save(ctx)
		return row, nil, err
	})
	return row, err
}

// scorer returns the model in force numbered with its stored version.
func (s *Service) scorer(ctx context.Context) (health.Model, error) {
	row, err := s.Model(ctx)
	if err != nil {
		return health.Model{}, err
	}
	m := s.model
	m.Version = row.Version
	return m, nil
}

// Definition decodes a stored model version.
func Definition(row *ent.HealthModel) (health.Model, error) {
	m, err := health.LoadModel(strings.NewReader(row.Definition))
	if err != nil {
		return health.Model{}, fmt.Errorf("health model version %d: %w", row.Version, err)
	}
	return m, nil
}

// NormalisationJSON presents a measure's normalisation as JSON with every
// parameter of its method spelled out (zero values included).
func NormalisationJSON(n health.Normalisation) string {
	var v any
	switch n.Method {
	case health.MethodMinMax:
		v = struct {
			Method string  `json:"method"`
			Min    float64 `json:"min"`
			Max    float64 `json:"max"`
		}{n.Method, n.Min, n.Max}
	default:
		steps := n.Steps
		if steps == nil {
			steps = []health.Step{}
		}
		v = struct {
			Method string        `json:"method"`
			Steps  []health.Step `json:"steps"`
			Floor  float64       `json:"floor"`
		}{n.Method, steps, n.Floor}
	}
	raw, _ := json.Marshal(v) // plain floats of a valid model: cannot fail
	return string(raw)
}
