package data

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// keyReplicaRevision is the meta key of the replica revision: the revision
// of the replicated store the local file reflects. It is local: never part
// of a write set (the writer and ApplyRemote write it outside the capture).
var keyReplicaRevision = []byte("replica_revision")

// KeyReplicaRevision is the meta key of the replica revision, for tools
// that copy a file into a replicated store (they skip it).
const KeyReplicaRevision = "replica_revision"

func replicaRevision(tx *bolt.Tx) int64 {
	if v := tx.Bucket(bucketMeta).Get(keyReplicaRevision); len(v) == 8 {
		return int64(ParseU64(v))
	}
	return 0
}

func putReplicaRevision(tx *bolt.Tx, rev int64) error {
	if err := tx.Bucket(bucketMeta).Put(keyReplicaRevision, U64(uint64(rev))); err != nil {
		return fmt.Errorf("record replica revision: %w", err)
	}
	return nil
}

// ReplicaRevision is the revision of the replicated store the local file
// reflects (0 for a file never replicated).
func (db *DB) ReplicaRevision() (int64, error) {
	var rev int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		rev = replicaRevision(tx)
		return nil
	})
	return rev, err
}

// ApplyRemote applies a write set committed elsewhere at revision rev to
// the local file, without running operations, in one transaction that also
// records rev as the replica revision. A write set at or below the revision
// the file already has is skipped (applied reports false): the writer's own
// batches come back through the watch. It waits for the writer's current
// transaction, if any, to end.
func (db *DB) ApplyRemote(ws *WriteSet, rev int64) (applied bool, err error) {
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		if replicaRevision(tx) >= rev {
			return nil
		}
		applied = true
		if err := applyWrites(tx, ws.Writes); err != nil {
			return err
		}
		return putReplicaRevision(tx, rev)
	})
	if err != nil {
		return false, fmt.Errorf("apply remote revision %d: %w", rev, err)
	}
	return applied, nil
}

// ReplaceRemote replaces the whole local file by a replicated store's state
// at revision rev: in one transaction it deletes every bucket, calls fill,
// which applies the store's entries in pages through apply, creates the
// buckets Open creates, stamps the schema of a store that had none and
// records rev. Used to build a node's copy (first start, or a watch that
// fell behind the store's compaction).
func (db *DB) ReplaceRemote(rev int64, fill func(apply func(ws *WriteSet) error) error) error {
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		var names [][]byte
		if err := tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			names = append(names, clone(name))
			return nil
		}); err != nil {
			return err
		}
		for _, name := range names {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		if err := fill(func(ws *WriteSet) error { return applyWrites(tx, ws.Writes) }); err != nil {
			return err
		}
		t := wrapTx(tx, nil)
		defer t.release()
		if err := db.createBuckets(t); err != nil {
			return err
		}
		if schemaVersion(t) == 0 {
			if _, err := stampNew(t); err != nil {
				return err
			}
		}
		return putReplicaRevision(tx, rev)
	})
	if err != nil {
		return fmt.Errorf("replace local copy at revision %d: %w", rev, err)
	}
	return nil
}

// applyWrites applies writes in an order that makes their order in the
// slice irrelevant (their keys are distinct and they are final states):
// first buckets, values and sequences that exist (creating the buckets on
// their path), then deleted values and sequences, then deleted buckets,
// deepest first.
func applyWrites(tx *bolt.Tx, writes []Write) error {
	for i := range writes {
		w := &writes[i]
		if w.Delete {
			continue
		}
		b, err := createPath(tx, w.Bucket)
		if err != nil {
			return err
		}
		switch w.Kind {
		case WriteValue:
			err = b.Put(w.Key, w.Value)
		case WriteSequence:
			err = b.SetSequence(ParseU64(w.Value))
		}
		if err != nil {
			return fmt.Errorf("apply %s: %w", w.AppendKey(nil), err)
		}
	}
	var buckets []*Write
	for i := range writes {
		w := &writes[i]
		if !w.Delete {
			continue
		}
		b := bucketAt(tx, w.Bucket)
		var err error
		switch {
		case w.Kind == WriteBucket:
			buckets = append(buckets, w)
		case b == nil:
		case w.Kind == WriteValue:
			err = b.Delete(w.Key)
		case w.Kind == WriteSequence:
			err = b.SetSequence(0)
		}
		if err != nil {
			return fmt.Errorf("apply %s: %w", w.AppendKey(nil), err)
		}
	}
	for depth := maxDepth(buckets); depth > 0; depth-- {
		for _, w := range buckets {
			if len(w.Bucket) != depth {
				continue
			}
			if err := deletePath(tx, w.Bucket); err != nil {
				return fmt.Errorf("apply %s: %w", w.AppendKey(nil), err)
			}
		}
	}
	return nil
}

func maxDepth(ws []*Write) int {
	d := 0
	for _, w := range ws {
		d = max(d, len(w.Bucket))
	}
	return d
}

func createPath(tx *bolt.Tx, path [][]byte) (*bolt.Bucket, error) {
	b, err := tx.CreateBucketIfNotExists(path[0])
	for _, name := range path[1:] {
		if err != nil {
			break
		}
		b, err = b.CreateBucketIfNotExists(name)
	}
	if err != nil {
		return nil, fmt.Errorf("create bucket %q: %w", path, err)
	}
	return b, nil
}

func bucketAt(tx *bolt.Tx, path [][]byte) *bolt.Bucket {
	b := tx.Bucket(path[0])
	for _, name := range path[1:] {
		if b == nil {
			return nil
		}
		b = b.Bucket(name)
	}
	return b
}

func deletePath(tx *bolt.Tx, path [][]byte) error {
	if len(path) == 1 {
		if tx.Bucket(path[0]) == nil {
			return nil
		}
		return tx.DeleteBucket(path[0])
	}
	parent := bucketAt(tx, path[:len(path)-1])
	if parent == nil || parent.Bucket(path[len(path)-1]) == nil {
		return nil
	}
	return parent.DeleteBucket(path[len(path)-1])
}

// Dump lists the local file's content, one line per bucket, sequence and
// value ("bucket/nested key=hex value"), in key order, leaving out the
// local replica revision: for tests and tools that compare two copies.
func (db *DB) Dump() ([]string, error) {
	var out []string
	var walk func(b *bolt.Bucket, path string)
	walk = func(b *bolt.Bucket, path string) {
		out = append(out, fmt.Sprintf("%s #%d", path, b.Sequence()))
		_ = b.ForEach(func(k, v []byte) error {
			if nb := b.Bucket(k); nb != nil {
				walk(nb, fmt.Sprintf("%s/%x", path, k))
				return nil
			}
			if path == string(bucketMeta) && string(k) == KeyReplicaRevision {
				return nil
			}
			out = append(out, fmt.Sprintf("%s %x=%x", path, k, v))
			return nil
		})
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			walk(b, string(name))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("dump: %w", err)
	}
	return out, nil
}

// Export calls fn with every bucket, non-zero sequence and value of the
// local file as a Write (the replica revision left out), buckets before
// their content: what a replicated store holds for this file. The Write's
// slices are valid only during the call.
func (db *DB) Export(fn func(w *Write) error) error {
	var walk func(b *bolt.Bucket, path [][]byte) error
	walk = func(b *bolt.Bucket, path [][]byte) error {
		if err := fn(&Write{Kind: WriteBucket, Bucket: path}); err != nil {
			return err
		}
		if s := b.Sequence(); s != 0 {
			if err := fn(&Write{Kind: WriteSequence, Bucket: path, Value: U64(s)}); err != nil {
				return err
			}
		}
		return b.ForEach(func(k, v []byte) error {
			if nb := b.Bucket(k); nb != nil {
				return walk(nb, append(path[:len(path):len(path)], k))
			}
			if len(path) == 1 && string(path[0]) == string(bucketMeta) && string(k) == KeyReplicaRevision {
				return nil
			}
			return fn(&Write{Kind: WriteValue, Bucket: path, Key: k, Value: v})
		})
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error { return walk(b, [][]byte{name}) })
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// Done is closed when the database is closed: an engine's background work
// on it (a watch) stops then.
func (db *DB) Done() <-chan struct{} { return db.done }
