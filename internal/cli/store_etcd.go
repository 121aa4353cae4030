package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"luckbox/cluster"
	"luckbox/data"
	"luckbox/data/etcdstore"
	"luckbox/lottery"
)

// The etcd mode of serve: connect to etcd, join the writer election, open
// the etcd engine (a local bbolt copy at --data fed by a watch; commits are
// etcd transactions fenced on this node's election key), forward writes to
// the writer, and act as the writer (background work, serving writes) only
// after the local copy caught up with etcd at the start of each term.

// openEtcdStore connects, joins the election and opens the engine.
func openEtcdStore(ctx context.Context, cfg *serveConfig, opts data.Options, log *slog.Logger) (*store, error) {
	cli, err := cfg.Etcd.client(ctx)
	if err != nil {
		return nil, err
	}
	node, err := cluster.Join(ctx, cli, cfg.Etcd.Prefix, cfg.AdvertiseURL, cluster.JoinOptions{Logger: log, TTL: int(cfg.Etcd.LeaseTTL / time.Second)})
	if err != nil {
		cli.Close()
		return nil, err
	}
	ecfg := cfg.Etcd.engineConfig(cli)
	ecfg.Fence, ecfg.Logger = node, log
	engine, err := etcdstore.Open(ctx, cfg.Data, ecfg, opts)
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
		replica:    engine,
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
