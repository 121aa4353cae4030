package data

import (
	"bytes"
	"fmt"
)

// Phase is one pass of a migration, usually over one old bucket: it
// converts up to limit records from key from (nil: the start) and returns
// the key to resume at, nil when the pass is done.
type Phase struct {
	Name byte
	Run  func(tx Tx, from []byte, limit int) (next []byte, err error)
}

// Phased is the Step of a Migration that runs phases in order, each over as
// many steps as it needs; its cursor is the phase's name followed by the
// phase's cursor. A phase ends its step when it is done (the next phase
// starts in a new transaction).
func Phased(phases ...Phase) func(tx Tx, cursor []byte, limit int) ([]byte, error) {
	return func(tx Tx, cursor []byte, limit int) ([]byte, error) {
		if cursor == nil {
			cursor = []byte{phases[0].Name}
		}
		for i, p := range phases {
			if p.Name != cursor[0] {
				continue
			}
			var from []byte
			if len(cursor) > 1 {
				from = cursor[1:]
			}
			next, err := p.Run(tx, from, limit)
			switch {
			case err != nil:
				return nil, fmt.Errorf("phase %c: %w", p.Name, err)
			case next != nil:
				return append([]byte{p.Name}, next...), nil
			case i+1 < len(phases):
				return []byte{phases[i+1].Name}, nil
			}
			return nil, nil
		}
		return nil, fmt.Errorf("unknown migration cursor %q", cursor)
	}
}

// Walk visits the keys of the bucket name in order from key from (nil: the
// first), calling fn with each key and value, until limit of them were
// visited; it returns the key to resume at (nil at the end). A missing
// bucket is empty. fn may write to other buckets, not to this one.
func Walk(tx Tx, name, from []byte, limit int, fn func(k, v []byte) error) ([]byte, error) {
	b := tx.Bucket(name)
	if b == nil {
		return nil, nil
	}
	c := b.Cursor()
	k, v := c.First()
	if from != nil {
		k, v = c.Seek(from)
	}
	for n := 0; k != nil; n++ {
		if n == limit {
			return bytes.Clone(k), nil
		}
		if err := fn(k, v); err != nil {
			return nil, err
		}
		k, v = c.Next()
	}
	return nil, nil
}

// ResetBuckets deletes and creates again the named buckets: the first
// phase of a migration that fills new buckets, so that a run that starts
// over leaves nothing of an earlier one.
func ResetBuckets(tx Tx, names ...[]byte) error {
	for _, name := range names {
		if tx.Bucket(name) != nil {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	return nil
}

// DropBuckets deletes the named buckets that exist: the last phase of a
// migration that leaves old buckets behind.
func DropBuckets(tx Tx, names ...[]byte) error {
	for _, name := range names {
		if tx.Bucket(name) == nil {
			continue
		}
		if err := tx.DeleteBucket(name); err != nil {
			return fmt.Errorf("remove %s: %w", name, err)
		}
	}
	return nil
}
