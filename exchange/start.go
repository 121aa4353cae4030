package exchange

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"

	"luckbox/data"
)

// AssignmentPair is one line of an assignment: the participant Giver gives
// to the participant Recipient (both public participant ids).
type AssignmentPair struct {
	Giver, Recipient string
}

// AssignmentHash is the commitment to an assignment that Start records: the
// lowercase hex SHA-256 of, for every participant in list order (the order
// of the admin results), the giver's id, one space, the recipient's id and a
// newline ("<giver id> <recipient id>\n"), concatenated. Anyone holding the
// results (ids and recipient ids) can recompute it and so check that the
// assignment was not changed after the start.
func AssignmentHash(pairs []AssignmentPair) string {
	h := sha256.New()
	for _, p := range pairs {
		io.WriteString(h, p.Giver+" "+p.Recipient+"\n")
	}
	return hex.EncodeToString(h.Sum(nil))
}

// snapshotView is a draft exchange's list as read for matching.
type snapshotView struct {
	exSeq   uint64
	version uint64
	seqs    []uint64
	recs    []participantRec
}

// errAlreadyStarted answers a start of a started exchange.
func errAlreadyStarted() error {
	return data.Errorf(data.EConflict, "the gift exchange has already started")
}

func (s *Service) snapshot(id string) (snapshotView, error) {
	var snap snapshotView
	err := s.db.View(func(tx data.Tx) error {
		c, err := load(tx, id, StatusDraft, errAlreadyStarted)
		if err != nil {
			return err
		}
		snap = snapshotView{exSeq: c.exSeq, version: c.ex.Version}
		return forEachParticipant(tx, c.exSeq, func(seq uint64, p participantRec) error {
			snap.seqs = append(snap.seqs, seq)
			snap.recs = append(snap.recs, p)
			return nil
		})
	})
	if err != nil {
		return snapshotView{}, fmt.Errorf("start exchange: %w", err)
	}
	return snap, nil
}

// Start fixes a draft exchange's assignment, once: one loop through every
// participant (so nobody draws themselves and there are no closed pairs),
// nobody giving to someone in their own group or exclusion list. The
// matching (Match, seeded from the service's random source) runs on a
// snapshot of the list before the write; the write checks that the list did
// not change meanwhile (it retries once if it did). When no assignment
// exists the error is a conflict explaining why, naming participants.
func (s *Service) Start(ctx context.Context, id string) (Exchange, error) {
	for attempt := 0; ; attempt++ {
		out, changed, err := s.tryStart(ctx, id)
		if err != nil || !changed {
			return out, err
		}
		if attempt == 1 {
			return Exchange{}, data.Errorf(data.EConflict, "the list kept changing while the exchange was starting; try again")
		}
	}
}

func (s *Service) tryStart(ctx context.Context, id string) (Exchange, bool, error) {
	snap, err := s.snapshot(id)
	if err != nil {
		return Exchange{}, false, err
	}
	n := len(snap.seqs)
	index := make(map[uint64]int, n)
	for i, seq := range snap.seqs {
		index[seq] = i
	}
	people := make([]MatchPerson, n)
	for i, p := range snap.recs {
		people[i].Group = p.Group
		for _, x := range p.Exclude {
			if j, ok := index[x]; ok {
				people[i].Exclude = append(people[i].Exclude, j)
			}
		}
	}
	var seed [32]byte
	if _, err := io.ReadFull(s.opts.Rand, seed[:]); err != nil {
		return Exchange{}, false, fmt.Errorf("start exchange: seed: %w", err)
	}
	order, err := Match(people, rand.New(rand.NewChaCha8(seed)))
	var nm *NoMatchError
	if errors.As(err, &nm) {
		msg := nm.Explain(func(i int) string { return fmt.Sprintf("%q (%s)", snap.recs[i].Name, snap.recs[i].Phone) })
		return Exchange{}, false, data.Errorf(data.EConflict, "no assignment: %s", msg)
	}
	if err != nil {
		return Exchange{}, false, fmt.Errorf("start exchange: %w", err)
	}
	recipient := make([]int, n) // by list position
	for k, giver := range order {
		recipient[giver] = order[(k+1)%n]
	}
	pairs := make([]AssignmentPair, n)
	for i := range n {
		r := recipient[i]
		pairs[i] = AssignmentPair{data.EncodeID(snap.seqs[i], snap.recs[i].Tag), data.EncodeID(snap.seqs[r], snap.recs[r].Tag)}
	}
	hash := AssignmentHash(pairs)
	if s.matchHook != nil {
		s.matchHook()
	}
	now := s.opts.Now().UTC()
	var out Exchange
	var changed bool
	err = s.db.Update(ctx, func(tx data.Tx) error {
		changed = false
		c, err := load(tx, id, StatusDraft, errAlreadyStarted)
		if err != nil {
			return err
		}
		exSeq, ex := c.exSeq, c.ex
		if ex.Version != snap.version || exSeq != snap.exSeq {
			changed = true
			return nil
		}
		parts := data.MustBucket(tx, bucketParticipants)
		for i, p := range snap.recs {
			p.Recipient = snap.seqs[recipient[i]]
			if err := data.PutJSON(parts, partKey(exSeq, snap.seqs[i]), p); err != nil {
				return err
			}
		}
		ex.Status, ex.StartedAt, ex.Hash = StatusStarted, &now, hash
		ex.Version++
		out = ex.public(exSeq)
		return putExchange(tx, exSeq, ex)
	})
	if err != nil {
		return Exchange{}, false, fmt.Errorf("start exchange: %w", err)
	}
	return out, changed, nil
}
