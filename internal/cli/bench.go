package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"luckbox/internal/loadgen"
)

// benchServerFlags raise the server's limits for the benchmark: packets of
// up to 10,000 shares, big top-ups, no rate limits. A flag the binary does
// not have is left out (see serveFlags).
var benchServerFlags = [][2]string{
	{"log-level", "warn"},
	{"packet-max-count", "10000"},
	{"packet-max-amount", "1000000000"},
	{"topup-max", "1000000000"},
	{"rate-limit", "off"},
}

// benchTopupMax is the --topup-max the benchmark gives its own server.
const benchTopupMax = 1_000_000_000

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// benchConfig is every setting of `luckbox bench`.
type benchConfig struct {
	URL, AdminToken, Data string
	KeepData              bool
	Scenario, Concurrency string
	Profile               string
	ServerArgs            stringList
	Opt                   loadgen.Options
	// Peer, Rounds and PeerDir shape the side-by-side run (see bench_peer.go).
	Peer, PeerDir string
	Rounds        int
}

func runBench(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	var cfg benchConfig
	d := loadgen.Defaults
	fs := newFlagSet("bench", stdout)
	fs.StringVar(&cfg.URL, "url", "", "base URL of a running demo-mode server; empty: start one on a temporary file. Nodes of one cluster (--store etcd): a comma-separated list, the writer first (set-up, metrics and checks go to it; measured requests round-robin to all)")
	fs.StringVar(&cfg.AdminToken, "admin-token", "", "admin token of the --url server (exchange scenario and audits)")
	fs.StringVar(&cfg.Data, "data", "", "database file of the started server (default: a temporary file, removed afterwards)")
	fs.BoolVar(&cfg.KeepData, "keep-data", false, "keep the temporary database file (its path is printed)")
	fs.StringVar(&cfg.Scenario, "scenario", "all", scenarioHelp())
	fs.StringVar(&cfg.Concurrency, "concurrency", strconv.Itoa(d.Concurrency), "clients; a comma-separated list runs the scenarios at each level")
	fs.DurationVar(&cfg.Opt.Duration, "duration", d.Duration, "length of each time-based measured phase")
	fs.IntVar(&cfg.Opt.RateCap, "rate-cap", d.RateCap, "requests/s a time-based phase provisions shares and lotteries for")
	fs.IntVar(&cfg.Opt.HotPackets, "hot-packets", d.HotPackets, "grab-hot: packets grabbed at once")
	fs.IntVar(&cfg.Opt.HotShares, "hot-shares", d.HotShares, "grab-hot: shares (and grabbing users) per packet")
	fs.IntVar(&cfg.Opt.SpreadPackets, "spread-packets", d.SpreadPackets, "grab-spread: active packets")
	fs.IntVar(&cfg.Opt.StormUsers, "storm-users", d.StormUsers, "storm: users, each grabbing every packet")
	fs.IntVar(&cfg.Opt.StormPackets, "storm-packets", d.StormPackets, "storm: packets")
	fs.IntVar(&cfg.Opt.StormShares, "storm-shares", d.StormShares, "storm: shares per packet")
	fs.IntVar(&cfg.Opt.JoinUsers, "join-users", d.JoinUsers, "join: users (entries per lottery)")
	fs.IntVar(&cfg.Opt.DrawEntries, "draw-entries", d.DrawEntries, "draw: entries of the drawn lottery (1000000 for the full benchmark)")
	fs.IntVar(&cfg.Opt.DrawWinners, "draw-winners", d.DrawWinners, "draw: winners")
	fs.IntVar(&cfg.Opt.ExchangeParticipants, "exchange-participants", d.ExchangeParticipants, "exchange: participants")
	fs.Int64Var(&cfg.Opt.TopupMax, "topup-max", 0, "largest top-up the --url server takes (default 1000000; a started server takes more)")
	fs.BoolVar(&cfg.Opt.NetHTTP, "net-http", false, "measure with net/http's client instead of the lean built-in one (costs the shared CPU more)")
	fs.StringVar(&cfg.Profile, "cpuprofile", "", "directory for a CPU profile of the started server per measured phase")
	fs.Var(&cfg.ServerArgs, "server-arg", "extra flag for the started server, e.g. --server-arg=--unsafe-no-sync (repeatable)")
	fs.StringVar(&cfg.Peer, "peer", "", "\"redis\": also run the scenarios against the standard Redis design (bench/redispeer,\n"+
		"        Redis with appendfsync always), both started afresh each round, rounds alternating, and print\n"+
		"        them side by side (scenarios "+strings.Join(peerScenarios, ", ")+"; needs go and redis-server on PATH)")
	fs.IntVar(&cfg.Rounds, "rounds", 2, "--peer: rounds (luckbox first in odd rounds, the peer first in even ones); the table shows their medians")
	fs.StringVar(&cfg.PeerDir, "peer-dir", "", "--peer: directory of the bench/redispeer module (default: looked for from the current directory up)")
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	if cfg.Peer != "" {
		return runBenchPeer(ctx, &cfg, stdout, stderr)
	}
	levels, err := parseLevels(cfg.Concurrency)
	if err != nil {
		return err
	}
	scenarios, err := loadgen.Lookup(cfg.Scenario)
	if err != nil {
		return err
	}
	if cfg.URL != "" && (cfg.Data != "" || cfg.Profile != "" || len(cfg.ServerArgs) > 0) {
		return errors.New("--data, --cpuprofile and --server-arg need a started server: leave out --url")
	}
	if strings.Contains(cfg.URL, ",") {
		urls, err := strictList("--url", cfg.URL)
		if err != nil {
			return err
		}
		if cfg.Opt.NetHTTP {
			return errors.New("invalid --url list with --net-http: only the lean client spreads requests over nodes")
		}
		cfg.URL, cfg.Opt.Spread = urls[0], urls[1:]
	}
	return bench(ctx, &cfg, levels, scenarios, stdout, stderr)
}

func parseLevels(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 10000 {
			return nil, fmt.Errorf("invalid --concurrency %q: want numbers 1..10000, comma-separated", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func bench(ctx context.Context, cfg *benchConfig, levels []int, scenarios []loadgen.Scenario, stdout, stderr io.Writer) error {
	opt := cfg.Opt
	opt.Log = stderr
	base, token := cfg.URL, cfg.AdminToken
	var profAddr string
	var e *loadgen.Env
	if base == "" {
		child, tok, cleanup, err := startBenchServer(ctx, cfg, stderr, &profAddr)
		if err != nil {
			return err
		}
		// The restart scenario replaces the child: stop whichever runs last.
		defer func() {
			if e != nil {
				child = e.Server()
			}
			cleanup(child)
		}()
		base, token = child.URL, tok
		opt = withServer(opt, child)
	}
	if cfg.Profile != "" {
		if err := os.MkdirAll(cfg.Profile, 0o755); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
	}
	e = benchEnv(opt, base, token, levels)
	var prof *profiler
	if profAddr != "" {
		prof = &profiler{addr: profAddr, dir: cfg.Profile, stderr: stderr}
	}
	reports, err := runScenarios(ctx, e, levels, scenarios, prof, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	loadgen.WriteReports(stdout, reports)
	writeRatios(stdout, reports)
	return failedChecks(reports)
}

// withServer points opt at a server the benchmark started (companions:
// other processes serving with it).
func withServer(opt loadgen.Options, child *loadgen.Child, companions ...int) loadgen.Options {
	opt.Server, opt.DataFile, opt.Companions = child, dataPath(child), companions
	opt.TopupMax = max(opt.TopupMax, benchTopupMax)
	return opt
}

// benchEnv is a benchmark run against base, with a client that keeps a
// connection per client of the highest level.
func benchEnv(opt loadgen.Options, base, adminToken string, levels []int) *loadgen.Env {
	c := loadgen.NewClient(base, slices.Max(levels))
	c.AdminToken = adminToken
	return loadgen.NewEnv(c, opt)
}

// runScenarios runs every scenario at every level on e, printing each one's
// summary as it ends. prof, if not nil, profiles the server meanwhile.
func runScenarios(ctx context.Context, e *loadgen.Env, levels []int, scenarios []loadgen.Scenario, prof *profiler, stderr io.Writer) ([]*loadgen.Report, error) {
	var reports []*loadgen.Report
	for _, level := range levels {
		e.Opt.Concurrency = level
		for _, s := range scenarios {
			fmt.Fprintf(stderr, "== %s (%d clients)\n", s.Name, level)
			e.Opt.OnMeasure = prof.onMeasure(ctx, level)
			r, err := loadgen.RunScenario(ctx, e, s)
			prof.wait()
			if err != nil {
				return reports, fmt.Errorf("%s: %w", s.Name, err)
			}
			if r.Failure != nil {
				fmt.Fprintf(stderr, "   CHECK FAILED: %v\n", r.Failure)
			}
			summarize(stderr, r)
			reports = append(reports, r)
		}
	}
	return reports, nil
}

// failedChecks is an error when a report's check failed.
func failedChecks(reports []*loadgen.Report) error {
	failed := 0
	for _, r := range reports {
		if r.Failure != nil {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("bench: %d scenario checks FAILED (see above)", failed)
	}
	return nil
}

// profiler takes a CPU profile of the started server per measured phase.
type profiler struct {
	addr, dir string
	stderr    io.Writer
	wg        sync.WaitGroup
}

// onMeasure is the OnMeasure hook of a level (nil without a profiler).
func (p *profiler) onMeasure(ctx context.Context, level int) func(string, time.Duration) {
	if p == nil {
		return nil
	}
	return func(name string, expected time.Duration) {
		path := filepath.Join(p.dir, fmt.Sprintf("%s-c%d.cpu.pprof", name, level))
		p.wg.Add(1)
		go func() { defer p.wg.Done(); saveProfile(ctx, p.addr, path, expected, p.stderr) }()
	}
}

// wait waits for the profiles being taken.
func (p *profiler) wait() {
	if p != nil {
		p.wg.Wait()
	}
}

// summarize prints a scenario's main line as it finishes.
func summarize(w io.Writer, r *loadgen.Report) {
	for _, l := range r.Lines {
		fmt.Fprintf(w, "   %-10s %9d  %8.0f/s  p50 %s  p99 %s  max %s ms\n", l.Outcome, l.Count, l.Rate,
			strings.TrimSpace(fmt.Sprintf("%8.2f", float64(l.P50)/1e6)), strings.TrimSpace(fmt.Sprintf("%8.2f", float64(l.P99)/1e6)),
			strings.TrimSpace(fmt.Sprintf("%8.2f", float64(l.Max)/1e6)))
	}
	for _, f := range r.Facts {
		fmt.Fprintf(w, "   %s: %s\n", f.Name, f.Value)
	}
}

// writeRatios prints grab-hot throughput over ping throughput per level.
func writeRatios(w io.Writer, reports []*loadgen.Report) {
	ping := map[int]float64{}
	for _, r := range reports {
		if r.Scenario == "ping" {
			ping[r.Concurrency] = r.Line("ok").Rate
		}
	}
	for _, r := range reports {
		if p := ping[r.Concurrency]; r.Scenario == "grab-hot" && p > 0 {
			g := r.Line("grab").Rate
			fmt.Fprintf(w, "\ngrab-hot / ping at %d clients: %.0f / %.0f = %.2f\n", r.Concurrency, g, p, g/p)
		}
	}
}

// startBenchServer re-executes this binary as `serve` on a temporary (or the
// given) file in demo mode, with the limits raised.
func startBenchServer(ctx context.Context, cfg *benchConfig, stderr io.Writer, profAddr *string) (*loadgen.Child, string, func(*loadgen.Child), error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, "", nil, fmt.Errorf("find the luckbox binary: %w", err)
	}
	path, tmp := cfg.Data, ""
	if path == "" {
		if tmp, err = os.MkdirTemp("", "luckbox-bench-"); err != nil {
			return nil, "", nil, err
		}
		path = filepath.Join(tmp, "bench.db")
	}
	have, err := serveFlags(ctx, exe)
	if err != nil {
		return nil, "", nil, err
	}
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data", path}
	for _, f := range benchServerFlags {
		if have[f[0]] {
			args = append(args, "--"+f[0], f[1])
		}
	}
	if cfg.Profile != "" {
		*profAddr, err = freeAddr()
		if err != nil {
			return nil, "", nil, err
		}
		args = append(args, "--pprof-addr", *profAddr)
	}
	args = append(args, cfg.ServerArgs...)
	token := randomHex(16)
	ccfg := loadgen.ChildConfig{Path: exe, Args: args, Stderr: stderr,
		Env: append(os.Environ(), "LUCKBOX_ADMIN_TOKEN="+token)}
	child, ready, err := loadgen.StartReady(ctx, ccfg)
	if err != nil {
		return nil, "", nil, err
	}
	fmt.Fprintf(stderr, "started %s %s\n  pid %d, data %s, ready in %s\n", exe, strings.Join(args, " "), child.PID(), path, ready.Round(time.Millisecond))
	cleanup := func(c *loadgen.Child) {
		if err := c.Stop(time.Minute); err != nil {
			fmt.Fprintf(stderr, "stop server: %v\n", err)
		}
		if tmp != "" && !cfg.KeepData {
			os.RemoveAll(tmp)
		} else if tmp != "" {
			fmt.Fprintf(stderr, "kept the database %s\n", path)
		}
	}
	return child, token, cleanup, nil
}

// dataPath is the --data argument of a started server.
func dataPath(c *loadgen.Child) string {
	a := c.Config().Args
	for i := range len(a) - 1 {
		if a[i] == "--data" {
			return a[i+1]
		}
	}
	return ""
}

var flagNameRe = regexp.MustCompile(`(?m)^\s+--([a-z0-9-]+)`)

// serveFlags lists the flags of `<exe> serve` (from its --help).
func serveFlags(ctx context.Context, exe string) (map[string]bool, error) {
	out, _ := exec.CommandContext(ctx, exe, "serve", "--help").CombinedOutput()
	have := map[string]bool{}
	for _, m := range flagNameRe.FindAllStringSubmatch(string(out), -1) {
		have[m[1]] = true
	}
	if !have["data"] {
		return nil, fmt.Errorf("%s serve --help lists no --data flag: is it the luckbox binary? %.200s", exe, out)
	}
	return have, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// saveProfile fetches a CPU profile of the server lasting about d.
func saveProfile(ctx context.Context, addr, path string, d time.Duration, stderr io.Writer) {
	secs := max(1, int(d.Round(time.Second)/time.Second))
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs), nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "   cpu profile: %v\n", err)
		return
	}
	defer res.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(stderr, "   cpu profile: %v\n", err)
		return
	}
	defer f.Close()
	if _, err := io.Copy(f, res.Body); err != nil {
		fmt.Fprintf(stderr, "   cpu profile: %v\n", err)
		return
	}
	fmt.Fprintf(stderr, "   cpu profile (%ds) saved to %s\n", secs, path)
}

// scenarioHelp is the help of --scenario: every scenario with its summary.
func scenarioHelp() string {
	var b strings.Builder
	b.WriteString("scenarios, comma-separated, or all:")
	for _, s := range loadgen.Scenarios {
		fmt.Fprintf(&b, "\n        %s: %s", s.Name, s.Summary)
	}
	return b.String()
}
