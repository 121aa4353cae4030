package data

import (
	"encoding/base32"
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"
)

// idEncoding is the standard encoder the hand-rolled ones must agree with.
var idEncoding = base32.NewEncoding(idAlphabet).WithPadding(base32.NoPadding)

// referenceDecodeID is DecodeID written with encoding/base32 (its first
// version): the hand-rolled one must agree with it on every input.
func referenceDecodeID(id string) (seq, tag uint64, ok bool) {
	if len(id) != IDLen || strings.ToLower(id) != id {
		return 0, 0, false
	}
	b, err := idEncoding.DecodeString(id)
	if err != nil || len(b) != 16 {
		return 0, 0, false
	}
	seq, tag = binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	if seq == 0 || EncodeID(seq, tag) != id {
		return 0, 0, false
	}
	return seq, tag, true
}

// TestDecodeIDIsBase32 checks DecodeID against the encoding/base32
// reference on ids, ids with one character changed to every byte, and
// random strings of the alphabet.
func TestDecodeIDIsBase32(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	check := func(id string) {
		s1, t1, ok1 := DecodeID(id)
		s2, t2, ok2 := referenceDecodeID(id)
		if s1 != s2 || t1 != t2 || ok1 != ok2 {
			t.Fatalf("DecodeID(%q) = %d, %d, %v; the reference says %d, %d, %v", id, s1, t1, ok1, s2, t2, ok2)
		}
	}
	for range 2000 {
		id := []byte(EncodeID(r.Uint64(), r.Uint64()))
		check(string(id))
		pos := r.IntN(IDLen)
		for c := range 256 {
			id2 := append([]byte(nil), id...)
			id2[pos] = byte(c)
			check(string(id2))
		}
		for i := range id {
			id[i] = idAlphabet[r.IntN(32)]
		}
		check(string(id))
	}
}

// TestDecodeIDAllocates nothing.
func TestDecodeIDAllocates(t *testing.T) {
	id := EncodeID(42, 99)
	if n := testing.AllocsPerRun(100, func() { DecodeID(id) }); n != 0 {
		t.Fatalf("DecodeID allocates %v times", n)
	}
}

// TestAppendIDIsBase32 checks the hand-rolled encoder (behind EncodeID too)
// against encoding/base32 over the same 16 bytes.
func TestAppendIDIsBase32(t *testing.T) {
	cases := [][2]uint64{{0, 0}, {1, 1}, {42, 0x9e3779b97f4a7c15}, {1<<64 - 1, 1<<64 - 1}, {1 << 63, 1}, {1, 1 << 63}}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		cases = append(cases, [2]uint64{r.Uint64(), r.Uint64()})
	}
	for _, c := range cases {
		var raw [16]byte
		binary.BigEndian.PutUint64(raw[:8], c[0])
		binary.BigEndian.PutUint64(raw[8:], c[1])
		want := "x" + idEncoding.EncodeToString(raw[:])
		if got := string(AppendID([]byte("x"), c[0], c[1])); got != want {
			t.Fatalf("AppendID(%d, %d) = %q, want %q", c[0], c[1], got, want)
		}
		if got := EncodeID(c[0], c[1]); "x"+got != want {
			t.Fatalf("EncodeID(%d, %d) = %q, want %q", c[0], c[1], got, want[1:])
		}
	}
}

func BenchmarkAppendID(b *testing.B) {
	buf := make([]byte, 0, IDLen)
	for i := range uint64(b.N) {
		buf = AppendID(buf[:0], i, i*0x9e3779b97f4a7c15)
	}
}
