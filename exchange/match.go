package exchange

import (
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
)

// MatchPerson is one gift-exchange participant as the matching sees them; a
// participant is identified by their index in the slice passed to Match.
type MatchPerson struct {
	// Group is the participant's group; "" means no group. Nobody gives to
	// someone in their own non-empty group.
	Group string
	// Exclude lists the indices of participants this one must not give to.
	Exclude []int
}

// NoMatchKind says why Match found no assignment.
type NoMatchKind int

// The reasons Match gives for not finding an assignment. The first ones are
// quick necessary conditions; NoMatchNone is proven by exhaustive search;
// NoMatchNotFound means the search budget ran out.
const (
	// NoMatchTooFew: fewer than 2 participants (Total).
	NoMatchTooFew NoMatchKind = iota + 1
	// NoMatchGroupTooLarge: Group holds Count of Total participants, more than half.
	NoMatchGroupTooLarge
	// NoMatchNoRecipient: People[0] excludes or shares a group with everyone else.
	NoMatchNoRecipient
	// NoMatchNoGiver: everyone else excludes People[0] or shares their group.
	NoMatchNoGiver
	// NoMatchSameOnlyRecipient: People[0] and People[1] can only give to Others[0].
	NoMatchSameOnlyRecipient
	// NoMatchSameOnlyGiver: People[0] and People[1] can only receive from Others[0].
	NoMatchSameOnlyGiver
	// NoMatchClosedLoop: the rules force People[0] to give to People[1], …,
	// and the last of People to give to People[0], a loop that leaves others out.
	NoMatchClosedLoop
	// NoMatchTooFewRecipients: the participants in People can only give to the
	// fewer participants in Others between them.
	NoMatchTooFewRecipients
	// NoMatchNone: an exhaustive search proved that no single loop exists.
	NoMatchNone
	// NoMatchNotFound: the search budget ran out without finding an assignment.
	NoMatchNotFound
)

// NoMatchError reports that no valid gift-exchange assignment exists or none
// was found. Reason is plain English naming participants by index
// ("participant 3"); the fields carry the indices and group so callers can
// name people their own way, most simply with Explain.
type NoMatchError struct {
	Reason string
	Kind   NoMatchKind
	Group  string // NoMatchGroupTooLarge: the group's name
	Count  int    // NoMatchGroupTooLarge: the group's size
	Total  int    // the number of participants
	People []int  // the participants the reason is about (see NoMatchKind)
	Others []int  // the participants they are limited to (see NoMatchKind)
}

// Error returns Reason.
func (e *NoMatchError) Error() string { return e.Reason }

// Explain renders the reason with participants named by name(index), e.g.
// with name returning `"Bob" (row 3)`:
// `"Bob" (row 3) excludes or shares a group with everyone else`.
func (e *NoMatchError) Explain(name func(index int) string) string {
	list := func(idx []int) string {
		const show = 5
		names := make([]string, 0, show+1)
		for i, x := range idx {
			if i == show && len(idx) > show+1 {
				names = append(names, fmt.Sprintf("%d more", len(idx)-show))
				break
			}
			names = append(names, name(x))
		}
		if len(names) == 1 {
			return names[0]
		}
		return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
	switch e.Kind {
	case NoMatchTooFew:
		return fmt.Sprintf("a gift exchange needs at least 2 participants, this one has %d", e.Total)
	case NoMatchGroupTooLarge:
		return fmt.Sprintf("group %q has %d of %d participants; a group may hold at most half", e.Group, e.Count, e.Total)
	case NoMatchNoRecipient:
		return fmt.Sprintf("%s excludes or shares a group with everyone else", name(e.People[0]))
	case NoMatchNoGiver:
		return fmt.Sprintf("everyone else excludes %s or shares a group with them", name(e.People[0]))
	case NoMatchSameOnlyRecipient:
		return fmt.Sprintf("%s can only give to %s", list(e.People), name(e.Others[0]))
	case NoMatchSameOnlyGiver:
		return fmt.Sprintf("%s can only receive from %s", list(e.People), name(e.Others[0]))
	case NoMatchClosedLoop:
		steps := make([]string, len(e.People))
		for i, p := range e.People {
			steps[i] = fmt.Sprintf("%s to give to %s", name(p), name(e.People[(i+1)%len(e.People)]))
		}
		return fmt.Sprintf("the groups and exclusions force %s: a closed loop that leaves out everyone else",
			strings.Join(steps, ", "))
	case NoMatchTooFewRecipients:
		return fmt.Sprintf("%d participants (%s) can only give to %d others between them (%s)",
			len(e.People), list(e.People), len(e.Others), list(e.Others))
	case NoMatchNone:
		return "no assignment exists: the groups and exclusions allow no single loop through everyone"
	default:
		return "no assignment was found: the groups and exclusions may be too strict; try removing some exclusions"
	}
}

func noMatch(e *NoMatchError) *NoMatchError {
	e.Reason = e.Explain(func(i int) string { return fmt.Sprintf("participant %d", i) })
	return e
}

// Match assigns gift-exchange recipients: it returns an order of all
// participant indices in which order[i] gives to order[(i+1) % n]. The order is
// one loop through everyone, so nobody draws themselves and there are no
// closed sub-loops, and nobody gives to someone in their own non-empty group
// or in their Exclude list.
//
// If no assignment exists or none is found, the error is a *NoMatchError
// explaining why (fewer than 2 participants, a group of more than half, a
// participant with no allowed recipient or giver, and so on); an Exclude
// index out of range is a plain error. Up to 16 participants the search is
// exhaustive and the result uniformly random over all valid loops; above that
// a randomized construction with repairs runs under a fixed iteration budget,
// so Match always returns. The result depends only on people and rng.
func Match(people []MatchPerson, rng *rand.Rand) ([]int, error) {
	return match(people, rng, defaultBudget(len(people)))
}

// CheckCycle reports whether order is a valid assignment for people: a
// permutation of all indices (so one loop, nobody giving to themselves) in
// which nobody gives to someone in their own non-empty group or Exclude list.
func CheckCycle(order []int, people []MatchPerson) error {
	n := len(people)
	if n < 2 {
		return fmt.Errorf("check gift exchange: %d participants, need at least 2", n)
	}
	if len(order) != n {
		return fmt.Errorf("check gift exchange: order has %d entries for %d participants", len(order), n)
	}
	seen := make([]bool, n)
	for i, p := range order {
		if p < 0 || p >= n {
			return fmt.Errorf("check gift exchange: position %d holds %d, not a participant index", i, p)
		}
		if seen[p] {
			return fmt.Errorf("check gift exchange: participant %d appears twice", p)
		}
		seen[p] = true
	}
	for i, u := range order {
		v := order[(i+1)%n]
		if g := people[u].Group; g != "" && g == people[v].Group {
			return fmt.Errorf("check gift exchange: participant %d gives to participant %d of the same group %q", u, v, g)
		}
		if slices.Contains(people[u].Exclude, v) {
			return fmt.Errorf("check gift exchange: participant %d gives to participant %d, whom they exclude", u, v)
		}
	}
	return nil
}

// exactLimit is the largest number of participants searched exhaustively.
const exactLimit = 16

// defaultBudget is Match's iteration budget: random moves tried by the
// heuristic search, over all its restarts.
func defaultBudget(n int) int { return 2_000_000 + 200*n }

func match(people []MatchPerson, rng *rand.Rand, budget int) ([]int, error) {
	n := len(people)
	if n < 2 {
		return nil, noMatch(&NoMatchError{Kind: NoMatchTooFew, Total: n})
	}
	if rng == nil {
		return nil, errors.New("match gift exchange: nil random generator")
	}
	m, err := newMatcher(people, rng)
	if err != nil {
		return nil, err
	}
	if e := m.check(); e != nil {
		return nil, e
	}
	if e := m.hall(); e != nil {
		return nil, e
	}
	if n <= exactLimit {
		if order := m.exact(); order != nil {
			return order, nil
		}
		return nil, noMatch(&NoMatchError{Kind: NoMatchNone, Total: n})
	}
	if order := m.search(budget); order != nil {
		return order, nil
	}
	return nil, noMatch(&NoMatchError{Kind: NoMatchNotFound, Total: n})
}

// matcher holds a gift exchange's constraints in the form the search uses.
type matcher struct {
	n     int
	gid   []int32  // group id; everyone without a group has an id of their own
	gname []string // group name by id ("" for people without a group)
	gsize []int32  // group size by id
	excl  [][]int32
	rng   *rand.Rand
}

func newMatcher(people []MatchPerson, rng *rand.Rand) (*matcher, error) {
	n := len(people)
	m := &matcher{n: n, gid: make([]int32, n), excl: make([][]int32, n), rng: rng}
	ids := map[string]int32{}
	for i, p := range people {
		id, ok := ids[p.Group]
		if !ok || p.Group == "" {
			id = int32(len(m.gname))
			m.gname = append(m.gname, p.Group)
			m.gsize = append(m.gsize, 0)
			if p.Group != "" {
				ids[p.Group] = id
			}
		}
		m.gid[i] = id
		m.gsize[id]++
	}
	for i, p := range people {
		var ex []int32
		for _, x := range p.Exclude {
			if x < 0 || x >= n {
				return nil, fmt.Errorf("match gift exchange: participant %d excludes %d, which is not a participant index", i, x)
			}
			if m.gid[x] != m.gid[i] { // self and own group are excluded anyway
				ex = append(ex, int32(x))
			}
		}
		slices.Sort(ex)
		m.excl[i] = slices.Compact(ex)
	}
	return m, nil
}

// allowed reports whether u may give to v.
func (m *matcher) allowed(u, v int32) bool {
	if m.gid[u] == m.gid[v] { // also u == v
		return false
	}
	ex := m.excl[u]
	if len(ex) <= 8 {
		for _, x := range ex {
			if x == v {
				return false
			}
		}
		return true
	}
	_, found := slices.BinarySearch(ex, v)
	return !found
}

// check runs the quick necessary conditions and explains the first that fails.
func (m *matcher) check() *NoMatchError {
	n := m.n
	for id, size := range m.gsize {
		if m.gname[id] != "" && 2*int(size) > n {
			return noMatch(&NoMatchError{Kind: NoMatchGroupTooLarge, Group: m.gname[id], Count: int(size), Total: n})
		}
	}
	out := make([]int, n)
	in := make([]int, n)
	for u := range n {
		out[u] = n - int(m.gsize[m.gid[u]]) - len(m.excl[u])
		in[u] += n - int(m.gsize[m.gid[u]])
		for _, v := range m.excl[u] {
			in[v]--
		}
	}
	for u := range n {
		if out[u] == 0 {
			return noMatch(&NoMatchError{Kind: NoMatchNoRecipient, Total: n, People: []int{u}})
		}
	}
	for v := range n {
		if in[v] == 0 {
			return noMatch(&NoMatchError{Kind: NoMatchNoGiver, Total: n, People: []int{v}})
		}
	}
	// Forced edges: someone with one allowed recipient must give to them, and
	// someone with one allowed giver must receive from them.
	succ := make([]int32, n)
	pred := make([]int32, n)
	for i := range succ {
		succ[i], pred[i] = -1, -1
	}
	for u := range int32(n) {
		if out[u] != 1 {
			continue
		}
		for v := range int32(n) {
			if m.allowed(u, v) {
				if w := pred[v]; w >= 0 {
					return noMatch(&NoMatchError{Kind: NoMatchSameOnlyRecipient, Total: n, People: []int{int(w), int(u)}, Others: []int{int(v)}})
				}
				succ[u], pred[v] = v, u
				break
			}
		}
	}
	for v := range int32(n) {
		if in[v] != 1 {
			continue
		}
		for u := range int32(n) {
			if !m.allowed(u, v) {
				continue
			}
			if pred[v] == u { // already forced from u's side
				break
			}
			if w := succ[u]; w >= 0 {
				return noMatch(&NoMatchError{Kind: NoMatchSameOnlyGiver, Total: n, People: []int{int(w), int(v)}, Others: []int{int(u)}})
			}
			succ[u], pred[v] = v, u
			break
		}
	}
	// Forced edges form paths and loops; a loop short of everyone is fatal.
	done := make([]bool, n)
	for s := range int32(n) {
		if done[s] || succ[s] < 0 {
			continue
		}
		var loop []int
		u := s
		for u >= 0 && !done[u] {
			done[u] = true
			loop = append(loop, int(u))
			u = succ[u]
		}
		if u == s && len(loop) < n {
			return noMatch(&NoMatchError{Kind: NoMatchClosedLoop, Total: n, People: loop})
		}
	}
	return nil
}

// hallOpLimit bounds the work of the Hall check; past it the check gives up
// silently and the search runs anyway.
const hallOpLimit = 20_000_000

// hall looks for a perfect matching of givers to distinct recipients (needed
// for any assignment) with augmenting paths, and if there is none explains it
// by a set of givers with fewer allowed recipients between them (Hall's
// condition). It costs about O(n) on realistic inputs.
func (m *matcher) hall() *NoMatchError {
	n := m.n
	matchOf := make([]int32, n) // recipient -> giver
	gives := make([]int32, n)   // giver -> recipient
	for i := range matchOf {
		matchOf[i], gives[i] = -1, -1
	}
	// free lists the recipients nobody gives to yet; freeAt[v] is v's index.
	free := make([]int32, n)
	freeAt := make([]int32, n)
	for v := range int32(n) {
		free[v], freeAt[v] = v, v
	}
	take := func(u, v int32) {
		if matchOf[v] < 0 {
			last := free[len(free)-1]
			free[freeAt[v]], freeAt[last] = last, freeAt[v]
			free = free[:len(free)-1]
		}
		matchOf[v], gives[u] = u, v
	}
	ops := 0
	// Greedy start: each giver takes the next free allowed recipient after itself.
	for u := range int32(n) {
		for t := int32(1); t < int32(n) && t <= 64; t++ {
			v := (u + t) % int32(n)
			ops++
			if matchOf[v] < 0 && m.allowed(u, v) {
				take(u, v)
				break
			}
		}
	}
	seen := make([]int32, n) // stamp per recipient
	stamp := int32(0)
	var augment func(u int32) bool
	augment = func(u int32) bool {
		for _, v := range free { // a free recipient first
			ops++
			if m.allowed(u, v) {
				take(u, v)
				return true
			}
		}
		for v := range int32(n) {
			if ops > hallOpLimit {
				return false
			}
			ops++
			if seen[v] == stamp || !m.allowed(u, v) {
				continue
			}
			seen[v] = stamp
			if augment(matchOf[v]) {
				take(u, v)
				return true
			}
		}
		return false
	}
	for u := range int32(n) {
		if gives[u] >= 0 {
			continue
		}
		stamp++
		if augment(u) {
			continue
		}
		if ops > hallOpLimit {
			return nil
		}
		// Every recipient reached is matched, to a giver also reached: the
		// givers reached have one recipient fewer than their number.
		people := []int{int(u)}
		var others []int
		for v := range n {
			if seen[v] == stamp {
				others = append(others, v)
				people = append(people, int(matchOf[v]))
			}
		}
		slices.Sort(people)
		return noMatch(&NoMatchError{Kind: NoMatchTooFewRecipients, Total: n, People: people, Others: others})
	}
	return nil
}

// exact counts every valid loop by dynamic programming over subsets (Held–Karp)
// and samples one uniformly at random; nil if there is none. Only for
// n ≤ exactLimit.
func (m *matcher) exact() []int {
	n := m.n
	// Participant 0 starts the loop; subsets are of participants 1..n-1, bit i-1.
	pred := make([]uint32, n) // pred[v]: bit u-1 set if u (≥1) may give to v
	for v := 1; v < n; v++ {
		for u := 1; u < n; u++ {
			if m.allowed(int32(u), int32(v)) {
				pred[v] |= 1 << (u - 1)
			}
		}
	}
	full := uint32(1)<<(n-1) - 1
	// paths[mask*(n-1)+v-1]: paths from 0 through exactly mask, ending at v.
	paths := make([]uint64, int(full+1)*(n-1))
	at := func(mask uint32, v int) *uint64 { return &paths[int(mask)*(n-1)+v-1] }
	for v := 1; v < n; v++ {
		if m.allowed(0, int32(v)) {
			*at(1<<(v-1), v) = 1
		}
	}
	for mask := uint32(1); mask <= full; mask++ {
		for rest := mask; rest != 0; rest &= rest - 1 {
			v := bits.TrailingZeros32(rest) + 1
			prev := mask &^ (1 << (v - 1))
			if prev == 0 {
				continue
			}
			var c uint64
			for us := prev & pred[v]; us != 0; us &= us - 1 {
				c += *at(prev, bits.TrailingZeros32(us)+1)
			}
			*at(mask, v) = c
		}
	}
	// Walk back from a uniformly chosen loop: pick the last participant, then
	// each predecessor, with probability proportional to the paths through it.
	pick := func(mask uint32, cands uint32) int {
		var total uint64
		for us := cands; us != 0; us &= us - 1 {
			total += *at(mask, bits.TrailingZeros32(us)+1)
		}
		if total == 0 {
			return -1
		}
		r := m.rng.Uint64N(total)
		for us := cands; ; us &= us - 1 {
			v := bits.TrailingZeros32(us) + 1
			if c := *at(mask, v); r < c {
				return v
			}
			r -= *at(mask, v)
		}
	}
	var toZero uint32
	for v := 1; v < n; v++ {
		if m.allowed(int32(v), 0) {
			toZero |= 1 << (v - 1)
		}
	}
	order := make([]int, n)
	mask := full
	v := pick(mask, toZero)
	if v < 0 {
		return nil
	}
	for i := n - 1; i >= 1; i-- {
		order[i] = v
		mask &^= 1 << (v - 1)
		if mask != 0 {
			v = pick(mask, mask&pred[v])
		}
	}
	return order
}

// search builds loops with greedy, then repairs their forbidden links with
// random local moves, restarting when progress stalls, until budget moves have
// been tried. A valid loop is then shuffled further by random valid moves.
func (m *matcher) search(budget int) []int {
	n := m.n
	stallLimit := 20*n + 20_000
	c := &loop{m: m, next: make([]int32, n), prev: make([]int32, n), badAt: make([]int32, n)}
	for budget > 0 {
		c.reset(m.greedy())
		best, stall := c.total, 0
		for len(c.bad) > 0 && budget > 0 && stall < stallLimit {
			budget--
			c.repairMove()
			if c.total < best {
				best, stall = c.total, 0
			} else {
				stall++
			}
		}
		if len(c.bad) == 0 {
			for range 20 * n {
				c.mixMove()
			}
			return c.order()
		}
	}
	return nil
}

// greedy orders everyone so that no two neighbours (the last and the first
// included, in all but rare cases) share a group: it always takes a member of
// the largest remaining group other than the previous one, preferring the
// first group on ties, otherwise breaking ties at random. Members of a group
// come in random order.
func (m *matcher) greedy() []int32 {
	n, rng := m.n, m.rng
	groups := len(m.gsize)
	members := make([][]int32, groups)
	for u, g := range m.gid {
		members[g] = append(members[g], int32(u))
	}
	maxSize := 0
	for _, ms := range members {
		rng.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
		maxSize = max(maxSize, len(ms))
	}
	// buckets[c] lists the groups with c members left; pos[g] is g's index
	// there. Bit c of filled is set when buckets[c] is not empty (c ≥ 1).
	buckets := make([][]int32, maxSize+1)
	filled := make([]uint64, maxSize/64+1)
	pos := make([]int, groups)
	for g, ms := range members {
		pos[g] = len(buckets[len(ms)])
		buckets[len(ms)] = append(buckets[len(ms)], int32(g))
		filled[len(ms)/64] |= 1 << (len(ms) % 64)
	}
	// below returns the largest c' < c with a non-empty bucket, or 0.
	below := func(c int) int {
		c--
		w := c / 64
		word := filled[w] & (1<<(c%64+1) - 1)
		for word == 0 && w > 0 {
			w--
			word = filled[w]
		}
		if word == 0 {
			return 0
		}
		return w*64 + 63 - bits.LeadingZeros64(word)
	}
	top := maxSize
	order := make([]int32, 0, n)
	prevG, firstG := int32(-1), int32(-1)
	choose := func(c int) int32 { // a group from bucket c other than prevG, or -1
		b := buckets[c]
		if firstG >= 0 && firstG != prevG && len(members[firstG]) == c {
			return firstG
		}
		switch {
		case len(b) == 0:
			return -1
		case prevG < 0 || len(members[prevG]) != c:
			return b[rng.IntN(len(b))]
		case len(b) == 1:
			return -1
		}
		i := rng.IntN(len(b) - 1)
		if i >= pos[prevG] {
			i++
		}
		return b[i]
	}
	for range n {
		for len(buckets[top]) == 0 {
			top--
		}
		g := choose(top)
		if g < 0 { // the top bucket holds only prevG
			if c := below(top); c > 0 {
				g = choose(c)
			} else {
				g = prevG // only the previous group is left; repairs will fix it
			}
		}
		// Move g from its bucket to the one below.
		c := len(members[g])
		b := buckets[c]
		last := b[len(b)-1]
		b[pos[g]], pos[last] = last, pos[g]
		buckets[c] = b[:len(b)-1]
		if len(buckets[c]) == 0 {
			filled[c/64] &^= 1 << (c % 64)
		}
		pos[g] = len(buckets[c-1])
		buckets[c-1] = append(buckets[c-1], g)
		if c > 1 {
			filled[(c-1)/64] |= 1 << ((c - 1) % 64)
		}

		order = append(order, members[g][c-1])
		members[g] = members[g][:c-1]
		prevG = g
		if firstG < 0 {
			firstG = g
		}
	}
	return order
}

// loop is a cycle through everyone as a doubly linked ring, with the set of
// forbidden links (by their giver) kept up to date.
type loop struct {
	m          *matcher
	next, prev []int32
	bad        []int32 // givers whose link to next is forbidden
	badAt      []int32 // index in bad, or -1
	total      int     // sum of the costs of all links
}

func (c *loop) reset(order []int32) {
	n := len(order)
	c.bad, c.total = c.bad[:0], 0
	for i, u := range order {
		v := order[(i+1)%n]
		c.next[u], c.prev[v] = v, u
		c.badAt[u] = -1
	}
	for _, u := range order {
		c.update(u)
		c.total += c.cost(u, c.next[u])
	}
}

// groupCost is the cost of a link within a group, so high that no number of
// excluded links outweighs it: the repairs never trade a group conflict for
// exclusions, which keeps tight group structures (a group of exactly half)
// intact while exclusions are fixed.
const groupCost = 1 << 24

// cost is the cost of u giving to v: 0 if allowed, 1 if u excludes v,
// groupCost if they share a group.
func (c *loop) cost(u, v int32) int {
	switch {
	case c.m.gid[u] == c.m.gid[v]:
		return groupCost
	case c.m.allowed(u, v):
		return 0
	}
	return 1
}

// update records whether u's link to next[u] is forbidden.
func (c *loop) update(u int32) {
	isBad := !c.m.allowed(u, c.next[u])
	switch at := c.badAt[u]; {
	case isBad && at < 0:
		c.badAt[u] = int32(len(c.bad))
		c.bad = append(c.bad, u)
	case !isBad && at >= 0:
		last := c.bad[len(c.bad)-1]
		c.bad[at], c.badAt[last] = last, at
		c.bad = c.bad[:len(c.bad)-1]
		c.badAt[u] = -1
	}
}

// order returns the loop as a list starting at participant 0.
func (c *loop) order() []int {
	out := make([]int, 0, len(c.next))
	u := int32(0)
	for range len(c.next) {
		out = append(out, int(u))
		u = c.next[u]
	}
	return out
}

// relocateDelta is the change in forbidden links if x moves between a and
// next[a]; a must not be x or prev[x].
func (c *loop) relocateDelta(x, a int32) int {
	p, s, b := c.prev[x], c.next[x], c.next[a]
	return c.cost(p, s) + c.cost(a, x) + c.cost(x, b) - c.cost(p, x) - c.cost(x, s) - c.cost(a, b)
}

func (c *loop) relocate(x, a int32) {
	p, s := c.prev[x], c.next[x]
	c.next[p], c.prev[s] = s, p
	b := c.next[a]
	c.next[a], c.prev[x] = x, a
	c.next[x], c.prev[b] = b, x
	c.update(p)
	c.update(a)
	c.update(x)
}

// swapPlan describes exchanging the places of x and y: the givers whose next
// changes, with their new next.
type swapPlan struct {
	tails [4]int32
	heads [4]int32
	k     int
}

func (c *loop) planSwap(x, y int32) (swapPlan, int) {
	sigma := func(t int32) int32 {
		switch t {
		case x:
			return y
		case y:
			return x
		}
		return t
	}
	var p swapPlan
	delta := 0
	for _, t := range [4]int32{c.prev[x], x, c.prev[y], y} {
		if slices.Contains(p.tails[:p.k], t) {
			continue
		}
		h := sigma(c.next[sigma(t)])
		p.tails[p.k], p.heads[p.k] = t, h
		p.k++
		delta += c.cost(t, h) - c.cost(t, c.next[t])
	}
	return p, delta
}

func (c *loop) applySwap(p swapPlan) {
	for i := range p.k {
		c.next[p.tails[i]] = p.heads[i]
	}
	for i := range p.k {
		c.prev[p.heads[i]] = p.tails[i]
	}
	for i := range p.k {
		c.update(p.tails[i])
	}
}

// repairMove tries one random move around a random forbidden link: moving
// one of its two ends elsewhere, or swapping one of them with someone. Moves
// that do not raise the total cost are taken; moves adding one excluded link
// only rarely, to escape dead ends.
func (c *loop) repairMove() {
	rng, n := c.m.rng, int32(c.m.n)
	u := c.bad[rng.IntN(len(c.bad))]
	x := u
	kind := rng.IntN(4)
	if kind&1 == 0 {
		x = c.next[u]
	}
	accept := func(delta int) bool {
		return delta <= 0 || (delta == 1 && rng.IntN(64) == 0)
	}
	if kind < 2 {
		a := rng.Int32N(n)
		if a == x || a == c.prev[x] {
			return
		}
		if delta := c.relocateDelta(x, a); accept(delta) {
			c.relocate(x, a)
			c.total += delta
		}
		return
	}
	y := rng.Int32N(n)
	if y == x {
		return
	}
	if p, delta := c.planSwap(x, y); accept(delta) {
		c.applySwap(p)
		c.total += delta
	}
}

// mixMove tries one uniformly random move (relocating anyone anywhere, or
// swapping any two) on a valid loop and keeps it only if the loop stays valid.
// The moves are symmetric, so repeating this drifts towards every valid loop
// being equally likely.
func (c *loop) mixMove() {
	rng, n := c.m.rng, int32(c.m.n)
	x := rng.Int32N(n)
	if rng.IntN(2) == 0 {
		a := rng.Int32N(n)
		if a != x && a != c.prev[x] && c.relocateDelta(x, a) == 0 {
			c.relocate(x, a)
		}
		return
	}
	y := rng.Int32N(n)
	if y == x {
		return
	}
	if p, delta := c.planSwap(x, y); delta == 0 {
		c.applySwap(p)
	}
}
