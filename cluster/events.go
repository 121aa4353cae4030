package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// EventRelay carries live events from the node that publishes them (the
// writer, where commits happen) to every node: Publish queues an event;
// batches are put under <prefix>events/ with a short lease (they vanish by
// themselves), and every node watches that prefix and hands each event to
// its local fan-out. It is bounded: a full queue drops events (a client
// that misses one resynchronises on reconnect, as with a slow stream), and
// consecutive count updates of one lottery are coalesced to the latest.
type EventRelay struct {
	client  *clientv3.Client
	prefix  string // <prefix>events/
	deliver func(seq uint64, name string, data json.RawMessage)
	log     *slog.Logger
	origin  string // this relay's id in batch keys

	mu      sync.Mutex
	pending []relayEvent
	last    map[uint64]int // lottery → index of its last pending event
	wake    chan struct{}
	n       uint64 // batches put
	dropped uint64
}

// relayEvent is one event in a batch (the JSON of the etcd value is a list).
type relayEvent struct {
	Lottery uint64          `json:"l"`
	Name    string          `json:"n"`
	Data    json.RawMessage `json:"d"`
}

// Relay limits.
const (
	relayQueue     = 4096                   // events waiting at most
	relayBatchSize = 256 << 10              // bytes of one put at most
	relayFlush     = 50 * time.Millisecond  // batching window
	relayTTL       = 10                     // seconds a batch stays in etcd
	relayRegrant   = 5 * time.Second        // a lease is used this long, then a new one
	relayRetry     = 500 * time.Millisecond // after a failed watch
	coalescedName  = "count"                // lottery.EventCount: only the latest matters
)

// NewEventRelay returns a relay under prefix that hands events received
// from etcd to deliver (lottery.Events.Deliver). Run it.
func NewEventRelay(client *clientv3.Client, prefix string, deliver func(seq uint64, name string, data json.RawMessage), log *slog.Logger) *EventRelay {
	var id [6]byte
	rand.Read(id[:])
	return &EventRelay{client: client, prefix: prefix + "events/", deliver: deliver, log: log,
		origin: hex.EncodeToString(id[:]), last: map[uint64]int{}, wake: make(chan struct{}, 1)}
}

// Publish queues an event of lottery seq for every node; it never blocks.
func (r *EventRelay) Publish(seq uint64, name string, data json.RawMessage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i, ok := r.last[seq]; ok && name == coalescedName && r.pending[i].Name == coalescedName {
		r.pending[i].Data = data
		return
	}
	if len(r.pending) >= relayQueue {
		r.dropped++
		return
	}
	r.last[seq] = len(r.pending)
	r.pending = append(r.pending, relayEvent{Lottery: seq, Name: name, Data: data})
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run watches for events and puts the published ones until ctx ends.
func (r *EventRelay) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); r.watch(ctx) }()
	go func() { defer wg.Done(); r.flushLoop(ctx) }()
	wg.Wait()
}

// take removes and returns the pending events.
func (r *EventRelay) take() []relayEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	evs := r.pending
	r.pending, r.last = nil, map[uint64]int{}
	return evs
}

func (r *EventRelay) flushLoop(ctx context.Context) {
	var lease clientv3.LeaseID
	var granted time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		}
		select { // gather what commits in the window into one put
		case <-ctx.Done():
			return
		case <-time.After(relayFlush):
		}
		evs := r.take()
		if len(evs) == 0 {
			continue
		}
		if lease == 0 || time.Since(granted) > relayRegrant {
			g, err := r.client.Grant(ctx, relayTTL)
			if err != nil {
				r.log.Warn("live events: lease for the relay failed; events dropped", "err", err, "events", len(evs))
				continue
			}
			lease, granted = g.ID, time.Now()
		}
		for _, batch := range splitBatches(evs) {
			r.n++
			key := fmt.Sprintf("%s%s/%016x", r.prefix, r.origin, r.n)
			if _, err := r.client.Put(ctx, key, string(batch), clientv3.WithLease(lease)); err != nil {
				lease = 0
				r.log.Warn("live events: put failed; events dropped", "err", err)
				break
			}
		}
	}
}

// splitBatches encodes events as JSON lists of at most relayBatchSize bytes.
func splitBatches(evs []relayEvent) [][]byte {
	var out [][]byte
	for len(evs) > 0 {
		n, size := 0, 2
		for n < len(evs) && (n == 0 || size+len(evs[n].Data)+64 <= relayBatchSize) {
			size += len(evs[n].Data) + 64
			n++
		}
		b, err := json.Marshal(evs[:n])
		if err == nil {
			out = append(out, b)
		}
		evs = evs[n:]
	}
	return out
}

// watch delivers the events of every batch put from now on, re-watching
// after errors (events put meanwhile are missed: streams resync on
// reconnect).
func (r *EventRelay) watch(ctx context.Context) {
	for ctx.Err() == nil {
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		for resp := range r.client.Watch(wctx, r.prefix, clientv3.WithPrefix(), clientv3.WithFilterDelete()) {
			if err := resp.Err(); err != nil {
				r.log.Warn("live events: watch failed; watching again", "err", err)
				break
			}
			for _, ev := range resp.Events {
				var evs []relayEvent
				if err := json.Unmarshal(ev.Kv.Value, &evs); err != nil {
					r.log.Warn("live events: unreadable batch", "key", string(ev.Kv.Key), "err", err)
					continue
				}
				for _, e := range evs {
					r.deliver(e.Lottery, e.Name, e.Data)
				}
			}
		}
		cancel()
		select {
		case <-ctx.Done():
		case <-time.After(relayRetry):
		}
	}
}
