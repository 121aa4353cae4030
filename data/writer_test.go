package data

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestWriterCounterConcurrent hammers one counter key with read-modify-write
// operations from many goroutines: no update may be lost and the writer must
// group operations into fewer transactions than operations.
func TestWriterCounterConcurrent(t *testing.T) {
	const n, m = 64, 200
	db := openTest(t, Options{})
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range m {
				err := db.Update(context.Background(), func(tx Tx) error {
					b := tx.Bucket(testBucket)
					return b.Put([]byte("counter"), U64(ParseU64(b.Get([]byte("counter")))+1))
				})
				if err != nil {
					failed.Add(1)
					t.Errorf("Update: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f != 0 {
		t.Fatalf("%d updates failed", f)
	}
	if got := ParseU64(get(t, db, "counter")); got != n*m {
		t.Fatalf("counter = %d, want %d", got, n*m)
	}
	st := db.WriterStats()
	if st.Ops != n*m {
		t.Errorf("Ops = %d, want %d", st.Ops, n*m)
	}
	if st.Batches >= st.Ops || st.Batches == 0 {
		t.Errorf("Batches = %d for %d ops: the writer did not group operations", st.Batches, st.Ops)
	}
	if st.Retries != 0 {
		t.Errorf("Retries = %d, want 0", st.Retries)
	}
	if st.QueueDepth != 0 {
		t.Errorf("QueueDepth = %d after all answers, want 0", st.QueueDepth)
	}
	if st.CommitTime <= 0 {
		t.Errorf("CommitTime = %v, want > 0", st.CommitTime)
	}
	t.Logf("%d ops in %d batches", st.Ops, st.Batches)
}

// TestWriterRejectionLeavesNoTrace runs ten "take one of three" operations in
// one batch: three take, seven return a rejection (a domain error); the
// rejections reach their callers, write nothing and do not disturb their
// neighbours, and the batch commits once without a retry.
func TestWriterRejectionLeavesNoTrace(t *testing.T) {
	var sizes batchSizes
	db := openTest(t, Options{OnCommit: sizes.onCommit})
	if err := db.Update(context.Background(), put("stock", "\x03")); err != nil {
		t.Fatal(err)
	}
	release := holdWriter(t, db)
	const k = 10
	ops := make([]Op, k)
	for i := range k {
		ops[i] = func(tx Tx) error {
			b := tx.Bucket(testBucket)
			if b.Get([]byte("stock"))[0] == 0 {
				return Errorf(EExhausted, "sold out") // decided before writing anything
			}
			stock := b.Get([]byte("stock"))[0]
			if err := b.Put([]byte("stock"), []byte{stock - 1}); err != nil {
				return err
			}
			return b.Put([]byte(fmt.Sprintf("claim-%d", i)), []byte("x"))
		}
	}
	res := submitQueued(t, db, ops...)
	release()
	// Queued in order, so the first three take and the rest reject.
	for i, c := range res {
		err := result(t, c)
		claimed := get(t, db, fmt.Sprintf("claim-%d", i)) != nil
		wantReject := i >= 3
		if (ErrorCode(err) == EExhausted) != wantReject || (err != nil && !wantReject) || claimed == wantReject {
			t.Errorf("op %d: err %v, claimed=%v, want rejected=%v", i, err, claimed, wantReject)
		}
	}
	if got := get(t, db, "stock"); len(got) != 1 || got[0] != 0 {
		t.Errorf("stock = %v, want [0]", got)
	}
	if got := sizes.get(); fmt.Sprint(got) != "[1 1 10]" {
		t.Errorf("batch sizes = %v, want [1 1 10] (setup, gate, all ten together)", got)
	}
	if st := db.WriterStats(); st.Retries != 0 {
		t.Errorf("Retries = %d, want 0", st.Retries)
	}
}

// TestWriterRejectAfterWriteFails: an operation that writes and then rejects
// breaks "reject before writing" (its write would commit with the batch): the
// writer fails it instead, its write is gone, and its neighbours commit.
func TestWriterRejectAfterWriteFails(t *testing.T) {
	// The transaction counts writes, so the check is exact in a batch too:
	// with StrictRejections (the batch rolled back and rerun one by one) and
	// without (the write lands on the page "a" already dirtied).
	for _, strict := range []bool{true, false} {
		t.Run(fmt.Sprintf("strict=%v", strict), func(t *testing.T) {
			db := openTest(t, Options{StrictRejections: strict})
			release := holdWriter(t, db)
			bad := func(tx Tx) error {
				if err := tx.Bucket(testBucket).Put([]byte("half"), []byte("x")); err != nil {
					return err
				}
				return Errorf(EConflict, "changed my mind")
			}
			res := submitQueued(t, db, put("a", "1"), bad, put("b", "2"))
			release()
			for i, c := range res {
				err := result(t, c)
				if i == 1 {
					if err == nil || IsRejection(err) || !strings.Contains(err.Error(), "reject before writing") {
						t.Errorf("write-then-reject: %v, want a failure naming the rule", err)
					}
				} else if err != nil {
					t.Errorf("op %d: %v", i, err)
				}
			}
			if get(t, db, "half") != nil || string(get(t, db, "a")) != "1" || string(get(t, db, "b")) != "2" {
				t.Errorf("after the batch: half=%q a=%q b=%q", get(t, db, "half"), get(t, db, "a"), get(t, db, "b"))
			}
		})
	}
}

// TestWriterFailingOpFailsAlone puts an operation returning an error and one
// that panics in the same batch as eight good ones: the batch is retried one
// by one, the good ones commit with single (assigned) results, the bad ones
// fail alone and leave nothing behind.
func TestWriterFailingOpFailsAlone(t *testing.T) {
	var sizes batchSizes
	db := openTest(t, Options{OnCommit: sizes.onCommit})
	release := holdWriter(t, db)

	errBoom := errors.New("boom")
	const good = 8
	var runs [good + 2]atomic.Int32
	seqs := make([]uint64, good)
	var ops []Op
	for i := range good {
		ops = append(ops, func(tx Tx) error {
			runs[i].Add(1)
			b := tx.Bucket(testBucket)
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			seqs[i] = seq // assign, never accumulate: the op may run twice
			return b.Put(U64(seq), []byte(fmt.Sprintf("good-%d", i)))
		})
	}
	ops = append(ops,
		func(tx Tx) error {
			runs[good].Add(1)
			if err := tx.Bucket(testBucket).Put([]byte("bad-error"), []byte("x")); err != nil {
				return err
			}
			return errBoom
		},
		func(tx Tx) error {
			runs[good+1].Add(1)
			if err := tx.Bucket(testBucket).Put([]byte("bad-panic"), []byte("x")); err != nil {
				return err
			}
			var m map[string]int
			m["nil map"] = 1
			return nil
		})
	res := submitQueued(t, db, ops...)
	release()

	for i := range good {
		if err := result(t, res[i]); err != nil {
			t.Errorf("good op %d: %v", i, err)
		}
	}
	if err := result(t, res[good]); !errors.Is(err, errBoom) {
		t.Errorf("erroring op: err = %v, want %v", err, errBoom)
	}
	if err := result(t, res[good+1]); err == nil || !strings.Contains(err.Error(), "operation panicked") {
		t.Errorf("panicking op: err = %v, want an 'operation panicked' error", err)
	}

	// The good ops and the erroring op ran in the shared batch and once more
	// alone; the batch stopped at the erroring op, so the panicking op ran
	// only alone.
	for i := range good + 1 {
		if n := runs[i].Load(); n != 2 {
			t.Errorf("op %d ran %d times, want 2 (shared batch + retry)", i, n)
		}
	}
	if n := runs[good+1].Load(); n != 1 {
		t.Errorf("panicking op ran %d times, want 1", n)
	}

	for _, k := range []string{"bad-error", "bad-panic"} {
		if v := get(t, db, k); v != nil {
			t.Errorf("failed op left %s = %q", k, v)
		}
	}
	seen := map[uint64]bool{}
	for i, seq := range seqs {
		if seen[seq] {
			t.Errorf("sequence %d reported twice", seq)
		}
		seen[seq] = true
		if v := string(get(t, db, string(U64(seq)))); v != fmt.Sprintf("good-%d", i) {
			t.Errorf("op %d reported sequence %d holding %q", i, seq, v)
		}
	}
	var keys int
	_ = db.View(func(tx Tx) error { keys = KeyCount(tx.Bucket(testBucket)); return nil })
	if keys != good {
		t.Errorf("test bucket holds %d keys, want %d", keys, good)
	}

	st := db.WriterStats()
	if st.Retries != 1 {
		t.Errorf("Retries = %d, want 1", st.Retries)
	}
	if st.Ops != good+3 { // gate + 10, each answered once
		t.Errorf("Ops = %d, want %d (each operation counted once)", st.Ops, good+3)
	}
	// The aborted batch is no commit: the gate, then ten single transactions.
	if got := sizes.get(); fmt.Sprint(got) != "[1 1 1 1 1 1 1 1 1 1 1]" {
		t.Errorf("OnCommit sizes = %v, want eleven 1s", got)
	}
}

// TestWriterStorageFailureRetriesOneByOne simulates a storage failure of
// every multi-operation transaction: each operation is retried alone and
// commits.
func TestWriterStorageFailureRetriesOneByOne(t *testing.T) {
	var hookSizes []int // written by the writer goroutine, read after Close
	errDisk := errors.New("simulated disk failure")
	testHookBatch = func(n int) error {
		hookSizes = append(hookSizes, n)
		return errDisk
	}
	path := t.TempDir() + "/test.db"
	db, err := Open(path, Options{Buckets: [][]byte{testBucket}})
	if err != nil {
		testHookBatch = nil
		t.Fatal(err)
	}
	release := holdWriter(t, db)
	const k = 20
	ops := make([]Op, k)
	for i := range ops {
		ops[i] = put(fmt.Sprintf("k%02d", i), fmt.Sprintf("v%02d", i))
	}
	res := submitQueued(t, db, ops...)
	release()
	for i, c := range res {
		if err := result(t, c); err != nil {
			t.Errorf("op %d: %v", i, err)
		}
	}
	st := db.WriterStats()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	testHookBatch = nil

	if fmt.Sprint(hookSizes) != "[20]" {
		t.Errorf("hook saw batches %v, want [20]", hookSizes)
	}
	if st.Retries != 1 {
		t.Errorf("Retries = %d, want 1", st.Retries)
	}
	if st.Ops != k+1 {
		t.Errorf("Ops = %d, want %d", st.Ops, k+1)
	}
	db2 := openAt(t, path, Options{})
	for i := range k {
		if v := string(get(t, db2, fmt.Sprintf("k%02d", i))); v != fmt.Sprintf("v%02d", i) {
			t.Errorf("k%02d = %q after retry", i, v)
		}
	}
}

// TestWriterSingleOpError: a lone failing operation gets its own error and is
// not retried.
func TestWriterSingleOpError(t *testing.T) {
	db := openTest(t, Options{})
	errBoom := errors.New("boom")
	var runs int
	err := db.Update(context.Background(), func(tx Tx) error {
		runs++
		if err := tx.Bucket(testBucket).Put([]byte("k"), []byte("v")); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want %v", err, errBoom)
	}
	if runs != 1 {
		t.Errorf("ran %d times, want 1", runs)
	}
	if v := get(t, db, "k"); v != nil {
		t.Errorf("k = %q, want absent", v)
	}
	// A missing bucket is a programming error that fails the operation only.
	err = db.Update(context.Background(), func(tx Tx) error {
		return MustBucket(tx, []byte("nope")).Put([]byte("k"), nil)
	})
	if err == nil || !strings.Contains(err.Error(), `bucket "nope" was not created`) {
		t.Errorf("MustBucket on a missing bucket: err = %v", err)
	}
	if err := db.Update(context.Background(), put("after", "ok")); err != nil {
		t.Errorf("writer unusable after a panic: %v", err)
	}
}

// TestWriterCloseDrains queues operations behind a held writer, closes the
// database, and checks that every queued operation committed and answered nil
// and that later operations get ErrClosed.
func TestWriterCloseDrains(t *testing.T) {
	path := t.TempDir() + "/test.db"
	db, err := Open(path, Options{Buckets: [][]byte{testBucket}})
	if err != nil {
		t.Fatal(err)
	}
	release := holdWriter(t, db)
	const k = 50
	ops := make([]Op, k)
	for i := range ops {
		ops[i] = put(fmt.Sprintf("k%02d", i), "v")
	}
	res := submitQueued(t, db, ops...)
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	waitFor(t, "Close to start", func() bool { return !db.Ready() })
	release()
	if err := result(t, closed); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for i, c := range res {
		if err := result(t, c); err != nil {
			t.Errorf("queued op %d: %v", i, err)
		}
	}
	if err := db.Update(context.Background(), put("late", "v")); !errors.Is(err, ErrClosed) {
		t.Errorf("Update after Close: err = %v, want ErrClosed", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	db2 := openAt(t, path, Options{})
	for i := range k {
		if v := get(t, db2, fmt.Sprintf("k%02d", i)); string(v) != "v" {
			t.Errorf("k%02d = %q after Close drained", i, v)
		}
	}
	if v := get(t, db2, "late"); v != nil {
		t.Errorf("operation after Close committed: %q", v)
	}
}

// TestWriterCanceledContextBeforeQueue: a context that is already done may
// keep an operation out of the queue, but never reports failure for an
// operation that committed.
func TestWriterCanceledContext(t *testing.T) {
	db := openTest(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 50 {
		key := fmt.Sprintf("k%02d", i)
		err := db.Update(ctx, put(key, "v"))
		committed := get(t, db, key) != nil
		switch {
		case err == nil && !committed:
			t.Fatalf("%s: nil error but not committed", key)
		case err != nil && committed:
			t.Fatalf("%s: error %v but committed", key, err)
		case err != nil && !errors.Is(err, context.Canceled):
			t.Fatalf("%s: err = %v, want context.Canceled", key, err)
		}
	}
}

// TestWriterOnCommitAndMaxBatch: no batch exceeds MaxBatch.
func TestWriterMaxBatch(t *testing.T) {
	var sizes batchSizes
	db := openTest(t, Options{MaxBatch: 4, OnCommit: sizes.onCommit})
	release := holdWriter(t, db)
	ops := make([]Op, 10)
	for i := range ops {
		ops[i] = put(fmt.Sprintf("k%d", i), "v")
	}
	res := submitQueued(t, db, ops...)
	release()
	for _, c := range res {
		if err := result(t, c); err != nil {
			t.Fatal(err)
		}
	}
	if got := sizes.get(); fmt.Sprint(got) != "[1 4 4 2]" {
		t.Errorf("batch sizes = %v, want [1 4 4 2]", got)
	}
}

// TestWriterPhaseTimes: the writer splits its transactions' time into
// running the operations, writing the journal and committing to the file.
// An operation that sleeps is counted as running; the journal's phase is
// counted only when there is a journal; the phases never add up to more
// than the whole.
func TestWriterPhaseTimes(t *testing.T) {
	const nap = 20 * time.Millisecond
	for _, journal := range []bool{true, false} {
		t.Run(fmt.Sprintf("journal=%v", journal), func(t *testing.T) {
			db := openTest(t, Options{NoJournal: !journal})
			err := db.Update(context.Background(), func(tx Tx) error {
				time.Sleep(nap)
				return tx.Bucket(testBucket).Put([]byte("k"), []byte("v"))
			})
			if err != nil {
				t.Fatal(err)
			}
			st := db.WriterStats()
			if st.Journaled != journal {
				t.Fatalf("Journaled = %v, want %v", st.Journaled, journal)
			}
			if st.OpTime < nap {
				t.Errorf("OpTime = %v, want at least the operation's %v", st.OpTime, nap)
			}
			if st.FileTime <= 0 {
				t.Errorf("FileTime = %v, want > 0", st.FileTime)
			}
			if journal != (st.JournalTime > 0) {
				t.Errorf("JournalTime = %v with journal %v", st.JournalTime, journal)
			}
			if sum := st.OpTime + st.JournalTime + st.FileTime; sum > st.CommitTime {
				t.Errorf("phases add up to %v, more than CommitTime %v", sum, st.CommitTime)
			}
		})
	}
}
