package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"luckbox/internal/loadgen"
)

// asLuckboxEnv makes the test binary behave as the luckbox binary (for the
// servers `luckbox bench` starts by re-executing itself).
const asLuckboxEnv = "CLI_TEST_RUN_AS_LUCKBOX"

func TestMain(m *testing.M) {
	if os.Getenv(asLuckboxEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
		stop()
		if err != nil && !IsHelp(err) {
			fmt.Fprintln(os.Stderr, "luckbox:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestBenchPeerSmoke runs `luckbox bench --peer redis` end to end, tiny and
// for one round: it builds bench/redispeer, starts redis-server, luckbox and
// the peer, and every check of both sides must pass. It needs go and
// redis-server, so it runs only with LUCKBOX_PEER_SMOKE=1 (CI sets it).
func TestBenchPeerSmoke(t *testing.T) {
	if os.Getenv("LUCKBOX_PEER_SMOKE") != "1" {
		t.Skip("SKIPPED: set LUCKBOX_PEER_SMOKE=1 to run `luckbox bench --peer redis` end to end (needs go and redis-server)")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("LUCKBOX_PEER_SMOKE=1 but no redis-server on PATH (apt-get install -y redis-server)")
	}
	t.Setenv(asLuckboxEnv, "1")
	// The servers' logs go to log from their own goroutines.
	var out bytes.Buffer
	var log syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	err := Run(ctx, []string{"bench", "--peer", "redis", "--rounds", "1", "--concurrency", "4", "--duration", "300ms",
		"--rate-cap", "300", "--hot-packets", "2", "--hot-shares", "30", "--spread-packets", "10",
		"--storm-users", "20", "--storm-packets", "3", "--storm-shares", "5"}, noEnv, &out, &log)
	if err != nil {
		t.Fatalf("bench --peer: %v\nstdout:\n%s\nstderr:\n%s", err, &out, &log)
	}
	report := out.String()
	for _, want := range []string{
		"vs the redis peer", "luckbox/peer",
		"redis peer, storm (4 clients): 15 grabs won, 45 rejected as exhausted",
		"luckbox, storm (4 clients): 15 grabs won, 45 rejected as exhausted",
		"redis peer, grab-spread (4 clients): 10 packets hold exactly the",
		"redis peer, grab-hot (4 clients):",
		"wallets hold exactly what their grabs credited; audit ok",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "FAILED") || strings.Count(report, "ok 1/1") != 8 {
		t.Errorf("want 8 passed cells:\n%s", report)
	}
}

func TestBenchPeerFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--peer", "mysql"}, "the only peer is redis"},
		{[]string{"--peer", "redis", "--url", "http://127.0.0.1:1"}, "starts both servers itself"},
		{[]string{"--peer", "redis", "--server-arg=--unsafe-no-sync"}, "compares durable servers"},
		{[]string{"--peer", "redis", "--rounds", "0"}, "invalid --rounds"},
		{[]string{"--peer", "redis", "--scenario", "draw"}, `"draw" is not served by the Redis peer`},
		{[]string{"--peer", "redis", "--peer-dir", os.TempDir()}, "no go.mod"},
	} {
		err := Run(context.Background(), append([]string{"bench"}, c.args...), noEnv, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
}

func TestMedian(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		in   []float64
		want float64
	}{{[]float64{3, 1, 2}, 2}, {[]float64{4, 1}, 2.5}, {[]float64{nan, 5}, 5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median %v = %v, want %v", c.in, got, c.want)
		}
	}
	if !math.IsNaN(median([]float64{nan})) {
		t.Error("median of nothing known is not NaN")
	}
}

// TestWriteSideBySide: the medians, the ratio and a failed round show.
func TestWriteSideBySide(t *testing.T) {
	rep := func(rate float64, failure error) *loadgen.Report {
		return &loadgen.Report{Scenario: "grab-hot", Concurrency: 64, Elapsed: time.Second,
			Total:  loadgen.Line{Count: int64(rate), Rate: rate, P50: time.Millisecond, P99: 4 * time.Millisecond},
			Checks: []string{"audit ok"}, Failure: failure, Memory: &loadgen.Memory{Peak: 32 << 20}}
	}
	runs := []sideRun{
		{sideLuckbox, 1, []*loadgen.Report{rep(1000, nil)}},
		{sidePeer, 1, []*loadgen.Report{rep(400, nil)}},
		{sideLuckbox, 2, []*loadgen.Report{rep(3000, nil)}},
		{sidePeer, 2, []*loadgen.Report{rep(600, errors.New("user x grabbed twice"))}},
	}
	var b bytes.Buffer
	writeSideBySide(&b, runs)
	out := b.String()
	for _, want := range []string{
		"grab-hot", "2000", "500", "4.00×", // medians 2000 and 500
		"ok 2/2", "FAILED 1/2", "32.0",
		"CHECK FAILED: round 2, redis peer, grab-hot (64 clients): user x grabbed twice",
		"luckbox, grab-hot (64 clients): audit ok",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// TestSideOrder: luckbox goes first in odd rounds, the peer in even ones,
// and every round runs both.
func TestSideOrder(t *testing.T) {
	for round, first := range map[int]string{1: sideLuckbox, 2: sidePeer, 3: sideLuckbox, 4: sidePeer} {
		got := sideOrder(round)
		if len(got) != 2 || got[0] != first || got[0] == got[1] {
			t.Errorf("round %d: %v, want %s first, then the other side", round, got, first)
		}
	}
}
