package packet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

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
// small fixed-size binary record so a grab on a hot packet rewrites ~100
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
}

const stateVersion = 1
const stateSize = 1 + 8 + 1 + 1 + 1 + 8 + 8 + 4 + 8 + 8 + 8 + 4 + 4 + 8 + 8 + 8 + 4 + 8

// RemainingCount is the number of shares not grabbed yet.
func (s *state) RemainingCount() int { return int(s.Count - s.Next) }

func (s *state) expired(now time.Time) bool {
	return s.Status == StatusExpired || !now.Before(time.Unix(0, s.ExpiresAt))
}

func (s *state) marshal() []byte {
	b := make([]byte, 0, stateSize)
	b = append(b, stateVersion)
	b = binary.BigEndian.AppendUint64(b, s.Tag)
	b = append(b, code(kindNames, s.Kind), code(statusNames, s.Status))
	f := byte(0)
	if s.Funded {
		f = 1
	}
	b = append(b, f)
	b = binary.BigEndian.AppendUint64(b, s.Sender)
	b = binary.BigEndian.AppendUint64(b, s.ToUser)
	b = binary.BigEndian.AppendUint32(b, s.Count)
	b = binary.BigEndian.AppendUint64(b, uint64(s.Amount))
	b = binary.BigEndian.AppendUint64(b, uint64(s.CreatedAt))
	b = binary.BigEndian.AppendUint64(b, uint64(s.ExpiresAt))
	b = binary.BigEndian.AppendUint32(b, s.Next)
	b = binary.BigEndian.AppendUint32(b, s.Credited)
	b = binary.BigEndian.AppendUint64(b, uint64(s.RemainingAmount))
	b = binary.BigEndian.AppendUint64(b, uint64(s.FinishedAt))
	b = binary.BigEndian.AppendUint64(b, uint64(s.Refunded))
	b = binary.BigEndian.AppendUint32(b, s.Best)
	b = binary.BigEndian.AppendUint64(b, s.OrderSeq)
	return b
}

var errBadState = errors.New("packet state record is malformed")

func (s *state) unmarshal(b []byte) error {
	if len(b) != stateSize || b[0] != stateVersion {
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
func loadState(tx *bolt.Tx, seq uint64) (state, bool, error) {
	var s state
	v := data.MustBucket(tx, bucketPackets).Get(data.U64(seq))
	if v == nil {
		return s, false, nil
	}
	if err := s.unmarshal(v); err != nil {
		return s, true, fmt.Errorf("packet %d: %w", seq, err)
	}
	return s, true, nil
}

func putState(tx *bolt.Tx, seq uint64, s *state) error {
	if err := data.MustBucket(tx, bucketPackets).Put(data.U64(seq), s.marshal()); err != nil {
		return fmt.Errorf("put packet %d: %w", seq, err)
	}
	return nil
}

// lookup resolves a public packet id to its sequence and state; ok is false
// for a malformed or unknown id or a tag mismatch.
func lookup(tx *bolt.Tx, id string) (uint64, state, bool, error) {
	seq, tag, ok := data.DecodeID(id)
	if !ok {
		return 0, state{}, false, nil
	}
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

// grab is one grab record: 24 bytes, user seq, amount, time.
type grab struct {
	User   uint64
	Amount int64
	At     int64 // Unix nanoseconds
}

func (g grab) marshal() []byte {
	b := make([]byte, 0, 24)
	b = binary.BigEndian.AppendUint64(b, g.User)
	b = binary.BigEndian.AppendUint64(b, uint64(g.Amount))
	return binary.BigEndian.AppendUint64(b, uint64(g.At))
}

func parseGrab(b []byte) (grab, error) {
	if len(b) != 24 {
		return grab{}, errors.New("grab record is malformed")
	}
	return grab{User: binary.BigEndian.Uint64(b), Amount: int64(binary.BigEndian.Uint64(b[8:])), At: int64(binary.BigEndian.Uint64(b[16:]))}, nil
}

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func grabKey(seq uint64, i uint32) []byte { return binary.BigEndian.AppendUint32(data.U64(seq), i) }

func grabberKey(seq, user uint64) []byte { return data.Key(data.U64(seq), data.U64(user)) }

// loadGrab reads grab i of packet seq.
func loadGrab(tx *bolt.Tx, seq uint64, i uint32) (grab, error) {
	v := data.MustBucket(tx, bucketGrabs).Get(grabKey(seq, i))
	if v == nil {
		return grab{}, fmt.Errorf("packet %d: grab %d is missing", seq, i)
	}
	return parseGrab(v)
}

// grabIndexOf returns the index of user's grab of packet seq, if any.
func grabIndexOf(tx *bolt.Tx, seq, user uint64) (uint32, bool) {
	v := data.MustBucket(tx, bucketGrabbers).Get(grabberKey(seq, user))
	if len(v) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(v), true
}

// share returns share i of packet seq.
func share(tx *bolt.Tx, seq uint64, i uint32) (int64, error) {
	v := data.MustBucket(tx, bucketShares).Get(data.U64(seq))
	if len(v) < int(i+1)*8 {
		return 0, fmt.Errorf("packet %d: share %d is missing", seq, i)
	}
	return int64(binary.BigEndian.Uint64(v[i*8:])), nil
}

// loadShares returns the share list of packet seq.
func loadShares(tx *bolt.Tx, seq uint64) []int64 {
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

func userPacketKey(user uint64, role byte, seq uint64) []byte {
	return data.Key(data.U64(user), []byte{role}, data.U64(seq))
}

// Roles of the per-user packet index.
const (
	roleSent     = 's'
	roleReceived = 'r'
)
