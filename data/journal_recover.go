package data

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrJournalWithoutDatabase is returned by Open when journal files exist
// but the database file they belong to does not.
var ErrJournalWithoutDatabase = errors.New("journal files without their database file")

// recoverJournal brings the database at path to the last transaction its
// journal holds, if the journal files exist (the server that wrote them did
// not close cleanly): it restores the meta pages of the last completed
// checkpoint, replays the records after it, syncs the file and removes the
// journal. It takes the file's lock first (a running server holds it).
func recoverJournal(path string, bo bolt.Options, log *slog.Logger) error {
	var files [2]*os.File
	found := false
	for i, p := range JournalPaths(path) {
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("open journal: %w", err)
		}
		defer f.Close()
		files[i], found = f, true
	}
	if !found {
		return nil
	}
	dbf, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("recover %s: %w (remove them if the database was deleted on purpose)", path, ErrJournalWithoutDatabase)
	}
	if err != nil {
		return fmt.Errorf("recover journal: %w", err)
	}
	handed := false // bbolt owns dbf once Open has it
	defer func() {
		if !handed {
			_ = dbf.Close()
		}
	}()
	if err := lockFile(dbf, bo.Timeout); err != nil {
		return err
	}
	plan, err := planRecovery(files)
	if err != nil {
		return err
	}
	if plan == nil { // no checkpoint was ever completed: nothing depends on the journal
		return RemoveJournal(path)
	}
	if _, err := dbf.WriteAt(plan.metas, 0); err != nil {
		return fmt.Errorf("recover journal: restore meta pages: %w", err)
	}
	if err := fdatasync(dbf); err != nil {
		return fmt.Errorf("recover journal: %w", err)
	}
	// No freelist commit at open (it would take the checkpoint's txid):
	// bbolt rebuilds the freelist by scanning the checkpoint's tree.
	bo.NoSync, bo.ReadOnly, bo.MmapFlags, bo.NoFreelistSync = true, false, 0, true
	// The replay keeps a read transaction open: the mapping must hold the
	// file and what the replay adds without a remap (see journalMapSize).
	if fi, err := dbf.Stat(); err == nil {
		m, _ := journalMapping(0, addressSpaceLimit())
		bo.InitialMmapSize = int(max(m, 2*fi.Size()+1<<30))
	}
	bo.OpenFile = func(string, int, os.FileMode) (*os.File, error) { return dbf, nil }
	handed = true
	b, err := bolt.Open(path, 0o600, &bo)
	if err != nil {
		_ = dbf.Close()
		return fmt.Errorf("recover journal: open %s: %w", path, err)
	}
	n, err := replay(b, files, plan)
	if err == nil { // write the freelist (an empty commit), then sync
		b.NoFreelistSync = false
		err = b.Update(func(*bolt.Tx) error { return nil })
	}
	if err == nil {
		err = b.Sync()
	}
	if cerr := b.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("recover journal: %w", err)
	}
	log.Warn("recovered the database from its journal after an unclean stop",
		"checkpoint", plan.base, "replayed_transactions", n)
	return RemoveJournal(path)
}

// recoveryPlan says where recovery starts: the meta pages of the checkpoint
// at base, kept in file first, whose records come first.
type recoveryPlan struct {
	base  uint64
	metas []byte
	first int
	other *journalHeader // the other file's header (nil if invalid)
}

// planRecovery picks the completed checkpoint with the highest base; nil
// when neither file holds a completed one.
func planRecovery(files [2]*os.File) (*recoveryPlan, error) {
	var hs [2]*journalHeader
	for i, f := range files {
		if f == nil {
			continue
		}
		h, err := readJournalHeader(f)
		if err != nil {
			return nil, err
		}
		hs[i] = h
	}
	var plan *recoveryPlan
	for i, h := range hs {
		if h != nil && h.complete && (plan == nil || h.base > plan.base) {
			plan = &recoveryPlan{base: h.base, metas: h.metas, first: i, other: hs[1-i]}
		}
	}
	return plan, nil
}

// replay applies the journal's records after the plan's checkpoint to b,
// one transaction each, checking that each gets its record's txid. It
// keeps a read transaction at the checkpoint while it runs, so a crash
// during recovery leaves the checkpoint's pages intact for the next try.
func replay(b *bolt.DB, files [2]*os.File, plan *recoveryPlan) (int, error) {
	pin, err := b.Begin(false)
	if err != nil {
		return 0, err
	}
	defer func() { _ = pin.Rollback() }()
	if got := uint64(pin.ID()); got != plan.base {
		return 0, fmt.Errorf("restored meta pages give transaction %d, the checkpoint is %d", got, plan.base)
	}
	n := 0
	apply := func(txid uint64, payload []byte) error {
		writes, err := decodeWrites(payload)
		if err != nil {
			return fmt.Errorf("journal record %d: %w", txid, err)
		}
		err = b.Update(func(tx *bolt.Tx) error {
			if uint64(tx.ID()) != txid {
				return fmt.Errorf("replaying record %d as transaction %d", txid, tx.ID())
			}
			return applyWrites(tx, writes)
		})
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		n++
		return nil
	}
	ps := b.Info().PageSize
	if len(plan.metas) != 2*ps {
		return 0, fmt.Errorf("journal written for page size %d, the file has %d", len(plan.metas)/2, ps)
	}
	next, err := readRecords(files[plan.first], ps, plan.base+1, apply)
	if err != nil {
		return n, err
	}
	// The other file continues the chain if a checkpoint was started at the
	// last record (its header is written before any record goes there).
	if o := plan.other; o != nil && o.base == next-1 && o.base > plan.base {
		if _, err := readRecords(files[1-plan.first], ps, next, apply); err != nil {
			return n, err
		}
	}
	return n, nil
}

// lockFile takes the exclusive lock bbolt takes on the file (the same
// open file description then passes bbolt's own lock), within timeout.
func lockFile(f *os.File, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("open %s: %w (is another luckbox running on it?)", f.Name(), ErrLocked)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
