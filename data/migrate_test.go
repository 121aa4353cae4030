package data

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// rehearseSchema makes this binary "know" schema v with the given migration
// from v-1, until the test ends.
func rehearseSchema(t *testing.T, v int, step func(tx *bolt.Tx) error) {
	t.Helper()
	savedV, saved, had := currentSchema, migrations[v-1], migrations[v-1] != nil
	currentSchema, migrations[v-1] = v, step
	t.Cleanup(func() {
		currentSchema = savedV
		if had {
			migrations[v-1] = saved
		} else {
			delete(migrations, v-1)
		}
	})
}

var bucketV2Index = []byte("test_v2_index")

// v1ToV2 is a rehearsal migration with a real layout change: values of the
// test bucket become JSON objects, and a new index bucket maps each value
// back to its key.
func v1ToV2(runs *int) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		*runs++
		b := tx.Bucket(testBucket)
		idx, err := tx.CreateBucket(bucketV2Index)
		if err != nil {
			return fmt.Errorf("create index: %w", err)
		}
		type kv struct{ k, v []byte }
		var all []kv
		if err := b.ForEach(func(k, v []byte) error {
			all = append(all, kv{append([]byte(nil), k...), append([]byte(nil), v...)})
			return nil
		}); err != nil {
			return err
		}
		for _, e := range all {
			if err := PutJSON(b, e.k, map[string]string{"value": string(e.v)}); err != nil {
				return err
			}
			if err := idx.Put(e.v, e.k); err != nil {
				return err
			}
		}
		return nil
	}
}

// TestMigrateOldFileOnOpen builds a file with the current binary (schema 1:
// plain values), then opens it with a binary that knows schema 2 (JSON
// values plus an index bucket): Open migrates it once, in one transaction,
// and the migrated file works; the schema-1 binary then refuses it.
func TestMigrateOldFileOnOpen(t *testing.T) {
	path := t.TempDir() + "/old.db"
	old := openAt(t, path, Options{})
	const n = 500
	for i := range n {
		if err := old.Update(context.Background(), put(fmt.Sprintf("k%03d", i), fmt.Sprintf("v%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := old.SchemaVersion(); err != nil || v != SchemaVersion {
		t.Fatalf("old file schema = %d, %v; want %d", v, err, SchemaVersion)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	var runs int
	rehearseSchema(t, SchemaVersion+1, v1ToV2(&runs))
	db := openAt(t, path, Options{})
	if runs != 1 {
		t.Fatalf("migration ran %d times, want 1", runs)
	}
	if v, err := db.SchemaVersion(); err != nil || v != SchemaVersion+1 {
		t.Fatalf("migrated schema = %d, %v; want %d", v, err, SchemaVersion+1)
	}
	err := db.View(func(tx *bolt.Tx) error {
		b, idx := tx.Bucket(testBucket), tx.Bucket(bucketV2Index)
		if idx == nil {
			return errors.New("index bucket missing")
		}
		if got := idx.Stats().KeyN; got != n {
			return fmt.Errorf("index has %d keys, want %d", got, n)
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
	// The writer works on the migrated file, and reopening does not migrate again.
	if err := db.Update(context.Background(), put("after", "yes")); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openAt(t, path, Options{})
	if runs != 1 {
		t.Fatalf("migration ran again on reopen (%d runs)", runs)
	}
	if got := string(get(t, db, "after")); got != "yes" {
		t.Fatalf("write after migration = %q", got)
	}
	db.Close()

	// The binary that only knows schema 1 refuses the migrated file, read-write
	// and read-only, with a message that says what happened.
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

// TestMigrateFailureKeepsOldFile: a migration that fails half-way leaves the
// file exactly as it was (the migration runs in the opening transaction).
func TestMigrateFailureKeepsOldFile(t *testing.T) {
	path := t.TempDir() + "/old.db"
	old := openAt(t, path, Options{})
	if err := old.Update(context.Background(), put("k", "plain")); err != nil {
		t.Fatal(err)
	}
	old.Close()

	var runs int
	rehearseSchema(t, SchemaVersion+1, func(tx *bolt.Tx) error {
		if err := v1ToV2(&runs)(tx); err != nil {
			return err
		}
		return errors.New("disk full half-way")
	})
	if db, err := Open(path, Options{}); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("migrate schema %d to %d: disk full half-way", SchemaVersion, SchemaVersion+1)) {
		if err == nil {
			db.Close()
		}
		t.Fatalf("failing migration: err = %v", err)
	}
	currentSchema = SchemaVersion
	db := openAt(t, path, Options{ReadOnly: true})
	if v, err := db.SchemaVersion(); err != nil || v != SchemaVersion {
		t.Fatalf("schema after failed migration = %d, %v", v, err)
	}
	if got := string(get(t, db, "k")); got != "plain" {
		t.Fatalf("value after failed migration = %q, want plain", got)
	}
	if strings.Contains(rawBuckets(t, path), string(bucketV2Index)) {
		t.Fatal("failed migration left its index bucket")
	}
}

// TestMigrateMissingStep: a binary two versions ahead with a gap in its
// migrations refuses the file and names the missing step.
func TestMigrateMissingStep(t *testing.T) {
	path := t.TempDir() + "/old.db"
	openAt(t, path, Options{}).Close()
	var runs int
	rehearseSchema(t, SchemaVersion+1, v1ToV2(&runs))
	rehearseSchema(t, SchemaVersion+2, nil)
	delete(migrations, SchemaVersion+1)
	if db, err := Open(path, Options{}); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("no migration from schema %d", SchemaVersion+1)) {
		if err == nil {
			db.Close()
		}
		t.Fatalf("err = %v", err)
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
