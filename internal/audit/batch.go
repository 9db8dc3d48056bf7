package audit

import (
	"context"
	"fmt"
	"sync"

	"github.com/opsgraph/opsgraph/ent"
)

// batchSize is how many events one INSERT writes at most: well under
// SQLite's 32,766 and PostgreSQL's 65,535 bind parameters (9 columns each).
const batchSize = 2000

type batchKey struct{}

// batch collects the events of writes made under Batched.
type batch struct {
	mu     sync.Mutex
	client *ent.Client
	events []*ent.AuditEventCreate
}

// Batched runs fn with a context under which the hook collects the audit
// events of fn's writes instead of inserting each write's events at once,
// then inserts them all, a few thousand per statement. The events are the
// same; only the statements are fewer: a bulk create of n rows (ent's
// CreateBulk calls the hook once per row) costs one audit INSERT instead of
// n. Use it inside the action's transaction, so the events commit or roll
// back with the writes; when fn fails nothing is written.
func Batched(ctx context.Context, fn func(ctx context.Context) error) error {
	b := &batch{}
	if err := fn(context.WithValue(ctx, batchKey{}, b)); err != nil {
		return err
	}
	return b.flush(ctx)
}

// collect keeps builders for the batch of ctx; false when ctx has none.
func collect(ctx context.Context, client *ent.Client, builders []*ent.AuditEventCreate) bool {
	b, ok := ctx.Value(batchKey{}).(*batch)
	if !ok {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.client == nil {
		b.client = client
	}
	b.events = append(b.events, builders...)
	return true
}

func (b *batch) flush(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for lo := 0; lo < len(b.events); lo += batchSize {
		hi := min(lo+batchSize, len(b.events))
		if err := b.client.AuditEvent.CreateBulk(b.events[lo:hi]...).Exec(ctx); err != nil {
			return fmt.Errorf("audit: writing %d batched events: %w", hi-lo, err)
		}
	}
	b.events = nil
	return nil
}
