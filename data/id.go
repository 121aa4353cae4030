package data

import (
	"crypto/rand"
	"encoding/binary"
	"io"
)

// A public identifier is a bucket sequence number (the record's key, so records
// append in order) joined with a random 64-bit tag stored in the record, so
// identifiers can not be guessed by counting. It is 26 lowercase base32
// characters (RFC 4648 base32 of seq ‖ tag, lowercase, without padding).
// idAlphabet is the base32 alphabet of identifiers.
const idAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// IDLen is the length of an encoded public identifier.
const IDLen = 26

// EncodeID returns the public identifier of record seq with the given tag.
func EncodeID(seq, tag uint64) string {
	var b [IDLen]byte
	return string(AppendID(b[:0], seq, tag))
}

// AppendID appends the public identifier of record seq with the given tag
// to b: EncodeID without allocating, and about ten times faster than the
// generic encoder (a draw encodes a million identifiers to hash the entry list).
func AppendID(b []byte, seq, tag uint64) []byte {
	// seq‖tag is 128 bits, 5 per character from the most significant: 12
	// characters of seq, one of seq's last 4 bits and tag's first, 12 of tag,
	// and tag's last 3 bits followed by 2 zero bits of padding.
	var out [IDLen]byte
	for i := range 12 {
		out[i] = idAlphabet[(seq>>(59-5*i))&31]
	}
	out[12] = idAlphabet[(seq<<1|tag>>63)&31]
	for i := range 12 {
		out[13+i] = idAlphabet[(tag>>(58-5*i))&31]
	}
	out[25] = idAlphabet[(tag<<2)&31]
	return append(b, out[:]...)
}

// DecodeID parses a public identifier. ok is false for anything malformed;
// callers must still compare the tag with the stored record's. It is the
// inverse of AppendID, without allocating (it runs on every request that
// names a record).
func DecodeID(id string) (seq, tag uint64, ok bool) {
	if len(id) != IDLen {
		return 0, 0, false
	}
	var v [IDLen]uint64
	for i := range IDLen {
		d := idDecode[id[i]]
		if d == 0xff {
			return 0, 0, false
		}
		v[i] = uint64(d)
	}
	for i := range 12 {
		seq = seq<<5 | v[i]
	}
	seq = seq<<4 | v[12]>>1
	tag = v[12] & 1
	for i := range 12 {
		tag = tag<<5 | v[13+i]
	}
	tag = tag<<3 | v[25]>>2
	// The last character carries 2 unused bits: accept only the canonical
	// spelling (zeros), so one record has exactly one identifier.
	if seq == 0 || v[25]&3 != 0 {
		return 0, 0, false
	}
	return seq, tag, true
}

// idDecode maps a character of idAlphabet to its value, anything else to 0xff.
var idDecode = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := range len(idAlphabet) {
		t[idAlphabet[i]] = byte(i)
	}
	return t
}()

// NewTag draws a random non-zero tag from r (crypto/rand.Reader when nil).
// Draw it before submitting a write operation, so a retried operation reuses it.
func NewTag(r io.Reader) (uint64, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [8]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, err
		}
		if t := binary.BigEndian.Uint64(b[:]); t != 0 {
			return t, nil
		}
	}
}
