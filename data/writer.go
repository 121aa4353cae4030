package data

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Op is one domain operation: it reads state, decides and writes, all inside
// the write transaction it is given.
//
// A business rejection ("sold out", "already joined") is a value: the Op
// returns a domain error (*Error, any code but EInternal, possibly wrapped).
// The writer ends that operation there, keeps the shared transaction going
// for the others in the batch, and hands the rejection to the operation's
// caller once the batch has committed. An Op must reject before it writes
// anything (check, then write): the writer verifies it and turns a rejection
// that follows a write into a failure of the operation.
//
// Any other error is a storage or programming failure: it aborts the shared
// transaction, and the writer then runs the batch's operations again one at a
// time. So an Op may run more than once: it must assign its results, not
// accumulate them, and it must have no effects outside the transaction (use
// the outbox). An Op must never call DB.Update itself: the writer runs it, so
// that would deadlock.
type Op func(tx Tx) error

// ErrClosed is returned for operations submitted after Close.
var ErrClosed = errors.New("database is closed")

// WriterStats are cumulative counters of the group-commit writer.
type WriterStats struct {
	Batches    uint64        // committed transactions
	Ops        uint64        // operations answered
	Retries    uint64        // batches that failed and were retried one by one
	CommitTime time.Duration // total time spent in transactions, commit included
	// OpTime, JournalTime and FileTime split the transactions' time into
	// its three phases: running the operations, appending and syncing the
	// journal record (0 without a journal), and committing to the data
	// file (with its fsync when there is no journal). What is left of
	// CommitTime is the rest (beginning the transaction, the write set,
	// a replicated store's commit).
	OpTime, JournalTime, FileTime time.Duration
	QueueDepth                    int // operations waiting now
	// PagesWritten and BytesWritten count what the committed transactions
	// wrote to the file: every dirty B+tree page (leaves, branches, the
	// freelist when it is synced) and the meta page. BytesWritten / Ops is
	// the storage cost of one operation (fsync is per batch on top).
	PagesWritten, BytesWritten uint64
	// Journaled says commits go through the journal (journal.go): then the
	// pages above go to the page cache unsynced, and what each commit makes
	// durable is its journal record (JournalBytes); a checkpoint writes each
	// page dirtied since the last one once.
	Journaled                 bool
	JournalBytes, Checkpoints uint64
}

type request struct {
	op     Op
	done   chan error
	result error // the operation's rejection in the current attempt, or nil
}

// writer is the group-commit writer: one goroutine takes every queued
// operation, runs them one after another inside one bbolt write transaction,
// commits once (one fsync for the batch) and then answers every caller.
type writer struct {
	db      *DB
	max     int
	mu      sync.RWMutex // guards closing the queue against concurrent sends
	closing bool
	queue   chan *request
	stopped chan struct{}

	batches, ops, retries, commitNanos atomic.Uint64
	opNanos, journalNanos, fileNanos   atomic.Uint64 // the phases of commitNanos (WriterStats)
	pages, bytes                       atomic.Uint64
	capture                            *capture // the write set (with a Replicator or a journal)
	journal                            *journal // nil: commits sync the file
	jstats                             journalCounters
	// abandon (tests) makes the loop's end let go of the journal as a
	// crash would, instead of syncing and removing it.
	abandon bool
}

// SlowCommitForTests, when set (by the crash test's server process, before
// Open), sleeps inside every write transaction after its operations ran and
// before it commits: a slow disk. It widens the window in which a writer that
// answered before committing would lose acknowledged work to a kill, so the
// crash test catches such a writer (with a fast disk the window is a few
// microseconds and a kill at a random moment almost never lands in it).
var SlowCommitForTests time.Duration

// errRecheckAlone rolls back a batch with a rejection under
// Options.StrictRejections, so its operations run again one at a time.
var errRecheckAlone = errors.New("strict rejections: run the batch one by one")

// testHookBatch, when set by a test, runs at the end of every multi-operation
// batch transaction; an error it returns aborts the batch like a storage failure.
var testHookBatch func(n int) error

func newWriter(db *DB, max int, journaled bool) (*writer, error) {
	w := &writer{db: db, max: max, queue: make(chan *request, 8192), stopped: make(chan struct{}), capture: newCapture()}
	if journaled {
		j, err := startJournal(db, &w.jstats)
		if err != nil {
			return nil, err
		}
		w.journal = j
	}
	go w.loop()
	return w, nil
}

// Update submits op to the group-commit writer and waits until the
// transaction that ran it has committed durably (or failed). Once op is queued
// the call waits for its outcome even if ctx ends, so a caller never mistakes
// a committed operation for a failed one.
func (db *DB) Update(ctx context.Context, op Op) error {
	if db.writer == nil {
		return fmt.Errorf("update: %w (read-only)", ErrClosed)
	}
	return db.writer.submit(ctx, op)
}

// requests recycles requests and their channels: once the writer has
// answered one (its last use of it), the caller that received the answer
// puts it back.
var requests = sync.Pool{New: func() any { return &request{done: make(chan error, 1)} }}

func (w *writer) submit(ctx context.Context, op Op) error {
	r := requests.Get().(*request)
	r.op = op
	defer func() {
		r.op, r.result = nil, nil
		requests.Put(r)
	}()
	w.mu.RLock()
	if w.closing {
		w.mu.RUnlock()
		return ErrClosed
	}
	select {
	case w.queue <- r:
	case <-ctx.Done():
		w.mu.RUnlock()
		return fmt.Errorf("queue write: %w", ctx.Err())
	}
	w.mu.RUnlock()
	return <-r.done
}

// close stops accepting operations, lets the loop drain the queue and waits.
func (w *writer) close() {
	w.mu.Lock()
	w.closing = true
	close(w.queue)
	w.mu.Unlock()
	<-w.stopped
}

func (w *writer) loop() {
	defer close(w.stopped)
	defer w.endJournal()
	var tick <-chan time.Time // a journal's checkpoints when idle
	if w.journal != nil {
		t := time.NewTicker(w.journal.every / 4)
		defer t.Stop()
		tick = t.C
	}
	batch := make([]*request, 0, w.max)
	for {
		var first *request
		select {
		case r, ok := <-w.queue:
			if !ok {
				return
			}
			first = r
		case now := <-tick:
			if w.journal != nil {
				w.journal.tick(now)
			}
			continue
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < w.max {
			select {
			case r, ok := <-w.queue:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		w.run(batch)
		clear(batch)
		if w.journal != nil {
			w.journal.tick(time.Now())
		}
	}
}

// endJournal closes the journal after the last commit (see journal.close).
func (w *writer) endJournal() {
	j := w.journal
	if j == nil {
		return
	}
	w.journal = nil
	if w.abandon {
		j.abandon()
		return
	}
	if err := j.close(); err != nil {
		w.db.log.Error("journal not closed cleanly", "err", err)
	}
}

// run commits a batch in one transaction. If that fails, each operation runs
// again in a transaction of its own, so one failing operation cannot fail its
// neighbours; every caller gets the outcome of its own operation.
func (w *writer) run(batch []*request) {
	if gate := w.db.opts.CanWrite; gate != nil {
		if err := gate(); err != nil {
			for _, r := range batch {
				r.answer(err)
			}
			return
		}
	}
	start := time.Now()
	err := w.txn(func(tx *boltTx) error {
		rejected := false
		for _, r := range batch {
			if err := r.attempt(tx); err != nil {
				return err
			}
			rejected = rejected || r.result != nil
		}
		if rejected && len(batch) > 1 && w.db.opts.StrictRejections {
			return errRecheckAlone
		}
		if testHookBatch != nil && len(batch) > 1 {
			return testHookBatch(len(batch))
		}
		if SlowCommitForTests > 0 {
			time.Sleep(SlowCommitForTests)
		}
		return nil
	})
	replicated := false // the replicator refused the batch: no retry one by one
	if rep := (*replicationError)(nil); errors.As(err, &rep) {
		if errors.Is(rep.err, ErrWriteSetTooLarge) && len(batch) > 1 {
			// Too much for one replicated transaction: commit it in halves.
			w.commitNanos.Add(uint64(time.Since(start)))
			h := len(batch) / 2
			w.run(batch[:h])
			w.run(batch[h:])
			return
		}
		err, replicated = w.replicationFailed(rep, len(batch)), true
	}
	if err == nil || len(batch) == 1 || replicated {
		w.record(start, len(batch))
		for _, r := range batch {
			r.answer(err)
		}
		return
	}
	// The aborted batch committed nothing and answered no one: count its time
	// only, so Batches, Ops and OnCommit see each operation once (in its retry).
	w.commitNanos.Add(uint64(time.Since(start)))
	if !errors.Is(err, errRecheckAlone) {
		w.retries.Add(1)
	}
	for _, r := range batch {
		start := time.Now()
		err := w.txn(r.attempt)
		w.record(start, 1) // before answering: a caller may read the stats next
		r.answer(err)
	}
}

// txn runs fn in a write transaction and commits it, counting the pages
// and bytes the commit wrote (tx.Stats: the pages allocated for the dirty
// nodes and the freelist, plus the meta page). An error of fn is returned as
// is; a transaction the storage cannot begin or commit returns a storage
// error (health.go) and marks the database not ready. With a Replicator,
// the transaction's write set goes to it before the local commit (a
// *replicationError if it fails).
func (w *writer) txn(fn func(tx *boltTx) error) error {
	tx, err := w.db.bolt.Begin(true)
	if err != nil {
		return w.db.commitFailed(err)
	}
	defer func() { _ = tx.Rollback() }() // after a commit: a no-op (ErrTxClosed)
	rep := w.db.opts.Replicator
	j := w.journal
	var c *capture
	if rep != nil || j != nil {
		c = w.capture
		c.reset()
	}
	t := wrapTx(tx, c)
	defer t.release()
	ran := time.Now()
	err = fn(t)
	w.opNanos.Add(uint64(time.Since(ran)))
	if err != nil {
		return err
	}
	// A refusing disk (simulated) fails the batch before anything is sent
	// to a replicated store: nothing saved anywhere.
	if fail := w.db.opts.FailCommitForTests; fail != nil {
		if err := fail(); err != nil {
			return w.db.commitFailed(err)
		}
	}
	// Replicated: etcd first. Should the local commit then fail, the batch
	// is in etcd and reaches this file through the watch; its callers get
	// the storage error (503/507) although it was saved, as after a timeout.
	if rep != nil && len(c.ws.Writes) > 0 {
		c.ws.Base = replicaRevision(tx)
		rev, err := rep.Commit(context.Background(), &c.ws)
		if err != nil {
			return &replicationError{err: err}
		}
		if err := putReplicaRevision(tx, rev); err != nil {
			return err
		}
	}
	if h := w.db.opts.BeforeCommit; h != nil {
		h(t)
	}
	tx.OnCommit(func() {
		st := tx.Stats()
		w.pages.Add(uint64(st.GetPageCount()) + 1)
		w.bytes.Add(uint64(st.GetPageAlloc()) + uint64(w.db.pageSize))
	})
	if j != nil {
		return w.commitJournaled(tx, c)
	}
	committing := time.Now()
	err = tx.Commit()
	w.fileNanos.Add(uint64(time.Since(committing)))
	if err != nil {
		return w.db.commitFailed(err)
	}
	w.db.commitSucceeded()
	return nil
}

// commitJournaled makes tx durable in the journal, then commits it to the
// file without a sync (journal.go). Its commit hooks run after both.
func (w *writer) commitJournaled(tx *bolt.Tx, c *capture) error {
	j := w.journal
	txid := uint64(tx.ID())
	if txid != j.last+1 {
		// A transaction committed around the writer (UpdateLocal, a test
		// tampering with the file): the journal cannot replay it, so the
		// file becomes the journal's base at once.
		if err := j.rebase(); err != nil {
			return w.db.commitFailed(err)
		}
	}
	size := tx.Size()
	recording := time.Now()
	n, err := j.record(txid, c.ws.Writes)
	committing := time.Now()
	w.journalNanos.Add(uint64(committing.Sub(recording)))
	if err != nil {
		return w.db.commitFailed(err)
	}
	err = tx.Commit()
	w.fileNanos.Add(uint64(time.Since(committing)))
	if err != nil {
		j.unrecord(n)
		return w.db.commitFailed(err)
	}
	w.db.commitSucceeded()
	if !j.committed(txid, size) {
		w.db.log.Warn("database file outgrew the journal's mapping: commits sync the file from now on", "size", size)
		w.endJournal()
	}
	return nil
}

func (w *writer) record(start time.Time, n int) {
	d := time.Since(start)
	w.batches.Add(1)
	w.ops.Add(uint64(n))
	w.commitNanos.Add(uint64(d))
	if h := w.db.opts.OnCommit; h != nil {
		h(n, d)
	}
}

// attempt runs the request's operation in tx. A rejection is kept as the
// request's result and ends the operation without failing tx, unless the
// operation wrote before rejecting: that breaks the rule "reject before
// writing" (its writes would commit with the batch), so it fails tx instead.
// The transaction counts every write call, so the check is exact, in a batch
// as alone. Any other error fails tx.
func (r *request) attempt(tx *boltTx) error {
	r.result = nil
	before := tx.writes
	err := runOp(r.op, tx)
	if err == nil || !IsRejection(err) {
		return err
	}
	if tx.writes != before {
		return fmt.Errorf("operation wrote before rejecting (%v): reject before writing", err)
	}
	r.result = err
	return nil
}

// answer tells the caller the outcome: the transaction's failure, else the
// operation's rejection, else nil (committed).
func (r *request) answer(txErr error) {
	if txErr != nil {
		r.done <- txErr
		return
	}
	r.done <- r.result
}

// runOp runs one operation, turning a panic into an error so that a bug in one
// operation fails that operation rather than the server.
func runOp(op Op, tx Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("operation panicked: %v", p)
		}
	}()
	return op(tx)
}

// WriterStats returns the writer's counters.
func (db *DB) WriterStats() WriterStats {
	w := db.writer
	if w == nil {
		return WriterStats{}
	}
	return WriterStats{
		Batches:     w.batches.Load(),
		Ops:         w.ops.Load(),
		Retries:     w.retries.Load(),
		CommitTime:  time.Duration(w.commitNanos.Load()),
		OpTime:      time.Duration(w.opNanos.Load()),
		JournalTime: time.Duration(w.journalNanos.Load()),
		FileTime:    time.Duration(w.fileNanos.Load()),
		QueueDepth:  len(w.queue),

		PagesWritten: w.pages.Load(),
		BytesWritten: w.bytes.Load(),

		Journaled:    w.jstats.on.Load(),
		JournalBytes: w.jstats.bytes.Load(),
		Checkpoints:  w.jstats.checkpoints.Load(),
	}
}

// replicationFailed logs a batch the Replicator refused and returns what
// its callers get: too_large for an operation too large alone, else the
// replicator's domain error or unavailable (503). Nothing was committed.
func (w *writer) replicationFailed(rep *replicationError, n int) error {
	if errors.Is(rep.err, ErrWriteSetTooLarge) {
		w.db.log.Warn("operation too large to replicate", "err", rep.err)
		return fmt.Errorf("%w (%v)", errTooLargeOp, rep.err)
	}
	w.db.log.Warn("replication failed: batch not committed", "ops", n, "err", rep.err)
	return rep.answer()
}
