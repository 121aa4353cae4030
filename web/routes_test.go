package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRouteTablePolicy: the rules of the route table hold for every route:
// reads take no body and are never rate-limited; every write reads a body
// under a limit and has a rate class; only authenticated POSTs are
// idempotent; only the event stream takes its token from the query; no
// route is listed twice; every authenticated POST takes an Idempotency-Key.
func TestRouteTablePolicy(t *testing.T) {
	seen := map[string]bool{}
	for _, rt := range routeTable() {
		where := rt.method + " " + rt.pattern
		if seen[where] {
			t.Errorf("%s is in the route table twice", where)
		}
		seen[where] = true
		read := rt.method == http.MethodGet
		switch {
		case read && (rt.rate != noRate || rt.body != noBody):
			t.Errorf("%s is a read with rate class %q and body limit %d", where, rt.rate, rt.body)
		case !read && rt.rate == noRate:
			t.Errorf("%s is a write without a rate class", where)
		case !read && rt.body == noBody:
			t.Errorf("%s is a write without a body limit", where)
		}
		if rt.opts&idempotent != 0 && (rt.method != http.MethodPost || rt.auth == public) {
			t.Errorf("%s is idempotent: only authenticated POSTs are (keys are per caller)", where)
		}
		if rt.opts&idempotent == 0 && rt.method == http.MethodPost && rt.auth != public {
			t.Errorf("%s does not take an Idempotency-Key: every authenticated POST does", where)
		}
		if rt.opts&queryToken != 0 && rt.auth == public {
			t.Errorf("%s takes a query token but is public", where)
		}
		if rt.handle == nil {
			t.Errorf("%s has no handler", where)
		}
	}
}

// TestMethodNotAllowed: a known path asked with a method it does not serve
// is 405 method_not_allowed with Allow listing the methods it does serve
// (the contract check compares Allow with the document); any method,
// standard or not, on an unknown path is 404; a body on a read is ignored.
func TestMethodNotAllowed(t *testing.T) {
	h := newHarness(t, allFeatures...)
	token, _ := h.login("alice")
	for _, c := range []struct{ method, path, allow string }{
		{"PUT", "/api/v1/lotteries/x", "GET, DELETE"},
		{"POST", "/api/v1/me", "GET, PATCH"},
		{"GET", "/api/v1/login", "POST"},
		{"DELETE", "/api/v1/wallet", "GET"},
		{"PATCH", "/healthz", "GET"},
		{"HEAD", "/metrics", "GET"},
		{"M1", "/healthz", "GET"},
		{"BREW", "/api/v1/admin/exchanges", "GET, POST"},
	} {
		r := h.do(c.method, c.path, token, nil)
		code := "method_not_allowed"
		if c.method == "HEAD" {
			code = "" // no body
		}
		wantStatus(t, r, 405, code)
		if got := r.Header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
		if c.method != "HEAD" && strings.Contains(r.ErrorMessage(), "M1") {
			t.Errorf("the message echoes the client's method: %q", r.ErrorMessage())
		}
	}
	// Unauthenticated too: the method is wrong whoever asks.
	wantStatus(t, h.do("PUT", "/api/v1/me", "", nil), 405, "method_not_allowed")
	for _, m := range []string{"GET", "PUT", "M1"} {
		wantStatus(t, h.do(m, "/api/v1/nope", token, nil), 404, "not_found")
	}
	wantStatus(t, h.do("GET", "/healthz", "", strings.Repeat("x", 2<<20)), 200, "")
}

// TestBodyLimits: a write's body over its limit is 413 too_large, whether
// declared or found while reading; the participant import takes more than
// the default limit.
func TestBodyLimits(t *testing.T) {
	h := newHarness(t, append(allFeatures, withWebOptions(func(o *Options) { o.MaxBody, o.MaxImport = 1<<10, 4<<10 }))...)
	token, _ := h.login("alice")
	big := `{"title":"` + strings.Repeat("x", 2<<10) + `"}`
	wantStatus(t, h.do("POST", "/api/v1/lotteries", token, big), 413, "too_large")
	wantStatus(t, h.do("PATCH", "/api/v1/me", token, big), 413, "too_large")
	wantStatus(t, h.do("DELETE", "/api/v1/lotteries/x", token, big), 413, "too_large")
	ex := h.createExchange("office")
	var csv strings.Builder
	csv.WriteString("name,phone,group\n")
	for i := 0; csv.Len() < 2<<10; i++ {
		fmt.Fprintf(&csv, "p%d,1380000%04d,\n", i, i)
	}
	r := h.importCSV(ex.ID, csv.String())
	if r.Status != 200 && r.Status != 201 {
		t.Fatalf("an import of %d bytes (over MaxBody, under MaxImport): %d %s", csv.Len(), r.Status, r.Body)
	}
	for csv.Len() < 5<<10 {
		csv.WriteString("q,13900000000,\n")
	}
	wantStatus(t, h.importCSV(ex.ID, csv.String()), 413, "too_large")
}

// TestWriteRateLimit: the general write class covers writes the other
// classes do not: with the default limits, POST /me/subscriptions with a
// fresh Idempotency-Key each time is refused 429 with Retry-After once the
// burst is spent (the clock stands still), the refusal is not stored under
// its key, and reads are not limited.
func TestWriteRateLimit(t *testing.T) {
	h := newHarness(t, withRateLimits(DefaultRateLimits(), false))
	token, _ := h.login("alice")
	burst := DefaultRateLimits().Write.Burst
	var refused response
	n := 0
	for n = 1; n <= 10*burst; n++ {
		r := h.do("POST", "/api/v1/me/subscriptions", token, map[string]any{"template_id": "t1", "count": 1}, "Idempotency-Key", fmt.Sprintf("k%d", n))
		if r.Status == 429 {
			refused = r
			break
		}
		wantStatus(t, r, 200, "")
	}
	if n != burst+1 {
		t.Fatalf("request %d was refused (%d), want the first after the burst of %d", n, refused.Status, burst)
	}
	wantRetryAfter(t, refused, "1")
	if !strings.Contains(refused.ErrorMessage(), "too many changes") {
		t.Errorf("message %q", refused.ErrorMessage())
	}
	for range 5 {
		wantStatus(t, h.do("GET", "/api/v1/me", token, nil), 200, "")
	}
	h.clock.Add(time.Second)
	r := h.do("POST", "/api/v1/me/subscriptions", token, map[string]any{"template_id": "t1", "count": 1}, "Idempotency-Key", fmt.Sprintf("k%d", n))
	wantStatus(t, r, 200, "")
	if r.Header.Get("Idempotent-Replayed") != "" {
		t.Fatal("the 429 was stored as the reply of its key")
	}
	// Other users have their own bucket.
	bob, _ := h.login("bob")
	wantStatus(t, h.do("PATCH", "/api/v1/me", bob, map[string]string{"nickname": "Bob"}), 200, "")
}

// TestWriteRateLimitPayNotifyPerIP: the public write (the payment
// notification) is limited per client address, loopback excepted.
func TestWriteRateLimitPayNotifyPerIP(t *testing.T) {
	h := newHarness(t, withRateLimits(RateLimits{Write: Rate{N: 1, Per: time.Hour, Burst: 2}}, true))
	notify := func(ip string) response {
		return h.do("POST", "/api/v1/pay/notify", "", map[string]any{"id": "n", "event_type": "TRANSACTION.SUCCESS", "resource": map[string]any{}},
			"X-Forwarded-For", ip, "Wechatpay-Signature", "s", "Wechatpay-Timestamp", "1", "Wechatpay-Nonce", "n", "Wechatpay-Serial", "x")
	}
	for range 2 {
		if r := notify("203.0.113.9"); r.Status == 429 {
			t.Fatalf("refused within the burst: %s", r.Body)
		}
	}
	wantRetryAfter(t, notify("203.0.113.9"), "3600")
	if r := notify("203.0.113.10"); r.Status == 429 {
		t.Fatal("another address shares the bucket")
	}
	for range 3 {
		if r := notify("127.0.0.1"); r.Status == 429 {
			t.Fatal("loopback is limited")
		}
	}
}

// TestMetricLabelsBounded: clients choose methods and paths, not label
// values: 5,000 requests with distinct methods and distinct paths leave the
// HTTP series few (methods outside the standard set are OTHER, unknown
// routes are one label, known routes are their patterns).
func TestMetricLabelsBounded(t *testing.T) {
	h := newHarness(t)
	seriesBefore := httpSeries(t, h)
	for i := range 5000 {
		switch i % 3 {
		case 0:
			h.do(fmt.Sprintf("M%d", i), "/healthz", "", nil)
		case 1:
			h.do("GET", fmt.Sprintf("/api/v1/nope/%d", i), "", nil)
		default:
			h.do(fmt.Sprintf("X%d", i), fmt.Sprintf("/no/such/%d", i), "", nil)
		}
	}
	for i := range 20 {
		h.do("GET", fmt.Sprintf("/docs/%d.js", i), "", nil) // one route, many paths
	}
	series := httpSeries(t, h)
	if n := len(series) - len(seriesBefore); n > 10 {
		t.Fatalf("5,020 requests made %d new series: %v", n, series)
	}
	for s := range series {
		if strings.Contains(s, `"M`) || strings.Contains(s, `"X`) || strings.Contains(s, "nope") || strings.Contains(s, "/no/such") {
			t.Errorf("a client's method or path is a label value: %s", s)
		}
	}
	for _, want := range []string{
		`luckbox_http_requests_total{method="OTHER",route="unmatched",status="405"}`,
		`luckbox_http_requests_total{method="OTHER",route="unmatched",status="404"}`,
		`luckbox_http_requests_total{method="GET",route="unmatched",status="404"}`,
		`luckbox_http_requests_total{method="GET",route="/docs/{asset}",status="404"}`,
	} {
		if !series[want] {
			t.Errorf("no series %s in %v", want, series)
		}
	}
}

// httpSeries gathers the series of luckbox_http_requests_total and
// luckbox_http_request_duration_seconds from the server's registry.
func httpSeries(t *testing.T, h *harness) map[string]bool {
	t.Helper()
	families, err := h.srv.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, f := range families {
		if f.GetName() != "luckbox_http_requests_total" && f.GetName() != "luckbox_http_request_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			out[f.GetName()+"{"+strings.Join(labels, ",")+"}"] = true
		}
	}
	return out
}

// TestOpenAPIStatesPolicies: the document states each route's policy: the
// security of public routes, 401/403 on the others, 413 where a body is
// read, 429 and x-rate-class where a rate class applies, Idempotency-Key
// and 422 on idempotent routes, Idempotent-Replayed on their successes, and
// X-Request-Id on every response.
func TestOpenAPIStatesPolicies(t *testing.T) {
	doc := openapiJSON(t)
	for _, rt := range routeTable() {
		where := rt.method + " " + rt.pattern
		op := asMap(asMap(asMap(doc["paths"])[rt.pattern])[strings.ToLower(rt.method)])
		if op == nil {
			t.Errorf("%s is not documented", where)
			continue
		}
		responses := asMap(op["responses"])
		want := map[string]bool{"500": true}
		if rt.auth != public {
			want["401"], want["403"] = true, true
		} else if sec, ok := op["security"].([]any); !ok || len(sec) != 0 {
			t.Errorf("%s is public but documents security %v", where, op["security"])
		}
		if rt.body != noBody {
			want["413"] = true
		}
		if rt.rate != noRate {
			want["429"] = true
			if op["x-rate-class"] != string(rt.rate) {
				t.Errorf("%s: x-rate-class %v, want %s", where, op["x-rate-class"], rt.rate)
			}
		}
		if rt.opts&idempotent != 0 {
			want["422"] = true
			params := fmt.Sprint(op["parameters"])
			if !strings.Contains(params, "#/components/parameters/IdempotencyKey") {
				t.Errorf("%s is idempotent but takes no Idempotency-Key: %s", where, params)
			}
			for status, res := range responses {
				if status[0] == '2' && asMap(deref(doc, res)["headers"])["Idempotent-Replayed"] == nil {
					t.Errorf("%s %s: a replay would carry Idempotent-Replayed, which is not documented", where, status)
				}
			}
		}
		for status := range want {
			if responses[status] == nil {
				t.Errorf("%s does not document %s", where, status)
			}
		}
		for status, res := range responses {
			if asMap(deref(doc, res)["headers"])["X-Request-Id"] == nil {
				t.Errorf("%s %s: no X-Request-Id header", where, status)
			}
		}
	}
}
