package data

import (
	"context"
	"sync"
	"time"
)

// pollLoop is the loop shared by the scheduler and the outbox dispatcher: it
// runs pass until ctx ends. After a pass that found work it runs again at
// once; otherwise it sleeps until next (when set), a wake-up, or a minute.
func (db *DB) pollLoop(ctx context.Context, wake <-chan struct{}, pass func() (worked bool, next time.Time)) {
	const idle = time.Minute // look again at least this often
	for ctx.Err() == nil {
		worked, next := pass()
		if worked {
			continue
		}
		wait := idle
		if !next.IsZero() {
			wait = min(idle, max(next.Sub(db.now()), time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// runEach calls fn(i) for every i in [0, n) on at most workers goroutines
// (so the writer can batch the handlers' transactions) and returns each
// call's error.
func runEach(n, workers int, fn func(i int) error) []error {
	errs := make([]error, n)
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errs
}
