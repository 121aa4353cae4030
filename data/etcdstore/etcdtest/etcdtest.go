// Package etcdtest starts real etcd clusters in-process (server/v3/embed)
// for tests: no etcd binary needed.
package etcdtest

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Options tune a test cluster.
type Options struct {
	// MaxTxnOps and MaxRequestBytes are the members' limits (0: etcd's
	// defaults, 128 and 1.5 MiB).
	MaxTxnOps, MaxRequestBytes uint
}

// Cluster is a running in-process etcd cluster.
type Cluster struct {
	members   []*embed.Etcd
	Endpoints []string
	opts      Options
}

// freeURL returns a localhost URL on a port free at the moment.
func freeURL() (url.URL, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return url.URL{}, err
	}
	defer l.Close()
	return url.URL{Scheme: "http", Host: l.Addr().String()}, nil
}

// Start starts an n-member cluster with its data under dir (fsync off:
// throwaway data) and waits until every member serves. The members' ports
// are picked free but may be taken by another process before etcd binds
// them (test packages run in parallel), so a failed start is tried again
// on fresh ports, twice.
func Start(dir string, n int, opts Options) (*Cluster, error) {
	c, err := start(dir, n, opts)
	for try := 1; err != nil && try < 3; try++ {
		c, err = start(filepath.Join(dir, fmt.Sprintf("retry%d", try)), n, opts)
	}
	return c, err
}

// start makes one attempt of Start.
func start(dir string, n int, opts Options) (*Cluster, error) {
	cfgs := make([]*embed.Config, n)
	var initial []string
	for i := range cfgs {
		peer, err := freeURL()
		if err != nil {
			return nil, err
		}
		client, err := freeURL()
		if err != nil {
			return nil, err
		}
		cfg := embed.NewConfig()
		cfg.Name = fmt.Sprintf("m%d", i)
		cfg.Dir = filepath.Join(dir, cfg.Name)
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
		cfg.InitialClusterToken = "luckbox-test"
		cfg.LogLevel = "error"
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
		cfg.UnsafeNoFsync = true
		cfg.TickMs, cfg.ElectionMs = 50, 500
		if opts.MaxTxnOps > 0 {
			cfg.MaxTxnOps = opts.MaxTxnOps
		}
		if opts.MaxRequestBytes > 0 {
			cfg.MaxRequestBytes = opts.MaxRequestBytes
		}
		cfgs[i] = cfg
		initial = append(initial, cfg.Name+"="+peer.String())
	}
	c := &Cluster{opts: opts}
	for _, cfg := range cfgs {
		cfg.InitialCluster = strings.Join(initial, ",")
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			c.abandon()
			return nil, fmt.Errorf("start etcd member %s: %w", cfg.Name, err)
		}
		c.members = append(c.members, e)
		c.Endpoints = append(c.Endpoints, cfg.AdvertiseClientUrls[0].String())
	}
	for _, e := range c.members {
		select {
		case <-e.Server.ReadyNotify():
		case <-time.After(30 * time.Second):
			c.abandon()
			return nil, errors.New("etcd cluster not ready after 30 s")
		}
	}
	return c, nil
}

// Client returns a client of the whole cluster (the caller closes it),
// whose messages may be as large as the members take.
func (c *Cluster) Client() (*clientv3.Client, error) {
	size := max(int(c.opts.MaxRequestBytes), 2<<20) + 1<<20
	return clientv3.New(clientv3.Config{Endpoints: c.Endpoints, DialTimeout: 5 * time.Second,
		MaxCallSendMsgSize: size, MaxCallRecvMsgSize: size, Logger: zap.NewNop()})
}

// Stop stops member i (a crashed machine).
func (c *Cluster) Stop(i int) {
	if e := c.members[i]; e != nil {
		e.Close()
		c.members[i] = nil
	}
}

// abandon stops the members of a failed start without waiting more than a
// few seconds: a member that never reached quorum may not stop at all.
func (c *Cluster) abandon() {
	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// Close stops every member.
func (c *Cluster) Close() {
	for i := range c.members {
		c.Stop(i)
	}
}
