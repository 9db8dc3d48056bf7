package main

import (
	"math"
	"math/bits"
	"time"
)

// Histogram is a log-linear latency histogram in the style of HdrHistogram:
// values below 2^histSubBits are counted exactly, larger ones in buckets
// whose width is 1/histHalf of their magnitude, so a percentile read from
// it is within about 1.6 % of the recorded value (7 bits of precision).
// Values are nanoseconds. The zero value is not usable; use NewHistogram.
// A Histogram is not safe for concurrent use: each load worker records into
// its own and the runner merges them.
type Histogram struct {
	counts []uint64
	total  uint64
	min    int64
	max    int64
	sum    float64
}

const (
	histSubBits  = 7
	histSubCount = 1 << histSubBits // exact values 0..127
	histHalf     = histSubCount / 2
	// histBuckets covers every non-negative int64.
	histBuckets = (63-histSubBits+1)*histHalf + histSubCount
)

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	return &Histogram{counts: make([]uint64, histBuckets), min: math.MaxInt64}
}

// bucketOf returns the index of the bucket that counts v (v ≥ 0).
func bucketOf(v int64) int {
	if v < histSubCount {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - histSubBits // ≥ 1
	sub := int(v >> e)                       // in [histHalf, histSubCount)
	return e*histHalf + sub
}

// bucketRange returns the smallest and largest value bucket i counts.
func bucketRange(i int) (lo, hi int64) {
	if i < histSubCount {
		return int64(i), int64(i)
	}
	e := i/histHalf - 1
	sub := int64(i%histHalf + histHalf)
	return sub << e, (sub+1)<<e - 1
}

// Record counts one value; negative values count as 0.
func (h *Histogram) Record(v int64) {
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(v)]++
	h.total++
	h.sum += float64(v)
	h.min = min(h.min, v)
	h.max = max(h.max, v)
}

// RecordDuration counts one duration.
func (h *Histogram) RecordDuration(d time.Duration) { h.Record(int64(d)) }

// Merge adds every value of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.sum += o.sum
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// Count is the number of values recorded.
func (h *Histogram) Count() uint64 { return h.total }

// Max is the largest value recorded (0 when empty).
func (h *Histogram) Max() int64 {
	if h.total == 0 {
		return 0
	}
	return h.max
}

// Mean is the exact mean of the values recorded (0 when empty).
func (h *Histogram) Mean() float64 {
	if h.total == 0 {
		return 0
	}
	return h.sum / float64(h.total)
}

// Quantile returns the value at quantile q (0 < q ≤ 1): the largest value
// equivalent to the recorded value of rank ceil(q·n), as HdrHistogram does,
// clamped to the recorded minimum and maximum. 0 when empty.
func (h *Histogram) Quantile(q float64) int64 {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	rank = min(max(rank, 1), h.total)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			_, hi := bucketRange(i)
			return min(max(hi, h.min), h.max)
		}
	}
	return h.max
}

// QuantileDuration is Quantile as a duration.
func (h *Histogram) QuantileDuration(q float64) time.Duration { return time.Duration(h.Quantile(q)) }
