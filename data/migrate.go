package data

import (
	"bytes"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

var keySchemaVersion = []byte("schema_version")

// Migration converts one package's records from schema From to From+1.
// Domain packages export theirs (as they export their buckets) and the
// commands pass them all in Options.Migrations; Open runs them on a file of
// an older schema before anything else touches it.
//
// A migration runs in bounded steps, each in a write transaction of its
// own, so a file with millions of records never needs one giant
// transaction (bbolt keeps every dirty page of a transaction in memory).
// Step converts up to limit records starting at cursor (nil at the start)
// and returns where to resume, nil when it is done. Open records the
// cursor in the same transaction as the step's writes, so a crash resumes
// after the last committed step.
//
// The old records stay readable until the migration's last step, which
// removes them; Open stamps the new schema version only after every
// migration of the version is done. A file whose migration was interrupted
// is still of the old schema: a binary of that schema may open it and
// write, so a resumed migration starts over (cursor nil) unless nothing
// committed since its last step. The first step (cursor nil) must
// therefore reset whatever earlier runs produced, and every step must write
// its results from the old records alone.
type Migration struct {
	From int    // the schema it migrates from
	Name string // unique among the migrations of From, e.g. "packet: accounts"
	Step func(tx Tx, cursor []byte, limit int) (next []byte, err error)
}

// DefaultMigrationBatch is the default of Options.MigrationBatch.
const DefaultMigrationBatch = 10000

// currentSchema is the version Open migrates to: SchemaVersion, raised only
// by tests that rehearse a migration to a version that does not exist yet.
var currentSchema = SchemaVersion

func schemaVersion(tx Tx) int {
	m := tx.Bucket(bucketMeta)
	if m == nil {
		return 0
	}
	return int(ParseU64(m.Get(keySchemaVersion)))
}

// stampNew records the schema of a new file; it returns the file's schema.
func stampNew(tx Tx) (int, error) {
	m := tx.Bucket(bucketMeta)
	raw := m.Get(keySchemaVersion)
	if raw == nil {
		return currentSchema, m.Put(keySchemaVersion, U64(uint64(currentSchema)))
	}
	v := int(ParseU64(raw))
	if v > currentSchema {
		return v, fmt.Errorf("%w: file schema %d, this binary knows up to %d", ErrNewerSchema, v, currentSchema)
	}
	return v, nil
}

// Meta keys of a migration in progress: its cursor and the id of the
// transaction that saved it (0x01 ‖ cursor, so an empty cursor is stored),
// and the mark of one that is done.
func progressKey(from int, name string) []byte {
	return fmt.Appendf(nil, "migration/%d/%s/cursor", from, name)
}
func doneKey(from int, name string) []byte {
	return fmt.Appendf(nil, "migration/%d/%s/done", from, name)
}

// migrate brings a file of schema v to currentSchema with the given
// migrations, one version at a time.
func (db *DB) migrate(v int, all []Migration) error {
	for ; v < currentSchema; v++ {
		var steps []Migration
		for _, m := range all {
			if m.From == v {
				steps = append(steps, m)
			}
		}
		if len(steps) == 0 {
			return fmt.Errorf("no migration from schema %d", v)
		}
		for _, m := range steps {
			if err := db.runMigration(m); err != nil {
				return fmt.Errorf("migrate schema %d to %d: %s: %w", v, v+1, m.Name, err)
			}
		}
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			meta := tx.Bucket(bucketMeta)
			for _, m := range steps {
				if err := meta.Delete(doneKey(v, m.Name)); err != nil {
					return err
				}
			}
			return meta.Put(keySchemaVersion, U64(uint64(v+1)))
		})
		if err != nil {
			return fmt.Errorf("migrate schema %d to %d: stamp: %w", v, v+1, err)
		}
		db.log.Info("database migrated", "from", v, "to", v+1)
	}
	return nil
}

// runMigration runs m's steps until it is done, each in its own
// transaction with its cursor saved, resuming an interrupted run if no
// other transaction committed since its last step.
func (db *DB) runMigration(m Migration) error {
	var cursor []byte
	var done bool
	err := db.bolt.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		done = meta.Get(doneKey(m.From, m.Name)) != nil
		if p := meta.Get(progressKey(m.From, m.Name)); len(p) >= 9 && ParseU64(p) == uint64(tx.ID()) {
			cursor = bytes.Clone(p[8:])
		}
		return nil
	})
	if err != nil || done {
		return err
	}
	steps := 0
	for first := true; first || cursor != nil; first = false {
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			if cursor != nil {
				cursor = cursor[1:] // drop the 0x01 that stores an empty cursor
			}
			t := wrapTx(tx, nil)
			defer t.release()
			next, err := runStep(m, t, cursor, db.opts.MigrationBatch)
			if err != nil {
				return err
			}
			meta := tx.Bucket(bucketMeta)
			if next == nil {
				cursor = nil
				if err := meta.Delete(progressKey(m.From, m.Name)); err != nil {
					return err
				}
				return meta.Put(doneKey(m.From, m.Name), []byte{1})
			}
			cursor = append([]byte{1}, next...)
			saved := append(U64(uint64(tx.ID())), cursor...)
			return meta.Put(progressKey(m.From, m.Name), saved)
		})
		if err != nil {
			return err
		}
		steps++
	}
	db.log.Info("migration done", "from", m.From, "migration", m.Name, "transactions", steps)
	return nil
}

// runStep runs one step, turning a panic (a malformed old record) into an error.
func runStep(m Migration, tx Tx, cursor []byte, limit int) (next []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("step panicked: %v", p)
		}
	}()
	return m.Step(tx, cursor, limit)
}

// ErrOldSchema is returned by CheckSchemaCurrent for a file of an older
// schema (opened read-only, so not migrated).
var ErrOldSchema = errors.New("database has an older schema")

// CheckSchemaCurrent returns ErrOldSchema (wrapped, with advice) when the
// file is of an older schema than this binary's: a read-only open does not
// migrate, and code that reads records must not read an old layout.
func CheckSchemaCurrent(tx Tx) error {
	if v := schemaVersion(tx); v < currentSchema {
		return fmt.Errorf("%w: file schema %d, this binary reads %d; it migrates the file when it opens it read-write (luckbox serve)", ErrOldSchema, v, currentSchema)
	}
	return nil
}

// Meta returns a copy of the meta value under key (nil if absent).
func (db *DB) Meta(key string) ([]byte, error) {
	var out []byte
	err := db.View(func(tx Tx) error {
		if v := tx.Bucket(bucketMeta).Get([]byte(key)); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}

// PutMeta sets a meta value inside a write transaction.
func PutMeta(tx Tx, key string, value []byte) error {
	return tx.Bucket(bucketMeta).Put([]byte(key), value)
}

// GetMeta reads a meta value inside a transaction (valid only inside it).
func GetMeta(tx Tx, key string) []byte {
	return tx.Bucket(bucketMeta).Get([]byte(key))
}
