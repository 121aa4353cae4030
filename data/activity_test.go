package data

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestPerMinute: committed Activity lands in the minute of its commit, old
// minutes fall out of the ring (its size is fixed), and the window is
// clamped to the ring.
func TestPerMinute(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 10, 0, 30, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	db := openTest(t, Options{Now: clock})
	ctx := context.Background()
	count := func(n uint64) {
		t.Helper()
		if err := db.Update(ctx, func(tx Tx) error { db.Activity(tx, "grabs", n); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	count(2)
	count(3)
	set(now.Add(2 * time.Minute))
	count(1)
	start, got := db.PerMinute("grabs", 4)
	if want := []uint64{0, 5, 0, 1}; !slices.Equal(got, want) || !start.Equal(time.Date(2026, 1, 1, 9, 59, 0, 0, time.UTC)) {
		t.Fatalf("PerMinute = %v from %v, want %v from 09:59", got, start, want)
	}
	// A day later the ring slot of 10:00 is reused: the old count is gone.
	set(time.Date(2026, 1, 2, 10, 0, 10, 0, time.UTC))
	count(7)
	if _, got := db.PerMinute("grabs", ActivityMinutes); got[len(got)-1] != 7 || slices.Max(got) != 7 || len(got) != ActivityMinutes {
		t.Fatalf("after a day: last %d, max %d, len %d", got[len(got)-1], slices.Max(got), len(got))
	}
	if _, got := db.PerMinute("grabs", 10*ActivityMinutes); len(got) != ActivityMinutes {
		t.Fatalf("window not clamped: %d minutes", len(got))
	}
	if _, got := db.PerMinute("nothing", 3); !slices.Equal(got, []uint64{0, 0, 0}) {
		t.Fatalf("unknown counter: %v", got)
	}
}
