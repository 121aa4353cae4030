package etcdstore

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"luckbox/data"
	"luckbox/data/etcdstore/etcdtest"
)

// cluster is the three-member etcd cluster the tests share (each test
// under its own prefix).
var cluster *etcdtest.Cluster

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "etcdstore")
	if err != nil {
		panic(err)
	}
	cluster, err = etcdtest.Start(dir, 3, etcdtest.Options{})
	if err != nil {
		panic(err)
	}
	code := m.Run()
	cluster.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

var ctx = context.Background()

var bucket = []byte("t")

func client(t testing.TB, c *etcdtest.Cluster) *clientv3.Client {
	t.Helper()
	cl, err := c.Client()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// prefix is the test's own key space.
func prefix(t testing.TB) string { return "/test/" + t.Name() + "/" }

// node opens a node's copy at path (a new one if path is empty).
func node(t testing.TB, cfg Config, path string) *Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "node.db")
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	s, err := Open(ctx, path, cfg, data.Options{Buckets: [][]byte{bucket}, NoSync: true, Logger: cfg.Logger})
	if err != nil {
		t.Fatalf("open node: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func fence(t testing.TB, cl *clientv3.Client) Fence {
	t.Helper()
	f, err := StaticFence(ctx, cl, prefix(t)+"fence")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func put(k, v string) data.Op {
	return func(tx data.Tx) error { return tx.Bucket(bucket).Put([]byte(k), []byte(v)) }
}

func get(t testing.TB, db *data.DB, k string) string {
	t.Helper()
	var v string
	if err := db.View(func(tx data.Tx) error { v = string(tx.Bucket(bucket).Get([]byte(k))); return nil }); err != nil {
		t.Fatal(err)
	}
	return v
}

func dump(t testing.TB, db *data.DB) []string {
	t.Helper()
	d, err := db.Dump()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// converge waits until b's copy has what a has.
func converge(t testing.TB, a, b *Store) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := a.cfg.Client.Get(c, "any")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Store{a, b} {
		if err := s.WaitRevision(c, resp.Header.Revision); err != nil {
			t.Fatal(err)
		}
	}
	if x, y := dump(t, a.DB()), dump(t, b.DB()); !slices.Equal(x, y) {
		t.Fatalf("copies differ:\nwriter %q\nnode   %q", x, y)
	}
}

// dataKeys counts the luckbox data keys under the test's prefix in etcd.
func dataKeys(t testing.TB, cl *clientv3.Client) int {
	t.Helper()
	resp, err := cl.Get(ctx, prefix(t), clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, kv := range resp.Kvs {
		if rest := strings.TrimPrefix(string(kv.Key), prefix(t)); len(rest) > 1 && rest[1] == '/' {
			n++
		}
	}
	return n
}

// TestReplication: the writer's write sets reach etcd and a second node's
// copy by watch (every kind of write); the second node refuses writes; a
// node restarted catches up; a node opened later syncs by range read.
func TestReplication(t *testing.T) {
	cl := client(t, cluster)
	cfg := Config{Client: cl, Prefix: prefix(t)}
	wcfg := cfg
	wcfg.Fence = fence(t, cl)
	w := node(t, wcfg, "")
	rpath := filepath.Join(t.TempDir(), "reader.db")
	r := node(t, cfg, rpath)

	ops := []data.Op{
		put("a", "1"),
		func(tx data.Tx) error {
			b := tx.Bucket(bucket)
			if _, err := b.NextSequence(); err != nil {
				return err
			}
			nb, err := b.CreateBucketIfNotExists([]byte("in/ner"))
			if err != nil {
				return err
			}
			return nb.Put([]byte{0, 0xff}, []byte("x"))
		},
		func(tx data.Tx) error { return tx.Bucket(bucket).Delete([]byte("a")) },
		func(tx data.Tx) error { return tx.Bucket(bucket).DeleteBucket([]byte("in/ner")) },
		put("b", "2"),
	}
	for i, op := range ops {
		if err := w.DB().Update(ctx, op); err != nil {
			t.Fatalf("op %d: %v", i, err)
		}
		converge(t, w, r)
	}
	if n := dataKeys(t, cl); n != 2 { // the sequence of t and b
		t.Errorf("%d data keys in etcd, want 2", n)
	}
	if err := r.DB().Update(ctx, put("c", "3")); data.ErrorCode(err) != data.EUnavailable || get(t, r.DB(), "c") != "" {
		t.Errorf("a write on a node that is not the writer: %v, want unavailable and nothing written", err)
	}

	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := w.DB().Update(ctx, put(fmt.Sprint("later", i), "x")); err != nil {
			t.Fatal(err)
		}
	}
	r = node(t, cfg, rpath) // restarted: catches up through the watch
	converge(t, w, r)
	converge(t, w, node(t, cfg, "")) // a new node: a range read
}

// TestFencing: a writer whose fence etcd no longer has (another writer was
// elected) cannot commit: its operation gets 503 and nothing is written,
// in etcd or locally.
func TestFencing(t *testing.T) {
	cl := client(t, cluster)
	cfg := Config{Client: cl, Prefix: prefix(t), Fence: fence(t, cl)}
	w := node(t, cfg, "")
	if err := w.DB().Update(ctx, put("a", "1")); err != nil {
		t.Fatal(err)
	}
	before := dataKeys(t, cl)
	// Depose the writer: its election key is gone and a new one exists.
	if _, err := cl.Delete(ctx, prefix(t)+"fence"); err != nil {
		t.Fatal(err)
	}
	fence(t, cl)
	err := w.DB().Update(ctx, put("b", "2"))
	if data.ErrorCode(err) != data.EUnavailable {
		t.Fatalf("commit with a stale fence: %v, want unavailable", err)
	}
	if get(t, w.DB(), "b") != "" || dataKeys(t, cl) != before {
		t.Fatal("a deposed writer's write was saved")
	}
}

// TestLimits: a batch too large for one etcd transaction (etcd's limit of
// 128 operations; the client configured higher, so etcd itself refuses)
// commits in smaller groups; an operation too large alone is refused with
// too_large and nothing of it is written.
func TestLimits(t *testing.T) {
	cl := client(t, cluster)
	cfg := Config{Client: cl, Prefix: prefix(t), Fence: fence(t, cl), MaxTxnOps: 10000}
	w := node(t, cfg, "")
	db := w.DB()

	// Hold the writer so the next operations queue into one batch.
	running, gate := make(chan struct{}), make(chan struct{})
	go func() { _ = db.Update(ctx, func(data.Tx) error { close(running); <-gate; return nil }) }()
	<-running
	const n = 100 // 2 keys each: 200 operations in the batch
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = db.Update(ctx, func(tx data.Tx) error {
				b := tx.Bucket(bucket)
				if err := b.Put(fmt.Appendf(nil, "k%03d", i), []byte("v")); err != nil {
					return err
				}
				return b.Put(fmt.Appendf(nil, "j%03d", i), []byte("v"))
			})
		})
	}
	for db.WriterStats().QueueDepth < n {
		time.Sleep(time.Millisecond)
	}
	close(gate)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("op %d of the big batch: %v", i, err)
		}
	}
	if got := dataKeys(t, cl); got != 2*n {
		t.Fatalf("%d keys in etcd, want %d", got, 2*n)
	}

	big := func(tx data.Tx) error {
		for i := range 300 {
			if err := tx.Bucket(bucket).Put(fmt.Appendf(nil, "big%03d", i), []byte("v")); err != nil {
				return err
			}
		}
		return nil
	}
	err := db.Update(ctx, big)
	if data.ErrorCode(err) != data.ETooLarge || !strings.Contains(err.Error(), "--max-txn-ops") {
		t.Fatalf("an operation of 300 writes: %v, want too_large naming the setting", err)
	}
	huge := put("huge", strings.Repeat("x", 2<<20)) // over --max-request-bytes
	if err := db.Update(ctx, huge); data.ErrorCode(err) != data.ETooLarge {
		t.Fatalf("a 2 MiB value: %v, want too_large", err)
	}
	if got := dataKeys(t, cl); got != 2*n || get(t, db, "big000") != "" || get(t, db, "huge") != "" {
		t.Fatalf("a refused operation left writes behind (%d keys in etcd)", got)
	}
}

// TestCopyInOut: a bbolt database copied into etcd is what a node syncs,
// and copied out again it is the same database.
func TestCopyInOut(t *testing.T) {
	cl := client(t, cluster)
	opts := data.Options{Buckets: [][]byte{bucket}, NoSync: true, Logger: slog.New(slog.DiscardHandler)}
	src, err := data.Open(filepath.Join(t.TempDir(), "src.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	err = src.Update(ctx, func(tx data.Tx) error {
		b := tx.Bucket(bucket)
		for i := range 500 {
			if err := b.Put(fmt.Appendf(nil, "k%04d", i), []byte("v")); err != nil {
				return err
			}
		}
		nb, err := b.CreateBucketIfNotExists([]byte("nested"))
		if err != nil {
			return err
		}
		return nb.SetSequence(42)
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Client: cl, Prefix: prefix(t)}
	if _, err := CopyIn(ctx, src, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := CopyIn(ctx, src, cfg); err == nil {
		t.Fatal("a second copy into the same prefix was accepted")
	}
	n := node(t, cfg, "")
	if x, y := dump(t, src), dump(t, n.DB()); !slices.Equal(x, y) {
		t.Fatalf("copied in:\nsource %q\nnode   %q", x, y)
	}
	out, err := data.Open(filepath.Join(t.TempDir(), "out.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := CopyOut(ctx, cfg, out); err != nil {
		t.Fatal(err)
	}
	if x, y := dump(t, src), dump(t, out); !slices.Equal(x, y) {
		t.Fatalf("copied out:\nsource %q\ncopy   %q", x, y)
	}
}

// TestQuorumLoss: with two of three members down a write fails with 503
// (after the commit timeout, not hanging) and nothing is written; reads
// of the local copy keep working.
func TestQuorumLoss(t *testing.T) {
	c, err := etcdtest.Start(t.TempDir(), 3, etcdtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl := client(t, c)
	cfg := Config{Client: cl, Prefix: prefix(t), Fence: fence(t, cl), CommitTimeout: time.Second}
	w := node(t, cfg, "")
	if err := w.DB().Update(ctx, put("a", "1")); err != nil {
		t.Fatal(err)
	}
	c.Stop(1)
	c.Stop(2)
	start := time.Now()
	err = w.DB().Update(ctx, put("b", "2"))
	if data.ErrorCode(err) != data.EUnavailable {
		t.Fatalf("write without quorum: %v, want unavailable", err)
	}
	t.Logf("write without quorum failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if get(t, w.DB(), "a") != "1" || get(t, w.DB(), "b") != "" {
		t.Fatal("reads without quorum: wrong local copy")
	}
	start = time.Now()
	w.Close()
	t.Logf("node closed in %v", time.Since(start))
	start = time.Now()
	c.Close()
	t.Logf("cluster closed in %v", time.Since(start))
}
