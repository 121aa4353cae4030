package web

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"luckbox/data"
	"luckbox/data/datatest"
	"luckbox/lottery"
)

// openStream opens a live event stream with the token as ?access_token=
// and headers (name, value pairs); the body is closed at the end of the test.
func (h *harness) openStream(t *testing.T, lotteryID, token string, headers ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", h.ts.URL+"/api/v1/lotteries/"+lotteryID+"/events?access_token="+token, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := h.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

// wantStreamRefused fails unless res is 429 rate_limited naming the limit.
func wantStreamRefused(t *testing.T, res *http.Response, message string) {
	t.Helper()
	r := response{Status: res.StatusCode, Header: res.Header}
	buf := make([]byte, 4096)
	n, _ := res.Body.Read(buf)
	r.Body = buf[:n]
	wantStatus(t, r, 429, "rate_limited")
	if !strings.Contains(r.ErrorMessage(), message) || r.Header.Get("Retry-After") == "" {
		t.Fatalf("refusal %q (Retry-After %q), want a message with %q", r.ErrorMessage(), r.Header.Get("Retry-After"), message)
	}
}

// TestEventStreamLimits: streams are capped per user, per client address
// and in all, each refusal a 429 naming its limit; a closed stream frees
// its slot; loopback clients are not capped per address.
func TestEventStreamLimits(t *testing.T) {
	h := newHarness(t, withLotteries, withWebOptions(func(o *Options) {
		o.TrustProxy = true
		o.Streams = StreamLimits{PerUser: 2, PerIP: 3, Total: 5}
	}))
	tokens := map[string]string{}
	for _, u := range []string{"a", "b", "c", "d", "e"} {
		tokens[u], _ = h.login(u)
	}
	l := h.createLottery(t, tokens["a"], manualLottery(lottery.Prize{Name: "P", Quantity: 1}))
	open := func(user, ip string) *http.Response {
		if ip == "" {
			return h.openStream(t, l.ID, tokens[user])
		}
		return h.openStream(t, l.ID, tokens[user], "X-Forwarded-For", ip)
	}
	const ip1, ip2 = "203.0.113.1", "203.0.113.2"
	a1 := open("a", ip1)
	for _, res := range []*http.Response{a1, open("a", ip2)} {
		wantStatus(t, response{Status: res.StatusCode}, 200, "")
	}
	wantStreamRefused(t, open("a", "203.0.113.9"), "for this user") // per user: 2
	wantStatus(t, response{Status: open("b", ip1).StatusCode}, 200, "")
	wantStatus(t, response{Status: open("c", ip1).StatusCode}, 200, "") // ip1 now has 3
	wantStreamRefused(t, open("d", ip1), "from this address")
	wantStatus(t, response{Status: open("d", "").StatusCode}, 200, "") // loopback: not capped per address; total 5
	wantStreamRefused(t, open("e", "203.0.113.3"), "on this server")
	if n := h.srv.streams.open(); n != 5 {
		t.Fatalf("%d streams counted, want 5", n)
	}
	a1.Body.Close()
	waitFor(t, "the closed stream's slot to free", func() bool { return h.srv.streams.open() == 4 })
	wantStatus(t, response{Status: open("e", "203.0.113.3").StatusCode}, 200, "")
	// A refused stream left nothing behind in the broker or the counters.
	if n := h.srv.streams.open(); n != 5 {
		t.Fatalf("%d streams counted, want 5", n)
	}
}

// streamEnded waits for an event stream to end (its channel to close).
func streamEnded(t *testing.T, events <-chan sseEvent, what string) {
	t.Helper()
	timeout := time.After(15 * time.Second) // a guard only
	for {
		select {
		case _, ok := <-events:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatalf("%s: the stream is still open", what)
		}
	}
}

// TestEventStreamEndsWithItsSession: the session is checked again at every
// heartbeat, so a stream ends within one heartbeat of its session being
// logged out or expiring, while a stream whose session lives goes on.
func TestEventStreamEndsWithItsSession(t *testing.T) {
	h := newHarness(t, withLotteries, withWebOptions(func(o *Options) { o.StreamHeartbeat = 5 * time.Millisecond }))
	creator, _ := h.login("creator")
	leaver, _ := h.login("leaver")
	stayer, _ := h.login("stayer")
	l := h.createLottery(t, creator, manualLottery(lottery.Prize{Name: "P", Quantity: 1}))

	leaving := readEvents(h.openStream(t, l.ID, leaver).Body)
	staying := readEvents(h.openStream(t, l.ID, stayer).Body)
	nextEvent(t, leaving) // state
	nextEvent(t, staying)
	wantStatus(t, h.do("POST", "/api/v1/logout", leaver, map[string]any{}), 204, "")
	streamEnded(t, leaving, "after logout")
	time.Sleep(30 * time.Millisecond) // several heartbeats: the live session's stream stays
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+l.ID+"/entries", creator, nil), 201, "")
	if ev := nextEvent(t, staying); ev.Name != "count" {
		t.Fatalf("live session's stream: %+v", ev)
	}
	// Expiry: the clock passes the session's end.
	h.clock.Add(7*24*time.Hour + time.Minute)
	streamEnded(t, staying, "after the session expired")
	waitFor(t, "the slots to free", func() bool { return h.srv.streams.open() == 0 })
}

// TestFullDiskAnswers507AndRecovers: while commits fail, writes answer 507
// insufficient_storage (ENOSPC) or 503 unavailable (EIO) with a clear
// message that leaks nothing, reads still work, /readyz is 503; when the
// disk accepts commits again /readyz is ready again by itself and the same
// request (same Idempotency-Key) succeeds once: nothing lost, nothing doubled.
func TestFullDiskAnswers507AndRecovers(t *testing.T) {
	var disk datatest.Disk
	h := newHarnessData(t, func(o *data.Options) {
		o.FailCommitForTests, o.ProbeInterval = disk.Commit, 2*time.Millisecond
	}, withLotteries)
	alice, _ := h.login("alice")
	wantStatus(t, h.do("GET", "/readyz", "", nil), 200, "")

	for _, c := range []struct {
		err    error
		status int
		code   string
	}{
		{&os.PathError{Op: "write", Path: "/var/lib/luckbox/luckbox.db", Err: syscall.ENOSPC}, 507, "insufficient_storage"},
		{fmt.Errorf("fdatasync: %w", syscall.EIO), 503, "unavailable"},
	} {
		disk.Fail(c.err)
		r := h.postLottery(alice, "during", "Idempotency-Key", "create-1")
		wantStatus(t, r, c.status, c.code)
		if msg := r.ErrorMessage(); !strings.Contains(msg, "nothing was saved") || strings.Contains(msg, "luckbox.db") || strings.Contains(msg, "fdatasync") {
			t.Fatalf("message %q: want a clear one that leaks nothing", msg)
		}
		wantStatus(t, h.postLottery(alice, "no key"), c.status, c.code) // the operation's own commit
		wantStatus(t, h.do("GET", "/api/v1/me", alice, nil), 200, "")   // reads work
		r = h.do("GET", "/readyz", "", nil)
		wantStatus(t, r, 503, "")
		if !strings.Contains(string(r.Body), "commits are failing") {
			t.Fatalf("readyz: %s", r.Body)
		}
	}
	disk.Fail(nil)
	waitFor(t, "/readyz to recover by itself", func() bool { return h.do("GET", "/readyz", "", nil).Status == 200 })
	r := h.postLottery(alice, "during", "Idempotency-Key", "create-1")
	wantStatus(t, r, 201, "")
	if r.Header.Get("Idempotent-Replayed") != "" {
		t.Fatal("a refused request was stored as the key's reply")
	}
	var mine struct{ Items []lottery.Lottery }
	h.do("GET", "/api/v1/me/lotteries?role=created", alice, nil).JSON(t, &mine)
	if len(mine.Items) != 1 {
		t.Fatalf("%d lotteries after the failures and one success, want 1", len(mine.Items))
	}
}

// TestIdempotencyKeysBoundedPerCaller: a caller sending a fresh key with
// every request keeps only its newest IdempotencyKeys records.
func TestIdempotencyKeysBoundedPerCaller(t *testing.T) {
	h := newHarnessData(t, func(o *data.Options) { o.IdempotencyKeys = 3 }, withLotteries)
	alice, _ := h.login("alice")
	for i := range 8 {
		wantStatus(t, h.postLottery(alice, fmt.Sprintf("l%d", i), "Idempotency-Key", fmt.Sprintf("k%d", i)), 201, "")
	}
	var n int
	_ = h.db.View(func(tx data.Tx) error { n = data.KeyCount(tx.Bucket([]byte("idempotency"))); return nil })
	if n != 3 {
		t.Fatalf("%d idempotency records stored, want 3", n)
	}
	r := h.postLottery(alice, "l7", "Idempotency-Key", "k7")
	if r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("newest key: %d replayed=%q, want a replay", r.Status, r.Header.Get("Idempotent-Replayed"))
	}
}

// TestForwardedForBeatsXRealIP: behind a trusted proxy only the last
// X-Forwarded-For entry (the proxy's) names the client: an X-Real-IP the
// client sends, fresh on every request, does not open a new bucket, and
// alone (no X-Forwarded-For) it is ignored.
func TestForwardedForBeatsXRealIP(t *testing.T) {
	h := newHarness(t, withRateLimits(RateLimits{Login: Rate{N: 1, Per: time.Hour, Burst: 1}}, true))
	const ip = "203.0.113.7"
	wantStatus(t, mustLogin(h, "a", "X-Forwarded-For", ip, "X-Real-IP", "198.51.100.1"), 200, "")
	for i := range 3 {
		r := mustLogin(h, fmt.Sprintf("b%d", i), "X-Forwarded-For", ip, "X-Real-IP", fmt.Sprintf("198.51.100.%d", i+2))
		wantStatus(t, r, 429, "rate_limited")
	}
	// X-Real-IP alone: the peer (loopback, never limited) counts.
	for i := range 3 {
		wantStatus(t, mustLogin(h, fmt.Sprintf("c%d", i), "X-Real-IP", ip), 200, "")
	}
}

// TestAuthFailuresThrottledPerIP: bad bearer tokens, wrong admin tokens and
// refused login codes spend the address's bucket; once empty, everything
// from that address that authenticates (even with a good token) is 429 with
// Retry-After until it refills; successes spend nothing; other addresses
// are untouched; the remembered addresses are bounded (a limiter).
func TestAuthFailuresThrottledPerIP(t *testing.T) {
	h := newHarness(t, withLotteries, withRateLimits(RateLimits{AuthFailures: Rate{N: 3, Per: time.Minute, Burst: 3}}, true))
	const bad, other = "203.0.113.66", "203.0.113.77"
	alice, _ := h.login("alice")
	for range 10 { // successes do not count
		wantStatus(t, h.do("GET", "/api/v1/me", alice, nil, "X-Forwarded-For", bad), 200, "")
	}
	wantStatus(t, h.do("GET", "/api/v1/me", "no-such-token", nil, "X-Forwarded-For", bad), 401, "unauthenticated")
	wantStatus(t, h.do("GET", "/api/v1/admin/audit", "wrong-admin-token-0123456789abcdef", nil, "X-Forwarded-For", bad), 401, "unauthenticated")
	wantStatus(t, h.do("POST", "/api/v1/login", "", map[string]string{"code": "not-a-code"}, "X-Forwarded-For", bad), 401, "unauthenticated")
	for _, r := range []response{
		h.do("GET", "/api/v1/me", alice, nil, "X-Forwarded-For", bad),
		h.do("GET", "/api/v1/admin/audit", testAdminToken, nil, "X-Forwarded-For", bad),
		h.do("POST", "/api/v1/login", "", map[string]string{"code": h.loginCode("bob")}, "X-Forwarded-For", bad),
		h.do("GET", "/api/v1/lotteries/x/events?access_token="+alice, "", nil, "X-Forwarded-For", bad),
	} {
		wantRetryAfter(t, r, "20")
		if !strings.Contains(r.ErrorMessage(), "failed authentications") {
			t.Fatalf("message %q", r.ErrorMessage())
		}
	}
	wantStatus(t, h.do("GET", "/api/v1/me", alice, nil, "X-Forwarded-For", other), 200, "")
	wantStatus(t, h.do("GET", "/api/v1/me", "no-such-token", nil, "X-Forwarded-For", other), 401, "unauthenticated")
	h.clock.Add(20 * time.Second) // one failure's worth refilled
	wantStatus(t, h.do("GET", "/api/v1/me", alice, nil, "X-Forwarded-For", bad), 200, "")
	wantStatus(t, h.do("GET", "/api/v1/me", "no-such-token", nil, "X-Forwarded-For", bad), 401, "unauthenticated")
	wantRetryAfter(t, h.do("GET", "/api/v1/me", alice, nil, "X-Forwarded-For", bad), "20")
	if n := h.srv.rl.authFail.size(); n != 2 {
		t.Fatalf("the throttle remembers %d addresses, want 2 (only those that failed)", n)
	}
}

// TestLimiterNeverExceedsMaxBuckets: keys that are all partly used (none
// refilled, so none can be swept as unused) are still capped at maxBuckets.
func TestLimiterNeverExceedsMaxBuckets(t *testing.T) {
	l := newLimiter(Rate{N: 1, Per: time.Hour, Burst: 5})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	most := 0
	for i := range maxBuckets * 3 {
		l.take(fmt.Sprintf("k%d", i), now)
		if i%1000 == 0 {
			most = max(most, l.size())
		}
	}
	most = max(most, l.size())
	if most > maxBuckets {
		t.Fatalf("the limiter held %d keys, want at most %d", most, maxBuckets)
	}
}
