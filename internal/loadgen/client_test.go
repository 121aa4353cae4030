package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestClientCall(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/ok":
			if r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("Content-Type") != "application/json" {
				w.WriteHeader(400)
				return
			}
			fmt.Fprint(w, `{"n":7}`)
		case "/gone":
			w.WriteHeader(410)
			fmt.Fprint(w, `{"error":{"code":"exhausted","message":"none left"}}`)
		case "/api/v1/admin/audit":
			if r.Header.Get("Authorization") == "Bearer bad" {
				fmt.Fprint(w, `{"ok":false,"checks":[{"name":"conservation","ok":false,"failures":["off by 1"]}]}`)
				return
			}
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	c := NewClient(srv.URL+"/", 2)
	ctx := context.Background()
	var out struct{ N int }
	if st, err := c.Call(ctx, "POST", "/ok", "tok", map[string]int{"x": 1}, &out, 200); err != nil || st != 200 || out.N != 7 {
		t.Fatalf("ok: %d %v %+v", st, err, out)
	}
	st, err := c.Call(ctx, "POST", "/gone", "tok", nil, nil, 201)
	var e *Error
	if st != 410 || !errors.As(err, &e) || e.Code != "exhausted" || !IsStatus(err, 410) {
		t.Fatalf("gone: %d %v", st, err)
	}
	if _, err := c.Call(ctx, "POST", "/gone", "tok", nil, nil, 201, 410); err != nil {
		t.Fatalf("410 wanted: %v", err)
	}
	if _, err := c.Audit(ctx); !errors.Is(err, ErrNoAudit) {
		t.Fatalf("audit without token: %v", err)
	}
	c.AdminToken = "good"
	if _, err := c.Audit(ctx); !errors.Is(err, ErrNoAudit) {
		t.Fatalf("audit 404: %v", err)
	}
	c.AdminToken = "bad"
	if _, err := c.Audit(ctx); err == nil || !strings.Contains(err.Error(), "conservation: off by 1") {
		t.Fatalf("failed audit: %v", err)
	}
}

func TestProcessMemoryAndCPU(t *testing.T) {
	m, err := ProcessMemory(os.Getpid())
	if err != nil || m.RSS <= 0 || m.Peak < m.RSS || m.Anon <= 0 {
		t.Fatalf("memory %+v %v", m, err)
	}
	if _, err := processCPU(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if b, err := machineBusy(); err != nil || b <= 0 {
		t.Fatalf("machine busy %v %v", b, err)
	}
	if w, err := processWrites(os.Getpid()); err != nil || w < 0 {
		t.Fatalf("writes %d %v", w, err)
	}
	if _, err := processCPU(1 << 30); err == nil {
		t.Fatal("CPU of a process that does not exist")
	}
}

// TestHelperServer is not a test: it is the child process of TestStartChild.
func TestHelperServer(t *testing.T) {
	if os.Getenv("LOADGEN_HELPER") == "" {
		t.Skip("helper process")
	}
	fmt.Println("some other line")
	fmt.Println(listeningPrefix + "http://127.0.0.1:9")
	time.Sleep(time.Minute)
	os.Exit(0)
}

func TestStartChild(t *testing.T) {
	c, err := StartChild(context.Background(), ChildConfig{Path: os.Args[0], Args: []string{"-test.run=^TestHelperServer$"},
		Env: append(os.Environ(), "LOADGEN_HELPER=1")})
	if err != nil {
		t.Fatal(err)
	}
	if c.URL != "http://127.0.0.1:9" || c.Listening.Before(c.Started) {
		t.Errorf("url %q", c.URL)
	}
	if m, err := c.Memory(); err != nil || m.RSS <= 0 {
		t.Errorf("memory %+v %v", m, err)
	}
	if err := c.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("not done after Kill")
	}
	if !strings.Contains(c.Output(), "some other line") {
		t.Errorf("output %q", c.Output())
	}
	// A process that exits before listening is an error, with its output.
	_, err = StartChild(context.Background(), ChildConfig{Path: os.Args[0], Args: []string{"-test.run=^TestNothing$"}})
	if err == nil || !strings.Contains(err.Error(), "exited before listening") {
		t.Fatalf("early exit: %v", err)
	}
}

// TestResetPeak: after a big allocation is freed, resetting the peak brings
// VmHWM back down to about the current RSS.
func TestResetPeak(t *testing.T) {
	big := make([]byte, 64<<20)
	for i := 0; i < len(big); i += 4096 {
		big[i] = 1 // touch every page
	}
	big = nil
	runtime.GC()
	debug.FreeOSMemory()
	freed, err := ProcessMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if freed.Peak-freed.RSS < 16<<20 {
		t.Skipf("the freed memory stayed resident (RSS %s, peak %s): nothing to reset", MB(freed.RSS), MB(freed.Peak))
	}
	if err := ResetPeak(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	after, err := ProcessMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after.Peak > after.RSS+8<<20 {
		t.Fatalf("peak %s after the reset, RSS %s (peak before %s)", MB(after.Peak), MB(after.RSS), MB(freed.Peak))
	}
}
