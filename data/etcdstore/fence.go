package etcdstore

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// staticFence is a fence that is always held.
type staticFence struct {
	key string
	rev int64
}

func (f staticFence) Fence() (string, int64, bool) { return f.key, f.rev, true }

// StaticFence creates key if it does not exist and returns a fence on it
// that is always held: for tests and a deployment with one fixed writer.
// Deleting the key (or creating it again) deposes every holder.
func StaticFence(ctx context.Context, c *clientv3.Client, key string) (Fence, error) {
	_, err := c.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, "")).Commit()
	if err != nil {
		return nil, fmt.Errorf("fence %s: %w", key, err)
	}
	resp, err := c.Get(ctx, key)
	if err != nil || len(resp.Kvs) == 0 {
		return nil, fmt.Errorf("fence %s: read: %v", key, err)
	}
	return staticFence{key: key, rev: resp.Kvs[0].CreateRevision}, nil
}
