package lottery

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/data/datatest"
)

// BenchmarkJoinSpread is the join scenario of luckbox bench in process:
// 10,000 users join 50 lotteries, consecutive joins from consecutive users
// to different lotteries, 64 concurrent callers, fsync on. It reports the
// bytes the commits wrote per join and logs the pages each bucket dirtied.
//
//	go test ./lottery -run '^$' -bench JoinSpread -benchtime 50000x
func BenchmarkJoinSpread(b *testing.B) {
	const users, lotteries = 10000, 50
	pc := &datatest.PageCounter{}
	clock := datatest.NewClock(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC))
	db := datatest.Open(b, filepath.Join(b.TempDir(), "join.db"), data.Options{
		Buckets: append(append([][]byte{}, auth.Buckets...), Buckets...), Now: clock.Now, BeforeCommit: pc.Hook})
	a := auth.New(db, stubWX{}, auth.Options{Now: clock.Now})
	svc := New(db, a, Options{Now: clock.Now})
	run := func(n int, fn func(i int) error) {
		var next, bad atomic.Int64
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
					if err := fn(i); err != nil {
						bad.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if bad.Load() > 0 {
			b.Fatalf("%d of %d operations failed", bad.Load(), n)
		}
	}
	us := make([]auth.User, users)
	ids := make([]string, lotteries)
	ctx := context.Background()
	run(users, func(i int) error {
		l, err := a.Login(ctx, fmt.Sprintf("u%d", i))
		us[i] = l.User
		return err
	})
	creator := us[0]
	run(lotteries, func(i int) error {
		l, err := svc.Create(ctx, creator, manual(Prize{"Gold", 10}))
		ids[i] = l.ID
		return err
	})
	total := min(b.N, users*lotteries)
	before := db.WriterStats()
	pc.Start()
	b.ResetTimer()
	run(total, func(n int) error {
		u := n % users
		_, _, err := svc.Join(ctx, ids[(n/users+u)%lotteries], us[u])
		return err
	})
	b.StopTimer()
	pc.Stop()
	after := db.WriterStats()
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "joins/s")
	datatest.ReportWrites(b, before, after, "join")
	b.Log(pc.Summary(int(after.Ops - before.Ops)))
}
