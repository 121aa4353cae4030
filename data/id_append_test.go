package data

import "testing"

func TestAppendIDIsEncodeID(t *testing.T) {
	for _, c := range [][2]uint64{{1, 1}, {42, 0x9e3779b97f4a7c15}, {1<<64 - 1, 1<<64 - 1}} {
		got := string(AppendID([]byte("x"), c[0], c[1]))
		if want := "x" + EncodeID(c[0], c[1]); got != want {
			t.Errorf("AppendID(%d, %d) = %q, want %q", c[0], c[1], got, want)
		}
	}
}
