package loadgen

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of /proc CPU times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// processCPU is the CPU time (user + system) a process has used so far.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: fields count after ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	return time.Duration(ut+st) * clockTick, nil
}

// machineBusy is the CPU time all cores spent busy (not idle, not waiting
// for I/O) so far.
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, fmt.Errorf("unexpected /proc/stat")
	}
	var busy int64
	for i, v := range f[1:8] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return time.Duration(busy) * clockTick, nil
}

// processWrites is the number of bytes a process has caused to be written
// to storage (write_bytes of /proc/<pid>/io).
func processWrites(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("no write_bytes in /proc/%d/io", pid)
}

// CPU is how busy the machine was during a measured phase, in cores (1.0 =
// one core fully busy), and what the server wrote to storage.
type CPU struct {
	Server, Generator, Others float64
	// DiskWrites is the bytes the server wrote to storage (-1: unknown).
	DiskWrites int64
	ok         bool
}

type cpuSample struct {
	server, self, machine time.Duration
	writes                int64
	at                    time.Time
	ok                    bool
}

func sampleCPU(serverPID int) cpuSample {
	s := cpuSample{at: time.Now(), ok: true}
	var err error
	if s.self, err = processCPU(os.Getpid()); err != nil {
		s.ok = false
	}
	if s.machine, err = machineBusy(); err != nil {
		s.ok = false
	}
	s.writes = -1
	if serverPID > 0 {
		if s.server, err = processCPU(serverPID); err != nil {
			s.ok = false
		}
		if w, err := processWrites(serverPID); err == nil {
			s.writes = w
		}
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
