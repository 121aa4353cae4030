package loadgen

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"
)

// restarts is how many times the restart scenario restarts the server.
const restarts = 3

// runRestart stops the server the benchmark started (SIGTERM, graceful) and
// starts it again on the same file, timing process start to the first 200
// from /readyz and reading its memory, three times; then the audit must pass.
func runRestart(ctx context.Context, e *Env) (*Report, error) {
	r := &Report{}
	if e.Server() == nil {
		r.note("skipped: the server was not started by the benchmark (--url)")
		return r, nil
	}
	if fi, err := os.Stat(e.Opt.DataFile); err == nil {
		r.fact("data file", "%s (%s)", e.Opt.DataFile, MB(fi.Size()))
	}
	var times []time.Duration
	var mem Memory
	for i := range restarts {
		old := e.Server()
		if err := old.Stop(2 * time.Minute); err != nil {
			return r, fmt.Errorf("stop server: %w", err)
		}
		c, ready, err := StartReady(ctx, old.Config())
		if err != nil {
			return r, err
		}
		e.mu.Lock()
		e.server = c
		e.mu.Unlock()
		e.C.SetBase(c.URL)
		times = append(times, ready)
		if i == 0 {
			if mem, err = c.Memory(); err != nil {
				return r, err
			}
		}
		e.logf("restart %d: ready in %s", i+1, ready.Round(time.Microsecond))
	}
	slices.Sort(times)
	r.fact("start to /readyz", "%s ms median of %d restarts (min %s, max %s)", ms(times[len(times)/2]), len(times), ms(times[0]), ms(times[len(times)-1]))
	r.fact("memory at ready", "RSS %s (anonymous %s, file-mapped %s)", MB(mem.RSS), MB(mem.Anon), MB(mem.File))
	r.fail(e.audit(ctx, r))
	return r, nil
}

// StartReady starts a server with cfg and returns it with the time from
// process start to its first 200 answer of GET /readyz.
func StartReady(ctx context.Context, cfg ChildConfig) (*Child, time.Duration, error) {
	c, err := StartChild(ctx, cfg)
	if err != nil {
		return nil, 0, err
	}
	probe := NewClient(c.URL, 1)
	defer probe.CloseIdle()
	for {
		resp, err := probe.Do(ctx, "GET", "/readyz", "", nil, "")
		if err == nil && resp.Status == 200 {
			return c, time.Since(c.Started), nil
		}
		if time.Since(c.Started) > time.Minute || ctx.Err() != nil {
			c.Kill()
			return nil, 0, fmt.Errorf("server not ready after a minute: %v %v", err, resp.Status)
		}
		time.Sleep(time.Millisecond)
	}
}
