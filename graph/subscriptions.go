package graph

import (
	"context"
	"errors"
	"sync"

	"github.com/opsgraph/opsgraph/internal/events"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// StreamEnd holds why a subscription's stream ended early (a slow consumer,
// the server shutting down); the server's transports report it to the
// client. Put one in the operation's context with WithStreamEnd.
type StreamEnd struct {
	mu  sync.Mutex
	err error
}

// Err is why the stream ended, or nil.
func (s *StreamEnd) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

type streamEndKey struct{}

// WithStreamEnd returns ctx carrying end.
func WithStreamEnd(ctx context.Context, end *StreamEnd) context.Context {
	return context.WithValue(ctx, streamEndKey{}, end)
}

func endStream(ctx context.Context, err error) {
	if s, ok := ctx.Value(streamEndKey{}).(*StreamEnd); ok {
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
	}
}

// errNoEvents answers a subscription on a server without an event hub.
var errNoEvents = errors.New("subscriptions are not available on this server")

// stream subscribes to the events of kind and sends, for each one that may
// match, the entity re-read by load under a fresh copy of the subscriber's
// viewer: row rules decide with the subscriber's current rights (an event
// the viewer may not see re-reads nothing and is dropped), and nothing
// memoized for an earlier event (a CSM's book) is reused. account, when
// non-zero, skips events of other accounts before re-reading; keep tests
// the re-read entity against the subscription's filters.
func stream[T any](ctx context.Context, hub *events.Hub, kind events.Kind, account int, load func(context.Context, int) (*T, error), keep func(*T) bool) (<-chan *T, error) {
	if hub == nil {
		return nil, errNoEvents
	}
	sub, err := hub.Subscribe(ctx, kind)
	if err != nil {
		return nil, err
	}
	out := make(chan *T)
	go func() {
		defer close(out)
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.Done():
				endStream(ctx, sub.Err())
				return
			case ev, ok := <-sub.C:
				if !ok {
					endStream(ctx, sub.Err())
					return
				}
				if account != 0 && ev.AccountID != 0 && ev.AccountID != account {
					continue
				}
				vctx := viewer.NewContext(ctx, viewer.FromContext(ctx).Fresh())
				v, err := load(vctx, ev.ID)
				if err != nil || v == nil || !keep(v) {
					continue // not visible to this viewer (ent.IsNotFound), gone, or filtered out
				}
				select {
				case out <- v:
				case <-ctx.Done():
					return
				case <-sub.Done():
					endStream(ctx, sub.Err())
					return
				}
			}
		}
	}()
	return out, nil
}

// is reports whether a filter on an optional id passes.
func is(filter *int, id int) bool { return filter == nil || *filter == id }

func isPtr(filter *int, id *int) bool {
	return filter == nil || (id != nil && *id == *filter)
}

func anyOf[E comparable](filter []E, v E) bool {
	if len(filter) == 0 {
		return true
	}
	for _, f := range filter {
		if f == v {
			return true
		}
	}
	return false
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
