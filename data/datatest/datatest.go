// Package datatest is test support for the packages that store in data: a
// settable clock to inject as Now, and temporary databases that close when
// the test ends.
package datatest

import (
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"luckbox/data"
)

// Clock is a settable clock, safe for concurrent use. Inject its Now method
// where a `Now func() time.Time` is wanted. The zero Clock reads the zero
// time.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that reads start until moved.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// Now returns the clock's reading.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d (backwards if d is negative).
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Open opens the database at path with opts for the test and closes it when
// the test ends (closing it earlier is fine). A nil opts.Logger discards the
// storage log. The writer checks "reject before writing" exactly
// (data.Options.StrictRejections). It fails the test if the database does
// not open.
func Open(t testing.TB, path string, opts data.Options) *data.DB {
	t.Helper()
	opts.StrictRejections = true
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	db, err := data.Open(path, opts)
	if err != nil {
		t.Fatalf("open test database %s: %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// OpenTemp opens a fresh throwaway database in t.TempDir() holding buckets,
// with clock as its clock (nil: the real time), commits not synced to disk
// (data.Options.NoSync) and its log discarded, and closes it when the test
// ends.
func OpenTemp(t testing.TB, buckets [][]byte, clock *Clock) *data.DB {
	t.Helper()
	opts := data.Options{Buckets: buckets, NoSync: true}
	if clock != nil {
		opts.Now = clock.Now
	}
	return Open(t, filepath.Join(t.TempDir(), "test.db"), opts)
}

// Disk decides the outcome of a database's commits: inject its Commit
// method as data.Options.FailCommitForTests, then Fail(err) makes every
// commit fail with err (wrap syscall.ENOSPC for a full disk) until
// Fail(nil). The zero Disk accepts every commit.
type Disk struct{ err atomic.Pointer[error] }

// Fail sets the error of the following commits (nil: they succeed).
func (d *Disk) Fail(err error) {
	if err == nil {
		d.err.Store(nil)
		return
	}
	d.err.Store(&err)
}

// Commit is the hook: the error set by Fail, if any.
func (d *Disk) Commit() error {
	if p := d.err.Load(); p != nil {
		return *p
	}
	return nil
}
