package data

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

var keySchemaVersion = []byte("schema_version")

// migrations[v] upgrades a file from schema v to v+1, inside the same write
// transaction that opens the file. Append to it when the layout changes and
// raise SchemaVersion.
var migrations = map[int]func(tx *bolt.Tx) error{}

// currentSchema is the version Open migrates to: SchemaVersion, raised only
// by tests that rehearse a migration to a version that does not exist yet.
var currentSchema = SchemaVersion

func schemaVersion(tx *bolt.Tx) int {
	m := tx.Bucket(bucketMeta)
	if m == nil {
		return 0
	}
	return int(ParseU64(m.Get(keySchemaVersion)))
}

// migrate brings the file to SchemaVersion (currentSchema). A new file is
// stamped directly.
func migrate(tx *bolt.Tx) error {
	m := tx.Bucket(bucketMeta)
	raw := m.Get(keySchemaVersion)
	if raw == nil {
		return m.Put(keySchemaVersion, U64(uint64(currentSchema)))
	}
	v := int(ParseU64(raw))
	if v > currentSchema {
		return fmt.Errorf("%w: file schema %d, this binary knows up to %d", ErrNewerSchema, v, currentSchema)
	}
	for ; v < currentSchema; v++ {
		step, ok := migrations[v]
		if !ok {
			return fmt.Errorf("no migration from schema %d", v)
		}
		if err := step(tx); err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", v, v+1, err)
		}
	}
	return m.Put(keySchemaVersion, U64(uint64(currentSchema)))
}

// Meta returns a copy of the meta value under key (nil if absent).
func (db *DB) Meta(key string) ([]byte, error) {
	var out []byte
	err := db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get([]byte(key)); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}

// PutMeta sets a meta value inside a write transaction.
func PutMeta(tx *bolt.Tx, key string, value []byte) error {
	return tx.Bucket(bucketMeta).Put([]byte(key), value)
}

// GetMeta reads a meta value inside a transaction (valid only inside it).
func GetMeta(tx *bolt.Tx, key string) []byte {
	return tx.Bucket(bucketMeta).Get([]byte(key))
}
