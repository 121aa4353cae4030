package cli

import (
	"bufio"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape reads GET /metrics into series → value ("name{labels}" as exposed).
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// series returns the value of the first series whose text starts with prefix.
func series(m map[string]float64, prefix string) (float64, bool) {
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			return v, true
		}
	}
	return 0, false
}

// TestMetricsAfterTraffic drives the real server through logins, a top-up,
// a red packet with grabs, a lottery draw whose WeChat push is refused (no
// grant at WeChat), and then reads /metrics: every documented series is
// there, by name, with the values the traffic implies.
func TestMetricsAfterTraffic(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "luckbox.db"))
	alice, _ := demoLogin(t, s.URL, "alice")
	bob, _ := demoLogin(t, s.URL, "bob")
	carol, _ := demoLogin(t, s.URL, "carol")
	topUp(t, s.URL, alice, 1000)
	var p e2ePacket
	if st := call(t, "POST", s.URL+"/api/v1/packets", alice, map[string]any{"kind": "equal", "count": 2, "amount_each": 100}, &p); st != 201 {
		t.Fatalf("create packet: %d", st)
	}
	for _, tok := range []string{bob, carol} {
		if st := call(t, "POST", s.URL+"/api/v1/packets/"+p.ID+"/grabs", tok, nil, nil); st != 201 {
			t.Fatalf("grab: %d", st)
		}
	}
	if st := call(t, "POST", s.URL+"/api/v1/packets/"+p.ID+"/grabs", bob, nil, nil); st != 200 {
		t.Fatalf("grab again: %d", st)
	}
	// Bob tells luckbox he granted the result template, but WeChat (the
	// fake) has no grant: the push after the draw is refused for good.
	if st := call(t, "POST", s.URL+"/api/v1/me/subscriptions", bob, map[string]any{"template_id": "luckbox_lottery_result", "count": 1}, nil); st/100 != 2 {
		t.Fatalf("subscriptions: %d", st)
	}
	var l struct{ ID string }
	if st := call(t, "POST", s.URL+"/api/v1/lotteries", alice, map[string]any{
		"title": "metrics", "prizes": []map[string]any{{"name": "p", "quantity": 1}}, "draw": map[string]string{"mode": "manual"},
	}, &l); st != 201 {
		t.Fatalf("create lottery: %d", st)
	}
	if st := call(t, "POST", s.URL+"/api/v1/lotteries/"+l.ID+"/entries", bob, nil, nil); st != 201 {
		t.Fatalf("join: %d", st)
	}
	if st := call(t, "POST", s.URL+"/api/v1/lotteries/"+l.ID+"/draw", alice, nil, nil); st != 200 {
		t.Fatalf("draw: %d", st)
	}
	if st := call(t, "GET", s.URL+"/api/v1/me", "", nil, nil); st != 401 {
		t.Fatalf("me without a token: %d", st)
	}

	// The results fan-out and the refused push run in the background.
	var m map[string]float64
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		m = scrape(t, s.URL)
		if v, _ := series(m, "luckbox_outbox_dead_letters"); v == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no dead letter after the refused push: %v", m["luckbox_outbox_dead_letters"])
		}
	}

	exact := map[string]float64{
		`luckbox_http_requests_total{method="POST",route="/api/v1/login",status="200"}`:                    3,
		`luckbox_http_requests_total{method="POST",route="/api/v1/packets/{packetID}/grabs",status="201"}`: 2,
		`luckbox_http_requests_total{method="POST",route="/api/v1/packets/{packetID}/grabs",status="200"}`: 1,
		`luckbox_http_requests_total{method="GET",route="/api/v1/me",status="401"}`:                        1,
		`luckbox_packet_grabs_total`:         2,
		`luckbox_lottery_draws_total`:        1,
		`luckbox_packet_refunds_total`:       0,
		`luckbox_outbox_dead_letters`:        1,
		`luckbox_outbox_pending`:             0,
		`luckbox_writer_queue_depth`:         0,
		`luckbox_scheduler_lag_seconds`:      0,
		`luckbox_domain_events_total{event=`: -1, // absent: every counter has its own series
	}
	for name, want := range exact {
		got, ok := m[name]
		if want < 0 {
			if _, found := series(m, name); found {
				t.Errorf("unexpected series %s", name)
			}
			continue
		}
		if !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", name, got, ok, want)
		}
	}
	positive := []string{
		`luckbox_http_request_duration_seconds_count{method="POST",route="/api/v1/login",status="200"}`,
		`luckbox_http_request_duration_seconds_bucket{method="POST",route="/api/v1/packets/{packetID}/grabs",status="201",le="+Inf"}`,
		`luckbox_writer_batch_ops_count`,
		`luckbox_writer_batch_ops_sum`,
		`luckbox_writer_commit_seconds_count`,
		`luckbox_db_size_bytes`,
		`luckbox_scheduler_due_items`, // the packet's expiry, the top-up order's, ...
		`go_goroutines`,
	}
	for _, name := range positive {
		if v, ok := m[name]; !ok || v <= 0 {
			t.Errorf("%s = %v (present %v), want > 0", name, v, ok)
		}
	}
	// Delivery attempts and failures by kind: the refused push failed once,
	// for good; a kind that never failed shows 0.
	var permanent, deliveries float64
	for k, v := range m {
		switch {
		case strings.HasPrefix(k, "luckbox_outbox_delivery_failures_total{") && strings.Contains(k, `permanent="true"`):
			permanent += v
		case strings.HasPrefix(k, "luckbox_outbox_deliveries_total{"):
			deliveries += v
		}
	}
	if permanent != 1 || deliveries < 2 {
		t.Errorf("outbox: %v permanent failures (want 1), %v deliveries (want ≥ 2: results fan-out and push)", permanent, deliveries)
	}
	if _, ok := series(m, `luckbox_outbox_delivery_failures_total{kind=`); !ok {
		t.Error("no luckbox_outbox_delivery_failures_total series")
	}
	if _, ok := m["luckbox_writer_retries_total"]; !ok {
		t.Error("no luckbox_writer_retries_total series")
	}
	if t.Failed() {
		raw, _ := http.Get(s.URL + "/metrics")
		b, _ := io.ReadAll(raw.Body)
		raw.Body.Close()
		t.Logf("metrics:\n%s", b)
	}
}
