package data

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// U64 encodes v as 8 big-endian bytes, so keys sort in numeric order.
func U64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

// ParseU64 decodes 8 big-endian bytes; it returns 0 for a shorter slice.
func ParseU64(b []byte) uint64 {
	if len(b) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// Key joins parts into one key: each part is copied in order. Use it for
// composite keys such as owner id + sequence.
func Key(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

// TimeKey encodes t as big-endian Unix nanoseconds (times before 1970 clamp to 0).
func TimeKey(t time.Time) []byte {
	n := t.UnixNano()
	if n < 0 {
		n = 0
	}
	return U64(uint64(n))
}

// ParseTimeKey decodes a TimeKey.
func ParseTimeKey(b []byte) time.Time { return time.Unix(0, int64(ParseU64(b))).UTC() }

// PutJSON stores v encoded as JSON under key.
func PutJSON(b Bucket, key []byte, v any) error {
	buf, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %T: %w", v, err)
	}
	if err := b.Put(key, buf); err != nil {
		return fmt.Errorf("put %T: %w", v, err)
	}
	return nil
}

// GetJSON decodes the JSON value under key into v. It reports false when the
// key is absent. The bytes are decoded inside the transaction, so v is safe to
// use after it ends.
func GetJSON(b Bucket, key []byte, v any) (bool, error) {
	buf := b.Get(key)
	if buf == nil {
		return false, nil
	}
	if err := json.Unmarshal(buf, v); err != nil {
		return true, fmt.Errorf("decode %T: %w", v, err)
	}
	return true, nil
}

// NestedBucket returns the top-level bucket name, nested into the sub-buckets
// given, or nil if any of them is missing.
func NestedBucket(tx Tx, name []byte, nested ...[]byte) Bucket {
	b := tx.Bucket(name)
	for _, n := range nested {
		if b == nil {
			return nil
		}
		b = b.Bucket(n)
	}
	return b
}

// MustBucket is Bucket for buckets created at Open; it panics if one is
// missing, which is a programming error (the writer turns it into a failed
// operation).
func MustBucket(tx Tx, name []byte) Bucket {
	b := tx.Bucket(name)
	if b == nil {
		panic(fmt.Sprintf("data: bucket %q was not created at Open", name))
	}
	return b
}

// appendFill is the fill percent of AppendBucket: pages split when 95 % full.
const appendFill = 0.95

// AppendBucket is MustBucket for a bucket whose keys mostly grow at the end
// (or at the end of a prefix): lottery entries, grabs, ledger rows. bbolt
// splits a page at half its size by default, which leaves append-only data in
// half-empty pages; splitting at 95 % halves the pages a commit writes and a
// full scan reads. Only a write transaction's handle keeps the setting.
func AppendBucket(tx Tx, name []byte) Bucket {
	b := MustBucket(tx, name)
	setFillPercent(b, appendFill)
	return b
}
