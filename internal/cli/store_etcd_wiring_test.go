package cli

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"luckbox/cluster/clustertest"
)

// wiringNode is one in-process `luckbox serve --store etcd` (the real
// engine on a one-member embedded etcd).
type wiringNode struct {
	url  string
	stop context.CancelFunc
	done chan error
}

// writerGauge reads luckbox_cluster_writer from the node's metrics (-1 if
// it is not there).
func (n *wiringNode) writerGauge(t *testing.T) int {
	t.Helper()
	res, err := http.Get(n.url + "/metrics")
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "luckbox_cluster_writer "); ok {
			if v == "1" {
				return 1
			}
			return 0
		}
	}
	return -1
}

func TestServeEtcdWiring(t *testing.T) {
	etcd := clustertest.Start(t, 1)
	endpoints := strings.Join(etcd.Endpoints(), ",")
	startNode := func(name string) *wiringNode {
		n := &wiringNode{done: make(chan error, 1)}
		addr := clustertest.FreeAddr(t)
		n.url = "http://" + addr
		file := filepath.Join(t.TempDir(), name+".db")
		ctx, cancel := context.WithCancel(context.Background())
		n.stop = cancel
		args := []string{"serve", "--addr", addr, "--data", file, "--store", "etcd",
			"--etcd-endpoints", endpoints, "--advertise-url", n.url, "--trust-proxy",
			"--admin-token", strings.Repeat("w", 32), "--log-level", "error", "--shutdown-grace", "2s"}
		go func() { n.done <- Run(ctx, args, noEnv, io.Discard, io.Discard) }()
		deadline := time.Now().Add(30 * time.Second)
		for n.writerGauge(t) < 0 {
			select {
			case err := <-n.done:
				t.Fatalf("node %s stopped: %v", name, err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s does not answer", name)
			}
			time.Sleep(20 * time.Millisecond)
		}
		return n
	}
	a := startNode("a")
	b := startNode("b")
	defer func() {
		for _, n := range []*wiringNode{a, b} {
			n.stop()
			<-n.done
		}
	}()
	var writer, follower *wiringNode
	deadline := time.Now().Add(30 * time.Second)
	for writer == nil {
		ga, gb := a.writerGauge(t), b.writerGauge(t)
		switch {
		case ga == 1 && gb == 0:
			writer, follower = a, b
		case gb == 1 && ga == 0:
			writer, follower = b, a
		case ga == 1 && gb == 1:
			t.Fatal("two writers")
		}
		if time.Now().After(deadline) {
			t.Fatal("no writer after 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A demo login and a paid top-up through the follower happen on the
	// writer: the fake WeChat, the login, the order and the notification.
	token, _ := demoLogin(t, follower.url, "alice")
	topUp(t, follower.url, token, 321)
	if got := balanceOf(t, writer.url, token); got != 321 {
		t.Fatalf("balance on the writer %d, want 321", got)
	}
	// The follower's local copy gets the session and the money by watch.
	for {
		var w struct{ Balance int64 }
		if call(t, "GET", follower.url+"/api/v1/wallet", token, nil, &w) == 200 && w.Balance == 321 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the follower's copy does not show the top-up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The writer stops: it resigns and the other node takes over.
	writer.stop()
	if err := <-writer.done; err != nil {
		t.Fatalf("writer stop: %v", err)
	}
	writer.stop = func() {}
	writer.done <- nil
	for follower.writerGauge(t) != 1 {
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatal("no failover after the writer stopped")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The new writer took over from etcd's state: alice's money is there
	// and writes go on, now served by the node itself.
	topUp(t, follower.url, token, 9)
	if got := balanceOf(t, follower.url, token); got != 330 {
		t.Fatalf("alice's balance after failover %d, want 330", got)
	}
	token, _ = demoLogin(t, follower.url, "bob")
	if got := balanceOf(t, follower.url, token); got != 0 {
		t.Fatalf("bob's balance %d", got)
	}
}
