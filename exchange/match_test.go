package exchange

import (
	"errors"
	"fmt"
	"luckbox/internal/stattest"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func matchRNG(seed uint64) *rand.Rand {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return rand.New(rand.NewChaCha8(s))
}

// randomExchange makes n participants in up to `groups` groups (about a fifth
// in no group, a third in g0), no group holding more than half, each
// excluding up to maxExcl random others (possibly themselves or repeats).
func randomExchange(r *rand.Rand, n, groups, maxExcl int) []MatchPerson {
	people := make([]MatchPerson, n)
	count := map[string]int{}
	for i := range people {
		g := ""
		switch {
		case r.IntN(5) == 0:
		case r.IntN(3) == 0:
			g = "g0"
		default:
			g = "g" + strconv.Itoa(r.IntN(groups))
		}
		if g != "" && 2*(count[g]+1) <= n {
			people[i].Group = g
			count[g]++
		}
		for range r.IntN(maxExcl + 1) {
			people[i].Exclude = append(people[i].Exclude, r.IntN(n))
		}
	}
	return people
}

// halfGroup puts exactly n/2 participants, the even indices, in group "half"
// and takes everyone else out of it: the tightest legal group structure.
func halfGroup(people []MatchPerson) {
	for i := range people {
		switch {
		case i%2 == 0 && 2*(i/2+1) <= len(people):
			people[i].Group = "half"
		case people[i].Group == "half":
			people[i].Group = ""
		}
	}
}

// TestMatchRandomValid matches 270 random exchanges of 17 to 5,000
// participants with 1-40 groups (the largest at most half, in a third of them
// exactly half) and 0-3 exclusions each: every result must be a valid loop.
func TestMatchRandomValid(t *testing.T) {
	r := matchRNG(1)
	sizes := []int{17, 18, 19, 20, 25, 33, 40, 64, 100, 150, 250, 400, 500, 750, 1000, 2000, 3000, 5000}
	for _, n := range sizes {
		reps := 20
		if n >= 1000 {
			reps = 3
		}
		for rep := range reps {
			groups := 1 + r.IntN(40)
			people := randomExchange(r, n, groups, 3)
			if rep%3 == 0 {
				halfGroup(people)
			}
			order, err := Match(people, matchRNG(uint64(1000*n+rep)))
			if err != nil {
				t.Fatalf("n=%d groups=%d rep %d: %v", n, groups, rep, err)
			}
			if err := CheckCycle(order, people); err != nil {
				t.Fatalf("n=%d groups=%d rep %d: invalid result: %v", n, groups, rep, err)
			}
		}
	}
}

// TestMatchDense: random exchanges where everyone excludes 30-70% of the
// others (half of them also with a group of exactly half) still get a valid
// loop. Such graphs have Hamiltonian cycles with overwhelming probability.
func TestMatchDense(t *testing.T) {
	r := matchRNG(2)
	for c := range 40 {
		n := 30 + r.IntN(200)
		density := 0.3 + 0.4*r.Float64()
		people := make([]MatchPerson, n)
		for i := range people {
			for j := range n {
				if r.Float64() < density {
					people[i].Exclude = append(people[i].Exclude, j)
				}
			}
		}
		if c%2 == 0 {
			halfGroup(people)
		}
		order, err := Match(people, matchRNG(uint64(c)))
		if err != nil {
			t.Fatalf("case %d (n=%d, density %.2f): %v", c, n, density, err)
		}
		if err := CheckCycle(order, people); err != nil {
			t.Fatalf("case %d: invalid result: %v", c, err)
		}
	}
}

// hasCycleBrute reports whether a valid loop exists by trying every order
// that starts with participant 0 (n ≤ 9).
func hasCycleBrute(people []MatchPerson) bool {
	return len(allCyclesBrute(people)) > 0
}

// allCyclesBrute lists every valid loop, as orders starting with 0.
func allCyclesBrute(people []MatchPerson) [][]int {
	n := len(people)
	if n > 9 {
		panic("allCyclesBrute: too many participants")
	}
	rest := make([]int, 0, n)
	for i := 1; i < n; i++ {
		rest = append(rest, i)
	}
	var out [][]int
	var perm func(k int)
	perm = func(k int) {
		if k == len(rest) {
			if order := append([]int{0}, rest...); CheckCycle(order, people) == nil {
				out = append(out, order)
			}
			return
		}
		for i := k; i < len(rest); i++ {
			rest[k], rest[i] = rest[i], rest[k]
			perm(k + 1)
			rest[k], rest[i] = rest[i], rest[k]
		}
	}
	perm(0)
	return out
}

// TestMatchSmallExhaustive compares Match with brute force on 600 small
// random exchanges (2-8 participants, many exclusions): Match finds a valid
// loop exactly when one exists, and otherwise says why.
func TestMatchSmallExhaustive(t *testing.T) {
	r := matchRNG(3)
	found, none := 0, 0
	for c := range 600 {
		n := 2 + r.IntN(7)
		people := randomExchange(r, n, 1+r.IntN(3), r.IntN(n+1))
		order, err := Match(people, matchRNG(uint64(c)))
		exists := hasCycleBrute(people)
		switch {
		case exists && err != nil:
			t.Fatalf("case %d (%v): %v, but a loop exists", c, people, err)
		case exists:
			if err := CheckCycle(order, people); err != nil {
				t.Fatalf("case %d: invalid result: %v", c, err)
			}
			found++
		default:
			var nm *NoMatchError
			if !errors.As(err, &nm) || nm.Kind == NoMatchNotFound {
				t.Fatalf("case %d (%v): no loop exists, Match = %v, %v", c, people, order, err)
			}
			none++
		}
	}
	t.Logf("%d feasible, %d infeasible", found, none)
	if found < 100 || none < 100 {
		t.Errorf("only %d feasible and %d infeasible cases: the generator needs tuning", found, none)
	}
}

func TestMatchTwo(t *testing.T) {
	for _, people := range [][]MatchPerson{
		{{Group: "A"}, {Group: "B"}},
		{{}, {}},
		{{Group: "A"}, {}},
	} {
		order, err := Match(people, matchRNG(4))
		if err != nil || !slices.Equal(order, []int{0, 1}) {
			t.Errorf("Match(%v) = %v, %v; want [0 1]", people, order, err)
		}
	}
}

func TestMatchSmallNoGroups(t *testing.T) {
	for n := 3; n <= 40; n++ {
		people := make([]MatchPerson, n)
		order, err := Match(people, matchRNG(uint64(n)))
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if err := CheckCycle(order, people); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
	}
}

// excludeAllBut makes person i exclude everyone but keep.
func excludeAllBut(n, i int, keep ...int) []int {
	var ex []int
	for j := range n {
		if j != i && !slices.Contains(keep, j) {
			ex = append(ex, j)
		}
	}
	return ex
}

func TestMatchImpossible(t *testing.T) {
	people := func(n int) []MatchPerson { return make([]MatchPerson, n) }
	tests := []struct {
		name   string
		people []MatchPerson
		want   NoMatchError // Reason, Kind, Group, Count, People, Others are compared
	}{
		{"nobody", nil, NoMatchError{Kind: NoMatchTooFew,
			Reason: "a gift exchange needs at least 2 participants, this one has 0"}},
		{"one", people(1), NoMatchError{Kind: NoMatchTooFew,
			Reason: "a gift exchange needs at least 2 participants, this one has 1"}},
		{"same group pair", []MatchPerson{{Group: "A"}, {Group: "A"}}, NoMatchError{Kind: NoMatchGroupTooLarge,
			Group: "A", Count: 2, Reason: `group "A" has 2 of 2 participants; a group may hold at most half`}},
		{"majority group", func() []MatchPerson {
			p := people(10)
			for i := range 6 {
				p[i*3%10].Group = "Sales"
			}
			p[1].Group = "Ops"
			return p
		}(), NoMatchError{Kind: NoMatchGroupTooLarge, Group: "Sales", Count: 6,
			Reason: `group "Sales" has 6 of 10 participants; a group may hold at most half`}},
		{"odd half", func() []MatchPerson {
			p := people(7)
			for i := range 4 {
				p[i].Group = "Sales"
			}
			return p
		}(), NoMatchError{Kind: NoMatchGroupTooLarge, Group: "Sales", Count: 4,
			Reason: `group "Sales" has 4 of 7 participants; a group may hold at most half`}},
		{"excludes everyone", func() []MatchPerson {
			p := people(10)
			p[3].Exclude = excludeAllBut(10, 3)
			return p
		}(), NoMatchError{Kind: NoMatchNoRecipient, People: []int{3},
			Reason: "participant 3 excludes or shares a group with everyone else"}},
		{"excludes everyone outside the group", func() []MatchPerson {
			p := people(30)
			for i := range 5 {
				p[i].Group = "Dev"
			}
			p[2].Exclude = excludeAllBut(30, 2, 0, 1, 3, 4)
			return p
		}(), NoMatchError{Kind: NoMatchNoRecipient, People: []int{2},
			Reason: "participant 2 excludes or shares a group with everyone else"}},
		{"three, one excludes both", []MatchPerson{{}, {Exclude: []int{0, 2}}, {}}, NoMatchError{
			Kind: NoMatchNoRecipient, People: []int{1},
			Reason: "participant 1 excludes or shares a group with everyone else"}},
		{"nobody gives to", func() []MatchPerson {
			p := people(200)
			for i := range p {
				if i != 7 {
					p[i].Exclude = []int{7}
				}
			}
			return p
		}(), NoMatchError{Kind: NoMatchNoGiver, People: []int{7},
			Reason: "everyone else excludes participant 7 or shares a group with them"}},
		{"same only recipient", func() []MatchPerson {
			p := people(40)
			p[4].Exclude = excludeAllBut(40, 4, 30)
			p[9].Exclude = excludeAllBut(40, 9, 30)
			return p
		}(), NoMatchError{Kind: NoMatchSameOnlyRecipient, People: []int{4, 9}, Others: []int{30},
			Reason: "participant 4 and participant 9 can only give to participant 30"}},
		{"same only giver", func() []MatchPerson {
			p := people(40)
			for i := range p {
				if i != 2 {
					p[i].Exclude = []int{11, 25}
				}
			}
			return p
		}(), NoMatchError{Kind: NoMatchSameOnlyGiver, People: []int{11, 25}, Others: []int{2},
			Reason: "participant 11 and participant 25 can only receive from participant 2"}},
		{"closed pair", func() []MatchPerson {
			p := people(30)
			p[5].Exclude = excludeAllBut(30, 5, 8)
			p[8].Exclude = excludeAllBut(30, 8, 5)
			return p
		}(), NoMatchError{Kind: NoMatchClosedLoop, People: []int{5, 8},
			Reason: "the groups and exclusions force participant 5 to give to participant 8, participant 8 to give to participant 5: a closed loop that leaves out everyone else"}},
		{"closed triangle by givers", func() []MatchPerson {
			// Only 1 may give to 2, only 2 to 3, only 3 to 1.
			p := people(30)
			for i := range p {
				for _, pair := range [][2]int{{1, 2}, {2, 3}, {3, 1}} {
					if i != pair[0] {
						p[i].Exclude = append(p[i].Exclude, pair[1])
					}
				}
			}
			return p
		}(), NoMatchError{Kind: NoMatchClosedLoop, People: []int{1, 2, 3},
			Reason: "the groups and exclusions force participant 1 to give to participant 2, participant 2 to give to participant 3, participant 3 to give to participant 1: a closed loop that leaves out everyone else"}},
		{"three share two recipients", func() []MatchPerson {
			p := people(50)
			for _, i := range []int{10, 20, 30} {
				p[i].Exclude = excludeAllBut(50, i, 40, 41)
			}
			return p
		}(), NoMatchError{Kind: NoMatchTooFewRecipients, People: []int{10, 20, 30}, Others: []int{40, 41},
			Reason: "3 participants (participant 10, participant 20 and participant 30) can only give to 2 others between them (participant 40 and participant 41)"}},
		{"two islands, small", func() []MatchPerson {
			// 0-5 and 6-11 only give within their half: two loops, never one.
			p := people(12)
			for i := range p {
				for j := range 12 {
					if (i < 6) != (j < 6) {
						p[i].Exclude = append(p[i].Exclude, j)
					}
				}
			}
			return p
		}(), NoMatchError{Kind: NoMatchNone,
			Reason: "no assignment exists: the groups and exclusions allow no single loop through everyone"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			order, err := Match(tc.people, matchRNG(5))
			var got *NoMatchError
			if !errors.As(err, &got) {
				t.Fatalf("Match = %v, %v; want a *NoMatchError", order, err)
			}
			if got.Error() != tc.want.Reason {
				t.Errorf("reason = %q\nwant     %q", got.Error(), tc.want.Reason)
			}
			if got.Kind != tc.want.Kind || got.Group != tc.want.Group || got.Count != tc.want.Count ||
				got.Total != len(tc.people) || !slices.Equal(got.People, tc.want.People) || !slices.Equal(got.Others, tc.want.Others) {
				t.Errorf("error fields = %+v, want %+v", *got, tc.want)
			}
			if order != nil {
				t.Errorf("order = %v, want nil", order)
			}
		})
	}
}

// TestMatchNotFound: two islands of 10 pass every quick check but have no
// single loop; the search must give up within its budget, not hang.
func TestMatchNotFound(t *testing.T) {
	p := make([]MatchPerson, 20)
	for i := range p {
		for j := range 20 {
			if (i < 10) != (j < 10) {
				p[i].Exclude = append(p[i].Exclude, j)
			}
		}
	}
	want := "no assignment was found: the groups and exclusions may be too strict; try removing some exclusions"
	for _, budget := range []int{0, 1, 1000, 100_000} {
		_, err := match(p, matchRNG(6), budget)
		var nm *NoMatchError
		if !errors.As(err, &nm) || nm.Kind != NoMatchNotFound || err.Error() != want {
			t.Errorf("budget %d: err = %v, want NoMatchNotFound %q", budget, err, want)
		}
	}
	// The real budget ends too (in well under a second).
	if _, err := Match(p, matchRNG(6)); err == nil || err.Error() != want {
		t.Errorf("Match = %v, want %q", err, want)
	}
}

func TestNoMatchErrorExplain(t *testing.T) {
	names := []string{"Ann", "Bob", "Cai", "Dan"}
	name := func(i int) string { return fmt.Sprintf("%q (row %d)", names[i], i+2) }
	_, err := Match([]MatchPerson{{}, {Exclude: []int{0, 2, 3}}, {}, {}}, matchRNG(7))
	var nm *NoMatchError
	if !errors.As(err, &nm) {
		t.Fatalf("Match = %v, want a *NoMatchError", err)
	}
	if got, want := nm.Explain(name), `"Bob" (row 3) excludes or shares a group with everyone else`; got != want {
		t.Errorf("Explain = %q, want %q", got, want)
	}
	many := &NoMatchError{Kind: NoMatchTooFewRecipients, People: []int{0, 1, 2, 3, 4, 5, 6, 7}, Others: []int{8, 9}}
	want := "8 participants (p0, p1, p2, p3, p4 and 3 more) can only give to 2 others between them (p8 and p9)"
	if got := many.Explain(func(i int) string { return "p" + strconv.Itoa(i) }); got != want {
		t.Errorf("Explain = %q, want %q", got, want)
	}
}

func TestMatchBadInput(t *testing.T) {
	for _, ex := range []int{-1, 3, 100} {
		_, err := Match([]MatchPerson{{}, {Exclude: []int{ex}}, {}}, matchRNG(8))
		var nm *NoMatchError
		if err == nil || errors.As(err, &nm) || !strings.Contains(err.Error(), fmt.Sprintf("participant 1 excludes %d, which is not a participant index", ex)) {
			t.Errorf("exclude %d: err = %v, want a plain out-of-range error", ex, err)
		}
	}
	if _, err := Match(make([]MatchPerson, 3), nil); err == nil || !strings.Contains(err.Error(), "nil random generator") {
		t.Errorf("nil rng: err = %v", err)
	}
	// Excluding oneself, one's own group or someone twice is harmless.
	people := []MatchPerson{{Group: "A", Exclude: []int{0, 1, 1}}, {Group: "A"}, {Exclude: []int{2}}, {}}
	order, err := Match(people, matchRNG(9))
	if err != nil || CheckCycle(order, people) != nil {
		t.Errorf("Match = %v, %v", order, err)
	}
}

func TestMatchDeterministic(t *testing.T) {
	for _, n := range []int{5, 16, 17, 600} {
		people := randomExchange(matchRNG(uint64(n)), n, 6, 2)
		a, errA := Match(people, matchRNG(10))
		b, errB := Match(people, matchRNG(10))
		if errA != nil || errB != nil || !slices.Equal(a, b) {
			t.Errorf("n=%d: same seed gave %v (%v) and %v (%v)", n, a, errA, b, errB)
		}
		differ := false
		for s := uint64(11); s < 20 && !differ; s++ {
			c, _ := Match(people, matchRNG(s))
			differ = !slices.Equal(a, c)
		}
		if !differ {
			t.Errorf("n=%d: ten seeds all gave %v", n, a)
		}
	}
}

// TestMatchFairnessSmall: 5 people, no groups, 20,000 seeds. Each of the 24
// possible loops, and so each of the 4 possible recipients of person 0, must
// come up equally often (chi-square, 99.9%).
func TestMatchFairnessSmall(t *testing.T) {
	const runs = 20000
	people := make([]MatchPerson, 5)
	recipient := make([]float64, 5)
	loops := map[string]float64{}
	for s := range uint64(runs) {
		order, err := Match(people, matchRNG(s))
		if err != nil {
			t.Fatal(err)
		}
		recipient[order[1]]++ // order starts with person 0
		loops[fmt.Sprint(order)]++
	}
	if recipient[0] != 0 {
		t.Fatalf("person 0 drew themselves %v times", recipient[0])
	}
	if x := stattest.ChiSquare(recipient[1:], runs/4.0); x > stattest.Chi999(3) {
		t.Errorf("recipients of person 0 %v: chi-square %.2f > %.2f", recipient[1:], x, stattest.Chi999(3))
	}
	if len(loops) != 24 {
		t.Fatalf("%d distinct loops, want 24", len(loops))
	}
	counts := make([]float64, 0, 24)
	for _, c := range loops {
		counts = append(counts, c)
	}
	if x := stattest.ChiSquare(counts, runs/24.0); x > stattest.Chi999(23) {
		t.Errorf("loop counts %v: chi-square %.2f > %.2f", counts, x, stattest.Chi999(23))
	}
}

// TestMatchFairnessConstrained: with groups and exclusions, the exhaustive
// search samples uniformly among exactly the valid loops brute force finds.
func TestMatchFairnessConstrained(t *testing.T) {
	people := []MatchPerson{
		{Group: "A", Exclude: []int{4}}, {Group: "A"}, {Group: "B", Exclude: []int{0}},
		{Group: "B"}, {}, {Exclude: []int{2, 3}}, {},
	}
	valid := allCyclesBrute(people)
	index := map[string]int{}
	for i, o := range valid {
		index[fmt.Sprint(o)] = i
	}
	const runs = 20000
	counts := make([]float64, len(valid))
	for s := range uint64(runs) {
		order, err := Match(people, matchRNG(s))
		if err != nil {
			t.Fatal(err)
		}
		i, ok := index[fmt.Sprint(order)]
		if !ok {
			t.Fatalf("Match gave %v, not a valid loop", order)
		}
		counts[i]++
	}
	df := len(valid) - 1
	if x := stattest.ChiSquare(counts, float64(runs)/float64(len(valid))); x > stattest.Chi999(df) {
		t.Errorf("%d valid loops: chi-square %.2f > %.2f", len(valid), x, stattest.Chi999(df))
	}
}

// TestMatchFairnessLarge checks the randomized search for structural bias: 30
// people, groups A (0-9) and B (10-19), 10 without a group. Over 10,000 seeds,
// person 0 (in A) must give to each member of B equally often, and to each
// person without a group equally often (chi-square, 99.9%); B members are
// interchangeable, and so are the ungrouped, so any difference would be bias.
func TestMatchFairnessLarge(t *testing.T) {
	const runs = 10000
	people := make([]MatchPerson, 30)
	for i := range 10 {
		people[i].Group = "A"
		people[10+i].Group = "B"
	}
	counts := make([]float64, 30)
	for s := range uint64(runs) {
		order, err := Match(people, matchRNG(s))
		if err != nil {
			t.Fatal(err)
		}
		counts[order[1]]++ // order starts with person 0
	}
	for _, span := range [][2]int{{10, 20}, {20, 30}} {
		c := counts[span[0]:span[1]]
		total := 0.0
		for _, x := range c {
			total += x
		}
		if x := stattest.ChiSquare(c, total/10); x > stattest.Chi999(9) {
			t.Errorf("recipients %d-%d of person 0: %v, chi-square %.2f > %.2f", span[0], span[1]-1, c, x, stattest.Chi999(9))
		}
	}
}

func TestCheckCycle(t *testing.T) {
	people := []MatchPerson{{Group: "A"}, {Group: "A"}, {Exclude: []int{3}}, {}}
	for _, tc := range []struct {
		order []int
		want  string
	}{
		{[]int{0, 2, 1, 3}, ""},
		{[]int{2, 1, 3, 0}, ""},
		{[]int{0, 2, 1}, "order has 3 entries for 4 participants"},
		{[]int{0, 2, 1, 3, 0}, "order has 5 entries for 4 participants"},
		{[]int{0, 2, 1, 1}, "participant 1 appears twice"},
		{[]int{0, 2, 1, 4}, "position 3 holds 4, not a participant index"},
		{[]int{0, 2, -1, 3}, "position 2 holds -1, not a participant index"},
		{[]int{0, 1, 2, 3}, `participant 0 gives to participant 1 of the same group "A"`},
		{[]int{1, 3, 2, 0}, `participant 0 gives to participant 1 of the same group "A"`},
		{[]int{0, 2, 3, 1}, "participant 2 gives to participant 3, whom they exclude"},
	} {
		err := CheckCycle(tc.order, people)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("CheckCycle(%v) = %v, want %q", tc.order, err, tc.want)
		}
	}
	if err := CheckCycle([]int{0}, []MatchPerson{{}}); err == nil {
		t.Errorf("CheckCycle of one participant passed")
	}
}

func BenchmarkMatch5000(b *testing.B) {
	people := randomExchange(matchRNG(99), 5000, 40, 3)
	rng := matchRNG(100)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Match(people, rng); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatch5000HalfGroup(b *testing.B) {
	people := randomExchange(matchRNG(98), 5000, 40, 3)
	halfGroup(people)
	rng := matchRNG(101)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Match(people, rng); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatch16(b *testing.B) {
	people := randomExchange(matchRNG(97), 16, 4, 2)
	rng := matchRNG(102)
	for b.Loop() {
		if _, err := Match(people, rng); err != nil {
			b.Fatal(err)
		}
	}
}
