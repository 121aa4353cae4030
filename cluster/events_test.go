package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"luckbox/cluster/clustertest"
)

type delivered struct {
	lottery uint64
	name    string
	data    string
}

// collector is a node's local fan-out: it records what reaches it.
func collector() (func(uint64, string, json.RawMessage), <-chan delivered) {
	ch := make(chan delivered, 100)
	return func(seq uint64, name string, data json.RawMessage) { ch <- delivered{seq, name, string(data)} }, ch
}

func TestEventRelayReachesEveryNode(t *testing.T) {
	c := clustertest.Start(t, 3)
	deliverA, gotA := collector()
	deliverB, gotB := collector()
	a := NewEventRelay(c.Client(0), "/luckbox/", deliverA, quiet)
	b := NewEventRelay(c.Client(2), "/luckbox/", deliverB, quiet)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, r := range []*EventRelay{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); r.Run(ctx) }()
	}
	defer func() { cancel(); wg.Wait() }()

	// The watches start asynchronously: publish until the first event
	// arrives, then the real sequence.
	first := func(got <-chan delivered) {
		for {
			a.Publish(1, "ping", json.RawMessage(`{}`))
			select {
			case d := <-got:
				if d.name == "ping" {
					return
				}
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond): // not yet watching: publish again
			}
		}
	}
	first(gotB)
	first(gotA)
	drain := func(got <-chan delivered) {
		for {
			select {
			case <-got:
			default:
				return
			}
		}
	}
	drain(gotA)
	drain(gotB)
	for i := 1; i <= 3; i++ {
		a.Publish(9, "count", json.RawMessage(fmt.Sprintf(`{"participant_count":%d}`, i)))
	}
	a.Publish(9, "locked", json.RawMessage(`{"participant_count":3}`))
	a.Publish(9, "count", json.RawMessage(`{"participant_count":4}`))
	for name, got := range map[string]<-chan delivered{"publisher": gotA, "other node": gotB} {
		var seen []delivered
		for {
			d := recv(t, name+" events", got)
			if d.name == "ping" {
				continue
			}
			seen = append(seen, d)
			if d.name == "count" && d.data == `{"participant_count":4}` {
				break
			}
		}
		locked := -1
		for i, d := range seen {
			if d.lottery != 9 {
				t.Errorf("%s: event of lottery %d", name, d.lottery)
			}
			if d.name == "locked" {
				locked = i
			}
		}
		if locked < 0 || locked != len(seen)-2 {
			t.Errorf("%s got %+v: want the counts, locked, then the last count", name, seen)
		}
	}
}

func TestEventRelayIsBoundedAndCoalesces(t *testing.T) {
	r := NewEventRelay(nil, "/p/", nil, quiet)
	for i := range 100 {
		r.Publish(1, "count", json.RawMessage(fmt.Sprint(i)))
	}
	if evs := r.take(); len(evs) != 1 || string(evs[0].Data) != "99" {
		t.Fatalf("100 counts of one lottery queued as %+v, want the last one", evs)
	}
	r.Publish(1, "count", json.RawMessage("1"))
	r.Publish(1, "locked", json.RawMessage("{}"))
	r.Publish(1, "count", json.RawMessage("2"))
	if evs := r.take(); len(evs) != 3 {
		t.Fatalf("a count after locked was merged into the one before: %+v", evs)
	}
	for i := range relayQueue + 10 {
		r.Publish(uint64(i), "drawn", json.RawMessage("{}"))
	}
	if evs := r.take(); len(evs) != relayQueue || r.dropped != 10 {
		t.Fatalf("queued %d, dropped %d; want %d and 10", len(evs), r.dropped, relayQueue)
	}
	big := make([]relayEvent, 3000)
	for i := range big {
		big[i] = relayEvent{Lottery: 1, Name: "drawn", Data: json.RawMessage(`"` + strings.Repeat("x", 200) + `"`)}
	}
	batches := splitBatches(big)
	total := 0
	for _, b := range batches {
		var evs []relayEvent
		if err := json.Unmarshal(b, &evs); err != nil {
			t.Fatal(err)
		}
		total += len(evs)
		if len(b) > relayBatchSize {
			t.Fatalf("a batch of %d bytes, limit %d", len(b), relayBatchSize)
		}
	}
	if len(batches) < 2 || total != len(big) {
		t.Fatalf("%d events in %d batches, want all %d in several", total, len(batches), len(big))
	}
}
