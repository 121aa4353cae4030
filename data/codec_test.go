package data

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestU64(t *testing.T) {
	for _, v := range []uint64{0, 1, 255, 256, 1 << 40, math.MaxUint64} {
		b := U64(v)
		if len(b) != 8 || ParseU64(b) != v {
			t.Errorf("U64(%d) = %x, parses back to %d", v, b, ParseU64(b))
		}
	}
	if !bytes.Equal(U64(0x0102030405060708), []byte{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Error("U64 is not big-endian")
	}
	if bytes.Compare(U64(255), U64(256)) >= 0 {
		t.Error("U64 keys do not sort numerically")
	}
	if ParseU64([]byte{1, 2, 3}) != 0 || ParseU64(nil) != 0 {
		t.Error("ParseU64 of a short slice is not 0")
	}
}

func TestKey(t *testing.T) {
	a, b := []byte("ab"), []byte("c")
	k := Key(a, nil, []byte{0}, b, U64(7))
	want := []byte("ab\x00c\x00\x00\x00\x00\x00\x00\x00\x07")
	if !bytes.Equal(k, want) {
		t.Fatalf("Key = %q, want %q", k, want)
	}
	k[0] = 'X'
	if string(a) != "ab" {
		t.Error("Key aliases its first part")
	}
	if k := Key(); len(k) != 0 {
		t.Errorf("Key() = %q", k)
	}
}

func TestTimeKeyOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	times := make([]time.Time, 500)
	for i := range times {
		times[i] = base.Add(time.Duration(rng.Int64N(int64(200 * 365 * 24 * time.Hour))))
	}
	times = append(times, base, base.Add(time.Nanosecond), time.Unix(0, 0))
	byKey := slices.Clone(times)
	slices.SortFunc(byKey, func(a, b time.Time) int { return bytes.Compare(TimeKey(a), TimeKey(b)) })
	byTime := slices.Clone(times)
	slices.SortFunc(byTime, func(a, b time.Time) int { return a.Compare(b) })
	for i := range byKey {
		if !byKey[i].Equal(byTime[i]) {
			t.Fatalf("order differs at %d: key order %v, time order %v", i, byKey[i], byTime[i])
		}
	}
	for _, tm := range times {
		if got := ParseTimeKey(TimeKey(tm)); !got.Equal(tm) || got.Location() != time.UTC {
			t.Fatalf("ParseTimeKey(TimeKey(%v)) = %v", tm, got)
		}
	}
	// Another zone, same instant, same key.
	sh := base.In(time.FixedZone("CST", 8*3600))
	if !bytes.Equal(TimeKey(sh), TimeKey(base)) {
		t.Error("TimeKey depends on the location")
	}
	if old := TimeKey(time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)); ParseU64(old) != 0 {
		t.Errorf("pre-1970 TimeKey = %x, want 0", old)
	}
}

func TestJSONAndBuckets(t *testing.T) {
	db := openTest(t, Options{})
	type rec struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	err := db.Update(context.Background(), func(tx Tx) error {
		b := tx.Bucket(testBucket)
		if err := PutJSON(b, []byte("r"), rec{"alice", 3}); err != nil {
			return err
		}
		if err := b.Put([]byte("bad"), []byte("{not json")); err != nil {
			return err
		}
		nested, err := b.CreateBucketIfNotExists([]byte("inner"))
		if err != nil {
			return err
		}
		return nested.Put([]byte("x"), []byte("y"))
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(tx Tx) error {
		b := tx.Bucket(testBucket)
		var r rec
		if found, err := GetJSON(b, []byte("r"), &r); !found || err != nil || r != (rec{"alice", 3}) {
			t.Errorf("GetJSON = %+v, %v, %v", r, found, err)
		}
		if found, err := GetJSON(b, []byte("absent"), &r); found || err != nil {
			t.Errorf("GetJSON(absent) = %v, %v", found, err)
		}
		if found, err := GetJSON(b, []byte("bad"), &r); !found || err == nil {
			t.Errorf("GetJSON(bad) = %v, %v; want found with an error", found, err)
		}
		if err := PutJSON(b, []byte("fn"), func() {}); err == nil {
			t.Error("PutJSON of a func succeeded")
		}
		if v := NestedBucket(tx, testBucket, []byte("inner")).Get([]byte("x")); string(v) != "y" {
			t.Errorf("nested get = %q", v)
		}
		if NestedBucket(tx, testBucket, []byte("nope"), []byte("deeper")) != nil || NestedBucket(tx, []byte("nope")) != nil {
			t.Error("Bucket returned a missing bucket")
		}
		if MustBucket(tx, testBucket) == nil {
			t.Error("MustBucket returned nil")
		}
		return nil
	})
}
