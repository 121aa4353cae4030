package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/packet"
	"luckbox/wechat"
	"luckbox/wechat/fake"
)

// refundCrashEnv carries "phase\x1fdatabase\x1ffake URL" to the test binary
// re-executed as the process of TestRefundCrash.
const refundCrashEnv = "LUCKBOX_REFUND_CRASH_CHILD"

// refundCrashBuckets are the buckets of the refund crash test's database.
func refundCrashBuckets() [][]byte {
	return append(append([][]byte{}, auth.Buckets...), packet.Buckets...)
}

// TestRefundCrashChild is not a test: it is the luckbox process of
// TestRefundCrash. Phase "pay" creates a packet paid through the fake
// WeChat Pay and prints its out_trade_no; phase "refund" applies the
// payment (an order query), which expires the packet at once and requests
// its refund, and runs the outbox, whose request the parent's fake never
// answers (the parent kills this process); phase "resume" runs the
// background until the refund is final and prints its status.
func TestRefundCrashChild(t *testing.T) {
	env := os.Getenv(refundCrashEnv)
	if env == "" {
		t.Skip("the process of TestRefundCrash")
	}
	parts := strings.Split(env, "\x1f")
	phase, file, fakeURL := parts[0], parts[1], parts[2]
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := data.Open(file, data.Options{Buckets: refundCrashBuckets(), Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	keys, err := demoKeysFor(context.Background(), db) // made by the parent
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	pay, err := wechat.NewPay(wechat.PayConfig{AppID: demoAppID, MchID: demoMchID, MchSerial: keys.MchSerial, MchKey: keys.MchKey,
		APIv3Key: keys.APIv3Key, PlatformSerial: keys.PlatformSerial, PlatformKey: &keys.PlatformKey.PublicKey,
		NotifyURL: fakeURL + "/nowhere", BaseURL: fakeURL})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	svc := packet.New(db, packet.Options{TTL: time.Millisecond, Logger: log, Payments: wxPayments{p: pay, appID: demoAppID},
		Refunds: wxRefunds{p: pay, notifyURL: fakeURL + "/nowhere"}})
	ctx := context.Background()
	switch phase {
	case "pay":
		p, err := svc.Create(ctx, auth.User{Seq: 1, OpenID: "o-alice"}, packet.CreateInput{Kind: packet.KindEqual, Count: 4, AmountEach: 150, PayWith: packet.PayWeChat})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(*p.OutTradeNo)
	case "refund", "resume":
		bg := db.NewBackground()
		svc.RegisterBackground(bg)
		go bg.Run(ctx)
		if phase == "refund" {
			if err := svc.QueryOrder(ctx, os.Getenv(refundCrashEnv+"_ORDER")); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			select {} // the parent kills this process while the refund request hangs
		}
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			rs, _, err := svc.Refunds(ctx, "", "", 0)
			if err == nil && len(rs) == 1 && rs[0].Status == packet.RefundSuccess {
				fmt.Println(rs[0].Status, rs[0].OutRefundNo)
				os.Exit(0)
			}
			db.Poke()
		}
		fmt.Fprintln(os.Stderr, "the refund did not complete")
		os.Exit(1)
	}
	os.Exit(0)
}

// TestRefundCrash kills (SIGKILL) a luckbox process after its refund
// request reached WeChat Pay (the fake, in this process, recorded it) and
// before the answer came back. The stopped file passes the audit with the
// money in refunds in flight; after a restart the outbox sends the same
// out_refund_no again, WeChat Pay (which meanwhile finished it) answers the
// same refund, and it completes once: one refund at WeChat Pay, money out
// equal to the packet, the audit passing.
func TestRefundCrash(t *testing.T) {
	if os.Getenv(refundCrashEnv) != "" {
		t.Skip("running as the child")
	}
	file := filepath.Join(t.TempDir(), "refund-crash.db")
	db, err := data.Open(file, data.Options{Buckets: refundCrashBuckets()})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := demoKeysFor(context.Background(), db) // shared with the child through the file
	if cerr := db.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	f := fake.New(fake.Options{AppID: demoAppID, Secret: "s", Pay: keys.PayOptions(demoAppID, demoMchID, nil)})
	var mu sync.Mutex
	hang := true
	reached := make(chan struct{}, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/nowhere" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		if r.URL.Path != "/v3/refund/domestic/refunds" {
			f.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		f.ServeHTTP(rec, r) // WeChat Pay records the refund...
		mu.Lock()
		h := hang
		mu.Unlock()
		reached <- struct{}{}
		if h {
			<-r.Context().Done() // ...and its answer never arrives
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	defer srv.Close()
	child := func(phase string, extra ...string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRefundCrashChild$")
		cmd.Env = append(os.Environ(), refundCrashEnv+"="+phase+"\x1f"+file+"\x1f"+srv.URL)
		cmd.Env = append(cmd.Env, extra...)
		cmd.Stderr = os.Stderr
		return cmd
	}
	out, err := child("pay").Output()
	if err != nil {
		t.Fatalf("pay phase: %v", err)
	}
	no := strings.TrimSpace(string(out))
	if resp, err := http.Post(srv.URL+"/pay/"+no+"/succeed", "", nil); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}

	cmd := child("refund", refundCrashEnv+"_ORDER="+no)
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the refund request never reached WeChat Pay")
	}
	_ = cmd.Process.Kill() // SIGKILL, between the request and its answer
	_ = cmd.Wait()

	rep := auditFile(t, file)
	if rep.Totals.RefundsInFlight != 600 || rep.Totals.MoneyIn != 600 || rep.Totals.MoneyOut != 0 {
		t.Fatalf("after the kill: %+v", rep.Totals)
	}
	refunds := f.Refunds()
	if len(refunds) != 1 || refunds[0].Refund != 600 || refunds[0].OutTradeNo != no {
		t.Fatalf("WeChat Pay has %+v", refunds)
	}
	if resp, err := http.Post(srv.URL+"/refunds/"+refunds[0].OutRefundNo+"/complete?status=SUCCESS&times=0", "", nil); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	mu.Lock()
	hang = false
	mu.Unlock()
	out, err = child("resume").Output()
	if err != nil || strings.TrimSpace(string(out)) != "success "+refunds[0].OutRefundNo {
		t.Fatalf("resume: %q, %v", out, err)
	}
	if refunds := f.Refunds(); len(refunds) != 1 {
		t.Fatalf("WeChat Pay has %d refunds", len(refunds))
	}
	rep = auditFile(t, file)
	if rep.Totals.RefundsInFlight != 0 || rep.Totals.MoneyOut != 600 || rep.Totals.RefundedOut != 600 || rep.Totals.Balances != 0 {
		t.Fatalf("after the restart: %+v", rep.Totals)
	}
}

// auditFile audits a stopped process's database file and fails unless
// every invariant holds.
func auditFile(t *testing.T, file string) packet.Report {
	t.Helper()
	db, err := openReadOnly(file, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rep, err := packet.Audit(db)
	if err != nil || !rep.OK {
		t.Fatalf("audit: %v %+v", err, rep.Checks)
	}
	return rep
}
