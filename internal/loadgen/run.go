package loadgen

import (
	"context"
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Load is the shape of a measured phase: Workers clients run steps one after
// another until Total steps have started (if Total > 0) or Duration has passed
// (if Duration > 0), whichever comes first. Steps in flight when time is up
// finish and are counted, so every request sent is answered and recorded.
type Load struct {
	Workers  int
	Duration time.Duration
	Total    int64
}

// Step runs request n (0, 1, 2 ... across all workers) on the given worker and
// names its outcome ("grab", "exhausted" ...). An error is a failed request
// (counted, reported); ErrStop ends the worker without counting anything.
type Step func(ctx context.Context, worker int, n int64) (outcome string, err error)

// ErrStop, returned by a Step, stops its worker: the planned work ran out.
var ErrStop = errors.New("loadgen: no more work")

// maxErrorSamples bounds the error messages a Result keeps.
const maxErrorSamples = 5

// Result is what a measured phase did.
type Result struct {
	Elapsed time.Duration
	// Outcomes holds the latency histogram of each outcome name.
	Outcomes map[string]*Histogram
	// All merges every outcome, errors included.
	All *Histogram
	// Errors counts failed steps; ErrorSamples keeps the first few messages.
	Errors       int64
	ErrorSamples []string
	// Stopped is true when a step ran out of work before the time was up.
	Stopped bool
	// CPU is how busy the machine was meanwhile, Writer what the server's
	// group-commit writer did (both filled in by Env).
	CPU    CPU
	Writer writerStats
}

// Count is the number of steps with the given outcome.
func (r Result) Count(outcome string) int64 {
	if h := r.Outcomes[outcome]; h != nil {
		return h.Count()
	}
	return 0
}

// Rate is the number of steps with the outcome per second of Elapsed.
func (r Result) Rate(outcome string) float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Count(outcome)) / r.Elapsed.Seconds()
}

// Names lists the outcomes in alphabetical order, "error" last.
func (r Result) Names() []string {
	var names []string
	for k := range r.Outcomes {
		if k != outcomeError {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	if r.Outcomes[outcomeError] != nil {
		names = append(names, outcomeError)
	}
	return names
}

const outcomeError = "error"

type workerStats struct {
	hists   map[string]*Histogram
	errors  int64
	samples []string
	stopped bool
}

// Run executes a measured phase. It returns when every worker is done; ctx
// ending stops workers from starting new steps.
func Run(ctx context.Context, l Load, step Step) Result {
	workers := max(1, l.Workers)
	var next atomic.Int64
	var deadline time.Time
	start := time.Now()
	if l.Duration > 0 {
		deadline = start.Add(l.Duration)
	}
	stats := make([]workerStats, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := &stats[w]
			st.hists = map[string]*Histogram{}
			for ctx.Err() == nil {
				t0 := time.Now()
				if !deadline.IsZero() && !t0.Before(deadline) {
					return
				}
				n := next.Add(1) - 1
				if l.Total > 0 && n >= l.Total {
					return
				}
				outcome, err := step(ctx, w, n)
				d := time.Since(t0)
				if errors.Is(err, ErrStop) {
					st.stopped = true
					return
				}
				if err != nil {
					outcome = outcomeError
					st.errors++
					if len(st.samples) < maxErrorSamples {
						st.samples = append(st.samples, err.Error())
					}
				}
				h := st.hists[outcome]
				if h == nil {
					h = &Histogram{}
					st.hists[outcome] = h
				}
				h.Record(d)
			}
		}()
	}
	wg.Wait()
	res := Result{Elapsed: time.Since(start), Outcomes: map[string]*Histogram{}, All: &Histogram{}}
	for _, st := range stats {
		for k, h := range st.hists {
			if res.Outcomes[k] == nil {
				res.Outcomes[k] = &Histogram{}
			}
			res.Outcomes[k].Merge(h)
			res.All.Merge(h)
		}
		res.Errors += st.errors
		res.Stopped = res.Stopped || st.stopped
		for _, s := range st.samples {
			if len(res.ErrorSamples) < maxErrorSamples {
				res.ErrorSamples = append(res.ErrorSamples, s)
			}
		}
	}
	return res
}

// parallel runs fn(i) for i in [0, n) on up to workers goroutines and returns
// the first error (remaining items are skipped after an error).
func parallel(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}
