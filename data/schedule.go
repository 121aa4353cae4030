package data

import (
	"bytes"
	"context"
	"fmt"
	"time"
)

// The due index: one key per piece of scheduled work, ordered by due time,
// key = due time (8 bytes, big-endian Unix nanoseconds) ‖ kind ‖ 0x00 ‖ ref.
// The scheduler wakes at the earliest due time, runs the handler registered
// for the kind and removes the key after the handler succeeded. Handlers run
// their transitions through the writer and must be idempotent: after a crash
// between a transition and the key's removal, the handler runs again.
var bucketDue = []byte("due")

// Due is one piece of scheduled work.
type Due struct {
	At   time.Time
	Kind string
	Ref  []byte
}

// DueHandler performs the work of a due item. An error reschedules it later.
type DueHandler func(ctx context.Context, d Due) error

func dueKey(at time.Time, kind string, ref []byte) []byte {
	return Key(TimeKey(at), []byte(kind), []byte{0}, ref)
}

func parseDueKey(k []byte) (Due, bool) {
	if len(k) < 9 {
		return Due{}, false
	}
	i := bytes.IndexByte(k[8:], 0)
	if i < 0 {
		return Due{}, false
	}
	return Due{At: ParseTimeKey(k[:8]), Kind: string(k[8 : 8+i]), Ref: append([]byte(nil), k[9+i:]...)}, true
}

// Schedule records that work of kind on ref is due at at, inside the caller's
// write transaction, and wakes the scheduler once the transaction commits.
func (db *DB) Schedule(tx Tx, at time.Time, kind string, ref []byte) error {
	if err := tx.Bucket(bucketDue).Put(dueKey(at, kind, ref), nil); err != nil {
		return fmt.Errorf("schedule %s: %w", kind, err)
	}
	tx.OnCommit(func() { wake(db.schedWake) })
	return nil
}

// Unschedule removes a due item (no error if it is absent).
func (db *DB) Unschedule(tx Tx, at time.Time, kind string, ref []byte) error {
	if err := tx.Bucket(bucketDue).Delete(dueKey(at, kind, ref)); err != nil {
		return fmt.Errorf("unschedule %s: %w", kind, err)
	}
	return nil
}

// Poke wakes the scheduler and the outbox dispatcher to look again now (used
// after moving an injected clock, and at start-up).
func (db *DB) Poke() {
	wake(db.schedWake)
	wake(db.outboxWake)
}

func wake(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// dueLimit is how many due items one scheduler pass takes.
const dueLimit = 512

// nextDue returns up to dueLimit items due at or before now, and the due time
// of the first later item (zero if none).
func (db *DB) nextDue(now time.Time) (items []Due, next time.Time, err error) {
	err = db.View(func(tx Tx) error {
		c := tx.Bucket(bucketDue).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			d, ok := parseDueKey(k)
			if !ok {
				continue
			}
			if d.At.After(now) || len(items) == dueLimit {
				next = d.At
				return nil
			}
			items = append(items, d)
		}
		return nil
	})
	return items, next, err
}

// runScheduler is the scheduler loop; it returns when ctx ends.
func (db *DB) runScheduler(ctx context.Context, handlers map[string]DueHandler, workers int) {
	db.pollLoop(ctx, db.schedWake, func() (bool, time.Time) {
		items, next, err := db.nextDue(db.now())
		if err != nil {
			db.log.Error("scheduler: read due index", "err", err)
		}
		if len(items) == 0 {
			return false, next
		}
		db.runDue(ctx, handlers, items, workers)
		return true, next
	})
}

// runDue runs the handlers of due items concurrently (so the writer can batch
// their transitions), then removes the done items and moves failed ones later.
func (db *DB) runDue(ctx context.Context, handlers map[string]DueHandler, items []Due, workers int) {
	errs := runEach(len(items), workers, func(i int) error {
		h := handlers[items[i].Kind]
		if h == nil {
			return fmt.Errorf("no handler for due kind %q", items[i].Kind)
		}
		return h(ctx, items[i])
	})
	if ctx.Err() != nil {
		return // shutting down: leave every item as it is for the next start
	}
	retryAt := db.now().Add(30 * time.Second)
	err := db.Update(context.WithoutCancel(ctx), func(tx Tx) error {
		b := tx.Bucket(bucketDue)
		for i, d := range items {
			if err := b.Delete(dueKey(d.At, d.Kind, d.Ref)); err != nil {
				return err
			}
			if errs[i] != nil {
				if err := b.Put(dueKey(retryAt, d.Kind, d.Ref), nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		db.log.Error("scheduler: update due index", "err", err)
	}
	for i, d := range items {
		if errs[i] != nil && ctx.Err() == nil {
			db.log.Warn("scheduled work failed; retrying in 30s", "kind", d.Kind, "err", errs[i])
		}
	}
}

// DueCount returns how many items are scheduled and how late the earliest is
// at now (0 if it is not overdue), for metrics.
func (db *DB) DueCount(now time.Time) (n int, lag time.Duration) {
	_ = db.View(func(tx Tx) error {
		b := tx.Bucket(bucketDue)
		n = KeyCount(b)
		if k, _ := b.Cursor().First(); k != nil {
			if at := ParseTimeKey(k[:8]); now.After(at) {
				lag = now.Sub(at)
			}
		}
		return nil
	})
	return n, lag
}
