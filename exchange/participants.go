package exchange

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"luckbox/auth"
	"luckbox/data"
)

// Participant is the admin's view of one participant.
type Participant struct {
	ID      string
	Name    string
	Phone   string
	Group   string
	Exclude []string // phones (of participants still on the list)
	DrawnAt *time.Time
	// RecipientID and RecipientName name whom the participant gives to; ""
	// before the exchange starts.
	RecipientID   string
	RecipientName string
	RemindedAt    *time.Time
}

// Drawn reports whether the participant has drawn.
func (p Participant) Drawn() bool { return p.DrawnAt != nil }

// errNoParticipant answers an unknown participant id.
func errNoParticipant() error {
	return data.Errorf(data.ENotFound, "no such participant in this gift exchange")
}

// errStarted answers a change to a started exchange's list.
func errStarted() error {
	return data.Errorf(data.EConflict, "the gift exchange has started; its list can no longer change")
}

// getParticipant loads participant pid of exchange ex inside tx.
func getParticipant(tx data.Tx, ex uint64, pid string) (uint64, participantRec, bool, error) {
	seq, tag, ok := data.DecodeID(pid)
	if !ok {
		return 0, participantRec{}, false, nil
	}
	var p participantRec
	found, err := data.GetJSON(data.MustBucket(tx, bucketParticipants), partKey(ex, seq), &p)
	if err != nil {
		return 0, participantRec{}, false, fmt.Errorf("load participant: %w", err)
	}
	if !found || p.Tag != tag {
		return 0, participantRec{}, false, nil
	}
	return seq, p, true, nil
}

// draftParticipant loads participant pid of exchange id inside tx for an
// edit of the list. The order of rejections is: unknown exchange, unknown
// participant, exchange started.
func draftParticipant(tx data.Tx, id, pid string) (call, error) {
	c, err := load(tx, id, "", nil)
	if err != nil {
		return c, err
	}
	var ok bool
	c.pseq, c.p, ok, err = getParticipant(tx, c.exSeq, pid)
	switch {
	case err != nil:
		return c, err
	case !ok:
		return c, errNoParticipant()
	case c.ex.Status != StatusDraft:
		return c, errStarted()
	}
	return c, nil
}

// participantView renders p; lookup returns another participant of the same
// exchange by sequence (ok false if deleted).
func participantView(seq uint64, p participantRec, lookup func(uint64) (participantRec, uint64, bool)) Participant {
	v := Participant{ID: data.EncodeID(seq, p.Tag), Name: p.Name, Phone: p.Phone, Group: p.Group,
		DrawnAt: p.DrawnAt, RemindedAt: p.RemindedAt, Exclude: []string{}}
	for _, x := range p.Exclude {
		if q, _, ok := lookup(x); ok {
			v.Exclude = append(v.Exclude, q.Phone)
		}
	}
	if p.Recipient != 0 {
		if q, qseq, ok := lookup(p.Recipient); ok {
			v.RecipientID, v.RecipientName = data.EncodeID(qseq, q.Tag), q.Name
		}
	}
	return v
}

// txLookup looks participants of exchange ex up one by one inside tx.
func txLookup(tx data.Tx, ex uint64) func(uint64) (participantRec, uint64, bool) {
	b := data.MustBucket(tx, bucketParticipants)
	return func(seq uint64) (participantRec, uint64, bool) {
		var p participantRec
		v := b.Get(partKey(ex, seq))
		if v == nil || json.Unmarshal(v, &p) != nil {
			return participantRec{}, 0, false
		}
		return p, seq, true
	}
}

// Results lists an exchange's participants in import order with whether and
// when each drew and whom each gives to (after start). drawn, if not nil,
// keeps only those who have (true) or have not (false) drawn.
func (s *Service) Results(ctx context.Context, id string, drawn *bool) ([]Participant, error) {
	var out []Participant
	var ok bool
	err := s.db.View(func(tx data.Tx) error {
		exSeq, _, found, err := getExchange(tx, id)
		if err != nil || !found {
			return err
		}
		ok = true
		type entry struct {
			seq uint64
			p   participantRec
		}
		var all []entry
		at := map[uint64]int{}
		err = forEachParticipant(tx, exSeq, func(seq uint64, p participantRec) error {
			at[seq] = len(all)
			all = append(all, entry{seq, p})
			return nil
		})
		if err != nil {
			return err
		}
		lookup := func(seq uint64) (participantRec, uint64, bool) {
			i, ok := at[seq]
			if !ok {
				return participantRec{}, 0, false
			}
			return all[i].p, seq, true
		}
		out = make([]Participant, 0, len(all))
		for _, e := range all {
			if drawn != nil && (e.p.DrawnAt != nil) != *drawn {
				continue
			}
			out = append(out, participantView(e.seq, e.p, lookup))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("exchange results: %w", err)
	}
	if !ok {
		return nil, errNoExchange()
	}
	return out, nil
}

// ParticipantUpdate holds the fields of a participant edit; nil fields stay.
type ParticipantUpdate struct {
	Name    *string
	Phone   *string
	Group   *string
	Exclude *[]string // phones already on the list
}

// UpdateParticipant edits a participant of a draft exchange. The same rules
// as for an import apply; a changed phone must not be on the list already,
// and exclusions must name phones on the list.
func (s *Service) UpdateParticipant(ctx context.Context, id, pid string, u ParticipantUpdate) (Participant, error) {
	var name, phone, group string
	var excl []string
	var err error
	if u.Name != nil {
		if name, err = checkName(*u.Name); err != nil {
			return Participant{}, data.Invalid("name", "%s", err)
		}
	}
	if u.Phone != nil {
		if phone, err = auth.NormalizePhone(*u.Phone); err != nil {
			return Participant{}, data.Invalid("phone", "%s", err)
		}
	}
	if u.Group != nil {
		if group, err = checkGroup(*u.Group); err != nil {
			return Participant{}, data.Invalid("group", "%s", err)
		}
	}
	if u.Exclude != nil {
		if len(*u.Exclude) > MaxExcludes {
			return Participant{}, data.Invalid("exclude", "lists %d phones; at most %d", len(*u.Exclude), MaxExcludes)
		}
		excl = []string{}
		for _, x := range *u.Exclude {
			p, err := auth.NormalizePhone(x)
			if err != nil {
				return Participant{}, data.Invalid("exclude", "malformed phone %q: %s", clip(x), err)
			}
			if !slices.Contains(excl, p) {
				excl = append(excl, p)
			}
		}
	}
	var out Participant
	err = s.db.Update(ctx, func(tx data.Tx) error {
		c, err := draftParticipant(tx, id, pid)
		if err != nil {
			return err
		}
		exSeq, ex, seq, p := c.exSeq, c.ex, c.pseq, c.p
		idx := data.MustBucket(tx, bucketPhones)
		newPhone := p.Phone
		if u.Phone != nil && phone != p.Phone {
			if idx.Get(phoneKey(exSeq, phone)) != nil {
				return data.Invalid("phone", "phone %s is already on the list", phone)
			}
			newPhone = phone
		}
		var exclSeqs []uint64
		if u.Exclude != nil {
			exclSeqs = []uint64{}
			for _, x := range excl {
				if x == newPhone {
					return data.Invalid("exclude", "excludes the participant's own phone %s", x)
				}
				xs := data.ParseU64(idx.Get(phoneKey(exSeq, x)))
				if xs == 0 || xs == seq {
					return data.Invalid("exclude", "excludes %s, a phone not on the list", x)
				}
				exclSeqs = append(exclSeqs, xs)
			}
		}
		if newPhone != p.Phone {
			if err := idx.Delete(phoneKey(exSeq, p.Phone)); err != nil {
				return err
			}
			if err := idx.Put(phoneKey(exSeq, newPhone), data.U64(seq)); err != nil {
				return err
			}
			p.Phone = newPhone
		}
		if u.Name != nil {
			p.Name = name
		}
		if u.Group != nil {
			p.Group = group
		}
		if exclSeqs != nil {
			p.Exclude = exclSeqs
		}
		if err := data.PutJSON(data.MustBucket(tx, bucketParticipants), partKey(exSeq, seq), p); err != nil {
			return err
		}
		ex.Version++
		if err := putExchange(tx, exSeq, ex); err != nil {
			return err
		}
		out = participantView(seq, p, txLookup(tx, exSeq))
		return nil
	})
	if err != nil {
		return Participant{}, fmt.Errorf("update participant: %w", err)
	}
	return out, nil
}

// DeleteParticipant removes a participant from a draft exchange. Others'
// exclusions of them lapse.
func (s *Service) DeleteParticipant(ctx context.Context, id, pid string) error {
	err := s.db.Update(ctx, func(tx data.Tx) error {
		c, err := draftParticipant(tx, id, pid)
		if err != nil {
			return err
		}
		exSeq, ex, seq, p := c.exSeq, c.ex, c.pseq, c.p
		if err := data.MustBucket(tx, bucketParticipants).Delete(partKey(exSeq, seq)); err != nil {
			return err
		}
		if err := data.MustBucket(tx, bucketPhones).Delete(phoneKey(exSeq, p.Phone)); err != nil {
			return err
		}
		ex.Participants--
		ex.Version++
		return putExchange(tx, exSeq, ex)
	})
	if err != nil {
		return fmt.Errorf("delete participant: %w", err)
	}
	return nil
}
