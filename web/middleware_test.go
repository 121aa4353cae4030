package web

import (
	"regexp"
	"testing"
)

// TestRequestIDs: the server's ids are 24 hex digits, all different in a
// process, and share their prefix only within it.
func TestRequestIDs(t *testing.T) {
	hexID := regexp.MustCompile(`^[0-9a-f]{24}$`)
	seen := map[string]bool{}
	for range 100000 {
		id := requestIDs.next()
		if !hexID.MatchString(id) || seen[id] {
			t.Fatalf("id %q: not 24 hex digits or seen before", id)
		}
		seen[id] = true
	}
	a, b := requestIDs.next(), requestIDs.next()
	if a[:12] != b[:12] || a[12:] == b[12:] {
		t.Fatalf("ids of one process: %s %s", a, b)
	}
	other := &requestIDSource{prefix: [6]byte{1, 2, 3, 4, 5, 6}}
	if c := other.next(); c != "010203040506000000000001" {
		t.Fatalf("first id of a source with prefix 010203040506: %s", c)
	}
}
