package wechat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"luckbox/wechat"
	"luckbox/wechat/fake"
)

func TestAccessTokenConcurrentCallersShareOneFetch(t *testing.T) {
	clk := newClock()
	f := fake.New(fake.Options{AppID: appID, Secret: secret, Now: clk.Now})
	gate := make(chan struct{})
	var fetches atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cgi-bin/stable_token" {
			fetches.Add(1)
			<-gate // hold the fetch until every caller is waiting
		}
		f.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c := wechat.New(wechat.Config{AppID: appID, Secret: secret, BaseURL: srv.URL, Now: clk.Now})

	const n = 50
	var wg sync.WaitGroup
	tokens := make([]string, n)
	errs := make([]error, n)
	var started sync.WaitGroup
	started.Add(n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started.Done()
			tokens[i], errs[i] = c.AccessToken(context.Background())
		}()
	}
	started.Wait()
	time.Sleep(20 * time.Millisecond) // let callers reach the wait; the assertion holds either way
	close(gate)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || tokens[i] == "" || tokens[i] != tokens[0] {
			t.Fatalf("caller %d: %q, %v (first %q)", i, tokens[i], errs[i], tokens[0])
		}
	}
	if got := fetches.Load(); got != 1 {
		t.Fatalf("%d token fetches, want 1", got)
	}
	// Later calls use the cache.
	if tok, _ := c.AccessToken(context.Background()); tok != tokens[0] || fetches.Load() != 1 {
		t.Fatalf("cached call fetched again or changed token")
	}
}

func TestAccessTokenWaiterHonoursContext(t *testing.T) {
	gate := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-gate
		fmt.Fprint(w, `{"access_token":"tok","expires_in":7200}`)
	}))
	defer srv.Close()
	defer close(gate)
	c := wechat.New(wechat.Config{AppID: appID, Secret: secret, BaseURL: srv.URL})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.AccessToken(ctx); err == nil {
		t.Fatal("cancelled caller got no error")
	}
}

func TestAccessTokenRefreshedFiveMinutesBeforeExpiry(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	t1, err := e.client.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(7200*time.Second - 5*time.Minute - time.Second)
	if t2, _ := e.client.AccessToken(ctx); t2 != t1 || e.count("/cgi-bin/stable_token") != 1 {
		t.Fatalf("5 min + 1 s before expiry: token changed or fetched (%d fetches)", e.count("/cgi-bin/stable_token"))
	}
	e.clock.Add(time.Second)
	t3, err := e.client.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if t3 == t1 || e.count("/cgi-bin/stable_token") != 2 {
		t.Fatalf("5 min before expiry: same token %v, %d fetches, want a new token from a second fetch", t3 == t1, e.count("/cgi-bin/stable_token"))
	}
}

func TestAccessTokenErrorHidesSecret(t *testing.T) {
	e := newEnv(t)
	c := wechat.New(wechat.Config{AppID: appID, Secret: "wrong-secret-value", BaseURL: e.srv.URL})
	_, err := c.AccessToken(context.Background())
	wantCode(t, err, 40125)
	noSecrets(t, err, "wrong-secret-value")
}

// forceRefreshElsewhere revokes the current stable token, as another server
// sharing the app id would with force_refresh.
func forceRefreshElsewhere(t *testing.T, e *env) {
	t.Helper()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	e.control(t, "/cgi-bin/stable_token", map[string]any{
		"grant_type": "client_credential", "appid": appID, "secret": secret, "force_refresh": true}, &out)
	if out.AccessToken == "" {
		t.Fatal("force refresh failed")
	}
}

func TestRetryOnceAfterInvalidCredential(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.client.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	forceRefreshElsewhere(t, e) // the client's cached token is now 40001
	code, err := e.fake.PhoneCode("alice", "13800000000")
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.client.GetPhoneNumber(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if p.PhoneNumber != "13800000000" {
		t.Fatalf("phone %+v", p)
	}
	if got := e.count("/wxa/business/getuserphonenumber"); got != 2 {
		t.Fatalf("%d phone calls, want 2 (rejected, then retried)", got)
	}
	if got := e.count("/cgi-bin/stable_token"); got != 3 {
		t.Fatalf("%d stable_token calls, want 3 (initial, elsewhere, refetch)", got)
	}
}

func TestRetryAfterExpiredToken(t *testing.T) {
	e := newEnv(t)
	frozen := e.clock.Now()
	c := e.newClient(func() time.Time { return frozen }) // the client's clock lags
	ctx := context.Background()
	if _, err := c.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(7201 * time.Second) // the fake sees the token expired: 42001
	code, _ := e.fake.PhoneCode("alice", "13800000000")
	if _, err := c.GetPhoneNumber(ctx, code); err != nil {
		t.Fatalf("after 42001 the client should refresh and retry: %v", err)
	}
	if got := e.count("/wxa/business/getuserphonenumber"); got != 2 {
		t.Fatalf("%d phone calls, want 2", got)
	}
}

// scriptedServer answers stable_token with the tokens from next (recording
// force_refresh) and accepts only token good on the protected endpoint.
type scriptedServer struct {
	mu     sync.Mutex
	forces []bool
	calls  int
}

func (s *scriptedServer) start(t *testing.T, next func(force bool) string, good string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.URL.Path == "/cgi-bin/stable_token" {
			var in struct {
				ForceRefresh bool `json:"force_refresh"`
			}
			_ = json.NewDecoder(r.Body).Decode(&in)
			s.forces = append(s.forces, in.ForceRefresh)
			fmt.Fprintf(w, `{"access_token":%q,"expires_in":7200}`, next(in.ForceRefresh))
			return
		}
		s.calls++
		if r.URL.Query().Get("access_token") != good {
			fmt.Fprint(w, `{"errcode":40001,"errmsg":"invalid credential, access_token is invalid or not latest"}`)
			return
		}
		fmt.Fprint(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRetryIsOnlyOnce(t *testing.T) {
	var s scriptedServer
	n := 0
	srv := s.start(t, func(bool) string { n++; return fmt.Sprintf("tok%d", n) }, "never")
	c := wechat.New(wechat.Config{AppID: appID, Secret: secret, BaseURL: srv.URL})
	err := c.SendSubscribeMessage(context.Background(), wechat.SubscribeMessage{ToUser: "alice", TemplateID: "t"})
	wantCode(t, err, 40001)
	noSecrets(t, err, "tok1", "tok2")
	if s.calls != 2 || len(s.forces) != 2 {
		t.Fatalf("%d calls, %d token fetches; want 2 and 2", s.calls, len(s.forces))
	}
}

func TestForcedRefreshWhenWeChatRepeatsRejectedToken(t *testing.T) {
	var s scriptedServer
	srv := s.start(t, func(force bool) string {
		if force {
			return "tokB"
		}
		return "tokA"
	}, "tokB")
	c := wechat.New(wechat.Config{AppID: appID, Secret: secret, BaseURL: srv.URL})
	if err := c.SendSubscribeMessage(context.Background(), wechat.SubscribeMessage{ToUser: "alice", TemplateID: "t"}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(s.forces) != "[false false true]" || s.calls != 2 {
		t.Fatalf("force_refresh sequence %v, %d calls; want [false false true], 2", s.forces, s.calls)
	}
	if tok, _ := c.AccessToken(context.Background()); tok != "tokB" {
		t.Fatalf("cached token %q, want tokB", tok)
	}
}
