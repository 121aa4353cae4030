package cli

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"sort"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// The schema fixtures are kept as text, not as database files: a dump lists
// every bucket (recursively) with its sequence and its keys and values in
// hex, and loadDump builds a bbolt file from it. What a migration reads is
// this logical content; the page layout of the file is bbolt's business.

// dumpBucket is one bucket of a dump: its sequence, its key/value pairs and
// its nested buckets, by name.
type dumpBucket struct {
	Seq     uint64                 `json:"seq,omitempty"`
	Pairs   [][2]string            `json:"pairs,omitempty"`
	Buckets map[string]*dumpBucket `json:"buckets,omitempty"`
}

// dumpFile writes the content of the database at from to the dump at to.
func dumpFile(t testing.TB, from, to string) {
	t.Helper()
	db, err := bolt.Open(from, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	root := map[string]*dumpBucket{}
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			root[hex.EncodeToString(name)] = dumpOf(b)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.MarshalIndent(root, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, append(raw, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func dumpOf(b *bolt.Bucket) *dumpBucket {
	d := &dumpBucket{Seq: b.Sequence()}
	_ = b.ForEach(func(k, v []byte) error {
		if v == nil {
			if d.Buckets == nil {
				d.Buckets = map[string]*dumpBucket{}
			}
			d.Buckets[hex.EncodeToString(k)] = dumpOf(b.Bucket(k))
			return nil
		}
		d.Pairs = append(d.Pairs, [2]string{hex.EncodeToString(k), hex.EncodeToString(v)})
		return nil
	})
	return d
}

// loadDump builds the database at to from the dump at from.
func loadDump(t testing.TB, from, to string) {
	t.Helper()
	raw, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]*dumpBucket
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatalf("%s: %v", from, err)
	}
	db, err := bolt.Open(to, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range sortedKeys(root) {
			k, err := hex.DecodeString(name)
			if err != nil {
				return err
			}
			b, err := tx.CreateBucket(k)
			if err != nil {
				return err
			}
			if err := fillBucket(b, root[name]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("load %s: %v", from, err)
	}
}

func fillBucket(b *bolt.Bucket, d *dumpBucket) error {
	for _, p := range d.Pairs {
		k, err := hex.DecodeString(p[0])
		if err != nil {
			return err
		}
		v, err := hex.DecodeString(p[1])
		if err != nil {
			return err
		}
		if err := b.Put(k, v); err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(d.Buckets) {
		k, err := hex.DecodeString(name)
		if err != nil {
			return err
		}
		nb, err := b.CreateBucket(k)
		if err != nil {
			return err
		}
		if err := fillBucket(nb, d.Buckets[name]); err != nil {
			return err
		}
	}
	return b.SetSequence(d.Seq)
}

func sortedKeys(m map[string]*dumpBucket) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestDumpRoundTrip: a file loaded from a dump dumps to the same text.
func TestDumpRoundTrip(t *testing.T) {
	dir := t.TempDir()
	loadDump(t, "testdata/schema1.kv.json", dir+"/a.db")
	dumpFile(t, dir+"/a.db", dir+"/a.kv.json")
	want, _ := os.ReadFile("testdata/schema1.kv.json")
	got, _ := os.ReadFile(dir + "/a.kv.json")
	if string(got) != string(want) {
		t.Fatal("the dump of a loaded dump differs from the dump")
	}
}
