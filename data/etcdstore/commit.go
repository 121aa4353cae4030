package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
//
// The head's value is a token naming the batch (the term's fence revision
// and a counter), which makes an unclear outcome exact: when etcd answers
// that it lost track of the request (a leader change, a server-side
// timeout: see unclear), the same transaction is sent once more, and a
// refusal whose head holds this batch's token means an earlier attempt was
// applied. Both attempts compare the same head revision, so at most one of
// them applies.
func (s *Store) Commit(ctx context.Context, ws *data.WriteSet) (int64, error) {
	if s.cfg.Fence == nil {
		return 0, data.ErrNotWriter
	}
	fenceKey, fenceRev, ok := s.cfg.Fence.Fence()
	if !ok {
		return 0, data.ErrNotWriter
	}
	token := strconv.FormatInt(fenceRev, 10) + "." + strconv.FormatUint(s.batches.Add(1), 10)
	ops, err := s.ops(ws, token)
	if err != nil {
		return 0, err
	}
	// A big transaction takes etcd longer: 1 s more per 10,000 operations.
	timeout := s.cfg.CommitTimeout + time.Duration(len(ops)/10000)*time.Second
	var resp *clientv3.TxnResponse
	for attempt := 1; ; attempt++ {
		resp, err = s.txn(ctx, timeout, fenceKey, fenceRev, ws.Base, ops)
		if err == nil || attempt == 2 || !unclear(err) || ctx.Err() != nil {
			break
		}
		s.log.Warn("etcd commit without an answer: sending it again", "err", err)
	}
	if err != nil {
		return 0, err
	}
	if !resp.Succeeded {
		if rev, ok := appliedEarlier(resp, token); ok {
			return rev, nil
		}
		return 0, s.refused(resp, fenceKey, fenceRev, ws.Base)
	}
	return resp.Header.Revision, nil
}

// txn sends the fenced transaction once.
func (s *Store) txn(ctx context.Context, timeout time.Duration, fenceKey string, fenceRev, base int64, ops []clientv3.Op) (*clientv3.TxnResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	head := s.cfg.headKey()
	resp, err := s.cfg.Client.Txn(clientv3.WithRequireLeader(ctx)).
		If(clientv3.Compare(clientv3.CreateRevision(fenceKey), "=", fenceRev),
			clientv3.Compare(clientv3.ModRevision(head), "=", base)).
		Then(ops...).
		Else(clientv3.OpGet(fenceKey, clientv3.WithKeysOnly()), clientv3.OpGet(head)).
		Commit()
	if err != nil {
		if errors.Is(err, rpctypes.ErrTooManyOps) || errors.Is(err, rpctypes.ErrRequestTooLarge) {
			return nil, fmt.Errorf("%w: etcd: %v", data.ErrWriteSetTooLarge, err)
		}
		return nil, fmt.Errorf("etcd commit: %w", err)
	}
	return resp, nil
}

// unclear reports whether a failed request may or may not have been
// applied and is worth sending again at once: etcd lost its leader or timed
// out while the proposal was in flight, or shed it under load. Not a
// missing leader (quorum lost: fail fast) nor the client's own deadline
// (the commit timeout already passed).
func unclear(err error) bool {
	for _, e := range []error{rpctypes.ErrLeaderChanged, rpctypes.ErrTimeout, rpctypes.ErrTimeoutDueToLeaderFail,
		rpctypes.ErrTimeoutDueToConnectionLost, rpctypes.ErrTooManyRequests} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// appliedEarlier reports whether a refused transaction's head holds token:
// an earlier attempt of the same batch was applied, at the head's revision.
func appliedEarlier(resp *clientv3.TxnResponse, token string) (int64, bool) {
	if r := resp.Responses; len(r) == 2 {
		if kvs := r[1].GetResponseRange().GetKvs(); len(kvs) > 0 && string(kvs[0].Value) == token {
			return kvs[0].ModRevision, true
		}
	}
	return 0, false
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

// ops turns ws into the transaction's operations (with the head put, its
// value the batch's token),
// refusing a write set larger than etcd's limits.
func (s *Store) ops(ws *data.WriteSet, token string) ([]clientv3.Op, error) {
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
	return append(ops, clientv3.OpPut(s.cfg.headKey(), token)), nil
}
