package packet

import (
	"crypto/sha256"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func newRNG(seed byte) *rand.Rand {
	var s [32]byte
	s[0] = seed
	return rand.New(rand.NewChaCha8(s))
}

func TestSplitLuckySumsAndMinimum(t *testing.T) {
	rng := newRNG(1)
	for _, tc := range []struct {
		amount int64
		count  int
	}{
		{1, 1}, {500, 1}, {2, 2}, {3, 2}, {100, 100}, {101, 100}, {20000, 100},
		{20000, 7}, {199, 100}, {math.MaxInt64, 3}, {math.MaxInt64, 100}, {1_000_000, 1000},
	} {
		for run := range 200 {
			shares, err := SplitLucky(tc.amount, tc.count, rng)
			if err != nil {
				t.Fatalf("SplitLucky(%d, %d): %v", tc.amount, tc.count, err)
			}
			if len(shares) != tc.count {
				t.Fatalf("SplitLucky(%d, %d) gave %d shares", tc.amount, tc.count, len(shares))
			}
			var sum int64
			for _, s := range shares {
				if s < 1 {
					t.Fatalf("SplitLucky(%d, %d) run %d: share %d in %v", tc.amount, tc.count, run, s, shares)
				}
				sum += s // cannot overflow: the shares are positive and add up to amount
			}
			if sum != tc.amount {
				t.Fatalf("SplitLucky(%d, %d) run %d: shares sum to %d", tc.amount, tc.count, run, sum)
			}
		}
	}
}

func TestSplitLuckyAllOnes(t *testing.T) {
	shares, err := SplitLucky(100, 100, newRNG(2))
	if err != nil {
		t.Fatal(err)
	}
	if want := slices.Repeat([]int64{1}, 100); !slices.Equal(shares, want) {
		t.Errorf("SplitLucky(100, 100) = %v, want 100 ones", shares)
	}
}

func TestSplitLuckyErrors(t *testing.T) {
	for _, tc := range []struct {
		amount int64
		count  int
		rng    *rand.Rand
		want   string
	}{
		{10, 0, newRNG(3), "count 0, want at least 1"},
		{10, -1, newRNG(3), "count -1, want at least 1"},
		{9, 10, newRNG(3), "9 fen cannot give 10 shares"},
		{0, 1, newRNG(3), "0 fen cannot give 1 shares"},
		{-5, 1, newRNG(3), "-5 fen cannot give 1 shares"},
		{10, 2, nil, "nil random generator"},
	} {
		shares, err := SplitLucky(tc.amount, tc.count, tc.rng)
		if err == nil || !strings.Contains(err.Error(), tc.want) || shares != nil {
			t.Errorf("SplitLucky(%d, %d) = %v, %v; want an error containing %q", tc.amount, tc.count, shares, err, tc.want)
		}
	}
}

func TestSplitLuckyDeterministic(t *testing.T) {
	a, _ := SplitLucky(20000, 50, newRNG(4))
	b, _ := SplitLucky(20000, 50, newRNG(4))
	c, _ := SplitLucky(20000, 50, newRNG(5))
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different splits:\n%v\n%v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("different seeds gave the same split %v", a)
	}
}

// TestSplitOrderedDoubleAverage checks the drawing rule before the shuffle:
// each share but the last is at most twice the average of what remains.
func TestSplitOrderedDoubleAverage(t *testing.T) {
	rng := newRNG(6)
	maxSeen := int64(0)
	for range 2000 {
		shares, err := splitOrdered(1000, 10, rng)
		if err != nil {
			t.Fatal(err)
		}
		remaining := int64(1000)
		for i, s := range shares[:len(shares)-1] {
			left := int64(len(shares) - i)
			if hi := min(2*remaining/left, remaining-(left-1)); s < 1 || s > hi {
				t.Fatalf("share %d = %d with %d fen left for %d shares, want 1..%d", i, s, remaining, left, hi)
			}
			remaining -= s
		}
		maxSeen = max(maxSeen, shares[0])
	}
	// The first share is uniform in 1..200: in 2,000 draws it reaches the top.
	if maxSeen != 200 {
		t.Errorf("largest first share in 2000 draws = %d, want 200", maxSeen)
	}
}

// positionStats runs split `runs` times and returns, per grab position, the
// largest distance of the mean from amount/count and of the variance from the
// pooled variance, both in standard errors.
func positionStats(t *testing.T, split func() []int64, count, runs int, amount int64) (meanZ, varZ float64) {
	t.Helper()
	sum := make([]float64, count)
	sumSq := make([]float64, count)
	var all []float64
	for range runs {
		shares := split()
		for i, s := range shares {
			x := float64(s)
			sum[i] += x
			sumSq[i] += x * x
			all = append(all, x)
		}
	}
	mu := float64(amount) / float64(count)
	var m2, m4 float64
	for _, x := range all {
		d := (x - mu) * (x - mu)
		m2 += d
		m4 += d * d
	}
	m2 /= float64(len(all))
	m4 /= float64(len(all))
	n := float64(runs)
	seMean := math.Sqrt(m2 / n)
	seVar := math.Sqrt((m4 - m2*m2) / n)
	for i := range count {
		mean := sum[i] / n
		v := sumSq[i]/n - mean*mean
		meanZ = max(meanZ, math.Abs(mean-mu)/seMean)
		varZ = max(varZ, math.Abs(v-m2)/seVar)
	}
	return meanZ, varZ
}

// TestSplitLuckyPositionFairness: over 20,000 packets of 20,000 fen in 100
// shares (fixed seed), each grab position's mean share is within 4 standard
// errors of 200 fen and its variance within 5 standard errors of the pooled
// variance. The unshuffled double-average list fails the variance check, which
// shows the test can tell.
func TestSplitLuckyPositionFairness(t *testing.T) {
	const amount, count, runs = 20000, 100, 20000
	rng := newRNG(7)
	meanZ, varZ := positionStats(t, func() []int64 {
		s, err := SplitLucky(amount, count, rng)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, count, runs, amount)
	t.Logf("largest per-position mean z = %.2f, variance z = %.2f", meanZ, varZ)
	if meanZ > 4 {
		t.Errorf("a grab position's mean share is %.2f standard errors from %d", meanZ, amount/count)
	}
	if varZ > 5 {
		t.Errorf("a grab position's variance is %.2f standard errors from the pooled variance", varZ)
	}

	rng = newRNG(8)
	_, orderedVarZ := positionStats(t, func() []int64 {
		s, _ := splitOrdered(amount, count, rng)
		return s
	}, count, 2000, amount)
	t.Logf("unshuffled: largest variance z = %.2f", orderedVarZ)
	if orderedVarZ < 10 {
		t.Errorf("unshuffled shares look position-fair (variance z %.2f): the check has no power", orderedVarZ)
	}
}

func TestSplitCommit(t *testing.T) {
	var salt [32]byte
	for i := range salt {
		salt[i] = byte(100 + i)
	}
	shares := []int64{12, 1, 387}
	want := sha256.Sum256(append(salt[:], "12,1,387"...))
	if got := SplitCommit(salt, shares); got != want {
		t.Fatalf("SplitCommit = %x, want SHA-256(salt ‖ \"12,1,387\") = %x", got, want)
	}
	if got, want := SplitCommit(salt, nil), sha256.Sum256(salt[:]); got != want {
		t.Errorf("SplitCommit(no shares) = %x, want SHA-256(salt) %x", got, want)
	}
	base := SplitCommit(salt, shares)
	for _, other := range [][]int64{{13, 1, 387}, {12, 1, 386}, {12, 387, 1}, {121, 387}, {12, 1, 387, 0}, {12, 1}} {
		if SplitCommit(salt, other) == base {
			t.Errorf("SplitCommit(%v) equals SplitCommit(%v)", other, shares)
		}
	}
	salt2 := salt
	salt2[31] ^= 1
	if SplitCommit(salt2, shares) == base {
		t.Errorf("changing the salt does not change the commitment")
	}
	// Any single share changed by ±1 changes the commitment.
	split, _ := SplitLucky(20000, 100, newRNG(9))
	c := SplitCommit(salt, split)
	for i := range split {
		for _, d := range []int64{-1, 1} {
			changed := slices.Clone(split)
			changed[i] += d
			if SplitCommit(salt, changed) == c {
				t.Fatalf("changing share %d by %d keeps the commitment", i, d)
			}
		}
	}
}

func BenchmarkSplitLucky100(b *testing.B) {
	rng := newRNG(10)
	for b.Loop() {
		if _, err := SplitLucky(20000, 100, rng); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSplitCommit100(b *testing.B) {
	shares, _ := SplitLucky(20000, 100, newRNG(11))
	var salt [32]byte
	for b.Loop() {
		SplitCommit(salt, shares)
	}
}
