package loadgen

import (
	"testing"
	"time"
)

func TestBucketsCoverValues(t *testing.T) {
	// Every value falls in a bucket whose upper edge is at least the value
	// and at most 1/64 above the bucket's start.
	for _, us := range []uint64{0, 1, 127, 128, 129, 255, 256, 1000, 12345, 1 << 20, 1<<40 + 7} {
		i := bucketOf(us)
		hi := bucketHigh(i)
		if hi < us {
			t.Errorf("value %d in bucket %d whose upper edge is %d", us, i, hi)
		}
		if us >= histSub && float64(hi-us) > float64(us)/64 {
			t.Errorf("value %d: bucket edge %d is more than 1/64 above", us, hi)
		}
		if i > 0 && bucketHigh(i-1) >= us {
			t.Errorf("value %d also fits the previous bucket (edge %d)", us, bucketHigh(i-1))
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h Histogram
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	if h.Count() != 1000 || h.Max() != time.Second {
		t.Fatalf("count %d max %s", h.Count(), h.Max())
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.9, 900 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {1, time.Second}} {
		got := h.Quantile(c.q)
		if got < c.want || float64(got-c.want) > float64(c.want)/64 {
			t.Errorf("q%.2f = %s, want %s (within 1/64)", c.q, got, c.want)
		}
	}
	if m := h.Mean(); m != 500500*time.Microsecond {
		t.Errorf("mean %s", m)
	}
	var other Histogram
	other.Record(5 * time.Second)
	h.Merge(&other)
	if h.Count() != 1001 || h.Max() != 5*time.Second || h.Quantile(1) != 5*time.Second {
		t.Errorf("after merge: count %d max %s q1 %s", h.Count(), h.Max(), h.Quantile(1))
	}
	var empty Histogram
	if empty.Quantile(0.5) != 0 || empty.Mean() != 0 {
		t.Error("empty histogram is not zero")
	}
}
