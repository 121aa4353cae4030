package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"luckbox/internal/loadgen"
)

// TestCrashDuringTransfer kills the server (SIGKILL, a real process)
// between a withdrawal's transfer request and its answer: the fake WeChat
// Pay creates the bill but holds the answer. The killed file passes the
// audit with the amount held; after the restart the outbox sends the
// transfer again with the same out_bill_no, the user confirms, and the
// withdrawal succeeds exactly once: the balance drops by the amount once,
// money out is the amount, and the audit passes.
func TestCrashDuringTransfer(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("running as the server process")
	}
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "crash.db")
	start, serverLog := crashChildren(t, ctx, file)
	child := start()
	t.Cleanup(func() { child.Kill() })
	defer func() {
		if t.Failed() {
			t.Logf("server log:\n%s", serverLog())
		}
	}()
	base := child.URL
	alice, _ := demoLogin(t, base, "alice")
	var o e2eOrder
	if st := call(t, "POST", base+"/api/v1/wallet/topups", alice, map[string]int64{"amount": 1000}, &o); st != 201 {
		t.Fatalf("top-up: %d", st)
	}
	if st := call(t, "POST", base+"/_fake/wechat/pay/"+o.OutTradeNo+"/succeed", "", nil, nil); st != 200 {
		t.Fatalf("pay: %d", st)
	}
	if st := call(t, "POST", base+"/_fake/wechat/transfer/hold", "", nil, nil); st != 204 {
		t.Fatalf("hold: %d", st)
	}
	var w struct {
		ID        string `json:"withdrawal_id"`
		OutBillNo string `json:"out_bill_no"`
		Status    string `json:"status"`
		State     string `json:"state"`
		Params    *struct {
			MchID   string `json:"mchId"`
			AppID   string `json:"appId"`
			Package string `json:"package"`
		} `json:"transfer_params"`
	}
	if st := call(t, "POST", base+"/api/v1/wallet/withdrawals", alice, map[string]int64{"amount": 300}, &w); st != 201 {
		t.Fatalf("withdraw: %d", st)
	}
	// Wait until WeChat Pay (the fake) has the bill: the request arrived,
	// its answer is held. Then kill.
	waitFor(t, "the fake to receive the transfer", func() bool {
		return call(t, "GET", base+"/_fake/wechat/transfer/"+w.OutBillNo, "", nil, nil) == 200
	})
	if err := child.Kill(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := Run(ctx, []string{"audit", "--data", file}, noEnv, &out, io.Discard); err != nil ||
		!strings.Contains(out.String(), "held for withdrawals 300") {
		t.Fatalf("audit of the killed server's file: %v\n%s", err, out.String())
	}

	child = start()
	base = child.URL
	get := func() {
		t.Helper()
		if st := call(t, "GET", base+"/api/v1/wallet/withdrawals/"+w.ID, alice, nil, &w); st != 200 {
			t.Fatalf("get withdrawal: %d", st)
		}
	}
	waitFor(t, "the transfer to be sent again and answered", func() bool { get(); return w.Params != nil })
	if st := call(t, "POST", base+"/_fake/wechat/transfer/confirm", "", w.Params, nil); st != 200 {
		t.Fatalf("confirm: %d", st)
	}
	waitFor(t, "the withdrawal to succeed", func() bool { get(); return w.Status != "pending" })
	if w.Status != "succeeded" {
		t.Fatalf("withdrawal %+v", w)
	}
	if b := balanceOf(t, base, alice); b != 700 {
		t.Fatalf("balance %d, want 700", b)
	}
	var ledger struct{ Items []struct{ Kind string } }
	call(t, "GET", base+"/api/v1/wallet/ledger", alice, nil, &ledger)
	if len(ledger.Items) != 3 {
		t.Fatalf("ledger %+v", ledger.Items)
	}
	if err := child.Stop(time.Minute); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	out.Reset()
	if err := Run(ctx, []string{"audit", "--data", file}, noEnv, &out, io.Discard); err != nil ||
		!strings.Contains(out.String(), "held for withdrawals 0") || !strings.Contains(out.String(), "money out 300") {
		t.Fatalf("final audit: %v\n%s", err, out.String())
	}
}

// waitFor polls cond every 10 ms for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// crashChildren returns start, which starts a server process (the test
// binary as TestCrashChild) on file, and serverLog, the stderr of every
// process it started.
func crashChildren(t *testing.T, ctx context.Context, file string) (start func() *loadgen.Child, serverLog func() string) {
	var logs strings.Builder
	var logMu sync.Mutex
	start = func() *loadgen.Child {
		t.Helper()
		child, err := loadgen.StartChild(ctx, loadgen.ChildConfig{
			Path: os.Args[0], Args: []string{"-test.run=^TestCrashChild$"},
			Env:    append(os.Environ(), crashChildEnv+"="+strings.Join(crashServeArgs(file), "\x1f")),
			Stderr: lockedWriter{&logMu, &logs},
		})
		if err != nil {
			t.Fatalf("start server: %v", err)
		}
		return child
	}
	serverLog = func() string {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.String()
	}
	return start, serverLog
}
