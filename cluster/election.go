package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// SessionTTL is the lease TTL of a node's election session, in seconds: a
// writer that dies (or loses etcd) is replaced about this long after its
// last keep-alive.
const SessionTTL = 3

// electionName is the key prefix, under the cluster prefix, of the writer election.
const electionName = "writer"

// Node is this process's membership of the writer election. It campaigns
// for as long as it lives: when it wins, it is the writer and Fence names
// its election key; when its session's lease ends (expired, revoked, etcd
// unreachable for a TTL) it stops being the writer at once and campaigns
// again with a fresh session.
type Node struct {
	client *clientv3.Client
	prefix string
	url    string
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}

	mu        sync.Mutex
	leader    bool
	key       string // election key while leader
	rev       int64  // its create revision
	leaderURL string // advertise URL of the current writer ("" unknown)
	changed   chan struct{}
	session   *concurrency.Session
	election  *concurrency.Election
}

// JoinOptions tune Join; the zero value is the production setting.
type JoinOptions struct {
	Logger *slog.Logger
	TTL    int // session lease TTL in seconds (default SessionTTL)
}

// Join enters the writer election under prefix (e.g. "/luckbox/") with
// this node's advertise URL as its value, and keeps campaigning until
// Close. It returns once the first session is created.
func Join(ctx context.Context, client *clientv3.Client, prefix, advertiseURL string, opts JoinOptions) (*Node, error) {
	if advertiseURL == "" {
		return nil, errors.New("join the writer election: empty advertise URL")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.TTL <= 0 {
		opts.TTL = SessionTTL
	}
	n := &Node{client: client, prefix: prefix, url: advertiseURL, log: opts.Logger, done: make(chan struct{}), changed: make(chan struct{})}
	// The sessions live until Close, not until ctx ends: a server shutting
	// down stays the writer while its last requests commit, then resigns.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s, err := concurrency.NewSession(client, concurrency.WithTTL(opts.TTL), concurrency.WithContext(runCtx))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("join the writer election: %w", err)
	}
	n.cancel = cancel
	go n.run(runCtx, s, opts.TTL)
	return n, nil
}

// run campaigns with session s until it ends, then with fresh sessions,
// until ctx ends.
func (n *Node) run(ctx context.Context, s *concurrency.Session, ttl int) {
	defer close(n.done)
	for {
		n.campaign(ctx, s)
		s.Close() // revokes the lease if it still exists; no-op otherwise
		if ctx.Err() != nil {
			return
		}
		for {
			var err error
			s, err = concurrency.NewSession(n.client, concurrency.WithTTL(ttl), concurrency.WithContext(ctx))
			if err == nil {
				break
			}
			n.log.Warn("writer election: new session failed; retrying", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}
}

// campaign runs one session: it observes who leads, campaigns, and returns
// when the session ends or ctx ends.
func (n *Node) campaign(ctx context.Context, s *concurrency.Session) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	e := concurrency.NewElection(s, n.prefix+electionName)
	n.mu.Lock()
	n.session, n.election = s, e
	n.mu.Unlock()
	go n.observe(sctx, e)
	won := make(chan error, 1)
	go func() { won <- e.Campaign(sctx, n.url) }()
	select {
	case <-s.Done():
		n.setLeader(false, "", 0)
		n.log.Warn("writer election: session lost; not the writer")
		return
	case <-ctx.Done():
		// Campaign ends with sctx and resigns its own attempt; wait for it
		// so the two never use the election at once.
		<-won
		n.resign(e)
		return
	case err := <-won:
		if err != nil {
			if ctx.Err() == nil {
				n.log.Warn("writer election: campaign failed", "err", err)
			}
			return
		}
	}
	n.setLeader(true, e.Key(), e.Rev())
	n.log.Info("writer election: this node is the writer", "key", e.Key(), "revision", e.Rev())
	select {
	case <-s.Done():
		n.setLeader(false, "", 0)
		n.log.Warn("writer election: session lost; not the writer any more")
	case <-ctx.Done():
		n.resign(e)
	}
}

// resign gives up leadership on Close so another node takes over at once
// rather than after the lease TTL.
func (n *Node) resign(e *concurrency.Election) {
	n.setLeader(false, "", 0)
	rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := e.Resign(rctx); err != nil {
		n.log.Warn("writer election: resign failed; the lease expires instead", "err", err)
	}
}

// observe follows the election's current leader value (its advertise URL).
func (n *Node) observe(ctx context.Context, e *concurrency.Election) {
	for resp := range e.Observe(ctx) {
		url := ""
		if len(resp.Kvs) > 0 {
			url = string(resp.Kvs[0].Value)
		}
		n.mu.Lock()
		if n.leaderURL != url {
			n.leaderURL = url
			n.notifyLocked()
		}
		n.mu.Unlock()
	}
}

func (n *Node) setLeader(leader bool, key string, rev int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.leader == leader && n.key == key && n.rev == rev {
		return
	}
	n.leader, n.key, n.rev = leader, key, rev
	switch {
	case leader:
		n.leaderURL = n.url
	case n.leaderURL == n.url:
		n.leaderURL = "" // unknown until the election names the next writer
	}
	n.notifyLocked()
}

// notifyLocked wakes everyone waiting on Changed (n.mu held).
func (n *Node) notifyLocked() {
	close(n.changed)
	n.changed = make(chan struct{})
}

// Fence returns the election key and its create revision while this node
// is the writer: every commit of the etcd engine compares them, so a
// deposed writer's commits fail. ok is false when this node is not the writer.
func (n *Node) Fence() (key string, createRevision int64, ok bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.key, n.rev, n.leader
}

// IsLeader reports whether this node is the writer now.
func (n *Node) IsLeader() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.leader
}

// LeaderURL is the advertise URL of the current writer ("" when none is
// known); this node's own while it is the writer.
func (n *Node) LeaderURL() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.leaderURL
}

// AdvertiseURL is this node's own advertise URL.
func (n *Node) AdvertiseURL() string { return n.url }

// Changed returns a channel closed at the next change of leadership or of
// the known writer's URL; call it again after each wake-up.
func (n *Node) Changed() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.changed
}

// Close resigns (another node takes over at once), ends the session and
// stops campaigning.
func (n *Node) Close() error {
	n.cancel()
	<-n.done
	return nil
}
