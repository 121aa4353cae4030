package data

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"
)

// Storage health. A commit the disk refuses (ENOSPC, EIO, ...) fails the
// operations it carried with a storage error: a domain error with code
// EInsufficientStorage (the disk is full) or EUnavailable (any other commit
// failure), which still wraps the cause for errors.Is and the log. Nothing
// of a failed commit is kept or acknowledged, so a retry after the disk
// recovers loses nothing. From the first failed commit until one succeeds
// Ready reports false, and a probe commits an empty transaction every
// Options.ProbeInterval (when the disk was full, only once the file system
// reports probeMinFree available), so readiness comes back by itself even
// when a load balancer has stopped sending requests.

// DefaultProbeInterval is how often a failing database tries a commit.
const DefaultProbeInterval = 5 * time.Second

// probeMinFree is the space a full disk must have regained before a probe
// commits: an empty commit may fit in pages the file already has, so it
// could succeed while real writes still cannot.
const probeMinFree = 1 << 20

type commitHealth struct {
	failing atomic.Bool // the last commit failed and none succeeded since
	noSpace atomic.Bool // the last failure was ENOSPC
	probing atomic.Bool // a probe goroutine runs
}

// storageError is a failed commit: the domain error the client sees and the
// cause the log shows.
type storageError struct {
	domain *Error
	cause  error
}

func (e *storageError) Error() string   { return e.cause.Error() }
func (e *storageError) Unwrap() []error { return []error{e.domain, e.cause} }

// commitError turns a commit failure into a storage error.
func commitError(err error) error {
	d := Errorf(EUnavailable, "storage is unavailable, nothing was saved; retry later")
	if errors.Is(err, syscall.ENOSPC) {
		d = Errorf(EInsufficientStorage, "the server's disk is full, nothing was saved; retry later")
	}
	return &storageError{domain: d, cause: fmt.Errorf("commit: %w", err)}
}

// IsStorageFailure reports whether err is a failed commit (the disk refused
// it): nothing was written, and the same operation may succeed later.
func IsStorageFailure(err error) bool {
	var se *storageError
	return errors.As(err, &se)
}

// commitFailed records a failed commit and returns its storage error.
func (db *DB) commitFailed(err error) error {
	noSpace := errors.Is(err, syscall.ENOSPC)
	db.health.noSpace.Store(noSpace)
	if !db.health.failing.Swap(true) {
		db.log.Error("storage: commit failed; not ready until a commit succeeds", "err", err, "disk_full", noSpace)
	}
	db.startProbe()
	return commitError(err)
}

// commitSucceeded records a durable commit.
func (db *DB) commitSucceeded() {
	if db.health.failing.Load() && db.health.failing.Swap(false) {
		db.log.Info("storage: commits succeed again; ready")
	}
}

// CommitsFailing reports whether the last commit failed and none has
// succeeded since.
func (db *DB) CommitsFailing() bool { return db.health.failing.Load() }

// startProbe starts the probe goroutine unless it runs.
func (db *DB) startProbe() {
	if db.writer == nil || !db.health.probing.CompareAndSwap(false, true) {
		return
	}
	go db.probe()
}

// probe commits an empty transaction every ProbeInterval while commits fail.
func (db *DB) probe() {
	t := time.NewTicker(db.opts.ProbeInterval)
	defer t.Stop()
	for db.health.failing.Load() {
		select {
		case <-db.done:
			db.health.probing.Store(false)
			return
		case <-t.C:
		}
		if db.health.noSpace.Load() && freeSpace(db.bolt.Path()) < probeMinFree {
			continue
		}
		_ = db.Update(context.Background(), func(Tx) error { return nil })
	}
	db.health.probing.Store(false)
	if db.health.failing.Load() { // failed again between the check and the store
		db.startProbe()
	}
}

// freeSpace is the space available to this process on the file system of
// path (the maximum if it cannot tell, so a probe is not held back).
func freeSpace(path string) uint64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(path), &st); err != nil {
		return ^uint64(0)
	}
	return st.Bavail * uint64(st.Bsize)
}
