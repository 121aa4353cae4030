package data

import (
	bolt "go.etcd.io/bbolt"
)

// capture records a write transaction's write set: one entry per key,
// overwritten in place by a later write of the same key. Its methods do
// nothing on a nil *capture (a transaction that does not record).
type capture struct {
	ws    WriteSet
	index map[string]int // AppendKey → position in ws.Writes
	buf   []byte
}

func newCapture() *capture { return &capture{index: map[string]int{}} }

func (c *capture) set(w Write) {
	c.buf = w.AppendKey(c.buf[:0])
	if i, ok := c.index[string(c.buf)]; ok {
		c.ws.Writes[i] = w
		return
	}
	c.index[string(c.buf)] = len(c.ws.Writes)
	c.ws.Writes = append(c.ws.Writes, w)
}

func clone(b []byte) []byte { return append(make([]byte, 0, len(b)), b...) }

// put records a value. The key is copied (bbolt copies it too, so a
// caller may reuse it after Put); the value is not: bbolt keeps the caller's
// value until the commit writes it ("must remain valid for the life of the
// transaction"), and the write set is read before the commit, so it holds
// exactly the bytes the file gets.
func (c *capture) put(path [][]byte, key, value []byte) {
	if c != nil {
		c.set(Write{Kind: WriteValue, Bucket: path, Key: clone(key), Value: value})
	}
}

func (c *capture) del(path [][]byte, key []byte) {
	if c != nil {
		c.set(Write{Kind: WriteValue, Bucket: path, Key: clone(key), Delete: true})
	}
}

func (c *capture) sequence(path [][]byte, v uint64) {
	if c != nil {
		c.set(Write{Kind: WriteSequence, Bucket: path, Value: U64(v), Delete: v == 0})
	}
}

func (c *capture) createBucket(path [][]byte) {
	if c != nil {
		c.set(Write{Kind: WriteBucket, Bucket: path})
	}
}

// deleteBucket records the deletion of bucket b at path and of everything
// in it, nested buckets included.
func (c *capture) deleteBucket(b *bolt.Bucket, path [][]byte) {
	if c == nil {
		return
	}
	_ = b.ForEach(func(k, _ []byte) error {
		if nb := b.Bucket(k); nb != nil {
			c.deleteBucket(nb, append(append(make([][]byte, 0, len(path)+1), path...), clone(k)))
			return nil
		}
		c.del(path, k)
		return nil
	})
	c.sequence(path, 0)
	c.set(Write{Kind: WriteBucket, Bucket: path, Delete: true})
}

// reset empties c for the next transaction.
func (c *capture) reset() {
	c.ws = WriteSet{}
	clear(c.index)
}
