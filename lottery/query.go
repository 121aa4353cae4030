package lottery

import (
	"context"
	"fmt"

	"luckbox/auth"
	"luckbox/data"
)

// Get returns lottery id as viewer (a user seq; 0 for none) sees it.
func (s *Service) Get(ctx context.Context, id string, viewer uint64) (Lottery, error) {
	var out Lottery
	var found bool
	err := s.db.View(func(tx data.Tx) error {
		seq, r, ok, err := loadByID(tx, id)
		if err != nil || !ok {
			return err
		}
		found = true
		out = view(tx, seq, &r, viewer, s.opts.Now())
		return nil
	})
	if err != nil {
		return Lottery{}, fmt.Errorf("get lottery: %w", err)
	}
	if !found {
		return Lottery{}, errNotFound()
	}
	return out, nil
}

// Watch subscribes to the live events of lottery id and returns its state
// at the moment of subscribing (so no change falls between the two). Call
// cancel when done; the channel is closed when the watcher falls behind or
// the broker closes.
func (s *Service) Watch(ctx context.Context, id string, viewer uint64) (Lottery, <-chan Event, func(), error) {
	seq, _, ok := data.DecodeID(id)
	if !ok {
		return Lottery{}, nil, nil, errNotFound()
	}
	ch, cancel := s.events.subscribe(seq)
	l, err := s.Get(ctx, id, viewer)
	if err != nil {
		cancel()
		return Lottery{}, nil, nil, err
	}
	return l, ch, cancel, nil
}

// Roles of Mine.
const (
	RoleCreated = "created"
	RoleJoined  = "joined"
)

// Mine lists the lotteries user userSeq created or joined, newest first,
// limit at a time. cursor is the next value of the previous page ("" for
// the first); next is "" on the last page.
func (s *Service) Mine(ctx context.Context, userSeq uint64, role, cursor string, limit int) (items []Lottery, next string, err error) {
	var bucket []byte
	switch role {
	case RoleCreated:
		bucket = bucketCreated
	case RoleJoined:
		bucket = bucketJoined
	default:
		return nil, "", data.Invalid("role", "must be created or joined")
	}
	limit = pageLimit(limit, DefaultListLimit, MaxListLimit)
	from, err := data.ParseCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	err = s.db.View(func(tx data.Tx) error {
		items, next, err = newestFirst(tx, bucket, data.U64(userSeq), from, limit, userSeq, s.opts.Now())
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list lotteries: %w", err)
	}
	return items, next, nil
}

// notDrawn is the conflict answered for results asked before the draw.
func notDrawn(r *record) error {
	if r.Status == StatusCanceled {
		return data.Errorf(data.EConflict, "lottery is canceled: there are no results")
	}
	return data.Errorf(data.EConflict, "lottery is not drawn yet")
}

// Winners lists the winners of a drawn lottery in draw order with their
// nicknames, limit at a time (cursor as in Mine). Before the draw it is a
// conflict.
func (s *Service) Winners(ctx context.Context, id, cursor string, limit int) (items []WinnerView, next string, err error) {
	from, err := data.ParseForwardCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	limit = pageLimit(limit, DefaultWinnersLimit, MaxWinnersLimit)
	items = []WinnerView{}
	err = s.db.View(func(tx data.Tx) error {
		seq, r, err := loadResults(tx, id, nil)
		if err != nil {
			return err
		}
		c := data.MustBucket(tx, bucketWinners).Cursor()
		now := s.opts.Now()
		next, err = data.InOrder(c, lkey(seq), from, limit, func(_ uint64, v []byte) (bool, error) {
			u, tag, p := data.ParseU64(v), data.ParseU64(v[8:]), int(data.ParseU64(v[16:]))
			round := winnerRound(v)
			w := WinnerView{UserID: data.EncodeID(u, tag), Round: round, Status: claimStatus(tx, seq, u, &r, round, now)}
			if p < len(r.Prizes) {
				w.Prize = r.Prizes[p].Name
			}
			user, found, err := auth.UserBySeqInTx(tx, u)
			if err != nil {
				return false, err
			}
			if found {
				w.Nickname = user.Nickname
			}
			items = append(items, w)
			return true, nil
		})
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list winners: %w", err)
	}
	return items, next, nil
}

// Proof returns everything needed to recompute the winners of a drawn
// lottery offline: its id, the revealed seed, its hash, the entries in entry
// order, their hash, the prizes and the winners in draw order. Before the
// draw it is a conflict.
func (s *Service) Proof(ctx context.Context, id string) (Proof, error) {
	var out Proof
	err := s.db.View(func(tx data.Tx) error {
		seq, r, err := loadResults(tx, id, nil)
		if err != nil {
			return err
		}
		out = Proof{
			Algorithm:   DrawAlgorithm,
			LotteryID:   id,
			Seed:        r.Seed,
			SeedHash:    r.SeedHash,
			Entries:     readEntries(tx, seq, r.Count),
			EntriesHash: r.EntriesHash,
			Prizes:      append([]Prize{}, r.Prizes...),
			Winners:     make([]Winner, 0, r.WinnerCount),
		}
		rounds := proofWinners(tx, seq, &r)
		out.Winners = append(out.Winners, rounds[0]...)
		out.Redraws = r.redrawProofs(rounds)
		return nil
	})
	if err != nil {
		return Proof{}, fmt.Errorf("lottery proof: %w", err)
	}
	return out, nil
}
