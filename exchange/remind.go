package exchange

import (
	"context"
	"fmt"
	"strings"

	"luckbox/auth"
	"luckbox/data"
)

// ReminderText is the reminder's body (and its thing2 field).
const ReminderText = "请尽快抽取你的礼物对象"

// Reminders counts what Remind did.
type Reminders struct {
	Reminded       int // participants notified now
	SkippedRecent  int // not drawn, but reminded less than the interval ago
	WithoutAccount int // not drawn, but no user has bound their phone
}

// Remind notifies every participant of a started exchange who has not drawn
// yet and was not reminded within the reminder interval, in one operation:
// each user account holding the participant's phone gets an inbox item, and
// a subscribe message (queued in the outbox, sent after commit) if they
// granted the reminder template. Participants whose phone no user bound can
// not be reached and are counted. Before the start: conflict.
func (s *Service) Remind(ctx context.Context, id string) (Reminders, error) {
	now := s.opts.Now().UTC()
	var out Reminders
	err := s.db.Update(ctx, func(tx data.Tx) error {
		out = Reminders{}
		c, err := load(tx, id, StatusStarted, func() error {
			return data.Errorf(data.EConflict, "the gift exchange has not started yet; nobody can draw")
		})
		if err != nil {
			return err
		}
		exSeq, ex := c.exSeq, c.ex
		exID := data.EncodeID(exSeq, ex.Tag)
		n := auth.Notification{
			Kind: "exchange_reminder", Title: ex.Title, Body: ReminderText, Ref: exID,
			Template: s.opts.ReminderTemplate, Page: strings.ReplaceAll(s.opts.ReminderPage, "{id}", exID),
			Data: map[string]string{"thing1": truncate(ex.Title, 20), "thing2": truncate(ReminderText, 20)},
		}
		type due struct {
			seq   uint64
			p     participantRec
			users []auth.User
		}
		var todo []due
		err = forEachParticipant(tx, exSeq, func(seq uint64, p participantRec) error {
			if p.DrawnAt != nil {
				return nil
			}
			if p.RemindedAt != nil && now.Sub(*p.RemindedAt) < s.opts.ReminderInterval {
				out.SkippedRecent++
				return nil
			}
			users, err := auth.UsersByPhoneInTx(tx, p.Phone)
			if err != nil {
				return err
			}
			if len(users) == 0 {
				out.WithoutAccount++
				return nil
			}
			todo = append(todo, due{seq, p, users})
			return nil
		})
		if err != nil {
			return err
		}
		parts := data.MustBucket(tx, bucketParticipants)
		for _, d := range todo {
			if s.notify != nil {
				for _, u := range d.users {
					if err := s.notify.Notify(tx, u.Seq, n); err != nil {
						return fmt.Errorf("notify: %w", err)
					}
				}
			}
			d.p.RemindedAt = &now
			if err := data.PutJSON(parts, partKey(exSeq, d.seq), d.p); err != nil {
				return err
			}
		}
		out.Reminded = len(todo)
		return nil
	})
	if err != nil {
		return Reminders{}, fmt.Errorf("remind: %w", err)
	}
	return out, nil
}

// truncate cuts s to at most n characters, marking a cut with "…".
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
