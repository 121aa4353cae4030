package data

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Idempotency records let a client retry a mutating request safely: the first
// response for a (scope, key) pair is stored and replayed for a retry with the
// same body; the same key with another body is a mismatch. A record is first
// reserved (in progress) so two concurrent retries cannot both run the request.
var bucketIdem = []byte("idempotency")

// IdempotencyTTL is how long a stored response is replayed.
const IdempotencyTTL = 24 * time.Hour

// idemStale is when an unfinished reservation (a crashed request) may be taken over.
const idemStale = time.Minute

// IdemRecord is a stored response.
type IdemRecord struct {
	BodyHash    string    `json:"body_hash"`
	Done        bool      `json:"done"`
	Status      int       `json:"status"`
	ContentType string    `json:"content_type"`
	Body        []byte    `json:"body"`
	Created     time.Time `json:"created"`
}

// IdemState is the outcome of BeginIdempotent.
type IdemState int

// The outcomes of BeginIdempotent.
const (
	IdemNew        IdemState = iota // reserved: run the request, then FinishIdempotent
	IdemReplay                      // a stored response: send it again
	IdemMismatch                    // the key was used with another body
	IdemInProgress                  // the same request is running right now
)

func idemKey(scope, key string) []byte { return []byte(scope + "\x00" + key) }

// BeginIdempotent reserves (scope, key) for a request whose body hashes to
// bodyHash, or reports why the request must not run.
func (db *DB) BeginIdempotent(ctx context.Context, scope, key, bodyHash string) (IdemRecord, IdemState, error) {
	var rec IdemRecord
	var state IdemState
	now := db.now()
	err := db.Update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketIdem)
		rec, state = IdemRecord{}, IdemNew
		var old IdemRecord
		found, err := GetJSON(b, idemKey(scope, key), &old)
		if err != nil {
			return err
		}
		if found && now.Sub(old.Created) < IdempotencyTTL && (old.Done || now.Sub(old.Created) < idemStale) {
			rec = old
			switch {
			case old.BodyHash != bodyHash:
				state = IdemMismatch
			case !old.Done:
				state = IdemInProgress
			default:
				state = IdemReplay
			}
			return nil
		}
		return PutJSON(b, idemKey(scope, key), IdemRecord{BodyHash: bodyHash, Created: now})
	})
	if err != nil {
		return IdemRecord{}, 0, fmt.Errorf("begin idempotent request: %w", err)
	}
	return rec, state, nil
}

// FinishIdempotent stores the response of a reserved request.
func (db *DB) FinishIdempotent(ctx context.Context, scope, key string, rec IdemRecord) error {
	rec.Done = true
	if rec.Created.IsZero() {
		rec.Created = db.now()
	}
	err := db.Update(ctx, func(tx *bolt.Tx) error {
		b, out := tx.Bucket(bucketIdem), rec
		if out.BodyHash == "" { // keep the reservation's hash, or a retry would mismatch
			var old IdemRecord
			if _, err := GetJSON(b, idemKey(scope, key), &old); err != nil {
				return err
			}
			out.BodyHash = old.BodyHash
		}
		return PutJSON(b, idemKey(scope, key), out)
	})
	if err != nil {
		return fmt.Errorf("finish idempotent request: %w", err)
	}
	return nil
}

// AbortIdempotent drops a reservation (the request failed with a server
// error, so a retry should run it again).
func (db *DB) AbortIdempotent(ctx context.Context, scope, key string) error {
	err := db.Update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketIdem).Delete(idemKey(scope, key))
	})
	if err != nil {
		return fmt.Errorf("abort idempotent request: %w", err)
	}
	return nil
}

// SweepIdempotency deletes records older than IdempotencyTTL and returns how many.
func (db *DB) SweepIdempotency(ctx context.Context) (int, error) {
	cutoff := db.now().Add(-IdempotencyTTL)
	var n int
	err := db.Update(ctx, func(tx *bolt.Tx) error {
		n = 0
		b := tx.Bucket(bucketIdem)
		var stale [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var r IdemRecord
			if _, err := GetJSON(b, k, &r); err != nil || r.Created.Before(cutoff) {
				stale = append(stale, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(stale)
		return nil
	})
	return n, err
}

func (db *DB) sweepIdempotency(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := db.SweepIdempotency(ctx); err != nil && ctx.Err() == nil {
			db.log.Warn("idempotency sweep failed", "err", err)
		} else if n > 0 {
			db.log.Debug("idempotency records expired", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
