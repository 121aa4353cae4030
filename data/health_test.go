package data

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestCommitFailureIsAStorageErrorAndRecovers: a commit the disk refuses
// with ENOSPC fails its operation with insufficient_storage (still
// errors.Is ENOSPC for the log), EIO with unavailable; nothing of it is
// stored, earlier data is intact, Ready is false until a commit succeeds,
// and the probe makes it ready again by itself once the disk accepts
// commits, with no write from outside.
func TestCommitFailureIsAStorageErrorAndRecovers(t *testing.T) {
	var failWith atomic.Pointer[error] // the disk's answer to a commit (nil: accepted)
	hook := func() error {
		if p := failWith.Load(); p != nil {
			return *p
		}
		return nil
	}
	db := openTest(t, Options{FailCommitForTests: hook, ProbeInterval: time.Millisecond})
	ctx := context.Background()
	if err := db.Update(ctx, put("before", "1")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cause error
		code  string
	}{
		{&os.PathError{Op: "write", Path: "test.db", Err: syscall.ENOSPC}, EInsufficientStorage},
		{fmt.Errorf("sync: %w", syscall.EIO), EUnavailable},
	} {
		failWith.Store(&c.cause)
		err := db.Update(ctx, put("during", "x"))
		if ErrorCode(err) != c.code || !errors.Is(err, c.cause) || !IsStorageFailure(err) || IsRejection(err) {
			t.Fatalf("commit failing with %v: err %v (code %s), want %s wrapping the cause", c.cause, err, ErrorCode(err), c.code)
		}
		if e, _ := AsError(err); strings.Contains(e.Message, "test.db") || strings.Contains(e.Message, "sync") {
			t.Fatalf("the client's message leaks the cause: %q", e.Message)
		}
		if db.Ready() || !db.CommitsFailing() {
			t.Fatal("ready while commits fail")
		}
		time.Sleep(5 * time.Millisecond) // probes run and fail meanwhile
		if db.Ready() {
			t.Fatal("a probe made the database ready while commits still fail")
		}
	}
	failWith.Store(nil)
	waitFor(t, "the probe to make the database ready again", db.Ready)
	for _, k := range []string{"during", "b1", "b2"} {
		if v := get(t, db, k); v != nil {
			t.Fatalf("%s = %q: a failed commit left data behind", k, v)
		}
	}
	if v := string(get(t, db, "before")); v != "1" {
		t.Fatalf("before = %q after the failures, want 1", v)
	}
	if err := db.Update(ctx, put("after", "2")); err != nil {
		t.Fatalf("write after recovery: %v", err)
	}
	if v := string(get(t, db, "after")); v != "2" {
		t.Fatalf("after = %q", v)
	}
}

// TestCommitFailureFailsEveryOperationOfABatch: a shared commit that fails
// for lack of space is retried one operation at a time, and each operation
// that still cannot commit gets insufficient_storage.
func TestCommitFailureFailsEveryOperationOfABatch(t *testing.T) {
	var armed atomic.Bool
	var commits atomic.Int32
	hook := func() error {
		if armed.Load() && commits.Add(1) > 1 { // the held gate commits; the rest fail
			return &os.PathError{Op: "write", Path: "test.db", Err: syscall.ENOSPC}
		}
		return nil
	}
	db := openTest(t, Options{FailCommitForTests: hook, ProbeInterval: time.Hour})
	release := holdWriter(t, db)
	res := submitQueued(t, db, put("b1", "x"), put("b2", "x"), put("b3", "x"))
	armed.Store(true)
	release()
	for i, ch := range res {
		if err := result(t, ch); ErrorCode(err) != EInsufficientStorage {
			t.Fatalf("batched op %d: %v, want insufficient_storage", i, err)
		}
	}
	if st := db.WriterStats(); st.Retries != 1 || commits.Load() != 5 {
		t.Fatalf("retries %d, commits tried %d; want 1 retried batch, 5 commits (gate, batch, 3 alone)", st.Retries, commits.Load())
	}
	if db.Ready() {
		t.Fatal("ready after failed commits")
	}
}

// TestOperationErrorIsNotAStorageFailure: an operation's own error fails
// that operation but says nothing about the disk: still ready.
func TestOperationErrorIsNotAStorageFailure(t *testing.T) {
	db := openTest(t, Options{})
	err := db.Update(context.Background(), func(Tx) error { return errors.New("decode: bad record") })
	if err == nil || IsStorageFailure(err) || ErrorCode(err) != EInternal || !db.Ready() {
		t.Fatalf("op error: %v (storage %v, code %s), ready %v", err, IsStorageFailure(err), ErrorCode(err), db.Ready())
	}
}

// fdOf returns the descriptor this process has open on path.
func fdOf(t *testing.T, path string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	for _, e := range ents {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && target == path {
			var fd int
			fmt.Sscan(e.Name(), &fd)
			return fd
		}
	}
	t.Fatalf("%s is not open", path)
	return -1
}

// TestRealENOSPCFromBbolt: the disk is really full for bbolt: its file
// descriptor is swapped for /dev/full (every write fails with ENOSPC from
// the kernel), so the error comes from os and bbolt as it would in
// production, and is recognised as insufficient_storage. Swapping the file
// back is the space returning: the database recovers and lost nothing.
// With the journal the first write of a commit is the journal's: its file
// is the one that fills up.
func TestRealENOSPCFromBbolt(t *testing.T) {
	t.Run("file", func(t *testing.T) {
		realENOSPC(t, Options{NoJournal: true, ProbeInterval: 20 * time.Millisecond}, "")
	})
	t.Run("journal", func(t *testing.T) {
		realENOSPC(t, Options{CheckpointInterval: time.Hour, ProbeInterval: 20 * time.Millisecond}, "-journal.0")
	})
}

func realENOSPC(t *testing.T, opts Options, suffix string) {
	full, err := os.OpenFile("/dev/full", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	defer full.Close()
	path := filepath.Join(t.TempDir(), "test.db")
	// The first probe comes after the file is swapped back (a probe that
	// came first would only fail once more).
	db := openAt(t, path, opts)
	ctx := context.Background()
	// Free pages inside the file, so the failing commit writes into the
	// file rather than growing it (growing /dev/full fails otherwise).
	big := strings.Repeat("x", 1<<20)
	if err := db.Update(ctx, put("big", big)); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx Tx) error { return tx.Bucket(testBucket).Delete([]byte("big")) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, put("before", "1")); err != nil {
		t.Fatal(err)
	}
	fd := fdOf(t, path+suffix)
	saved, err := syscall.Dup(fd)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(saved)
	if err := syscall.Dup3(int(full.Fd()), fd, syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, put("during", "x"))
	if rerr := syscall.Dup3(saved, fd, syscall.O_CLOEXEC); rerr != nil {
		t.Fatal(rerr)
	}
	var pe *os.PathError
	if !errors.Is(err, syscall.ENOSPC) || !errors.As(err, &pe) || ErrorCode(err) != EInsufficientStorage {
		t.Fatalf("commit on a full disk: %v (code %s), want an os error wrapping ENOSPC, insufficient_storage", err, ErrorCode(err))
	}
	t.Logf("bbolt on a full disk: %v", err)
	waitFor(t, "ready after the space returned", db.Ready)
	if err := db.Update(ctx, put("after", "2")); err != nil {
		t.Fatalf("write after recovery: %v", err)
	}
	if string(get(t, db, "before")) != "1" || get(t, db, "during") != nil || string(get(t, db, "after")) != "2" {
		t.Fatalf("before %q during %q after %q", get(t, db, "before"), get(t, db, "during"), get(t, db, "after"))
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2 := openAt(t, path, Options{})
	if string(get(t, db2, "before")) != "1" || get(t, db2, "during") != nil || string(get(t, db2, "after")) != "2" {
		t.Fatal("reopened file differs")
	}
}
