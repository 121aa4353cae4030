package data

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The outbox holds effects that must follow a commit (a WeChat message, a
// notification fan-out). An operation enqueues a message in its own write
// transaction; after commit the dispatcher hands it to the handler registered
// for its kind and deletes it once the handler succeeds. Delivery is
// at-least-once: handlers must be idempotent, keyed by Message.ID.
var (
	bucketOutbox     = []byte("outbox")
	bucketOutboxDead = []byte("outbox_dead")
)

// Message is one outbox record.
type Message struct {
	ID        uint64          `json:"-"`
	Kind      string          `json:"kind"`
	Payload   json.RawMessage `json:"payload"`
	Attempts  int             `json:"attempts"`
	NextAt    time.Time       `json:"next_at"`
	LastError string          `json:"last_error,omitempty"`
}

// OutboxHandler delivers one message. A nil error deletes it; an error
// retries it with exponential backoff; a Permanent error moves it to the
// dead-letter bucket at once.
type OutboxHandler func(ctx context.Context, m Message) error

// MaxAttempts is how often a message is tried before it goes to the dead letters.
const MaxAttempts = 16

type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent marks a delivery error as not worth retrying.
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// Enqueue adds a message to the outbox inside the caller's write transaction
// and wakes the dispatcher once the transaction commits. It returns the
// message id.
func (db *DB) Enqueue(tx Tx, kind string, payload any) (uint64, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return 0, fmt.Errorf("enqueue %s: encode: %w", kind, err)
	}
	return db.enqueueAt(tx, Message{Kind: kind, Payload: raw, NextAt: db.now()})
}

func (db *DB) enqueueAt(tx Tx, m Message) (uint64, error) {
	b := tx.Bucket(bucketOutbox)
	id, err := b.NextSequence()
	if err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", m.Kind, err)
	}
	if err := PutJSON(b, U64(id), m); err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", m.Kind, err)
	}
	tx.OnCommit(func() { wake(db.outboxWake) })
	return id, nil
}

// OutboxStats are the outbox's backlog and dead letters.
type OutboxStats struct{ Pending, Dead int }

// OutboxStats counts pending and dead messages.
func (db *DB) OutboxStats() (s OutboxStats) {
	_ = db.View(func(tx Tx) error {
		s.Pending = KeyCount(tx.Bucket(bucketOutbox))
		s.Dead = KeyCount(tx.Bucket(bucketOutboxDead))
		return nil
	})
	return s
}

// DeadLetters returns the dead-letter messages (for operators and tests).
func (db *DB) DeadLetters() ([]Message, error) {
	var out []Message
	err := db.View(func(tx Tx) error {
		return tx.Bucket(bucketOutboxDead).ForEach(func(k, v []byte) error {
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("decode dead letter: %w", err)
			}
			m.ID = ParseU64(k)
			out = append(out, m)
			return nil
		})
	})
	return out, err
}

// outboxBatch is how many messages one dispatcher pass takes.
const outboxBatch = 256

func (db *DB) dueMessages(now time.Time) (due []Message, next time.Time, err error) {
	err = db.View(func(tx Tx) error {
		return tx.Bucket(bucketOutbox).ForEach(func(k, v []byte) error {
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				// A record this binary can not read must not stall the others:
				// hand it on as an unknown kind, which goes to the dead letters.
				m = Message{Kind: "undecodable", Payload: json.RawMessage(`null`)}
			}
			m.ID = ParseU64(k)
			if m.NextAt.After(now) {
				if next.IsZero() || m.NextAt.Before(next) {
					next = m.NextAt
				}
			} else if len(due) < outboxBatch {
				due = append(due, m)
			}
			return nil
		})
	})
	return due, next, err
}

// backoff is the delay after the n-th failed attempt: 2 s, 4 s, 8 s ... up to 10 minutes.
func backoff(attempts int) time.Duration {
	d := time.Second << min(attempts, 10)
	return min(d, 10*time.Minute)
}

// runOutbox is the dispatcher loop; it returns when ctx ends.
func (db *DB) runOutbox(ctx context.Context, handlers map[string]OutboxHandler, workers int) {
	db.pollLoop(ctx, db.outboxWake, func() (bool, time.Time) {
		due, next, err := db.dueMessages(db.now())
		if err != nil {
			db.log.Error("outbox: read", "err", err)
		}
		if len(due) == 0 {
			return false, next
		}
		db.deliver(ctx, handlers, due, workers)
		return true, next
	})
}

func (db *DB) deliver(ctx context.Context, handlers map[string]OutboxHandler, msgs []Message, workers int) {
	errs := runEach(len(msgs), workers, func(i int) error {
		h := handlers[msgs[i].Kind]
		if h == nil {
			return Permanent(fmt.Errorf("no handler for outbox kind %q", msgs[i].Kind))
		}
		return h(ctx, msgs[i])
	})
	if ctx.Err() != nil {
		return // shutting down: leave everything for the next start
	}
	now := db.now()
	err := db.Update(context.WithoutCancel(ctx), func(tx Tx) error {
		b, dead := tx.Bucket(bucketOutbox), tx.Bucket(bucketOutboxDead)
		for i, m := range msgs {
			k := U64(m.ID)
			if errs[i] == nil {
				if err := b.Delete(k); err != nil {
					return err
				}
				continue
			}
			m.Attempts++
			m.LastError = errs[i].Error()
			m.NextAt = now.Add(backoff(m.Attempts))
			if IsPermanent(errs[i]) || m.Attempts >= MaxAttempts {
				if err := b.Delete(k); err != nil {
					return err
				}
				if err := PutJSON(dead, k, m); err != nil {
					return err
				}
				continue
			}
			if err := PutJSON(b, k, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.log.Error("outbox: record deliveries", "err", err)
	}
	if h := db.opts.OnDeliver; h != nil {
		for i, m := range msgs {
			h(m.Kind, errs[i])
		}
	}
	for i, m := range msgs {
		if errs[i] != nil {
			db.log.Warn("outbox delivery failed", "kind", m.Kind, "id", m.ID, "attempt", m.Attempts+1, "permanent", IsPermanent(errs[i]), "err", errs[i])
		}
	}
}
