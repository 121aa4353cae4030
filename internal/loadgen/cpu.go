package loadgen

import (
	"fmt"
	"os"
	"time"

	"github.com/prometheus/procfs"
)

// proc opens /proc/<pid>.
func proc(pid int) (procfs.Proc, error) {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return procfs.Proc{}, fmt.Errorf("open /proc: %w", err)
	}
	p, err := fs.Proc(pid)
	if err != nil {
		return procfs.Proc{}, fmt.Errorf("open /proc/%d: %w", pid, err)
	}
	return p, nil
}

// seconds converts a /proc time in seconds to a Duration.
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// processCPU is the CPU time (user + system) a process has used so far.
func processCPU(pid int) (time.Duration, error) {
	p, err := proc(pid)
	if err != nil {
		return 0, err
	}
	st, err := p.Stat()
	if err != nil {
		return 0, fmt.Errorf("read /proc/%d/stat: %w", pid, err)
	}
	return seconds(st.CPUTime()), nil
}

// machineBusy is the CPU time all cores spent busy (not idle, not waiting
// for I/O) so far.
func machineBusy() (time.Duration, error) {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return 0, fmt.Errorf("open /proc: %w", err)
	}
	st, err := fs.Stat()
	if err != nil {
		return 0, fmt.Errorf("read /proc/stat: %w", err)
	}
	c := st.CPUTotal
	return seconds(c.User + c.Nice + c.System + c.IRQ + c.SoftIRQ + c.Steal), nil
}

// processWrites is the number of bytes a process has caused to be written
// to storage (write_bytes of /proc/<pid>/io).
func processWrites(pid int) (int64, error) {
	p, err := proc(pid)
	if err != nil {
		return 0, err
	}
	pio, err := p.IO()
	if err != nil {
		return 0, fmt.Errorf("read /proc/%d/io: %w", pid, err)
	}
	return int64(pio.WriteBytes), nil
}

// CPU is how busy the machine was during a measured phase, in cores (1.0 =
// one core fully busy), and what the server wrote to storage. Server counts
// the server and its companions (Options.Companions).
type CPU struct {
	Server, Generator, Others float64
	// DiskWrites is the bytes the server wrote to storage (-1: unknown).
	DiskWrites int64
	ok         bool
}

// Known reports whether the figures were measured.
func (c CPU) Known() bool { return c.ok }

type cpuSample struct {
	server, self, machine time.Duration
	writes                int64
	at                    time.Time
	ok                    bool
}

// sampleCPU reads the CPU time of this process, of the machine and of the
// serving processes (their CPU times and disk writes summed).
func sampleCPU(serverPIDs []int) cpuSample {
	s := cpuSample{at: time.Now(), ok: true}
	var err error
	if s.self, err = processCPU(os.Getpid()); err != nil {
		s.ok = false
	}
	if s.machine, err = machineBusy(); err != nil {
		s.ok = false
	}
	s.writes = -1
	if len(serverPIDs) > 0 {
		s.writes = 0
	}
	for _, pid := range serverPIDs {
		c, err := processCPU(pid)
		if err != nil {
			s.ok = false
		}
		s.server += c
		w, err := processWrites(pid)
		if err != nil || s.writes < 0 {
			s.writes = -1
			continue
		}
		s.writes += w
	}
	return s
}

func cpuBetween(a, b cpuSample) CPU {
	d := b.at.Sub(a.at).Seconds()
	if !a.ok || !b.ok || d <= 0 {
		return CPU{}
	}
	c := CPU{ok: true,
		Server:    (b.server - a.server).Seconds() / d,
		Generator: (b.self - a.self).Seconds() / d,
	}
	c.Others = max(0, (b.machine-a.machine).Seconds()/d-c.Server-c.Generator)
	c.DiskWrites = -1
	if a.writes >= 0 && b.writes >= 0 {
		c.DiskWrites = b.writes - a.writes
	}
	return c
}

func (c CPU) String() string {
	if !c.ok {
		return "unknown"
	}
	return fmt.Sprintf("server %.2f cores, load generator %.2f, other processes %.2f", c.Server, c.Generator, c.Others)
}
