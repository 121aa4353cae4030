package data

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

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
