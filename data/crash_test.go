package data

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// crashEnv names the database file the crash helper child writes to.
const crashEnv = "LUCKBOX_DATA_CRASH_DB"

// TestCrashHelper is the child process of TestCrashDurability; it does
// nothing in a normal test run. It writes unique keys from many goroutines
// and prints each key only after its Update returned nil, until it is killed.
func TestCrashHelper(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("crash helper: runs only as the child of TestCrashDurability")
	}
	round := os.Getenv(crashEnv + "_ROUND")
	noJournal := os.Getenv(crashEnv+"_NOJOURNAL") != ""
	db, err := Open(path, Options{Buckets: [][]byte{testBucket}, LockTimeout: 5 * time.Second, NoJournal: noJournal})
	if err != nil {
		fmt.Fprintf(os.Stdout, "error %v\n", err)
		os.Exit(2)
	}
	var mu sync.Mutex // one whole line per write
	deadline := time.Now().Add(20 * time.Second)
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				key := fmt.Sprintf("r%s-g%02d-%06d", round, g, i)
				if err := db.Update(context.Background(), put(key, "v")); err != nil {
					mu.Lock()
					fmt.Fprintf(os.Stdout, "error %v\n", err)
					mu.Unlock()
					return
				}
				mu.Lock()
				os.Stdout.WriteString("ack " + key + "\n")
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	os.Exit(3) // never reached when the parent kills us in time
}

// TestCrashDurability kills a writing child process with SIGKILL at a random
// moment and checks that every key it acknowledged survived. Odd rounds
// commit without the journal (each opening first recovers the journal the
// round before left).
func TestCrashDurability(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("inside the crash helper")
	}
	path := t.TempDir() + "/crash.db"
	rng := rand.New(rand.NewPCG(1, 2))
	acked := map[string]bool{}
	for round := range 5 {
		delay := time.Duration(50+rng.IntN(251)) * time.Millisecond
		n := crashRound(t, path, round, delay, acked)
		t.Logf("round %d: killed after %v, %d keys acknowledged", round, delay, n)
		if n == 0 {
			t.Fatalf("round %d: child acknowledged nothing", round)
		}

		db, err := Open(path, Options{Buckets: [][]byte{testBucket}})
		if err != nil {
			t.Fatalf("reopen after crash %d: %v", round, err)
		}
		var missing []string
		err = db.View(func(tx Tx) error {
			b := tx.Bucket(testBucket)
			for k := range acked {
				if b.Get([]byte(k)) == nil {
					missing = append(missing, k)
				}
			}
			for err := range Unwrap(tx).Check() {
				t.Errorf("round %d: integrity: %v", round, err)
			}
			return nil
		})
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(missing) > 0 {
			t.Fatalf("round %d: %d acknowledged keys lost, e.g. %v", round, len(missing), missing[:min(5, len(missing))])
		}
	}
}

// crashRound runs one child, kills it delay after its first acknowledgement,
// adds the keys it acknowledged to acked and returns how many it added.
func crashRound(t *testing.T, path string, round int, delay time.Duration, acked map[string]bool) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), crashEnv+"="+path, fmt.Sprintf("%s_ROUND=%d", crashEnv, round))
	if round%2 == 1 {
		cmd.Env = append(cmd.Env, crashEnv+"_NOJOURNAL=1")
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make(chan struct{})
	lines := make(chan []string, 1)
	go func() {
		var keys []string
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if k, ok := strings.CutPrefix(line, "ack "); ok {
				if len(keys) == 0 {
					close(first)
				}
				keys = append(keys, k)
			} else if strings.HasPrefix(line, "error ") {
				t.Errorf("child: %s", line)
			}
		}
		lines <- keys
	}()
	select {
	case <-first:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("round %d: child never acknowledged a write", round)
	}
	time.Sleep(delay)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill child: %v", err)
	}
	keys := <-lines // EOF: the child is dead and its output fully read
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("round %d: child did not die of SIGKILL: %v", round, err)
	}
	for _, k := range keys {
		if acked[k] {
			t.Fatalf("key %s acknowledged twice", k)
		}
		acked[k] = true
	}
	return len(keys)
}
