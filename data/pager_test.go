package data

import (
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestNewestFirstPages lists one prefix of a bucket holding three lists,
// page by page: newest first, no item twice or missed, skipped items not
// counted, other prefixes never seen, and a cursor that still works after
// newer items arrive.
func TestNewestFirstPages(t *testing.T) {
	db := openTest(t, Options{})
	put := func(owner, seq uint64) {
		t.Helper()
		if err := db.Bolt().Update(func(tx *bolt.Tx) error {
			return tx.Bucket(testBucket).Put(Key(U64(owner), U64(seq)), []byte(fmt.Sprint(seq)))
		}); err != nil {
			t.Fatal(err)
		}
	}
	for seq := uint64(1); seq <= 23; seq++ {
		put(1, seq*10)
		put(2, seq)
		put(3, seq)
	}
	// Items whose sequence ends in 50 are "deleted": skipped, not counted.
	page := func(cursor string) (seqs []uint64, next string) {
		t.Helper()
		from, err := ParseCursor(cursor)
		if err != nil {
			t.Fatalf("cursor %q: %v", cursor, err)
		}
		err = db.View(func(tx Tx) error {
			next, err = NewestFirst(tx.Bucket(testBucket).Cursor(), U64(2), from, 5, func(seq uint64, v []byte) (bool, error) {
				if string(v) != fmt.Sprint(seq) {
					return false, fmt.Errorf("value %q for %d", v, seq)
				}
				if seq%10 == 5 {
					return false, nil
				}
				seqs = append(seqs, seq)
				return true, nil
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return seqs, next
	}
	var all []uint64
	cursor := ""
	for i := 0; ; i++ {
		seqs, next := page(cursor)
		if len(seqs) > 5 {
			t.Fatalf("page %d holds %d items", i, len(seqs))
		}
		all = append(all, seqs...)
		if i == 0 {
			put(2, 24) // newer than the first page: the next page is unchanged by it
		}
		if next == "" {
			break
		}
		cursor = next
	}
	want := []uint64{23, 22, 21, 20, 19, 18, 17, 16, 14, 13, 12, 11, 10, 9, 8, 7, 6, 4, 3, 2, 1}
	if fmt.Sprint(all) != fmt.Sprint(want) {
		t.Fatalf("listed %v, want %v", all, want)
	}
	if seqs, _ := page(""); seqs[0] != 24 {
		t.Fatalf("first page after a new item starts at %d", seqs[0])
	}
}

func TestParseCursorRefusesForeignText(t *testing.T) {
	for _, c := range []string{"x", "0", "-1", "01", "1.5", " 7", "18446744073709551616"} {
		if _, err := ParseCursor(c); ErrorCode(err) != EInvalid {
			t.Errorf("ParseCursor(%q) = %v, want invalid_argument", c, err)
		}
	}
	if from, err := ParseCursor(""); err != nil || from != FirstPage {
		t.Errorf("first page: %d %v", from, err)
	}
}

// TestInOrderPages lists a prefix forwards, two at a time, from the start.
func TestInOrderPages(t *testing.T) {
	db := openTest(t, Options{})
	if err := db.Bolt().Update(func(tx *bolt.Tx) error {
		for owner := uint64(1); owner <= 3; owner++ {
			for seq := uint64(0); seq < 5; seq++ {
				if err := tx.Bucket(testBucket).Put(Key(U64(owner), U64(seq)), nil); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var all []uint64
	cursor := ""
	for range 10 {
		from, err := ParseForwardCursor(cursor)
		if err != nil {
			t.Fatal(err)
		}
		err = db.View(func(tx Tx) error {
			cursor, err = InOrder(tx.Bucket(testBucket).Cursor(), U64(2), from, 2, func(seq uint64, _ []byte) (bool, error) {
				all = append(all, seq)
				return true, nil
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if cursor == "" {
			break
		}
	}
	if fmt.Sprint(all) != "[0 1 2 3 4]" {
		t.Fatalf("listed %v", all)
	}
}
