package packet

import (
	"luckbox/data"
	"slices"
	"sync"
	"time"
)

// finals remembers packets whose state is final, so that the rejections a
// crowd gets once a packet is gone (exhausted, expired, not for you) are
// answered from memory, without a read transaction.
//
// Why an answer from memory is never false. A packet's state is final when
// it is funded and finished or expired. No operation changes a final state
// or adds a grab to it:
//
//   - Grab writes only after grabCheck passed, and grabCheck rejects a
//     finished packet (exhausted) and an expired one (expired);
//   - fund (ApplyPayment) refuses a funded packet;
//   - expire leaves a finished or expired packet alone;
//   - MarkPaid changes only an unpaid packet;
//   - Create writes a new sequence.
//
// (An expired packet that is not funded is not final: a late payment funds
// it, credits its grabs and may finish it. It is never remembered.)
//
// So a final state, once committed, is the state of every later read view,
// and the answer grabCheck gives from it (for a given user) is the answer of
// every later grab. An entry is only ever made from a final state read in a
// committed read view (remember), after its commit; a grab that races the
// last share finds no entry and goes to the database as before, where the
// writer decides. The answer an entry gives is the one grabCheck would give
// from that state: the same rejection for anyone who did not grab, in
// grabCheck's order (not found for another tag, forbidden for a personal
// packet's other users, then exhausted or expired). A user who grabbed the
// packet is not answered from memory (their answer is their grab).
//
// Memory is bounded: at most maxFinalGrabbers grabber seqs are held in all,
// and the oldest entries are dropped first.
type finals struct {
	mu      sync.RWMutex
	m       map[uint64]*finalPacket
	order   []uint64 // packet seqs, oldest first (for dropping)
	held    int      // grabber seqs held in all entries
	maxHeld int
}

// finalPacket is what finals keeps of a final packet.
type finalPacket struct {
	tag      uint64
	to       uint64   // the recipient of a personal packet; 0 for other kinds
	reject   error    // what grabCheck answers anyone else: exhausted or expired
	grabbers []uint64 // the users who grabbed it, sorted
}

// maxFinalGrabbers bounds the grabber seqs finals holds (8 bytes each).
const maxFinalGrabbers = 1 << 20

func newFinals(maxHeld int) *finals {
	return &finals{m: map[uint64]*finalPacket{}, maxHeld: maxHeld}
}

// final reports whether st is final (see finals).
func final(st *state) bool {
	return st.Funded && (st.Status == StatusFinished || st.Status == StatusExpired)
}

// answer returns the rejection of a grab of packet seq (with tag) by user
// when it is known from memory, nil when the database must decide.
func (f *finals) answer(seq, tag, user uint64) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	p := f.m[seq]
	switch {
	case p == nil:
		return nil
	case p.tag != tag:
		return errNoPacket()
	case p.to != 0 && p.to != user:
		return errNotForYou()
	}
	if _, grabbed := slices.BinarySearch(p.grabbers, user); grabbed {
		return nil
	}
	return p.reject
}

// remember records packet seq, whose state st was read in tx, if st is
// final and the packet is not known yet. It reads the grabbers along the
// chain of grab records (once per packet).
func (f *finals) remember(tx data.Tx, seq uint64, st *state) {
	if !final(st) || int(st.Next) > f.maxHeld {
		return
	}
	f.mu.RLock()
	_, known := f.m[seq]
	f.mu.RUnlock()
	if known {
		return
	}
	p := &finalPacket{tag: st.Tag, reject: rejection(st, time.Time{}), grabbers: make([]uint64, 0, st.Next)}
	if st.Kind == KindPersonal {
		p.to = st.ToUser
	}
	if p.reject == nil {
		return
	}
	err := grabChain(tx, seq, st, 0, func(user uint64, _ grabRec) error {
		p.grabbers = append(p.grabbers, user)
		return nil
	})
	if err != nil {
		return // the audit reports a broken chain; the database answers
	}
	slices.Sort(p.grabbers)
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, known := f.m[seq]; known {
		return
	}
	for f.held+len(p.grabbers) > f.maxHeld && len(f.order) > 0 {
		old := f.order[0]
		f.order = f.order[1:]
		f.held -= len(f.m[old].grabbers)
		delete(f.m, old)
	}
	f.m[seq] = p
	f.order = append(f.order, seq)
	f.held += len(p.grabbers)
}

// size is the number of packets and grabber seqs held (tests).
func (f *finals) size() (packets, grabbers int) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return len(f.m), f.held
}
