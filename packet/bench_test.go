package packet

import (
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkGrabInProcess measures grabs on one hot packet through the
// service (no HTTP), 64 concurrent callers, with fsync on commit: the
// ceiling the HTTP layer works against.
func BenchmarkGrabInProcess(b *testing.B) {
	e := newEnvSync(b, Options{MaxCount: 1 << 30, MaxAmount: 1 << 50, MaxTopup: 1 << 50}, true)
	alice := e.user("alice")
	e.fund(alice, 1<<40)
	p := e.create(alice, CreateInput{Kind: KindLucky, Count: int64(b.N), Amount: 10 * int64(b.N)})
	b.ResetTimer()
	var next, bad atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if _, err := e.svc.Grab(ctx, uint64(1000+i), p.ID); err != nil {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if bad.Load() > 0 {
		b.Fatalf("%d grabs failed", bad.Load())
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "grabs/s")
}
