package lottery

import (
	"bytes"
	"encoding/json"
	"fmt"

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
	data.Phase{Name: 'd', Run: func(tx data.Tx, _ []byte, _ int) ([]byte, error) {
		return nil, data.DropBuckets(tx, v1Members)
	}},
)

// migrateCounts writes each lottery's counts, from its schema-1 record.
func migrateCounts(tx data.Tx, from []byte, limit int) ([]byte, error) {
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

// migrateMembers gives each entry of bucketJoined its value from
// lottery_members, walking bucketJoined in order (so a step rewrites a few
// neighbouring pages, not one page per member); an entry with no member is
// an error.
func migrateMembers(tx data.Tx, from []byte, limit int) ([]byte, error) {
	members, joined := tx.Bucket(v1Members), data.MustBucket(tx, bucketJoined)
	type kv struct{ k, v []byte }
	var chunk []kv // written after the walk: a cursor must not see its bucket change
	next, err := data.Walk(tx, bucketJoined, from, limit, func(k, v []byte) error {
		if len(k) != 16 {
			return fmt.Errorf("lottery index key %x is malformed", k)
		}
		if len(v) >= 16 {
			return nil // set by an earlier, interrupted run: a membership's value never changes
		}
		var mv []byte
		if members != nil {
			mv = members.Get(data.Key(k[8:16], k[:8]))
		}
		if len(mv) < 16 {
			return fmt.Errorf("user %d is in the index of lottery %d but not a member", data.ParseU64(k), pairSecond(k))
		}
		chunk = append(chunk, kv{bytes.Clone(k), bytes.Clone(mv[:16])})
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, e := range chunk {
		if err := joined.Put(e.k, e.v); err != nil {
			return nil, err
		}
	}
	return next, nil
}

// checkMembers checks that every schema-1 member is in bucketJoined with
// its value.
func checkMembers(tx data.Tx, from []byte, limit int) ([]byte, error) {
	joined := data.MustBucket(tx, bucketJoined)
	return data.Walk(tx, v1Members, from, limit, func(k, v []byte) error {
		if len(k) != 16 || len(v) < 16 || !bytes.Equal(joined.Get(memberKey(pairSecond(k), data.ParseU64(k))), v[:16]) {
			return fmt.Errorf("lottery %d: member %d is not in the user's index", data.ParseU64(k), pairSecond(k))
		}
		return nil
	})
}
