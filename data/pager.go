package data

import (
	"bytes"
	"strconv"
)

// The one pager of lists: the keys of a list are prefix ‖ seq, seq an 8-byte
// big-endian sequence, and a page is read from a cursor, backwards for
// newest-first lists (inbox, wallet ledger, packets, lotteries) and forwards
// for lists in order (a lottery's winners and claims). The cursor is opaque
// to clients; it is the decimal sequence of the first item of the next page,
// so it stays valid when newer items arrive or listed ones go.

// FirstPage is the cursor position of a list's first page (its newest item).
const FirstPage = uint64(1<<64 - 1)

// ParseCursor turns a cursor of NewestFirst into the position to read from:
// "" is FirstPage; anything NewestFirst did not return is invalid_argument.
func ParseCursor(cursor string) (uint64, error) {
	return parseCursor(cursor, FirstPage)
}

// ParseForwardCursor turns a cursor of InOrder into the position to read
// from: "" is 0, the start of the list.
func ParseForwardCursor(cursor string) (uint64, error) {
	return parseCursor(cursor, 0)
}

func parseCursor(cursor string, first uint64) (uint64, error) {
	if cursor == "" {
		return first, nil
	}
	seq, err := strconv.ParseUint(cursor, 10, 64)
	if err != nil || seq == 0 || strconv.FormatUint(seq, 10) != cursor {
		return 0, Invalid("cursor", "is not a cursor this endpoint returned")
	}
	return seq, nil
}

// NewestFirst visits the keys prefix ‖ seq of c with seq ≤ from, highest
// first, calling visit with each sequence and value until limit of them were
// kept (visit reports whether it kept the item: an index entry of something
// since deleted is skipped). Keys under prefix of another length are not
// part of the list. It returns the cursor of the next page, "" after the
// last item.
func NewestFirst(c Cursor, prefix []byte, from uint64, limit int, visit func(seq uint64, v []byte) (kept bool, err error)) (next string, err error) {
	k, v := c.Seek(Key(prefix, U64(from)))
	if k == nil || !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+8 || ParseU64(k[len(prefix):]) > from {
		k, v = c.Prev()
	}
	return walk(k, v, c.Prev, prefix, limit, visit)
}

// InOrder visits the keys prefix ‖ seq of c with seq ≥ from, lowest first,
// as NewestFirst does backwards, and returns the cursor of the next page
// ("" after the last item).
func InOrder(c Cursor, prefix []byte, from uint64, limit int, visit func(seq uint64, v []byte) (kept bool, err error)) (next string, err error) {
	k, v := c.Seek(Key(prefix, U64(from)))
	return walk(k, v, c.Next, prefix, limit, visit)
}

// walk visits the list items from k on, moving with step, until limit were
// kept; it returns the cursor of the first item it did not visit.
func walk(k, v []byte, step func() ([]byte, []byte), prefix []byte, limit int, visit func(seq uint64, v []byte) (bool, error)) (string, error) {
	n, kept := len(prefix), 0
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = step() {
		if len(k) != n+8 {
			continue
		}
		seq := ParseU64(k[n:])
		if kept == limit {
			return strconv.FormatUint(seq, 10), nil
		}
		ok, err := visit(seq, v)
		if err != nil {
			return "", err
		}
		if ok {
			kept++
		}
	}
	return "", nil
}
