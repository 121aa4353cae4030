package data

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestIDRoundTrip(t *testing.T) {
	cases := [][2]uint64{{1, 0}, {1, 1}, {42, 0xdeadbeefcafebabe}, {math.MaxUint64, math.MaxUint64}, {1 << 32, 7}}
	seen := map[string]bool{}
	for _, c := range cases {
		id := EncodeID(c[0], c[1])
		if len(id) != IDLen || strings.ToLower(id) != id || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz234567") != "" {
			t.Errorf("EncodeID(%d, %d) = %q: not %d lowercase base32 characters", c[0], c[1], id, IDLen)
		}
		seq, tag, ok := DecodeID(id)
		if !ok || seq != c[0] || tag != c[1] {
			t.Errorf("DecodeID(%q) = %d, %d, %v; want %d, %d", id, seq, tag, ok, c[0], c[1])
		}
		if seen[id] {
			t.Errorf("duplicate id %q", id)
		}
		seen[id] = true
	}
	if EncodeID(1, 2) == EncodeID(1, 3) || EncodeID(1, 2) == EncodeID(2, 2) {
		t.Error("different records share an id")
	}
}

func TestDecodeIDRejectsMalformed(t *testing.T) {
	good := EncodeID(42, 99)
	bad := map[string]string{
		"empty":      "",
		"too short":  good[:IDLen-1],
		"too long":   good + "a",
		"uppercase":  strings.ToUpper(good),
		"one upper":  "A" + good[1:],
		"digit 0":    "0" + good[1:],
		"digit 1":    "1" + good[1:],
		"digit 8":    "8" + good[1:],
		"dash":       "-" + good[1:],
		"padding":    good[:IDLen-1] + "=",
		"seq zero":   EncodeID(0, 99),
		"non-canon":  good[:IDLen-1] + string(rune(good[IDLen-1]+1)), // spare low bits set
		"unicode":    "é" + good[2:],
		"whitespace": " " + good[1:],
	}
	for name, id := range bad {
		if seq, tag, ok := DecodeID(id); ok || seq != 0 || tag != 0 {
			t.Errorf("%s: DecodeID(%q) = %d, %d, %v; want rejected", name, id, seq, tag, ok)
		}
	}
	if _, _, ok := DecodeID(good); !ok {
		t.Fatalf("DecodeID(%q) rejected a good id", good)
	}
}

func TestNewTag(t *testing.T) {
	// Zero tags are skipped.
	r := bytes.NewReader(append(make([]byte, 8), 0, 0, 0, 0, 0, 0, 0, 5))
	if tag, err := NewTag(r); err != nil || tag != 5 {
		t.Fatalf("NewTag = %d, %v; want 5", tag, err)
	}
	if _, err := NewTag(bytes.NewReader([]byte{1, 2, 3})); err == nil {
		t.Fatal("NewTag of a short reader succeeded")
	}
	if _, err := NewTag(errReader{}); !errors.Is(err, errRead) {
		t.Fatalf("NewTag error = %v, want the reader's", err)
	}
	a, errA := NewTag(nil)
	b, errB := NewTag(nil)
	if errA != nil || errB != nil || a == 0 || a == b {
		t.Fatalf("NewTag(nil) = %d, %d (%v, %v)", a, b, errA, errB)
	}
}

var errRead = errors.New("entropy exhausted")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errRead }
