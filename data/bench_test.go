package data

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkUpdate64 compares, with 64 concurrent callers and fsync on, one
// bbolt write transaction per operation (raw) with the group-commit writer.
// Each operation writes one 8-byte key and a 16-byte value under a fresh key.
//
//	go test ./data -run '^$' -bench Update64 -benchtime 3s
func BenchmarkUpdate64(b *testing.B) {
	value := make([]byte, 16)
	write := func(next *atomic.Uint64) func(tx Tx) error {
		k := U64(next.Add(1))
		return func(tx Tx) error { return tx.Bucket(testBucket).Put(k, value) }
	}
	run := func(b *testing.B, update func(db *DB, op func(tx Tx) error) error) {
		db := openTest(b, Options{})
		var next, done atomic.Uint64
		var failed atomic.Int64
		b.ResetTimer()
		var wg sync.WaitGroup
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for done.Add(1) <= uint64(b.N) {
					if err := update(db, write(&next)); err != nil {
						failed.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		b.StopTimer()
		if f := failed.Load(); f > 0 {
			b.Fatalf("%d updates failed", f)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		if st := db.WriterStats(); st.Batches > 0 {
			b.ReportMetric(float64(st.Ops)/float64(st.Batches), "ops/batch")
		}
	}
	b.Run("raw", func(b *testing.B) {
		run(b, func(db *DB, op func(tx Tx) error) error { return db.UpdateLocal(op) })
	})
	b.Run("writer", func(b *testing.B) {
		run(b, func(db *DB, op func(tx Tx) error) error { return db.Update(context.Background(), op) })
	})
}
