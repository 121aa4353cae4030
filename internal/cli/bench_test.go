package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchAllScenarios runs every scenario of `luckbox bench`, tiny, against
// a real server and expects each correctness check to pass.
func TestBenchAllScenarios(t *testing.T) {
	const token = "bench-test-admin-token-0123456789abcdefghijkl"
	args := []string{"--admin-token", token, "--packet-max-count", "10000", "--packet-max-amount", "100000000", "--topup-max", "100000000", "--rate-limit", "off"}
	s := startServer(t, filepath.Join(t.TempDir(), "bench.db"), args...)
	var out, log bytes.Buffer
	err := Run(context.Background(), []string{"bench", "--url", s.URL, "--admin-token", token, "--scenario", "all",
		"--concurrency", "8", "--duration", "300ms", "--rate-cap", "400", "--topup-max", "100000000",
		"--hot-packets", "2", "--hot-shares", "40", "--spread-packets", "20", "--storm-users", "30", "--storm-packets", "4",
		"--storm-shares", "10", "--join-users", "40", "--draw-entries", "60", "--draw-winners", "7", "--exchange-participants", "25"},
		noEnv, &out, &log)
	if err != nil {
		t.Fatalf("bench: %v\nstdout:\n%s\nstderr:\n%s", err, &out, &log)
	}
	report := out.String()
	for _, want := range []string{
		"check ok: every answer 200",
		"packets hold exactly the", "wallets hold exactly what their grabs credited",
		"40 grabs won, 80 rejected as exhausted", // storm: 4 packets of 10 shares, 30 users each
		"lotteries count exactly their acknowledged joins",
		"25 participants drew; one cycle",
		"60 entries, proof verifies",
		"restart (8 clients)", "skipped: the server was not started by the benchmark",
		"grab-hot / ping at 8 clients:",
		"audit ok",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "CHECK FAILED") {
		t.Errorf("a check failed:\n%s", report)
	}
}

func TestBenchFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--scenario", "nope"}, `unknown scenario "nope"`},
		{[]string{"--concurrency", "0"}, "invalid --concurrency"},
		{[]string{"--url", "http://127.0.0.1:1", "--data", "x.db"}, "need a started server"},
	} {
		var stderr bytes.Buffer
		err := Run(context.Background(), append([]string{"bench"}, c.args...), noEnv, &bytes.Buffer{}, &stderr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
}
