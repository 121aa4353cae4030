package packet

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

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

// grabCheck decides a grab from the state in tx: a rejection, the user's
// earlier grab, or go (res is zero, err nil, ok true) with the packet's state.
func grabCheck(tx *bolt.Tx, id string, user uint64, now time.Time) (seq uint64, st state, res GrabResult, rej error, ok bool, err error) {
	seq, st, found, err := lookup(tx, id)
	if err != nil {
		return 0, st, res, nil, false, err
	}
	if !found {
		return 0, st, res, data.Errorf(data.ENotFound, "no such packet"), false, nil
	}
	if st.Kind == KindPersonal && st.ToUser != user {
		return seq, st, res, data.Errorf(data.EForbidden, "this packet is for someone else"), false, nil
	}
	if i, again := grabIndexOf(tx, seq, user); again {
		g, err := loadGrab(tx, seq, i)
		if err != nil {
			return seq, st, res, nil, false, err
		}
		return seq, st, GrabResult{Amount: g.Amount, BestLuck: st.Status == StatusFinished && st.Best == i+1,
			Credited: i < st.Credited, Again: true}, nil, false, nil
	}
	switch {
	case st.Status == StatusUnpaid:
		return seq, st, res, data.Errorf(data.EConflict, "the packet is not paid yet"), false, nil
	case st.Status == StatusFinished || st.Next >= st.Count:
		return seq, st, res, data.Errorf(data.EExhausted, "all shares have been taken"), false, nil
	case st.expired(now):
		return seq, st, res, data.Errorf(data.EExpired, "the packet has expired"), false, nil
	}
	return seq, st, res, nil, true, nil
}

// Grab takes the next share of packet id for user, in one operation: the
// receiver is credited (or, for a pending packet, the grab is recorded and
// credited when the payment arrives) and the last share finishes the packet.
// A second grab by the same user returns the first (Again). Not the recipient
// of a personal packet: forbidden; no share left: exhausted; past expires_at:
// expired; not paid yet: conflict. Rejections and repeated grabs are answered
// from a read view without queuing a write.
func (s *Service) Grab(ctx context.Context, user uint64, id string) (GrabResult, error) {
	now := s.now().UTC()
	var res GrabResult
	var rej error
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		_, _, res, rej, ok, err = grabCheck(tx, id, user, now)
		return err
	})
	if err != nil {
		return GrabResult{}, fmt.Errorf("grab: %w", err)
	}
	if !ok {
		return res, rej
	}
	err = s.db.Update(ctx, func(tx *bolt.Tx) error {
		seq, st, r, rj, ok, err := grabCheck(tx, id, user, now)
		res, rej = r, rj
		if err != nil || !ok {
			return err
		}
		i := st.Next
		amount, err := share(tx, seq, i)
		if err != nil {
			return err
		}
		if err := data.AppendBucket(tx, bucketGrabs).Put(grabKey(seq, i), grab{User: user, Amount: amount, At: now.UnixNano()}.marshal()); err != nil {
			return err
		}
		if err := data.MustBucket(tx, bucketGrabbers).Put(grabberKey(seq, user), u32(i)); err != nil {
			return err
		}
		s.db.Activity(tx, ActivityGrabs, 1)
		if err := data.MustBucket(tx, bucketUserPackets).Put(userPacketKey(user, roleReceived, seq), nil); err != nil {
			return err
		}
		st.Next++
		st.RemainingAmount -= amount
		res = GrabResult{Amount: amount}
		if st.Funded {
			if err := moveMoney(tx, user, amount, LedgerPacketGrab, id, now); err != nil {
				return err
			}
			st.Credited = st.Next
			res.Credited = true
			if st.Next == st.Count {
				s.finish(tx, seq, &st, now)
				res.BestLuck = st.Best == i+1
			}
		}
		return putState(tx, seq, &st)
	})
	if err != nil {
		return GrabResult{}, fmt.Errorf("grab: %w", err)
	}
	return res, rej
}
