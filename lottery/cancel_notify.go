package lottery

import (
	"fmt"

	"luckbox/auth"
	"luckbox/data"
)

// KindCanceled is the inbox kind of a cancellation notice, sent to every
// participant of a lottery its creator cancels. Its data: lottery_id, title.
const KindCanceled = "lottery_canceled"

// fansOut reports whether the lottery's participants are to be told
// something: the result of a drawn lottery, the cancellation of a canceled one.
func (r *record) fansOut() bool { return r.Status == StatusDrawn || r.Status == StatusCanceled }

// enqueueCancelNotices starts, inside the cancellation's transaction, the
// fan-out that tells every participant of lottery seq it was canceled: the
// same chunked, resumable fan-out as results (deliverResults), so a lottery
// of any size is told in bounded operations, each participant exactly once.
func (s *Service) enqueueCancelNotices(tx data.Tx, seq uint64, r *record) error {
	if r.Count == 0 {
		r.NotifyDone = true
		return nil
	}
	r.NotifiedUpTo, r.NotifyDone = 0, false
	if _, err := s.db.Enqueue(tx, outboxResults, resultsMessage{Lottery: seq}); err != nil {
		return fmt.Errorf("enqueue cancellation notices: %w", err)
	}
	return nil
}

// fanOutNotification is what a participant of r is told: the result of a
// drawn lottery (prize is the index of the prize they won, or -1), or the
// cancellation.
func (s *Service) fanOutNotification(id string, r *record, prize int) auth.Notification {
	if r.Status != StatusCanceled {
		return s.resultNotification(id, r, prize)
	}
	return auth.Notification{
		Kind:     KindCanceled,
		Title:    "抽奖已取消",
		Body:     fmt.Sprintf("你参加的「%s」已被发起人取消", r.Title),
		Ref:      id,
		Template: s.opts.CancelTemplate,
		Page:     s.opts.Page + "?id=" + id,
		Data:     map[string]string{"thing1": truncate(r.Title, 20), "thing2": "发起人已取消本次抽奖"},
		Details:  map[string]string{"lottery_id": id, "title": r.Title},
	}
}
