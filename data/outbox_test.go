package data

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// inbox records delivered messages.
type inbox struct {
	mu   sync.Mutex
	msgs []Message
}

func (in *inbox) handler(ctx context.Context, m Message) error {
	in.mu.Lock()
	in.msgs = append(in.msgs, m)
	in.mu.Unlock()
	return nil
}

func (in *inbox) payloads() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []string
	for _, m := range in.msgs {
		out = append(out, string(m.Payload))
	}
	return out
}

func (in *inbox) len() int { in.mu.Lock(); defer in.mu.Unlock(); return len(in.msgs) }

// enqueueOp is an Op that enqueues one message and reports its id.
func enqueueOp(db *DB, kind string, payload any, id *uint64) Op {
	return func(tx Tx) error {
		n, err := db.Enqueue(tx, kind, payload)
		*id = n
		return err
	}
}

// pending reads one message still in the outbox.
func pending(t *testing.T, db *DB, id uint64) (Message, bool) {
	t.Helper()
	var m Message
	var found bool
	err := db.View(func(tx Tx) error {
		var err error
		found, err = GetJSON(tx.Bucket(bucketOutbox), U64(id), &m)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	m.ID = id
	return m, found
}

func TestBackoff(t *testing.T) {
	want := map[int]time.Duration{0: time.Second, 1: 2 * time.Second, 2: 4 * time.Second,
		9: 512 * time.Second, 10: 10 * time.Minute, 15: 10 * time.Minute, 100: 10 * time.Minute}
	for n, d := range want {
		if got := backoff(n); got != d {
			t.Errorf("backoff(%d) = %v, want %v", n, got, d)
		}
	}
}

func TestPermanent(t *testing.T) {
	base := errors.New("bad openid")
	p := Permanent(base)
	if !IsPermanent(p) || !IsPermanent(fmt.Errorf("send: %w", p)) {
		t.Error("IsPermanent misses a (wrapped) permanent error")
	}
	if IsPermanent(base) || IsPermanent(nil) {
		t.Error("IsPermanent true for a plain error")
	}
	if !errors.Is(p, base) || p.Error() != "bad openid" {
		t.Errorf("Permanent(%v) = %q, does not unwrap", base, p)
	}
}

// TestOutboxDeliversCommittedOnly: messages of committed transactions are
// delivered once with their payload; those of failed transactions, alone or
// in a batch that was retried, never.
func TestOutboxDeliversCommittedOnly(t *testing.T) {
	clk := newFakeClock()
	db := openTest(t, Options{Now: clk.Now})
	var in inbox
	bg := db.NewBackground()
	bg.Workers = 1
	bg.HandleOutbox("note", in.handler)

	// Everything below runs before the dispatcher starts (it catches up at
	// Run), so that no dispatcher write joins the batches under test.
	errBoom := errors.New("boom")
	var id1, idBad uint64
	if err := db.Update(context.Background(), enqueueOp(db, "note", "ok-1", &id1)); err != nil {
		t.Fatal(err)
	}
	err := db.Update(context.Background(), func(tx Tx) error {
		if err := enqueueOp(db, "note", "bad-alone", &idBad)(tx); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("err = %v", err)
	}

	// In one shared batch with a failing neighbour, then retried one by one.
	release := holdWriter(t, db)
	var idA, idB, idC uint64
	res := submitQueued(t, db,
		enqueueOp(db, "note", "ok-A", &idA),
		func(tx Tx) error {
			if err := enqueueOp(db, "note", "bad-batched", &idC)(tx); err != nil {
				return err
			}
			return errBoom
		},
		enqueueOp(db, "note", "ok-B", &idB))
	release()
	if err := result(t, res[0]); err != nil {
		t.Fatal(err)
	}
	if err := result(t, res[1]); !errors.Is(err, errBoom) {
		t.Fatalf("err = %v", err)
	}
	if err := result(t, res[2]); err != nil {
		t.Fatal(err)
	}
	if db.WriterStats().Retries != 1 {
		t.Fatalf("Retries = %d: the batch did not fail and retry", db.WriterStats().Retries)
	}

	runBackground(t, bg)
	var sentinel uint64
	if err := db.Update(context.Background(), enqueueOp(db, "note", "ok-last", &sentinel)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery", func() bool { return in.len() >= 4 && db.OutboxStats() == OutboxStats{} })
	if got := fmt.Sprint(in.payloads()); got != `["ok-1" "ok-A" "ok-B" "ok-last"]` {
		t.Fatalf("delivered %s", got)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	m := in.msgs[0]
	if m.ID != id1 || m.Kind != "note" || m.Attempts != 0 || !m.NextAt.Equal(clk.Now()) {
		t.Errorf("delivered %+v, want id %d kind note attempts 0", m, id1)
	}
	ids := []uint64{in.msgs[1].ID, in.msgs[2].ID, in.msgs[3].ID}
	if ids[0] != idA || ids[1] != idB || ids[2] != sentinel || idA == idB {
		t.Errorf("delivered ids %v, want %d %d %d", ids, idA, idB, sentinel)
	}
}

// TestOutboxRetriesWithBackoff: a failing delivery increments Attempts, moves
// NextAt by the backoff, is not retried earlier, and is deleted once it works.
func TestOutboxRetriesWithBackoff(t *testing.T) {
	clk := newFakeClock()
	t0 := clk.Now()
	db := openTest(t, Options{Now: clk.Now})
	var mu sync.Mutex
	var seen []int // Attempts of each delivery
	var sentinels inbox
	bg := db.NewBackground()
	bg.HandleOutbox("flaky", func(ctx context.Context, m Message) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, m.Attempts)
		if len(seen) < 3 {
			return fmt.Errorf("try %d failed", len(seen))
		}
		return nil
	})
	bg.HandleOutbox("sentinel", sentinels.handler)
	calls := func() int { mu.Lock(); defer mu.Unlock(); return len(seen) }
	runBackground(t, bg)

	var id uint64
	if err := db.Update(context.Background(), enqueueOp(db, "flaky", map[string]int{"n": 1}, &id)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first failure recorded", func() bool { m, _ := pending(t, db, id); return m.Attempts == 1 })
	m, _ := pending(t, db, id)
	if !m.NextAt.Equal(t0.Add(2*time.Second)) || m.LastError != "try 1 failed" || string(m.Payload) != `{"n":1}` {
		t.Fatalf("after one failure: %+v", m)
	}

	// One second later it is not due: a sentinel is delivered, the message is not.
	clk.Advance(time.Second)
	var sid uint64
	if err := db.Update(context.Background(), enqueueOp(db, "sentinel", 1, &sid)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "sentinel", func() bool { return sentinels.len() == 1 && db.OutboxStats().Pending == 1 })
	if n := calls(); n != 1 {
		t.Fatalf("retried before NextAt: %d deliveries", n)
	}

	clk.Advance(time.Second) // t0+2s
	db.Poke()
	waitFor(t, "second failure recorded", func() bool { m, _ := pending(t, db, id); return m.Attempts == 2 })
	m, _ = pending(t, db, id)
	if !m.NextAt.Equal(t0.Add(6*time.Second)) || m.LastError != "try 2 failed" {
		t.Fatalf("after two failures: %+v, want NextAt t0+6s", m)
	}

	clk.Advance(4 * time.Second)
	db.Poke()
	waitFor(t, "delivery", func() bool { _, ok := pending(t, db, id); return !ok })
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(seen) != "[0 1 2]" {
		t.Errorf("deliveries saw attempts %v, want [0 1 2]", seen)
	}
	if s := db.OutboxStats(); s != (OutboxStats{}) {
		t.Errorf("OutboxStats = %+v", s)
	}
}

// TestOutboxDeadLetters: a Permanent error, a missing handler and the last
// allowed attempt move the message to the dead letters at once.
func TestOutboxDeadLetters(t *testing.T) {
	clk := newFakeClock()
	db := openTest(t, Options{Now: clk.Now})
	var mu sync.Mutex
	calls := map[string]int{}
	bg := db.NewBackground()
	bg.HandleOutbox("perm", func(ctx context.Context, m Message) error {
		mu.Lock()
		calls["perm"]++
		mu.Unlock()
		return Permanent(errors.New("user blocked us"))
	})
	bg.HandleOutbox("tired", func(ctx context.Context, m Message) error {
		mu.Lock()
		calls["tired"]++
		mu.Unlock()
		return errors.New("still down")
	})
	var idPerm, idUnknown, idTired uint64
	err := db.Update(context.Background(), func(tx Tx) error {
		var err error
		if idPerm, err = db.Enqueue(tx, "perm", "p"); err != nil {
			return err
		}
		if idUnknown, err = db.Enqueue(tx, "unknown", "u"); err != nil {
			return err
		}
		idTired, err = db.enqueueAt(tx, Message{Kind: "tired", Payload: json.RawMessage(`"t"`), Attempts: MaxAttempts - 1, NextAt: clk.Now()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	runBackground(t, bg)
	waitFor(t, "dead letters", func() bool { return db.OutboxStats() == OutboxStats{Pending: 0, Dead: 3} })
	dead, err := db.DeadLetters()
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 3 {
		t.Fatalf("%d dead letters", len(dead))
	}
	want := []struct {
		id       uint64
		kind     string
		attempts int
		lastErr  string
		payload  string
	}{
		{idPerm, "perm", 1, "user blocked us", `"p"`},
		{idUnknown, "unknown", 1, `no handler for outbox kind "unknown"`, `"u"`},
		{idTired, "tired", MaxAttempts, "still down", `"t"`},
	}
	for i, w := range want {
		d := dead[i]
		if d.ID != w.id || d.Kind != w.kind || d.Attempts != w.attempts || d.LastError != w.lastErr || string(d.Payload) != w.payload {
			t.Errorf("dead[%d] = %+v, want %+v", i, d, w)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if calls["perm"] != 1 || calls["tired"] != 1 {
		t.Errorf("handler calls = %v, want one each", calls)
	}
}

// TestOutboxSurvivesRestart: messages left undelivered at shutdown — never
// tried, or interrupted mid-delivery — are delivered after reopening the file.
func TestOutboxSurvivesRestart(t *testing.T) {
	clk := newFakeClock()
	path := t.TempDir() + "/test.db"
	db, err := Open(path, Options{Now: clk.Now, Buckets: [][]byte{testBucket}})
	if err != nil {
		t.Fatal(err)
	}
	// First run: the handler hangs until shutdown.
	entered := make(chan struct{}, 16)
	bg := db.NewBackground()
	bg.HandleOutbox("note", func(ctx context.Context, m Message) error {
		entered <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	})
	stop := runBackground(t, bg)
	var id1 uint64
	if err := db.Update(context.Background(), enqueueOp(db, "note", "interrupted", &id1)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("handler never called")
	}
	stop()
	// Enqueued while no dispatcher runs.
	var id2 uint64
	if err := db.Update(context.Background(), enqueueOp(db, "note", "never-tried", &id2)); err != nil {
		t.Fatal(err)
	}
	if m, ok := pending(t, db, id1); !ok || m.Attempts != 0 {
		t.Fatalf("interrupted message: %+v found=%v, want pending with 0 attempts", m, ok)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openAt(t, path, Options{Now: clk.Now})
	if s := db.OutboxStats(); s.Pending != 2 {
		t.Fatalf("after reopen: %+v, want 2 pending", s)
	}
	var in inbox
	bg = db.NewBackground()
	bg.Workers = 1
	bg.HandleOutbox("note", in.handler)
	runBackground(t, bg)
	waitFor(t, "redelivery", func() bool { return in.len() == 2 && db.OutboxStats().Pending == 0 })
	if got := fmt.Sprint(in.payloads()); got != `["interrupted" "never-tried"]` {
		t.Fatalf("delivered %s", got)
	}
}

func TestEnqueueBadPayload(t *testing.T) {
	db := openTest(t, Options{})
	var id uint64
	err := db.Update(context.Background(), enqueueOp(db, "note", func() {}, &id))
	if err == nil || id != 0 {
		t.Fatalf("Enqueue of an unencodable payload: id %d, err %v", id, err)
	}
	if s := db.OutboxStats(); s.Pending != 0 {
		t.Fatalf("pending = %d", s.Pending)
	}
}
