package datatest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"luckbox/data"
)

func TestClockMovesOnlyWhenTold(t *testing.T) {
	start := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	c := NewClock(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now = %v, want %v", got, start)
	}
	c.Add(90 * time.Second)
	if got, want := c.Now(), start.Add(90*time.Second); !got.Equal(want) {
		t.Fatalf("after Add: %v, want %v", got, want)
	}
	c.Add(-time.Hour)
	if got, want := c.Now(), start.Add(90*time.Second-time.Hour); !got.Equal(want) {
		t.Fatalf("after negative Add: %v, want %v", got, want)
	}
	later := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Set(later)
	if got := c.Now(); !got.Equal(later) {
		t.Fatalf("after Set: %v, want %v", got, later)
	}
	var zero Clock
	if got := zero.Now(); !got.IsZero() {
		t.Fatalf("zero Clock reads %v", got)
	}
}

func TestOpenTempHasBucketsAndClock(t *testing.T) {
	clock := NewClock(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC))
	db := OpenTemp(t, [][]byte{[]byte("a"), []byte("b")}, clock)
	clock.Add(time.Minute)
	if got, want := db.Now(), time.Date(2026, 11, 22, 8, 1, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("db.Now = %v, want %v", got, want)
	}
	err := db.Update(context.Background(), func(tx data.Tx) error {
		return tx.Bucket([]byte("b")).Put([]byte("k"), []byte("v"))
	})
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := db.View(func(tx data.Tx) error {
		if tx.Bucket([]byte("a")) == nil {
			t.Error("bucket a is missing")
		}
		got = string(tx.Bucket([]byte("b")).Get([]byte("k")))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got != "v" {
		t.Fatalf("read %q, want v", got)
	}
	if filepath.Base(db.Path()) != "test.db" {
		t.Fatalf("path %s, want a test.db", db.Path())
	}
}

func TestOpenReopensSamePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "re.db")
	db := Open(t, path, data.Options{Buckets: [][]byte{[]byte("x")}})
	err := db.Update(context.Background(), func(tx data.Tx) error {
		return tx.Bucket([]byte("x")).Put([]byte("k"), []byte("kept"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = Open(t, path, data.Options{Buckets: [][]byte{[]byte("x")}})
	var got string
	_ = db.View(func(tx data.Tx) error { got = string(tx.Bucket([]byte("x")).Get([]byte("k"))); return nil })
	if got != "kept" {
		t.Fatalf("after reopen read %q, want kept", got)
	}
}
