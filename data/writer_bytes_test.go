package data_test

import (
	"bytes"
	"context"
	"testing"

	"luckbox/data"
	"luckbox/data/datatest"
)

// TestWriterCountsBytesWritten checks the pages and bytes the writer
// reports against what a commit must write: a small put dirties the
// bucket's leaf and the root bucket's page, plus the meta page (and the
// freelist's page without the journal, which leaves it to checkpoints); a
// 100 KiB value takes 25 more pages.
func TestWriterCountsBytesWritten(t *testing.T) {
	var dirty []map[string]int
	bucket := []byte("test")
	path := t.TempDir() + "/bytes.db"
	db := datatest.Open(t, path, data.Options{Buckets: [][]byte{bucket}, BeforeCommit: func(tx data.Tx) { dirty = append(dirty, datatest.DirtyPages(tx)) }})
	ps := uint64(db.Bolt().Info().PageSize)
	put := func(k string, v []byte) data.Op {
		return func(tx data.Tx) error { return tx.Bucket(bucket).Put([]byte(k), v) }
	}
	before := db.WriterStats()
	if err := db.Update(context.Background(), put("k", []byte("v"))); err != nil {
		t.Fatal(err)
	}
	small := db.WriterStats()
	pages, written := small.PagesWritten-before.PagesWritten, small.BytesWritten-before.BytesWritten
	if pages < 2 || pages > 5 || written != pages*ps {
		t.Errorf("a small put wrote %d pages, %d bytes; want 2..5 pages of %d bytes", pages, written, ps)
	}
	if len(dirty) != 1 || dirty[0]["test"] != 1 {
		t.Errorf("dirty pages by bucket %v, want test: 1", dirty)
	}
	big := bytes.Repeat([]byte("x"), 100<<10)
	if err := db.Update(context.Background(), put("big", big)); err != nil {
		t.Fatal(err)
	}
	after := db.WriterStats()
	if got := after.PagesWritten - small.PagesWritten; got < 26+1 || after.BytesWritten-small.BytesWritten != got*ps {
		t.Errorf("a 100 KiB put wrote %d pages, %d bytes", got, after.BytesWritten-small.BytesWritten)
	}
}
