package data

import (
	"sync"

	bolt "go.etcd.io/bbolt"
)

// boltTx is the embedded engine's Tx: a thin wrapper of a bbolt transaction.
// In a write transaction it counts the writes (the writer's "reject before
// writing" check) and, when the database replicates, records them in a
// write set (capture.go). Wrappers are pooled, and the bucket and cursor
// wrappers a transaction hands out come from slabs it reuses, so a read or
// an operation costs no allocation beyond bbolt's own.
type boltTx struct {
	tx       *bolt.Tx
	writable bool
	writes   uint64   // write calls so far (write transactions)
	capture  *capture // nil unless the write set is recorded
	buckets  []boltBucket
	cursors  []boltCursor
	reads    []bolt.Cursor // read transactions' cursors
	nb, nc   int           // slab entries in use
	nr       int
}

type boltBucket struct {
	b    *bolt.Bucket
	tx   *boltTx
	path [][]byte // the bucket's path from the root (when capturing)
}

// boltCursor wraps a write transaction's cursor: its Delete is a write.
type boltCursor struct {
	c   bolt.Cursor
	b   *boltBucket
	key []byte // the key the cursor is on
}

var boltTxs = sync.Pool{New: func() any { return &boltTx{} }}

func wrapTx(tx *bolt.Tx, c *capture) *boltTx {
	t := boltTxs.Get().(*boltTx)
	t.tx, t.writable, t.writes, t.capture = tx, tx.Writable(), 0, c
	return t
}

// release returns t to the pool; nothing it handed out may be used after.
func (t *boltTx) release() {
	clear(t.buckets[:t.nb])
	clear(t.cursors[:t.nc])
	clear(t.reads[:t.nr])
	t.nb, t.nc, t.nr = 0, 0, 0
	t.tx, t.capture = nil, nil
	boltTxs.Put(t)
}

func (t *boltTx) bucket(b *bolt.Bucket, parent [][]byte, name []byte) Bucket {
	if b == nil {
		return nil // an untyped nil: callers compare the interface with nil
	}
	if t.nb == len(t.buckets) {
		t.buckets = append(t.buckets, make([]boltBucket, max(8, len(t.buckets)))...)
	}
	w := &t.buckets[t.nb]
	t.nb++
	w.b, w.tx = b, t
	if t.capture != nil {
		w.path = append(append(make([][]byte, 0, len(parent)+1), parent...), clone(name))
	}
	return w
}

func (t *boltTx) Bucket(name []byte) Bucket { return t.bucket(t.tx.Bucket(name), nil, name) }

func (t *boltTx) CreateBucketIfNotExists(name []byte) (Bucket, error) {
	if b := t.tx.Bucket(name); b != nil {
		return t.bucket(b, nil, name), nil
	}
	b, err := t.tx.CreateBucket(name)
	if err != nil {
		return nil, err
	}
	t.wrote()
	w := t.bucket(b, nil, name)
	t.capture.createBucket(w.(*boltBucket).path)
	return w, nil
}

func (t *boltTx) DeleteBucket(name []byte) error {
	if t.capture != nil {
		if b := t.tx.Bucket(name); b != nil {
			t.capture.deleteBucket(b, [][]byte{name})
		}
	}
	t.wrote()
	return t.tx.DeleteBucket(name)
}

func (t *boltTx) OnCommit(fn func()) { t.tx.OnCommit(fn) }

func (t *boltTx) wrote() { t.writes++ }

func (b *boltBucket) Get(key []byte) []byte { return b.b.Get(key) }

func (b *boltBucket) Put(key, value []byte) error {
	b.tx.wrote()
	if err := b.b.Put(key, value); err != nil {
		return err
	}
	b.tx.capture.put(b.path, key, value)
	return nil
}

func (b *boltBucket) Delete(key []byte) error {
	b.tx.wrote()
	if err := b.b.Delete(key); err != nil {
		return err
	}
	b.tx.capture.del(b.path, key)
	return nil
}

// Cursor hands out cursors from the transaction's slabs: bbolt's Cursor
// allocates its cursor, which escapes once returned as an interface; copied
// into a slab entry it stays on the stack.
func (b *boltBucket) Cursor() Cursor {
	t := b.tx
	if !t.writable {
		if t.nr == len(t.reads) {
			t.reads = append(t.reads, make([]bolt.Cursor, max(4, len(t.reads)))...)
		}
		c := &t.reads[t.nr]
		t.nr++
		*c = *b.b.Cursor() // *bolt.Cursor is a Cursor; reading needs no wrapper
		return c
	}
	if t.nc == len(t.cursors) {
		t.cursors = append(t.cursors, make([]boltCursor, max(4, len(t.cursors)))...)
	}
	c := &t.cursors[t.nc]
	t.nc++
	c.c, c.b, c.key = *b.b.Cursor(), b, nil
	return c
}

func (b *boltBucket) ForEach(fn func(k, v []byte) error) error { return b.b.ForEach(fn) }

func (b *boltBucket) NextSequence() (uint64, error) {
	b.tx.wrote()
	n, err := b.b.NextSequence()
	if err == nil {
		b.tx.capture.sequence(b.path, n)
	}
	return n, err
}

func (b *boltBucket) Sequence() uint64 { return b.b.Sequence() }

func (b *boltBucket) SetSequence(v uint64) error {
	b.tx.wrote()
	if err := b.b.SetSequence(v); err != nil {
		return err
	}
	b.tx.capture.sequence(b.path, v)
	return nil
}

func (b *boltBucket) Bucket(name []byte) Bucket { return b.tx.bucket(b.b.Bucket(name), b.path, name) }

func (b *boltBucket) CreateBucketIfNotExists(name []byte) (Bucket, error) {
	if nb := b.b.Bucket(name); nb != nil {
		return b.tx.bucket(nb, b.path, name), nil
	}
	nb, err := b.b.CreateBucket(name)
	if err != nil {
		return nil, err
	}
	b.tx.wrote()
	w := b.tx.bucket(nb, b.path, name)
	b.tx.capture.createBucket(w.(*boltBucket).path)
	return w, nil
}

func (b *boltBucket) DeleteBucket(name []byte) error {
	if c := b.tx.capture; c != nil {
		if nb := b.b.Bucket(name); nb != nil {
			c.deleteBucket(nb, append(append([][]byte{}, b.path...), name))
		}
	}
	b.tx.wrote()
	return b.b.DeleteBucket(name)
}

func (c *boltCursor) at(k, v []byte) ([]byte, []byte) {
	c.key = k
	return k, v
}

func (c *boltCursor) First() ([]byte, []byte)        { return c.at(c.c.First()) }
func (c *boltCursor) Last() ([]byte, []byte)         { return c.at(c.c.Last()) }
func (c *boltCursor) Seek(k []byte) ([]byte, []byte) { return c.at(c.c.Seek(k)) }
func (c *boltCursor) Next() ([]byte, []byte)         { return c.at(c.c.Next()) }
func (c *boltCursor) Prev() ([]byte, []byte)         { return c.at(c.c.Prev()) }

func (c *boltCursor) Delete() error {
	c.b.tx.wrote()
	key := c.key
	if c.b.tx.capture != nil {
		key = append([]byte(nil), key...) // the page under it changes
	}
	if err := c.c.Delete(); err != nil {
		return err
	}
	c.b.tx.capture.del(c.b.path, key)
	return nil
}

// setFillPercent sets bbolt's split point of b in this transaction (see
// AppendBucket); other engines ignore it.
func setFillPercent(b Bucket, f float64) {
	if w, ok := b.(*boltBucket); ok {
		w.b.FillPercent = f
	}
}

// Unwrap returns the bbolt transaction under tx, or nil if tx is not the
// embedded engine's. For measurements and tools that inspect the file
// (pages, integrity); domain code never needs it.
func Unwrap(tx Tx) *bolt.Tx {
	if t, ok := tx.(*boltTx); ok {
		return t.tx
	}
	return nil
}

// viewBolt runs fn in a read transaction of b, wrapped.
func viewBolt(b *bolt.DB, fn func(tx Tx) error) error {
	tx, err := b.Begin(false)
	if err != nil {
		return err
	}
	t := wrapTx(tx, nil)
	defer func() {
		t.release()
		_ = tx.Rollback()
	}()
	return fn(t)
}

// updateBolt runs fn in a write transaction of b, wrapped, outside the
// writer (Open's initialization, migrations, UpdateLocal): nothing recorded.
func updateBolt(b *bolt.DB, fn func(tx Tx) error) error {
	return b.Update(func(tx *bolt.Tx) error {
		t := wrapTx(tx, nil)
		defer t.release()
		return fn(t)
	})
}

// KeyCount is the number of keys in b, nested buckets' keys included (as
// bbolt's Stats().KeyN): for metrics and tests.
func KeyCount(b Bucket) int {
	if w, ok := b.(*boltBucket); ok {
		return w.b.Stats().KeyN
	}
	n := 0
	_ = b.ForEach(func(k, v []byte) error {
		if v == nil {
			if nb := b.Bucket(k); nb != nil {
				n += KeyCount(nb)
				return nil
			}
		}
		n++
		return nil
	})
	return n
}

// UpdateLocal runs fn in a write transaction of the local file directly,
// bypassing the writer, its checks and any replication: for tests (to
// tamper with a file) and measurements only, never for domain writes.
func (db *DB) UpdateLocal(fn func(tx Tx) error) error { return updateBolt(db.bolt, fn) }
