package data

import "testing"

// BenchmarkViewGet is the cost of a read through the Tx interface: one
// read transaction, a bucket, a Get and a cursor seek (compare allocs/op
// with bbolt's own, 0 beyond the transaction's).
//
//	go test ./data -run '^$' -bench ViewGet -benchmem
func BenchmarkViewGet(b *testing.B) {
	db := openTest(b, Options{NoSync: true})
	if err := db.UpdateLocal(func(tx Tx) error { return tx.Bucket(testBucket).Put([]byte("k"), []byte("v")) }); err != nil {
		b.Fatal(err)
	}
	k := []byte("k")
	b.ReportAllocs()
	for b.Loop() {
		_ = db.View(func(tx Tx) error {
			bk := tx.Bucket(testBucket)
			_ = bk.Get(k)
			_, _ = bk.Cursor().Seek(k)
			return nil
		})
	}
}
