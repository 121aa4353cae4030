package data

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the version of the database layout this binary writes.
// Open migrates older files (see migrate.go) and refuses newer ones.
//
//	1  the first layout
//	2  packets: a user's wallet, received and sent packets together in
//	   "accounts", the ledger one append-only log, a packet's grabs chained
//	   through its grabbers' records; lotteries: one member index per user
const SchemaVersion = 2

var bucketMeta = []byte("meta")

// Options tune Open. The zero value is what the server uses in production.
type Options struct {
	// LockTimeout bounds the wait for the file lock held by another process
	// (default 1 s): a second server on the same file fails fast.
	LockTimeout time.Duration
	// NoSync skips fsync on commit. Only for throwaway data (benchmarks of
	// everything but durability); never in production.
	NoSync bool
	// NoJournal turns off the journal (journal.go): every commit then syncs
	// the file itself (bbolt's two syncs). The journal is also off with
	// NoSync, ReadOnly or a Replicator.
	NoJournal bool
	// CheckpointInterval and CheckpointBytes say when the journal syncs the
	// file (defaults DefaultCheckpointInterval, DefaultCheckpointBytes).
	CheckpointInterval time.Duration
	CheckpointBytes    int64
	// NoPopulate disables MAP_POPULATE (pre-faulting the whole file at open).
	NoPopulate bool
	// MaxBatch caps the operations in one group commit (default 2048).
	MaxBatch int
	// IdempotencyKeys caps the Idempotency-Key records one caller has stored
	// (default DefaultIdempotencyKeys); past it the oldest are forgotten.
	IdempotencyKeys int
	// Buckets are created at Open if missing. Domain packages list theirs.
	Buckets [][]byte
	// Migrations bring a file of an older schema to SchemaVersion at Open
	// (read-write only). Domain packages list theirs; see Migration.
	Migrations []Migration
	// MigrationBatch is how many records one step of a migration converts,
	// in one write transaction (default DefaultMigrationBatch).
	MigrationBatch int
	// Logger receives storage warnings; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock for the scheduler and outbox; nil means time.Now.
	Now func() time.Time
	// ReadOnly opens the file read-only (audit, backup of a stopped server).
	ReadOnly bool
	// OnCommit, if set, is called after every writer transaction with the
	// number of operations it ran and how long it took (for metrics).
	OnCommit func(ops int, d time.Duration)
	// StrictRejections (tests) rolls back a batch in which an operation
	// rejected and runs its operations again one at a time, so every
	// rejection is also seen alone. (The "reject before writing" check
	// itself is exact either way: the transaction counts writes.)
	// datatest.Open sets it.
	StrictRejections bool
	// ProbeInterval is how often a database whose commits fail tries an
	// empty commit to become ready again (default DefaultProbeInterval).
	ProbeInterval time.Duration
	// FailCommitForTests, when set, runs before every commit of the writer;
	// an error it returns fails that commit as a refusing disk would (wrap
	// syscall.ENOSPC for a full disk). Tests only.
	FailCommitForTests func() error
	// OnDeliver, if set, is called after every outbox delivery attempt with
	// the message kind and the handler's error (nil on success), for metrics.
	OnDeliver func(kind string, err error)
	// BeforeCommit, if set (tests and measurements), is called in every
	// writer transaction that is about to commit, after its operations ran:
	// it may inspect tx (e.g. count the pages each bucket dirtied, through
	// Unwrap) but must not write.
	BeforeCommit func(tx Tx)
	// Replicator, if set, receives every batch's write set before the local
	// commit (see Replicator): the database is one node's copy of a
	// replicated store (data/etcdstore).
	Replicator Replicator
	// CanWrite, if set, is asked before every batch: an error (ErrNotWriter)
	// answers the batch's operations without running them. A node that is
	// not its cluster's writer refuses local writes this way.
	CanWrite func() error
}

// DB is an open luckbox database.
type DB struct {
	bolt   *bolt.DB
	opts   Options
	log    *slog.Logger
	now    func() time.Time
	writer *writer
	closed atomic.Bool
	done   chan struct{} // closed by Close: background goroutines stop
	health commitHealth  // whether commits fail (health.go)
	// pageSize is the file's page size (the unit of every write).
	pageSize int
	// mapSize is the mapping the journal opened the file with (journal.go).
	mapSize int64

	schedWake  chan struct{}
	outboxWake chan struct{}

	counts eventCounts // named after-commit counters (stats.go)
	// activity holds the same counters per minute (activity.go).
	activity activity
}

// populateMax is the largest file Open pre-faults with MAP_POPULATE. Past
// it the pages are faulted in as they are used: pre-faulting a 2.5 GB file
// (a million users, entries and grabs) took 96 ms of a 120 ms start from the
// page cache (seconds from a cold disk), and made the whole file resident at
// once, where the server only touches its hot pages.
const populateMax = 64 << 20

// populateFile reports whether the file at path is small enough to pre-fault
// (a file that does not exist yet is).
func populateFile(path string) bool {
	fi, err := os.Stat(path)
	return err != nil || fi.Size() <= populateMax
}

// ErrLocked is returned by Open when another process holds the file.
var ErrLocked = errors.New("database file is in use by another process")

// ErrNewerSchema is returned by Open for a file written by a newer binary.
var ErrNewerSchema = errors.New("database was written by a newer luckbox")

// Open opens (creating if needed) the database at path, creates the buckets
// named in opts, records or checks the schema version and starts the writer.
func Open(path string, opts Options) (*DB, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 2048
	}
	if opts.ProbeInterval <= 0 {
		opts.ProbeInterval = DefaultProbeInterval
	}
	if opts.IdempotencyKeys <= 0 {
		opts.IdempotencyKeys = DefaultIdempotencyKeys
	}
	if opts.MigrationBatch <= 0 {
		opts.MigrationBatch = DefaultMigrationBatch
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	journaled := !opts.NoJournal && !opts.NoSync && !opts.ReadOnly && opts.Replicator == nil
	bo := &bolt.Options{
		Timeout:         opts.LockTimeout,
		FreelistType:    bolt.FreelistMapType,
		NoSync:          opts.NoSync,
		ReadOnly:        opts.ReadOnly,
		InitialMmapSize: 1 << 30, // virtual only; avoids remaps that stall readers
	}
	var mapSize int64
	if journaled {
		var size int64
		if fi, err := os.Stat(path); err == nil {
			size = fi.Size()
		}
		var ok bool
		if mapSize, ok = journalMapping(size, addressSpaceLimit()); ok {
			bo.InitialMmapSize = int(mapSize)
		} else {
			journaled = false
			opts.Logger.Warn("journal off: not enough address space to map the file for it (raise ulimit -v); every commit syncs the file",
				"file_bytes", size, "mapping", mapSize)
		}
	}
	// A journal left by a server that did not close cleanly is replayed
	// first, whoever opens the file (a read-only open too: the file alone
	// may not hold the acknowledged transactions after a power loss).
	if err := recoverJournal(path, *bo, opts.Logger); err != nil {
		return nil, err
	}
	if !opts.NoPopulate && populateFile(path) {
		bo.MmapFlags = syscall.MAP_POPULATE
	}
	b, err := bolt.Open(path, 0o600, bo)
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("open %s: %w (is another luckbox running on it?)", path, ErrLocked)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{bolt: b, opts: opts, log: opts.Logger, now: opts.Now, done: make(chan struct{}), pageSize: b.Info().PageSize, mapSize: mapSize,
		schedWake: make(chan struct{}, 1), outboxWake: make(chan struct{}, 1)}
	if !opts.ReadOnly {
		if err := db.init(); err != nil {
			b.Close()
			return nil, err
		}
		if db.writer, err = newWriter(db, opts.MaxBatch, journaled); err != nil {
			b.Close()
			return nil, err
		}
	} else if err := db.checkSchema(); err != nil {
		b.Close()
		return nil, err
	}
	return db, nil
}

// init creates the buckets, stamps a new file with the schema version and
// migrates an older file (then creates the buckets again: a migration may
// have removed one the old layout shared with the new).
func (db *DB) init() error {
	var v int
	ready := false // every bucket there and the version stamped: nothing to commit
	err := viewBolt(db.bolt, func(tx Tx) error {
		ready = db.hasBuckets(tx) && schemaVersion(tx) > 0
		v = schemaVersion(tx)
		if v > currentSchema {
			return fmt.Errorf("%w: file schema %d, this binary knows up to %d", ErrNewerSchema, v, currentSchema)
		}
		return nil
	})
	if err == nil && !ready {
		// Not committing an empty transaction matters: a migration resumes
		// only if no transaction committed since its last step.
		err = updateBolt(db.bolt, func(tx Tx) error {
			if err := db.createBuckets(tx); err != nil {
				return err
			}
			var err error
			v, err = stampNew(tx)
			return err
		})
	}
	if err == nil && v < currentSchema {
		if err = db.migrate(v, db.opts.Migrations); err == nil {
			err = updateBolt(db.bolt, db.createBuckets)
		}
	}
	if err != nil {
		return fmt.Errorf("initialize database: %w", err)
	}
	return nil
}

func (db *DB) allBuckets() [][]byte {
	return append([][]byte{bucketMeta, bucketDue, bucketOutbox, bucketOutboxDead, bucketIdem, bucketIdemOrder}, db.opts.Buckets...)
}

func (db *DB) hasBuckets(tx Tx) bool {
	for _, name := range db.allBuckets() {
		if tx.Bucket(name) == nil {
			return false
		}
	}
	return true
}

func (db *DB) createBuckets(tx Tx) error {
	for _, name := range db.allBuckets() {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) checkSchema() error {
	return viewBolt(db.bolt, func(tx Tx) error {
		v := schemaVersion(tx)
		if v > currentSchema {
			return fmt.Errorf("%w: file schema %d, this binary knows up to %d", ErrNewerSchema, v, currentSchema)
		}
		return nil
	})
}

// Close drains the writer (every queued operation commits and is answered),
// then closes the file.
func (db *DB) Close() error {
	if !db.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(db.done)
	if db.writer != nil {
		db.writer.close()
	}
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// View runs fn in a read-only transaction: a consistent view of committed
// state. Values read are valid only inside fn.
func (db *DB) View(fn func(tx Tx) error) error { return viewBolt(db.bolt, fn) }

// Replicated reports whether the database is one node's copy of a
// replicated store (Options.Replicator): then other nodes' writes reach it
// too (ApplyRemote), not only this process's operations.
func (db *DB) Replicated() bool { return db.opts.Replicator != nil }

// Bolt exposes the underlying bbolt handle for tests and tools.
func (db *DB) Bolt() *bolt.DB { return db.bolt }

// Path is the database file's path.
func (db *DB) Path() string { return db.bolt.Path() }

// Now returns the database's clock reading.
func (db *DB) Now() time.Time { return db.now() }

// Size returns the database file size in bytes.
func (db *DB) Size() int64 {
	fi, err := os.Stat(db.bolt.Path())
	if err != nil {
		return 0
	}
	return fi.Size()
}

// Ready reports whether the database is open and accepting writes: not
// closed, and its last commit did not fail (health.go).
func (db *DB) Ready() bool { return !db.closed.Load() && !db.health.failing.Load() }
