package data

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// openBackup opens a backup file with plain bbolt, checks its integrity and
// returns the test bucket's keys and values.
func openBackup(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatalf("backup is not a bbolt file: %v", err)
	}
	defer b.Close()
	out := map[string]string{}
	err = b.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("backup integrity: %v", err)
		}
		if v := tx.Bucket(bucketMeta).Get(keySchemaVersion); ParseU64(v) != SchemaVersion {
			t.Errorf("backup schema version = %x", v)
		}
		return tx.Bucket(testBucket).ForEach(func(k, v []byte) error {
			out[string(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeBackup(t *testing.T, db *DB, path string) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.Backup(f)
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Size() != n {
		t.Fatalf("Backup reported %d bytes, wrote %d", n, fi.Size())
	}
	return n
}

func TestBackupQuiet(t *testing.T) {
	db := openTest(t, Options{})
	want := map[string]string{}
	err := db.Update(context.Background(), func(tx Tx) error {
		for i := range 1000 {
			k, v := fmt.Sprintf("k%04d", i), fmt.Sprintf("v%d", i*i)
			want[k] = v
			if err := tx.Bucket(testBucket).Put([]byte(k), []byte(v)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	size := db.BackupSize()
	path := t.TempDir() + "/backup.db"
	if n := writeBackup(t, db, path); n != size || n <= 0 {
		t.Errorf("Backup wrote %d bytes, BackupSize said %d", n, size)
	}
	got := openBackup(t, path)
	if len(got) != len(want) {
		t.Fatalf("backup has %d keys, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("backup %s = %q, want %q", k, got[k], v)
		}
	}
	// The backup is a working database for this package too.
	restored := openAt(t, path, Options{})
	if v := get(t, restored, "k0999"); string(v) != want["k0999"] {
		t.Errorf("restored k0999 = %q", v)
	}
}

// TestBackupDuringWrites takes backups while writers commit pairs of keys:
// each backup holds everything committed before it started and, for every
// pair, both keys or neither.
func TestBackupDuringWrites(t *testing.T) {
	db := openTest(t, Options{NoSync: true})
	ctx := context.Background()
	var next atomic.Uint64
	pair := func() error {
		i := next.Add(1)
		return db.Update(ctx, func(tx Tx) error {
			b := tx.Bucket(testBucket)
			if err := b.Put([]byte(fmt.Sprintf("a%08d", i)), []byte("x")); err != nil {
				return err
			}
			return b.Put([]byte(fmt.Sprintf("b%08d", i)), []byte("x"))
		})
	}
	for range 500 {
		if err := pair(); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := pair(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	dir := t.TempDir()
	count := func() (n int) {
		_ = db.View(func(tx Tx) error { n = KeyCount(tx.Bucket(testBucket)); return nil })
		return n
	}
	for round := range 3 {
		before := map[string]bool{}
		_ = db.View(func(tx Tx) error {
			return tx.Bucket(testBucket).ForEach(func(k, _ []byte) error { before[string(k)] = true; return nil })
		})
		path := fmt.Sprintf("%s/backup%d.db", dir, round)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		// Stall the backup half-way until 100 more operations committed: the
		// writer must not be blocked by the backup's read transaction.
		sw := &stallWriter{w: f, stall: func() {
			ops := db.WriterStats().Ops
			waitFor(t, "writes to commit during the backup", func() bool { return db.WriterStats().Ops >= ops+100 })
		}}
		if _, err := db.Backup(sw); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		after := count()
		got := openBackup(t, path)
		for k := range before {
			if _, ok := got[k]; !ok {
				t.Fatalf("backup %d lacks %s, committed before it started", round, k)
			}
		}
		for k := range got {
			var other string
			switch k[0] {
			case 'a':
				other = "b" + k[1:]
			case 'b':
				other = "a" + k[1:]
			default:
				t.Fatalf("unexpected key %q", k)
			}
			if _, ok := got[other]; !ok {
				t.Fatalf("backup %d has %s without %s: not a consistent snapshot", round, k, other)
			}
		}
		// Pairs committed while the backup was stalled are not in it.
		if len(got) >= after || after-len(got) < 200 {
			t.Fatalf("backup %d has %d keys, the database %d after it: not a snapshot of its start", round, len(got), after)
		}
	}
	close(stop)
	wg.Wait()
	if !bytes.Equal(get(t, db, "a00000001"), []byte("x")) {
		t.Error("source lost data")
	}
}

// stallWriter calls stall once, after the first write.
type stallWriter struct {
	w     io.Writer
	stall func()
	done  bool
}

func (s *stallWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if !s.done {
		s.done = true
		s.stall()
	}
	return n, err
}
