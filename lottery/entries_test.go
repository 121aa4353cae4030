package lottery

import (
	"context"
	"fmt"
	"testing"

	"luckbox/data"
)

// TestEntriesDigestAndAt checks the draw's list-free reads against the list:
// after joins and leaves (gaps in the entry keys), entriesDigest is
// EntriesHash of readEntries with its length, and entriesAt returns the ids
// at the asked positions.
func TestEntriesDigestAndAt(t *testing.T) {
	f := newFixture(t, Options{})
	creator := f.user("creator")
	l := f.create(creator, manual(Prize{"Gold", 3}))
	for i := range 40 {
		u := f.user(fmt.Sprintf("u%d", i))
		f.join(l.ID, u)
		if i%7 == 3 {
			if err := f.svc.Leave(context.Background(), l.ID, u.Seq); err != nil {
				t.Fatal(err)
			}
		}
	}
	seq, _, _ := data.DecodeID(l.ID)
	err := f.db.View(func(tx data.Tx) error {
		list := readEntries(tx, seq, 0)
		if len(list) != 40-6 {
			t.Fatalf("%d entries, want 34", len(list))
		}
		sum, n := entriesDigest(tx, seq)
		if n != len(list) || sum != EntriesHash(list) {
			t.Errorf("entriesDigest = %x, %d; want %x, %d", sum, n, EntriesHash(list), len(list))
		}
		positions := []int{0, 5, 33, 17}
		got := entriesAt(tx, seq, positions)
		for _, p := range positions {
			if e := got[p]; data.EncodeID(e.user, e.tag) != list[p] {
				t.Errorf("entriesAt[%d] = %+v, want %q", p, e, list[p])
			}
		}
		if len(got) != len(positions) {
			t.Errorf("entriesAt returned %d ids, want %d", len(got), len(positions))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
