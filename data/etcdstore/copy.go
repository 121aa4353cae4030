package etcdstore

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"luckbox/data"
)

// CopyIn copies the database src (every bucket, sequence and value) into
// etcd under cfg.Prefix, in transactions within cfg's limits, and returns
// the revision of the last. The prefix must hold no luckbox data; a writer
// appearing meanwhile makes it fail (each transaction is fenced on the
// previous one's head).
func CopyIn(ctx context.Context, src *data.DB, cfg Config) (int64, error) {
	if err := cfg.defaults(); err != nil {
		return 0, err
	}
	c := cfg.Client
	resp, err := c.Get(ctx, cfg.Prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithLimit(syncPage))
	if err != nil {
		return 0, fmt.Errorf("copy in: read %s: %w", cfg.Prefix, err)
	}
	for _, kv := range resp.Kvs {
		if _, ok := cfg.parse(kv.Key); ok || string(kv.Key) == cfg.headKey() {
			return 0, fmt.Errorf("copy in: etcd already holds luckbox data under %s", cfg.Prefix)
		}
	}
	var ops []clientv3.Op
	var head int64
	size := requestOverhead
	flush := func() error {
		if len(ops) == 0 {
			return nil
		}
		r, err := c.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(cfg.headKey()), "=", head)).
			Then(append(ops, clientv3.OpPut(cfg.headKey(), ""))...).Commit()
		if err != nil {
			return fmt.Errorf("copy in: %w", err)
		}
		if !r.Succeeded {
			return fmt.Errorf("copy in: another writer changed %s meanwhile", cfg.Prefix)
		}
		head, ops, size = r.Header.Revision, ops[:0], requestOverhead
		return nil
	}
	var key []byte
	err = src.Export(func(w *data.Write) error {
		key = w.AppendKey(append(key[:0], cfg.Prefix...))
		n := len(key) + len(w.Value) + opOverhead
		if requestOverhead+n > cfg.MaxRequestBytes {
			return fmt.Errorf("copy in: %s is %d bytes, more than etcd takes (raise --max-request-bytes)", key, n)
		}
		if len(ops)+2 > cfg.MaxTxnOps || size+n > cfg.MaxRequestBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		ops = append(ops, clientv3.OpPut(string(key), string(w.Value)))
		size += n
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return 0, err
	}
	return head, nil
}

// CopyOut replaces the content of dst (a local database, e.g. a new file
// for `luckbox migrate` back to bbolt or a backup) by etcd's under
// cfg.Prefix at one revision, which it returns.
func CopyOut(ctx context.Context, cfg Config, dst *data.DB) (int64, error) {
	if err := cfg.defaults(); err != nil {
		return 0, err
	}
	return resync(ctx, &cfg, dst)
}
