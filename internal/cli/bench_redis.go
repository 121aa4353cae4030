package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// redisServer is a redis-server the side-by-side benchmark started for the
// peer: durable as luckbox is (the append-only file fsynced before every
// answer), no snapshots, on a free loopback port and a temporary directory.
type redisServer struct {
	addr string
	cmd  *exec.Cmd
	done chan struct{}
	log  *lockedLog
}

// lockedLog keeps what redis-server prints (in memory, so that it does not
// count in its disk writes).
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 64<<10 {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startRedis starts bin on dir and waits until it answers PING.
func startRedis(ctx context.Context, bin, dir string) (*redisServer, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(addr)
	r := &redisServer{addr: addr, done: make(chan struct{}), log: &lockedLog{}}
	r.cmd = exec.Command(bin, "--port", port, "--bind", host, "--dir", dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no", "--logfile", "")
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { r.cmd.Wait(); close(r.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := redisPing(addr)
		if err == nil {
			return r, nil
		}
		select {
		case <-r.done:
			return nil, fmt.Errorf("redis-server exited before answering: %s", r.log)
		case <-ctx.Done():
			r.stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			r.stop()
			return nil, fmt.Errorf("redis-server on %s did not answer PING in 30 s (%v): %s", addr, err, r.log)
		}
	}
}

// redisPing sends PING (inline command) and expects +PONG.
func redisPing(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// PID is the process id.
func (r *redisServer) PID() int { return r.cmd.Process.Pid }

// stop asks redis-server to shut down (SIGTERM: it flushes the append-only
// file and exits) and kills it after 30 s.
func (r *redisServer) stop() error {
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop redis-server: %w", err)
	}
	select {
	case <-r.done:
		return nil
	case <-time.After(30 * time.Second):
		r.cmd.Process.Kill()
		<-r.done
		return errors.New("redis-server did not stop within 30 s; killed")
	}
}

// redisVersion is the first line of `redis-server --version`.
func redisVersion(ctx context.Context, bin string) string {
	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	if err != nil {
		return "redis-server (version unknown)"
	}
	v, _, _ := strings.Cut(strings.TrimSpace(string(out)), " sha=")
	return v
}
