package data

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// rawFile writes a bbolt file with a meta bucket holding schema version v.
func rawFile(t *testing.T, v int) string {
	t.Helper()
	path := t.TempDir() + "/raw.db"
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		m, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		return m.Put(keySchemaVersion, U64(uint64(v)))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// rawBuckets lists the top-level buckets of a closed file.
func rawBuckets(t *testing.T, path string) string {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var names []string
	_ = b.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			names = append(names, string(name))
			return nil
		})
	})
	return strings.Join(names, ",")
}

func TestOpenSecondOpenIsLocked(t *testing.T) {
	path := t.TempDir() + "/test.db"
	db := openAt(t, path, Options{})
	start := time.Now()
	db2, err := Open(path, Options{LockTimeout: 100 * time.Millisecond})
	if err == nil {
		db2.Close()
		t.Fatal("second Open of a file in use succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	t.Logf("second Open failed after %v: %v", time.Since(start), err)
	// A read-only open needs a shared lock and is refused too.
	if db3, err := Open(path, Options{ReadOnly: true, LockTimeout: 100 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		if err == nil {
			db3.Close()
		}
		t.Fatalf("read-only Open while a writer holds the file: err = %v, want ErrLocked", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db4, err := Open(path, Options{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open after the holder closed: %v", err)
	}
	db4.Close()
}

func TestOpenNewFile(t *testing.T) {
	path := t.TempDir() + "/test.db"
	db := openAt(t, path, Options{Buckets: [][]byte{[]byte("lotteries"), []byte("packets")}})
	v, err := db.Meta(string(keySchemaVersion))
	if err != nil {
		t.Fatal(err)
	}
	if ParseU64(v) != SchemaVersion || len(v) != 8 {
		t.Fatalf("schema version = %x, want %d", v, SchemaVersion)
	}
	if !db.Ready() || db.Path() != path || db.Size() <= 0 {
		t.Errorf("Ready=%v Path=%q Size=%d", db.Ready(), db.Path(), db.Size())
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db.Ready() {
		t.Error("Ready after Close")
	}
	if got, want := rawBuckets(t, path), "due,idempotency,idempotency_order,lotteries,meta,outbox,outbox_dead,packets,test"; got != want {
		t.Errorf("buckets = %s, want %s", got, want)
	}
}

func TestOpenMeta(t *testing.T) {
	db := openTest(t, Options{})
	if v, err := db.Meta("absent"); err != nil || v != nil {
		t.Fatalf("Meta(absent) = %q, %v", v, err)
	}
	err := db.Update(context.Background(), func(tx Tx) error {
		if err := PutMeta(tx, "owner", []byte("alice")); err != nil {
			return err
		}
		if got := string(GetMeta(tx, "owner")); got != "alice" {
			return fmt.Errorf("GetMeta in tx = %q", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := db.Meta("owner"); err != nil || string(v) != "alice" {
		t.Fatalf("Meta(owner) = %q, %v", v, err)
	}
}

func TestOpenNewerSchemaRefused(t *testing.T) {
	path := rawFile(t, SchemaVersion+1)
	for _, ro := range []bool{false, true} {
		db, err := Open(path, Options{ReadOnly: ro})
		if err == nil {
			db.Close()
			t.Fatalf("ReadOnly=%v: Open of a newer file succeeded", ro)
		}
		if !errors.Is(err, ErrNewerSchema) {
			t.Fatalf("ReadOnly=%v: err = %v, want ErrNewerSchema", ro, err)
		}
	}
	// The refused open changed nothing in the file.
	if got := rawBuckets(t, path); got != "meta" {
		t.Errorf("buckets after refused open = %s, want meta", got)
	}
}

func TestOpenMigratesOlderSchema(t *testing.T) {
	old := SchemaVersion - 1
	path := rawFile(t, old)

	// Without a migration the file is refused and left at its schema.
	db, err := Open(path, Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		db.Close()
		t.Fatal("Open without a migration succeeded")
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("no migration from schema %d", old)) {
		t.Fatalf("err = %v, want 'no migration'", err)
	}

	var ran int
	mark := Migration{From: old, Name: "mark", Step: func(tx Tx, cursor []byte, _ int) ([]byte, error) {
		ran++
		return nil, tx.Bucket(bucketMeta).Put([]byte("migrated"), []byte("yes"))
	}}
	db = openAt(t, path, Options{Migrations: []Migration{mark}})
	if ran != 1 {
		t.Errorf("migration ran %d times, want 1", ran)
	}
	if v, _ := db.Meta("migrated"); string(v) != "yes" {
		t.Errorf("migration's write = %q, want yes", v)
	}
	if v, _ := db.Meta(string(keySchemaVersion)); ParseU64(v) != SchemaVersion {
		t.Errorf("schema version after migration = %d, want %d", ParseU64(v), SchemaVersion)
	}
	db.Close()
	db = openAt(t, path, Options{Migrations: []Migration{mark}})
	if ran != 1 {
		t.Errorf("migration ran again on a current file (%d runs)", ran)
	}

	// A failing migration aborts Open and leaves the old version.
	path2 := rawFile(t, old)
	fail := Migration{From: old, Name: "fail", Step: func(Tx, []byte, int) ([]byte, error) { return nil, errors.New("disk says no") }}
	if db, err := Open(path2, Options{Migrations: []Migration{fail}, Logger: slog.New(slog.DiscardHandler)}); err == nil || !strings.Contains(err.Error(), "disk says no") {
		if err == nil {
			db.Close()
		}
		t.Fatalf("failing migration: err = %v", err)
	}
	ro := openAt(t, path2, Options{ReadOnly: true})
	if v, err := ro.SchemaVersion(); err != nil || v != old {
		t.Errorf("schema after failed migration = %d, %v; want %d", v, err, old)
	}
}

func TestOpenReadOnly(t *testing.T) {
	path := t.TempDir() + "/test.db"
	db := openAt(t, path, Options{})
	if err := db.Update(context.Background(), put("k", "v")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ro1 := openAt(t, path, Options{ReadOnly: true, LockTimeout: 100 * time.Millisecond})
	ro2 := openAt(t, path, Options{ReadOnly: true, LockTimeout: 100 * time.Millisecond}) // shared lock
	for _, r := range []*DB{ro1, ro2} {
		if v := get(t, r, "k"); string(v) != "v" {
			t.Errorf("read-only view: k = %q, want v", v)
		}
	}
	if err := ro1.Update(context.Background(), put("k2", "v")); !errors.Is(err, ErrClosed) {
		t.Errorf("Update on a read-only DB: err = %v, want ErrClosed", err)
	}
	if st := ro1.WriterStats(); st != (WriterStats{}) {
		t.Errorf("read-only WriterStats = %+v, want zero", st)
	}
	// A writer cannot take the file while readers hold it.
	if db, err := Open(path, Options{LockTimeout: 100 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		if err == nil {
			db.Close()
		}
		t.Errorf("writable Open under read-only holders: err = %v, want ErrLocked", err)
	}
	if err := ro1.Close(); err != nil {
		t.Errorf("close read-only: %v", err)
	}
}
