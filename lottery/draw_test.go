package lottery

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"luckbox/internal/stattest"
	"math"
	"math/big"
	"slices"
	"strconv"
	"testing"
)

// goldenSeed is the bytes 0x00, 0x01, ..., 0x1f.
func goldenSeed() [32]byte {
	var s [32]byte
	for i := range s {
		s[i] = byte(i)
	}
	return s
}

func userIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "u" + strconv.Itoa(i+1)
	}
	return out
}

var goldenPrizes = []Prize{{"Gold", 1}, {"Silver", 2}, {"Bronze", 3}}

// TestDrawGolden pins luckbox-draw-v1 to fixed values (the "golden" draw of
// docs/fairness-vectors.json). Independent implementations check the same
// values: refDraw below (a straightforward implementation from the spec:
// full slice copy, math/big rejection limit), docs/fairness-verify.py (Python,
// run by go test ./internal/fairspec) and the browser verifier
// web/static/js/draw.js (run by web/ui_browser_test.go).
func TestDrawGolden(t *testing.T) {
	seed := goldenSeed()
	entries := userIDs(25)
	sh, eh := SeedHash(seed), EntriesHash(entries)
	if got, want := hex.EncodeToString(sh[:]), "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"; got != want {
		t.Errorf("SeedHash = %s, want %s", got, want)
	}
	if got, want := hex.EncodeToString(eh[:]), "24a6dba955fd63a5a06c413496c669ca0f4bf86edc2ae0a3e75cc3a23501cd30"; got != want {
		t.Errorf("EntriesHash = %s, want %s", got, want)
	}
	want := []Winner{
		{"u20", "Gold"}, {"u1", "Silver"}, {"u25", "Silver"},
		{"u13", "Bronze"}, {"u8", "Bronze"}, {"u6", "Bronze"},
	}
	if got := Draw(seed, eh, entries, goldenPrizes); !slices.Equal(got, want) {
		t.Errorf("Draw = %v, want %v", got, want)
	}

	small := []string{"alice", "bob", "carol"}
	eh = EntriesHash(small)
	if got, want := hex.EncodeToString(eh[:]), "54e7fd617a3c08ae396cadd191b9e16db655b8c9e0832d35902f7d351b8cd191"; got != want {
		t.Errorf("EntriesHash(small) = %s, want %s", got, want)
	}
	want = []Winner{{"bob", "P"}, {"carol", "P"}, {"alice", "P"}}
	if got := Draw(seed, eh, small, []Prize{{"P", 5}}); !slices.Equal(got, want) {
		t.Errorf("Draw(small) = %v, want %v", got, want)
	}
}

func TestEntriesHashEmpty(t *testing.T) {
	got := EntriesHash(nil)
	if hex.EncodeToString(got[:]) != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("EntriesHash(nil) = %x, want SHA-256 of the empty string", got)
	}
	if want := sha256.Sum256([]byte("a\nbc\n")); EntriesHash([]string{"a", "bc"}) != want {
		t.Errorf("EntriesHash([a bc]) is not SHA-256(\"a\\nbc\\n\")")
	}
}

// refDraw is a deliberately plain implementation of the spec, used to
// cross-check Draw: it copies the whole slice and computes the rejection limit
// with math/big.
func refDraw(seed, eh [32]byte, entries []string, prizes []Prize) []Winner {
	var labels []string
	for _, p := range prizes {
		for range p.Quantity {
			labels = append(labels, p.Name)
		}
	}
	k := min(len(labels), len(entries))
	a := slices.Clone(entries)
	var counter uint64
	word := func() *big.Int {
		msg := append(append(seed[:], eh[:]...), binary.BigEndian.AppendUint64(nil, counter)...)
		counter++
		sum := sha256.Sum256(msg)
		return new(big.Int).SetBytes(sum[:8])
	}
	two64 := new(big.Int).Lsh(big.NewInt(1), 64)
	out := []Winner{}
	for i := range k {
		m := big.NewInt(int64(len(a) - i))
		limit := new(big.Int).Sub(two64, new(big.Int).Mod(two64, m))
		var w *big.Int
		for w = word(); w.Cmp(limit) >= 0; w = word() {
		}
		j := i + int(new(big.Int).Mod(w, m).Int64())
		a[i], a[j] = a[j], a[i]
		out = append(out, Winner{a[i], labels[i]})
	}
	return out
}

func TestDrawMatchesReference(t *testing.T) {
	for c := range 300 {
		seed := sha256.Sum256([]byte("ref " + strconv.Itoa(c)))
		entries := userIDs(c % 40)
		prizes := []Prize{{"A", 1 + c%3}, {"B", 1 + c%7}, {"C", 1 + c%11}}[:1+c%3]
		eh := EntriesHash(entries)
		got, want := Draw(seed, eh, entries, prizes), refDraw(seed, eh, entries, prizes)
		if !slices.Equal(got, want) {
			t.Fatalf("case %d: Draw = %v, reference = %v", c, got, want)
		}
	}
}

// TestUniformRejection exercises the rejection branch, which small m almost
// never reaches: for m just above 2^63 about half the words are rejected.
func TestUniformRejection(t *testing.T) {
	seed := goldenSeed()
	eh := EntriesHash(nil)
	two64 := new(big.Int).Lsh(big.NewInt(1), 64)
	for _, m := range []uint64{1, 2, 3, 1<<63 + 1, 3 << 62, math.MaxUint64, 1<<63 + 12345} {
		s := newStream(seed, eh)
		ref := newStream(seed, eh)
		bm := new(big.Int).SetUint64(m)
		limit := new(big.Int).Sub(two64, new(big.Int).Mod(two64, bm))
		rejected := 0
		for range 200 {
			got := s.uniform(m)
			var w uint64
			for {
				w = ref.word()
				if new(big.Int).SetUint64(w).Cmp(limit) < 0 {
					break
				}
				rejected++
			}
			if want := w % m; got != want {
				t.Fatalf("uniform(%d) = %d, want %d", m, got, want)
			}
			if s.i != ref.i {
				t.Fatalf("uniform(%d) consumed %d words, reference %d", m, s.i, ref.i)
			}
		}
		if m == 1<<63+1 && (rejected < 50 || rejected > 400) {
			t.Errorf("uniform(2^63+1) rejected %d words for 200 draws, want about 200", rejected)
		}
	}
}

func TestDrawWinnerCount(t *testing.T) {
	seed := goldenSeed()
	for _, tc := range []struct {
		entries int
		prizes  []Prize
		want    int
	}{
		{0, goldenPrizes, 0},
		{0, nil, 0},
		{10, nil, 0},
		{1, goldenPrizes, 1},
		{4, goldenPrizes, 4},
		{6, goldenPrizes, 6},
		{7, goldenPrizes, 6},
		{1000, goldenPrizes, 6},
		{5, []Prize{{"A", 0}, {"B", -3}, {"C", 2}}, 2},
		{5, []Prize{{"A", math.MaxInt}, {"B", math.MaxInt}}, 5},
	} {
		entries := userIDs(tc.entries)
		got := Draw(seed, EntriesHash(entries), entries, tc.prizes)
		if len(got) != tc.want || got == nil {
			t.Errorf("%d entries, prizes %v: %d winners (nil=%v), want %d", tc.entries, tc.prizes, len(got), got == nil, tc.want)
		}
		seen := map[string]bool{}
		for _, w := range got {
			if seen[w.UserID] {
				t.Errorf("%d entries, prizes %v: %q wins twice", tc.entries, tc.prizes, w.UserID)
			}
			seen[w.UserID] = true
		}
	}
}

func TestDrawUniqueAndQuantities(t *testing.T) {
	prizes := []Prize{{"Gold", 2}, {"Silver", 5}, {"Bronze", 9}}
	for c := range 200 {
		seed := sha256.Sum256([]byte("q " + strconv.Itoa(c)))
		entries := userIDs(c)
		orig := slices.Clone(entries)
		got := Draw(seed, EntriesHash(entries), entries, prizes)
		if !slices.Equal(entries, orig) {
			t.Fatalf("case %d: Draw modified its entries", c)
		}
		want := min(16, c)
		if len(got) != want {
			t.Fatalf("case %d: %d winners, want %d", c, len(got), want)
		}
		seen := map[string]bool{}
		for i, w := range got {
			if seen[w.UserID] {
				t.Fatalf("case %d: %q wins twice", c, w.UserID)
			}
			seen[w.UserID] = true
			if !slices.Contains(orig, w.UserID) {
				t.Fatalf("case %d: winner %q is not an entry", c, w.UserID)
			}
			// Prizes are handed out in list order.
			wantPrize := "Bronze"
			switch {
			case i < 2:
				wantPrize = "Gold"
			case i < 7:
				wantPrize = "Silver"
			}
			if w.Prize != wantPrize {
				t.Fatalf("case %d: winner %d got %q, want %q", c, i, w.Prize, wantPrize)
			}
		}
	}
}

// TestDrawFairness runs 20,000 draws of 3 single prizes among 20 entries with
// seeds 0..19999 and checks with chi-square (99.9% bounds) that every entry
// wins equally often overall and for each prize, and that join order carries no
// bias: the first and last entries are within 3.29 standard deviations of the
// expected count.
func TestDrawFairness(t *testing.T) {
	const entriesN, draws = 20, 20000
	entries := userIDs(entriesN)
	eh := EntriesHash(entries)
	index := map[string]int{}
	for i, e := range entries {
		index[e] = i
	}
	prizes := []Prize{{"A", 1}, {"B", 1}, {"C", 1}}
	var wins [entriesN]float64
	var byPrize [3][entriesN]float64
	for d := range draws {
		var seed [32]byte
		binary.BigEndian.PutUint64(seed[:], uint64(d))
		for p, w := range Draw(seed, eh, entries, prizes) {
			wins[index[w.UserID]]++
			byPrize[p][index[w.UserID]]++
		}
	}
	chi19 := stattest.Chi999(19)
	if x := stattest.ChiSquare(wins[:], draws*3.0/entriesN); x > chi19 {
		t.Errorf("win counts %v: chi-square %.2f > %.2f", wins, x, chi19)
	}
	for p := range byPrize {
		if x := stattest.ChiSquare(byPrize[p][:], draws/float64(entriesN)); x > chi19 {
			t.Errorf("prize %d counts %v: chi-square %.2f > %.2f", p, byPrize[p], x, chi19)
		}
	}
	q := 3.0 / entriesN
	mean, sd := draws*q, math.Sqrt(draws*q*(1-q))
	for _, i := range []int{0, entriesN - 1} {
		if z := (wins[i] - mean) / sd; math.Abs(z) > 3.29 {
			t.Errorf("entry %d (join position) won %.0f times, expected %.0f (z = %.2f)", i, wins[i], mean, z)
		}
	}
	// Trend over join order: the regression slope of wins on position, in
	// standard errors (counts are close to independent with variance sd²).
	var sxx, sxy float64
	for i, w := range wins {
		x := float64(i) - (entriesN-1)/2.0
		sxx += x * x
		sxy += x * (w - mean)
	}
	if z := (sxy / sxx) / (sd / math.Sqrt(sxx)); math.Abs(z) > 3.29 {
		t.Errorf("win count trend over join order: slope z = %.2f", z)
	}
}

func BenchmarkDraw1000Of1000000(b *testing.B) {
	entries := make([]string, 1_000_000)
	for i := range entries {
		entries[i] = fmt.Sprintf("o%027d", i) // the length of a typical user id
	}
	eh := EntriesHash(entries)
	prizes := []Prize{{"Gold", 10}, {"Silver", 90}, {"Bronze", 900}}
	seed := goldenSeed()
	b.ReportAllocs()
	for b.Loop() {
		if w := Draw(seed, eh, entries, prizes); len(w) != 1000 {
			b.Fatalf("%d winners", len(w))
		}
	}
}

func BenchmarkEntriesHash1000000(b *testing.B) {
	entries := make([]string, 1_000_000)
	for i := range entries {
		entries[i] = fmt.Sprintf("o%027d", i)
	}
	for b.Loop() {
		EntriesHash(entries)
	}
}

func TestEntriesHashLongEntries(t *testing.T) {
	long := string(make([]byte, 10000))
	entries := []string{"a", long, "b", string(make([]byte, 8191)), "c"}
	var msg []byte
	for _, e := range entries {
		msg = append(append(msg, e...), '\n')
	}
	if got, want := EntriesHash(entries), sha256.Sum256(msg); got != want {
		t.Errorf("EntriesHash with entries longer than the buffer = %x, want %x", got, want)
	}
}

// TestDrawPicksIsDraw checks that the positions DrawPicks returns are the
// winners Draw returns, over many sizes and prize lists.
func TestDrawPicksIsDraw(t *testing.T) {
	for n := range 60 {
		entries := make([]string, n)
		for i := range entries {
			entries[i] = fmt.Sprintf("u%d", i)
		}
		prizes := []Prize{{"A", 1}, {"B", n / 3}, {"C", 0}, {"D", 5}}
		seed := [32]byte{byte(n), 7}
		eh := EntriesHash(entries)
		winners := Draw(seed, eh, entries, prizes)
		picks := DrawPicks(seed, eh, n, prizes)
		if len(picks) != len(winners) {
			t.Fatalf("n=%d: %d picks, %d winners", n, len(picks), len(winners))
		}
		for i, p := range picks {
			if entries[p.Index] != winners[i].UserID || p.Prize != winners[i].Prize {
				t.Fatalf("n=%d: pick %d = %+v, winner %+v", n, i, p, winners[i])
			}
		}
	}
}
