package lottery

import (
	"encoding/json"
	"sync"
	"time"
)

// Names of live events (Event.Name).
const (
	EventCount    = "count"    // {"participant_count"}
	EventLocked   = "locked"   // {"locked_at","entries_hash","participant_count"}
	EventDrawn    = "drawn"    // {"drawn_at","participant_count","winner_count","entries_hash","seed"}
	EventCanceled = "canceled" // {"canceled_at"}
	EventRedrawn  = "redrawn"  // {"round","drawn_at","winner_count","seed"}
)

// Event is one live update of a lottery; Data is its JSON payload.
type Event struct {
	Name string
	Data json.RawMessage
}

// subscriberBuffer is how many events a watcher may fall behind before it is
// dropped (its channel closed): a client that reconnects gets a fresh state,
// so dropping a slow watcher loses nothing and never blocks the writer.
const subscriberBuffer = 64

// Events is an in-memory broker of live lottery updates, keyed by lottery.
// Operations publish after their transaction commits (tx.OnCommit), so a
// watcher never sees a change that did not happen. Publishing never blocks.
type Events struct {
	mu     sync.Mutex
	subs   map[uint64]map[chan Event]struct{}
	closed bool
	relay  func(seq uint64, ev Event) // SetRelay
}

// SetRelay makes every published event go to relay instead of this
// process's watchers: in a cluster, relay carries it to every node, each of
// which hands it to Deliver. relay must not block. Call it before serving.
func (e *Events) SetRelay(relay func(seq uint64, ev Event)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.relay = relay
}

// NewEvents returns an empty broker.
func NewEvents() *Events {
	return &Events{subs: map[uint64]map[chan Event]struct{}{}}
}

// subscribe registers a watcher of lottery seq. The channel is closed when
// the watcher falls behind, when cancel is called or when the broker closes.
func (e *Events) subscribe(seq uint64) (<-chan Event, func()) {
	ch := make(chan Event, subscriberBuffer)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		close(ch)
		return ch, func() {}
	}
	set := e.subs[seq]
	if set == nil {
		set = map[chan Event]struct{}{}
		e.subs[seq] = set
	}
	set[ch] = struct{}{}
	return ch, func() { e.drop(seq, ch) }
}

// drop removes and closes one watcher (no-op if already gone; e.mu not held).
func (e *Events) drop(seq uint64, ch chan Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.dropLocked(seq, ch)
}

func (e *Events) dropLocked(seq uint64, ch chan Event) {
	set := e.subs[seq]
	if _, ok := set[ch]; !ok {
		return
	}
	delete(set, ch)
	if len(set) == 0 {
		delete(e.subs, seq)
	}
	close(ch)
}

// publish sends an event to every watcher of lottery seq. payload is
// encoded only when someone watches.
func (e *Events) publish(seq uint64, name string, payload any) {
	e.mu.Lock()
	relay := e.relay
	if relay == nil && len(e.subs[seq]) == 0 {
		e.mu.Unlock()
		return
	}
	e.mu.Unlock()
	raw, err := json.Marshal(payload)
	if err != nil {
		return // the payloads are plain structs: cannot happen
	}
	ev := Event{Name: name, Data: raw}
	if relay != nil {
		relay(seq, ev) // watchers anywhere in the cluster, here included, get it through Deliver
		return
	}
	e.Deliver(seq, ev)
}

// Deliver sends an event of lottery seq to this process's watchers (a
// watcher too slow to take it is dropped). Never blocks.
func (e *Events) Deliver(seq uint64, ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	set := e.subs[seq]
	for ch := range set {
		select {
		case ch <- ev:
		default:
			e.dropLocked(seq, ch) // too slow: the client reconnects and resyncs
		}
	}
}

// Watchers returns how many watchers lottery seq has (for tests and metrics).
func (e *Events) watchers(seq uint64) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.subs[seq])
}

// Close ends every watch and refuses new ones (server shutdown: streaming
// handlers return so the server can stop).
func (e *Events) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	e.closed = true
	for seq, set := range e.subs {
		for ch := range set {
			close(ch)
		}
		delete(e.subs, seq)
	}
}

// Payloads of the events.
type (
	countEvent struct {
		ParticipantCount int `json:"participant_count"`
	}
	lockedEvent struct {
		LockedAt         time.Time `json:"locked_at"`
		EntriesHash      string    `json:"entries_hash"`
		ParticipantCount int       `json:"participant_count"`
	}
	drawnEvent struct {
		DrawnAt          time.Time `json:"drawn_at"`
		ParticipantCount int       `json:"participant_count"`
		WinnerCount      int       `json:"winner_count"`
		EntriesHash      string    `json:"entries_hash"`
		Seed             string    `json:"seed"`
	}
	redrawnEvent struct {
		Round       int       `json:"round"`
		DrawnAt     time.Time `json:"drawn_at"`
		WinnerCount int       `json:"winner_count"`
		Seed        string    `json:"seed"`
	}
	canceledEvent struct {
		CanceledAt time.Time `json:"canceled_at"`
	}
)
