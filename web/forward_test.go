package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"luckbox/lottery"
)

// fakeLeadership is a fixed answer to who the writer is.
type fakeLeadership struct {
	leader bool
	url    string
}

func (f fakeLeadership) IsLeader() bool    { return f.leader }
func (f fakeLeadership) LeaderURL() string { return f.url }

func withLeadership(l Leadership) harnessOption {
	return withWebOptions(func(o *Options) { o.Leadership = l })
}

// adminLotteries lists the lotteries the node's own database holds.
func adminLotteries(t *testing.T, h *harness) []lottery.Lottery {
	t.Helper()
	r := h.do("GET", "/api/v1/admin/lotteries", testAdminToken, nil)
	wantStatus(t, r, 200, "")
	var out struct{ Items []lottery.Lottery }
	r.JSON(t, &out)
	return out.Items
}

func TestForwardWritesReachTheWriterOnce(t *testing.T) {
	writer := newHarness(t, withLotteries, withLeadership(fakeLeadership{leader: true}))
	follower := newHarness(t, withLotteries, withLeadership(fakeLeadership{url: writer.ts.URL}))
	token, _ := follower.login("alice") // the login code and the login are writes: both go to the writer
	r := follower.postLottery(token, "via the follower")
	wantStatus(t, r, 201, "")
	var created lottery.Lottery
	r.JSON(t, &created)
	if got := adminLotteries(t, writer); len(got) != 1 || got[0].ID != created.ID || got[0].Title != "via the follower" {
		t.Fatalf("writer holds %+v, want the one lottery %s", got, created.ID)
	}
	if got := adminLotteries(t, follower); len(got) != 0 {
		t.Fatalf("the follower wrote locally: %+v", got)
	}
	// Reads are served by the node asked: the follower's database does not
	// know the session made on the writer.
	wantStatus(t, follower.do("GET", "/api/v1/lotteries/"+created.ID, token, nil), 401, "unauthenticated")
	wantStatus(t, writer.do("GET", "/api/v1/lotteries/"+created.ID, token, nil), 200, "")
}

// recorder stands in for the writer and records what reaches it.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method, path, body string
	header             http.Header
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, recorded{r.Method, r.URL.Path, string(b), r.Header.Clone()})
	rec.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusServiceUnavailable)
	io.WriteString(w, `{"error":{"code":"unavailable","message":"recorded"}}`)
}

func (rec *recorder) all() []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]recorded(nil), rec.reqs...)
}

func TestForwardHeadersBodyAndReads(t *testing.T) {
	rec := &recorder{}
	ts := httptest.NewServer(rec)
	defer ts.Close()
	h := newHarness(t, withLotteries, withLeadership(fakeLeadership{url: ts.URL}))
	body := `{"title":"t","prizes":[{"name":"p","quantity":1}],"draw":{"mode":"manual"}}`
	r := h.do("POST", "/api/v1/lotteries", "tok", body, "X-Forwarded-For", "6.6.6.6", "X-Request-Id", "forward-test-0001")
	wantStatus(t, r, 503, "unavailable")
	got := rec.all()
	if len(got) != 1 {
		t.Fatalf("the writer got %d requests, want 1", len(got))
	}
	g := got[0]
	if g.method != "POST" || g.path != "/api/v1/lotteries" || g.body != body {
		t.Errorf("forwarded %s %s %q, want the request intact", g.method, g.path, g.body)
	}
	if g.header.Get(ForwardedHeader) == "" || g.header.Get("Authorization") != "Bearer tok" || g.header.Get("X-Request-Id") != "forward-test-0001" {
		t.Errorf("forwarded headers %v", g.header)
	}
	// Without --trust-proxy the client is the peer, whatever it claims.
	if xff := g.header.Values("X-Forwarded-For"); len(xff) != 1 || xff[0] != "127.0.0.1" {
		t.Errorf("X-Forwarded-For = %q, want just the client address", xff)
	}
	if ids := r.Header.Values("X-Request-Id"); len(ids) != 1 {
		t.Errorf("answer's X-Request-Id = %q, want one", ids)
	}
	wantStatus(t, h.do("GET", "/api/v1/lotteries/nope", "", nil), 401, "unauthenticated") // served here
	if n := len(rec.all()); n != 1 {
		t.Fatalf("a read was forwarded (%d requests)", n)
	}
	h.do("GET", "/_fake/wechat/", "", nil) // demo mode: the fake WeChat is the writer's
	if got := rec.all(); len(got) != 2 || got[1].path != "/_fake/wechat/" {
		t.Fatalf("a read of the fake WeChat was not forwarded: %+v", got)
	}
}

func TestForwardTrustedProxyClient(t *testing.T) {
	rec := &recorder{}
	ts := httptest.NewServer(rec)
	defer ts.Close()
	h := newHarness(t, withLotteries, withLeadership(fakeLeadership{url: ts.URL}), withWebOptions(func(o *Options) { o.TrustProxy = true }))
	h.do("DELETE", "/api/v1/lotteries/x", "tok", nil, "X-Forwarded-For", "6.6.6.6, 203.0.113.9")
	if got := rec.all(); len(got) != 1 || got[0].header.Get("X-Forwarded-For") != "203.0.113.9" {
		t.Fatalf("forwarded %+v, want the address the proxy appended as the only entry", got)
	}
}

func TestForwardRefusesLoopsAndNoWriter(t *testing.T) {
	rec := &recorder{}
	ts := httptest.NewServer(rec)
	defer ts.Close()
	h := newHarness(t, withLotteries, withLeadership(fakeLeadership{url: ts.URL}))
	r := h.do("POST", "/api/v1/login", "", `{"code":"x"}`, ForwardedHeader, "1")
	wantStatus(t, r, 503, "unavailable")
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After on 503")
	}
	if n := len(rec.all()); n != 0 {
		t.Fatalf("a forwarded request was forwarded again (%d)", n)
	}

	none := newHarness(t, withLotteries, withLeadership(fakeLeadership{}))
	r = none.do("POST", "/api/v1/login", "", `{"code":"x"}`)
	wantStatus(t, r, 503, "unavailable")
	if r.Header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q", r.Header.Get("Retry-After"))
	}
	wantStatus(t, none.do("GET", "/api/v1/lotteries/nope", "", nil), 401, "unauthenticated") // reads still served

	ts.Close() // the writer is gone
	wantStatus(t, h.do("POST", "/api/v1/login", "", `{"code":"x"}`), 503, "unavailable")
}
