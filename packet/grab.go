package packet

import (
	"context"
	"fmt"
	"time"

	"luckbox/auth"
	"luckbox/data"
)

// GrabResult is the outcome of a grab.
type GrabResult struct {
	Amount int64 `json:"amount"`
	// BestLuck is true for the largest share of a finished lucky packet
	// (ties: the earliest grab); false until the packet finishes.
	BestLuck bool `json:"best_luck"`
	// Credited is false while the packet waits for its payment notification.
	Credited bool `json:"credited"`
	// Again is true when the user had already grabbed: the first grab is returned.
	Again bool `json:"-"`
}

// grabCheck decides a grab from the state in tx. It returns the packet's
// state when the grab may go ahead; the user's earlier grab (again, with a
// nil error) when they already grabbed; or a rejection.
func grabCheck(tx data.Tx, seq, tag, user uint64, now time.Time) (_ uint64, st state, again *GrabResult, err error) {
	seq, st, found, err := lookupSeq(tx, seq, tag)
	if err != nil {
		return 0, st, nil, err
	}
	if !found {
		return 0, st, nil, errNoPacket()
	}
	if st.Kind == KindPersonal && st.ToUser != user {
		return seq, st, nil, errNotForYou()
	}
	g, ok, err := grabOf(tx, user, seq)
	if err != nil {
		return seq, st, nil, err
	}
	if ok {
		amount, err := share(tx, seq, g.Index)
		if err != nil {
			return seq, st, nil, err
		}
		return seq, st, &GrabResult{Amount: amount, BestLuck: st.Status == StatusFinished && st.Best == g.Index+1,
			Credited: g.Index < st.Credited, Again: true}, nil
	}
	return seq, st, nil, rejection(&st, now)
}

// rejection is what a grab of a packet in state st at now is answered by a
// user who has not grabbed it (nil: the grab may go ahead).
func rejection(st *state, now time.Time) error {
	switch {
	case st.Status == StatusUnpaid:
		return data.Errorf(data.EConflict, "the packet is not paid yet")
	case st.Status == StatusFinished || st.Next >= st.Count:
		return data.Errorf(data.EExhausted, "all shares have been taken")
	case st.expired(now):
		return data.Errorf(data.EExpired, "the packet has expired")
	}
	return nil
}

// groupCheck refuses the grab of a group-only packet by a user without a
// valid proof of its group (auth.CheckGroupInTx). It is not a final answer
// (the user may prove membership later), so finals never remembers it.
func groupCheck(tx data.Tx, seq, user uint64, now time.Time) error {
	g := data.MustBucket(tx, bucketPacketGroups).Get(data.U64(seq))
	if g == nil {
		return nil
	}
	return auth.CheckGroupInTx(tx, user, string(g), now)
}

func errNoPacket() error  { return data.Errorf(data.ENotFound, "no such packet") }
func errNotForYou() error { return data.Errorf(data.EForbidden, "this packet is for someone else") }

// Grab takes the next share of packet id for user, in one operation: the
// receiver is credited (or, for a pending packet, the grab is recorded and
// credited when the payment arrives) and the last share finishes the packet.
// A second grab by the same user returns the first (Again). Not the recipient
// of a personal packet: forbidden; no share left: exhausted; past expires_at:
// expired; not paid yet: conflict. Once a packet has rejected a grab or
// given out its last share, rejections and repeated grabs are answered from a
// read view (then from memory) without queuing a write (grabHints).
func (s *Service) Grab(ctx context.Context, user uint64, id string) (GrabResult, error) {
	seq, tag, ok := data.DecodeID(id)
	if !ok {
		return GrabResult{}, fmt.Errorf("grab: %w", errNoPacket())
	}
	if err := s.finals.answer(seq, tag, user); err != nil {
		return GrabResult{}, fmt.Errorf("grab: %w", err)
	}
	now := s.now().UTC()
	var res GrabResult
	if err := s.grabFromView(seq, tag, user, now, &res); err != nil || res.Again {
		return res, err
	}
	err := s.db.Update(ctx, func(tx data.Tx) error {
		seq, st, again, err := grabCheck(tx, seq, tag, user, now)
		if err != nil || again != nil {
			if again != nil {
				res = *again
			}
			if err == nil || data.IsRejection(err) {
				tx.OnCommit(func() { s.hints.add(seq) })
			}
			return err
		}
		if err := groupCheck(tx, seq, user, now); err != nil {
			return err
		}
		i := st.Next
		amount, err := share(tx, seq, i)
		if err != nil {
			return err
		}
		s.db.Activity(tx, ActivityGrabs, 1)
		// The grab record, under the user next to their wallet, links to
		// the previous grabber; the state names this one as the last.
		rec := grabRec{Index: i, At: now.UnixNano(), Prev: st.Last}
		if err := data.MustBucket(tx, bucketAccounts).Put(grabKey(user, seq), rec.marshal()); err != nil {
			return err
		}
		st.Last = user
		st.Next++
		st.RemainingAmount -= amount
		if st.Next == st.Count {
			tx.OnCommit(func() { s.hints.add(seq) })
		}
		res = GrabResult{Amount: amount}
		if st.Funded {
			if err := moveMoney(tx, user, amount, LedgerPacketGrab, seq, st.Tag, now); err != nil {
				return err
			}
			st.Credited = st.Next
			res.Credited = true
			if st.Next == st.Count {
				if err := s.finish(tx, seq, &st, now); err != nil {
					return err
				}
				res.BestLuck = st.Best == i+1
			}
		}
		return putState(tx, seq, &st)
	})
	if err != nil {
		return GrabResult{}, fmt.Errorf("grab: %w", err)
	}
	return res, nil
}

// grabFromView answers a grab of a hinted packet (grabHints) from a read
// view when it can: a rejection (returned), or the user's earlier grab (res,
// Again). Otherwise, and for a packet not hinted, the writer decides.
func (s *Service) grabFromView(seq, tag, user uint64, now time.Time, res *GrabResult) error {
	if !s.hints.has(seq) {
		return nil
	}
	err := s.db.View(func(tx data.Tx) error {
		seq, st, again, err := grabCheck(tx, seq, tag, user, now)
		if again != nil {
			*res = *again
		}
		if err != nil {
			switch data.ErrorCode(err) {
			case data.EExhausted, data.EExpired, data.EForbidden:
				s.finals.remember(tx, seq, &st)
			}
			return err
		}
		if again == nil {
			return groupCheck(tx, seq, user, now)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("grab: %w", err)
	}
	return nil
}
