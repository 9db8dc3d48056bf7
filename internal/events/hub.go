package events

import (
	"context"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/lib/pq"
)

// DefaultBuffer is how many events a subscription holds before it is
// closed as a slow consumer.
const DefaultBuffer = 64

// Hub fans the events of one instance out to its subscriptions. A Hub made
// by NewLocal receives what this process publishes; one made by
// NewPostgres receives, through one LISTEN session, what every instance
// sharing the database publishes.
type Hub struct {
	// Buffer is each subscription's capacity (0: DefaultBuffer).
	Buffer int
	// Logger reports listener reconnects (nil: slog.Default()).
	Logger *slog.Logger

	dsn string // PostgreSQL; empty: local

	mu      sync.Mutex
	subs    map[*Subscription]struct{}
	closed  bool
	dropped int

	start    sync.Once
	ready    chan struct{} // closed once LISTEN is acknowledged
	listener *pq.Listener
	stop     chan struct{}
	done     chan struct{}
}

// NewLocal returns a hub for one process (SQLite): Publish delivers.
func NewLocal() *Hub { return &Hub{subs: map[*Subscription]struct{}{}} }

// NewPostgres returns a hub that LISTENs on Channel of the database at dsn,
// starting with its first subscription. Its session is named by
// ListenerDSN, to be told apart from the pool's in pg_stat_activity.
func NewPostgres(dsn string) *Hub {
	return &Hub{subs: map[*Subscription]struct{}{}, dsn: ListenerDSN(dsn)}
}

// ListenerApplicationName is the application_name of each instance's LISTEN
// session (a URL that sets application_name=N gets N + "-events").
const ListenerApplicationName = "opsgraph-events"

// ListenerDSN returns the postgres:// URL dsn with the listener's
// application_name; any other string unchanged.
func ListenerDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return dsn
	}
	q := u.Query()
	if name := q.Get("application_name"); name != "" {
		q.Set("application_name", name+"-events")
	} else {
		q.Set("application_name", ListenerApplicationName)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func (h *Hub) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// Subscription receives the events of one kind. C is closed when the
// subscription ends: by Close, by the hub closing, or because it was too
// slow (Err says which).
type Subscription struct {
	C    <-chan Event
	c    chan Event
	kind Kind
	hub  *Hub
	done chan struct{}
	err  error // set before done is closed
}

// Done is closed when the hub ends the subscription (slow consumer, shut
// down); Err then says why.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Err is why the hub ended the subscription: ErrSlowConsumer, ErrClosed,
// or nil while it runs or after Close.
func (s *Subscription) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Close ends the subscription.
func (s *Subscription) Close() { s.hub.remove(s, nil) }

// Subscribe returns a subscription to the events of kind. On PostgreSQL the
// first one starts the listener and waits, as long as ctx allows, until
// LISTEN is in place, so that no event committed after Subscribe returns
// is missed.
func (h *Hub) Subscribe(ctx context.Context, kind Kind) (*Subscription, error) {
	if h.dsn != "" {
		h.start.Do(h.listen)
		select {
		case <-h.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	n := h.Buffer
	if n <= 0 {
		n = DefaultBuffer
	}
	c := make(chan Event, n)
	s := &Subscription{C: c, c: c, kind: kind, hub: h, done: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	h.subs[s] = struct{}{}
	return s, nil
}

// remove ends s with err (nil: closed by its owner).
func (h *Hub) remove(s *Subscription, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; !ok {
		return
	}
	delete(h.subs, s)
	s.err = err
	close(s.done)
	close(s.c)
}

// Publish delivers events to this hub's subscriptions. A subscription whose
// buffer is full is closed with ErrSlowConsumer; Publish never blocks.
func (h *Hub) Publish(evs ...Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range evs {
		for s := range h.subs {
			if s.kind != e.Kind {
				continue
			}
			select {
			case s.c <- e:
			default:
				delete(h.subs, s)
				s.err = ErrSlowConsumer
				close(s.done)
				close(s.c)
				h.dropped++
			}
		}
	}
}

// Len is the number of open subscriptions.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Dropped is the number of subscriptions closed as slow consumers.
func (h *Hub) Dropped() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.dropped
}

// Close ends every subscription with ErrClosed and stops the listener.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	for s := range h.subs {
		delete(h.subs, s)
		s.err = ErrClosed
		close(s.done)
		close(s.c)
	}
	stop, done := h.stop, h.done
	h.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	return nil
}

// listen starts the PostgreSQL listener: one session per hub, reconnected
// by lib/pq with backoff. Events committed while it was disconnected are
// lost (NOTIFY is not queued for absent listeners); it logs so.
func (h *Hub) listen() {
	h.mu.Lock()
	h.ready = make(chan struct{})
	if h.closed {
		close(h.ready)
		h.mu.Unlock()
		return
	}
	h.stop, h.done = make(chan struct{}), make(chan struct{})
	log := h.log()
	h.listener = pq.NewListener(h.dsn, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected:
			log.Warn("events: listener disconnected; events committed until it reconnects are missed", "err", err)
		case pq.ListenerEventReconnected:
			log.Warn("events: listener reconnected; events may have been missed (clients catch up with an updatedAtGTE query)")
		case pq.ListenerEventConnectionAttemptFailed:
			log.Warn("events: listener cannot connect", "err", err)
		}
	})
	l, stop, done := h.listener, h.stop, h.done
	h.mu.Unlock()

	go func() {
		defer close(done)
		listened := make(chan error, 1)
		go func() { listened <- l.Listen(Channel) }()
		select {
		case err := <-listened:
			if err != nil {
				log.Error("events: LISTEN failed; subscriptions receive nothing", "err", err)
			}
			close(h.ready)
		case <-stop:
			_ = l.Close()
			<-listened
			close(h.ready)
			return
		}
		ping := time.NewTicker(90 * time.Second)
		defer ping.Stop()
		for {
			select {
			case <-stop:
				_ = l.Close()
				return
			case n := <-l.Notify:
				if n == nil { // reconnected: see the callback
					continue
				}
				e, err := Decode(n.Extra)
				if err != nil {
					log.Warn("events: ignoring a notification", "err", err)
					continue
				}
				h.Publish(e)
			case <-ping.C:
				go func() { _ = l.Ping() }()
			}
		}
	}()
}
