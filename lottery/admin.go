package lottery

import (
	"context"
	"fmt"
	"luckbox/data"
)

// AdminList lists every lottery, newest first, limit at a time, for the
// admin console. cursor is the next value of the previous page ("" for the
// first); next is "" on the last page. The admin is no participant, so `me`
// is empty in every item, and seeds stay hidden until each draw as always.
func (s *Service) AdminList(ctx context.Context, cursor string, limit int) (items []Lottery, next string, err error) {
	limit = pageLimit(limit, DefaultListLimit, MaxListLimit)
	from, err := data.ParseCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	err = s.db.View(func(tx data.Tx) error {
		items, next, err = newestFirst(tx, bucketLotteries, nil, from, limit, 0, s.opts.Now())
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("admin list lotteries: %w", err)
	}
	return items, next, nil
}
