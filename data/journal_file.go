package data

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// A journal file holds a checkpoint header and, after it, the write sets of
// the transactions committed since that checkpoint, one record each:
//
//	offset 0     header: "LBJ1", u32 version, u32 page size, u32 0,
//	             u64 base txid, u32 CRC-32C of these 24 bytes and the metas
//	offset 512   completion: "LBJC", u64 base txid, u32 CRC-32C of the 12
//	             bytes (zero while the checkpoint is in progress)
//	offset 4096  the database file's two meta pages as they were right
//	             after transaction base committed (2 × page size)
//	then         records: u32 payload length, u32 CRC-32C of the txid and
//	             payload, u64 txid, payload (encodeWrites)
//
// Records follow each other with consecutive txids starting at base+1; a
// reader stops at the first record that is torn, fails its checksum or does
// not carry the next txid (older records of a reused file carry smaller
// ones). See journal.go for how the two files take turns.
type journalFile struct {
	f    *os.File
	path string
	base uint64 // the header's base txid
	off  int64  // where the next record goes
	ps   int    // the database's page size
}

const (
	journalMagic     = "LBJ1"
	journalDoneMagic = "LBJC"
	journalVersion   = 1
	journalDoneAt    = 512
	journalMetasAt   = 4096
	recordHeaderLen  = 16
	// maxRecordLen bounds one record's payload when reading (a corrupt length
	// must not make recovery allocate without end).
	maxRecordLen = 1 << 30
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrNewerJournal is returned by Open for a journal written by a newer
// luckbox after an unclean stop: that version must open the file first.
var ErrNewerJournal = errors.New("journal written by a newer luckbox: open the file with that version first")

func recordsAt(pageSize int) int64 { return journalMetasAt + 2*int64(pageSize) }

// journalHeader is a journal file's header as read back.
type journalHeader struct {
	base     uint64
	complete bool
	metas    []byte // 2 × page size
}

// writeHeader starts the file over at checkpoint base: the header with the
// two meta pages, the completion block set when complete. The records of
// the file's previous turn stay behind it until overwritten; they carry
// txids at or below base and so end any read at once. Not synced: the
// first record's sync (or markComplete) makes it durable.
func (j *journalFile) writeHeader(base uint64, metas []byte, complete bool) error {
	buf := make([]byte, recordsAt(j.ps))
	copy(buf, journalMagic)
	binary.LittleEndian.PutUint32(buf[4:], journalVersion)
	binary.LittleEndian.PutUint32(buf[8:], uint32(j.ps))
	binary.LittleEndian.PutUint64(buf[16:], base)
	copy(buf[journalMetasAt:], metas)
	binary.LittleEndian.PutUint32(buf[24:], headerCRC(buf))
	if complete {
		putDone(buf[journalDoneAt:], base)
	}
	if _, err := j.f.WriteAt(buf, 0); err != nil {
		return fmt.Errorf("write journal header: %w", err)
	}
	j.base, j.off = base, recordsAt(j.ps)
	return nil
}

func headerCRC(buf []byte) uint32 {
	c := crc32.Update(0, castagnoli, buf[:24])
	return crc32.Update(c, castagnoli, buf[journalMetasAt:])
}

func putDone(b []byte, base uint64) {
	copy(b, journalDoneMagic)
	binary.LittleEndian.PutUint64(b[4:], base)
	binary.LittleEndian.PutUint32(b[12:], crc32.Checksum(b[:12], castagnoli))
}

// markComplete records that the database file holds transaction base
// durably, and syncs.
func (j *journalFile) markComplete(base uint64) error {
	b := make([]byte, 16)
	putDone(b, base)
	if _, err := j.f.WriteAt(b, journalDoneAt); err != nil {
		return fmt.Errorf("complete journal checkpoint: %w", err)
	}
	return j.sync()
}

func (j *journalFile) sync() error {
	if err := fdatasync(j.f); err != nil {
		return fmt.Errorf("sync journal %s: %w", j.path, err)
	}
	return nil
}

// append writes the record of transaction txid holding payload at the
// file's end and syncs it: when it returns nil, the record is durable.
// buf is scratch space, returned for reuse.
func (j *journalFile) append(buf []byte, txid uint64, payload []byte) ([]byte, error) {
	buf = appendRecord(buf[:0], txid, payload)
	if _, err := j.f.WriteAt(buf, j.off); err != nil {
		return buf, fmt.Errorf("write journal: %w", err)
	}
	if err := j.sync(); err != nil {
		return buf, err
	}
	j.off += int64(len(buf))
	return buf, nil
}

// appendRecord appends the record of transaction txid holding payload to
// dst: its length, checksum and txid, then the payload.
func appendRecord(dst []byte, txid uint64, payload []byte) []byte {
	var h [recordHeaderLen]byte
	binary.LittleEndian.PutUint32(h[0:], uint32(len(payload)))
	binary.LittleEndian.PutUint64(h[8:], txid)
	c := crc32.Update(0, castagnoli, h[8:16])
	binary.LittleEndian.PutUint32(h[4:], crc32.Update(c, castagnoli, payload))
	return append(append(dst, h[:]...), payload...)
}

// unwrite erases the record at the file's end that append wrote last
// (its transaction did not commit), so no reader takes it for committed.
func (j *journalFile) unwrite(n int) error {
	if _, err := j.f.WriteAt(make([]byte, recordHeaderLen), j.off-int64(n)); err != nil {
		return fmt.Errorf("erase journal record: %w", err)
	}
	j.off -= int64(n)
	return j.sync()
}

// readJournalHeader reads a journal file's header; an invalid header (a
// file created but never written, or torn while written) is (nil, nil).
func readJournalHeader(f *os.File) (*journalHeader, error) {
	head := make([]byte, 32)
	if _, err := f.ReadAt(head, 0); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil
		}
		return nil, fmt.Errorf("read journal header: %w", err)
	}
	ps := int(binary.LittleEndian.Uint32(head[8:]))
	if string(head[:4]) == journalMagic && binary.LittleEndian.Uint32(head[4:]) > journalVersion {
		// Not ours to judge (and not to throw away: it may hold
		// acknowledged transactions).
		return nil, fmt.Errorf("%s: %w", f.Name(), ErrNewerJournal)
	}
	if string(head[:4]) != journalMagic || binary.LittleEndian.Uint32(head[4:]) != journalVersion ||
		ps < 512 || ps > 1<<16 || ps&(ps-1) != 0 {
		return nil, nil
	}
	buf := make([]byte, recordsAt(ps))
	if _, err := f.ReadAt(buf, 0); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil
		}
		return nil, fmt.Errorf("read journal header: %w", err)
	}
	if binary.LittleEndian.Uint32(buf[24:]) != headerCRC(buf) {
		return nil, nil
	}
	h := &journalHeader{base: binary.LittleEndian.Uint64(buf[16:]), metas: buf[journalMetasAt:]}
	d := buf[journalDoneAt : journalDoneAt+16]
	h.complete = string(d[:4]) == journalDoneMagic && binary.LittleEndian.Uint64(d[4:]) == h.base &&
		binary.LittleEndian.Uint32(d[12:]) == crc32.Checksum(d[:12], castagnoli)
	return h, nil
}

// readRecords calls fn with each record of f after the header, in order,
// while they are whole, pass their checksum and carry consecutive txids
// from next on. It returns the txid after the last one read.
func readRecords(f *os.File, pageSize int, next uint64, fn func(txid uint64, payload []byte) error) (uint64, error) {
	off := recordsAt(pageSize)
	hdr := make([]byte, recordHeaderLen)
	var payload []byte
	for {
		if _, err := f.ReadAt(hdr, off); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return next, nil
			}
			return next, fmt.Errorf("read journal record: %w", err)
		}
		n := binary.LittleEndian.Uint32(hdr[0:])
		txid := binary.LittleEndian.Uint64(hdr[8:])
		if txid != next || n > maxRecordLen {
			return next, nil
		}
		payload = append(payload[:0], make([]byte, n)...)
		if _, err := f.ReadAt(payload, off+recordHeaderLen); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return next, nil
			}
			return next, fmt.Errorf("read journal record: %w", err)
		}
		c := crc32.Update(0, castagnoli, hdr[8:16])
		if crc32.Update(c, castagnoli, payload) != binary.LittleEndian.Uint32(hdr[4:]) {
			return next, nil
		}
		if err := fn(txid, payload); err != nil {
			return next, err
		}
		next++
		off += recordHeaderLen + int64(n)
	}
}

// encodeWrites appends the binary form of writes to dst: a count, then for
// each its kind, a delete flag, its bucket path, key and value, lengths as
// uvarints.
func encodeWrites(dst []byte, writes []Write) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(writes)))
	for i := range writes {
		w := &writes[i]
		del := byte(0)
		if w.Delete {
			del = 1
		}
		dst = append(dst, byte(w.Kind), del)
		dst = binary.AppendUvarint(dst, uint64(len(w.Bucket)))
		for _, name := range w.Bucket {
			dst = appendBytes(dst, name)
		}
		dst = appendBytes(dst, w.Key)
		dst = appendBytes(dst, w.Value)
	}
	return dst
}

func appendBytes(dst, b []byte) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(b))), b...)
}

var errBadRecord = errors.New("journal record does not decode")

// decodeWrites reverses encodeWrites. The writes' slices alias p.
func decodeWrites(p []byte) ([]Write, error) {
	n, p, err := readUvarint(p)
	if err != nil || n > uint64(len(p)) {
		return nil, errBadRecord
	}
	writes := make([]Write, n)
	for i := range writes {
		w := &writes[i]
		if len(p) < 2 {
			return nil, errBadRecord
		}
		w.Kind, w.Delete = WriteKind(p[0]), p[1] == 1
		p = p[2:]
		var nb uint64
		if nb, p, err = readUvarint(p); err != nil || nb > uint64(len(p)) {
			return nil, errBadRecord
		}
		w.Bucket = make([][]byte, nb)
		for j := range w.Bucket {
			if w.Bucket[j], p, err = readBytes(p); err != nil {
				return nil, err
			}
		}
		if w.Key, p, err = readBytes(p); err != nil {
			return nil, err
		}
		if w.Value, p, err = readBytes(p); err != nil {
			return nil, err
		}
	}
	if len(p) != 0 {
		return nil, errBadRecord
	}
	return writes, nil
}

func readUvarint(p []byte) (uint64, []byte, error) {
	v, n := binary.Uvarint(p)
	if n <= 0 {
		return 0, nil, errBadRecord
	}
	return v, p[n:], nil
}

func readBytes(p []byte) ([]byte, []byte, error) {
	n, p, err := readUvarint(p)
	if err != nil || n > uint64(len(p)) {
		return nil, nil, errBadRecord
	}
	return p[:n:n], p[n:], nil
}
