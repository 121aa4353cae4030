package packet

import (
	"testing"

	"luckbox/data"
)

// TestGrabHints: a first grab of an open packet goes straight to the
// writer (no read transaction); once a packet has given out its last share,
// or has rejected a grab, its rejections and repeated grabs are answered
// without the writer.
func TestGrabHints(t *testing.T) {
	e := newEnv(t, Options{})
	alice := e.user("alice")
	e.fund(alice, 10000)
	users := make([]uint64, 6)
	for i := range users {
		users[i] = e.user(string(rune('a'+i)) + "-grabber").Seq
	}
	writes := func() uint64 { return e.db.WriterStats().Ops }

	open := e.create(alice, CreateInput{Kind: KindEqual, Count: 3, AmountEach: 10})
	reads, ops := readTxs(e), writes()
	if _, err := e.svc.Grab(ctx, users[0], open.ID); err != nil {
		t.Fatal(err)
	}
	if n := readTxs(e) - reads; n != 0 {
		t.Errorf("a first grab of an open packet began %d read transactions, want 0", n)
	}
	if n := writes() - ops; n != 1 {
		t.Fatalf("a first grab ran %d writer operations, want 1", n)
	}
	// A repeated grab of a packet not hinted yet goes to the writer, which
	// answers the first grab; the next repeat is answered from a read view.
	for round, want := range []uint64{1, 0} {
		ops := writes()
		r, err := e.svc.Grab(ctx, users[0], open.ID)
		if err != nil || !r.Again || r.Amount != 10 {
			t.Fatalf("repeat %d: %+v %v", round, r, err)
		}
		if n := writes() - ops; n != want {
			t.Errorf("repeat %d ran %d writer operations, want %d", round, n, want)
		}
	}
	// The last share hints the packet: the crowd after it never reaches
	// the writer.
	full := e.create(alice, CreateInput{Kind: KindEqual, Count: 2, AmountEach: 10})
	for _, u := range users[:2] {
		if _, err := e.svc.Grab(ctx, u, full.ID); err != nil {
			t.Fatal(err)
		}
	}
	ops = writes()
	for _, u := range users[2:] {
		_, err := e.svc.Grab(ctx, u, full.ID)
		wantCode(t, err, data.EExhausted)
	}
	if n := writes() - ops; n != 0 {
		t.Errorf("rejections of a finished packet ran %d writer operations, want 0", n)
	}

	// An expired packet: its first rejection comes from the writer, the
	// rest do not reach it.
	expiring := e.create(alice, CreateInput{Kind: KindEqual, Count: 3, AmountEach: 10})
	e.clock.Add(DefaultTTL + 1)
	ops = writes()
	for _, u := range users {
		_, err := e.svc.Grab(ctx, u, expiring.ID)
		wantCode(t, err, data.EExpired)
	}
	if n := writes() - ops; n != 1 {
		t.Errorf("%d rejections of an expired packet ran %d writer operations, want 1", len(users), n)
	}
}

// TestGrabHintsBounded: the hint set starts over past its bound.
func TestGrabHintsBounded(t *testing.T) {
	var h grabHints
	for i := range uint64(maxGrabHints + 10) {
		h.add(i)
	}
	if len(h.m) > maxGrabHints || !h.has(maxGrabHints+9) {
		t.Fatalf("%d hints held (bound %d), newest held: %v", len(h.m), maxGrabHints, h.has(maxGrabHints+9))
	}
}
