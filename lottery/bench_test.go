package lottery

import (
	"context"
	"errors"
	"testing"

	"luckbox/data"
)

// errRollback aborts a benchmark transaction so the next iteration finds the
// lottery undrawn.
var errRollback = errors.New("rollback")

// BenchmarkDrawFromBolt draws 1,000 winners from 1,000,000 entries stored in
// bbolt: the whole draw operation (read the entries in one cursor pass, hash
// them, draw, store the winners and the record, enqueue the fan-out), rolled
// back at the end of each iteration so every iteration draws the same
// lottery (no fsync is measured).
//
//	go test ./lottery -run '^$' -bench DrawFromBolt -benchtime 10x
func BenchmarkDrawFromBolt(b *testing.B) {
	const entries = 1_000_000
	f := newFixture(b, Options{})
	creator := f.user("creator")
	l := f.create(creator, manual(Prize{"Gold", 10}, Prize{"Silver", 90}, Prize{"Bronze", 900}))
	seq, _, _ := data.DecodeID(l.ID)
	// Load the entries directly (users 1..N with arbitrary tags) in big
	// transactions, and set the record's counters to match.
	const batch = 100_000
	for start := 1; start <= entries; start += batch {
		err := f.db.UpdateLocal(func(tx data.Tx) error {
			eb := data.MustBucket(tx, bucketEntries)
			for i := start; i < start+batch; i++ {
				if err := eb.Put(pairKey(seq, uint64(i)), entryValue(uint64(1000+i), uint64(i)*0x9e3779b97f4a7c15|1)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	err := f.db.UpdateLocal(func(tx data.Tx) error {
		r, _, err := loadRecord(tx, seq)
		if err != nil {
			return err
		}
		r.Count, r.NextEntry = entries, entries
		return putRecord(tx, seq, &r)
	})
	if err != nil {
		b.Fatal(err)
	}
	now := f.clock.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var winners int
		err := f.db.UpdateLocal(func(tx data.Tx) error {
			r, _, err := loadRecord(tx, seq)
			if err != nil {
				return err
			}
			if err := f.svc.drawTx(tx, seq, &r, now); err != nil {
				return err
			}
			if err := putRecord(tx, seq, &r); err != nil {
				return err
			}
			winners = r.WinnerCount
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			b.Fatal(err)
		}
		if winners != 1000 {
			b.Fatalf("%d winners", winners)
		}
	}
	b.StopTimer()
	// And once for real, through the writer, with its durable commit.
	if _, err := f.svc.Draw(context.Background(), l.ID, creator.Seq); err != nil {
		b.Fatal(err)
	}
}
