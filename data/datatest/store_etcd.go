//go:build etcdtest

package datatest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"luckbox/data"
	"luckbox/data/etcdstore"
	"luckbox/data/etcdstore/etcdtest"
)

func init() { openEtcd = openEtcdStore }

// The test cluster's limits: etcd's --max-txn-ops and --max-request-bytes
// raised as a deployment that runs big draws and imports raises them.
const (
	maxTxnOps       = 65536
	maxRequestBytes = 32 << 20
)

// etcdCluster is the test binary's cluster, started by the first test that
// opens a database and left running until the binary exits.
var etcdCluster struct {
	once   sync.Once
	client *clientv3.Client
	err    error

	mu       sync.Mutex
	prefixes map[string]string // database path → its key space
}

// openEtcdStore opens the database at path as a node of the etcd engine,
// the writer of its own key space (a fence always held); a path opened
// again keeps its key space, so a test's restart is a node's restart.
func openEtcdStore(t testing.TB, path string, opts data.Options) (*data.DB, error) {
	c := &etcdCluster
	c.once.Do(func() {
		dir, err := os.MkdirTemp("", "luckbox-etcdtest")
		if err != nil {
			c.err = err
			return
		}
		cl, err := etcdtest.Start(dir, 3, etcdtest.Options{MaxTxnOps: maxTxnOps, MaxRequestBytes: maxRequestBytes})
		if err != nil {
			c.err = err
			return
		}
		c.client, c.err = cl.Client()
		c.prefixes = map[string]string{}
	})
	if c.err != nil {
		return nil, fmt.Errorf("etcd test cluster: %w", c.err)
	}
	c.mu.Lock()
	prefix, ok := c.prefixes[path]
	if !ok {
		prefix = fmt.Sprintf("/t/%d/", len(c.prefixes))
		c.prefixes[path] = prefix
	}
	c.mu.Unlock()
	ctx := context.Background()

	fence, err := etcdstore.StaticFence(ctx, c.client, prefix+"fence")
	if err != nil {
		return nil, err
	}
	s, err := etcdstore.Open(ctx, path, etcdstore.Config{Client: c.client, Prefix: prefix, Fence: fence,
		MaxTxnOps: maxTxnOps, MaxRequestBytes: maxRequestBytes, CommitTimeout: 20 * time.Second, Logger: opts.Logger}, opts)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { s.Close() })
	return s.DB(), nil
}
