package cluster

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"luckbox/data"
	"luckbox/data/datatest"
)

// fakeLeader is a leadership switched by the test.
type fakeLeader struct {
	mu      sync.Mutex
	term    int64 // 0: not the writer
	changed chan struct{}
}

func newFakeLeader() *fakeLeader { return &fakeLeader{changed: make(chan struct{})} }

func (f *fakeLeader) Fence() (string, int64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return "k", f.term, f.term != 0
}

func (f *fakeLeader) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

func (f *fakeLeader) set(term int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.term = term
	close(f.changed)
	f.changed = make(chan struct{})
}

// recv receives from ch or fails the test after a generous deadline.
func recv[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func TestWhileLeaderStartsAndStopsWork(t *testing.T) {
	l := newFakeLeader()
	var running, starts, prepared atomic.Int32
	started := make(chan int64, 10)
	stopped := make(chan struct{}, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		WhileLeader(ctx, l, quiet, func(context.Context, int64) error { prepared.Add(1); return nil }, func(wctx context.Context) {
			if running.Add(1) != 1 {
				t.Error("two terms' work at once")
			}
			starts.Add(1)
			_, term, _ := l.Fence()
			started <- term
			<-wctx.Done()
			running.Add(-1)
			stopped <- struct{}{}
		})
	}()
	l.set(1)
	if term := recv(t, "start", started); term != 1 {
		t.Fatalf("started in term %d", term)
	}
	l.set(0) // deposed: the work stops
	recv(t, "stop when deposed", stopped)
	l.set(2) // writer again
	recv(t, "start again", started)
	l.set(3) // a new term without a gap: the work restarts
	recv(t, "stop at the new term", stopped)
	recv(t, "start in the new term", started)
	cancel()
	<-done
	if running.Load() != 0 || starts.Load() != 3 || prepared.Load() != 3 {
		t.Fatalf("running %d, starts %d, prepared %d; want 0, 3, 3", running.Load(), starts.Load(), prepared.Load())
	}
}

// The real background (scheduler, outbox) runs only while the node leads.
func TestWhileLeaderRunsTheScheduler(t *testing.T) {
	clock := datatest.NewClock(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	db := datatest.Open(t, filepath.Join(t.TempDir(), "t.db"), data.Options{NoSync: true, Now: clock.Now})
	ran := make(chan string, 10)
	bg := db.NewBackground()
	bg.HandleDue("test", func(_ context.Context, d data.Due) error { ran <- string(d.Ref); return nil })
	if err := db.Update(context.Background(), func(tx data.Tx) error {
		return db.Schedule(tx, clock.Now(), "test", []byte("one"))
	}); err != nil {
		t.Fatal(err)
	}
	l := newFakeLeader()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var prepared atomic.Bool
	go func() {
		defer close(done)
		WhileLeader(ctx, l, quiet, func(context.Context, int64) error { prepared.Store(true); return nil }, bg.Run)
	}()
	db.Poke()
	time.Sleep(100 * time.Millisecond) // a follower never runs it (this can only pass wrongly, never fail wrongly)
	select {
	case r := <-ran:
		t.Fatalf("a follower ran due work %q", r)
	default:
	}
	l.set(1)
	if r := recv(t, "due work", ran); r != "one" || !prepared.Load() {
		t.Fatalf("ran %q, prepared %v", r, prepared.Load())
	}
	cancel()
	<-done
}
