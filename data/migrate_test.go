package data

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// rehearse makes this binary "know" schema SchemaVersion+1 until the test
// ends; the migrations to it are passed in Options.Migrations.
func rehearse(t *testing.T) {
	t.Helper()
	currentSchema = SchemaVersion + 1
	t.Cleanup(func() { currentSchema = SchemaVersion })
}

var (
	bucketNext      = []byte("test_next")
	bucketNextIndex = []byte("test_next_index")
)

// rehearsal is a migration to SchemaVersion+1 with a real layout change in
// bounded steps: the values of the test bucket move to a new bucket as JSON
// objects, with an index bucket mapping each value back to its key, chunk
// keys per step; the last step removes the old bucket. steps counts the
// steps and keys the keys converted; failAt > 0 makes that step fail (1 is
// the first).
type rehearsal struct {
	chunk, failAt int
	steps, keys   int
}

func (r *rehearsal) migration() Migration {
	return Migration{From: SchemaVersion, Name: "test: JSON values", Step: r.step}
}

func (r *rehearsal) step(tx Tx, cursor []byte, _ int) ([]byte, error) {
	r.steps++
	if r.failAt == r.steps {
		return nil, errors.New("disk full half-way")
	}
	if cursor == nil { // start over: drop what an earlier run left
		for _, name := range [][]byte{bucketNext, bucketNextIndex} {
			if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
				return nil, err
			}
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return nil, err
			}
		}
	}
	old, dst, idx := tx.Bucket(testBucket), tx.Bucket(bucketNext), tx.Bucket(bucketNextIndex)
	c := old.Cursor()
	k, v := c.First()
	if cursor != nil {
		k, v = c.Seek(cursor)
	}
	for n := 0; k != nil; k, v = c.Next() {
		if n == r.chunk {
			return bytes.Clone(k), nil
		}
		if err := PutJSON(dst, k, map[string]string{"value": string(v)}); err != nil {
			return nil, err
		}
		if err := idx.Put(v, k); err != nil {
			return nil, err
		}
		n++
		r.keys++
	}
	return nil, tx.DeleteBucket(testBucket)
}

// checkRehearsed checks that the migrated file holds the n keys of fill.
func checkRehearsed(t *testing.T, db *DB, n int) {
	t.Helper()
	err := db.View(func(tx Tx) error {
		b, idx := tx.Bucket(bucketNext), tx.Bucket(bucketNextIndex)
		if b == nil || idx == nil {
			return errors.New("new buckets missing")
		}
		if got := KeyCount(idx); got != n {
			return fmt.Errorf("index has %d keys, want %d", got, n)
		}
		if got := KeyCount(tx.Bucket(testBucket)); got != 0 {
			return fmt.Errorf("old bucket still has %d keys", got)
		}
		for i := range n {
			var rec struct{ Value string }
			k := fmt.Sprintf("k%03d", i)
			if found, err := GetJSON(b, []byte(k), &rec); err != nil || !found || rec.Value != fmt.Sprintf("v%d", i) {
				return fmt.Errorf("%s = %+v (found %v, err %v)", k, rec, found, err)
			}
			if got := string(idx.Get([]byte(rec.Value))); got != k {
				return fmt.Errorf("index %s → %q, want %s", rec.Value, got, k)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// fill writes n keys k000.. → v0.. with the current binary and closes the file.
func fill(t *testing.T, path string, from, n int) {
	t.Helper()
	db := openAt(t, path, Options{})
	for i := from; i < from+n; i++ {
		if err := db.Update(context.Background(), put(fmt.Sprintf("k%03d", i), fmt.Sprintf("v%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateOldFileOnOpen builds a file with the current binary, then
// opens it with a binary that knows the next schema: Open migrates it in
// bounded transactions, and the migrated file works; the older binary then
// refuses it.
func TestMigrateOldFileOnOpen(t *testing.T) {
	path := t.TempDir() + "/old.db"
	const n = 500
	fill(t, path, 0, n)
	rehearse(t)
	r := &rehearsal{chunk: 64}
	db := openAt(t, path, Options{Migrations: []Migration{r.migration()}})
	if want := n/64 + 1; r.steps != want || r.keys != n {
		t.Fatalf("migration ran %d steps over %d keys, want %d steps (64 keys each) over %d", r.steps, r.keys, want, n)
	}
	if v, err := db.SchemaVersion(); err != nil || v != SchemaVersion+1 {
		t.Fatalf("migrated schema = %d, %v; want %d", v, err, SchemaVersion+1)
	}
	checkRehearsed(t, db, n)
	// The writer works on the migrated file, and reopening does not migrate again.
	if err := db.Update(context.Background(), put("after", "yes")); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openAt(t, path, Options{Migrations: []Migration{r.migration()}})
	if r.steps != n/64+1 {
		t.Fatalf("migration ran again on reopen (%d steps)", r.steps)
	}
	if got := string(get(t, db, "after")); got != "yes" {
		t.Fatalf("write after migration = %q", got)
	}
	err := db.View(func(tx Tx) error {
		return tx.Bucket(bucketMeta).ForEach(func(k, _ []byte) error {
			if bytes.HasPrefix(k, []byte("migration/")) {
				return fmt.Errorf("migration left meta key %s", k)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	// The binary that only knows the older schema refuses the migrated file,
	// read-write and read-only, with a message that says what happened.
	currentSchema = SchemaVersion
	for _, ro := range []bool{false, true} {
		db, err := Open(path, Options{ReadOnly: ro, LockTimeout: 100 * time.Millisecond})
		if err == nil {
			db.Close()
			t.Fatalf("ReadOnly=%v: older binary opened a newer file", ro)
		}
		want := fmt.Sprintf("written by a newer luckbox: file schema %d, this binary knows up to %d", SchemaVersion+1, SchemaVersion)
		if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), want) {
			t.Fatalf("ReadOnly=%v: err = %v, want %q", ro, err, want)
		}
	}
}

// TestMigrateFailureResumes: a migration that fails half-way leaves the file
// of the old schema with its old records intact; the next open resumes
// after the last committed step.
func TestMigrateFailureResumes(t *testing.T) {
	path := t.TempDir() + "/old.db"
	const n = 300
	fill(t, path, 0, n)
	rehearse(t)
	r := &rehearsal{chunk: 50, failAt: 4}
	if db, err := Open(path, Options{Migrations: []Migration{r.migration()}, Logger: slog.New(slog.DiscardHandler)}); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("migrate schema %d to %d: test: JSON values: disk full half-way", SchemaVersion, SchemaVersion+1)) {
		if err == nil {
			db.Close()
		}
		t.Fatalf("failing migration: err = %v", err)
	}
	if r.keys != 150 {
		t.Fatalf("converted %d keys before failing, want 150", r.keys)
	}
	currentSchema = SchemaVersion
	db := openAt(t, path, Options{ReadOnly: true})
	if v, err := db.SchemaVersion(); err != nil || v != SchemaVersion {
		t.Fatalf("schema after failed migration = %d, %v", v, err)
	}
	for _, k := range []int{0, 150, n - 1} {
		if got, want := string(get(t, db, fmt.Sprintf("k%03d", k))), fmt.Sprintf("v%d", k); got != want {
			t.Fatalf("old value k%03d after failed migration = %q, want %q", k, got, want)
		}
	}
	db.Close()
	rehearse(t)
	r.failAt = 0
	db = openAt(t, path, Options{Migrations: []Migration{r.migration()}})
	if r.keys != n {
		t.Fatalf("converted %d keys in all, want %d: the second open did not resume where the first stopped", r.keys, n)
	}
	checkRehearsed(t, db, n)
}

// TestMigrateRestartsAfterOldBinaryWrote: a file whose migration was
// interrupted is still of the old schema; if the old binary writes to it
// meanwhile, the migration starts over, so that write is migrated too.
func TestMigrateRestartsAfterOldBinaryWrote(t *testing.T) {
	path := t.TempDir() + "/old.db"
	fill(t, path, 0, 200)
	rehearse(t)
	r := &rehearsal{chunk: 50, failAt: 3}
	if db, err := Open(path, Options{Migrations: []Migration{r.migration()}, Logger: slog.New(slog.DiscardHandler)}); err == nil {
		db.Close()
		t.Fatal("failing migration succeeded")
	}
	currentSchema = SchemaVersion
	fill(t, path, 5, 1) // the old binary rewrites k005, which the failed run had converted
	if err := updateRaw(path, "k005", "changed"); err != nil {
		t.Fatal(err)
	}
	rehearse(t)
	r.failAt, r.keys = 0, 0
	db := openAt(t, path, Options{Migrations: []Migration{r.migration()}})
	if r.keys != 200 {
		t.Fatalf("converted %d keys after the old binary wrote, want all 200 again", r.keys)
	}
	var rec struct{ Value string }
	err := db.View(func(tx Tx) error { _, err := GetJSON(tx.Bucket(bucketNext), []byte("k005"), &rec); return err })
	if err != nil || rec.Value != "changed" {
		t.Fatalf("k005 after the restarted migration = %+v, %v; want the old binary's write", rec, err)
	}
}

// updateRaw sets a key of the test bucket with plain bbolt (the old binary).
func updateRaw(path, k, v string) error {
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	defer b.Close()
	return b.Update(func(tx *bolt.Tx) error { return tx.Bucket(testBucket).Put([]byte(k), []byte(v)) })
}

// TestMigrateMissingStep: a binary that knows a newer schema but has no
// migration to it refuses the file and names the missing step.
func TestMigrateMissingStep(t *testing.T) {
	path := t.TempDir() + "/old.db"
	openAt(t, path, Options{}).Close()
	rehearse(t)
	if db, err := Open(path, Options{Logger: slog.New(slog.DiscardHandler)}); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("no migration from schema %d", SchemaVersion)) {
		if err == nil {
			db.Close()
		}
		t.Fatalf("err = %v", err)
	}
}

// TestCheckSchemaCurrent: a read-only open of an older file does not
// migrate it, and CheckSchemaCurrent says so.
func TestCheckSchemaCurrent(t *testing.T) {
	path := t.TempDir() + "/old.db"
	fill(t, path, 0, 1)
	check := func() error {
		db := openAt(t, path, Options{ReadOnly: true})
		defer db.Close()
		return db.View(CheckSchemaCurrent)
	}
	if err := check(); err != nil {
		t.Fatalf("current file: %v", err)
	}
	rehearse(t)
	if err := check(); !errors.Is(err, ErrOldSchema) {
		t.Fatalf("older file: %v, want ErrOldSchema", err)
	}
}

// TestSchemaVersionForeignFile: a bbolt file that is not a luckbox database
// opens read-only but SchemaVersion says what it is.
func TestSchemaVersionForeignFile(t *testing.T) {
	path := t.TempDir() + "/foreign.db"
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("other")); return err }); err != nil {
		t.Fatal(err)
	}
	b.Close()
	db := openAt(t, path, Options{ReadOnly: true})
	if _, err := db.SchemaVersion(); !errors.Is(err, ErrNotLuckbox) {
		t.Fatalf("SchemaVersion of a foreign file: %v, want ErrNotLuckbox", err)
	}
	raw, _ := json.Marshal(rawBuckets(t, path))
	if string(raw) != `"other"` {
		t.Fatalf("read-only open changed the file: buckets %s", raw)
	}
}
