package lottery

import (
	bolt "go.etcd.io/bbolt"

	"luckbox/data"
)

// pageLimit is the page size of a list: def when none was asked (<= 0), at
// most most.
func pageLimit(limit, def, most int) int {
	if limit <= 0 {
		limit = def
	}
	return min(limit, most)
}

// parseIDCursor parses a cursor holding a public id (the next value of a
// previous page) into its sequence; "" (the first page) gives empty.
func parseIDCursor(cursor string, empty uint64) (uint64, error) {
	if cursor == "" {
		return empty, nil
	}
	seq, _, ok := data.DecodeID(cursor)
	if !ok {
		return 0, data.Invalid("cursor", "is not a cursor this endpoint returned")
	}
	return seq, nil
}

// firstPage is the position of the first page of a newest-first list.
const firstPage = uint64(1<<64 - 1)

// newestFirst lists, newest first and as viewer sees them, the lotteries
// whose sequences end the keys under prefix in bucket, starting below
// sequence before, limit at a time; next is the cursor of the following
// page ("" on the last). Keys of lotteries since deleted are skipped. items
// is never nil.
func newestFirst(tx *bolt.Tx, bucket, prefix []byte, before uint64, limit int, viewer uint64) (items []Lottery, next string, err error) {
	items = []Lottery{}
	seqOf := func(k []byte) uint64 { return data.ParseU64(k[len(prefix):]) }
	c := data.MustBucket(tx, bucket).Cursor()
	k, _ := c.Seek(data.Key(prefix, data.U64(before)))
	if k == nil || !hasPrefix(k, prefix) || seqOf(k) >= before {
		k, _ = c.Prev()
	}
	for ; k != nil && hasPrefix(k, prefix); k, _ = c.Prev() {
		if len(items) == limit {
			return items, items[len(items)-1].ID, nil
		}
		seq := seqOf(k)
		r, found, err := loadRecord(tx, seq)
		if err != nil {
			return nil, "", err
		}
		if found {
			items = append(items, view(tx, seq, &r, viewer))
		}
	}
	return items, "", nil
}

// loadResults loads lottery id inside tx for a read of its results. The
// rejection is, in this order: not_found for an unknown id, what gate
// answers (if gate is not nil), conflict before the draw.
func loadResults(tx *bolt.Tx, id string, gate func(*record) error) (seq uint64, r record, err error) {
	seq, r, ok, err := loadByID(tx, id)
	switch {
	case err != nil:
		return 0, record{}, err
	case !ok:
		return 0, record{}, errNotFound()
	}
	if gate != nil {
		if err := gate(&r); err != nil {
			return 0, record{}, err
		}
	}
	if r.Status != StatusDrawn {
		return 0, record{}, notDrawn(&r)
	}
	return seq, r, nil
}
