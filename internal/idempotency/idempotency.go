// Package idempotency makes create actions safe to retry: an action sent
// with a caller-chosen key runs at most once per caller and key. A retry with
// the same input gets the object the first request created; a retry with
// other input is refused (IDEMPOTENCY_KEY_REUSED). The key is recorded in
// the same transaction as the object, so both exist or neither does.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/idempotencykey"
	"github.com/opsgraph/opsgraph/internal/audit"
	"github.com/opsgraph/opsgraph/internal/txn"
	"github.com/opsgraph/opsgraph/internal/usererr"
)

// MaxKeyLen is the longest key accepted.
const MaxKeyLen = 200

// ErrRace reports that a concurrent request with the same key committed
// first; the caller's transaction must be rolled back and the action run
// again, which then finds the winner's key.
var ErrRace = errors.New("idempotency: a concurrent request with the same key won")

// Action describes one keyed create.
type Action[T any] struct {
	// Name of the mutation, e.g. "accountCreate".
	Name string
	// Input is hashed to recognise a retry of the same request.
	Input any
	// Load reads the object a first request created.
	Load func(ctx context.Context, id int) (T, error)
	// ID returns the id of a created object.
	ID func(T) int
	// Create makes the object.
	Create func(ctx context.Context) (T, usererr.List, error)
}

// Do runs a.Create unless key was already used by the same caller, inside
// the caller's transaction tx. A nil or empty key just runs Create.
func Do[T any](ctx context.Context, tx *ent.Client, key *string, a Action[T]) (T, usererr.List, error) {
	var zero T
	if key == nil || *key == "" {
		return a.Create(ctx)
	}
	if len(*key) > MaxKeyLen || strings.TrimSpace(*key) != *key {
		var l usererr.List
		l.Add(usererr.InvalidValue, fmt.Sprintf("idempotencyKey must be 1 to %d characters without surrounding spaces", MaxKeyLen), "idempotencyKey")
		return zero, l, nil
	}
	subject := audit.Actor(ctx)
	hash, err := requestHash(a.Name, a.Input)
	if err != nil {
		return zero, nil, err
	}
	prev, err := tx.IdempotencyKey.Query().
		Where(idempotencykey.Subject(subject), idempotencykey.Key(*key)).
		Only(ctx)
	switch {
	case err == nil:
		if prev.Action != a.Name || prev.RequestHash != hash {
			var l usererr.List
			l.Add(usererr.IdempotencyKeyReused, "this idempotencyKey was already used with different input", "idempotencyKey")
			return zero, l, nil
		}
		v, err := a.Load(ctx, prev.EntityID)
		if err != nil {
			return zero, nil, fmt.Errorf("loading the object created under idempotency key: %w", err)
		}
		return v, nil, nil
	case !ent.IsNotFound(err):
		return zero, nil, fmt.Errorf("looking up idempotency key: %w", err)
	}
	v, errs, err := a.Create(ctx)
	if err != nil || !errs.Empty() {
		return v, errs, err
	}
	err = tx.IdempotencyKey.Create().
		SetSubject(subject).
		SetKey(*key).
		SetAction(a.Name).
		SetRequestHash(hash).
		SetEntityID(a.ID(v)).
		Exec(ctx)
	if ent.IsConstraintError(err) {
		return zero, nil, ErrRace
	}
	if err != nil {
		return zero, nil, fmt.Errorf("recording idempotency key: %w", err)
	}
	return v, nil, nil
}

func requestHash(action string, input any) (string, error) {
	raw, err := json.Marshal(input)
	if err != nil {
		return "", fmt.Errorf("hashing request: %w", err)
	}
	sum := sha256.Sum256(append([]byte(action+"\x00"), raw...))
	return hex.EncodeToString(sum[:]), nil
}

// Run runs fn in one transaction (txn.Run) under the audit action name. A
// keyed create that lost a race to a concurrent retry (ErrRace) runs once
// more, and then finds and returns the winner's object.
func Run[T any](ctx context.Context, client *ent.Client, action string, fn func(ctx context.Context, tx *ent.Client) (T, usererr.List, error)) (T, usererr.List, error) {
	ctx = audit.WithAction(ctx, action)
	v, errs, err := txn.Run(ctx, client, fn)
	if errors.Is(err, ErrRace) {
		return txn.Run(ctx, client, fn)
	}
	return v, errs, err
}

// Recorded reports whether the caller's key is recorded: a caller that finds
// the object a key names before its own lookup saw the key lost a race to a
// concurrent retry (and should return ErrRace to run again).
func Recorded(ctx context.Context, tx *ent.Client, key string) (bool, error) {
	return tx.IdempotencyKey.Query().
		Where(idempotencykey.Subject(audit.Actor(ctx)), idempotencykey.Key(key)).
		Exist(ctx)
}
