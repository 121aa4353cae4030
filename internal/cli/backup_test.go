package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// topUp credits amount fen to the user through a top-up paid with the fake
// WeChat Pay.
func topUp(t *testing.T, base, token string, amount int64) {
	t.Helper()
	var o e2eOrder
	if st := call(t, "POST", base+"/api/v1/wallet/topups", token, map[string]int64{"amount": amount}, &o); st != 201 {
		t.Fatalf("top-up: %d", st)
	}
	if st := call(t, "POST", base+"/_fake/wechat/pay/"+o.OutTradeNo+"/succeed", "", nil, nil); st != 200 {
		t.Fatalf("pay: %d", st)
	}
}

// ackedGrab is a grab whose 201 arrived before the backup began.
type ackedGrab struct {
	token  string
	amount int64
}

// TestBackupUnderLoadRestoreAudit takes a hot backup through the admin
// endpoint while other clients log in and grab a red packet, restores it to
// a new file and audits it, then starts a server on the restored file: every
// write acknowledged before the backup began is there.
func TestBackupUnderLoadRestoreAudit(t *testing.T) {
	const admin = "backup-admin-token-0123456789abcdefghijkl"
	dir := t.TempDir()
	live := filepath.Join(dir, "live.db")
	s := startServer(t, live, "--admin-token", admin)
	alice, _ := demoLogin(t, s.URL, "alice")
	topUp(t, s.URL, alice, 50000)
	var p e2ePacket
	if st := call(t, "POST", s.URL+"/api/v1/packets", alice, map[string]any{"kind": "lucky", "count": 100, "amount": 10000}, &p); st != 201 {
		t.Fatalf("create packet: %d", st)
	}

	// Writers: each logs a new user in and grabs, until told to stop.
	var (
		started, stop atomic.Bool
		writes        atomic.Int64
		mu            sync.Mutex
		before        []ackedGrab
		wg            sync.WaitGroup
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				tok, _ := demoLogin(t, s.URL, fmt.Sprintf("w%d-%d", w, i))
				var g struct{ Amount int64 }
				st := call(t, "POST", s.URL+"/api/v1/packets/"+p.ID+"/grabs", tok, nil, &g)
				if st != 201 && st != 410 {
					t.Errorf("grab: %d", st)
					return
				}
				// Read the flag after the answer: a grab answered before the
				// backup started was committed before its snapshot.
				if st == 201 && !started.Load() {
					mu.Lock()
					before = append(before, ackedGrab{tok, g.Amount})
					mu.Unlock()
				}
				writes.Add(1)
			}
		}()
	}
	waitWrites := func(n int64) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); writes.Load() < n; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) || t.Failed() {
				stop.Store(true)
				wg.Wait()
				t.Fatalf("the writers made %d writes, want %d", writes.Load(), n)
			}
		}
	}
	waitWrites(20)
	out := filepath.Join(dir, "backup.db")
	started.Store(true)
	during := writes.Load()
	var stdout bytes.Buffer
	err := Run(context.Background(), []string{"backup", "--server", s.URL, "--admin-token", admin, "--out", out}, noEnv, &stdout, io.Discard)
	waitWrites(during + 20) // the load goes on after the backup too
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup under load: %v", err)
	}
	if !strings.Contains(stdout.String(), "audit: all invariants hold") || !strings.Contains(stdout.String(), "written to "+out) {
		t.Fatalf("backup report:\n%s", stdout.String())
	}
	if len(before) == 0 {
		t.Fatal("no grab was acknowledged before the backup")
	}

	// Refusals: an existing --out, the live file of a running server.
	if err := Run(context.Background(), []string{"backup", "--server", s.URL, "--admin-token", admin, "--out", out}, noEnv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("backup onto an existing file: %v", err)
	}
	if err := Run(context.Background(), []string{"backup", "--data", live, "--out", filepath.Join(dir, "b2.db")}, noEnv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "running server") {
		t.Errorf("backup --data of a running server's file: %v", err)
	}
	if err := Run(context.Background(), []string{"backup", "--server", s.URL, "--admin-token", "wrong-token-0123456789", "--out", filepath.Join(dir, "b3.db")}, noEnv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "unauthenticated") {
		t.Errorf("backup with a wrong token: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "b3.db")); !os.IsNotExist(err) {
		t.Errorf("a failed backup left a file: %v", err)
	}
	if err := Run(context.Background(), []string{"restore", "--from", out, "--data", live, "--force"}, noEnv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "running luckbox") {
		t.Errorf("restore onto a running server's file: %v", err)
	}

	// Restore to a new file, audit it, serve it.
	restored := filepath.Join(dir, "restored.db")
	stdout.Reset()
	if err := Run(context.Background(), []string{"restore", "--from", out, "--data", restored}, noEnv, &stdout, io.Discard); err != nil {
		t.Fatalf("restore: %v\n%s", err, stdout.String())
	}
	if !strings.Contains(stdout.String(), "restored "+out) {
		t.Fatalf("restore report:\n%s", stdout.String())
	}
	stdout.Reset()
	if err := Run(context.Background(), []string{"audit", "--data", restored}, noEnv, &stdout, io.Discard); err != nil {
		t.Fatalf("audit of the restored file: %v\n%s", err, stdout.String())
	}
	if err := Run(context.Background(), []string{"restore", "--from", out, "--data", restored}, noEnv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("restore onto an existing file without --force: %v", err)
	}
	stdout.Reset()
	if err := Run(context.Background(), []string{"restore", "--from", out, "--data", restored, "--force"}, noEnv, &stdout, io.Discard); err != nil {
		t.Fatalf("restore --force: %v", err)
	}
	kept, _ := filepath.Glob(restored + ".pre-restore-*")
	if len(kept) != 1 || !strings.Contains(stdout.String(), kept[0]) {
		t.Errorf("restore --force kept %v; report:\n%s", kept, stdout.String())
	}

	s.stop(t)
	r := startServer(t, restored)
	if b := balanceOf(t, r.URL, alice); b != 40000 {
		t.Errorf("alice's balance in the restore: %d, want 40000", b)
	}
	for _, g := range before {
		if b := balanceOf(t, r.URL, g.token); b != g.amount {
			t.Errorf("a grab of %d acknowledged before the backup: balance %d in the restore", g.amount, b)
		}
	}
	t.Logf("%d grabs acknowledged before the backup, %d writes in all", len(before), writes.Load())
}

// TestBackupOfStoppedFile: backup --data copies a stopped server's file;
// restore refuses what is not a luckbox database.
// stoppedFileWith is a stopped server's database file in dir in which
// alice topped up amount fen.
func stoppedFileWith(t *testing.T, dir string, amount int64) string {
	t.Helper()
	live := filepath.Join(dir, "live.db")
	s := startServer(t, live)
	tok, _ := demoLogin(t, s.URL, "alice")
	topUp(t, s.URL, tok, amount)
	s.stop(t)
	return live
}

func TestBackupOfStoppedFile(t *testing.T) {
	dir := t.TempDir()
	live := stoppedFileWith(t, dir, 1234)

	out := filepath.Join(dir, "cold.db")
	var stdout bytes.Buffer
	if err := Run(context.Background(), []string{"backup", "--data", live, "--out", out}, noEnv, &stdout, io.Discard); err != nil {
		t.Fatalf("backup --data: %v", err)
	}
	if !strings.Contains(stdout.String(), "balances 1234 + escrow 0 fen") {
		t.Fatalf("backup report:\n%s", stdout.String())
	}
	if err := Run(context.Background(), []string{"backup", "--out", out}, noEnv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "--server, --data or --etcd-endpoints") {
		t.Errorf("backup without a source: %v", err)
	}

	notDB := writeTestFile(t, "notes.txt", strings.Repeat("not a database\n", 1000))
	for _, from := range []string{notDB, filepath.Join(dir, "missing.db")} {
		target := filepath.Join(t.TempDir(), "r.db")
		if err := Run(context.Background(), []string{"restore", "--from", from, "--data", target}, noEnv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "--from") {
			t.Errorf("restore --from %s: %v", filepath.Base(from), err)
		}
		if _, err := os.Stat(target); !os.IsNotExist(err) {
			t.Errorf("a refused restore created %s", target)
		}
	}
	if err := Run(context.Background(), []string{"restore", "--from", out, "--data", out, "--force"}, noEnv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "same file") {
		t.Errorf("restore onto itself: %v", err)
	}
}

// TestBackupRefusesUnsafeSettings: --force has no environment fallback (a
// stray LUCKBOX_FORCE replaces nothing), and the admin token is not sent over
// plain http to another machine.
func TestBackupRefusesUnsafeSettings(t *testing.T) {
	dir := t.TempDir()
	out := writeTestFile(t, "existing.db", "keep me")
	live := filepath.Join(dir, "live.db")
	s := startServer(t, live)
	s.stop(t)
	env := func(k string) string {
		if k == "LUCKBOX_FORCE" {
			return "true"
		}
		return ""
	}
	err := Run(context.Background(), []string{"backup", "--data", live, "--out", out}, env, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("backup over an existing --out with LUCKBOX_FORCE set: %v", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "keep me" {
		t.Errorf("the existing --out was replaced: %d bytes", len(b))
	}
	err = Run(context.Background(), []string{"backup", "--server", "http://192.0.2.1:8080", "--admin-token", "secret-token-0123456789",
		"--out", filepath.Join(dir, "b.db")}, noEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "https only") {
		t.Errorf("backup over plain http to another host: %v", err)
	}
}
