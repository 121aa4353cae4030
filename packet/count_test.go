package packet

import (
	"testing"
	"time"

	"luckbox/data"
)

// TestRefundsCounted: an expiry that refunds adds one to CountRefunds (the
// luckbox_packet_refunds_total metric), once, however often it runs.
func TestRefundsCounted(t *testing.T) {
	e := newEnv(t, Options{TTL: time.Hour})
	alice, bob := e.user("alice"), e.user("bob")
	e.fund(alice, 1000)
	p := e.create(alice, CreateInput{Kind: KindEqual, Count: 2, AmountEach: 100})
	if _, err := e.svc.Grab(ctx, bob.Seq, p.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Hour)
	seq, _, _ := data.DecodeID(p.ID)
	for i := range 3 {
		did, err := e.svc.Expire(ctx, seq)
		if err != nil || did != (i == 0) {
			t.Fatalf("expiry %d: %v %v", i, did, err)
		}
	}
	if got := e.db.Counts()[CountRefunds]; got != 1 {
		t.Fatalf("refund counter %d, want 1", got)
	}
}
