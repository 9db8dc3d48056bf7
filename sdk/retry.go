package sdk

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Retry is when and how a call is sent again. A query is retried after a
// network error, HTTP 429 and any 5xx; a mutation only when it carries an
// idempotency key (the server then applies it once however often it
// arrives), never otherwise: a mutation whose response was lost may have
// been applied.
type Retry struct {
	MaxAttempts int           // sends at most this many times (1: no retries); default 4
	MinBackoff  time.Duration // the first wait's ceiling; default 200 ms
	MaxBackoff  time.Duration // no wait is longer, Retry-After included; default 10 s
}

// DefaultRetry is the policy of a client without WithRetry.
var DefaultRetry = Retry{MaxAttempts: 4, MinBackoff: 200 * time.Millisecond, MaxBackoff: 10 * time.Second}

func (r Retry) withDefaults() Retry {
	if r.MaxAttempts < 1 {
		r.MaxAttempts = DefaultRetry.MaxAttempts
	}
	if r.MinBackoff <= 0 {
		r.MinBackoff = DefaultRetry.MinBackoff
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = DefaultRetry.MaxBackoff
	}
	if r.MaxBackoff < r.MinBackoff {
		r.MaxBackoff = r.MinBackoff
	}
	return r
}

// delay is the wait before attempt+1: what the server asked for
// (Retry-After), else exponential backoff with full jitter; capped.
func (r Retry) delay(attempt int, after time.Duration) time.Duration {
	if after > 0 {
		return min(after, r.MaxBackoff)
	}
	ceiling := r.MinBackoff << min(attempt-1, 20)
	if ceiling <= 0 || ceiling > r.MaxBackoff {
		ceiling = r.MaxBackoff
	}
	return time.Duration(rand.Int64N(int64(ceiling)) + 1)
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(h string) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
