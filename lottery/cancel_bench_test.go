package lottery

import (
	"context"
	"fmt"
	"testing"
	"time"

	"luckbox/data"
)

// BenchmarkCancelFanOut10k cancels a lottery of 10,000 entrants and runs its
// notice fan-out: DefaultNotifyChunk (500) participants per write operation,
// so 20 bounded transactions, never one of 10,000. Run with
// go test -run x -bench CancelFanOut -benchtime 1x ./lottery/.
func BenchmarkCancelFanOut10k(b *testing.B) {
	const n = 10000
	for b.Loop() {
		b.StopTimer()
		f := newFixture(b, Options{})
		ctx := context.Background()
		creator := f.user("creator")
		l := f.create(creator, manual(Prize{"P", 1}))
		for i := range n {
			f.join(l.ID, f.user(fmt.Sprintf("u%d", i)))
		}
		if _, err := f.svc.Cancel(ctx, l.ID, creator.Seq); err != nil {
			b.Fatal(err)
		}
		seq, _, _ := data.DecodeID(l.ID)
		before := f.db.WriterStats()
		b.StartTimer()
		start := time.Now()
		if err := f.svc.deliverResults(ctx, data.Message{Payload: []byte(fmt.Sprintf(`{"lottery":%d}`, seq))}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/fanout")
		b.ReportMetric(float64(f.db.WriterStats().BytesWritten-before.BytesWritten)/float64(n), "bytes/notice")
		after := f.db.WriterStats()
		b.ReportMetric(float64(after.Ops-before.Ops), "writes/fanout")
	}
}
