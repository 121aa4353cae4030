package data

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"
)

// recorder is a Replicator that keeps copies of the write sets it gets
// and fails as told.
type recorder struct {
	mu   sync.Mutex
	rev  int64
	sets []*WriteSet
	revs []int64
	fail func(ws *WriteSet) error
}

func (r *recorder) Commit(_ context.Context, ws *WriteSet) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(ws); err != nil {
			return 0, err
		}
	}
	cp := &WriteSet{Base: ws.Base, Writes: slices.Clone(ws.Writes)}
	r.rev++
	r.sets, r.revs = append(r.sets, cp), append(r.revs, r.rev)
	return r.rev, nil
}

// flatten lists db's buckets, sequences and values by their write keys.
func flatten(t *testing.T, db *DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := db.Export(func(w *Write) error {
		out[string(w.AppendKey(nil))] = string(w.Value)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func dump(t *testing.T, db *DB) []string {
	t.Helper()
	d, err := db.Dump()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestWriteSetRoundTrip runs operations of every kind of write on a
// replicating database and applies the write sets it replicated to a
// second database: both end up identical. It also checks that a write set
// holds one entry per key (the final value) and records its base.
func TestWriteSetRoundTrip(t *testing.T) {
	rec := &recorder{}
	src := openTest(t, Options{Replicator: rec})
	dst := openTest(t, Options{})
	inner := []byte("inner")
	ops := []Op{
		func(tx Tx) error { // puts, an overwrite, a nested bucket, sequences
			b := tx.Bucket(testBucket)
			for _, kv := range [][2]string{{"a", "1"}, {"b", "2"}, {"a", "3"}, {"c", "4"}} {
				if err := b.Put([]byte(kv[0]), []byte(kv[1])); err != nil {
					return err
				}
			}
			if _, err := b.NextSequence(); err != nil {
				return err
			}
			nb, err := b.CreateBucketIfNotExists(inner)
			if err != nil {
				return err
			}
			if err := nb.SetSequence(7); err != nil {
				return err
			}
			deeper, err := nb.CreateBucketIfNotExists([]byte("deeper/%:"))
			if err != nil {
				return err
			}
			return deeper.Put([]byte{0, 1, 2}, []byte("bin"))
		},
		func(tx Tx) error { // a delete, a cursor delete
			b := tx.Bucket(testBucket)
			if err := b.Delete([]byte("b")); err != nil {
				return err
			}
			c := b.Cursor()
			k, _ := c.Seek([]byte("c"))
			if string(k) != "c" {
				return errors.New("no c")
			}
			return c.Delete()
		},
		func(tx Tx) error { // a bucket deleted and created again in one transaction
			b := tx.Bucket(testBucket)
			if err := b.DeleteBucket(inner); err != nil {
				return err
			}
			nb, err := b.CreateBucketIfNotExists(inner)
			if err != nil {
				return err
			}
			return nb.Put([]byte("x"), []byte("y"))
		},
		func(tx Tx) error { // a top-level bucket created and deleted
			nb, err := tx.CreateBucketIfNotExists([]byte("temp"))
			if err != nil {
				return err
			}
			if err := nb.Put([]byte("k"), []byte("v")); err != nil {
				return err
			}
			nb2, err := tx.CreateBucketIfNotExists([]byte("kept"))
			if err != nil {
				return err
			}
			if err := nb2.Put([]byte("k"), []byte("v")); err != nil {
				return err
			}
			return tx.DeleteBucket([]byte("temp"))
		},
	}
	for i, op := range ops {
		if err := src.Update(context.Background(), op); err != nil {
			t.Fatalf("op %d: %v", i, err)
		}
	}
	if len(rec.sets) != len(ops) {
		t.Fatalf("%d write sets, want %d", len(rec.sets), len(ops))
	}
	first := rec.sets[0]
	var keys []string
	for _, w := range first.Writes {
		keys = append(keys, string(w.AppendKey(nil)))
		if w.Kind == WriteValue && string(w.Key) == "a" && string(w.Value) != "3" {
			t.Errorf("a's entry holds %q, want the final value 3", w.Value)
		}
	}
	if len(keys) != len(slices.Compact(slices.Sorted(slices.Values(keys)))) {
		t.Errorf("write set has repeated keys: %q", keys)
	}
	for i, ws := range rec.sets {
		if ws.Base != int64(i) {
			t.Errorf("write set %d: base %d, want %d", i, ws.Base, i)
		}
		for _, w := range ws.Writes {
			back, err := ParseWriteKey(w.AppendKey(nil))
			if err != nil || back.Kind != w.Kind || !slices.EqualFunc(back.Bucket, w.Bucket, func(a, b []byte) bool { return string(a) == string(b) }) || string(back.Key) != string(w.Key) {
				t.Errorf("key %q parses back as %+v, %v", w.AppendKey(nil), back, err)
			}
		}
		if applied, err := dst.ApplyRemote(ws, rec.revs[i]); err != nil || !applied {
			t.Fatalf("apply %d: %v, %v", i, applied, err)
		}
	}
	if applied, err := dst.ApplyRemote(rec.sets[0], rec.revs[0]); err != nil || applied {
		t.Errorf("an old revision applied again: %v, %v", applied, err)
	}
	// As a replicated store keeps them: one key per entry, put or deleted.
	model := map[string]string{}
	for _, ws := range rec.sets {
		for _, w := range ws.Writes {
			if w.Delete {
				delete(model, string(w.AppendKey(nil)))
			} else {
				model[string(w.AppendKey(nil))] = string(w.Value)
			}
		}
	}
	want := flatten(t, src)
	for k := range flatten(t, openTest(t, Options{})) {
		delete(want, k) // what Open creates is not replicated
	}
	if !maps.Equal(model, want) {
		t.Errorf("the write sets make %q, the database holds %q", model, want)
	}
	if a, b := dump(t, src), dump(t, dst); !slices.Equal(a, b) {
		t.Errorf("copies differ:\nsource %q\ncopy   %q", a, b)
	}
	if rev, _ := dst.ReplicaRevision(); rev != rec.rev {
		t.Errorf("copy at revision %d, want %d", rev, rec.rev)
	}
}

// TestReplicatorFailure: a batch the replicator refuses commits nothing and
// its operations get unavailable; a refusal "too large" splits the batch and
// an operation too large alone gets too_large.
func TestReplicatorFailure(t *testing.T) {
	rec := &recorder{}
	db := openTest(t, Options{Replicator: rec})
	rec.fail = func(*WriteSet) error { return errors.New("no quorum") }
	if err := db.Update(context.Background(), put("a", "1")); ErrorCode(err) != EUnavailable || get(t, db, "a") != nil {
		t.Fatalf("refused batch: %v, a=%q; want unavailable and nothing written", err, get(t, db, "a"))
	}

	const limit = 3 // writes in one replicated transaction
	rec.fail = func(ws *WriteSet) error {
		if ws.Size() > limit {
			return ErrWriteSetTooLarge
		}
		return nil
	}
	release := holdWriter(t, db)
	big := func(tx Tx) error {
		for _, k := range []string{"p", "q", "r", "s"} {
			if err := tx.Bucket(testBucket).Put([]byte(k), []byte("x")); err != nil {
				return err
			}
		}
		return nil
	}
	res := submitQueued(t, db, put("b", "1"), put("c", "2"), big, put("d", "3"), put("e", "4"))
	release()
	for i, c := range res {
		err := result(t, c)
		if i == 2 {
			if ErrorCode(err) != ETooLarge {
				t.Errorf("op too large alone: %v, want too_large", err)
			}
		} else if err != nil {
			t.Errorf("op %d: %v", i, err)
		}
	}
	for _, k := range []string{"b", "c", "d", "e"} {
		if get(t, db, k) == nil {
			t.Errorf("%s not written", k)
		}
	}
	if get(t, db, "p") != nil {
		t.Error("the refused operation wrote")
	}
	for _, ws := range rec.sets {
		if ws.Size() > limit {
			t.Errorf("a write set of %d entries was committed", ws.Size())
		}
	}
}

// TestCanWrite: a node that is not the writer answers unavailable without
// running the operation.
func TestCanWrite(t *testing.T) {
	writer := false
	db := openTest(t, Options{CanWrite: func() error {
		if !writer {
			return ErrNotWriter
		}
		return nil
	}})
	ran := false
	err := db.Update(context.Background(), func(tx Tx) error { ran = true; return nil })
	if ErrorCode(err) != EUnavailable || ran {
		t.Fatalf("not the writer: %v (ran %v), want unavailable without running", err, ran)
	}
	writer = true
	if err := db.Update(context.Background(), put("a", "1")); err != nil {
		t.Fatal(err)
	}
}
