package lottery

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

// DrawAlgorithm names the draw specification implemented by Draw. A proof
// carries it so that a verifier knows which rules to apply.
//
// luckbox-draw-v1, in short (docs/fairness.md is the full specification,
// with the rules a proof must follow and test vectors):
//
//   - seed: 32 random bytes, committed to when the lottery is created as
//     seed_hash = SHA-256(seed) and revealed after the draw (lowercase hex).
//   - entries: the participants' user ids (id strings: 1 to 64 printable
//     ASCII characters, no space; distinct) in entry order: the order of the
//     current entries' joins; leaving deletes an entry and joining again
//     appends a new one at the end. entries_hash = SHA-256 of every entry
//     followed by "\n", concatenated (an empty list hashes the empty string).
//   - random words: word i (i = 0, 1, 2, ... over the whole draw) is the first 8
//     bytes, read big-endian, of SHA-256(seed ‖ entries_hash ‖ uint64_be(i)),
//     where seed and entries_hash are the raw 32-byte values (72 bytes hashed).
//   - uniform(m), m ≥ 1: limit = 2^64 − (2^64 mod m); take the next words until
//     one is < limit; the result is that word mod m (rejection sampling, so
//     every value in [0, m) is exactly equally likely).
//   - k = min(sum of prize quantities, number of entries); every quantity is
//     at least 1. a = a copy of entries; for i = 0 .. k−1:
//     j = i + uniform(len(a) − i), swap a[i] and a[j]; winner i is a[i] (a
//     partial Fisher–Yates shuffle). Winners are listed in this draw order.
//   - prizes are handed out by walking the prize list in order: the first
//     quantity₁ winners get prize 1, the next quantity₂ get prize 2, and so on.
const DrawAlgorithm = "luckbox-draw-v1"

// Prize is one line of a lottery's prize list: Quantity copies of Name.
type Prize struct {
	Name     string `json:"name"`
	Quantity int    `json:"quantity"`
}

// Winner is one result of a draw: the user who won and the name of the prize.
type Winner struct {
	UserID string `json:"user_id"`
	Prize  string `json:"prize"`
}

// EntriesHash returns SHA-256 of the entries, each followed by "\n".
func EntriesHash(entries []string) [32]byte {
	e := newEntriesHasher()
	for _, id := range entries {
		addEntry(e, id)
	}
	return e.sum()
}

// entriesHasher computes EntriesHash one entry at a time, so a caller reading
// the entries from storage need not hold them all.
type entriesHasher struct {
	h   hash.Hash
	buf []byte // batches small writes; a hash.Hash never fails
}

func newEntriesHasher() *entriesHasher {
	return &entriesHasher{h: sha256.New(), buf: make([]byte, 0, 32<<10)}
}

// addEntry hashes the next entry.
func addEntry[T ~string | ~[]byte](e *entriesHasher, id T) {
	if len(e.buf)+len(id)+1 > cap(e.buf) {
		_, _ = e.h.Write(e.buf)
		e.buf = e.buf[:0]
	}
	if len(id)+1 > cap(e.buf) {
		_, _ = e.h.Write(append([]byte(string(id)), '\n'))
		return
	}
	e.buf = append(append(e.buf, id...), '\n')
}

// sum returns the hash of the entries added.
func (e *entriesHasher) sum() [32]byte {
	_, _ = e.h.Write(e.buf)
	e.buf = e.buf[:0]
	var sum [32]byte
	e.h.Sum(sum[:0])
	return sum
}

// SeedHash returns SHA-256 of the raw 32-byte seed: the commitment a lottery
// publishes when it is created.
func SeedHash(seed [32]byte) [32]byte {
	return sha256.Sum256(seed[:])
}

// Draw picks the winners of a lottery by luckbox-draw-v1 (see DrawAlgorithm).
// entriesHash must be EntriesHash(entries); it is a parameter because callers
// have already computed it for the proof. The result holds
// min(total prize quantity, len(entries)) winners in draw order (never nil),
// each a distinct entry when the entries are distinct. entries is not modified.
func Draw(seed [32]byte, entriesHash [32]byte, entries []string, prizes []Prize) []Winner {
	picks := DrawPicks(seed, entriesHash, len(entries), prizes)
	winners := make([]Winner, len(picks))
	for i, p := range picks {
		winners[i] = Winner{UserID: entries[p.Index], Prize: p.Prize}
	}
	return winners
}

// Pick is one result of DrawPicks: the position of the winning entry in the
// entry list and the name of its prize.
type Pick struct {
	Index int
	Prize string
}

// DrawPicks is Draw over n entries that need not be in memory: it returns the
// positions of the winners in draw order (never nil), so a caller holding the
// entries on disk reads only the winners'. Draw is DrawPicks mapped over the
// entries.
//
// The shuffle is kept sparse (a map of the swapped positions), so drawing k
// winners costs O(k) whatever the number of entries.
func DrawPicks(seed [32]byte, entriesHash [32]byte, n int, prizes []Prize) []Pick {
	k := 0
	for _, p := range prizes {
		if p.Quantity > 0 {
			k += min(p.Quantity, n) // min keeps the sum from overflowing
		}
		if k >= n {
			k = n
			break
		}
	}
	picks := make([]Pick, 0, k)
	if k == 0 {
		return picks
	}
	s := newStream(seed, entriesHash)
	// moved[x] is the entries index now at virtual position x of a; positions
	// missing from the map still hold their original entry.
	moved := make(map[int]int, k)
	at := func(x int) int {
		if v, ok := moved[x]; ok {
			return v
		}
		return x
	}
	prize, left := 0, 0
	for i := range k {
		j := i + int(s.uniform(uint64(n-i)))
		vi, vj := at(i), at(j)
		moved[j] = vi
		delete(moved, i) // position i is final and never read again
		for left == 0 {
			left = max(prizes[prize].Quantity, 0) // a valid list has none < 1; never loop on one
			prize++
		}
		left--
		picks = append(picks, Pick{Index: vj, Prize: prizes[prize-1].Name})
	}
	return picks
}

// stream is the draw's deterministic random word source.
type stream struct {
	buf [72]byte // seed ‖ entries_hash ‖ uint64_be(counter)
	i   uint64
}

func newStream(seed, entriesHash [32]byte) *stream {
	s := &stream{}
	copy(s.buf[:32], seed[:])
	copy(s.buf[32:64], entriesHash[:])
	return s
}

// word returns the next 64-bit word of the stream.
func (s *stream) word() uint64 {
	binary.BigEndian.PutUint64(s.buf[64:], s.i)
	s.i++
	sum := sha256.Sum256(s.buf[:])
	return binary.BigEndian.Uint64(sum[:8])
}

// uniform returns a uniformly distributed value in [0, m), m ≥ 1, by rejection:
// words at or above 2^64 − (2^64 mod m) are discarded.
func (s *stream) uniform(m uint64) uint64 {
	rem := -m % m // 2^64 mod m, computed in 64 bits
	for {
		w := s.word()
		if rem == 0 || w < -rem { // -rem == 2^64 − rem when rem != 0
			return w % m
		}
	}
}
