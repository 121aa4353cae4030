package lottery

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"luckbox/data"
)

// Migrations are the schema migrations of this package; pass them to
// data.Open (with Buckets).
var Migrations = []data.Migration{{From: 1, Name: "lottery: counts, one member index", Step: migrateV1}}

// v1Members is the schema-1 index lottery seq ‖ user seq → entry seq ‖
// joined_at, whose values move to bucketJoined (user ‖ lottery, which held
// no value), and which the last phase removes.
var v1Members = []byte("lottery_members")

// migrateV1 is the step of the migration from schema 1: the counts move
// from the JSON records to bucketCounts, the member values to bucketJoined,
// and lottery_members goes. Each phase only overwrites from schema-1
// records, so starting over (data.Migration) is safe; a schema-1 binary
// still reads the file until the last phase (it reads the counts from the
// records, and bucketJoined's keys only).
var migrateV1 = data.Phased(
	data.Phase{Name: 'c', Run: migrateCounts},
	data.Phase{Name: 'm', Run: migrateMembers},
	data.Phase{Name: 'v', Run: checkMembers},
	data.Phase{Name: 'd', Run: func(tx *bolt.Tx, _ []byte, _ int) ([]byte, error) {
		return nil, data.DropBuckets(tx, v1Members)
	}},
)

// migrateCounts writes each lottery's counts, from its schema-1 record.
func migrateCounts(tx *bolt.Tx, from []byte, limit int) ([]byte, error) {
	return data.Walk(tx, bucketLotteries, from, limit, func(k, v []byte) error {
		var r struct {
			Count     int    `json:"count"`
			NextEntry uint64 `json:"next_entry"`
		}
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("lottery %d: %w", data.ParseU64(k), err)
		}
		return putCounts(tx, data.ParseU64(k), &record{Count: r.Count, NextEntry: r.NextEntry})
	})
}

// migrateMembers copies the values of lottery_members into bucketJoined.
func migrateMembers(tx *bolt.Tx, from []byte, limit int) ([]byte, error) {
	joined := data.MustBucket(tx, bucketJoined)
	return data.Walk(tx, v1Members, from, limit, func(k, v []byte) error {
		if len(k) != 16 || len(v) < 16 {
			return fmt.Errorf("lottery member %x → %x is malformed", k, v)
		}
		mk := memberKey(pairSecond(k), data.ParseU64(k))
		if joined.Get(mk) == nil {
			return fmt.Errorf("lottery %d: member %d is not in the user's index", data.ParseU64(k), pairSecond(k))
		}
		return joined.Put(mk, bytes.Clone(v[:16]))
	})
}

// checkMembers checks that every entry of the user index now has its
// value: one without is an index entry of no member.
func checkMembers(tx *bolt.Tx, from []byte, limit int) ([]byte, error) {
	return data.Walk(tx, bucketJoined, from, limit, func(k, v []byte) error {
		if len(v) < 16 {
			return fmt.Errorf("user %d is in the index of lottery %d but not a member", data.ParseU64(k), pairSecond(k))
		}
		return nil
	})
}
