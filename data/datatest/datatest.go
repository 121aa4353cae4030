// Package datatest is test support for the packages that store in data: a
// settable clock to inject as Now, and temporary databases that close when
// the test ends.
package datatest

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

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
	db, err := openEngine(t, path, opts)
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

// DirtyPages counts, in a write transaction about to commit, the B+tree
// nodes each top-level bucket has materialized: the leaf and branch pages
// its writes dirtied, which the commit writes out (a node that overflows
// its page splits into more). Use it from data.Options.BeforeCommit to see
// where the bytes of a commit go. It reads bbolt's private node cache by
// reflection: a measurement tool for tests, not for production code.
// (It keeps bbolt's own bucket type: tx-refactor:skip.)
func DirtyPages(tx data.Tx) map[string]int {
	out := map[string]int{}
	_ = data.Unwrap(tx).ForEach(func(name []byte, b *bolt.Bucket) error {
		nodes := reflect.ValueOf(b).Elem().FieldByName("nodes")
		if nodes.IsValid() && nodes.Len() > 0 {
			out[string(name)] = nodes.Len()
		}
		return nil
	})
	return out
}

// PageCounter sums, over the commits of a data.DB, the pages each bucket
// dirtied (DirtyPages) while it is on. Pass its Hook as
// data.Options.BeforeCommit.
type PageCounter struct {
	mu      sync.Mutex
	on      bool
	commits int
	pages   map[string]int
}

// Hook is the data.Options.BeforeCommit hook.
func (c *PageCounter) Hook(tx data.Tx) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on {
		return
	}
	c.commits++
	if c.pages == nil {
		c.pages = map[string]int{}
	}
	for name, n := range DirtyPages(tx) {
		c.pages[name] += n
	}
}

// Start starts counting.
func (c *PageCounter) Start() {
	c.mu.Lock()
	c.on = true
	c.mu.Unlock()
}

// Stop stops counting.
func (c *PageCounter) Stop() {
	c.mu.Lock()
	c.on = false
	c.mu.Unlock()
}

// Summary is the pages dirtied per operation by bucket, ops being the
// operations of the counted commits: "2000 ops in 62 commits; pages dirtied
// per op: accounts 0.473, ..., all 1.234".
func (c *PageCounter) Summary(ops int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	names := make([]string, 0, len(c.pages))
	total := 0
	for name, n := range c.pages {
		names = append(names, name)
		total += n
	}
	sort.Strings(names)
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d ops in %d commits; pages dirtied per op by bucket (before splits; root bucket and meta not counted):", ops, c.commits)
	for _, name := range names {
		fmt.Fprintf(&sb, " %s %.3f,", name, float64(c.pages[name])/float64(ops))
	}
	fmt.Fprintf(&sb, " all %.3f", float64(total)/float64(ops))
	return sb.String()
}

// ReportWrites reports on b what the writer wrote between two of its
// stats: KiB per operation, pages per commit and operations per commit.
func ReportWrites(b *testing.B, before, after data.WriterStats, unit string) {
	ops := float64(after.Ops - before.Ops)
	commits := float64(after.Batches - before.Batches)
	if ops == 0 || commits == 0 {
		return
	}
	b.ReportMetric(float64(after.BytesWritten-before.BytesWritten)/ops/1024, "KiB/"+unit)
	b.ReportMetric(float64(after.PagesWritten-before.PagesWritten)/commits, "pages/commit")
	if after.Journaled {
		b.ReportMetric(float64(after.JournalBytes-before.JournalBytes)/ops, "journal-B/"+unit)
	}
	b.ReportMetric(ops/commits, unit+"s/commit")
}
