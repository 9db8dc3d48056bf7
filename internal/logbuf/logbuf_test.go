package logbuf

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// sink records each write the Writer makes.
type sink struct {
	mu     sync.Mutex
	writes []string
	fail   bool
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return 0, errors.New("disk full")
	}
	s.writes = append(s.writes, string(p))
	return len(p), nil
}

func (s *sink) get() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.writes...)
}

func TestWriterBatches(t *testing.T) {
	for _, tc := range []struct {
		name  string
		size  int
		in    []string
		flush bool
		want  []string // the writes, in order, before Close
	}{
		{name: "held until flushed", size: 64, in: []string{"a\n", "b\n"}, want: nil},
		{name: "flush writes one batch", size: 64, in: []string{"a\n", "b\n"}, flush: true, want: []string{"a\nb\n"}},
		{name: "a full buffer is written first", size: 4, in: []string{"a\n", "b\n", "c\n"}, want: []string{"a\nb\n"}},
		{name: "a record over the size goes through", size: 4, in: []string{"a\n", "long line\n"}, want: []string{"a\n", "long line\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s sink
			w := New(&s, tc.size, time.Hour)
			for _, p := range tc.in {
				if n, err := w.Write([]byte(p)); n != len(p) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", p, n, err)
				}
			}
			if tc.flush {
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			if got := s.get(); strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("writes %q, want %q", got, tc.want)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(s.get(), ""); got != strings.Join(tc.in, "") {
				t.Errorf("after Close the output is %q, want %q", got, strings.Join(tc.in, ""))
			}
			if _, err := w.Write([]byte("late\n")); err != nil || s.get()[len(s.get())-1] != "late\n" {
				t.Errorf("a write after Close is not passed straight through: %q, %v", s.get(), err)
			}
		})
	}
}

func TestWriterFlushesOnInterval(t *testing.T) {
	var s sink
	w := New(&s, 1<<10, 10*time.Millisecond)
	defer w.Close()
	_, _ = w.Write([]byte("tick\n"))
	deadline := time.Now().Add(10 * time.Second)
	for len(s.get()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the periodic flush never wrote the line")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := s.get(); len(got) != 1 || got[0] != "tick\n" {
		t.Errorf("writes %q", got)
	}
}

func TestWriterFailedWriteDropsTheBatch(t *testing.T) {
	s := sink{fail: true}
	w := New(&s, 64, time.Hour)
	defer w.Close()
	_, _ = w.Write([]byte("lost\n"))
	if err := w.Flush(); err == nil {
		t.Fatal("a failed write was not reported")
	}
	s.mu.Lock()
	s.fail = false
	s.mu.Unlock()
	_, _ = w.Write([]byte("next\n"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := s.get(); len(got) != 1 || got[0] != "next\n" {
		t.Errorf("writes %q, want only the batch after the failure", got)
	}
}

func TestHandlerFlushesWarnings(t *testing.T) {
	var s sink
	w := New(&s, 1<<10, time.Hour)
	defer w.Close()
	log := slog.New(Handler(slog.NewTextHandler(w, nil), w)).With("instance", "a").WithGroup("g")
	log.Info("first")
	log.Debug("not logged")
	log.Info("second")
	if got := s.get(); len(got) != 0 {
		t.Fatalf("info lines written before a flush: %q", got)
	}
	log.Warn("trouble")
	got := s.get()
	if len(got) != 1 {
		t.Fatalf("a warning gave %d writes, want one batch: %q", len(got), got)
	}
	lines := strings.Split(strings.TrimSuffix(got[0], "\n"), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "msg=first") || !strings.Contains(lines[2], "msg=trouble") ||
		!strings.Contains(lines[2], "instance=a") {
		t.Errorf("the batch is not the three lines in order with the handler's attributes: %q", lines)
	}
	log.Error("worse")
	if got := s.get(); len(got) != 2 || !strings.Contains(got[1], "msg=worse") {
		t.Errorf("an error was not written at once: %q", got)
	}
}

func TestWriterConcurrent(t *testing.T) {
	var out bytes.Buffer
	var mu sync.Mutex
	w := New(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) }), 100, time.Millisecond)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 200 {
				_, _ = w.Write([]byte{'a' + byte(i), '\n'})
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != 8*200 || len(out.String()) != 2*8*200 {
		t.Errorf("%d lines, %d bytes; want %d lines, each whole", n, out.Len(), 8*200)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
