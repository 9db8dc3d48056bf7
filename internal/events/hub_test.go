package events

import (
	"context"
	"errors"
	"testing"
)

func TestHubDropsTheSlowSubscriberOnly(t *testing.T) {
	h := NewLocal()
	h.Buffer = 2
	ctx := context.Background()
	slow, _ := h.Subscribe(ctx, KindOrder)
	fast, _ := h.Subscribe(ctx, KindOrder)
	other, _ := h.Subscribe(ctx, KindRequest)
	for i := 1; i <= 3; i++ {
		h.Publish(Event{Kind: KindOrder, ID: i})
		if e := <-fast.C; e.ID != i {
			t.Fatalf("fast received %v, want %d", e, i)
		}
	}
	if !errors.Is(slow.Err(), ErrSlowConsumer) || h.Dropped() != 1 || h.Len() != 2 {
		t.Fatalf("slow: %v, dropped %d, len %d", slow.Err(), h.Dropped(), h.Len())
	}
	if len(other.C) != 0 {
		t.Fatal("a request subscription received order events")
	}
	_ = h.Close()
	if !errors.Is(fast.Err(), ErrClosed) {
		t.Fatalf("after Close: %v", fast.Err())
	}
	if _, err := h.Subscribe(ctx, KindOrder); !errors.Is(err, ErrClosed) {
		t.Fatalf("Subscribe after Close: %v", err)
	}
}

func TestEventPayload(t *testing.T) {
	e := Event{Kind: KindOrder, ID: 123, AccountID: 45}
	if got := e.Encode(); got != `{"kind":"order","id":123,"accountId":45}` {
		t.Fatal(got)
	}
	if d, err := Decode(e.Encode()); err != nil || d != e {
		t.Fatal(d, err)
	}
	if _, err := Decode(`{"kind":"order"}`); err == nil {
		t.Fatal("an event without id decoded")
	}
}

func TestListenerDSN(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://u@db:5432/ops?sslmode=disable", "postgres://u@db:5432/ops?application_name=opsgraph-events&sslmode=disable"},
		{"postgresql://u:p%40ss@db/ops?application_name=eu", "postgresql://u:p%40ss@db/ops?application_name=eu-events"},
		{"host=db dbname=ops", "host=db dbname=ops"}, // not a URL: as it is
	} {
		if got := ListenerDSN(c.in); got != c.want {
			t.Errorf("ListenerDSN(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
