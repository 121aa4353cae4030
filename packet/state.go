package packet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"luckbox/data"
)

// Packet kinds.
const (
	KindPersonal = "personal" // one share for ToUserID
	KindEqual    = "equal"    // Count shares of AmountEach
	KindLucky    = "lucky"    // Amount split randomly into Count shares
)

// Packet statuses.
const (
	StatusUnpaid   = "unpaid"   // paid with WeChat, payment not reported yet
	StatusPending  = "pending"  // the sender's client reported payment; notification not in
	StatusActive   = "active"   // funded, shares left
	StatusFinished = "finished" // every share grabbed (and funded)
	StatusExpired  = "expired"  // expired; a funded remainder went back to the sender
)

var kindNames = []string{"", KindPersonal, KindEqual, KindLucky}
var statusNames = []string{"", StatusUnpaid, StatusPending, StatusActive, StatusFinished, StatusExpired}

func code(names []string, name string) uint8 {
	for i, n := range names {
		if n == name && i > 0 {
			return uint8(i)
		}
	}
	return 0
}

func name(names []string, c uint8) string {
	if int(c) < len(names) {
		return names[c]
	}
	return "unknown"
}

// state is the hot part of a packet: everything a grab reads and writes, in a
// small fixed-size binary record so a grab on a hot packet rewrites 47
// bytes. The share list, the grabs and the cold fields live under their own keys.
type state struct {
	Tag       uint64
	Kind      string
	Status    string
	Funded    bool // the packet's money is in escrow (paid from balance, or notified)
	Sender    uint64
	ToUser    uint64 // personal packets only
	Count     uint32
	Amount    int64
	CreatedAt int64 // Unix nanoseconds
	ExpiresAt int64
	// Next is the number of grabs so far, the index of the next share.
	Next uint32
	// Credited is how many grabs (in index order) were credited to their
	// receivers; less than Next only while the packet is not funded.
	Credited        uint32
	RemainingAmount int64  // money of the shares not grabbed yet (0 after a refund)
	FinishedAt      int64  // 0 unless finished
	Refunded        int64  // refunded to the sender on expiry
	Best            uint32 // 1 + grab index of the best luck (lucky packets, once finished); 0 none
	OrderSeq        uint64 // the payment order of a WeChat-paid packet
	// Last is the seq of the user who made the latest grab (0: none yet):
	// the head of the chain of grab records (see grabRec).
	Last uint64
}

// A packet's state is stored in two small binary records: the part that
// changes (hot, 47 bytes, in bucketPackets: every grab rewrites it, and
// the hot records of all packets are packed together, so a batch of grabs
// on many packets rewrites few pages) and the part fixed at creation
// (62 bytes, in bucketPacketFixed, never rewritten). Schema 1 had one
// 100-byte record (stateSizeV1, read by the migration only).
const (
	hotVersion, hotSize     = 1, 1 + 1 + 1 + 4 + 4 + 8 + 8 + 8 + 8 + 4
	fixedVersion, fixedSize = 1, 1 + 8 + 1 + 8 + 8 + 4 + 8 + 8 + 8 + 8
	stateSizeV1             = 1 + 8 + 1 + 1 + 1 + 8 + 8 + 4 + 8 + 8 + 8 + 4 + 4 + 8 + 8 + 8 + 4 + 8
)

// RemainingCount is the number of shares not grabbed yet.
func (s *state) RemainingCount() int { return int(s.Count - s.Next) }

func (s *state) expired(now time.Time) bool {
	return s.Status == StatusExpired || !now.Before(time.Unix(0, s.ExpiresAt))
}

// marshalHot encodes what changes after creation.
func (s *state) marshalHot() []byte {
	b := make([]byte, 0, hotSize)
	f := byte(0)
	if s.Funded {
		f = 1
	}
	b = append(b, hotVersion, code(statusNames, s.Status), f)
	b = binary.BigEndian.AppendUint32(b, s.Next)
	b = binary.BigEndian.AppendUint32(b, s.Credited)
	b = binary.BigEndian.AppendUint64(b, uint64(s.RemainingAmount))
	b = binary.BigEndian.AppendUint64(b, s.Last)
	b = binary.BigEndian.AppendUint64(b, uint64(s.FinishedAt))
	b = binary.BigEndian.AppendUint64(b, uint64(s.Refunded))
	return binary.BigEndian.AppendUint32(b, s.Best)
}

// marshalFixed encodes what is fixed at creation.
func (s *state) marshalFixed() []byte {
	b := make([]byte, 0, fixedSize)
	b = append(b, fixedVersion)
	b = binary.BigEndian.AppendUint64(b, s.Tag)
	b = append(b, code(kindNames, s.Kind))
	b = binary.BigEndian.AppendUint64(b, s.Sender)
	b = binary.BigEndian.AppendUint64(b, s.ToUser)
	b = binary.BigEndian.AppendUint32(b, s.Count)
	b = binary.BigEndian.AppendUint64(b, uint64(s.Amount))
	b = binary.BigEndian.AppendUint64(b, uint64(s.CreatedAt))
	b = binary.BigEndian.AppendUint64(b, uint64(s.ExpiresAt))
	return binary.BigEndian.AppendUint64(b, s.OrderSeq)
}

var errBadState = errors.New("packet state record is malformed")

// unmarshal decodes the two records of a packet's state.
func (s *state) unmarshal(hot, fixed []byte) error {
	if len(hot) != hotSize || hot[0] != hotVersion || len(fixed) != fixedSize || fixed[0] != fixedVersion {
		return errBadState
	}
	u64 := func(b []byte, i int) uint64 { return binary.BigEndian.Uint64(b[i:]) }
	u32 := func(b []byte, i int) uint32 { return binary.BigEndian.Uint32(b[i:]) }
	*s = state{
		Status: name(statusNames, hot[1]), Funded: hot[2] == 1, Next: u32(hot, 3), Credited: u32(hot, 7),
		RemainingAmount: int64(u64(hot, 11)), Last: u64(hot, 19), FinishedAt: int64(u64(hot, 27)),
		Refunded: int64(u64(hot, 35)), Best: u32(hot, 43),
		Tag: u64(fixed, 1), Kind: name(kindNames, fixed[9]), Sender: u64(fixed, 10), ToUser: u64(fixed, 18),
		Count: u32(fixed, 26), Amount: int64(u64(fixed, 30)), CreatedAt: int64(u64(fixed, 38)),
		ExpiresAt: int64(u64(fixed, 46)), OrderSeq: u64(fixed, 54),
	}
	return nil
}

// unmarshalV1 decodes a schema-1 state record (the migration); Last is 0.
func (s *state) unmarshalV1(b []byte) error {
	if len(b) != stateSizeV1 || b[0] != 1 {
		return errBadState
	}
	u64 := func(i int) uint64 { return binary.BigEndian.Uint64(b[i:]) }
	u32 := func(i int) uint32 { return binary.BigEndian.Uint32(b[i:]) }
	*s = state{
		Tag: u64(1), Kind: name(kindNames, b[9]), Status: name(statusNames, b[10]), Funded: b[11] == 1,
		Sender: u64(12), ToUser: u64(20), Count: u32(28), Amount: int64(u64(32)),
		CreatedAt: int64(u64(40)), ExpiresAt: int64(u64(48)), Next: u32(56), Credited: u32(60),
		RemainingAmount: int64(u64(64)), FinishedAt: int64(u64(72)), Refunded: int64(u64(80)),
		Best: u32(88), OrderSeq: u64(92),
	}
	return nil
}

// loadState reads a packet's state; found is false if there is none.
func loadState(tx data.Tx, seq uint64) (state, bool, error) {
	var s state
	key := data.U64(seq)
	hot := data.MustBucket(tx, bucketPackets).Get(key)
	if hot == nil {
		return s, false, nil
	}
	if err := s.unmarshal(hot, data.MustBucket(tx, bucketPacketFixed).Get(key)); err != nil {
		return s, true, fmt.Errorf("packet %d: %w", seq, err)
	}
	return s, true, nil
}

// putState writes what changes of a packet's state (its fixed part is
// written once, by newState).
func putState(tx data.Tx, seq uint64, s *state) error {
	if err := data.MustBucket(tx, bucketPackets).Put(data.U64(seq), s.marshalHot()); err != nil {
		return fmt.Errorf("put packet %d: %w", seq, err)
	}
	return nil
}

// newState writes both parts of a new packet's state.
func newState(tx data.Tx, seq uint64, s *state) error {
	if err := data.AppendBucket(tx, bucketPacketFixed).Put(data.U64(seq), s.marshalFixed()); err != nil {
		return fmt.Errorf("put packet %d: %w", seq, err)
	}
	return putState(tx, seq, s)
}

// lookup resolves a public packet id to its sequence and state; ok is false
// for a malformed or unknown id or a tag mismatch.
func lookup(tx data.Tx, id string) (uint64, state, bool, error) {
	seq, tag, ok := data.DecodeID(id)
	if !ok {
		return 0, state{}, false, nil
	}
	return lookupSeq(tx, seq, tag)
}

// lookupSeq is lookup of a decoded id.
func lookupSeq(tx data.Tx, seq, tag uint64) (uint64, state, bool, error) {
	st, found, err := loadState(tx, seq)
	if err != nil || !found || st.Tag != tag {
		return 0, state{}, false, err
	}
	return seq, st, true, nil
}

// info is the cold part of a packet, written once at creation.
type info struct {
	Greeting   string `json:"greeting"`
	AmountEach int64  `json:"amount_each,omitempty"`
	PayWith    string `json:"pay_with"`
	Commit     string `json:"commit,omitempty"` // hex SplitCommit of a lucky packet
	Salt       string `json:"salt,omitempty"`   // hex; revealed once the packet is finished or expired
}

// grabRec is a user's grab of a packet, under user ‖ 'r' ‖ packet in
// bucketAccounts: 20 bytes, the grab's index (the share it took), its time
// and the previous grabber. The amount is the share (bucketShares).
type grabRec struct {
	Index uint32
	At    int64  // Unix nanoseconds
	Prev  uint64 // user seq of grab Index-1; 0 for the first grab
}

const grabRecSize = 4 + 8 + 8

func (g grabRec) marshal() []byte {
	b := binary.BigEndian.AppendUint32(make([]byte, 0, grabRecSize), g.Index)
	b = binary.BigEndian.AppendUint64(b, uint64(g.At))
	return binary.BigEndian.AppendUint64(b, g.Prev)
}

func parseGrabRec(b []byte) (grabRec, error) {
	if len(b) != grabRecSize {
		return grabRec{}, errors.New("grab record is malformed")
	}
	return grabRec{Index: binary.BigEndian.Uint32(b), At: int64(binary.BigEndian.Uint64(b[4:])), Prev: binary.BigEndian.Uint64(b[12:])}, nil
}

// grabOf reads user's grab of packet seq, if any.
func grabOf(tx data.Tx, user, seq uint64) (grabRec, bool, error) {
	v := data.MustBucket(tx, bucketAccounts).Get(grabKey(user, seq))
	if v == nil {
		return grabRec{}, false, nil
	}
	g, err := parseGrabRec(v)
	if err != nil {
		return g, true, fmt.Errorf("packet %d, user %d: %w", seq, user, err)
	}
	return g, true, nil
}

// grabChain visits the grabs of packet seq from the latest back to index
// stop, following the chain of grab records from st.Last; fn gets each
// grab's user and record. A record that is missing or out of sequence is
// an error (the audit reports it).
func grabChain(tx data.Tx, seq uint64, st *state, stop uint32, fn func(user uint64, g grabRec) error) error {
	acc := data.MustBucket(tx, bucketAccounts)
	user := st.Last
	for i := st.Next; i > stop; i-- {
		g, err := parseGrabRec(acc.Get(grabKey(user, seq)))
		if err != nil || g.Index != i-1 {
			return fmt.Errorf("packet %d: grab %d (by user %d) is missing from the chain of grabs", seq, i-1, user)
		}
		if err := fn(user, g); err != nil {
			return err
		}
		user = g.Prev
	}
	return nil
}

// share returns share i of packet seq.
func share(tx data.Tx, seq uint64, i uint32) (int64, error) {
	v := data.MustBucket(tx, bucketShares).Get(data.U64(seq))
	if len(v) < int(i+1)*8 {
		return 0, fmt.Errorf("packet %d: share %d is missing", seq, i)
	}
	return int64(binary.BigEndian.Uint64(v[i*8:])), nil
}

// loadShares returns the share list of packet seq.
func loadShares(tx data.Tx, seq uint64) []int64 {
	var v []byte
	if b := tx.Bucket(bucketShares); b != nil {
		v = b.Get(data.U64(seq))
	}
	out := make([]int64, len(v)/8)
	for i := range out {
		out[i] = int64(binary.BigEndian.Uint64(v[i*8:]))
	}
	return out
}

func encodeShares(shares []int64) []byte {
	b := make([]byte, 0, 8*len(shares))
	for _, s := range shares {
		b = binary.BigEndian.AppendUint64(b, uint64(s))
	}
	return b
}

// bestIndex is the index of the largest share, the earliest on ties.
func bestIndex(shares []int64) int {
	best := 0
	for i, s := range shares {
		if s > shares[best] {
			best = i
		}
	}
	return best
}
