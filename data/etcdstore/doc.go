// Package etcdstore is luckbox's etcd engine: etcd is the source of truth
// and every node keeps its local bbolt file (a data.DB) as a copy fed by a
// watch, so reads everywhere stay local and fast.
//
// # Writes
//
// One node at a time is the writer (elected by the cluster package, which
// hands this package a Fence). Its group-commit writer runs each batch of
// operations against the local file, then (data.Replicator) commits the
// batch's write set to etcd as ONE transaction:
//
//	If(CreateRevision(fenceKey) == fenceRev, ModRevision(head) == base)
//	Then(put/delete every entry, put head)
//
// and only then commits the local file, recording the etcd revision in it.
// The head's value names the batch (a token), so a commit whose outcome
// etcd could not report is sent once more and settled exactly (Commit).
// The fence compare refuses a deposed writer; the head compare (head is one
// key every luckbox transaction writes, base the revision the local copy
// had when the operations read it) refuses a writer whose copy is behind.
// A refused or failed commit aborts the batch: nothing is written anywhere
// and the operations get 503 unavailable. Commits time out after
// Config.CommitTimeout (3 s), so without quorum writes fail fast while
// reads keep working from the local copy. A node that is not the writer
// refuses local writes with data.ErrNotWriter (the cluster package forwards
// HTTP writes to the writer).
//
// etcd's limits are respected: a write set larger than Config.MaxTxnOps
// operations or Config.MaxRequestBytes bytes is refused before it is sent
// (data.ErrWriteSetTooLarge) and the writer commits the batch in halves; an
// operation too large alone gets 413 too_large ("raise --max-txn-ops /
// --max-request-bytes"), never a half-written operation.
//
// # Keys
//
// Under Config.Prefix (default "/luckbox/"): "head", and one key per
// bucket, sequence and value, prefix + data.Write.AppendKey: "b/name/nested"
// (the bucket exists), "s/name" (its sequence, 8 bytes), "v/name:key" (a
// value; the key as is, bucket names escaped).
//
// # Copies
//
// Open syncs the local file: a fresh or stale file is replaced by a range
// read of the prefix at one revision (paged), a file that is merely behind
// catches up through the watch. The watch applies etcd's events grouped by
// revision (one etcd transaction = one local transaction, data.DB.ApplyRemote)
// and the local file records the revision it reflects; a watch that falls
// behind etcd's compaction syncs again from a range read.
//
// # API
//
//	type Fence interface { Fence() (key string, createRevision int64, ok bool) }
//	type Config struct { Client *clientv3.Client; Prefix string; Fence Fence;
//		MaxTxnOps, MaxRequestBytes int; CommitTimeout time.Duration; Logger *slog.Logger }
//	func Open(ctx context.Context, path string, cfg Config, opts data.Options) (*Store, error)
//	func (s *Store) DB() *data.DB
//	func (s *Store) Revision() int64
//	func (s *Store) WaitRevision(ctx context.Context, rev int64) error
//	func (s *Store) Close() error
//	func CopyIn(ctx context.Context, src *data.DB, cfg Config) (rev int64, err error)
//	func CopyOut(ctx context.Context, cfg Config, dst *data.DB) (rev int64, err error)
//	func StaticFence(ctx context.Context, c *clientv3.Client, key string) (Fence, error)
//
// A new writer calls WaitRevision with etcd's current revision before it
// writes (the head compare refuses it otherwise). CopyIn and CopyOut are
// for `luckbox migrate` (and a consistent backup at one revision).
package etcdstore
