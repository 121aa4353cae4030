package lottery

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"luckbox/data"
)

// ExchangeDraw is what a participant learns by drawing: only the name of the
// person they give a gift to.
type ExchangeDraw struct {
	RecipientName string
	DrawnAt       time.Time
}

// ExchangeMe is a participant's own state in an exchange.
type ExchangeMe struct {
	Drawn         bool
	DrawnAt       *time.Time
	RecipientName string // "" until drawn
}

// ExchangeSummary is what any user may see of an exchange.
type ExchangeSummary struct {
	ID        string
	Title     string
	Status    string
	StartedAt *time.Time
}

// errExNoPhone answers participant calls from a user without a bound phone.
func errExNoPhone() error {
	return data.Errorf(data.EConflict, "bind your phone number first (POST /api/v1/me/phone): participants are identified by it")
}

// errExNotListed answers a user whose phone is not on the list.
func errExNotListed() error {
	return data.Errorf(data.ENotFound, "your phone number is not on this gift exchange's list; ask the organizer to add it")
}

// exParticipantFor finds the participant with phone in exchange id for a
// participant call. The order of rejections is: unknown exchange, phone not
// on the list, not started (if needStarted).
func exParticipantFor(tx *bolt.Tx, id, phone string, needStarted bool) (exCall, error) {
	c, err := exLoad(tx, id, "", nil)
	if err != nil || c.reject != nil {
		return c, err
	}
	var ok bool
	c.pseq, c.p, ok, err = exParticipantByPhone(tx, c.exSeq, phone)
	if err != nil || !ok {
		c.reject = errExNotListed()
		return c, err
	}
	if needStarted && c.ex.Status != ExchangeStarted {
		c.reject = data.Errorf(data.EConflict, "the gift exchange has not started yet")
	}
	return c, nil
}

// exRecipientName returns the name of participant seq of exchange ex.
func exRecipientName(tx *bolt.Tx, ex, seq uint64) (string, error) {
	var r exParticipantRec
	found, err := data.GetJSON(data.MustBucket(tx, bucketExParts), exPartKey(ex, seq), &r)
	if err != nil {
		return "", fmt.Errorf("load recipient: %w", err)
	}
	if !found {
		return "", fmt.Errorf("recipient %d of exchange %d is missing", seq, ex)
	}
	return r.Name, nil
}

// exDrawn is a participant's draw as a read view saw it, or the rejection
// to answer.
type exDrawn struct {
	drawnAt   *time.Time // nil until the participant draws
	recipient string     // the recipient's name, once drawn
	reject    error
}

// readDrawn reads in a read view whether the participant with phone in
// exchange id has drawn and, if so, whom they give to (rejections as in
// exParticipantFor).
func (s *ExchangeService) readDrawn(id, phone string, needStarted bool) (exDrawn, error) {
	var out exDrawn
	err := s.db.View(func(tx *bolt.Tx) error {
		c, err := exParticipantFor(tx, id, phone, needStarted)
		if err != nil || c.reject != nil {
			out.reject = c.reject
			return err
		}
		if c.p.DrawnAt == nil {
			return nil
		}
		out.drawnAt = c.p.DrawnAt
		out.recipient, err = exRecipientName(tx, c.exSeq, c.p.Recipient)
		return err
	})
	return out, err
}

// Draw reveals to the participant with phone (the caller's bound phone)
// whom they give to, and records when they first drew; drawing again
// answers the same. No phone: conflict; phone not on the list: not_found;
// before the start: conflict.
func (s *ExchangeService) Draw(ctx context.Context, id, phone string) (ExchangeDraw, error) {
	if phone == "" {
		return ExchangeDraw{}, errExNoPhone()
	}
	// Fast path: someone who drew already is answered from a read view.
	st, err := s.readDrawn(id, phone, true)
	if err != nil {
		return ExchangeDraw{}, fmt.Errorf("draw: %w", err)
	}
	if st.reject != nil {
		return ExchangeDraw{}, st.reject
	}
	if st.drawnAt != nil {
		return ExchangeDraw{RecipientName: st.recipient, DrawnAt: *st.drawnAt}, nil
	}
	now := s.opts.Now().UTC()
	var out ExchangeDraw
	var rejected error
	err = s.db.Update(ctx, func(tx *bolt.Tx) error {
		rejected = nil
		c, err := exParticipantFor(tx, id, phone, true)
		if err != nil || c.reject != nil {
			rejected = c.reject
			return err
		}
		exSeq, ex, pseq, p := c.exSeq, c.ex, c.pseq, c.p
		name, err := exRecipientName(tx, exSeq, p.Recipient)
		if err != nil {
			return err
		}
		if p.DrawnAt == nil {
			p.DrawnAt = &now
			if err := data.PutJSON(data.MustBucket(tx, bucketExParts), exPartKey(exSeq, pseq), p); err != nil {
				return err
			}
			ex.Drawn++
			if err := putExchange(tx, exSeq, ex); err != nil {
				return err
			}
		}
		out = ExchangeDraw{RecipientName: name, DrawnAt: *p.DrawnAt}
		return nil
	})
	if err != nil {
		return ExchangeDraw{}, fmt.Errorf("draw: %w", err)
	}
	return out, rejected
}

// Me returns the caller's state in an exchange (found by their phone): whether
// they drew and, if so, whom they give to. It never writes.
func (s *ExchangeService) Me(ctx context.Context, id, phone string) (ExchangeMe, error) {
	if phone == "" {
		return ExchangeMe{}, errExNoPhone()
	}
	st, err := s.readDrawn(id, phone, false)
	if err != nil {
		return ExchangeMe{}, fmt.Errorf("exchange me: %w", err)
	}
	if st.reject != nil || st.drawnAt == nil {
		return ExchangeMe{}, st.reject
	}
	return ExchangeMe{Drawn: true, DrawnAt: st.drawnAt, RecipientName: st.recipient}, nil
}

// Summary returns the title and status of an exchange, which any user may see.
func (s *ExchangeService) Summary(ctx context.Context, id string) (ExchangeSummary, error) {
	e, err := s.GetExchange(ctx, id)
	if err != nil {
		return ExchangeSummary{}, err
	}
	return ExchangeSummary{ID: e.ID, Title: e.Title, Status: e.Status, StartedAt: e.StartedAt}, nil
}
