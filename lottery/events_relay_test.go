package lottery

import (
	"encoding/json"
	"testing"
)

// With a relay, a published event goes to the relay only; what the relay
// hands back to Deliver reaches the watchers.
func TestEventsRelay(t *testing.T) {
	e := NewEvents()
	ch, cancel := e.subscribe(7)
	defer cancel()
	var relayed []Event
	e.SetRelay(func(seq uint64, ev Event) {
		relayed = append(relayed, ev)
	})
	e.publish(7, EventCount, countEvent{3})
	e.publish(8, EventCount, countEvent{1}) // nobody watches 8 here: relayed all the same
	if len(relayed) != 2 {
		t.Fatalf("relayed %d events, want 2 (a relay carries events for watchers on other nodes)", len(relayed))
	}
	select {
	case ev := <-ch:
		t.Fatalf("delivered locally without the relay: %+v", ev)
	default:
	}
	e.Deliver(7, relayed[0])
	ev := <-ch
	var c countEvent
	if err := json.Unmarshal(ev.Data, &c); err != nil || ev.Name != EventCount || c.ParticipantCount != 3 {
		t.Fatalf("delivered %+v (%v)", ev, err)
	}
}
