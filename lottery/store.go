package lottery

import (
	"fmt"
	"time"
	"unsafe"

	"luckbox/data"
)

// record is a lottery as stored under its seq in bucketLotteries, with its
// counts in bucketCounts (entries and winners live in their own buckets).
// Seed is secret until the draw: views show it only when the status is
// drawn.
type record struct {
	Tag               uint64     `json:"tag"`
	Title             string     `json:"title"`
	Description       string     `json:"description"`
	CreatorSeq        uint64     `json:"creator"`
	CreatorTag        uint64     `json:"creator_tag"`
	Status            string     `json:"status"`
	Prizes            []Prize    `json:"prizes"`
	Mode              string     `json:"mode"`
	At                *time.Time `json:"at,omitempty"`
	Participants      int        `json:"participants,omitempty"`
	LockBeforeSeconds int        `json:"lock_before"`
	MaxParticipants   int        `json:"max_participants"`
	Count             int        `json:"-"` // current entries (bucketCounts)
	NextEntry         uint64     `json:"-"` // last entry seq handed out (bucketCounts)
	WinnerCount       int        `json:"winner_count"`
	CreatedAt         time.Time  `json:"created_at"`
	LockedAt          *time.Time `json:"locked_at,omitempty"`
	DrawnAt           *time.Time `json:"drawn_at,omitempty"`
	CanceledAt        *time.Time `json:"canceled_at,omitempty"`
	Seed              string     `json:"seed"` // hex; secret until drawn
	SeedHash          string     `json:"seed_hash"`
	EntriesHash       string     `json:"entries_hash,omitempty"`
	// NotifiedUpTo is the last entry seq whose participant has been told the
	// result; NotifyDone is set when everyone has.
	NotifiedUpTo uint64 `json:"notified_up_to,omitempty"`
	NotifyDone   bool   `json:"notify_done,omitempty"`
	// Group is the openGId of the WeChat group the lottery is restricted to
	// ("": open to everyone); server-side only, never in a view.
	Group string `json:"group,omitempty"`
	// ClaimWindow is how long, in seconds, winners have to claim (0: no
	// window, claims never lapse); RedrawRounds how many times lapsed
	// prizes may be redrawn. Windows[r] is the claim window of round r (0:
	// the main draw), opened by its draw; Redraws[r] is redraw round r+1,
	// committed when Windows[r] opened.
	ClaimWindow  int            `json:"claim_window,omitempty"`
	RedrawRounds int            `json:"redraw_rounds,omitempty"`
	Windows      []claimWindow  `json:"windows,omitempty"`
	Redraws      []redrawRecord `json:"redraws,omitempty"`
}

// lockAt is when a time lottery locks (nil for other modes).
func (r *record) lockAt() *time.Time {
	if r.Mode != ModeTime || r.At == nil {
		return nil
	}
	t := r.At.Add(-time.Duration(r.LockBeforeSeconds) * time.Second)
	return &t
}

// closed reports whether entries may no longer change at now: the lottery is
// not open, or it is a time lottery past its lock time whose lock has not run
// yet (the scheduler may be late, e.g. at start-up).
func (r *record) closed(now time.Time) bool {
	if r.Status != StatusOpen {
		return true
	}
	l := r.lockAt()
	return l != nil && !now.Before(*l)
}

// key helpers.
func lkey(seq uint64) []byte     { return data.U64(seq) }
func pairKey(a, b uint64) []byte { return data.Key(data.U64(a), data.U64(b)) }
func pairSecond(k []byte) uint64 { return data.ParseU64(k[8:]) }

// memberKey is the key of user's entry in lottery in bucketJoined.
func memberKey(user, lottery uint64) []byte { return pairKey(user, lottery) }
func hasPrefix(k, prefix []byte) bool {
	return len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix)
}
func entryValue(user, tag uint64) []byte { return data.Key(data.U64(user), data.U64(tag)) }

// loadRecord reads a lottery by seq.
func loadRecord(tx data.Tx, seq uint64) (record, bool, error) {
	var r record
	ok, err := data.GetJSON(data.MustBucket(tx, bucketLotteries), lkey(seq), &r)
	if err != nil {
		return record{}, false, fmt.Errorf("load lottery %d: %w", seq, err)
	}
	if c := data.MustBucket(tx, bucketCounts).Get(lkey(seq)); ok && len(c) == 16 {
		r.Count, r.NextEntry = int(data.ParseU64(c)), data.ParseU64(c[8:])
	}
	return r, ok, nil
}

// loadByID reads a lottery by public id: a malformed id, an unknown seq or
// a tag mismatch is not found.
func loadByID(tx data.Tx, id string) (uint64, record, bool, error) {
	seq, tag, ok := data.DecodeID(id)
	if !ok {
		return 0, record{}, false, nil
	}
	r, found, err := loadRecord(tx, seq)
	if err != nil || !found || r.Tag != tag {
		return 0, record{}, false, err
	}
	return seq, r, true, nil
}

// mustLoad reads the lottery with sequence seq and tag inside an operation:
// an unknown seq or a tag mismatch is the not_found rejection.
func mustLoad(tx data.Tx, seq, tag uint64) (record, error) {
	r, found, err := loadRecord(tx, seq)
	switch {
	case err != nil:
		return record{}, err
	case !found || r.Tag != tag:
		return record{}, errNotFound()
	}
	return r, nil
}

// putRecord stores the whole lottery: record and counts.
func putRecord(tx data.Tx, seq uint64, r *record) error {
	if err := data.PutJSON(data.MustBucket(tx, bucketLotteries), lkey(seq), r); err != nil {
		return fmt.Errorf("store lottery %d: %w", seq, err)
	}
	return putCounts(tx, seq, r)
}

// putCounts stores only the counts of a lottery (a join or leave that
// changed nothing else).
func putCounts(tx data.Tx, seq uint64, r *record) error {
	if err := data.AppendBucket(tx, bucketCounts).Put(lkey(seq), data.Key(data.U64(uint64(r.Count)), data.U64(r.NextEntry))); err != nil {
		return fmt.Errorf("store lottery %d counts: %w", seq, err)
	}
	return nil
}

func errNotFound() error { return data.Errorf(data.ENotFound, "no such lottery") }

// readEntries returns the user ids of every entry of lottery seq in entry
// order (the order of the current entries' joins; the draw's input order),
// read in one cursor pass. The ids are substrings of
// one string, so a million entries cost a handful of allocations. The draw and
// the lock use entriesDigest and entriesAt instead, which hold no list.
func readEntries(tx data.Tx, seq uint64, sizeHint int) []string {
	buf := make([]byte, 0, sizeHint*data.IDLen)
	n := 0
	scanEntries(tx, seq, func(user, tag uint64) {
		buf = data.AppendID(buf, user, tag)
		n++
	})
	if n == 0 {
		return []string{}
	}
	// buf is never written again, so the string may share its memory (this
	// saves copying 26 MB for a million entries).
	all := unsafe.String(&buf[0], len(buf))
	ids := make([]string, n)
	for i := range ids {
		ids[i] = all[i*data.IDLen : (i+1)*data.IDLen]
	}
	return ids
}

// scanEntries calls fn with the user seq and tag of every entry of lottery
// seq, in entry order.
func scanEntries(tx data.Tx, seq uint64, fn func(user, tag uint64)) {
	prefix := lkey(seq)
	c := data.MustBucket(tx, bucketEntries).Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		if len(v) >= 16 {
			fn(data.ParseU64(v), data.ParseU64(v[8:]))
		}
	}
}

// entriesDigest returns EntriesHash of the entries of lottery seq and their
// number, in one cursor pass that holds no list: a million-entry draw
// allocates kilobytes, not the 42 MB of a list (whose fresh pages cost more
// than the hashing on a busy server).
func entriesDigest(tx data.Tx, seq uint64) (sum [32]byte, n int) {
	e := newEntriesHasher()
	var id [data.IDLen]byte
	scanEntries(tx, seq, func(user, tag uint64) {
		addEntry(e, data.AppendID(id[:0], user, tag))
		n++
	})
	return e.sum(), n
}

// entryRef is the user seq and tag of an entry.
type entryRef struct{ user, tag uint64 }

// entriesAt returns the entries of lottery seq at the given positions (join
// order), in a second cursor pass.
func entriesAt(tx data.Tx, seq uint64, positions []int) map[int]entryRef {
	want := make(map[int]bool, len(positions))
	for _, p := range positions {
		want[p] = true
	}
	refs := make(map[int]entryRef, len(positions))
	i := 0
	scanEntries(tx, seq, func(user, tag uint64) {
		if want[i] {
			refs[i] = entryRef{user, tag}
		}
		i++
	})
	return refs
}

// view builds the public view of a lottery. viewer is the user seq of the
// caller (0: none, Me stays nil).
func view(tx data.Tx, seq uint64, r *record, viewer uint64, now time.Time) Lottery {
	l := Lottery{
		ID:               data.EncodeID(seq, r.Tag),
		Title:            r.Title,
		Description:      r.Description,
		CreatorID:        data.EncodeID(r.CreatorSeq, r.CreatorTag),
		Status:           r.Status,
		Prizes:           append([]Prize{}, r.Prizes...),
		Draw:             DrawSpec{Mode: r.Mode},
		LockAt:           r.lockAt(),
		ParticipantCount: r.Count,
		MaxParticipants:  r.MaxParticipants,
		WinnerCount:      r.WinnerCount,
		CreatedAt:        r.CreatedAt,
		LockedAt:         r.LockedAt,
		DrawnAt:          r.DrawnAt,
		CanceledAt:       r.CanceledAt,
		Fairness:         Fairness{Algorithm: DrawAlgorithm, SeedHash: r.SeedHash},
		GroupOnly:        r.Group != "",
		ClaimWindow:      r.claimWindowView(),
	}
	switch r.Mode {
	case ModeTime:
		l.Draw.At = r.At
		l.LockBeforeSeconds = r.LockBeforeSeconds
	case ModeCount:
		n := r.Participants
		l.Draw.Participants = &n
	}
	if r.EntriesHash != "" {
		h := r.EntriesHash
		l.Fairness.EntriesHash = &h
	}
	if r.Status == StatusDrawn {
		seed := r.Seed
		l.Fairness.Seed = &seed
	}
	if viewer != 0 {
		l.Me = &Me{}
		if data.MustBucket(tx, bucketJoined).Get(memberKey(viewer, seq)) != nil {
			l.Me.Joined = true
		}
		if v := data.MustBucket(tx, bucketWon).Get(pairKey(seq, viewer)); len(v) >= 8 {
			if i := int(data.ParseU64(v)); i < len(r.Prizes) {
				name := r.Prizes[i].Name
				l.Me.Prize = &name
			}
			l.Me.claimState(tx, seq, viewer, r, wonRound(v), now)
		}
	}
	return l
}

// entry is the answer to a join of lottery id (r) whose entry was made at
// joinedAt.
func (r *record) entry(id string, joinedAt time.Time) Entry {
	return Entry{LotteryID: id, SeedHash: r.SeedHash, JoinedAt: joinedAt, Status: r.Status, ParticipantCount: r.Count}
}

// decodeSeed parses the stored hex seed.
func decodeSeed(r *record) ([32]byte, error) { return decodeHexSeed(r.Seed) }
