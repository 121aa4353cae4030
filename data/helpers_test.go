package data

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// testBucket is created by openTest for the tests' own keys.
var testBucket = []byte("test")

// fakeClock is a mutex-guarded injected clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// openAt opens the database at path with the test bucket and closes it at the
// end of the test.
func openAt(t testing.TB, path string, opts Options) *DB {
	t.Helper()
	opts.Buckets = append(opts.Buckets, testBucket)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	db, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openTest opens a fresh database in t.TempDir().
func openTest(t testing.TB, opts Options) *DB {
	t.Helper()
	return openAt(t, t.TempDir()+"/test.db", opts)
}

// waitFor polls cond until it holds, failing the test after a generous deadline.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// put is an Op that stores value under key in the test bucket.
func put(key, value string) Op {
	return func(tx Tx) error { return tx.Bucket(testBucket).Put([]byte(key), []byte(value)) }
}

// get reads a key of the test bucket (nil if absent).
func get(t testing.TB, db *DB, key string) []byte {
	t.Helper()
	var out []byte
	err := db.View(func(tx Tx) error {
		if v := tx.Bucket(testBucket).Get([]byte(key)); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("view: %v", err)
	}
	return out
}

// holdWriter submits an operation that blocks the writer inside its
// transaction until the returned release function is called, so that the
// operations submitted meanwhile queue up and share the next batch.
func holdWriter(t testing.TB, db *DB) (release func()) {
	t.Helper()
	entered, gate := make(chan struct{}), make(chan struct{})
	var once sync.Once
	errc := make(chan error, 1)
	go func() {
		errc <- db.Update(context.Background(), func(tx Tx) error {
			once.Do(func() { close(entered) })
			<-gate
			return nil
		})
	}()
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("gate operation never ran")
	}
	var released sync.Once
	release = func() {
		released.Do(func() {
			close(gate)
			if err := <-errc; err != nil {
				t.Errorf("gate operation: %v", err)
			}
		})
	}
	t.Cleanup(release) // a failed test must not leave Close waiting on the gate
	return release
}

// submitQueued submits ops one after another, each only once the previous one
// is in the writer's queue (the writer must be held), so they queue in order.
// It returns one result channel per op.
func submitQueued(t testing.TB, db *DB, ops ...Op) []chan error {
	t.Helper()
	base := db.WriterStats().QueueDepth
	out := make([]chan error, len(ops))
	for i, op := range ops {
		c := make(chan error, 1)
		out[i] = c
		go func() { c <- db.Update(context.Background(), op) }()
		waitFor(t, "operation to be queued", func() bool { return db.WriterStats().QueueDepth == base+i+1 })
	}
	return out
}

// result waits for one Update result.
func result(t testing.TB, c chan error) error {
	t.Helper()
	select {
	case err := <-c:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("operation never answered")
		return nil
	}
}

// batchSizes records the operation counts reported to Options.OnCommit.
type batchSizes struct {
	mu    sync.Mutex
	sizes []int
}

func (b *batchSizes) onCommit(n int, _ time.Duration) {
	b.mu.Lock()
	b.sizes = append(b.sizes, n)
	b.mu.Unlock()
}

func (b *batchSizes) get() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]int(nil), b.sizes...)
}
