package events

import (
	"context"
	"fmt"
	"sync"

	"github.com/lib/pq"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/internal/audit"
)

// Publisher sends the events of one transaction when it commits.
type Publisher interface {
	// publish sends evs written through client: in the transaction (before
	// its commit, for PostgreSQL to deliver on commit) or right away when
	// the write is not in one.
	publish(ctx context.Context, client *ent.Client, evs []Event) error
	// afterCommit reports whether publish must wait for the commit (an
	// in-process hub) or runs inside the transaction (NOTIFY).
	afterCommit() bool
}

// Postgres publishes with pg_notify inside the writing transaction:
// PostgreSQL delivers the notifications on commit, and drops them on
// rollback.
type Postgres struct{}

func (Postgres) afterCommit() bool { return false }

func (Postgres) publish(ctx context.Context, client *ent.Client, evs []Event) error {
	payloads := make([]string, len(evs))
	for i, e := range evs {
		payloads[i] = e.Encode()
	}
	if _, err := client.ExecContext(ctx, `SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, Channel, pq.Array(payloads)); err != nil {
		return fmt.Errorf("events: notifying %d events: %w", len(evs), err)
	}
	return nil
}

// Local publishes to an in-process hub after the commit.
type Local struct{ Hub *Hub }

func (Local) afterCommit() bool { return true }

func (l Local) publish(_ context.Context, _ *ent.Client, evs []Event) error {
	l.Hub.Publish(evs...)
	return nil
}

type entityMutation interface {
	ent.Mutation
	IDs(context.Context) ([]int, error)
	Client() *ent.Client
	Tx() (*ent.Tx, error)
}

// Hook returns the ent hook that publishes an event for every created or
// updated Order, Request, Entitlement and HealthScore through p. Writes in
// a transaction carried by the context (internal/txn) are collected and
// published once, at its commit; a write in a transaction that is not in
// the context publishes at the commit too; a write outside a transaction
// publishes right after it. Deletes publish nothing (there is nothing to
// re-read), nor do writes under audit.Disable (bulk loads are no business
// change).
func Hook(p Publisher) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			kind, ok := kinds[m.Type()]
			if !ok || m.Op().Is(ent.OpDelete|ent.OpDeleteOne) || audit.Disabled(ctx) {
				return next.Mutate(ctx, m)
			}
			em, ok := m.(entityMutation)
			if !ok {
				return nil, fmt.Errorf("events: mutation %T has no id accessors", m)
			}
			var ids []int
			if m.Op().Is(ent.OpUpdate) { // bulk: the rows it is about to change
				var err error
				if ids, err = em.IDs(ctx); err != nil {
					return nil, fmt.Errorf("events: resolving changed ids: %w", err)
				}
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			evs := eventsOf(kind, v, ids)
			if len(evs) == 0 {
				return v, nil
			}
			return v, send(ctx, p, em, evs)
		})
	}
}

// eventsOf returns the events of a mutation's result: the entity of a
// create or single update (with its account), else the ids.
func eventsOf(kind Kind, v ent.Value, ids []int) []Event {
	switch e := v.(type) {
	case *ent.Order:
		return []Event{{Kind: kind, ID: e.ID, AccountID: e.AccountID}}
	case *ent.Request:
		ev := Event{Kind: kind, ID: e.ID}
		if e.AccountID != nil {
			ev.AccountID = *e.AccountID
		}
		return []Event{ev}
	case *ent.Entitlement:
		return []Event{{Kind: kind, ID: e.ID, AccountID: e.AccountID}}
	case *ent.HealthScore:
		return []Event{{Kind: kind, ID: e.ID, AccountID: e.AccountID}}
	}
	evs := make([]Event, len(ids))
	for i, id := range ids {
		evs[i] = Event{Kind: kind, ID: id}
	}
	return evs
}

// pending collects the events of one transaction from the context.
type pending struct {
	mu     sync.Mutex
	seen   map[Event]bool
	events []Event
}

var txPending sync.Map // *ent.Tx → *pending

func send(ctx context.Context, p Publisher, m entityMutation, evs []Event) error {
	if tx := ent.TxFromContext(ctx); tx != nil {
		collect(ctx, tx, p, evs)
		return nil
	}
	if tx, err := m.Tx(); err == nil {
		onCommit(ctx, tx, p, evs)
		return nil
	}
	return p.publish(ctx, m.Client(), evs)
}

// collect adds evs to the pending events of tx, registering its commit
// hooks with the first.
func collect(ctx context.Context, tx *ent.Tx, p Publisher, evs []Event) {
	v, loaded := txPending.LoadOrStore(tx, &pending{seen: map[Event]bool{}})
	pd := v.(*pending)
	pd.mu.Lock()
	for _, e := range evs {
		if !pd.seen[e] {
			pd.seen[e] = true
			pd.events = append(pd.events, e)
		}
	}
	pd.mu.Unlock()
	if loaded {
		return
	}
	take := func() []Event {
		txPending.Delete(tx)
		pd.mu.Lock()
		defer pd.mu.Unlock()
		return pd.events
	}
	tx.OnRollback(func(next ent.Rollbacker) ent.Rollbacker {
		return ent.RollbackFunc(func(ctx context.Context, tx *ent.Tx) error {
			take()
			return next.Rollback(ctx, tx)
		})
	})
	tx.OnCommit(commitHook(p, func() []Event { return take() }))
}

// onCommit publishes evs when the transaction of a mutation commits.
func onCommit(_ context.Context, tx *ent.Tx, p Publisher, evs []Event) {
	tx.OnCommit(commitHook(p, func() []Event { return evs }))
}

func commitHook(p Publisher, events func() []Event) ent.CommitHook {
	return func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			evs := events()
			if len(evs) == 0 {
				return next.Commit(ctx, tx)
			}
			if !p.afterCommit() {
				if err := p.publish(ctx, tx.Client(), evs); err != nil {
					// The failed statement aborted the transaction:
					// COMMIT ends it (as a rollback) and frees the
					// connection.
					_ = next.Commit(ctx, tx)
					return err
				}
				return next.Commit(ctx, tx)
			}
			if err := next.Commit(ctx, tx); err != nil {
				return err
			}
			return p.publish(ctx, tx.Client(), evs)
		})
	}
}
