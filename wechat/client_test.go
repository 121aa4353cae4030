package wechat_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"luckbox/wechat"
	"luckbox/wechat/fake"
)

const (
	appID  = "wx0123456789abcdef"
	secret = "s3cr3t-0123456789abcdef"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// env is a fake WeChat behind a real HTTP server and a client talking to it.
type env struct {
	fake   *fake.Fake
	srv    *httptest.Server
	client *wechat.Client
	clock  *clock // shared by fake and client unless the test splits them
	hits   sync.Map
}

// count returns how many requests reached path.
func (e *env) count(path string) int64 {
	v, ok := e.hits.Load(path)
	if !ok {
		return 0
	}
	return v.(*atomic.Int64).Load()
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{clock: newClock()}
	e.fake = fake.New(fake.Options{AppID: appID, Secret: secret, Now: e.clock.Now})
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := e.hits.LoadOrStore(r.URL.Path, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
		e.fake.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	e.client = e.newClient(e.clock.Now)
	return e
}

func (e *env) newClient(now func() time.Time) *wechat.Client {
	return wechat.New(wechat.Config{AppID: appID, Secret: secret, BaseURL: e.srv.URL, HTTPClient: e.srv.Client(), Now: now})
}

// control POSTs a JSON body to a fake control route and decodes the answer.
func (e *env) control(t *testing.T, path string, in any, out any) {
	t.Helper()
	b, _ := json.Marshal(in)
	resp, err := e.srv.Client().Post(e.srv.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: status %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

func (e *env) loginCode(t *testing.T, openid string) string {
	t.Helper()
	var out struct{ Code string }
	e.control(t, "/login-code", map[string]string{"openid": openid}, &out)
	if out.Code == "" {
		t.Fatal("no code")
	}
	return out.Code
}

func wantCode(t *testing.T, err error, code int) {
	t.Helper()
	var ae *wechat.APIError
	if !errors.As(err, &ae) || ae.Code != code {
		t.Fatalf("error %v, want APIError %d", err, code)
	}
	if !wechat.IsCode(err, code) || wechat.IsCode(err, code+1) {
		t.Fatalf("IsCode disagrees for %v", err)
	}
}

// noSecrets fails if err's text holds the secret or any of the values.
func noSecrets(t *testing.T, err error, values ...string) {
	t.Helper()
	for _, v := range append(values, secret) {
		if v != "" && strings.Contains(err.Error(), v) {
			t.Fatalf("error text %q leaks a secret", err)
		}
	}
}

func TestCode2Session(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	code := e.loginCode(t, "alice")
	s, err := e.client.Code2Session(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	key, err := base64.StdEncoding.DecodeString(s.SessionKey)
	if s.OpenID != "alice" || s.UnionID != fake.UnionID("alice") || err != nil || len(key) != 16 {
		t.Fatalf("session %+v (key %d bytes, %v)", s, len(key), err)
	}
	for _, text := range []string{s.String(), s.GoString()} {
		if strings.Contains(text, s.SessionKey) || !strings.Contains(text, "alice") {
			t.Fatalf("Session formats as %q", text)
		}
	}

	_, err = e.client.Code2Session(ctx, code)
	wantCode(t, err, 40163)
	noSecrets(t, err, code)

	_, err = e.client.Code2Session(ctx, "no-such-code")
	wantCode(t, err, 40029)
	noSecrets(t, err)
	if want := "wechat: jscode2session: errcode 40029: invalid code"; !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error text %q, want prefix %q", err, want)
	}
}

func TestCode2SessionExpiredCode(t *testing.T) {
	e := newEnv(t)
	code := e.loginCode(t, "alice")
	e.clock.Add(5*time.Minute - time.Second)
	ok := e.loginCode(t, "alice")
	e.clock.Add(time.Second)
	_, err := e.client.Code2Session(context.Background(), code)
	wantCode(t, err, 40029)
	e.clock.Add(5*time.Minute - 2*time.Second)
	if _, err := e.client.Code2Session(context.Background(), ok); err != nil {
		t.Fatalf("code 1 s before expiry: %v", err)
	}
}

func TestCode2SessionWrongSecret(t *testing.T) {
	e := newEnv(t)
	c := wechat.New(wechat.Config{AppID: appID, Secret: "not-the-secret", BaseURL: e.srv.URL, HTTPClient: e.srv.Client()})
	_, err := c.Code2Session(context.Background(), e.loginCode(t, "alice"))
	wantCode(t, err, 40125)
	noSecrets(t, err, "not-the-secret")
}

func TestTransportErrorHidesURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens any more
	c := wechat.New(wechat.Config{AppID: appID, Secret: secret, BaseURL: base})
	_, err := c.Code2Session(context.Background(), "the-code")
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	noSecrets(t, err, "the-code", "js_code")
}

func TestHTTPStatusError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	defer srv.Close()
	c := wechat.New(wechat.Config{AppID: appID, Secret: secret, BaseURL: srv.URL})
	_, err := c.Code2Session(context.Background(), "x")
	if err == nil || !strings.Contains(err.Error(), "http status 502") {
		t.Fatalf("error %v, want http status 502", err)
	}
	if wechat.IsCode(err, 0, -1) {
		t.Fatal("a transport error is not an APIError")
	}
}
