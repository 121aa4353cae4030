package data

import (
	"context"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func begin(t *testing.T, db *DB, scope, key, hash string) (IdemRecord, IdemState) {
	t.Helper()
	rec, st, err := db.BeginIdempotent(context.Background(), scope, key, hash)
	if err != nil {
		t.Fatalf("BeginIdempotent(%s, %s): %v", scope, key, err)
	}
	return rec, st
}

func TestIdempotencyLifecycle(t *testing.T) {
	clk := newFakeClock()
	t0 := clk.Now()
	db := openTest(t, Options{Now: clk.Now})
	ctx := context.Background()

	if _, st := begin(t, db, "user:1", "k1", "h1"); st != IdemNew {
		t.Fatalf("first Begin = %v, want IdemNew", st)
	}
	if _, st := begin(t, db, "user:1", "k1", "h1"); st != IdemInProgress {
		t.Fatalf("Begin while running = %v, want IdemInProgress", st)
	}
	if _, st := begin(t, db, "user:1", "k1", "h2"); st != IdemMismatch {
		t.Fatalf("Begin with another body while running = %v, want IdemMismatch", st)
	}
	// The same key in another scope is another request.
	if _, st := begin(t, db, "user:2", "k1", "h9"); st != IdemNew {
		t.Fatalf("Begin in another scope = %v, want IdemNew", st)
	}

	clk.Advance(time.Second)
	// The caller stores only the response; the reservation's hash is kept.
	resp := IdemRecord{Status: 201, ContentType: "application/json", Body: []byte(`{"id":"x"}`)}
	if err := db.FinishIdempotent(ctx, "user:1", "k1", resp); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	rec, st := begin(t, db, "user:1", "k1", "h1")
	if st != IdemReplay {
		t.Fatalf("Begin after Finish = %v, want IdemReplay", st)
	}
	if rec.Status != 201 || rec.ContentType != "application/json" || string(rec.Body) != `{"id":"x"}` ||
		!rec.Done || rec.BodyHash != "h1" || !rec.Created.Equal(t0.Add(time.Second)) {
		t.Fatalf("replayed %+v", rec)
	}
	if _, st := begin(t, db, "user:1", "k1", "h2"); st != IdemMismatch {
		t.Fatalf("Begin with another body after Finish = %v, want IdemMismatch", st)
	}

	// Replayed until the TTL ends, then the key is free again.
	clk.Advance(IdempotencyTTL - time.Hour - time.Nanosecond)
	if _, st := begin(t, db, "user:1", "k1", "h1"); st != IdemReplay {
		t.Fatalf("Begin just before the TTL = %v, want IdemReplay", st)
	}
	clk.Advance(time.Nanosecond)
	if _, st := begin(t, db, "user:1", "k1", "h2"); st != IdemNew {
		t.Fatalf("Begin after the TTL = %v, want IdemNew", st)
	}
}

func TestIdempotencyAbort(t *testing.T) {
	clk := newFakeClock()
	db := openTest(t, Options{Now: clk.Now})
	begin(t, db, "s", "k", "h")
	if err := db.AbortIdempotent(context.Background(), "s", "k"); err != nil {
		t.Fatal(err)
	}
	if _, st := begin(t, db, "s", "k", "h"); st != IdemNew {
		t.Fatalf("Begin after Abort = %v, want IdemNew", st)
	}
	if _, st := begin(t, db, "s", "k", "h"); st != IdemInProgress {
		t.Fatalf("Begin after the new reservation = %v, want IdemInProgress", st)
	}
	if err := db.AbortIdempotent(context.Background(), "s", "absent"); err != nil {
		t.Fatalf("Abort of an absent key: %v", err)
	}
}

// TestIdempotencyStaleReservation: a reservation never finished (a crashed
// request) can be taken over after a minute.
func TestIdempotencyStaleReservation(t *testing.T) {
	clk := newFakeClock()
	db := openTest(t, Options{Now: clk.Now})
	begin(t, db, "s", "k", "h")
	clk.Advance(idemStale - time.Second)
	if _, st := begin(t, db, "s", "k", "h"); st != IdemInProgress {
		t.Fatalf("Begin before staleness = %v, want IdemInProgress", st)
	}
	clk.Advance(time.Second)
	if _, st := begin(t, db, "s", "k", "h"); st != IdemNew {
		t.Fatalf("Begin on a stale reservation = %v, want IdemNew", st)
	}
}

// TestIdempotencyConcurrentBegin: of many simultaneous identical requests
// exactly one runs.
func TestIdempotencyConcurrentBegin(t *testing.T) {
	db := openTest(t, Options{})
	const n = 32
	states := make([]IdemState, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, st, err := db.BeginIdempotent(context.Background(), "s", "k", "h")
			if err != nil {
				t.Error(err)
			}
			states[i] = st
		}()
	}
	wg.Wait()
	count := map[IdemState]int{}
	for _, st := range states {
		count[st]++
	}
	if count[IdemNew] != 1 || count[IdemInProgress] != n-1 {
		t.Fatalf("states = %v, want 1 new and %d in progress", count, n-1)
	}
}

func TestSweepIdempotency(t *testing.T) {
	clk := newFakeClock()
	db := openTest(t, Options{Now: clk.Now})
	ctx := context.Background()
	begin(t, db, "s", "old", "h")
	if err := db.FinishIdempotent(ctx, "s", "old", IdemRecord{Status: 200}); err != nil {
		t.Fatal(err)
	}
	begin(t, db, "s", "old-unfinished", "h")
	clk.Advance(23 * time.Hour)
	begin(t, db, "s", "recent", "h")
	if err := db.FinishIdempotent(ctx, "s", "recent", IdemRecord{Status: 200}); err != nil {
		t.Fatal(err)
	}
	if n, err := db.SweepIdempotency(ctx); err != nil || n != 0 {
		t.Fatalf("sweep before expiry = %d, %v; want 0", n, err)
	}
	clk.Advance(time.Hour + time.Second)
	n, err := db.SweepIdempotency(ctx)
	if err != nil || n != 2 {
		t.Fatalf("sweep = %d, %v; want 2", n, err)
	}
	var keys []string
	_ = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketIdem).ForEach(func(k, _ []byte) error {
			keys = append(keys, string(k))
			return nil
		})
	})
	if len(keys) != 1 || keys[0] != "s\x00recent" {
		t.Fatalf("left %q, want only s/recent", keys)
	}
	if rec, st := begin(t, db, "s", "recent", "h"); st != IdemReplay || rec.Status != 200 {
		t.Fatalf("recent after sweep = %v %+v, want replay", st, rec)
	}
}

// TestBackgroundSweepsIdempotency: Background.Run sweeps at start.
func TestBackgroundSweepsIdempotency(t *testing.T) {
	clk := newFakeClock()
	db := openTest(t, Options{Now: clk.Now})
	begin(t, db, "s", "k", "h")
	clk.Advance(IdempotencyTTL + time.Second)
	runBackground(t, db.NewBackground())
	waitFor(t, "sweep", func() bool {
		var n int
		_ = db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bucketIdem).Stats().KeyN; return nil })
		return n == 0
	})
}
