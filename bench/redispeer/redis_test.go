package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testRedis is the redis-server the tests share (started on first use).
var testRedis struct {
	once sync.Once
	cmd  *exec.Cmd
	addr string
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testRedis.cmd != nil {
		testRedis.cmd.Process.Kill()
		testRedis.cmd.Wait()
		os.RemoveAll(testRedis.dir)
	}
	os.Exit(code)
}

// startTestRedis starts redis-server as the benchmark does (append-only
// file fsynced on every write, no snapshots) on a free loopback port.
func startTestRedis() (string, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	if testRedis.dir, err = os.MkdirTemp("", "redispeer-test-"); err != nil {
		return "", err
	}
	testRedis.cmd = exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", testRedis.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no")
	if err := testRedis.cmd.Start(); err != nil {
		return "", err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		if c.Ping(context.Background()).Err() == nil {
			return addr, nil
		}
	}
	return "", fmt.Errorf("redis-server on %s did not answer PING in 10 s", addr)
}

// newTestStore returns a store on an empty database of the shared
// redis-server. Without redis-server on PATH the test is skipped (and fails
// in CI, which installs it).
func newTestStore(t *testing.T, lim Limits) *Store {
	t.Helper()
	testRedis.once.Do(func() { testRedis.addr, testRedis.err = startTestRedis() })
	if testRedis.err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis-server is needed in CI: %v", testRedis.err)
		}
		t.Skipf("SKIPPED: no usable redis-server (apt-get install -y redis-server): %v", testRedis.err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: testRedis.addr, PoolSize: 64})
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.FlushAll(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	if lim == (Limits{}) {
		lim = Limits{MaxCount: 1000, MaxAmount: 1_000_000, TopupMax: 1_000_000}
	}
	return NewStore(rdb, lim)
}

// fund tops user's wallet up by amount through a paid order.
func fund(t *testing.T, s *Store, user string, amount int64) {
	t.Helper()
	ctx := context.Background()
	no, err := s.CreateTopup(ctx, user, amount)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Pay(ctx, no); err != nil {
		t.Fatal(err)
	}
}

// mustAudit fails the test unless the audit passes.
func mustAudit(t *testing.T, s *Store) {
	t.Helper()
	a, err := s.Audit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !a.OK {
		t.Fatalf("audit failed: %+v", a.Checks)
	}
}
