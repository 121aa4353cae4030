package cli

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"luckbox/cluster/clustertest"
	"luckbox/internal/loadgen"
)

// clusterTestEnv switches TestClusterProcesses to its full length (three
// rounds, about 35 s here); without it the test runs one round (CI).
const clusterTestEnv = "LUCKBOX_CLUSTER_TEST"

// clusterNode is one luckbox process of the cluster test.
type clusterNode struct {
	addr  string // listen address, also its advertise URL's host
	file  string // its local copy
	child *loadgen.Child
	c     *loadgen.Client
}

func (n *clusterNode) url() string { return "http://" + n.addr }

// TestClusterProcesses runs three etcd members in this process and three
// `luckbox serve --store etcd` processes, puts mixed load (grabs on shared
// packets, joins, top-up notifications, some delivered twice) spread over
// the nodes, kill -9s the writer, measures how long until writes succeed
// again, restarts it and checks that every acknowledged response is there
// exactly once and the audit passes (crashState's checks); then it stops
// an etcd member and checks again. The short version (the default) runs
// one round; LUCKBOX_CLUSTER_TEST=1 runs three (LUCKBOX_CRASH_POINTS sets
// them) and fails when writes take over 10 s to resume.
func TestClusterProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("three etcd members and three luckbox processes (-short)")
	}
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("running as a server process")
	}
	full := os.Getenv(clusterTestEnv) == "1"
	rounds := 1
	if full {
		rounds = 3
	}
	if os.Getenv("LUCKBOX_CRASH_POINTS") != "" {
		rounds = crashPoints(t)
	}
	ctx := context.Background()
	etcd := clustertest.Start(t, 3)
	endpoints := strings.Join(etcd.Endpoints(), ",")
	ec := etcd.Client()
	dir := t.TempDir()
	var logs strings.Builder
	var logMu sync.Mutex
	nodes := make([]*clusterNode, 3)
	start := func(n *clusterNode) {
		t.Helper()
		args := withArg(withArg(crashServeArgs(n.file), "--addr", n.addr), "--log-level", "info")
		args = append(args, "--store", "etcd", "--etcd-endpoints", endpoints, "--advertise-url", n.url(), "--trust-proxy")
		child, err := loadgen.StartChild(ctx, loadgen.ChildConfig{
			Path: os.Args[0], Args: []string{"-test.run=^TestCrashChild$"},
			Env:    append(os.Environ(), crashChildEnv+"="+strings.Join(args, "\x1f")),
			Stderr: lockedWriter{&logMu, &logs},
		})
		if err != nil {
			t.Fatalf("start node %s: %v", n.addr, err)
		}
		n.child = child
		t.Cleanup(func() { child.Kill() })
	}
	var clients []*loadgen.Client
	for i := range nodes {
		n := &clusterNode{addr: clustertest.FreeAddr(t), file: filepath.Join(dir, fmt.Sprintf("node%d.db", i))}
		n.c = loadgen.NewClient(n.url(), crashWorkers)
		n.c.AdminToken = crashAdminToken
		nodes[i] = n
		clients = append(clients, n.c)
		start(n)
	}
	defer func() {
		if t.Failed() {
			logMu.Lock()
			t.Logf("server logs:\n%s", logs.String())
			logMu.Unlock()
		}
	}()
	// writer is the node the election names (the one its own URL is the
	// value of the oldest key under <prefix>writer).
	writer := func() *clusterNode {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			resp, err := ec.Get(ctx, defaultEtcdPrefix+"writer", clientv3.WithPrefix(),
				clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend), clientv3.WithLimit(1))
			if err == nil && len(resp.Kvs) == 1 {
				for _, n := range nodes {
					if n.url() == string(resp.Kvs[0].Value) {
						return n
					}
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("no writer elected within 30 s")
		return nil
	}
	// resume waits until a write through a node other than down succeeds.
	resume := func(down *clusterNode, s *crashState) time.Duration {
		t.Helper()
		began := time.Now()
		for {
			for _, n := range nodes {
				if n == down {
					continue
				}
				if _, err := n.c.Call(ctx, "POST", "/api/v1/lotteries/"+s.lots[0]+"/entries", s.grabbers[0].Token, nil, nil, 200, 201); err == nil {
					s.mu.Lock()
					s.joins[0][s.grabbers[0].ID] = true
					s.mu.Unlock()
					return time.Since(began)
				}
			}
			if time.Since(began) > time.Minute {
				t.Fatal("writes did not resume within a minute of the kill")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	s := &crashState{c: writer().c, clients: clients, credited: map[string]int64{}, paid: map[string]int64{}}
	waitWritable(t, ctx, s.c)
	readYourWrites(t, ctx, nodes, writer())
	s.setup(t, ctx)
	rng := rand.New(rand.NewPCG(1, 0xc1))
	for round := range rounds {
		s.c = writer().c
		s.prepareRound(t, ctx, round)
		delay := time.Duration(200+rng.IntN(800)) * time.Millisecond
		s.timedAt = time.Now().Add(delay + 400*time.Millisecond)
		s.createTimed(t, ctx)
		victim := writer()
		var took time.Duration
		s.load(ctx, 2, round, func() {
			time.Sleep(delay)
			if err := victim.child.Kill(); err != nil {
				t.Fatal(err)
			}
			took = resume(victim, s)
		})
		t.Logf("round %d: writer %s killed after %s; writes resumed %s later (%d grabs, %d joins, %d credits acknowledged)",
			round, victim.addr, delay, took.Round(time.Millisecond), s.grabsRun.Load(), s.joinsRun.Load(), s.paidRun.Load())
		if full && took > 5*time.Second { // the lease TTL (3 s), the campaign and the catch-up
			t.Errorf("round %d: writes resumed %s after the writer was killed", round, took)
		}
		start(victim)
		s.c = writer().c
		s.verify(t, ctx, round)
		if t.Failed() {
			return
		}
	}

	// One etcd member down: a majority remains, nothing changes.
	etcd.Stop(2)
	s.c = writer().c
	s.prepareRound(t, ctx, rounds)
	s.timedAt = time.Now().Add(500 * time.Millisecond)
	s.createTimed(t, ctx)
	s.load(ctx, 2, rounds, func() { time.Sleep(time.Second) })
	s.verify(t, ctx, rounds)

	for _, n := range nodes {
		if err := n.child.Stop(time.Minute); err != nil {
			t.Errorf("graceful stop of %s: %v", n.addr, err)
		}
	}
	// Each node's local copy is a luckbox database that passes the audit.
	for _, n := range nodes {
		var out strings.Builder
		if err := Run(ctx, []string{"audit", "--data", n.file}, noEnv, &out, io.Discard); err != nil {
			t.Errorf("audit of %s's local copy: %v\n%s", n.addr, err, out.String())
		}
	}
}

// waitWritable waits until the cluster takes writes (a writer is elected
// and caught up): a login succeeds.
func waitWritable(t *testing.T, ctx context.Context, c *loadgen.Client) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := c.Login(ctx, "probe"); err == nil {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("the cluster takes no writes: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readYourWrites logs in through each follower (the login is forwarded to
// the writer) and at once reads the new session back from that follower:
// the follower answered the login only after its copy had the session.
func readYourWrites(t *testing.T, ctx context.Context, nodes []*clusterNode, writer *clusterNode) {
	t.Helper()
	for _, n := range nodes {
		if n == writer {
			continue
		}
		for i := range 20 {
			u, err := n.c.Login(ctx, fmt.Sprintf("ryw-%s-%d", strings.NewReplacer(".", "_", ":", "_").Replace(n.addr), i))
			if err != nil {
				t.Fatalf("login through follower %s: %v", n.addr, err)
			}
			if _, err := n.c.Call(ctx, "GET", "/api/v1/me", u.Token, nil, nil, 200); err != nil {
				t.Fatalf("follower %s: a session it just answered is not readable there: %v", n.addr, err)
			}
		}
	}
}
