// Package data is luckbox's storage engine: a bbolt file opened with the
// settings the server needs, a group-commit writer that runs many operations
// in one durable write transaction, read views, sequences, key and value
// codecs, public identifiers, a scheduler of due work, an outbox of effects to
// deliver after commit, idempotency records, hot backups, and schema
// migrations in bounded, resumable steps (migrate.go).
//
// It knows nothing about lotteries, money or users: domain packages build on it.
package data
