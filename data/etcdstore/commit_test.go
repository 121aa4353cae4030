package etcdstore

import (
	"strconv"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"luckbox/data"
)

// TestUnclearCommitSettledByToken: when an attempt of a batch was applied
// but its answer lost (etcd reported a leader change or a timeout), the
// next attempt is refused by the head compare; the head holding this
// batch's token makes that a success at the applied revision, not a 503.
// A head holding another token is still "behind".
func TestUnclearCommitSettledByToken(t *testing.T) {
	cl := client(t, cluster)
	cfg := Config{Client: cl, Prefix: prefix(t), Fence: fence(t, cl)}
	w := node(t, cfg, "")
	if err := w.DB().Update(ctx, put("a", "1")); err != nil {
		t.Fatal(err)
	}
	head := w.cfg.headKey()
	resp, err := cl.Get(ctx, head)
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("head: %v %v", resp, err)
	}
	base := resp.Kvs[0].ModRevision
	ws := &data.WriteSet{Base: base, Writes: []data.Write{{Kind: data.WriteValue, Bucket: [][]byte{bucket}, Key: []byte("b"), Value: []byte("2")}}}
	_, fenceRev, _ := w.cfg.Fence.Fence()

	// Another batch got in first: refused as behind.
	if _, err := cl.Put(ctx, head, "someone-else"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(ctx, ws); err != errBehind {
		t.Fatalf("commit after another batch: %v, want errBehind", err)
	}

	// This batch's first attempt was applied; the answer was lost.
	resp, _ = cl.Get(ctx, head)
	ws.Base = resp.Kvs[0].ModRevision
	token := strconv.FormatInt(fenceRev, 10) + "." + strconv.FormatUint(w.batches.Load()+1, 10)
	key := string(ws.Writes[0].AppendKey([]byte(cfg.Prefix)))
	applied, err := cl.Txn(ctx).Then(clientv3.OpPut(key, "2"), clientv3.OpPut(head, token)).Commit()
	if err != nil {
		t.Fatal(err)
	}
	rev, err := w.Commit(ctx, ws)
	if err != nil || rev != applied.Header.Revision {
		t.Fatalf("commit of an applied batch: revision %d, %v; want %d, nil", rev, err, applied.Header.Revision)
	}
}
