package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"luckbox/internal/loadgen"
)

// peerScenarios are the scenarios the Redis peer serves (the others need
// lotteries, gift exchanges or a restart on the same file).
var peerScenarios = []string{"ping", "storm", "grab-hot", "grab-spread"}

// peerListenPrefix starts the line the peer prints once it listens.
const peerListenPrefix = "redispeer listening on "

// sideRun is one side's reports of one round.
type sideRun struct {
	side    string
	round   int
	reports []*loadgen.Report
}

// Sides of the comparison.
const (
	sideLuckbox = "luckbox"
	sidePeer    = "redis peer"
)

// runBenchPeer is `luckbox bench --peer redis`: every round starts luckbox
// (durable, on a fresh temporary file) and a fresh redis-server with the
// peer in front of it, then runs each scenario at each level on one side and
// at once on the other, so the two measurements of a cell are seconds apart
// (on a shared machine the load of other tenants drifts over minutes). Which
// side goes first alternates from round to round (sideOrder). The table
// shows the medians of the rounds side by side.
func runBenchPeer(ctx context.Context, cfg *benchConfig, stdout, stderr io.Writer) error {
	switch {
	case cfg.Peer != "redis":
		return fmt.Errorf("invalid --peer %q: the only peer is redis", cfg.Peer)
	case cfg.URL != "" || cfg.Data != "" || cfg.KeepData || cfg.Profile != "":
		return errors.New("--peer starts both servers itself: leave out --url, --data, --keep-data and --cpuprofile")
	case cfg.Rounds < 1 || cfg.Rounds > 100:
		return fmt.Errorf("invalid --rounds %d: want 1..100", cfg.Rounds)
	}
	for _, a := range cfg.ServerArgs {
		if strings.Contains(a, "unsafe-no-sync") {
			return errors.New("--peer compares durable servers: leave out --server-arg=--unsafe-no-sync")
		}
	}
	levels, err := parseLevels(cfg.Concurrency)
	if err != nil {
		return err
	}
	scenarios, err := lookupPeerScenarios(cfg.Scenario)
	if err != nil {
		return err
	}
	dir, err := findPeerDir(cfg.PeerDir)
	if err != nil {
		return err
	}
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		return errors.New("--peer redis needs redis-server on PATH (Debian: apt-get install -y redis-server)")
	}
	tmp, err := os.MkdirTemp("", "luckbox-peer-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	peerBin, err := buildPeer(ctx, dir, tmp, stderr)
	if err != nil {
		return err
	}
	version := redisVersion(ctx, redisBin)
	var runs []sideRun
	for round := 1; round <= cfg.Rounds; round++ {
		rs, err := runPeerRound(ctx, cfg, round, peerBin, redisBin, levels, scenarios, stderr)
		if err != nil {
			return fmt.Errorf("round %d: %w", round, err)
		}
		runs = append(runs, rs...)
	}
	fmt.Fprintf(stdout, "\nluckbox (bbolt, fsync per group commit) vs the redis peer (Go net/http + %s, appendfsync always)\n", version)
	fmt.Fprintf(stdout, "medians of %d round(s), %s per time-based phase\n\n", cfg.Rounds, cfg.Opt.Duration)
	writeSideBySide(stdout, runs)
	var all []*loadgen.Report
	for _, r := range runs {
		all = append(all, r.reports...)
	}
	return failedChecks(all)
}

// sideOrder is the order of the sides in round (from 1): luckbox first in
// odd rounds, the peer first in even ones.
func sideOrder(round int) []string {
	if round%2 == 0 {
		return []string{sidePeer, sideLuckbox}
	}
	return []string{sideLuckbox, sidePeer}
}

// lookupPeerScenarios is loadgen.Lookup limited to peerScenarios ("all" is
// all of them).
func lookupPeerScenarios(names string) ([]loadgen.Scenario, error) {
	if names == "all" {
		names = strings.Join(peerScenarios, ",")
	}
	scenarios, err := loadgen.Lookup(names)
	if err != nil {
		return nil, err
	}
	for _, s := range scenarios {
		if !slices.Contains(peerScenarios, s.Name) {
			return nil, fmt.Errorf("scenario %q is not served by the Redis peer (--peer runs %s)", s.Name, strings.Join(peerScenarios, ", "))
		}
	}
	return scenarios, nil
}

// peerModule is the module path of bench/redispeer.
const peerModule = "module luckbox/bench/redispeer"

// findPeerDir returns dir if given, else the bench/redispeer directory of the
// source tree around the current directory (or the executable).
func findPeerDir(dir string) (string, error) {
	isPeer := func(d string) bool {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		return err == nil && strings.Contains(string(b), peerModule)
	}
	if dir != "" {
		if !isPeer(dir) {
			return "", fmt.Errorf("--peer-dir %s: no go.mod of %q there", dir, peerModule)
		}
		return dir, nil
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, d := range starts {
		for {
			if c := filepath.Join(d, "bench", "redispeer"); isPeer(c) {
				return c, nil
			}
			parent := filepath.Dir(d)
			if parent == d {
				break
			}
			d = parent
		}
	}
	return "", errors.New("cannot find bench/redispeer: run from the luckbox source tree or pass --peer-dir")
}

// buildPeer builds the peer module in dir into tmp with the go command.
func buildPeer(ctx context.Context, dir, tmp string, stderr io.Writer) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("--peer builds bench/redispeer and needs the go command on PATH")
	}
	bin := filepath.Join(tmp, "redispeer")
	start := time.Now()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", bin, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the Redis peer in %s: %w\n%s", dir, err, out)
	}
	fmt.Fprintf(stderr, "built the Redis peer from %s in %s\n", dir, time.Since(start).Round(time.Millisecond))
	return bin, nil
}

// settle is the pause before each measured side of a cell: the other
// side's last phase may still be finishing its background work (a
// checkpoint's sync, Redis's AOF).
const settle = time.Second

// runPeerRound is one round of the comparison: both sides started afresh,
// then every scenario at every level on both, back to back, in the round's
// side order. It returns each side's reports in the same order.
func runPeerRound(ctx context.Context, cfg *benchConfig, round int, peerBin, redisBin string, levels []int, scenarios []loadgen.Scenario, stderr io.Writer) ([]sideRun, error) {
	envs := map[string]*loadgen.Env{}
	for _, side := range sideOrder(round) {
		var e *loadgen.Env
		var stop func()
		var err error
		if side == sideLuckbox {
			e, stop, err = startLuckboxSide(ctx, cfg, levels, stderr)
		} else {
			e, stop, err = startPeerSide(ctx, cfg, peerBin, redisBin, levels, stderr)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", side, err)
		}
		defer stop()
		envs[side] = e
	}
	reports := map[string][]*loadgen.Report{}
	for _, level := range levels {
		for _, sc := range scenarios {
			for _, side := range sideOrder(round) {
				fmt.Fprintf(stderr, "==== round %d of %d: %s\n", round, cfg.Rounds, side)
				select {
				case <-ctx.Done():
					return nil, ctx.Err()
				case <-time.After(settle):
				}
				r, err := runScenarios(ctx, envs[side], []int{level}, []loadgen.Scenario{sc}, nil, stderr)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", side, err)
				}
				reports[side] = append(reports[side], r...)
			}
		}
	}
	var runs []sideRun
	for _, side := range sideOrder(round) {
		runs = append(runs, sideRun{side: side, round: round, reports: reports[side]})
	}
	return runs, nil
}

// startLuckboxSide starts luckbox on a fresh temporary file; stop stops it
// and removes the file.
func startLuckboxSide(ctx context.Context, cfg *benchConfig, levels []int, stderr io.Writer) (e *loadgen.Env, stop func(), err error) {
	var profAddr string
	child, token, cleanup, err := startBenchServer(ctx, cfg, stderr, &profAddr)
	if err != nil {
		return nil, nil, err
	}
	opt := cfg.Opt
	opt.Log = stderr
	e = benchEnv(withServer(opt, child), child.URL, token, levels)
	return e, func() { e.C.CloseIdle(); cleanup(child) }, nil
}

// startPeerSide starts redis-server on a fresh temporary directory and the
// peer in front of it; stop stops both and removes the directory.
func startPeerSide(ctx context.Context, cfg *benchConfig, peerBin, redisBin string, levels []int, stderr io.Writer) (e *loadgen.Env, stop func(), err error) {
	dir, err := os.MkdirTemp("", "luckbox-redis-")
	if err != nil {
		return nil, nil, err
	}
	var undo []func() // run in reverse by stop, or on a failed start
	stop = func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	undo = append(undo, func() { os.RemoveAll(dir) })
	rs, err := startRedis(ctx, redisBin, dir)
	if err != nil {
		stop()
		return nil, nil, err
	}
	undo = append(undo, func() {
		if err := rs.stop(); err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
		}
	})
	token := randomHex(16)
	args := []string{"--addr", "127.0.0.1:0", "--redis", rs.addr, "--pool-size", strconv.Itoa(slices.Max(levels)),
		"--packet-max-count", "10000", "--packet-max-amount", "1000000000", "--topup-max", strconv.Itoa(benchTopupMax)}
	child, ready, err := loadgen.StartReady(ctx, loadgen.ChildConfig{Path: peerBin, Args: args, Stderr: stderr,
		Env: append(os.Environ(), "REDISPEER_ADMIN_TOKEN="+token), ListenPrefix: peerListenPrefix})
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("start the Redis peer: %w", err)
	}
	undo = append(undo, func() {
		if err := child.Stop(time.Minute); err != nil {
			fmt.Fprintf(stderr, "stop the Redis peer: %v\n", err)
		}
	})
	fmt.Fprintf(stderr, "started redis-server (pid %d, %s, %s) and the peer (pid %d, %s), ready in %s\n",
		rs.PID(), rs.addr, dir, child.PID(), child.URL, ready.Round(time.Millisecond))
	opt := cfg.Opt
	opt.Log = stderr
	e = benchEnv(withServer(opt, child, rs.PID()), child.URL, token, levels)
	undo = append(undo, e.C.CloseIdle)
	return e, stop, nil
}
