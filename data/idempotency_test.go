package data

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
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
	_ = db.View(func(tx Tx) error {
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
		_ = db.View(func(tx Tx) error { n = KeyCount(tx.Bucket(bucketIdem)); return nil })
		return n == 0
	})
}

// idemCounts returns how many records and index entries scope has.
func idemCounts(t *testing.T, db *DB, scope string) (records, indexed int, seq uint64) {
	t.Helper()
	_ = db.View(func(tx Tx) error {
		c := tx.Bucket(bucketIdem).Cursor()
		prefix := []byte(scope + "\x00")
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			records++
		}
		if sb := tx.Bucket(bucketIdemOrder).Bucket([]byte(scope)); sb != nil {
			indexed, seq = KeyCount(sb), sb.Sequence()
		}
		return nil
	})
	return records, indexed, seq
}

// TestIdempotencyKeysPerCallerBounded: a caller sending a new key with every
// request keeps at most IdempotencyKeys records; the oldest are forgotten
// (a retry of one runs again), the newest still replay, other callers are
// untouched, and the index empties with the records (finish, abort, sweep).
func TestIdempotencyKeysPerCallerBounded(t *testing.T) {
	clk := newFakeClock()
	db := openTest(t, Options{Now: clk.Now, IdempotencyKeys: 5})
	ctx := context.Background()
	begin(t, db, "other", "k", "h")
	for i := range 12 {
		key := fmt.Sprintf("k%02d", i)
		begin(t, db, "user:1", key, "h")
		if i%2 == 0 {
			if err := db.FinishIdempotent(ctx, "user:1", key, IdemRecord{Status: 201}); err != nil {
				t.Fatal(err)
			}
		}
		clk.Advance(time.Second)
	}
	if r, ix, seq := idemCounts(t, db, "user:1"); r != 5 || ix != 5 || seq != 5 {
		t.Fatalf("user:1 keeps %d records, %d index entries, count %d; want 5", r, ix, seq)
	}
	if _, st := begin(t, db, "user:1", "k00", "other-body"); st != IdemNew {
		t.Fatalf("oldest key = %v, want forgotten (IdemNew)", st)
	}
	if rec, st := begin(t, db, "user:1", "k10", "h"); st != IdemReplay || rec.Status != 201 {
		t.Fatalf("newest key = %v %+v, want replay", st, rec)
	}
	if r, _, _ := idemCounts(t, db, "other"); r != 1 {
		t.Fatalf("other caller has %d records, want 1", r)
	}
	// A reservation dropped while its request runs is not stored by Finish.
	for i := range 5 {
		begin(t, db, "user:2", fmt.Sprintf("r%d", i), "h")
		clk.Advance(time.Second)
	}
	begin(t, db, "user:2", "r5", "h") // drops r0
	if err := db.FinishIdempotent(ctx, "user:2", "r0", IdemRecord{Status: 201}); err != nil {
		t.Fatal(err)
	}
	if r, ix, _ := idemCounts(t, db, "user:2"); r != 5 || ix != 5 {
		t.Fatalf("user:2 after finishing a dropped key: %d records, %d indexed; want 5", r, ix)
	}
	for i := 1; i <= 5; i++ {
		if err := db.AbortIdempotent(ctx, "user:2", fmt.Sprintf("r%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(IdempotencyTTL + time.Second)
	if _, err := db.SweepIdempotency(ctx); err != nil {
		t.Fatal(err)
	}
	var scopes int
	_ = db.View(func(tx Tx) error { scopes = Unwrap(tx).Bucket(bucketIdemOrder).Stats().BucketN - 1; return nil })
	if scopes != 0 {
		t.Fatalf("%d scopes left in the index after abort and sweep, want 0", scopes)
	}
}
