package lottery

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"luckbox/data"
)

// newSeed draws a fresh 32-byte seed from the service's random source.
func (s *Service) newSeed() ([32]byte, error) {
	var seed [32]byte
	if _, err := io.ReadFull(s.opts.Rand, seed[:]); err != nil {
		return seed, fmt.Errorf("seed: %w", err)
	}
	return seed, nil
}

func hexOf(b [32]byte) string { return hex.EncodeToString(b[:]) }

// dueClaimEnd closes the claim window of one round of a lottery (the due
// item's ref is lottery seq ‖ round) in one write operation: the round's
// winners who did not claim lapse and are told so, and their prizes are
// redrawn if a redraw round was committed (see closeWindow). Idempotent: a
// window already closed, or a lottery not drawn, is left alone, so the
// close runs exactly once even when the scheduler runs it again after a
// restart.
func (s *Service) dueClaimEnd(ctx context.Context, d data.Due) error {
	if len(d.Ref) != 16 {
		return data.Permanent(fmt.Errorf("claim window close: bad ref %x", d.Ref))
	}
	seq, round := data.ParseU64(d.Ref), int(data.ParseU64(d.Ref[8:]))
	now := s.opts.Now().UTC()
	err := s.db.Update(ctx, func(tx data.Tx) error {
		r, found, err := loadRecord(tx, seq)
		if err != nil || !found {
			return err
		}
		changed, err := s.closeWindow(tx, seq, &r, round, now)
		if err != nil || !changed {
			return err
		}
		return putRecord(tx, seq, &r)
	})
	if err != nil {
		return fmt.Errorf("close claim window %d of lottery %d: %w", round, seq, err)
	}
	return nil
}

// roundWinner is a winner of one round as bucketWinners holds it.
type roundWinner struct {
	user, tag uint64
	prize     int
}

// closeWindow closes the claim window of round in tx and reports whether it
// changed r. Every decision is made before the first write: the lapsed
// winners (the round's winners without a claim, in draw order), then, if
// the next redraw round's seed was committed and someone lapsed, the
// redraw: Redraw over the entries that have never won and the lapsed
// prizes. Then it writes the redraw's winners after the earlier rounds',
// reveals the round's seed, opens the new winners' claim window and tells
// the lapsed and the new winners (inbox and subscribe message, in this
// same transaction, so exactly once).
func (s *Service) closeWindow(tx data.Tx, seq uint64, r *record, round int, now time.Time) (bool, error) {
	if r.Status != StatusDrawn || round >= len(r.Windows) || r.Windows[round].Closed {
		return false, nil
	}
	id := data.EncodeID(seq, r.Tag)
	all := readWinners(tx, seq)
	claims := data.MustBucket(tx, bucketClaims)
	var lapsed []roundWinner
	for _, w := range all[round] {
		if claims.Get(pairKey(seq, w.user)) == nil {
			lapsed = append(lapsed, w)
		}
	}
	var plan *redrawPlan
	if len(lapsed) > 0 && round < len(r.Redraws) {
		var err error
		if plan, err = planRedraw(tx, seq, r, round, all, lapsed); err != nil {
			return false, err
		}
	}
	// Decided: write.
	r.Windows[round].Closed = true
	for _, w := range lapsed {
		if err := s.notify.Notify(tx, w.user, s.lapsedNotification(id, r, w.prize, plan != nil)); err != nil {
			return false, err
		}
	}
	if plan == nil {
		return true, nil
	}
	if err := s.applyRedraw(tx, seq, r, round, plan, now); err != nil {
		return false, err
	}
	return true, nil
}

// readWinners returns the winners of every round of lottery seq, by round,
// each round in draw order.
func readWinners(tx data.Tx, seq uint64) map[int][]roundWinner {
	out := map[int][]roundWinner{}
	prefix := lkey(seq)
	c := data.MustBucket(tx, bucketWinners).Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		if len(v) < 24 {
			continue
		}
		rd := winnerRound(v)
		out[rd] = append(out[rd], roundWinner{user: data.ParseU64(v), tag: data.ParseU64(v[8:]), prize: int(data.ParseU64(v[16:]))})
	}
	return out
}

// redrawPlan is a redraw decided, not yet written.
type redrawPlan struct {
	lapsed       []string
	prizes       []Prize
	eligibleHash [32]byte
	winners      []Winner
	refs         map[string]entryRef // the winners' entries by user id
}

// planRedraw decides the redraw of the lapsed prizes of a round: the
// eligible entries are the entries, in entry order, of users who won in no
// round so far.
func planRedraw(tx data.Tx, seq uint64, r *record, round int, all map[int][]roundWinner, lapsed []roundWinner) (*redrawPlan, error) {
	won := map[string]bool{}
	for _, ws := range all {
		for _, w := range ws {
			won[data.EncodeID(w.user, w.tag)] = true
		}
	}
	var entries []string
	refs := map[string]entryRef{}
	scanEntries(tx, seq, func(user, tag uint64) {
		id := data.EncodeID(user, tag)
		entries = append(entries, id)
		if !won[id] {
			refs[id] = entryRef{user, tag}
		}
	})
	p := &redrawPlan{refs: refs}
	names := make([]string, 0, len(lapsed))
	for _, w := range lapsed {
		p.lapsed = append(p.lapsed, data.EncodeID(w.user, w.tag))
		if w.prize < len(r.Prizes) {
			names = append(names, r.Prizes[w.prize].Name)
		}
	}
	p.prizes = LapsedPrizes(r.Prizes, names)
	seed, err := decodeHexSeed(r.Redraws[round].Seed)
	if err != nil {
		return nil, fmt.Errorf("redraw lottery %d: %w", seq, err)
	}
	p.eligibleHash, p.winners = Redraw(seed, Eligible(entries, won), p.prizes)
	return p, nil
}

// applyRedraw writes a planned redraw as round+1: its winners after every
// earlier winner in bucketWinners, bucketWon for me.prize and claims, the
// round revealed in the record, the new winners' window opened and the
// new winners told.
func (s *Service) applyRedraw(tx data.Tx, seq uint64, r *record, round int, p *redrawPlan, now time.Time) error {
	id := data.EncodeID(seq, r.Tag)
	rd := &r.Redraws[round]
	rank := uint64(r.WinnerCount)
	for _, x := range r.Redraws[:round] {
		rank += uint64(x.WinnerCount)
	}
	prizeIndex := make(map[string]uint64, len(r.Prizes))
	for i, pr := range r.Prizes {
		prizeIndex[pr.Name] = uint64(i)
	}
	wb, won := data.MustBucket(tx, bucketWinners), data.MustBucket(tx, bucketWon)
	next := data.U64(uint64(round + 1))
	for _, w := range p.winners {
		e, ok := p.refs[w.UserID]
		if !ok {
			return fmt.Errorf("redraw lottery %d: winner %s is not an eligible entry", seq, w.UserID)
		}
		pi := prizeIndex[w.Prize]
		if err := wb.Put(pairKey(seq, rank), data.Key(data.U64(e.user), data.U64(e.tag), data.U64(pi), next)); err != nil {
			return err
		}
		if err := won.Put(pairKey(seq, e.user), data.Key(data.U64(pi), data.U64(rank), next)); err != nil {
			return err
		}
		rank++
	}
	drawn := now
	rd.DrawnAt, rd.Lapsed, rd.EligibleHash = &drawn, p.lapsed, hexOf(p.eligibleHash)
	rd.Prizes, rd.WinnerCount = p.prizes, len(p.winners)
	ev := redrawnEvent{Round: round + 1, DrawnAt: drawn, WinnerCount: len(p.winners), Seed: rd.Seed}
	tx.OnCommit(func() { s.events.publish(seq, EventRedrawn, ev) })
	if len(p.winners) > 0 {
		if err := s.openWindow(tx, seq, r, now); err != nil {
			return err
		}
	}
	deadline := r.Windows[len(r.Windows)-1].Deadline
	for _, w := range p.winners {
		e := p.refs[w.UserID]
		if err := s.notify.Notify(tx, e.user, s.redrawNotification(id, r, round+1, w.Prize, deadline)); err != nil {
			return err
		}
	}
	return nil
}

// decodeHexSeed parses a stored hex seed.
func decodeHexSeed(s string) ([32]byte, error) {
	var seed [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return seed, fmt.Errorf("redraw seed is corrupt")
	}
	copy(seed[:], b)
	return seed, nil
}
