package data

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestCountOnlyCommitted: Count adds after the commit, once per committed
// operation, and not at all for an operation whose transaction failed.
func TestCountOnlyCommitted(t *testing.T) {
	db := openTest(t, Options{})
	ctx := context.Background()
	for range 3 {
		if err := db.Update(ctx, func(tx Tx) error { db.Count(tx, "grabs", 2); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	failed := db.Update(ctx, func(tx Tx) error {
		db.Count(tx, "grabs", 100)
		return errors.New("storage failure")
	})
	if failed == nil {
		t.Fatal("failing op succeeded")
	}
	if err := db.Update(ctx, func(tx Tx) error { db.Count(tx, "refunds", 1); return nil }); err != nil {
		t.Fatal(err)
	}
	got := db.Counts()
	if got["grabs"] != 6 || got["refunds"] != 1 || len(got) != 2 {
		t.Fatalf("Counts = %v, want grabs 6, refunds 1", got)
	}
}

// TestOnCommitAndOnDeliverHooks: the metric hooks see every commit and every
// delivery attempt with its outcome.
func TestOnCommitAndOnDeliverHooks(t *testing.T) {
	var mu sync.Mutex
	var ops int
	var delivered []string
	db := openTest(t, Options{
		OnCommit: func(n int, _ time.Duration) { mu.Lock(); ops += n; mu.Unlock() },
		OnDeliver: func(kind string, err error) {
			mu.Lock()
			defer mu.Unlock()
			outcome := "ok"
			if err != nil {
				outcome = err.Error()
			}
			delivered = append(delivered, kind+":"+outcome)
		},
	})
	bg := db.NewBackground()
	tries := 0
	bg.HandleOutbox("flaky", func(context.Context, Message) error {
		mu.Lock()
		defer mu.Unlock()
		tries++
		if tries == 1 {
			return Permanent(errors.New("bad openid"))
		}
		return nil
	})
	runBackground(t, bg)
	var id uint64
	for range 2 {
		if err := db.Update(context.Background(), enqueueOp(db, "flaky", 1, &id)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "delivery", func() bool { mu.Lock(); defer mu.Unlock(); return len(delivered) == tries && tries > 0 })
	}
	waitFor(t, "both deliveries", func() bool { mu.Lock(); defer mu.Unlock(); return len(delivered) == 2 })
	mu.Lock()
	defer mu.Unlock()
	if delivered[0] != "flaky:bad openid" || delivered[1] != "flaky:ok" {
		t.Fatalf("deliveries = %q", delivered)
	}
	if ops < 2 {
		t.Fatalf("OnCommit saw %d operations, want at least the 2 enqueues", ops)
	}
}
