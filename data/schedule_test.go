package data

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// runBackground starts bg.Run and stops it (waiting for it to return) at the
// end of the test, before the database is closed.
func runBackground(t *testing.T, bg *Background) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { bg.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Error("Background.Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// dueLog records the due items handlers saw.
type dueLog struct {
	mu  sync.Mutex
	ran []string
}

func (l *dueLog) add(s string) {
	l.mu.Lock()
	l.ran = append(l.ran, s)
	l.mu.Unlock()
}

func (l *dueLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.ran...)
}

func (l *dueLog) handler(ctx context.Context, d Due) error {
	l.add(d.Kind + ":" + string(d.Ref) + "@" + d.At.Format("15:04:05"))
	return nil
}

func schedule(t *testing.T, db *DB, at time.Time, kind, ref string) {
	t.Helper()
	err := db.Update(context.Background(), func(tx Tx) error {
		return db.Schedule(tx, at, kind, []byte(ref))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// dueItems lists the due index.
func dueItems(t *testing.T, db *DB) []string {
	t.Helper()
	var out []string
	_ = db.View(func(tx Tx) error {
		return tx.Bucket(bucketDue).ForEach(func(k, _ []byte) error {
			d, ok := parseDueKey(k)
			if !ok {
				t.Errorf("malformed due key %x", k)
			}
			out = append(out, d.Kind+":"+string(d.Ref)+"@"+d.At.Format("15:04:05"))
			return nil
		})
	})
	return out
}

func dueCount(db *DB) int { n, _ := db.DueCount(db.Now()); return n }

func TestDueKeyRoundTrip(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC)
	d, ok := parseDueKey(dueKey(at, "draw", []byte{0, 1, 2}))
	if !ok || !d.At.Equal(at) || d.Kind != "draw" || string(d.Ref) != "\x00\x01\x02" {
		t.Fatalf("parseDueKey = %+v, %v", d, ok)
	}
	for _, bad := range [][]byte{nil, []byte("short"), Key(TimeKey(at), []byte("nozero"))} {
		if _, ok := parseDueKey(bad); ok {
			t.Errorf("parseDueKey(%q) accepted", bad)
		}
	}
}

// TestScheduleRunsDueInOrder: items run once their time has come, in time
// order, and not before.
func TestScheduleRunsDueInOrder(t *testing.T) {
	clk := newFakeClock()
	t0 := clk.Now()
	db := openTest(t, Options{Now: clk.Now})
	var log dueLog
	bg := db.NewBackground()
	bg.Workers = 1
	bg.HandleDue("draw", log.handler)
	bg.HandleDue("lock", log.handler)
	schedule(t, db, t0.Add(10*time.Second), "draw", "b")
	schedule(t, db, t0.Add(5*time.Second), "lock", "a")
	schedule(t, db, t0.Add(20*time.Second), "draw", "c")
	schedule(t, db, t0.Add(20*time.Second), "draw", "d")
	runBackground(t, bg)

	clk.Advance(6 * time.Second) // 12:00:06: only "a" is due
	db.Poke()
	waitFor(t, "a to run", func() bool { return dueCount(db) == 3 })
	if got := fmt.Sprint(log.get()); got != "[lock:a@12:00:05]" {
		t.Fatalf("ran %s, want only lock:a", got)
	}
	if got := fmt.Sprint(dueItems(t, db)); got != "[draw:b@12:00:10 draw:c@12:00:20 draw:d@12:00:20]" {
		t.Fatalf("due index = %s", got)
	}
	if n, lag := db.DueCount(t0.Add(15 * time.Second)); n != 3 || lag != 5*time.Second {
		t.Errorf("DueCount at 12:00:15 = %d, %v; want 3, 5s", n, lag)
	}

	clk.Advance(time.Minute)
	db.Poke()
	waitFor(t, "all to run", func() bool { return dueCount(db) == 0 })
	want := "[lock:a@12:00:05 draw:b@12:00:10 draw:c@12:00:20 draw:d@12:00:20]"
	if got := fmt.Sprint(log.get()); got != want {
		t.Fatalf("ran %s, want %s", got, want)
	}
}

// TestScheduleWakesOnCommit: scheduling an item that is already due wakes the
// scheduler without a Poke.
func TestScheduleWakesOnCommit(t *testing.T) {
	clk := newFakeClock()
	db := openTest(t, Options{Now: clk.Now})
	var log dueLog
	bg := db.NewBackground()
	bg.HandleDue("x", log.handler)
	runBackground(t, bg)
	schedule(t, db, clk.Now(), "x", "now")
	waitFor(t, "the due item to run", func() bool { return len(log.get()) == 1 })
	if got := log.get()[0]; got != "x:now@12:00:00" {
		t.Fatalf("ran %s", got)
	}
}

// TestScheduleErrorReschedules: a failing handler's item moves 30 s later and
// runs again then (and not earlier).
func TestScheduleErrorReschedules(t *testing.T) {
	clk := newFakeClock()
	t0 := clk.Now()
	db := openTest(t, Options{Now: clk.Now})
	var mu sync.Mutex
	var calls []time.Time
	var sentinel dueLog
	bg := db.NewBackground()
	bg.HandleDue("flaky", func(ctx context.Context, d Due) error {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, d.At)
		if len(calls) == 1 {
			return errors.New("wechat unavailable")
		}
		return nil
	})
	bg.HandleDue("sentinel", sentinel.handler)
	ncalls := func() int { mu.Lock(); defer mu.Unlock(); return len(calls) }
	schedule(t, db, t0.Add(time.Second), "flaky", "p1")
	runBackground(t, bg)

	clk.Advance(2 * time.Second) // 12:00:02
	db.Poke()
	waitFor(t, "the first attempt", func() bool { return ncalls() == 1 })
	waitFor(t, "the retry to be recorded", func() bool { return fmt.Sprint(dueItems(t, db)) == "[flaky:p1@12:00:32]" })

	// At 12:00:31 the retry is not due yet: a sentinel due then runs alone.
	schedule(t, db, t0.Add(31*time.Second), "sentinel", "s")
	clk.Advance(29 * time.Second)
	db.Poke()
	waitFor(t, "the sentinel", func() bool { return dueCount(db) == 1 && len(sentinel.get()) == 1 })
	if n := ncalls(); n != 1 {
		t.Fatalf("flaky ran %d times before its retry time, want 1", n)
	}

	clk.Advance(time.Second) // 12:00:32
	db.Poke()
	waitFor(t, "the retry", func() bool { return ncalls() == 2 && dueCount(db) == 0 })
	mu.Lock()
	defer mu.Unlock()
	if !calls[0].Equal(t0.Add(time.Second)) || !calls[1].Equal(t0.Add(32*time.Second)) {
		t.Errorf("handler saw due times %v", calls)
	}
}

// TestScheduleCatchUpAfterRestart: items that fell due while the server was
// down run as soon as Background.Run starts, in order, without a Poke.
func TestScheduleCatchUpAfterRestart(t *testing.T) {
	clk := newFakeClock()
	t0 := clk.Now()
	path := t.TempDir() + "/test.db"
	db, err := Open(path, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	schedule(t, db, t0.Add(time.Hour), "expire", "later")
	schedule(t, db, t0.Add(3*time.Second), "expire", "p3")
	schedule(t, db, t0.Add(time.Second), "expire", "p1")
	schedule(t, db, t0.Add(2*time.Second), "draw", "l2")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	clk.Advance(10 * time.Minute)
	db = openAt(t, path, Options{Now: clk.Now})
	var log dueLog
	bg := db.NewBackground()
	bg.Workers = 1
	bg.HandleDue("expire", log.handler)
	bg.HandleDue("draw", log.handler)
	runBackground(t, bg)
	waitFor(t, "catch-up", func() bool { return dueCount(db) == 1 })
	if got := fmt.Sprint(log.get()); got != "[expire:p1@12:00:01 draw:l2@12:00:02 expire:p3@12:00:03]" {
		t.Fatalf("caught up %s", got)
	}
	if got := fmt.Sprint(dueItems(t, db)); got != "[expire:later@13:00:00]" {
		t.Fatalf("due index = %s", got)
	}
}

func TestUnschedule(t *testing.T) {
	clk := newFakeClock()
	db := openTest(t, Options{Now: clk.Now})
	at := clk.Now().Add(time.Minute)
	schedule(t, db, at, "draw", "a")
	schedule(t, db, at, "draw", "b")
	err := db.Update(context.Background(), func(tx Tx) error {
		if err := db.Unschedule(tx, at, "draw", []byte("a")); err != nil {
			return err
		}
		return db.Unschedule(tx, at, "draw", []byte("absent"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(dueItems(t, db)); got != "[draw:b@12:01:00]" {
		t.Fatalf("due index = %s", got)
	}
}

// TestScheduleUnknownKindIsRetried: an item without a handler is kept and
// moved 30 s later, not dropped.
func TestScheduleUnknownKind(t *testing.T) {
	clk := newFakeClock()
	db := openTest(t, Options{Now: clk.Now})
	bg := db.NewBackground()
	schedule(t, db, clk.Now(), "mystery", "m")
	runBackground(t, bg)
	waitFor(t, "the item to move", func() bool { return fmt.Sprint(dueItems(t, db)) == "[mystery:m@12:00:30]" })
}

// TestScheduleTransitionThroughWriter: a handler runs its transition through
// the writer and a second run (after a crash between transition and removal)
// changes nothing.
func TestScheduleTransitionThroughWriter(t *testing.T) {
	clk := newFakeClock()
	db := openTest(t, Options{Now: clk.Now})
	draw := func(ctx context.Context, d Due) error {
		return db.Update(ctx, func(tx Tx) error {
			b := tx.Bucket(testBucket)
			k := Key([]byte("state-"), d.Ref)
			if string(b.Get(k)) == "drawn" {
				return nil // idempotent
			}
			return b.Put(k, []byte("drawn"))
		})
	}
	bg := db.NewBackground()
	bg.HandleDue("draw", draw)
	for i := range 20 {
		schedule(t, db, clk.Now().Add(time.Duration(i)*time.Millisecond), "draw", fmt.Sprintf("l%02d", i))
	}
	clk.Advance(time.Second)
	runBackground(t, bg)
	waitFor(t, "all draws", func() bool { return dueCount(db) == 0 })
	for i := range 20 {
		if v := get(t, db, fmt.Sprintf("state-l%02d", i)); string(v) != "drawn" {
			t.Errorf("l%02d state = %q", i, v)
		}
	}
	if err := draw(context.Background(), Due{Ref: []byte("l00")}); err != nil {
		t.Fatal(err)
	}
	var n int
	_ = db.View(func(tx Tx) error { n = KeyCount(tx.Bucket(testBucket)); return nil })
	if n != 20 {
		t.Errorf("%d state keys after a repeated draw, want 20", n)
	}
}
