package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// LoadResult is what one closed-loop run measured.
type LoadResult struct {
	Concurrency int
	Elapsed     time.Duration // the measured window
	Hist        *Histogram    // latency of every measured request
	Requests    uint64        // measured requests (errors included)
	Errors      uint64        // HTTP status ≠ 200 or a GraphQL errors entry
	FirstError  string        // one error body, shortened
	Bytes       uint64        // response bytes of measured requests
}

// RPS is the measured requests per second.
func (r LoadResult) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Phases are called by RunLoad when the warm-up ends (measuring starts) and
// when measuring ends, so the caller can snapshot server counters exactly
// around the measured window.
type Phases struct {
	Start func()
	End   func()
}

// RunLoad sends the scenario's operations from conc workers, each sending
// its next request when the previous answer has been read (closed loop),
// for warmup and then duration; only requests started in the measured
// window are counted.
func RunLoad(ctx context.Context, clients Clients, s *Scenario, pools map[string][]int,
	conc int, warmup, duration time.Duration, ph Phases) (LoadResult, error) {
	var (
		measuring atomic.Bool
		stop      atomic.Bool
		wg        sync.WaitGroup
		mu        sync.Mutex
		res       = LoadResult{Concurrency: conc, Hist: NewHistogram()}
		fatal     error
	)
	worker := func(n int) {
		defer wg.Done()
		c := &GenContext{Rand: rand.New(rand.NewPCG(uint64(n)+1, uint64(time.Now().UnixNano()))), Worker: n, Seq: new(int), Pools: pools}
		h := NewHistogram()
		var reqs, errs, nbytes uint64
		var firstErr string
		p, err := clients.newPoster()
		if err != nil {
			mu.Lock()
			fatal = err
			mu.Unlock()
			stop.Store(true)
			return
		}
		defer p.close()
		for !stop.Load() && ctx.Err() == nil {
			op := s.pick(c.Rand)
			body, err := requestBody(op, c)
			if err != nil {
				mu.Lock()
				fatal = err
				mu.Unlock()
				stop.Store(true)
				break
			}
			counted := measuring.Load()
			t0 := time.Now()
			msg, b, err := p.post(ctx, body)
			lat := time.Since(t0)
			if !counted {
				continue
			}
			reqs++
			nbytes += uint64(len(b))
			h.RecordDuration(lat)
			if err != nil || msg != "" {
				errs++
				if firstErr == "" {
					firstErr = msg
					if err != nil {
						firstErr = err.Error()
					}
				}
			}
		}
		mu.Lock()
		res.Hist.Merge(h)
		res.Requests += reqs
		res.Errors += errs
		res.Bytes += nbytes
		if res.FirstError == "" {
			res.FirstError = firstErr
		}
		mu.Unlock()
	}
	wg.Add(conc)
	for i := range conc {
		go worker(i)
	}
	sleep(ctx, warmup)
	if ph.Start != nil {
		ph.Start()
	}
	measuring.Store(true)
	t0 := time.Now()
	sleep(ctx, duration)
	measuring.Store(false)
	res.Elapsed = time.Since(t0)
	if ph.End != nil {
		ph.End()
	}
	stop.Store(true)
	wg.Wait()
	if fatal != nil {
		return res, fatal
	}
	return res, ctx.Err()
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// requestBody is the JSON of one GraphQL request of op.
func requestBody(op *Operation, c *GenContext) ([]byte, error) {
	vars := make(map[string]any, len(op.Variables))
	for k, v := range op.Variables {
		x, err := v.Eval(c)
		if err != nil {
			return nil, fmt.Errorf("%s: variable %s: %w", op.Name, k, err)
		}
		vars[k] = x
	}
	return json.Marshal(map[string]any{"query": op.Query, "variables": vars})
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
