package packet

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"luckbox/auth"
	"luckbox/data/datatest"
)

// BenchmarkGrabSpread is the grab-spread scenario of luckbox bench in
// process: 1,000 lucky packets of 500 shares, 500 users each grabbing every
// packet once in a shuffled order, 64 concurrent callers, fsync on. It
// reports the bytes the commits wrote per grab (data.WriterStats) and logs
// the pages each bucket dirtied per grab.
func BenchmarkGrabSpread(b *testing.B) {
	const packets, users = 1000, 500
	perm := rand.Perm(packets)
	grabLoad(b, packets, users, users, func(n int) (u, p int) {
		u, k := n%users, n/users
		return u, perm[(k+u)%packets]
	})
}

// BenchmarkGrabHot is grab-hot in process: 4 packets of 10,000 shares
// grabbed at once by 10,000 users.
func BenchmarkGrabHot(b *testing.B) {
	const packets, users = 4, 10000
	grabLoad(b, packets, users, users, func(n int) (u, p int) { return n / packets % users, n % packets })
}

// grabLoad creates users and packets of shares shares, then makes b.N
// grabs (at most every share) from 64 goroutines, grab n by user and packet
// pick(n), and reports the throughput and the bytes written per grab.
func grabLoad(b *testing.B, packets, users, shares int, pick func(n int) (u, p int)) {
	pc := &datatest.PageCounter{}
	e := newEnvHooked(b, Options{MaxCount: 1 << 20, MaxAmount: 1 << 50, MaxTopup: 1 << 50}, true, pc.Hook)
	sender := e.user("sender")
	e.fund(sender, 1<<40)
	us := make([]auth.User, users)
	ids := make([]string, packets)
	run := func(n int, fn func(i int)) {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
					fn(i)
				}
			})
		}
		wg.Wait()
	}
	run(users, func(i int) { us[i] = e.user(fmt.Sprintf("u%d", i)) })
	run(packets, func(i int) {
		ids[i] = e.create(sender, CreateInput{Kind: KindLucky, Count: int64(shares), Amount: 2 * int64(shares)}).ID
	})
	total := min(b.N, packets*shares)
	before := e.db.WriterStats()
	pc.Start()
	b.ResetTimer()
	var bad atomic.Int64
	run(total, func(n int) {
		u, p := pick(n)
		if _, err := e.svc.Grab(context.Background(), us[u].Seq, ids[p]); err != nil {
			bad.Add(1)
		}
	})
	b.StopTimer()
	pc.Stop()
	if bad.Load() > 0 {
		b.Fatalf("%d grabs failed", bad.Load())
	}
	after := e.db.WriterStats()
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "grabs/s")
	datatest.ReportWrites(b, before, after, "grab")
	b.Log(pc.Summary(int(after.Ops - before.Ops)))
}
