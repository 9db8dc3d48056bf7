package main

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// within reports whether got is within the histogram's precision of want.
func within(got, want int64) bool {
	return math.Abs(float64(got-want)) <= float64(want)/histHalf+1
}

func TestHistogramKnownPercentiles(t *testing.T) {
	h := NewHistogram()
	for v := int64(1); v <= 10000; v++ {
		h.Record(v * 1000) // 1 µs … 10 ms
	}
	for _, c := range []struct {
		q    float64
		want int64
	}{{.5, 5_000_000}, {.9, 9_000_000}, {.99, 9_900_000}, {.999, 9_990_000}, {1, 10_000_000}} {
		if got := h.Quantile(c.q); !within(got, c.want) {
			t.Errorf("Quantile(%v) = %d, want %d ± %.1f %%", c.q, got, c.want, 100.0/histHalf)
		}
	}
	if h.Count() != 10000 || h.Max() != 10_000_000 {
		t.Errorf("count %d max %d", h.Count(), h.Max())
	}
	if m := h.Mean(); m != 5_000_500 {
		t.Errorf("mean %v, want 5000500 (exact)", m)
	}
}

func TestHistogramSmallValuesAreExact(t *testing.T) {
	h := NewHistogram()
	for v := int64(0); v < histSubCount; v++ {
		h.Record(v)
	}
	if got := h.Quantile(.5); got != 63 {
		t.Errorf("p50 of 0..127 = %d, want 63", got)
	}
	if got := h.Quantile(1); got != 127 {
		t.Errorf("p100 = %d, want 127", got)
	}
}

func TestHistogramAgainstSortedSample(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	h := NewHistogram()
	var vals []int64
	for range 100_000 {
		// log-normal-ish latencies around 2 ms with a long tail
		v := int64(math.Exp(r.NormFloat64()*0.8) * float64(2*time.Millisecond))
		vals = append(vals, v)
		h.Record(v)
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	for _, q := range []float64{.5, .9, .99} {
		want := vals[int(math.Ceil(q*float64(len(vals))))-1]
		if got := h.Quantile(q); !within(got, want) {
			t.Errorf("Quantile(%v) = %d, exact %d", q, got, want)
		}
	}
}

func TestHistogramSameValueAndClamp(t *testing.T) {
	h := NewHistogram()
	for range 1000 {
		h.RecordDuration(3 * time.Millisecond)
	}
	for _, q := range []float64{.01, .5, .99, 1} {
		if got := h.QuantileDuration(q); got != 3*time.Millisecond {
			t.Errorf("Quantile(%v) = %v, want exactly 3ms (clamped to min and max)", q, got)
		}
	}
}

func TestHistogramMergeAndEmpty(t *testing.T) {
	a, b := NewHistogram(), NewHistogram()
	if a.Quantile(.5) != 0 || a.Mean() != 0 || a.Max() != 0 {
		t.Fatal("empty histogram should read 0")
	}
	for v := int64(1); v <= 500; v++ {
		a.Record(v * 1000)
	}
	for v := int64(501); v <= 1000; v++ {
		b.Record(v * 1000)
	}
	a.Merge(b)
	a.Merge(NewHistogram())
	if a.Count() != 1000 {
		t.Fatalf("count %d", a.Count())
	}
	if got := a.Quantile(.5); !within(got, 500_000) {
		t.Errorf("merged p50 = %d", got)
	}
	if got := a.Quantile(.99); !within(got, 990_000) {
		t.Errorf("merged p99 = %d", got)
	}
	a.Record(-5) // counts as 0
	if a.Quantile(0.0001) != 0 {
		t.Errorf("negative value not clamped to 0")
	}
}

func TestBucketsAreContiguous(t *testing.T) {
	prevHi := int64(-1)
	for i := 0; i < histBuckets; i++ {
		lo, hi := bucketRange(i)
		if lo < 0 || hi < lo { // past the int64 range
			break
		}
		if lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, previous ended at %d", i, lo, prevHi)
		}
		if bucketOf(lo) != i || bucketOf(hi) != i {
			t.Fatalf("bucket %d [%d, %d] maps back to %d, %d", i, lo, hi, bucketOf(lo), bucketOf(hi))
		}
		prevHi = hi
	}
	if got := bucketOf(math.MaxInt64); got >= histBuckets {
		t.Fatalf("MaxInt64 in bucket %d of %d", got, histBuckets)
	}
}
