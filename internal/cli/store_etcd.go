package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	clientv3 "go.etcd.io/etcd/client/v3"

	"luckbox/cluster"
	"luckbox/data"
	"luckbox/lottery"
)

// The etcd mode of serve: connect to etcd, join the writer election, open
// the etcd engine (a local bbolt copy at --data fed by a watch; commits are
// etcd transactions fenced on this node's election key), forward writes to
// the writer, and act as the writer (background work, serving writes) only
// after the local copy caught up with etcd at the start of each term.

// errEtcdNotBuilt is the answer of the engine's call sites until the etcd
// engine (package data/etcdstore) is part of this binary.
var errEtcdNotBuilt = errors.New("--store etcd: the etcd storage engine is not built into this binary yet (package data/etcdstore); use --store bbolt")

// etcdEngine is what serve needs of an opened etcdstore.Store.
type etcdEngine interface {
	DB() *data.DB
	// Revision is the etcd revision the local copy has applied.
	Revision() int64
	// WaitRevision returns once the local copy applied rev.
	WaitRevision(ctx context.Context, rev int64) error
	Close() error
}

// etcdEngineConfig mirrors etcdstore.Config.
type etcdEngineConfig struct {
	Client          *clientv3.Client
	Prefix          string
	Fence           interface{ Fence() (string, int64, bool) }
	MaxTxnOps       int
	MaxRequestBytes int
}

// openEtcdEngine is the one call site of etcdstore.Open (a variable so the
// wiring test can run the cluster side over a stand-in engine).
//
// MERGE: replace the body with
//
//	return etcdstore.Open(ctx, path, etcdstore.Config{Client: cfg.Client, Prefix: cfg.Prefix,
//		Fence: cfg.Fence, MaxTxnOps: cfg.MaxTxnOps, MaxRequestBytes: cfg.MaxRequestBytes}, opts)
var openEtcdEngine = func(ctx context.Context, path string, cfg etcdEngineConfig, opts data.Options) (etcdEngine, error) {
	_, _, _, _ = ctx, path, cfg, opts
	return nil, errEtcdNotBuilt
}

// openEtcdStore connects, joins the election and opens the engine.
func openEtcdStore(ctx context.Context, cfg *serveConfig, opts data.Options, log *slog.Logger) (*store, error) {
	cli, err := cfg.Etcd.client(ctx)
	if err != nil {
		return nil, err
	}
	node, err := cluster.Join(ctx, cli, cfg.Etcd.Prefix, cfg.AdvertiseURL, cluster.JoinOptions{Logger: log})
	if err != nil {
		cli.Close()
		return nil, err
	}
	engine, err := openEtcdEngine(ctx, cfg.Data, etcdEngineConfig{
		Client: cli, Prefix: cfg.Etcd.Prefix, Fence: node,
		MaxTxnOps: cfg.Etcd.MaxTxnOps, MaxRequestBytes: cfg.Etcd.MaxRequestBytes,
	}, opts)
	if err != nil {
		node.Close()
		cli.Close()
		return nil, fmt.Errorf("open the etcd engine: %w", err)
	}
	gate := cluster.NewGate(node)
	// catchUp starts a term: the local copy applies everything etcd holds
	// now (every commit of earlier writers), then writes are let in.
	catchUp := func(ctx context.Context, term int64) error {
		resp, err := cli.Get(ctx, cfg.Etcd.Prefix, clientv3.WithCountOnly())
		if err != nil {
			return fmt.Errorf("read etcd's revision: %w", err)
		}
		if err := engine.WaitRevision(ctx, resp.Header.Revision); err != nil {
			return fmt.Errorf("catch up to revision %d: %w", resp.Header.Revision, err)
		}
		gate.Open(term)
		log.Info("acting as the writer", "term", term, "revision", engine.Revision())
		return nil
	}
	return &store{
		db:         engine.DB(),
		leadership: gate,
		runBackground: func(ctx context.Context, work func(context.Context)) {
			cluster.WhileLeader(ctx, node, log, catchUp, work)
		},
		relayEvents: func(ev *lottery.Events) func(context.Context) {
			r := cluster.NewEventRelay(cli, cfg.Etcd.Prefix, func(seq uint64, name string, data json.RawMessage) {
				ev.Deliver(seq, lottery.Event{Name: name, Data: data})
			}, log)
			ev.SetRelay(func(seq uint64, e lottery.Event) { r.Publish(seq, e.Name, e.Data) })
			return r.Run
		},
		close: func() error {
			err := engine.Close()
			node.Close() // resigns: another node takes over at once
			cli.Close()
			return err
		},
	}, nil
}
