package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"luckbox/data"
	"luckbox/lottery"
	"luckbox/web"
)

// store is the opened storage of serve: the database the services use and,
// in etcd mode, the node's place in the cluster.
type store struct {
	db *data.DB
	// leadership forwards writes to the writer (nil: one node, no forwarding).
	leadership web.Leadership
	// replica gives followers read-your-writes on forwarded writes (nil: one node).
	replica web.Replica
	// runBackground runs the scheduler, outbox and order queries: at once
	// on one node, only while this node is the writer in a cluster.
	runBackground func(ctx context.Context, work func(context.Context))
	// relayEvents, in a cluster, routes the live lottery events through
	// etcd to every node and returns the relay to run (nil: one node).
	relayEvents func(ev *lottery.Events) (run func(context.Context))
	close       func() error
}

// openStore opens the storage engine named by --store.
func openStore(ctx context.Context, cfg *serveConfig, opts data.Options, log *slog.Logger) (*store, error) {
	if cfg.Store == storeEtcd {
		return openEtcdStore(ctx, cfg, opts, log)
	}
	db, err := data.Open(cfg.Data, opts)
	if errors.Is(err, data.ErrNewerSchema) {
		return nil, fmt.Errorf("%w; run the newer luckbox binary (downgrades are not supported: to go back, restore a backup taken before the upgrade)", err)
	}
	if err != nil {
		return nil, err
	}
	return &store{db: db, runBackground: func(ctx context.Context, work func(context.Context)) { work(ctx) }, close: db.Close}, nil
}
