package loadgen

import (
	"math/bits"
	"time"
)

// Histogram buckets: values below histSub microseconds get a bucket each;
// above, every power of two is cut into histHalf buckets, so a bucket is at
// most 1/64 (1.6 %) of its value wide, HDR-histogram style.
const (
	histSubBits = 7
	histSub     = 1 << histSubBits // 128
	histHalf    = histSub / 2      // 64
)

// Histogram records durations with microsecond resolution in log-linear
// buckets. The zero value is ready to use; it is not safe for concurrent use
// (give each worker its own and Merge them).
type Histogram struct {
	counts []uint64
	n      uint64
	sum    time.Duration
	max    time.Duration
}

func bucketOf(us uint64) int {
	if us < histSub {
		return int(us)
	}
	shift := bits.Len64(us) - histSubBits // ≥ 1
	m := us >> uint(shift)                // in [histHalf, histSub)
	return histSub + (shift-1)*histHalf + int(m-histHalf)
}

// bucketHigh is the largest value (µs) that falls into bucket i.
func bucketHigh(i int) uint64 {
	if i < histSub {
		return uint64(i)
	}
	j := i - histSub
	shift := uint(j/histHalf + 1)
	m := uint64(j%histHalf + histHalf)
	return (m+1)<<shift - 1
}

// Record adds one duration.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	i := bucketOf(uint64(d / time.Microsecond))
	if i >= len(h.counts) {
		h.counts = append(h.counts, make([]uint64, i+1-len(h.counts))...)
	}
	h.counts[i]++
	h.n++
	h.sum += d
	if d > h.max {
		h.max = d
	}
}

// Merge adds every value recorded in o.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil {
		return
	}
	if len(o.counts) > len(h.counts) {
		h.counts = append(h.counts, make([]uint64, len(o.counts)-len(h.counts))...)
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// Count is the number of recorded values.
func (h *Histogram) Count() int64 { return int64(h.n) }

// Max is the largest recorded value (exact).
func (h *Histogram) Max() time.Duration { return h.max }

// Mean is the average recorded value (exact).
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// Quantile returns the value below which a fraction q (0..1) of the recorded
// values fall: the upper edge of the bucket holding the q-th value, never more
// than Max. It is 0 for an empty histogram.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = max(1, min(rank, h.n))
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			v := time.Duration(bucketHigh(i)) * time.Microsecond
			return min(v, h.max)
		}
	}
	return h.max
}
