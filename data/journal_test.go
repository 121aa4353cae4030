package data

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// crashForTests stops db as a crash would: every queued operation is
// answered, but the journal is neither synced nor removed, and the file is
// left as the last commit wrote it (in the page cache, unsynced).
func (db *DB) crashForTests() {
	if db.writer != nil {
		db.writer.abandon = true
	}
	_ = db.Close()
}

// journalWorkload runs goroutines that each own a set of keys and put,
// overwrite (with values of varied size, so pages split, merge and are
// freed and reused) and delete them (directly or through a cursor), plus a
// nested bucket's sequence and now and then the nested bucket itself, and
// updates want (the state before) to the state every acknowledged
// operation left.
func journalWorkload(t *testing.T, db *DB, want map[string]string, seed uint64, goroutines, ops int) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(g)))
			mine := map[string]string{}
			mu.Lock()
			for k, v := range want {
				if strings.HasPrefix(k, fmt.Sprintf("g%02d-", g)) || k == fmt.Sprintf("nest-%02d", g) {
					mine[k] = v
				}
			}
			mu.Unlock()
			for i := range ops {
				key := fmt.Sprintf("g%02d-%03d", g, rng.IntN(120))
				var op Op
				var val string
				del := rng.IntN(4) == 0
				if !del {
					val = fmt.Sprintf("%d-%d-%s", g, i, strings.Repeat("v", rng.IntN(700)))
				}
				nest := rng.IntN(10) == 0
				dropNest := !nest && rng.IntN(40) == 0 // the nested bucket deleted, sequence and all
				byCursor := rng.IntN(2) == 0           // a delete through a cursor
				op = func(tx Tx) error {
					b := tx.Bucket(testBucket)
					if dropNest && b.Bucket([]byte(fmt.Sprintf("nest-%02d", g))) != nil {
						if err := b.DeleteBucket([]byte(fmt.Sprintf("nest-%02d", g))); err != nil {
							return err
						}
					}
					if nest {
						nb, err := b.CreateBucketIfNotExists([]byte(fmt.Sprintf("nest-%02d", g)))
						if err != nil {
							return err
						}
						if _, err := nb.NextSequence(); err != nil {
							return err
						}
					}
					if del && byCursor {
						c := b.Cursor()
						if k, _ := c.Seek([]byte(key)); string(k) == key {
							return c.Delete()
						}
						return nil
					}
					if del {
						return b.Delete([]byte(key))
					}
					return b.Put([]byte(key), []byte(val))
				}
				if err := db.Update(context.Background(), op); err != nil {
					errs <- err
					return
				}
				if del {
					delete(mine, key)
				} else {
					mine[key] = val
				}
				if dropNest {
					delete(mine, fmt.Sprintf("nest-%02d", g))
				}
				if nest {
					nk := fmt.Sprintf("nest-%02d", g)
					mine[nk] = fmt.Sprint(parseSeq(mine[nk]) + 1)
				}
			}
			mu.Lock()
			for k := range want {
				if _, ok := mine[k]; !ok && (strings.HasPrefix(k, fmt.Sprintf("g%02d-", g)) || k == fmt.Sprintf("nest-%02d", g)) {
					delete(want, k)
				}
			}
			for k, v := range mine {
				want[k] = v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func parseSeq(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

// stateOf reads the test bucket the way journalWorkload records it.
func stateOf(t *testing.T, db *DB) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := db.View(func(tx Tx) error {
		return Unwrap(tx).Bucket(testBucket).ForEach(func(k, v []byte) error {
			if v == nil {
				got[string(k)] = fmt.Sprint(Unwrap(tx).Bucket(testBucket).Bucket(k).Sequence())
				return nil
			}
			got[string(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func sameState(t *testing.T, got, want map[string]string) {
	t.Helper()
	bad := 0
	for k, v := range want {
		if got[k] != v {
			bad++
			if bad <= 3 {
				t.Errorf("key %s: %.20q after recovery, acknowledged %.20q", k, got[k], v)
			}
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			bad++
			if bad <= 3 {
				t.Errorf("key %s after recovery was never acknowledged (or was deleted)", k)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d keys differ from what was acknowledged", bad)
	}
}

func checkConsistent(t *testing.T, db *DB) {
	t.Helper()
	err := db.Bolt().View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatalf("bbolt consistency check after recovery: %v", err)
	}
}

// TestJournalRecoversAfterCrash: a server stopped without closing (its
// file holds the last commits in the page cache, as after kill -9) comes
// back with every acknowledged operation, across several checkpoints, and
// its journal files are gone after a clean close.
func TestJournalRecoversAfterCrash(t *testing.T) {
	path := t.TempDir() + "/test.db"
	db := openAt(t, path, Options{CheckpointInterval: 20 * time.Millisecond})
	want := map[string]string{}
	journalWorkload(t, db, want, 1, 6, 150)
	if db.WriterStats().Checkpoints == 0 {
		t.Log("no checkpoint completed during the workload (slow machine)")
	}
	db.crashForTests()
	for _, p := range JournalPaths(path) {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("after a crash the journal should stay: %v", err)
		}
	}
	db2 := openAt(t, path, Options{})
	sameState(t, stateOf(t, db2), want)
	checkConsistent(t, db2)
	if err := db2.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range JournalPaths(path) {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("after a clean close the journal should be gone: %s: %v", p, err)
		}
	}
}

// TestJournalSurvivesPowerLoss simulates a power loss: of every page the
// file wrote since the last completed checkpoint, the disk may hold the
// version the checkpoint synced or a later one, and the meta pages may be
// anything. Recovery must give exactly the acknowledged state, and a file
// bbolt finds consistent. In the "during" rounds the power goes while a
// checkpoint is in progress (its sync not done): recovery starts from the
// checkpoint before and replays both journal files.
func TestJournalSurvivesPowerLoss(t *testing.T) {
	for _, during := range []bool{false, true} {
		for seed := range uint64(3) {
			t.Run(fmt.Sprintf("during=%v/seed%d", during, seed), func(t *testing.T) {
				powerLoss(t, seed, during)
			})
		}
	}
}

func powerLoss(t *testing.T, seed uint64, during bool) {
	path := t.TempDir() + "/test.db"
	var mu sync.Mutex
	var synced []byte // the file as the last checkpoint's sync left it
	hook := func(p string, _ uint64) {
		if p != path {
			return
		}
		b, err := os.ReadFile(p)
		if err != nil {
			panic(err)
		}
		mu.Lock()
		synced = b
		mu.Unlock()
	}
	checkpointSyncedForTests.Store(&hook)
	defer checkpointSyncedForTests.Store(nil)
	db := openAt(t, path, Options{CheckpointInterval: 15 * time.Millisecond})
	// The file as the journal started: synced by Open.
	start, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	journalWorkload(t, db, want, seed, 6, 150)
	// No checkpoint completes after this point: the rest of the workload
	// lives in the journal only (and in pages a power loss may undo).
	checkpointsPausedForTests.Store(true)
	defer checkpointsPausedForTests.Store(false)
	waitFor(t, "the checkpoint in progress", func() bool { return db.writer.journalIdleForTests() })
	if during {
		hold := make(chan struct{})
		checkpointHoldForTests.Store(&hold)
		defer func() { close(hold); checkpointHoldForTests.Store(nil) }()
		journalWorkload(t, db, want, seed+50, 2, 20)
		checkpointsPausedForTests.Store(false)
		waitFor(t, "a checkpoint to start", func() bool { return !db.writer.journalIdleForTests() })
		checkpointsPausedForTests.Store(true)
	}
	journalWorkload(t, db, want, seed+100, 6, 150)
	ps := db.pageSize
	db.crashForTests()
	mu.Lock()
	base := synced
	mu.Unlock()
	if base == nil {
		base = start
	}
	final, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	lost := 0
	for off := 0; off+ps <= len(final); off += ps {
		page := off / ps
		var from []byte
		switch {
		case page < 2:
			switch rng.IntN(3) {
			case 0:
				from = base
			case 1:
				from = final
			default:
				for i := off; i < off+ps; i++ {
					final[i] = byte(rng.Uint32())
				}
				continue
			}
		case rng.IntN(3) > 0:
			from = base
		default:
			continue
		}
		if off+ps <= len(from) {
			if !bytes.Equal(final[off:off+ps], from[off:off+ps]) {
				lost++
			}
			copy(final[off:off+ps], from[off:off+ps])
		}
	}
	if err := os.WriteFile(path, final, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d pages turned back to the checkpoint's version", lost)
	db2 := openAt(t, path, Options{})
	sameState(t, stateOf(t, db2), want)
	checkConsistent(t, db2)
}

// TestJournalIgnoresTornTail: a record being written when the power went
// (never acknowledged) ends the replay; what came before it is kept.
func TestJournalIgnoresTornTail(t *testing.T) {
	path := t.TempDir() + "/test.db"
	db := openAt(t, path, Options{CheckpointInterval: time.Hour})
	ctx := context.Background()
	for i := range 5 {
		if err := db.Update(ctx, put(fmt.Sprint("k", i), "v")); err != nil {
			t.Fatal(err)
		}
	}
	j := db.writer.journal
	f := j.files[j.active]
	next := j.last + 1
	off := f.off
	db.crashForTests()
	// A record of the next transaction, cut short, then one whose checksum
	// fails: neither may be replayed.
	rec := appendRecord(nil, next, encodeWrites(nil, []Write{{Kind: WriteValue, Bucket: [][]byte{testBucket}, Key: []byte("torn"), Value: []byte("x")}}))
	jf, err := os.OpenFile(f.path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jf.WriteAt(rec[:len(rec)-3], off); err != nil {
		t.Fatal(err)
	}
	jf.Close()
	db2 := openAt(t, path, Options{})
	if get(t, db2, "torn") != nil || string(get(t, db2, "k4")) != "v" {
		t.Fatalf("torn record replayed (%q) or acknowledged one lost (%q)", get(t, db2, "torn"), get(t, db2, "k4"))
	}
	db2.crashForTests()
	rec[len(rec)-1] ^= 1
	jf, err = os.OpenFile(JournalPaths(path)[0], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jf.WriteAt(rec, recordsAt(db2.pageSize)); err != nil {
		t.Fatal(err)
	}
	jf.Close()
	db3 := openAt(t, path, Options{})
	if get(t, db3, "torn") != nil || string(get(t, db3, "k4")) != "v" {
		t.Fatal("a record failing its checksum was replayed")
	}
}

// TestJournalReadOnlyOpenRecovers: the audit of a crashed server's file
// (a read-only open) replays the journal first.
func TestJournalReadOnlyOpenRecovers(t *testing.T) {
	path := t.TempDir() + "/test.db"
	db := openAt(t, path, Options{CheckpointInterval: time.Hour})
	if err := db.Update(context.Background(), put("k", "v")); err != nil {
		t.Fatal(err)
	}
	db.crashForTests()
	h, err := readHeaderAt(JournalPaths(path)[0])
	if err != nil || h == nil {
		t.Fatalf("journal header: %v %v", h, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(h.metas, 0); err != nil { // the file's state before the put
		t.Fatal(err)
	}
	f.Close()
	ro := openAt(t, path, Options{ReadOnly: true})
	if string(get(t, ro, "k")) != "v" {
		t.Fatal("read-only open did not replay the journal")
	}
}

func readHeaderAt(path string) (*journalHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readJournalHeader(f)
}

// TestJournalAfterCommitAroundWriter: a transaction committed around the
// writer (UpdateLocal) is not in the journal; the journal takes the file
// as its base at the next commit, so a crash loses neither.
func TestJournalAfterCommitAroundWriter(t *testing.T) {
	path := t.TempDir() + "/test.db"
	db := openAt(t, path, Options{CheckpointInterval: time.Hour})
	ctx := context.Background()
	if err := db.Update(ctx, put("a", "1")); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateLocal(func(tx Tx) error { return tx.Bucket(testBucket).Put([]byte("b"), []byte("2")) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, put("c", "3")); err != nil {
		t.Fatal(err)
	}
	db.crashForTests()
	db2 := openAt(t, path, Options{})
	for k, v := range map[string]string{"a": "1", "b": "2", "c": "3"} {
		if string(get(t, db2, k)) != v {
			t.Fatalf("%s = %q after recovery, want %q", k, get(t, db2, k), v)
		}
	}
	checkConsistent(t, db2)
}

// TestWritesEncoding: a write set survives its journal encoding, and a
// damaged encoding is refused rather than misread.
func TestWritesEncoding(t *testing.T) {
	ws := []Write{
		{Kind: WriteBucket, Bucket: [][]byte{[]byte("a"), []byte("b")}},
		{Kind: WriteValue, Bucket: [][]byte{[]byte("a")}, Key: []byte("k"), Value: []byte("v")},
		{Kind: WriteValue, Bucket: [][]byte{[]byte("a")}, Key: []byte("gone"), Delete: true},
		{Kind: WriteSequence, Bucket: [][]byte{[]byte("a"), []byte("b")}, Value: U64(7)},
		{Kind: WriteBucket, Bucket: [][]byte{[]byte("old")}, Delete: true},
	}
	p := encodeWrites(nil, ws)
	got, err := decodeWrites(p)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(ws) {
		t.Fatalf("decoded %v, want %v", got, ws)
	}
	for cut := range len(p) {
		if _, err := decodeWrites(p[:cut]); err == nil {
			t.Fatalf("a record cut at %d of %d decoded", cut, len(p))
		}
	}
}

// journalIdleForTests reports (racing the writer only through a queued
// operation) whether no checkpoint is in progress.
func (w *writer) journalIdleForTests() bool {
	idle := make(chan bool, 1)
	_ = w.db.Update(context.Background(), func(Tx) error {
		j := w.journal
		idle <- j == nil || (j.done == nil && j.next == nil)
		return nil
	})
	return <-idle
}

// TestJournalOfNewerVersionRefused: a journal this binary cannot read is
// not thrown away (it may hold acknowledged transactions): Open refuses.
func TestJournalOfNewerVersionRefused(t *testing.T) {
	path := t.TempDir() + "/test.db"
	db := openAt(t, path, Options{})
	if err := db.Update(context.Background(), put("k", "v")); err != nil {
		t.Fatal(err)
	}
	db.crashForTests()
	f, err := os.OpenFile(JournalPaths(path)[0], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{journalVersion + 1}, 4); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if db2, err := Open(path, Options{Buckets: [][]byte{testBucket}}); !errors.Is(err, ErrNewerJournal) {
		if db2 != nil {
			db2.Close()
		}
		t.Fatalf("Open = %v, want ErrNewerJournal", err)
	}
	if _, err := os.Stat(JournalPaths(path)[0]); err != nil {
		t.Fatalf("the journal was removed: %v", err)
	}
}

// TestJournalHotBackupOpens: a hot backup of a journaled database (whose
// commits leave the freelist to checkpoints) is a whole file of its own:
// it opens read-only, passes bbolt's check and holds the data, and opens
// for writing too.
func TestJournalHotBackupOpens(t *testing.T) {
	dir := t.TempDir()
	db := openAt(t, dir+"/test.db", Options{CheckpointInterval: time.Hour})
	want := map[string]string{}
	journalWorkload(t, db, want, 7, 3, 60)
	f, err := os.Create(dir + "/backup.db")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Backup(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ro := openAt(t, dir+"/backup.db", Options{ReadOnly: true})
	sameState(t, stateOf(t, ro), want)
	checkConsistent(t, ro)
	ro.Close()
	rw := openAt(t, dir+"/backup.db", Options{})
	sameState(t, stateOf(t, rw), want)
	if err := rw.Update(context.Background(), put("after", "1")); err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, rw)
}

// TestJournalMapping: the journal's mapping under address-space limits.
func TestJournalMapping(t *testing.T) {
	const gib = 1 << 30
	for _, c := range []struct {
		file  int64
		limit uint64
		size  int64
		ok    bool
	}{
		{0, ^uint64(0), journalMapSize, true},
		{100 * gib, ^uint64(0), journalMapSize, true},
		{journalMapSize / 2, ^uint64(0), journalMapSize, false}, // the file fills half
		{0, 64 * gib, 16 * gib, true},
		{9 * gib, 64 * gib, 16 * gib, false},
		{0, 6*gib + 5, gib, true}, // a quarter, rounded down to whole GiB
		{0, 3 * gib, 0, false},    // under 1 GiB: no journal
	} {
		size, ok := journalMapping(c.file, c.limit)
		if size != c.size || ok != c.ok {
			t.Errorf("journalMapping(%d, %d) = %d, %v; want %d, %v", c.file, c.limit, size, ok, c.size, c.ok)
		}
	}
}
