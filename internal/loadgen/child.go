package loadgen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// listeningPrefix starts the line `luckbox serve` prints once it listens.
const listeningPrefix = "luckbox listening on "

// ChildConfig starts a server process.
type ChildConfig struct {
	// Path and Args are the program and its arguments (without the program
	// name), e.g. the luckbox binary and `serve --addr 127.0.0.1:0 --data F`.
	Path string
	Args []string
	// Env is the process environment; nil means this process's.
	Env []string
	// Stderr receives the server's log; nil discards it.
	Stderr io.Writer
	// StartTimeout bounds the wait for the listening line (default 60 s).
	StartTimeout time.Duration
	// ListenPrefix starts the line that gives the URL once the server
	// listens (default "luckbox listening on ").
	ListenPrefix string
}

// Child is a luckbox server running as a child process.
type Child struct {
	// URL is the base URL the server printed when it started listening.
	URL string
	// Started is when the process was started; Listening when it printed its URL.
	Started, Listening time.Time

	cfg  ChildConfig
	cmd  *exec.Cmd
	done chan struct{}
	err  error // the exit status, once done is closed
	out  *tailBuffer
}

// StartChild starts the process and waits until it prints its listening line.
func StartChild(ctx context.Context, cfg ChildConfig) (*Child, error) {
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	if cfg.ListenPrefix == "" {
		cfg.ListenPrefix = listeningPrefix
	}
	c := &Child{cfg: cfg, done: make(chan struct{}), out: &tailBuffer{max: 64 << 10}}
	c.cmd = exec.Command(cfg.Path, cfg.Args...)
	c.cmd.Env = cfg.Env
	var errw io.Writer = c.out
	if cfg.Stderr != nil {
		errw = io.MultiWriter(cfg.Stderr, c.out)
	}
	c.cmd.Stderr = errw
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	c.Started = time.Now()
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server %s: %w", cfg.Path, err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		found := false
		for sc.Scan() {
			line := sc.Text()
			if u, ok := strings.CutPrefix(line, cfg.ListenPrefix); ok && !found {
				found = true
				urls <- strings.TrimSpace(u)
				continue
			}
			fmt.Fprintln(c.out, line)
		}
		io.Copy(io.Discard, stdout)
		close(urls)
	}()
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	timer := time.NewTimer(cfg.StartTimeout)
	defer timer.Stop()
	select {
	case u, ok := <-urls:
		if !ok {
			<-c.done
			return nil, fmt.Errorf("server exited before listening (%v): %s", c.err, c.out.String())
		}
		c.URL = u
		c.Listening = time.Now()
		return c, nil
	case <-timer.C:
	case <-ctx.Done():
	}
	c.Kill()
	return nil, fmt.Errorf("server did not start listening in %s: %s", cfg.StartTimeout, c.out.String())
}

// Config is the configuration the child was started with.
func (c *Child) Config() ChildConfig { return c.cfg }

// PID is the process id.
func (c *Child) PID() int { return c.cmd.Process.Pid }

// Output is the tail of the server's stdout and stderr.
func (c *Child) Output() string { return c.out.String() }

// Done is closed when the process has exited.
func (c *Child) Done() <-chan struct{} { return c.done }

// Kill sends SIGKILL and waits for the process to go.
func (c *Child) Kill() error {
	select {
	case <-c.done:
		return nil
	default:
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill server: %w", err)
	}
	<-c.done
	return nil
}

// Stop asks the server to shut down (SIGTERM) and waits up to grace; then it
// kills it. It returns an error if the server did not exit cleanly.
func (c *Child) Stop(grace time.Duration) error {
	select {
	case <-c.done:
		return c.err
	default:
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop server: %w", err)
	}
	select {
	case <-c.done:
		if c.err != nil {
			return fmt.Errorf("server exited with %v: %s", c.err, c.out.String())
		}
		return nil
	case <-time.After(grace):
		c.Kill()
		return fmt.Errorf("server did not stop within %s; killed", grace)
	}
}

// Memory is a process's memory use in bytes, from /proc/<pid>/status.
type Memory struct {
	RSS  int64 // VmRSS: resident now
	Peak int64 // VmHWM: peak resident
	Anon int64 // RssAnon: heap, stacks (what the Go runtime allocated)
	File int64 // RssFile: mapped file pages (the database mmap, the binary)
}

// Memory reads the child's memory use (Linux only).
func (c *Child) Memory() (Memory, error) { return ProcessMemory(c.PID()) }

// add sums two processes' memory (Peak: the sum of each one's peak).
func (m Memory) add(o Memory) Memory {
	return Memory{RSS: m.RSS + o.RSS, Peak: m.Peak + o.Peak, Anon: m.Anon + o.Anon, File: m.File + o.File}
}

// ResetPeak makes the process's peak RSS (VmHWM) its current RSS, by
// writing 5 to /proc/<pid>/clear_refs (Linux 4.0 and later).
func ResetPeak(pid int) error {
	if err := os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0); err != nil {
		return fmt.Errorf("reset the peak RSS of process %d: %w", pid, err)
	}
	return nil
}

// ProcessMemory reads /proc/<pid>/status.
func ProcessMemory(pid int) (Memory, error) {
	p, err := proc(pid)
	if err != nil {
		return Memory{}, fmt.Errorf("read memory of process %d: %w", pid, err)
	}
	st, err := p.NewStatus()
	if err != nil {
		return Memory{}, fmt.Errorf("read memory of process %d: %w", pid, err)
	}
	return Memory{RSS: int64(st.VmRSS), Peak: int64(st.VmHWM), Anon: int64(st.RssAnon), File: int64(st.RssFile)}, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
