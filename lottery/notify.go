package lottery

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"luckbox/auth"
	"luckbox/data"
)

// KindResult is the inbox kind of a draw result.
const KindResult = "lottery_result"

// chinaTime is UTC+8, the time zone of the result message's time field.
var chinaTime = time.FixedZone("CST", 8*3600)

// deliverResults tells every participant of a drawn lottery the result (and
// of a canceled one the cancellation, cancel_notify.go). The draw (or the
// cancellation) enqueues one message per lottery; this handler walks the entries in
// chunks of NotifyChunk, one write operation per chunk: each operation reads
// the lottery's notified-up-to cursor, records the next chunk's
// notifications (inbox items, and subscribe messages queued in the outbox
// for users holding a grant) and advances the cursor in the same
// transaction. So every participant is notified exactly once even when the
// handler runs again after a crash or a retry; an interrupted fan-out
// resumes where its last committed chunk ended.
func (s *Service) deliverResults(ctx context.Context, m data.Message) error {
	var p resultsMessage
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return data.Permanent(fmt.Errorf("decode results message: %w", err))
	}
	for {
		var done bool
		err := s.db.Update(ctx, func(tx data.Tx) error {
			var err error
			done, err = s.notifyChunk(tx, p.Lottery)
			return err
		})
		if err != nil {
			return fmt.Errorf("notify results of lottery %d: %w", p.Lottery, err)
		}
		if done {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err // shutting down: the next start resumes from the cursor
		}
	}
}

// notifyChunk notifies the next NotifyChunk participants of lottery seq and
// reports whether everyone has been notified.
func (s *Service) notifyChunk(tx data.Tx, seq uint64) (done bool, err error) {
	r, found, err := loadRecord(tx, seq)
	if err != nil {
		return false, err
	}
	if !found || !r.fansOut() || r.NotifyDone {
		return true, nil
	}
	id := data.EncodeID(seq, r.Tag)
	won := data.MustBucket(tx, bucketWon)
	prefix := lkey(seq)
	c := data.MustBucket(tx, bucketEntries).Cursor()
	k, v := c.Seek(pairKey(seq, r.NotifiedUpTo+1))
	for n := 0; n < s.opts.NotifyChunk && k != nil && hasPrefix(k, prefix); n++ {
		user := data.ParseU64(v)
		prize := -1
		if w := won.Get(pairKey(seq, user)); len(w) >= 8 {
			prize = int(data.ParseU64(w))
		}
		if err := s.notify.Notify(tx, user, s.fanOutNotification(id, &r, prize)); err != nil {
			return false, err
		}
		r.NotifiedUpTo = pairSecond(k)
		k, v = c.Next()
	}
	r.NotifyDone = k == nil || !hasPrefix(k, prefix)
	return r.NotifyDone, putRecord(tx, seq, &r)
}

// resultNotification is what a participant is told: prize is the index of
// the prize they won, or -1.
func (s *Service) resultNotification(id string, r *record, prize int) auth.Notification {
	n := auth.Notification{
		Kind:     KindResult,
		Title:    "开奖结果",
		Ref:      id,
		Template: s.opts.Template,
		Page:     s.opts.Page + "?id=" + id,
		Data: map[string]string{
			"thing1": truncate(r.Title, 20),
			"time4":  r.DrawnAt.In(chinaTime).Format("2006-01-02 15:04"),
		},
		// What the proof must match: luckbox verify --lottery --seed-hash;
		// and what a client needs to word the item in its reader's language.
		Details: map[string]string{"lottery_id": id, "seed_hash": r.SeedHash, "entries_hash": r.EntriesHash,
			"title": r.Title, "won": "false"},
	}
	if prize >= 0 && prize < len(r.Prizes) {
		name := r.Prizes[prize].Name
		n.Details["won"], n.Details["prize"] = "true", name
		n.Body = fmt.Sprintf("恭喜你在「%s」中抽中%s", r.Title, name)
		n.Data["phrase2"] = "中奖"
		n.Data["thing3"] = truncate(name, 20)
		if len(r.Windows) > 0 {
			n.Details["claim_deadline"] = r.Windows[0].Deadline.UTC().Format(time.RFC3339)
		}
	} else {
		n.Body = fmt.Sprintf("很遗憾，你在「%s」中未中奖，感谢参与", r.Title)
		n.Data["phrase2"] = "未中奖"
		n.Data["thing3"] = "感谢参与"
	}
	return n
}

// truncate shortens s to at most n characters, ending with "…" when cut
// (subscribe-message thing fields take 20).
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
