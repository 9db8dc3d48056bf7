package sdk

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// A server that answers with the statuses in order, then with data.
func faultyServer(t *testing.T, statuses []int, header http.Header) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.WriteHeader(statuses[i])
			_, _ = w.Write([]byte(`{"errors":[{"message":"unavailable","extensions":{"code":"UNAVAILABLE"}}]}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":{"healthModel":{"version":3}}}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func testClient(url string, slept *[]time.Duration) *Client {
	c := New(url, WithRetry(Retry{MaxAttempts: 4, MinBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second}))
	c.sleep = func(_ context.Context, d time.Duration) error {
		*slept = append(*slept, d)
		return nil
	}
	return c
}

func TestRetryRules(t *testing.T) {
	key := "k-1"
	cases := []struct {
		name      string
		statuses  []int
		header    http.Header
		req       request
		wantSends int32
		wantErr   bool
		wantWait  time.Duration // exact wait asked for by Retry-After (0: backoff)
	}{
		{"query through two 503s", []int{503, 503}, nil, request{op: "Q", retry: true}, 3, false, 0},
		{"query through 502, 504 and 500", []int{502, 504, 500}, nil, request{op: "Q", retry: true}, 4, false, 0},
		{"query gives up after MaxAttempts", []int{503, 503, 503, 503, 503}, nil, request{op: "Q", retry: true}, 4, true, 0},
		{"429 honours Retry-After seconds", []int{429}, http.Header{"Retry-After": {"1"}}, request{op: "Q", retry: true}, 2, false, time.Second},
		{"Retry-After is capped by MaxBackoff", []int{429}, http.Header{"Retry-After": {"120"}}, request{op: "Q", retry: true}, 2, false, 2 * time.Second},
		{"mutation without key: sent once", []int{503}, nil, request{op: "M"}, 1, true, 0},
		{"mutation with key: retried", []int{503}, nil, request{op: "M", retry: true, vars: map[string]*string{"idempotencyKey": &key}}, 2, false, 0},
		{"400 is not retried", []int{400}, nil, request{op: "Q", retry: true}, 1, true, 0},
		{"401 is not retried", []int{401}, nil, request{op: "Q", retry: true}, 1, true, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, sends := faultyServer(t, tc.statuses, tc.header)
			var slept []time.Duration
			c := testClient(srv.URL, &slept)
			var out struct{ HealthModel struct{ Version int } }
			err := c.run(context.Background(), tc.req, &out)
			if got := sends.Load(); got != tc.wantSends {
				t.Errorf("sent %d times, want %d", got, tc.wantSends)
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err == nil && out.HealthModel.Version != 3 {
				t.Errorf("data not decoded: %+v", out)
			}
			if err != nil {
				e := err.(*Error)
				if e.Attempts != int(tc.wantSends) || e.StatusCode != tc.statuses[0] {
					t.Errorf("error %+v: attempts/status wrong", e)
				}
			}
			if len(slept) != int(tc.wantSends)-1 {
				t.Errorf("waited %d times, want %d", len(slept), tc.wantSends-1)
			}
			for i, d := range slept {
				if tc.wantWait > 0 && d != tc.wantWait {
					t.Errorf("wait %d = %v, want %v", i, d, tc.wantWait)
				}
				ceiling := min(100*time.Millisecond<<i, 2*time.Second)
				if tc.wantWait == 0 && (d <= 0 || d > ceiling) {
					t.Errorf("backoff %d = %v, want in (0, %v]", i, d, ceiling)
				}
			}
		})
	}
}

// A network error (the connection drops before any response) is retried
// for queries and never for a mutation without an idempotency key.
func TestRetryOnDroppedConnection(t *testing.T) {
	for _, tc := range []struct {
		req   request
		sends int32
	}{{request{op: "Q", retry: true}, 2}, {request{op: "M"}, 1}} {
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				conn, _, _ := w.(http.Hijacker).Hijack()
				_ = conn.Close()
				return
			}
			_, _ = w.Write([]byte(`{"data":{}}`))
		}))
		var slept []time.Duration
		err := testClient(srv.URL, &slept).run(context.Background(), tc.req, &struct{}{})
		srv.Close()
		if n.Load() != tc.sends {
			t.Errorf("%s: sent %d times, want %d (err %v)", tc.req.op, n.Load(), tc.sends, err)
		}
		if (tc.sends == 1) != (err != nil) {
			t.Errorf("%s: err = %v", tc.req.op, err)
		}
	}
}

// A cancelled context stops the retries.
func TestRetryStopsWithTheContext(t *testing.T) {
	srv, sends := faultyServer(t, []int{503, 503, 503, 503}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	c := New(srv.URL, WithRetry(Retry{MaxAttempts: 10, MinBackoff: time.Hour, MaxBackoff: time.Hour}))
	c.sleep = func(ctx context.Context, d time.Duration) error { cancel(); return sleepCtx(ctx, d) }
	err := c.run(ctx, request{op: "Q", retry: true}, &struct{}{})
	if err == nil || sends.Load() != 1 {
		t.Fatalf("err %v after %d sends", err, sends.Load())
	}
}

func TestRetryAfterHeader(t *testing.T) {
	for h, want := range map[string]time.Duration{"": 0, "3": 3 * time.Second, "x": 0, "-1": 0} {
		if got := retryAfter(h); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", h, got, want)
		}
	}
	if got := retryAfter(time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)); got < 59*time.Minute {
		t.Errorf("HTTP date: %v", got)
	}
}

func TestNewEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"http://h:8080":         "http://h:8080/graphql",
		"http://h:8080/":        "http://h:8080/graphql",
		"http://h:8080/graphql": "http://h:8080/graphql",
		"https://h/api/graphql": "https://h/api/graphql",
	} {
		if got := New(in).endpoint; got != want {
			t.Errorf("New(%q).endpoint = %q, want %q", in, got, want)
		}
	}
}
