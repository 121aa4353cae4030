package data

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Idempotency records let a client retry a mutating request safely: the first
// response for a (scope, key) pair is stored and replayed for a retry with the
// same body; the same key with another body is a mismatch. A record is first
// reserved (in progress) so two concurrent retries cannot both run the request.
var bucketIdem = []byte("idempotency")

// bucketIdemOrder indexes the records by caller and age, so a caller's
// records are bounded (Options.IdempotencyKeys): one sub-bucket per scope,
// keyed by creation time (8 bytes, big-endian Unix nanoseconds) then the
// key, with the sub-bucket's sequence counting its entries. Records written
// before the index existed are not in it; they expire with the TTL.
var bucketIdemOrder = []byte("idempotency_order")

// DefaultIdempotencyKeys is how many Idempotency-Keys one caller may have
// stored at once (Options.IdempotencyKeys): past it, the caller's oldest
// records are forgotten before their 24 h are up.
const DefaultIdempotencyKeys = 1000

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
// bodyHash, or reports why the request must not run. A new reservation past
// the caller's Options.IdempotencyKeys drops the caller's oldest records (a
// retry of one of those runs again), so a client sending a fresh key with
// every request cannot fill the disk.
func (db *DB) BeginIdempotent(ctx context.Context, scope, key, bodyHash string) (IdemRecord, IdemState, error) {
	var rec IdemRecord
	var state IdemState
	now := db.now()
	err := db.Update(ctx, func(tx Tx) error {
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
		if found {
			if err := idemUnindex(tx, scope, key, old.Created); err != nil {
				return err
			}
		}
		if err := PutJSON(b, idemKey(scope, key), IdemRecord{BodyHash: bodyHash, Created: now}); err != nil {
			return err
		}
		if err := idemIndex(tx, scope, key, now); err != nil {
			return err
		}
		return idemTrim(tx, scope, db.opts.IdempotencyKeys)
	})
	if err != nil {
		return IdemRecord{}, 0, fmt.Errorf("begin idempotent request: %w", err)
	}
	return rec, state, nil
}

// idemOrderKey is the index key of a record created at t.
func idemOrderKey(key string, t time.Time) []byte {
	return append(U64(uint64(t.UnixNano())), key...)
}

// idemIndex adds (scope, key, created) to the index and counts it.
func idemIndex(tx Tx, scope, key string, created time.Time) error {
	sb, err := tx.Bucket(bucketIdemOrder).CreateBucketIfNotExists([]byte(scope))
	if err != nil {
		return fmt.Errorf("idempotency index of %s: %w", scope, err)
	}
	k := idemOrderKey(key, created)
	if sb.Get(k) != nil {
		return nil
	}
	if err := sb.Put(k, nil); err != nil {
		return err
	}
	return sb.SetSequence(sb.Sequence() + 1)
}

// idemUnindex removes (scope, key, created) from the index, if it is there,
// and drops the scope's sub-bucket when it empties.
func idemUnindex(tx Tx, scope, key string, created time.Time) error {
	order := tx.Bucket(bucketIdemOrder)
	sb := order.Bucket([]byte(scope))
	k := idemOrderKey(key, created)
	if sb == nil || sb.Get(k) == nil {
		return nil
	}
	if err := sb.Delete(k); err != nil {
		return err
	}
	if first, _ := sb.Cursor().First(); first == nil {
		return order.DeleteBucket([]byte(scope))
	}
	return sb.SetSequence(max(sb.Sequence(), 1) - 1)
}

// idemTrim forgets scope's oldest records until it has at most max.
func idemTrim(tx Tx, scope string, max int) error {
	sb := tx.Bucket(bucketIdemOrder).Bucket([]byte(scope))
	for sb != nil && sb.Sequence() > uint64(max) {
		k, _ := sb.Cursor().First()
		if len(k) < 8 {
			return fmt.Errorf("idempotency index of %s: bad key %x", scope, k)
		}
		created := time.Unix(0, int64(ParseU64(k[:8])))
		key := string(k[8:])
		var rec IdemRecord
		found, err := GetJSON(tx.Bucket(bucketIdem), idemKey(scope, key), &rec)
		if err != nil {
			return err
		}
		if found && rec.Created.Equal(created) {
			if err := tx.Bucket(bucketIdem).Delete(idemKey(scope, key)); err != nil {
				return err
			}
		}
		if err := idemUnindex(tx, scope, key, created); err != nil {
			return err
		}
		sb = tx.Bucket(bucketIdemOrder).Bucket([]byte(scope))
	}
	return nil
}

// FinishIdempotent stores the response of a reserved request. It stores
// nothing if the reservation is gone (the caller's oldest records were
// dropped past Options.IdempotencyKeys, or it was aborted).
func (db *DB) FinishIdempotent(ctx context.Context, scope, key string, rec IdemRecord) error {
	rec.Done = true
	if rec.Created.IsZero() {
		rec.Created = db.now()
	}
	err := db.Update(ctx, func(tx Tx) error {
		b, out := tx.Bucket(bucketIdem), rec
		var old IdemRecord
		found, err := GetJSON(b, idemKey(scope, key), &old)
		if err != nil || !found {
			return err
		}
		if out.BodyHash == "" { // keep the reservation's hash, or a retry would mismatch
			out.BodyHash = old.BodyHash
		}
		if err := idemUnindex(tx, scope, key, old.Created); err != nil {
			return err
		}
		if err := PutJSON(b, idemKey(scope, key), out); err != nil {
			return err
		}
		return idemIndex(tx, scope, key, out.Created)
	})
	if err != nil {
		return fmt.Errorf("finish idempotent request: %w", err)
	}
	return nil
}

// AbortIdempotent drops a reservation (the request failed with a server
// error, so a retry should run it again).
func (db *DB) AbortIdempotent(ctx context.Context, scope, key string) error {
	err := db.Update(ctx, func(tx Tx) error {
		b := tx.Bucket(bucketIdem)
		var old IdemRecord
		found, err := GetJSON(b, idemKey(scope, key), &old)
		if err != nil || !found {
			return err
		}
		if err := idemUnindex(tx, scope, key, old.Created); err != nil {
			return err
		}
		return b.Delete(idemKey(scope, key))
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
	err := db.Update(ctx, func(tx Tx) error {
		n = 0
		b := tx.Bucket(bucketIdem)
		type staleRecord struct {
			key     []byte
			created time.Time
		}
		var stale []staleRecord
		err := b.ForEach(func(k, v []byte) error {
			var r IdemRecord
			if _, err := GetJSON(b, k, &r); err != nil || r.Created.Before(cutoff) {
				stale = append(stale, staleRecord{append([]byte(nil), k...), r.Created})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, r := range stale {
			if err := b.Delete(r.key); err != nil {
				return err
			}
			scope, key, _ := strings.Cut(string(r.key), "\x00")
			if err := idemUnindex(tx, scope, key, r.created); err != nil {
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
