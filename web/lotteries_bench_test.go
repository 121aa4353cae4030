package web

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"luckbox/lottery"
)

// BenchmarkLotteryJoinHTTP measures concurrent joins through the real HTTP
// handler (authentication, JSON, the join operation through the group-commit
// writer with fsync): 64 or 256 clients join with distinct users, 1,000
// per lottery, so one lottery at a time is hot.
//
//	go test ./web -run '^$' -bench LotteryJoinHTTP -benchtime 20000x
func BenchmarkLotteryJoinHTTP(b *testing.B) {
	for _, clients := range []int{64, 256} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { benchJoins(b, clients) })
	}
}

func benchJoins(b *testing.B, clients int) {
	const perLottery = 1000
	h := newHarness(b, withLotteries)
	creator, _ := h.login("creator")
	users := h.loginAll(b, "b", min(b.N, perLottery))
	ids := make([]string, (b.N+perLottery-1)/perLottery)
	for i := range ids {
		ids[i] = h.createLottery(b, creator, manualLottery(lottery.Prize{Name: "P", Quantity: 10})).ID
	}
	// Keep one connection per client alive (the default keeps 2 per host).
	h.ts.Client().Transport.(*http.Transport).MaxIdleConnsPerHost = clients
	var next, failed atomic.Int64
	var firstErr atomic.Value
	b.ResetTimer()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				r, err := h.tryDo("POST", "/api/v1/lotteries/"+ids[i/perLottery]+"/entries", users[i%perLottery].Token, nil)
				if err != nil || r.Status != 201 {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%d %s %v", r.Status, r.Body, err))
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d joins failed, first: %v", n, firstErr.Load())
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "joins/s")
	if st := h.db.WriterStats(); st.Batches > 0 {
		b.ReportMetric(float64(st.Ops)/float64(st.Batches), "ops/commit")
		b.ReportMetric(float64(st.CommitTime.Microseconds())/float64(st.Batches), "µs/commit")
	}
}
