// Package clustertest starts real etcd clusters inside a test process
// (go.etcd.io/etcd/server/v3/embed), so cluster tests need no etcd binary.
package clustertest

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Cluster is a running in-process etcd cluster.
type Cluster struct {
	t       testing.TB
	Members []*embed.Etcd
	clients []string // client URL of each member
	stopped map[int]bool
}

// Start starts an n-member cluster on loopback ports under t.TempDir and
// stops it when the test ends.
//
// The members' ports are picked free but may be taken by another process
// before etcd binds them (test packages run in parallel), so a failed start
// is tried again on fresh ports, twice.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	var err error
	for range 3 {
		var c *Cluster
		if c, err = start(t, n); err == nil {
			t.Cleanup(c.Close)
			return c
		}
	}
	t.Fatal(err)
	return nil
}

// start makes one attempt of Start.
func start(t testing.TB, n int) (*Cluster, error) {
	t.Helper()
	c := &Cluster{t: t, stopped: map[int]bool{}}
	peers := make([]string, n)
	c.clients = make([]string, n)
	var initial []string
	for i := range n {
		peers[i] = "http://" + FreeAddr(t)
		c.clients[i] = "http://" + FreeAddr(t)
		initial = append(initial, fmt.Sprintf("m%d=%s", i, peers[i]))
	}
	dir := t.TempDir()
	ready := make([]<-chan struct{}, n)
	for i := range n {
		cfg := embed.NewConfig()
		cfg.Name = fmt.Sprintf("m%d", i)
		cfg.Dir = filepath.Join(dir, cfg.Name)
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
		cfg.UnsafeNoFsync = true // tests: speed over durability
		pu, cu := mustURL(t, peers[i]), mustURL(t, c.clients[i])
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{pu}, []url.URL{pu}
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{cu}, []url.URL{cu}
		cfg.InitialCluster = strings.Join(initial, ",")
		cfg.InitialClusterToken = "luckbox-test"
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			c.abandon()
			return nil, fmt.Errorf("start etcd member %d: %w", i, err)
		}
		c.Members = append(c.Members, e)
		ready[i] = e.Server.ReadyNotify()
	}
	for i, r := range ready {
		select {
		case <-r:
		case <-time.After(60 * time.Second):
			c.abandon()
			return nil, fmt.Errorf("etcd member %d not ready after a minute", i)
		}
	}
	return c, nil
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

// Endpoints are the client URLs of the members.
func (c *Cluster) Endpoints() []string { return append([]string(nil), c.clients...) }

// Client returns a client of the given members (all when none is named),
// closed when the test ends.
func (c *Cluster) Client(members ...int) *clientv3.Client {
	c.t.Helper()
	eps := c.clients
	if len(members) > 0 {
		eps = nil
		for _, m := range members {
			eps = append(eps, c.clients[m])
		}
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		c.t.Fatalf("etcd client: %v", err)
	}
	c.t.Cleanup(func() { cli.Close() })
	return cli
}

// Stop stops member i (the others go on; a majority keeps the cluster up).
func (c *Cluster) Stop(i int) {
	if !c.stopped[i] {
		c.stopped[i] = true
		c.Members[i].Close()
	}
}

// Close stops every member (also run at the end of the test).
func (c *Cluster) Close() {
	for i := range c.Members {
		c.Stop(i)
	}
}

// FreeAddr returns a loopback host:port nobody listens on (yet).
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func mustURL(t testing.TB, s string) url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return *u
}
