package lottery

import (
	"bytes"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"luckbox/data"
)

// Migrations are the schema migrations of this package; pass them to
// data.Open (with Buckets).
var Migrations = []data.Migration{{From: 1, Name: "lottery: one member index", Step: migrateV1}}

// v1Members is the schema-1 index lottery seq ‖ user seq → entry seq ‖
// joined_at, whose values move to bucketJoined (user ‖ lottery, which held
// no value), and which the last step removes.
var v1Members = []byte("lottery_members")

// migrateV1 copies limit values of lottery_members at a time into
// bucketJoined, starting at cursor (a key of lottery_members), then removes
// lottery_members. Each step only overwrites values of bucketJoined from
// lottery_members, so starting over (data.Migration) is safe; a schema-1
// binary reads bucketJoined's keys only.
func migrateV1(tx *bolt.Tx, cursor []byte, limit int) ([]byte, error) {
	members := tx.Bucket(v1Members)
	if members == nil {
		return nil, nil
	}
	joined := data.MustBucket(tx, bucketJoined)
	c := members.Cursor()
	k, v := c.First()
	if cursor != nil {
		k, v = c.Seek(cursor)
	}
	for n := 0; k != nil; k, v = c.Next() {
		if n == limit {
			return bytes.Clone(k), nil
		}
		if len(k) != 16 || len(v) < 16 {
			return nil, fmt.Errorf("lottery member %x → %x is malformed", k, v)
		}
		mk := memberKey(pairSecond(k), data.ParseU64(k))
		if joined.Get(mk) == nil {
			return nil, fmt.Errorf("lottery %d: member %d is not in the user's index", data.ParseU64(k), pairSecond(k))
		}
		if err := joined.Put(mk, bytes.Clone(v[:16])); err != nil {
			return nil, err
		}
		n++
	}
	// Every entry of the user index now has its value; one without is
	// an index entry of no member.
	err := joined.ForEach(func(k, v []byte) error {
		if len(v) < 16 {
			return fmt.Errorf("user %d is in the index of lottery %d but not a member", data.ParseU64(k), pairSecond(k))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := tx.DeleteBucket(v1Members); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
		return nil, err
	}
	return nil, nil
}
