package data

import (
	"bytes"
	"context"
	"errors"
	"fmt"
)

// WriteKind tells what a Write changes.
type WriteKind byte

// The kinds of Write. Their values are the first byte of Write.AppendKey.
const (
	WriteBucket   WriteKind = 'b' // the bucket Write.Bucket exists (Delete: no longer)
	WriteSequence WriteKind = 's' // the bucket's sequence is Value (8 bytes, big endian)
	WriteValue    WriteKind = 'v' // Write.Key in Write.Bucket holds Value
)

// Write is one entry of a WriteSet: the final state, after a transaction, of
// one value, one bucket's existence or one bucket's sequence.
type Write struct {
	Kind   WriteKind
	Bucket [][]byte // the bucket's path: top-level name, then nested names
	Key    []byte   // WriteValue only
	Value  []byte   // WriteValue: the value; WriteSequence: U64 of it
	Delete bool     // the value, bucket or sequence is gone (a sequence reset to 0)
}

// WriteSet is what a write transaction changed: one Write per value, bucket
// and sequence it touched, in their final state. The entries' keys
// (AppendKey) are distinct, so applying them in any order gives the same
// state, and a replicated store can write them as one transaction. A bucket
// deleted lists the deletion of everything that was in it.
type WriteSet struct {
	// Base is the replica revision the local copy had when the transaction
	// read it (0 without replication): the replicated store refuses a write
	// set whose base is not its latest revision.
	Base   int64
	Writes []Write
}

// Replicator makes a write set durable elsewhere before the local commit.
// With Options.Replicator set, the writer calls Commit with each batch's
// write set after its operations ran and before it commits the local file;
// an error aborts the batch (nothing is committed anywhere). The revision
// it returns is recorded in the local file (ReplicaRevision) in the same
// transaction.
type Replicator interface {
	Commit(ctx context.Context, ws *WriteSet) (rev int64, err error)
}

// ErrWriteSetTooLarge is returned (wrapped) by a Replicator for a write set
// that exceeds what the replicated store takes in one transaction. The
// writer then commits the batch's operations in smaller groups, and answers
// an operation too large alone with a too_large error.
var ErrWriteSetTooLarge = errors.New("write set too large for one replicated transaction")

// ErrNotWriter is the error of every write on a node that is not the
// writer (Options.CanWrite): 503, nothing was saved.
var ErrNotWriter = &Error{Code: EUnavailable, Message: "this node is not the writer: retry on the writer"}

// errTooLargeOp answers an operation whose write set alone is too large.
var errTooLargeOp = &Error{Code: ETooLarge, Message: "operation too large for the etcd settings: raise --max-txn-ops / --max-request-bytes"}

// replicationError marks a failure of the Replicator: the batch is
// answered with it, not retried one by one (the store is unavailable).
type replicationError struct{ err error }

func (e *replicationError) Error() string { return "replicate: " + e.err.Error() }
func (e *replicationError) Unwrap() error { return e.err }

// unavailable is the error a caller gets for a failed replication: a
// domain error 503 unless the replicator returned a domain error itself.
func (e *replicationError) answer() error {
	if _, ok := AsError(e.err); ok {
		return e.err
	}
	return &Error{Code: EUnavailable, Message: "the replicated store did not accept the write; nothing was saved, retry"}
}

// Size is the number of entries.
func (ws *WriteSet) Size() int { return len(ws.Writes) }

// AppendKey appends w's key in a replicated key space to dst: the kind
// byte, then each bucket name as '/' and the name escaped (bytes outside
// printable ASCII and '%', '/', ':' as %XX), then for a value ':' and the key
// as is. Distinct entries have distinct keys; ParseWriteKey reverses it.
func (w *Write) AppendKey(dst []byte) []byte {
	dst = append(dst, byte(w.Kind))
	for _, name := range w.Bucket {
		dst = append(dst, '/')
		for _, c := range name {
			if c < 0x21 || c > 0x7e || c == '%' || c == '/' || c == ':' {
				dst = append(dst, '%', hexDigits[c>>4], hexDigits[c&15])
				continue
			}
			dst = append(dst, c)
		}
	}
	if w.Kind == WriteValue {
		dst = append(append(dst, ':'), w.Key...)
	}
	return dst
}

const hexDigits = "0123456789ABCDEF"

// ParseWriteKey decodes a key made by AppendKey into a Write (without
// Value and Delete). The Write's slices are new.
func ParseWriteKey(k []byte) (Write, error) {
	var w Write
	if len(k) < 2 {
		return w, fmt.Errorf("write key %q: too short", k)
	}
	w.Kind = WriteKind(k[0])
	switch w.Kind {
	case WriteBucket, WriteSequence, WriteValue:
	default:
		return w, fmt.Errorf("write key %q: unknown kind", k)
	}
	rest := k[1:]
	for len(rest) > 0 && rest[0] == '/' {
		rest = rest[1:]
		end := bytes.IndexAny(rest, "/:")
		if end < 0 {
			end = len(rest)
		}
		name, err := unescapeName(rest[:end])
		if err != nil {
			return w, fmt.Errorf("write key %q: %w", k, err)
		}
		w.Bucket = append(w.Bucket, name)
		rest = rest[end:]
	}
	switch {
	case len(w.Bucket) == 0:
		return w, fmt.Errorf("write key %q: no bucket", k)
	case w.Kind == WriteValue && (len(rest) == 0 || rest[0] != ':'):
		return w, fmt.Errorf("write key %q: no key", k)
	case w.Kind == WriteValue:
		w.Key = append([]byte{}, rest[1:]...)
	case len(rest) > 0:
		return w, fmt.Errorf("write key %q: trailing bytes", k)
	}
	return w, nil
}

func unescapeName(s []byte) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			out = append(out, s[i])
			continue
		}
		if i+2 >= len(s) {
			return nil, errors.New("bad escape")
		}
		hi, lo := bytes.IndexByte([]byte(hexDigits), s[i+1]), bytes.IndexByte([]byte(hexDigits), s[i+2])
		if hi < 0 || lo < 0 {
			return nil, errors.New("bad escape")
		}
		out = append(out, byte(hi<<4|lo))
		i += 2
	}
	return out, nil
}
