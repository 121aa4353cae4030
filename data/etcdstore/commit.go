package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"luckbox/data"
)

// errDeposed answers the batches of a writer whose fence etcd refused.
var errDeposed = &data.Error{Code: data.EUnavailable, Message: "this node is no longer the writer: retry"}

// errBehind answers the batches of a writer whose local copy is behind etcd.
var errBehind = &data.Error{Code: data.EUnavailable, Message: "the writer is catching up with the cluster: retry"}

// requestOverhead is what one etcd request costs beyond its keys and
// values (header, compares, framing), and opOverhead what one put or
// delete costs: a conservative estimate, so a request never exceeds
// --max-request-bytes.
const (
	requestOverhead = 4096
	opOverhead      = 32
)

// Commit is the data.Replicator of the writer: it commits ws to etcd as one
// transaction fenced on the writer's election key and on the head revision
// the local copy had, and returns the transaction's revision.
func (s *Store) Commit(ctx context.Context, ws *data.WriteSet) (int64, error) {
	if s.cfg.Fence == nil {
		return 0, data.ErrNotWriter
	}
	fenceKey, fenceRev, ok := s.cfg.Fence.Fence()
	if !ok {
		return 0, data.ErrNotWriter
	}
	ops, err := s.ops(ws)
	if err != nil {
		return 0, err
	}
	head := s.cfg.headKey()
	// A big transaction takes etcd longer: 1 s more per 10,000 operations.
	timeout := s.cfg.CommitTimeout + time.Duration(len(ops)/10000)*time.Second
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := s.cfg.Client.Txn(clientv3.WithRequireLeader(ctx)).
		If(clientv3.Compare(clientv3.CreateRevision(fenceKey), "=", fenceRev),
			clientv3.Compare(clientv3.ModRevision(head), "=", ws.Base)).
		Then(ops...).
		Else(clientv3.OpGet(fenceKey, clientv3.WithKeysOnly()), clientv3.OpGet(head, clientv3.WithKeysOnly())).
		Commit()
	if err != nil {
		if errors.Is(err, rpctypes.ErrTooManyOps) || errors.Is(err, rpctypes.ErrRequestTooLarge) {
			return 0, fmt.Errorf("%w: etcd: %v", data.ErrWriteSetTooLarge, err)
		}
		return 0, fmt.Errorf("etcd commit: %w", err)
	}
	if !resp.Succeeded {
		return 0, s.refused(resp, fenceKey, fenceRev, ws.Base)
	}
	return resp.Header.Revision, nil
}

// refused explains a transaction whose compares failed.
func (s *Store) refused(resp *clientv3.TxnResponse, fenceKey string, fenceRev, base int64) error {
	var fenceNow, headNow int64
	if r := resp.Responses; len(r) == 2 {
		if kvs := r[0].GetResponseRange().GetKvs(); len(kvs) > 0 {
			fenceNow = kvs[0].CreateRevision
		}
		if kvs := r[1].GetResponseRange().GetKvs(); len(kvs) > 0 {
			headNow = kvs[0].ModRevision
		}
	}
	if fenceNow != fenceRev {
		s.log.Warn("etcd refused a commit: fence lost", "fence", fenceKey, "held", fenceRev, "now", fenceNow)
		return errDeposed
	}
	s.log.Warn("etcd refused a commit: local copy behind", "base", base, "head", headNow)
	return errBehind
}

// ops turns ws into the transaction's operations (with the head put),
// refusing a write set larger than etcd's limits.
func (s *Store) ops(ws *data.WriteSet) ([]clientv3.Op, error) {
	n := len(ws.Writes) + 1
	if n > s.cfg.MaxTxnOps {
		return nil, fmt.Errorf("%w: %d operations, etcd takes %d (--max-txn-ops)", data.ErrWriteSetTooLarge, n, s.cfg.MaxTxnOps)
	}
	ops := make([]clientv3.Op, 0, n)
	size := requestOverhead
	var key []byte
	for i := range ws.Writes {
		w := &ws.Writes[i]
		key = w.AppendKey(append(key[:0], s.cfg.Prefix...))
		size += len(key) + len(w.Value) + opOverhead
		if w.Delete {
			ops = append(ops, clientv3.OpDelete(string(key)))
		} else {
			ops = append(ops, clientv3.OpPut(string(key), string(w.Value)))
		}
	}
	if size > s.cfg.MaxRequestBytes {
		return nil, fmt.Errorf("%w: about %d bytes, etcd takes %d (--max-request-bytes)", data.ErrWriteSetTooLarge, size, s.cfg.MaxRequestBytes)
	}
	return append(ops, clientv3.OpPut(s.cfg.headKey(), "")), nil
}
