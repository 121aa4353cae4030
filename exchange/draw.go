package exchange

import (
	"context"
	"fmt"
	"time"

	"luckbox/data"
)

// DrawResult is what a participant learns by drawing: only the name of the
// person they give a gift to.
type DrawResult struct {
	RecipientName string
	DrawnAt       time.Time
}

// MeResult is a participant's own state in an exchange.
type MeResult struct {
	Drawn         bool
	DrawnAt       *time.Time
	RecipientName string // "" until drawn
}

// Summary is what any user may see of an exchange.
type Summary struct {
	ID        string     `json:"id"`
	Title     string     `json:"title"`
	Status    string     `json:"status"`
	StartedAt *time.Time `json:"started_at"`
}

// errNoPhone answers participant calls from a user without a bound phone.
func errNoPhone() error {
	return data.Errorf(data.EConflict, "bind your phone number first (POST /api/v1/me/phone): participants are identified by it")
}

// errNotListed answers a user whose phone is not on the list.
func errNotListed() error {
	return data.Errorf(data.ENotFound, "your phone number is not on this gift exchange's list; ask the organizer to add it")
}

// participantFor finds the participant with phone in exchange id for a
// participant call. The order of rejections is: unknown exchange, phone not
// on the list, not started (if needStarted).
func participantFor(tx data.Tx, id, phone string, needStarted bool) (call, error) {
	c, err := load(tx, id, "", nil)
	if err != nil {
		return c, err
	}
	var ok bool
	c.pseq, c.p, ok, err = participantByPhone(tx, c.exSeq, phone)
	switch {
	case err != nil:
		return c, err
	case !ok:
		return c, errNotListed()
	}
	if needStarted && c.ex.Status != StatusStarted {
		return c, data.Errorf(data.EConflict, "the gift exchange has not started yet")
	}
	return c, nil
}

// recipientName returns the name of participant seq of exchange ex.
func recipientName(tx data.Tx, ex, seq uint64) (string, error) {
	var r participantRec
	found, err := data.GetJSON(data.MustBucket(tx, bucketParticipants), partKey(ex, seq), &r)
	if err != nil {
		return "", fmt.Errorf("load recipient: %w", err)
	}
	if !found {
		return "", fmt.Errorf("recipient %d of exchange %d is missing", seq, ex)
	}
	return r.Name, nil
}

// drawnView is a participant's draw as a read view saw it, or the rejection
// to answer.
type drawnView struct {
	drawnAt   *time.Time // nil until the participant draws
	recipient string     // the recipient's name, once drawn
}

// readDrawn reads in a read view whether the participant with phone in
// exchange id has drawn and, if so, whom they give to (rejections as in
// participantFor).
func (s *Service) readDrawn(id, phone string, needStarted bool) (drawnView, error) {
	var out drawnView
	err := s.db.View(func(tx data.Tx) error {
		c, err := participantFor(tx, id, phone, needStarted)
		if err != nil {
			return err
		}
		if c.p.DrawnAt == nil {
			return nil
		}
		out.drawnAt = c.p.DrawnAt
		out.recipient, err = recipientName(tx, c.exSeq, c.p.Recipient)
		return err
	})
	return out, err
}

// Draw reveals to the participant with phone (the caller's bound phone)
// whom they give to, and records when they first drew; drawing again
// answers the same. No phone: conflict; phone not on the list: not_found;
// before the start: conflict.
func (s *Service) Draw(ctx context.Context, id, phone string) (DrawResult, error) {
	if phone == "" {
		return DrawResult{}, errNoPhone()
	}
	// Fast path: someone who drew already is answered from a read view.
	st, err := s.readDrawn(id, phone, true)
	if err != nil {
		return DrawResult{}, fmt.Errorf("draw: %w", err)
	}
	if st.drawnAt != nil {
		return DrawResult{RecipientName: st.recipient, DrawnAt: *st.drawnAt}, nil
	}
	now := s.opts.Now().UTC()
	var out DrawResult
	err = s.db.Update(ctx, func(tx data.Tx) error {
		c, err := participantFor(tx, id, phone, true)
		if err != nil {
			return err
		}
		exSeq, ex, pseq, p := c.exSeq, c.ex, c.pseq, c.p
		name, err := recipientName(tx, exSeq, p.Recipient)
		if err != nil {
			return err
		}
		if p.DrawnAt == nil {
			p.DrawnAt = &now
			if err := data.PutJSON(data.MustBucket(tx, bucketParticipants), partKey(exSeq, pseq), p); err != nil {
				return err
			}
			ex.Drawn++
			if err := putExchange(tx, exSeq, ex); err != nil {
				return err
			}
		}
		out = DrawResult{RecipientName: name, DrawnAt: *p.DrawnAt}
		return nil
	})
	if err != nil {
		return DrawResult{}, fmt.Errorf("draw: %w", err)
	}
	return out, nil
}

// Me returns the caller's state in an exchange (found by their phone): whether
// they drew and, if so, whom they give to. It never writes.
func (s *Service) Me(ctx context.Context, id, phone string) (MeResult, error) {
	if phone == "" {
		return MeResult{}, errNoPhone()
	}
	st, err := s.readDrawn(id, phone, false)
	if err != nil {
		return MeResult{}, fmt.Errorf("exchange me: %w", err)
	}
	if st.drawnAt == nil {
		return MeResult{}, nil
	}
	return MeResult{Drawn: true, DrawnAt: st.drawnAt, RecipientName: st.recipient}, nil
}

// Summary returns the title and status of an exchange, which any user may see.
func (s *Service) Summary(ctx context.Context, id string) (Summary, error) {
	e, err := s.GetExchange(ctx, id)
	if err != nil {
		return Summary{}, err
	}
	return Summary{ID: e.ID, Title: e.Title, Status: e.Status, StartedAt: e.StartedAt}, nil
}
