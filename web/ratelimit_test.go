package web

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Rate
	}{
		{"20/s", Rate{N: 20, Per: time.Second, Burst: 20}},
		{"100/m,burst=20", Rate{N: 100, Per: time.Minute, Burst: 20}},
		{" 5/h , burst=1 ", Rate{N: 5, Per: time.Hour, Burst: 1}},
		{"off", Rate{}},
		{"0", Rate{}},
	} {
		got, err := ParseRate(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseRate(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
			continue
		}
		back, err := ParseRate(got.String())
		if err != nil || back != got {
			t.Errorf("ParseRate(%q.String() = %q) = %+v, %v", c.in, got.String(), back, err)
		}
	}
	for _, bad := range []string{"", "on", "x/s", "5/d", "5", "-1/s", "0/s", "5/s,burst=0", "5/s,burst", "5/s,b=3", "5/s,burst=x", "2000000/s"} {
		if r, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) = %+v, want an error", bad, r)
		}
	}
	if s := DefaultRateLimits().Login.String(); s != "20/s,burst=200" {
		t.Errorf("default login rate = %q", s)
	}
}

// withWebOptions adjusts the harness server's Options.
func withWebOptions(f func(*Options)) harnessOption {
	return func(h *harness, _ *Deps) { h.webOptions = append(h.webOptions, f) }
}

func withRateLimits(rl RateLimits, trustProxy bool) harnessOption {
	return withWebOptions(func(o *Options) { o.RateLimits, o.TrustProxy = rl, trustProxy })
}

// wantRetryAfter fails unless r is 429 rate_limited with Retry-After secs.
func wantRetryAfter(t *testing.T, r response, secs string) {
	t.Helper()
	wantStatus(t, r, 429, "rate_limited")
	if got := r.Header.Get("Retry-After"); got != secs {
		t.Fatalf("Retry-After = %q, want %q", got, secs)
	}
}

func (h *harness) postLottery(token, title string, headers ...string) response {
	h.t.Helper()
	return h.do("POST", "/api/v1/lotteries", token, map[string]any{
		"title": title, "prizes": []map[string]any{{"name": "p", "quantity": 1}}, "draw": map[string]string{"mode": "manual"},
	}, headers...)
}

// TestRateLimitBurstAndRecovery: a user's burst of creations is answered
// 429 rate_limited with Retry-After once the bucket is empty; another user
// is not affected; the bucket refills as the injected clock moves; and a 429
// is never stored as the reply of an Idempotency-Key.
func TestRateLimitBurstAndRecovery(t *testing.T) {
	h := newHarness(t, withLotteries, withRateLimits(RateLimits{
		Create: Rate{N: 1, Per: time.Minute, Burst: 2},
		Join:   Rate{N: 1, Per: time.Second, Burst: 1},
	}, false))
	alice, _ := h.login("alice")
	bob, _ := h.login("bob")
	for i := range 2 {
		wantStatus(t, h.postLottery(alice, fmt.Sprintf("l%d", i)), 201, "")
	}
	r := h.postLottery(alice, "third", "Idempotency-Key", "k-third")
	wantRetryAfter(t, r, "60")
	if !strings.Contains(r.ErrorMessage(), "too many new items") {
		t.Errorf("message %q", r.ErrorMessage())
	}
	wantStatus(t, h.postLottery(bob, "bob's"), 201, "") // per user

	h.clock.Add(30 * time.Second)
	wantRetryAfter(t, h.postLottery(alice, "third", "Idempotency-Key", "k-third"), "30")
	h.clock.Add(30 * time.Second)
	r = h.postLottery(alice, "third", "Idempotency-Key", "k-third")
	wantStatus(t, r, 201, "")
	if r.Header.Get("Idempotent-Replayed") != "" {
		t.Fatal("the 201 after the 429 is a replay")
	}
	wantRetryAfter(t, h.postLottery(alice, "fourth"), "60")

	// Joins: one per second.
	var l1, l2 struct{ ID string }
	h.postLottery(bob, "j1").JSON(t, &l1)
	h.clock.Add(time.Minute)
	h.postLottery(bob, "j2").JSON(t, &l2)
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+l1.ID+"/entries", alice, nil), 201, "")
	wantRetryAfter(t, h.do("POST", "/api/v1/lotteries/"+l2.ID+"/entries", alice, nil), "1")
	h.clock.Add(time.Second)
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+l2.ID+"/entries", alice, nil), 201, "")

	// Reads are never limited.
	for range 5 {
		wantStatus(t, h.do("GET", "/api/v1/lotteries/"+l1.ID, alice, nil), 200, "")
	}
	m := h.do("GET", "/metrics", "", nil)
	for _, want := range []string{`luckbox_rate_limited_total{class="create"} 3`, `luckbox_rate_limited_total{class="join"} 1`} {
		if !strings.Contains(string(m.Body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// ErrorMessage returns the error message of a JSON error body.
func (r response) ErrorMessage() string {
	var e errorBody
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Message
}

// TestRateLimitLoginPerIP: logins are limited per client address, taken
// from the last X-Forwarded-For entry only with TrustProxy; IPv6 addresses
// share a bucket per /64; the limit does not touch other addresses, and a
// refused login does not use up the login code.
func TestRateLimitLoginPerIP(t *testing.T) {
	h := newHarness(t, withRateLimits(RateLimits{Login: Rate{N: 1, Per: time.Minute, Burst: 2}}, true))
	login := func(openid string, headers ...string) (response, string) {
		code := h.loginCode(openid)
		return h.do("POST", "/api/v1/login", "", map[string]string{"code": code}, headers...), code
	}
	const ip = "203.0.113.7"
	for i := range 2 {
		r, _ := login(fmt.Sprintf("a%d", i), "X-Forwarded-For", "10.9.9.9, "+ip)
		wantStatus(t, r, 200, "")
	}
	r, code := login("a2", "X-Forwarded-For", "10.9.9.9, "+ip)
	wantRetryAfter(t, r, "60")
	// Only the last X-Forwarded-For entry (the proxy's) counts: a client
	// cannot pick another bucket by prepending addresses.
	r2, _ := login("a3", "X-Forwarded-For", "198.51.100.99, "+ip)
	wantRetryAfter(t, r2, "60")
	// X-Real-IP is the client's word too: ignored (the loopback peer counts).
	wantStatus(t, h.do("POST", "/api/v1/login", "", map[string]string{"code": "x"}, "X-Real-IP", ip), 401, "unauthenticated")
	wantStatus(t, mustLogin(h, "b0", "X-Forwarded-For", "198.51.100.1"), 200, "")

	// IPv6: one bucket per /64.
	wantStatus(t, mustLogin(h, "v0", "X-Forwarded-For", "2001:db8:1:2::1"), 200, "")
	wantStatus(t, mustLogin(h, "v1", "X-Forwarded-For", "2001:db8:1:2::ffff"), 200, "")
	wantStatus(t, mustLogin(h, "v2", "X-Forwarded-For", "2001:db8:1:2:aaaa::1"), 429, "rate_limited")
	wantStatus(t, mustLogin(h, "v3", "X-Forwarded-For", "2001:db8:1:3::1"), 200, "")

	// Without a forwarded address the peer is loopback: never limited.
	for i := range 5 {
		wantStatus(t, mustLogin(h, fmt.Sprintf("local%d", i)), 200, "")
	}
	h.clock.Add(time.Minute)
	r = h.do("POST", "/api/v1/login", "", map[string]string{"code": code}, "X-Forwarded-For", ip)
	wantStatus(t, r, 200, "") // the code refused earlier still works
}

func mustLogin(h *harness, openid string, headers ...string) response {
	h.t.Helper()
	return h.do("POST", "/api/v1/login", "", map[string]string{"code": h.loginCode(openid)}, headers...)
}

// TestRateLimitIgnoresForwardedWithoutTrustProxy: without TrustProxy the
// forwarded headers are the client's word and are ignored (the loopback
// peer is not limited).
func TestRateLimitIgnoresForwardedWithoutTrustProxy(t *testing.T) {
	h := newHarness(t, withRateLimits(RateLimits{Login: Rate{N: 1, Per: time.Hour, Burst: 1}}, false))
	for i := range 4 {
		wantStatus(t, mustLogin(h, fmt.Sprintf("u%d", i), "X-Forwarded-For", "203.0.113.7"), 200, "")
	}
}

// TestRateLimitOff: the zero RateLimits (what --rate-limit off and "off"
// per class give) limits nothing, and an "off" class is off while the others
// apply.
func TestRateLimitOff(t *testing.T) {
	off, err := ParseRate("off")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, withLotteries, withRateLimits(RateLimits{
		Login:  off,
		Create: off,
		Join:   Rate{N: 1, Per: time.Hour, Burst: 1},
	}, true))
	for i := range 10 {
		wantStatus(t, mustLogin(h, fmt.Sprintf("u%d", i), "X-Forwarded-For", "203.0.113.7"), 200, "")
	}
	alice, _ := h.login("alice")
	var ids []string
	for i := range 10 {
		var l struct{ ID string }
		r := h.postLottery(alice, fmt.Sprintf("l%d", i))
		wantStatus(t, r, 201, "")
		r.JSON(t, &l)
		ids = append(ids, l.ID)
	}
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+ids[0]+"/entries", alice, nil), 201, "")
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+ids[1]+"/entries", alice, nil), 429, "rate_limited")

	h2 := newHarness(t, withLotteries, withRateLimits(RateLimits{}, true))
	if h2.srv.rl.ip != nil || len(h2.srv.rl.class) != 0 {
		t.Fatalf("zero RateLimits built limiters: %+v", h2.srv.rl)
	}
	bob, _ := h2.login("bob")
	for i := range 10 {
		wantStatus(t, h2.postLottery(bob, fmt.Sprintf("l%d", i)), 201, "")
	}
}

// TestLimiterMemoryIsBounded: buckets that have refilled are forgotten.
func TestLimiterMemoryIsBounded(t *testing.T) {
	l := newLimiter(Rate{N: 10, Per: time.Second, Burst: 10})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5000 {
		if ok, _ := l.take(fmt.Sprintf("k%d", i), now); !ok {
			t.Fatal("first take refused")
		}
		if i%1000 == 999 {
			now = now.Add(time.Second) // everything so far has refilled
		}
	}
	if n := l.size(); n > 2100 {
		t.Fatalf("limiter remembers %d buckets, want the refilled ones swept", n)
	}
}
