package cluster

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"luckbox/cluster/clustertest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// joinAll joins one node per member, each through its own client.
func joinAll(t *testing.T, c *clustertest.Cluster) ([]*Node, []*clientv3.Client) {
	t.Helper()
	var nodes []*Node
	var clients []*clientv3.Client
	for i := range c.Members {
		cli := c.Client(i)
		n, err := Join(context.Background(), cli, "/luckbox/", fmt.Sprintf("http://node%d", i), JoinOptions{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		nodes = append(nodes, n)
		clients = append(clients, cli)
	}
	return nodes, clients
}

// theLeader returns the index of the one leader, or -1 when there is none
// or more than one.
func theLeader(nodes []*Node) int {
	at := -1
	for i, n := range nodes {
		if n == nil || !n.IsLeader() {
			continue
		}
		if at >= 0 {
			return -1
		}
		at = i
	}
	return at
}

func TestElectionOneLeaderFailoverAndFence(t *testing.T) {
	c := clustertest.Start(t, 3)
	nodes, clients := joinAll(t, c)
	waitFor(t, "one leader", func() bool { return theLeader(nodes) >= 0 })
	first := theLeader(nodes)
	key1, rev1, ok := nodes[first].Fence()
	if !ok || key1 == "" || rev1 == 0 {
		t.Fatalf("leader's fence = %q %d %v", key1, rev1, ok)
	}
	for i, n := range nodes {
		if i == first {
			continue
		}
		if _, _, ok := n.Fence(); ok {
			t.Fatalf("follower %d has a fence", i)
		}
		waitFor(t, "followers know the leader", func() bool { return n.LeaderURL() == nodes[first].AdvertiseURL() })
	}

	// The leader's session ends (its lease is revoked, as when it expires):
	// it is not the leader any more and another node takes over.
	changed := nodes[first].Changed()
	nodes[first].mu.Lock()
	lease := nodes[first].session.Lease()
	nodes[first].mu.Unlock()
	revoked := time.Now()
	if _, err := clients[(first+1)%3].Revoke(context.Background(), lease); err != nil {
		t.Fatal(err)
	}
	<-changed
	waitFor(t, "a new leader", func() bool { l := theLeader(nodes); return l >= 0 && l != first })
	t.Logf("a new leader %s after the leader's lease was revoked", time.Since(revoked).Round(time.Millisecond))
	second := theLeader(nodes)
	key2, rev2, _ := nodes[second].Fence()
	if key2 == key1 || rev2 <= rev1 {
		t.Fatalf("fence after failover = %q %d, before %q %d: want a new key with a later revision", key2, rev2, key1, rev1)
	}
	// The first node campaigns again with a fresh session, as a follower.
	waitFor(t, "old leader follows", func() bool { return nodes[first].LeaderURL() == nodes[second].AdvertiseURL() })

	// The leader is cut off without resigning (the etcd member its client
	// talks to stops; closing the client would revoke the lease on the
	// way): the lease expires after the TTL and a third node leads.
	crashed := time.Now()
	c.Stop(second)
	waitFor(t, "failover after the lease expires", func() bool {
		for i, n := range nodes {
			if i != second && n.IsLeader() {
				return true
			}
		}
		return false
	})
	t.Logf("a new leader %s after the leader was cut off (lease TTL %d s)", time.Since(crashed).Round(time.Millisecond), SessionTTL)
	waitFor(t, "the cut-off leader knows it is not the leader", func() bool { return !nodes[second].IsLeader() })
	nodes[second].Close()
	nodes[second] = nil
	waitFor(t, "one leader after the crash", func() bool { return theLeader(nodes) >= 0 })
	third := theLeader(nodes)
	if _, rev3, _ := nodes[third].Fence(); rev3 <= rev2 {
		t.Fatalf("fence revision %d after the second failover, want > %d", rev3, rev2)
	}
}

func TestElectionCloseResigns(t *testing.T) {
	c := clustertest.Start(t, 1)
	cli := c.Client()
	a, err := Join(context.Background(), cli, "/p/", "http://a", JoinOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a leads", a.IsLeader)
	gate := NewGate(a)
	if gate.IsLeader() || gate.LeaderURL() != "http://a" {
		t.Fatal("a closed gate lets writes in")
	}
	_, term, _ := a.Fence()
	gate.Open(term)
	if !gate.IsLeader() {
		t.Fatal("the gate opened for the term does not let writes in")
	}
	b, err := Join(context.Background(), cli, "/p/", "http://b", JoinOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	waitFor(t, "b knows a", func() bool { return b.LeaderURL() == "http://a" })
	a.Close() // resigns: b takes over without waiting for a's lease
	if a.IsLeader() || gate.IsLeader() {
		t.Fatal("a still leads after Close")
	}
	waitFor(t, "b leads", b.IsLeader)
}

// The context of Join only bounds joining: the node stays in the election
// (and the writer) after it ends, until Close.
func TestElectionOutlivesJoinContext(t *testing.T) {
	c := clustertest.Start(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := Join(ctx, c.Client(), "/p/", "http://a", JoinOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	waitFor(t, "a leads", a.IsLeader)
	changed := a.Changed()
	cancel()
	select {
	case <-changed:
		t.Fatal("leadership changed when the join context ended")
	case <-time.After(time.Second): // can only pass wrongly, never fail wrongly
	}
	if !a.IsLeader() {
		t.Fatal("not the leader after the join context ended")
	}
}
