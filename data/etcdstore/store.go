package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"luckbox/data"
)

// Fence is the writer's proof of leadership (the cluster package implements
// it with etcd's election): the election key this node holds and its create
// revision, ok false when this node is not the writer.
type Fence interface {
	Fence() (key string, createRevision int64, ok bool)
}

// Config configures the etcd engine.
type Config struct {
	// Client is the etcd client (the caller owns and closes it). Its
	// MaxCallSendMsgSize must exceed MaxRequestBytes (the client's default
	// is 2 MiB).
	Client *clientv3.Client
	// Prefix is where luckbox's keys live (default DefaultPrefix).
	Prefix string
	// Fence proves this node is the writer; nil: this node never writes.
	Fence Fence
	// MaxTxnOps is the most operations one etcd transaction may hold:
	// etcd's --max-txn-ops (default 128, etcd's default).
	MaxTxnOps int
	// MaxRequestBytes is the largest request etcd takes: etcd's
	// --max-request-bytes (default 1.5 MiB, etcd's default).
	MaxRequestBytes int
	// CommitTimeout bounds one commit to etcd (default 3 s, plus 1 s per
	// 10,000 operations of a big one): without quorum writes fail after it
	// with 503.
	CommitTimeout time.Duration
	// Logger receives the engine's warnings; nil: slog.Default().
	Logger *slog.Logger
}

// Defaults of Config.
const (
	DefaultPrefix          = "/luckbox/"
	DefaultMaxTxnOps       = 128
	DefaultMaxRequestBytes = 1536 * 1024
	DefaultCommitTimeout   = 3 * time.Second
)

func (c *Config) defaults() error {
	if c.Client == nil {
		return errors.New("etcd store: no client")
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.MaxTxnOps <= 0 {
		c.MaxTxnOps = DefaultMaxTxnOps
	}
	if c.MaxRequestBytes <= 0 {
		c.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if c.CommitTimeout <= 0 {
		c.CommitTimeout = DefaultCommitTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

func (c *Config) headKey() string { return c.Prefix + "head" }

// Store is one node's copy of the etcd store: a data.DB whose writes go to
// etcd first, kept current by a watch.
type Store struct {
	cfg    Config
	db     *data.DB
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{} // closed when the watch loop ended

	rev     atomic.Int64  // the etcd revision the local copy is current at
	batches atomic.Uint64 // batches committed: the head token's counter
	mu      sync.Mutex
	changed chan struct{} // closed and replaced when rev moves
}

// Open opens (creating if needed) the local copy at path, syncs it from
// etcd, starts the watch that keeps it current and returns once the copy is
// current at etcd's revision of the moment. opts are data.Open's; the
// engine sets their Replicator and CanWrite.
func Open(ctx context.Context, path string, cfg Config, opts data.Options) (*Store, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	s := &Store{cfg: cfg, log: cfg.Logger, done: make(chan struct{}), changed: make(chan struct{})}
	opts.Replicator = s
	opts.CanWrite = s.canWrite
	db, err := data.Open(path, opts)
	if err != nil {
		return nil, err
	}
	s.db = db
	from, err := s.start(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	wctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.watch(wctx, from)
	go func() { // the copy closed directly (not through Close): stop watching
		select {
		case <-db.Done():
			cancel()
		case <-wctx.Done():
		}
	}()
	if err := s.catchUp(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// DB is the local copy: read it, and submit operations to it (on the writer).
func (s *Store) DB() *data.DB { return s.db }

// Revision is the etcd revision the local copy is known to be current at.
func (s *Store) Revision() int64 { return s.rev.Load() }

// CommittedRevision is the etcd revision the local file reflects, read
// from the file itself: on the writer it includes the batch it just
// committed, before the watch reports that batch back (web.Replica).
func (s *Store) CommittedRevision() int64 {
	rev, err := s.db.ReplicaRevision()
	if err != nil {
		return s.Revision()
	}
	return max(rev, s.Revision())
}

func (s *Store) setRevision(rev int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rev <= s.rev.Load() {
		return
	}
	s.rev.Store(rev)
	close(s.changed)
	s.changed = make(chan struct{})
}

// WaitRevision waits until the local copy is current at etcd revision rev
// (a new writer calls it with etcd's current revision before writing).
func (s *Store) WaitRevision(ctx context.Context, rev int64) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if s.rev.Load() >= rev {
			return nil
		}
		// Ask for a progress notification: the watch then reports the
		// revision it has reached even if no luckbox key changed since.
		_ = s.cfg.Client.RequestProgress(clientv3.WithRequireLeader(ctx))
		select {
		case <-ch:
		case <-time.After(100 * time.Millisecond):
		case <-s.done:
			return errors.New("etcd store closed")
		case <-ctx.Done():
			return fmt.Errorf("wait for revision %d (at %d): %w", rev, s.rev.Load(), ctx.Err())
		}
	}
}

// catchUp waits until the copy is current at etcd's present revision.
func (s *Store) catchUp(ctx context.Context) error {
	resp, err := s.cfg.Client.Get(ctx, s.cfg.headKey())
	if err != nil {
		return fmt.Errorf("etcd store: read revision: %w", err)
	}
	return s.WaitRevision(ctx, resp.Header.Revision)
}

// canWrite is the data.Options.CanWrite of a node: only the fence holder.
func (s *Store) canWrite() error {
	if s.cfg.Fence == nil {
		return data.ErrNotWriter
	}
	if _, _, ok := s.cfg.Fence.Fence(); !ok {
		return data.ErrNotWriter
	}
	return nil
}

// Close stops the watch and closes the local copy (its writer drains
// first). The etcd client stays open.
func (s *Store) Close() error {
	s.cancel()
	<-s.done
	return s.db.Close()
}
