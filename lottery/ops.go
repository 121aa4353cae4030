package lottery

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"luckbox/auth"
	"luckbox/data"
)

// closedError is the conflict answered when entries can no longer change.
func closedError(r *record) error {
	switch r.Status {
	case StatusDrawn:
		return data.Errorf(data.EConflict, "lottery is already drawn")
	case StatusCanceled:
		return data.Errorf(data.EConflict, "lottery is canceled")
	default:
		return data.Errorf(data.EConflict, "lottery is locked: entries closed before the draw")
	}
}

// limit is the most entries r takes.
func (r *record) limit() int {
	if r.MaxParticipants > 0 {
		return r.MaxParticipants
	}
	return MaxParticipants
}

// Join enters user u in lottery id. created is false when u had already
// joined: the same entry is returned, whatever the lottery's state. A
// lottery that is not open, or is full, is a conflict. Joining a count
// lottery up to its draw.participants draws it in the same operation.
func (s *Service) Join(ctx context.Context, id string, u auth.User) (e Entry, created bool, err error) {
	seq, tag, ok := data.DecodeID(id)
	if !ok {
		return Entry{}, false, errNotFound()
	}
	// Fast path: a repeated join answers from a read view, without a write.
	var known bool
	err = s.db.View(func(tx data.Tx) error {
		v := data.MustBucket(tx, bucketJoined).Get(memberKey(u.Seq, seq))
		if len(v) < 16 {
			return nil // a new join: the operation decides
		}
		r, found, err := loadRecord(tx, seq)
		if err != nil || !found || r.Tag != tag {
			return err
		}
		known = true
		e = r.entry(id, data.ParseTimeKey(v[8:16]))
		return nil
	})
	if err != nil {
		return Entry{}, false, fmt.Errorf("join lottery: %w", err)
	}
	if known {
		return e, false, nil
	}
	now := s.opts.Now().UTC()
	err = s.db.Update(ctx, func(tx data.Tx) error {
		created, e = false, Entry{}
		r, err := mustLoad(tx, seq, tag)
		if err != nil {
			return err
		}
		members := data.MustBucket(tx, bucketJoined)
		mk := memberKey(u.Seq, seq)
		if v := members.Get(mk); len(v) >= 16 {
			e = r.entry(id, data.ParseTimeKey(v[8:16]))
			return nil
		}
		if r.closed(now) {
			return closedError(&r)
		}
		if err := auth.CheckGroupInTx(tx, u.Seq, r.Group, now); err != nil {
			return err
		}
		if r.Count >= r.limit() {
			return data.Errorf(data.EConflict, "lottery is full: %d participants", r.Count)
		}
		// Decided: write.
		r.NextEntry++
		r.Count++
		if err := data.AppendBucket(tx, bucketEntries).Put(pairKey(seq, r.NextEntry), entryValue(u.Seq, u.Tag)); err != nil {
			return err
		}
		if err := members.Put(mk, data.Key(data.U64(r.NextEntry), data.TimeKey(now))); err != nil {
			return err
		}
		count := r.Count
		tx.OnCommit(func() { s.events.publish(seq, EventCount, countEvent{count}) })
		s.db.Activity(tx, ActivityJoins, 1)
		store := putCounts
		if r.Mode == ModeCount && r.Count >= r.Participants {
			if err := s.drawTx(tx, seq, &r, now); err != nil {
				return err
			}
			store = putRecord
		}
		if err := store(tx, seq, &r); err != nil {
			return err
		}
		created = true
		e = r.entry(id, now)
		return nil
	})
	if err != nil {
		return Entry{}, false, fmt.Errorf("join lottery: %w", err)
	}
	return e, created, nil
}

// Leave takes user userSeq out of lottery id while it is open: not joined is
// not found; a lottery that is not open is a conflict.
func (s *Service) Leave(ctx context.Context, id string, userSeq uint64) error {
	seq, tag, ok := data.DecodeID(id)
	if !ok {
		return errNotFound()
	}
	now := s.opts.Now().UTC()
	err := s.db.Update(ctx, func(tx data.Tx) error {
		r, err := mustLoad(tx, seq, tag)
		if err != nil {
			return err
		}
		members := data.MustBucket(tx, bucketJoined)
		mk := memberKey(userSeq, seq)
		v := members.Get(mk)
		if len(v) < 16 {
			return data.Errorf(data.ENotFound, "you have not joined this lottery")
		}
		if r.closed(now) {
			return closedError(&r)
		}
		entry := data.ParseU64(v)
		if err := data.MustBucket(tx, bucketEntries).Delete(pairKey(seq, entry)); err != nil {
			return err
		}
		if err := members.Delete(mk); err != nil {
			return err
		}
		r.Count--
		count := r.Count
		tx.OnCommit(func() { s.events.publish(seq, EventCount, countEvent{count}) })
		return putCounts(tx, seq, &r)
	})
	if err != nil {
		return fmt.Errorf("leave lottery: %w", err)
	}
	return nil
}

// creatorOp runs a creator-only transition of lottery id: not found, then
// forbidden for anyone but the creator (whatever the state), then apply,
// which writes or returns a rejection. It returns the lottery afterwards.
func (s *Service) creatorOp(ctx context.Context, id string, userSeq uint64, what string,
	apply func(tx data.Tx, seq uint64, r *record, now time.Time) error) (Lottery, error) {
	seq, tag, ok := data.DecodeID(id)
	if !ok {
		return Lottery{}, errNotFound()
	}
	now := s.opts.Now().UTC()
	var out Lottery
	err := s.db.Update(ctx, func(tx data.Tx) error {
		out = Lottery{}
		r, err := mustLoad(tx, seq, tag)
		if err != nil {
			return err
		}
		if r.CreatorSeq != userSeq {
			return data.Errorf(data.EForbidden, "only the creator may %s this lottery", what)
		}
		if err := apply(tx, seq, &r, now); err != nil {
			return err
		}
		if err := putRecord(tx, seq, &r); err != nil {
			return err
		}
		out = view(tx, seq, &r, userSeq, now)
		return nil
	})
	if err != nil {
		return Lottery{}, fmt.Errorf("%s lottery: %w", what, err)
	}
	return out, nil
}

// Cancel cancels an open lottery; only its creator may.
func (s *Service) Cancel(ctx context.Context, id string, userSeq uint64) (Lottery, error) {
	return s.creatorOp(ctx, id, userSeq, "cancel", func(tx data.Tx, seq uint64, r *record, now time.Time) error {
		if r.closed(now) {
			return closedError(r)
		}
		if err := s.unschedule(tx, seq, r); err != nil {
			return err
		}
		r.Status = StatusCanceled
		r.CanceledAt = &now
		if err := s.enqueueCancelNotices(tx, seq, r); err != nil {
			return err
		}
		tx.OnCommit(func() { s.events.publish(seq, EventCanceled, canceledEvent{now}) })
		return nil
	})
}

// Draw draws lottery id now, whatever its mode (early for time and count
// lotteries); only its creator may. A drawn or canceled lottery is a conflict.
func (s *Service) Draw(ctx context.Context, id string, userSeq uint64) (Lottery, error) {
	return s.creatorOp(ctx, id, userSeq, "draw", func(tx data.Tx, seq uint64, r *record, now time.Time) error {
		if r.Status == StatusDrawn || r.Status == StatusCanceled {
			return closedError(r)
		}
		return s.drawTx(tx, seq, r, now)
	})
}

// unschedule removes the lock and draw of a time lottery from the scheduler.
func (s *Service) unschedule(tx data.Tx, seq uint64, r *record) error {
	if r.Mode != ModeTime {
		return nil
	}
	if err := s.db.Unschedule(tx, *r.lockAt(), dueLock, lkey(seq)); err != nil {
		return err
	}
	return s.db.Unschedule(tx, *r.At, dueDraw, lkey(seq))
}

// resultsMessage is the outbox payload that starts the result fan-out.
type resultsMessage struct {
	Lottery uint64 `json:"lottery"`
}

// drawTx draws lottery seq inside tx: it reads the entries in entry order,
// hashes them (checking the hash published at the lock, if any), runs Draw,
// stores the winners, reveals the seed, and enqueues one outbox message that
// fans the results out to every participant after commit. The caller stores r.
func (s *Service) drawTx(tx data.Tx, seq uint64, r *record, now time.Time) error {
	seed, err := decodeSeed(r)
	if err != nil {
		return err
	}
	eh, n := entriesDigest(tx, seq)
	if n != r.Count {
		return fmt.Errorf("draw lottery %d: %d entries stored, record counts %d", seq, n, r.Count)
	}
	ehHex := hex.EncodeToString(eh[:])
	if r.EntriesHash != "" && r.EntriesHash != ehHex {
		return fmt.Errorf("draw lottery %d: entries hash %s differs from the one published at the lock %s", seq, ehHex, r.EntriesHash)
	}
	picks := DrawPicks(seed, eh, n, r.Prizes)
	positions := make([]int, len(picks))
	for i, p := range picks {
		positions[i] = p.Index
	}
	refs := entriesAt(tx, seq, positions)
	prizeIndex := make(map[string]uint64, len(r.Prizes))
	for i, p := range r.Prizes {
		prizeIndex[p.Name] = uint64(i)
	}
	wb, won := data.MustBucket(tx, bucketWinners), data.MustBucket(tx, bucketWon)
	for rank, pk := range picks {
		e, ok := refs[pk.Index]
		if !ok {
			return fmt.Errorf("draw lottery %d: entry %d vanished during the draw", seq, pk.Index)
		}
		p := prizeIndex[pk.Prize]
		if err := wb.Put(pairKey(seq, uint64(rank)), data.Key(data.U64(e.user), data.U64(e.tag), data.U64(p))); err != nil {
			return err
		}
		if err := won.Put(pairKey(seq, e.user), data.Key(data.U64(p), data.U64(uint64(rank)))); err != nil {
			return err
		}
	}
	if err := s.unschedule(tx, seq, r); err != nil {
		return err
	}
	if r.Mode == ModeTime && r.LockedAt == nil {
		r.LockedAt = &now
	}
	r.Status = StatusDrawn
	r.DrawnAt = &now
	r.EntriesHash = ehHex
	r.WinnerCount = len(picks)
	if len(picks) > 0 {
		if err := s.openWindow(tx, seq, r, now); err != nil {
			return err
		}
	}
	if r.Count == 0 {
		r.NotifyDone = true
	} else if _, err := s.db.Enqueue(tx, outboxResults, resultsMessage{Lottery: seq}); err != nil {
		return err
	}
	ev := drawnEvent{DrawnAt: now, ParticipantCount: r.Count, WinnerCount: len(picks), EntriesHash: ehHex, Seed: r.Seed}
	tx.OnCommit(func() { s.events.publish(seq, EventDrawn, ev) })
	s.db.Count(tx, CountDraws, 1)
	return nil
}

// CountDraws is the data.DB.Count counter of committed lottery draws (the
// luckbox_lottery_draws_total metric).
const CountDraws = "lottery_draws"

// ActivityJoins is the data.DB.Activity series of committed lottery
// entries (the admin activity chart's joins per minute).
const ActivityJoins = "lottery_joins"

// dueLock locks a time lottery at draw.at − lock_before_seconds: the entries
// are fixed and their hash published. Idempotent: anything but an open time
// lottery is left alone.
func (s *Service) dueLock(ctx context.Context, d data.Due) error {
	seq := data.ParseU64(d.Ref)
	now := s.opts.Now().UTC()
	err := s.db.Update(ctx, func(tx data.Tx) error {
		r, found, err := loadRecord(tx, seq)
		if err != nil || !found || r.Status != StatusOpen || r.Mode != ModeTime {
			return err
		}
		eh, n := entriesDigest(tx, seq)
		if n != r.Count {
			return fmt.Errorf("lock lottery %d: %d entries stored, record counts %d", seq, n, r.Count)
		}
		r.Status = StatusLocked
		r.LockedAt = &now
		r.EntriesHash = hex.EncodeToString(eh[:])
		ev := lockedEvent{LockedAt: now, EntriesHash: r.EntriesHash, ParticipantCount: r.Count}
		tx.OnCommit(func() { s.events.publish(seq, EventLocked, ev) })
		return putRecord(tx, seq, &r)
	})
	if err != nil {
		return fmt.Errorf("lock lottery %d: %w", seq, err)
	}
	return nil
}

// dueDraw draws a time lottery at draw.at (locking it first if its lock has
// not run). Idempotent: a drawn or canceled lottery is left alone.
func (s *Service) dueDraw(ctx context.Context, d data.Due) error {
	seq := data.ParseU64(d.Ref)
	now := s.opts.Now().UTC()
	err := s.db.Update(ctx, func(tx data.Tx) error {
		r, found, err := loadRecord(tx, seq)
		if err != nil || !found || (r.Status != StatusOpen && r.Status != StatusLocked) {
			return err
		}
		if err := s.drawTx(tx, seq, &r, now); err != nil {
			return err
		}
		return putRecord(tx, seq, &r)
	})
	if err != nil {
		return fmt.Errorf("draw lottery %d: %w", seq, err)
	}
	return nil
}
