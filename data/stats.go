package data

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// This file holds the numbers the server exports as metrics. The package
// knows nothing about Prometheus: it exposes plain stats functions
// (WriterStats, OutboxStats, DueCount, Size, Counts, SchemaVersion) and hooks
// (Options.OnCommit, Options.OnDeliver); the web layer builds the collectors.

// eventCounts are named counters that count committed domain outcomes.
type eventCounts struct {
	m sync.Map // name → *atomic.Uint64
}

func (c *eventCounts) add(name string, n uint64) {
	v, ok := c.m.Load(name)
	if !ok {
		v, _ = c.m.LoadOrStore(name, new(atomic.Uint64))
	}
	v.(*atomic.Uint64).Add(n)
}

// Count adds n to the counter name once tx commits (an operation that runs
// twice, or whose transaction fails, counts once or not at all). Domain
// packages call it inside their operation for outcomes worth a metric, e.g.
// db.Count(tx, "packet_refunds", 1); Counts reads the totals since start.
func (db *DB) Count(tx Tx, name string, n uint64) {
	tx.OnCommit(func() { db.counts.add(name, n) })
}

// Counts returns a copy of every counter of Count since the DB was opened.
func (db *DB) Counts() map[string]uint64 {
	out := map[string]uint64{}
	db.counts.m.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Uint64).Load()
		return true
	})
	return out
}

// ErrNotLuckbox is returned by SchemaVersion for a bbolt file that is not a
// luckbox database (it has no schema version).
var ErrNotLuckbox = errors.New("not a luckbox database (no schema version)")

// SchemaVersion returns the schema version recorded in the file: the version
// this binary wrote or migrated it to, or, for a file opened read-only (a
// backup), the version it was written with.
func (db *DB) SchemaVersion() (int, error) {
	v := 0
	err := db.View(func(tx Tx) error {
		m := tx.Bucket(bucketMeta)
		if m == nil || m.Get(keySchemaVersion) == nil {
			return ErrNotLuckbox
		}
		v = schemaVersion(tx)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", db.Path(), err)
	}
	return v, nil
}
