package lottery

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"luckbox/data"
)

// AdminList lists every lottery, newest first, limit at a time, for the
// admin console. cursor is the next value of the previous page ("" for the
// first); next is "" on the last page. The admin is no participant, so `me`
// is empty in every item, and seeds stay hidden until each draw as always.
func (s *Service) AdminList(ctx context.Context, cursor string, limit int) (items []Lottery, next string, err error) {
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	before := uint64(1<<64 - 1)
	if cursor != "" {
		seq, _, ok := data.DecodeID(cursor)
		if !ok {
			return nil, "", data.Invalid("cursor", "is not a cursor this endpoint returned")
		}
		before = seq
	}
	items = []Lottery{}
	err = s.db.View(func(tx *bolt.Tx) error {
		c := data.MustBucket(tx, bucketLotteries).Cursor()
		k, _ := c.Seek(lkey(before))
		if k == nil || data.ParseU64(k) >= before {
			k, _ = c.Prev()
		}
		for ; k != nil; k, _ = c.Prev() {
			if len(items) == limit {
				next = items[len(items)-1].ID
				return nil
			}
			seq := data.ParseU64(k)
			r, found, err := loadRecord(tx, seq)
			if err != nil {
				return err
			}
			if found {
				items = append(items, view(tx, seq, &r, 0))
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("admin list lotteries: %w", err)
	}
	return items, next, nil
}
