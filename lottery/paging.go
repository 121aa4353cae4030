package lottery

import (
	"time"

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

// newestFirst lists, newest first and as viewer sees them, the lotteries
// whose sequences end the keys under prefix in bucket, starting at from
// (data.ParseCursor), limit at a time; next is the cursor of the following
// page ("" on the last). Keys of lotteries since deleted are skipped. items
// is never nil.
func newestFirst(tx data.Tx, bucket, prefix []byte, from uint64, limit int, viewer uint64, now time.Time) (items []Lottery, next string, err error) {
	items = []Lottery{}
	c := data.MustBucket(tx, bucket).Cursor()
	next, err = data.NewestFirst(c, prefix, from, limit, func(seq uint64, _ []byte) (bool, error) {
		r, found, err := loadRecord(tx, seq)
		if err != nil || !found {
			return false, err
		}
		items = append(items, view(tx, seq, &r, viewer, now))
		return true, nil
	})
	if err != nil {
		return nil, "", err
	}
	return items, next, nil
}

// loadResults loads lottery id inside tx for a read of its results. The
// rejection is, in this order: not_found for an unknown id, what gate
// answers (if gate is not nil), conflict before the draw.
func loadResults(tx data.Tx, id string, gate func(*record) error) (seq uint64, r record, err error) {
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
