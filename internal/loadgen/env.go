package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Options shape the scenarios. Zero values take the defaults of Defaults.
type Options struct {
	// Concurrency is the number of clients of a measured phase.
	Concurrency int
	// Duration bounds each time-based measured phase (ping, grab-hot,
	// grab-spread, join).
	Duration time.Duration
	// RateCap is the most requests per second a time-based phase provisions
	// for: grab-hot creates RateCap × Duration shares; a faster server runs
	// out and the phase ends early (reported).
	RateCap int
	// HotPackets packets are grabbed at once in grab-hot, each of HotShares
	// shares (the server's --packet-max-count must allow it).
	HotPackets, HotShares int
	// SpreadPackets packets are active at once in grab-spread.
	SpreadPackets int
	// StormUsers users grab each of StormPackets packets of StormShares shares.
	StormUsers, StormPackets, StormShares int
	// JoinUsers users join lotteries in the join scenario (each lottery gets
	// at most JoinUsers entries; more lotteries are created as needed).
	JoinUsers int
	// DrawEntries users join the draw scenario's lottery, which has
	// DrawWinners prizes.
	DrawEntries, DrawWinners int
	// ExchangeParticipants take part in the exchange scenario.
	ExchangeParticipants int
	// TopupMax is the largest single top-up the server accepts (--topup-max).
	TopupMax int64
	// NetHTTP makes measured phases use net/http's client instead of the
	// lean FastPool (to see what the generator's own cost does to the figures).
	NetHTTP bool
	// Spread lists more base URLs, of other nodes of the --url server's
	// cluster: the measured requests of the lean client go round-robin by
	// worker to the server and these (set-up, metrics and checks use the
	// server alone).
	Spread []string
	// Log receives progress lines (nil: discarded).
	Log io.Writer
	// OnMeasure, if set, is called as a measured phase starts, with its
	// expected length (e.g. to take a CPU profile of the server meanwhile).
	OnMeasure func(scenario string, expected time.Duration)
	// Server, if set, is the child server the benchmark started on DataFile;
	// the restart scenario restarts it on the same file.
	Server   *Child
	DataFile string
	// Companions are the ids of other processes that serve with Server (the
	// Redis of the peer): their CPU time, disk writes and memory count as the
	// server's.
	Companions []int
}

// Defaults are the option values of a full run.
var Defaults = Options{
	Concurrency: 64, Duration: 10 * time.Second, RateCap: 50000,
	HotPackets: 4, HotShares: 10000, SpreadPackets: 1000,
	StormUsers: 1000, StormPackets: 100, StormShares: 100,
	JoinUsers: 10000, DrawEntries: 100000, DrawWinners: 1000,
	ExchangeParticipants: 5000, TopupMax: 1_000_000,
}

func (o Options) withDefaults() Options {
	d := Defaults
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&o.Concurrency, d.Concurrency)
	set(&o.RateCap, d.RateCap)
	set(&o.HotPackets, d.HotPackets)
	set(&o.HotShares, d.HotShares)
	set(&o.SpreadPackets, d.SpreadPackets)
	set(&o.StormUsers, d.StormUsers)
	set(&o.StormPackets, d.StormPackets)
	set(&o.StormShares, d.StormShares)
	set(&o.JoinUsers, d.JoinUsers)
	set(&o.DrawEntries, d.DrawEntries)
	set(&o.DrawWinners, d.DrawWinners)
	set(&o.ExchangeParticipants, d.ExchangeParticipants)
	if o.Duration <= 0 {
		o.Duration = d.Duration
	}
	if o.TopupMax <= 0 {
		o.TopupMax = d.TopupMax
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o
}

// Env is the state shared by the scenarios of one benchmark run: the client,
// the pool of logged-in users and what every user should have been credited.
type Env struct {
	C   *Client
	Opt Options

	tag   string // distinguishes this run's openids from earlier runs on the same server
	mu    sync.Mutex
	users []User
	// credited[i] is the money user i received from grabs in this run.
	credited []int64
	sender   *User
	server   *Child
	fast     *FastPool
	fastBase string
}

// NewEnv prepares a run against the server c talks to.
func NewEnv(c *Client, opt Options) *Env {
	var b [4]byte
	rand.Read(b[:])
	return &Env{C: c, Opt: opt.withDefaults(), tag: hex.EncodeToString(b[:]), server: opt.Server}
}

// Server is the child server the run talks to now (nil with --url); the
// restart scenario replaces it.
func (e *Env) Server() *Child {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.server
}

func (e *Env) logf(format string, args ...any) {
	fmt.Fprintf(e.Opt.Log, "  "+format+"\n", args...)
}

// progress logs what a long set-up step has done every 30 s until the
// returned function is called.
func (e *Env) progress(what string, total int, done *atomic.Int64) (stop func()) {
	quit := make(chan struct{})
	go func() {
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				e.logf("... %s %d of %d", what, done.Load(), total)
			}
		}
	}()
	return func() { close(quit) }
}

// setupWorkers is the parallelism of set-up phases.
func (e *Env) setupWorkers() int { return max(16, min(e.Opt.Concurrency, 128)) }

// Users returns the first n users of the run's pool, logging in the missing
// ones through the fake WeChat.
func (e *Env) Users(ctx context.Context, n int) ([]User, error) {
	e.mu.Lock()
	have := len(e.users)
	e.mu.Unlock()
	if have < n {
		start := time.Now()
		fresh := make([]User, n-have)
		var done atomic.Int64
		stop := e.progress("logged in", len(fresh), &done)
		err := parallel(ctx, len(fresh), e.setupWorkers(), func(ctx context.Context, i int) error {
			u, err := e.C.Login(ctx, fmt.Sprintf("b%s-%d", e.tag, have+i))
			fresh[i] = u
			done.Add(1)
			return err
		})
		stop()
		if err != nil {
			return nil, fmt.Errorf("log users in: %w", err)
		}
		e.mu.Lock()
		e.users = append(e.users, fresh...)
		e.credited = append(e.credited, make([]int64, len(fresh))...)
		e.mu.Unlock()
		d := time.Since(start)
		e.logf("logged in %d users in %s (%.0f/s)", len(fresh), d.Round(time.Millisecond), float64(len(fresh))/d.Seconds())
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.users[:n:n], nil
}

// Sender returns the run's packet sender (a user outside the pool).
func (e *Env) Sender(ctx context.Context) (User, error) {
	e.mu.Lock()
	s := e.sender
	e.mu.Unlock()
	if s != nil {
		return *s, nil
	}
	u, err := e.C.Login(ctx, "s"+e.tag)
	if err != nil {
		return User{}, err
	}
	e.mu.Lock()
	e.sender = &u
	e.mu.Unlock()
	return u, nil
}

// Fund tops u's wallet up by amount fen, in orders of at most TopupMax.
func (e *Env) Fund(ctx context.Context, u User, amount int64) error {
	n := int((amount + e.Opt.TopupMax - 1) / e.Opt.TopupMax)
	return parallel(ctx, n, e.setupWorkers(), func(ctx context.Context, i int) error {
		a := min(e.Opt.TopupMax, amount-int64(i)*e.Opt.TopupMax)
		_, err := e.C.TopUp(ctx, u, a)
		return err
	})
}

// credit records that user i received amount in this run.
func (e *Env) credit(i int, amount int64) {
	e.mu.Lock()
	e.credited[i] += amount
	e.mu.Unlock()
}

// checkWallets compares the balance of the first n pool users with what they
// were credited in this run.
func (e *Env) checkWallets(ctx context.Context, n int) error {
	users, err := e.Users(ctx, n)
	if err != nil {
		return err
	}
	e.mu.Lock()
	want := append([]int64(nil), e.credited[:n]...)
	e.mu.Unlock()
	var bad sync.Map
	err = parallel(ctx, n, e.setupWorkers(), func(ctx context.Context, i int) error {
		b, err := e.C.Balance(ctx, users[i])
		if err != nil {
			return err
		}
		if b != want[i] {
			bad.Store(i, fmt.Sprintf("user %s has balance %d, was credited %d", users[i].ID, b, want[i]))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read wallets: %w", err)
	}
	var first string
	count := 0
	bad.Range(func(_, v any) bool {
		if count == 0 {
			first = v.(string)
		}
		count++
		return true
	})
	if count > 0 {
		return fmt.Errorf("%d of %d wallets are wrong, e.g. %s", count, n, first)
	}
	return nil
}

// do sends one request of a measured phase on the worker's connection.
func (e *Env) do(ctx context.Context, worker int, method, path, token string) (Response, error) {
	if e.fast == nil {
		return e.C.Do(ctx, method, path, token, nil, "")
	}
	return e.fast.Do(ctx, worker, method, path, token, nil)
}

// measure runs a measured phase after warming one connection per worker.
func (e *Env) measure(ctx context.Context, scenario string, l Load, step Step) Result {
	if !e.Opt.NetHTTP && (e.fast == nil || e.fastBase != e.C.Base() || len(e.fast.conns) < l.Workers) {
		if e.fast != nil {
			e.fast.Close()
		}
		fp, err := NewFastPool(e.C.Base(), max(l.Workers, e.Opt.Concurrency), e.Opt.Spread...)
		if err != nil {
			return Result{Errors: 1, ErrorSamples: []string{err.Error()}, Outcomes: map[string]*Histogram{}, All: &Histogram{}}
		}
		e.fast, e.fastBase = fp, e.C.Base()
	}
	e.warm(ctx, l.Workers)
	expected := l.Duration
	if expected <= 0 {
		expected = 5 * time.Second
	}
	if e.Opt.OnMeasure != nil {
		e.Opt.OnMeasure(scenario, expected)
	}
	pids := e.serverPIDs()
	m0, _ := e.C.Metrics(ctx)
	before := sampleCPU(pids)
	res := Run(ctx, l, step)
	res.CPU = cpuBetween(before, sampleCPU(pids))
	m1, _ := e.C.Metrics(ctx)
	res.Writer = writerBetween(m0, m1)
	return res
}

// serverPIDs are the processes that serve: the started server and its
// companions (none with --url).
func (e *Env) serverPIDs() []int {
	s := e.Server()
	if s == nil {
		return nil
	}
	return append([]int{s.PID()}, e.Opt.Companions...)
}

// ResetPeakMemory resets the peak RSS of the serving processes, so that
// ServerMemory's Peak is the peak since then (best effort: an error leaves
// the peak since each process started).
func (e *Env) ResetPeakMemory() error {
	var errs []error
	for _, pid := range e.serverPIDs() {
		errs = append(errs, ResetPeak(pid))
	}
	return errors.Join(errs...)
}

// ServerMemory is the memory of the serving processes, summed.
func (e *Env) ServerMemory() (Memory, error) {
	var m Memory
	pids := e.serverPIDs()
	if len(pids) == 0 {
		return m, errors.New("no server process: the server was not started by the benchmark")
	}
	for _, pid := range pids {
		p, err := ProcessMemory(pid)
		if err != nil {
			return m, err
		}
		m = m.add(p)
	}
	return m, nil
}

// warm opens n keep-alive connections (n concurrent pings), so a measured
// phase does not time connection set-up.
func (e *Env) warm(ctx context.Context, n int) {
	var wg sync.WaitGroup
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.do(ctx, w, "GET", "/healthz", "")
		}()
	}
	wg.Wait()
}

// audit runs the server's audit; a missing audit is a note, not a failure.
func (e *Env) audit(ctx context.Context, r *Report) error {
	_, err := e.C.Audit(ctx)
	switch {
	case err == nil:
		r.Checks = append(r.Checks, "audit ok")
	case errors.Is(err, ErrNoAudit):
		r.Checks = append(r.Checks, "audit skipped ("+err.Error()+")")
		return nil
	}
	return err
}
