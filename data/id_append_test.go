package data

import (
	"math/rand/v2"
	"testing"
)

func TestAppendIDIsEncodeID(t *testing.T) {
	cases := [][2]uint64{{0, 0}, {1, 1}, {42, 0x9e3779b97f4a7c15}, {1<<64 - 1, 1<<64 - 1}, {1 << 63, 1}, {1, 1 << 63}}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		cases = append(cases, [2]uint64{r.Uint64(), r.Uint64()})
	}
	for _, c := range cases {
		got := string(AppendID([]byte("x"), c[0], c[1]))
		if want := "x" + EncodeID(c[0], c[1]); got != want {
			t.Fatalf("AppendID(%d, %d) = %q, want %q", c[0], c[1], got, want)
		}
	}
}

func BenchmarkAppendID(b *testing.B) {
	buf := make([]byte, 0, IDLen)
	for i := range uint64(b.N) {
		buf = AppendID(buf[:0], i, i*0x9e3779b97f4a7c15)
	}
}
