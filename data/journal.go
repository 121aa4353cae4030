package data

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The journal is a write-ahead log in front of the database file. Without
// it every commit writes the B+tree pages it changed and syncs the file
// twice (pages, then meta page). With it the writer, for each transaction:
//
//  1. runs the batch's operations in one bbolt write transaction, as before;
//  2. appends the transaction's write set (capture.go) to the journal and
//     syncs the journal: one sequential write of a few hundred bytes per
//     operation and one fdatasync;
//  3. commits the transaction to the file without syncing it (the pages go
//     to the page cache, where a page rewritten by many commits is written
//     to disk once);
//  4. answers the callers.
//
// A checkpoint makes the file durable on its own now and then (every
// CheckpointInterval, or when the journal outgrows CheckpointBytes): it
// syncs the file in the background and then marks the checkpoint complete
// in the journal. What makes an unsynced file recoverable is that bbolt
// never overwrites a page a reader can see: the journal keeps a read
// transaction open at the last completed checkpoint, so every page of that
// state (its tree and its freelist) stays on disk as the checkpoint synced
// it, whatever the commits after it wrote. After a crash, Open restores the
// checkpoint's meta pages (kept in the journal) and replays the journal's
// records on top: the file then holds every acknowledged transaction. After
// a clean Close (file synced) the journal files are removed.
//
// Two journal files take turns (path-journal.0 and .1): a checkpoint at txid
// M starts the other file with M as its base, and the records after M go
// there, while the checkpoint syncs; the old file and the read transaction
// at its base are let go only once the new base is complete. Recovery takes
// the complete header with the highest base, replays its records, then the
// records of the other file if that file starts where they end.
type journal struct {
	db     *DB
	files  [2]*journalFile
	active int      // the file records go to
	pin    *bolt.Tx // read transaction at the last completed checkpoint
	next   *bolt.Tx // read transaction at the checkpoint in progress, or nil
	done   chan error
	last   uint64 // txid of the last committed transaction
	since  time.Time
	dbFile *os.File // the database file, to read its meta pages
	every  time.Duration
	max    int64
	limit  int64 // past this database size the journal stops (see commit)

	payload, rec []byte
	stats        *journalCounters
	abandoned    chan struct{} // closed by abandon (tests)
}

// errAbandoned ends a checkpoint held by a test when the journal is abandoned.
var errAbandoned = errors.New("journal abandoned")

// journalCounters are the journal's counters, kept by the writer (they
// outlive a journal that ends).
type journalCounters struct {
	on          atomic.Bool
	bytes       atomic.Uint64 // written to the journal files (records and headers)
	checkpoints atomic.Uint64 // completed
}

// checkpointSyncedForTests, when set, runs after a checkpoint synced the
// database file and before it is marked complete (tests copy the file
// then: what a power loss may leave of it).
var checkpointSyncedForTests atomic.Pointer[func(path string, base uint64)]

// checkpointHoldForTests, when set as a checkpoint starts, holds it
// before it syncs until the channel is closed (a crash during a checkpoint).
var checkpointHoldForTests atomic.Pointer[chan struct{}]

// checkpointsPausedForTests, when set, keeps new checkpoints from starting.
var checkpointsPausedForTests atomic.Bool

// DefaultCheckpointInterval and DefaultCheckpointBytes are when the
// journal syncs the database file, whichever comes first.
const (
	DefaultCheckpointInterval = time.Second
	DefaultCheckpointBytes    = 64 << 20
)

// journalMapSize is the database mapping a journaled database opens with:
// bbolt must never remap while the journal's read transaction is open (a
// remap waits for every reader), so the mapping is made larger than the
// file will get; it is address space, not memory. Past half of it the
// journal stops and commits sync the file again (journal.committed).
const journalMapSize = 1 << 40

// journalMapping is the mapping to open a file of fileSize bytes with, for
// the journal, under an address-space limit (RLIMIT_AS; ^0: none): at most
// journalMapSize and a quarter of the limit, in whole GiB. ok is false when
// that leaves less than 1 GiB or the file already fills half of it: then
// the journal stays off.
func journalMapping(fileSize int64, asLimit uint64) (size int64, ok bool) {
	size = journalMapSize
	if asLimit != ^uint64(0) && asLimit/4 < uint64(size) {
		size = int64(asLimit/4) &^ (1<<30 - 1)
	}
	return size, size >= 1<<30 && fileSize < size/2
}

// addressSpaceLimit is the process's RLIMIT_AS (^0 when there is none or
// it cannot be read).
func addressSpaceLimit() uint64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &r); err != nil || r.Cur == ^uint64(0) {
		return ^uint64(0)
	}
	return r.Cur
}

// JournalPaths are the journal files of the database at path.
func JournalPaths(path string) [2]string {
	return [2]string{path + "-journal.0", path + "-journal.1"}
}

// RemoveJournal deletes the journal files of the database at path (a
// command that replaces the file with another calls it: a journal belongs
// to one file).
func RemoveJournal(path string) error {
	for _, p := range JournalPaths(path) {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove journal: %w", err)
		}
	}
	return SyncDir(filepath.Dir(path))
}

// MoveJournal renames the journal files of the database at from to those
// of to (to == "": removes them): the file's copy at to takes its journal.
func MoveJournal(from, to string) error {
	if to == "" {
		return RemoveJournal(from)
	}
	src, dst := JournalPaths(from), JournalPaths(to)
	for i := range src {
		if err := os.Rename(src[i], dst[i]); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("move journal: %w", err)
		}
	}
	return SyncDir(filepath.Dir(from))
}

// SyncDir makes the creation, removal, rename or link of a file in dir
// durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// startJournal syncs the database file, creates fresh journal files with
// the file's current state as their base and turns off bbolt's own syncs.
func startJournal(db *DB, stats *journalCounters) (*journal, error) {
	if err := db.bolt.Sync(); err != nil {
		return nil, fmt.Errorf("start journal: %w", err)
	}
	j := &journal{db: db, stats: stats, abandoned: make(chan struct{}), every: db.opts.CheckpointInterval, max: db.opts.CheckpointBytes, limit: db.mapSize / 2}
	if j.every <= 0 {
		j.every = DefaultCheckpointInterval
	}
	if j.max <= 0 {
		j.max = DefaultCheckpointBytes
	}
	ok := false
	defer func() {
		if !ok {
			j.closeFiles()
		}
	}()
	var err error
	if j.dbFile, err = os.Open(db.bolt.Path()); err != nil {
		return nil, fmt.Errorf("start journal: %w", err)
	}
	for i, p := range JournalPaths(db.bolt.Path()) {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return nil, fmt.Errorf("start journal: %w", err)
		}
		j.files[i] = &journalFile{f: f, path: p, ps: db.pageSize}
	}
	if j.pin, err = db.bolt.Begin(false); err != nil {
		return nil, fmt.Errorf("start journal: %w", err)
	}
	j.last = uint64(j.pin.ID())
	metas, err := j.metas()
	if err == nil {
		err = j.files[0].writeHeader(j.last, metas, true)
	}
	if err == nil {
		err = j.files[0].sync()
	}
	if err == nil {
		err = SyncDir(filepath.Dir(db.bolt.Path()))
	}
	if err != nil {
		_ = j.pin.Rollback()
		return nil, fmt.Errorf("start journal: %w", err)
	}
	j.since = time.Now()
	// Between checkpoints nothing reads the file's freelist: recovery
	// starts from a checkpoint and rebuilds it by scanning that state's
	// tree, and close writes it. Not writing it saves a commit the
	// freelist's pages and the sorting of every free and pending page id
	// (which the pinned checkpoint makes many).
	db.bolt.NoSync, db.bolt.NoFreelistSync = true, true
	stats.on.Store(true)
	ok = true
	return j, nil
}

// metas reads the database file's two meta pages (right after a commit:
// the committed transaction's meta and the one before).
func (j *journal) metas() ([]byte, error) {
	b := make([]byte, 2*j.db.pageSize)
	if _, err := j.dbFile.ReadAt(b, 0); err != nil {
		return nil, fmt.Errorf("read meta pages: %w", err)
	}
	return b, nil
}

// record appends the write set of transaction txid, durably. It returns
// the record's length for unrecord.
func (j *journal) record(txid uint64, writes []Write) (int, error) {
	j.payload = encodeWrites(j.payload[:0], writes)
	var err error
	j.rec, err = j.files[j.active].append(j.rec, txid, j.payload)
	if err != nil {
		return 0, err
	}
	j.stats.bytes.Add(uint64(len(j.rec)))
	return len(j.rec), nil
}

// unrecord erases the last record: its transaction failed to commit.
func (j *journal) unrecord(n int) {
	if err := j.files[j.active].unwrite(n); err != nil {
		j.db.log.Error("journal: could not erase the record of a failed commit", "err", err)
	}
}

// committed notes that transaction txid committed to the file; size is the
// file's size then. A file growing past the limit of the mapping ends the
// journal (see journalMapSize): it reports false, and the caller drops it.
func (j *journal) committed(txid uint64, size int64) bool {
	j.last = txid
	return size < j.limit
}

// rebase makes the file as it is now the journal's base, synchronously:
// after a transaction that did not go through the journal.
func (j *journal) rebase() error {
	if j.done != nil {
		<-j.done
		j.done = nil
	}
	if err := j.db.bolt.Sync(); err != nil {
		return fmt.Errorf("journal rebase: %w", err)
	}
	pin, err := j.db.bolt.Begin(false)
	if err != nil {
		return fmt.Errorf("journal rebase: %w", err)
	}
	base := uint64(pin.ID())
	f := j.files[j.active]
	metas, err := j.metas()
	if err == nil {
		err = f.writeHeader(base, metas, true)
	}
	if err == nil {
		err = f.sync()
	}
	if err != nil {
		_ = pin.Rollback()
		return fmt.Errorf("journal rebase: %w", err)
	}
	j.release()
	j.pin, j.last = pin, base
	return nil
}

// tick starts a checkpoint when one is due and notes the end of one in
// progress. The writer calls it after each batch and when idle.
func (j *journal) tick(now time.Time) {
	if j.done != nil {
		select {
		case err := <-j.done:
			j.done = nil
			j.finished(err, now)
		default:
			return
		}
	}
	if j.next != nil { // the last checkpoint failed: try to complete it again
		if now.Sub(j.since) >= j.every {
			j.since = now
			j.complete(j.files[j.active], uint64(j.next.ID()))
		}
		return
	}
	f := j.files[j.active]
	if checkpointsPausedForTests.Load() || j.last == f.base || (now.Sub(j.since) < j.every && f.off < j.max) {
		return
	}
	j.begin(now)
}

// begin starts a checkpoint at the last committed transaction.
func (j *journal) begin(now time.Time) {
	pin, err := j.db.bolt.Begin(false)
	if err != nil {
		j.db.log.Error("journal: checkpoint not started", "err", err)
		return
	}
	base := uint64(pin.ID())
	metas, err := j.metas()
	nf := j.files[1-j.active]
	if err == nil {
		err = nf.writeHeader(base, metas, false)
	}
	if err != nil {
		_ = pin.Rollback()
		j.db.log.Error("journal: checkpoint not started", "err", err)
		return
	}
	j.stats.bytes.Add(uint64(recordsAt(j.db.pageSize)))
	j.active, j.next, j.since = 1-j.active, pin, now
	j.complete(nf, base)
}

// complete syncs the database file and marks the checkpoint at base
// complete in f, in the background; tick collects the outcome.
func (j *journal) complete(f *journalFile, base uint64) {
	done := make(chan error, 1)
	j.done = done
	hold := checkpointHoldForTests.Load()
	stop := j.abandoned
	go func() {
		if hold != nil {
			select {
			case <-*hold:
			case <-stop: // a crash in a test: this checkpoint never happened
				done <- errAbandoned
				return
			}
		}
		err := j.db.bolt.Sync()
		if hook := checkpointSyncedForTests.Load(); err == nil && hook != nil {
			(*hook)(j.db.bolt.Path(), base)
		}
		if err == nil {
			err = f.markComplete(base)
		}
		done <- err
	}()
}

// finished ends a checkpoint: once complete, the state at its base is the
// one recovery starts from, and the older state may be overwritten.
func (j *journal) finished(err error, now time.Time) {
	if err != nil {
		j.db.log.Error("journal: checkpoint failed; the journal keeps every transaction since the last one", "err", err)
		return
	}
	_ = j.pin.Rollback()
	j.pin, j.next, j.since = j.next, nil, now
	j.stats.checkpoints.Add(1)
}

// close ends the journal: it waits for a checkpoint in progress, syncs the
// database file and, if that worked, removes the journal files (the file
// alone now holds everything). Called by the writer after its last commit.
func (j *journal) close() error {
	if j.done != nil {
		<-j.done
		j.done = nil
	}
	j.release()
	// One more commit writes the freelist, so the next open need not
	// rebuild it; then the file holds everything on its own.
	j.db.bolt.NoFreelistSync = false
	err := j.db.bolt.Update(func(*bolt.Tx) error { return nil })
	if err == nil {
		err = j.db.bolt.Sync()
	}
	j.db.bolt.NoSync = j.db.opts.NoSync
	j.stats.on.Store(false)
	j.closeFiles()
	if err != nil {
		return fmt.Errorf("close journal: sync database: %w (the journal stays for recovery)", err)
	}
	return RemoveJournal(j.db.bolt.Path())
}

// abandon lets go of the journal without syncing or removing anything, as
// a crash would (tests). A checkpoint held by checkpointHoldForTests is
// dropped; one already syncing is waited for.
func (j *journal) abandon() {
	close(j.abandoned)
	if j.done != nil {
		<-j.done
		j.done = nil
	}
	j.release()
	j.closeFiles()
}

func (j *journal) release() {
	for _, tx := range []*bolt.Tx{j.pin, j.next} {
		if tx != nil {
			_ = tx.Rollback()
		}
	}
	j.pin, j.next = nil, nil
}

func (j *journal) closeFiles() {
	for _, f := range j.files {
		if f != nil {
			_ = f.f.Close()
		}
	}
	if j.dbFile != nil {
		_ = j.dbFile.Close()
	}
}
