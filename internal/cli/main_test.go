package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// server is a real luckbox started by Run() on 127.0.0.1:0, in demo mode.
type server struct {
	URL    string
	cancel context.CancelFunc
	done   chan error
	stdout *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs the real server until the test ends.
func startServer(t testing.TB, dataFile string, extraArgs ...string) *server {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{cancel: cancel, done: make(chan error, 1), stdout: &syncBuffer{}}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dataFile, "--log-level", "warn"}, extraArgs...)
	go func() {
		err := Run(ctx, args, noEnv, io.MultiWriter(pw, s.stdout), io.Discard)
		pw.CloseWithError(fmt.Errorf("server stopped: %v", err))
		s.done <- err
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "luckbox listening on "); ok {
			s.URL = u
			break
		}
	}
	if s.URL == "" {
		t.Fatalf("server did not start: %v", sc.Err())
	}
	go io.Copy(io.Discard, pr)
	t.Cleanup(func() { s.stop(t) })
	return s
}

func (s *server) stop(t testing.TB) {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("server stopped with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Error("server did not shut down in 20 s")
	}
}

// noEnv is an empty environment for run.
func noEnv(string) string { return "" }

// call sends a JSON request and decodes a JSON answer into out (if not nil).
func call(t testing.TB, method, url, token string, in, out any) int {
	t.Helper()
	return callWith(t, http.DefaultClient, method, url, token, in, out)
}

// callWith is call through the client hc (e.g. one that trusts a test CA).
func callWith(t testing.TB, hc *http.Client, method, url, token string, in, out any) int {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, body)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, url, raw, err)
		}
	}
	return res.StatusCode
}

// demoLogin logs openid in through the fake WeChat and returns the token.
func demoLogin(t testing.TB, base, openid string) (token, id string) {
	t.Helper()
	var code struct{ Code string }
	if st := call(t, "POST", base+"/_fake/wechat/login-code", "", map[string]string{"openid": openid}, &code); st != 200 {
		t.Fatalf("login-code: %d", st)
	}
	var login struct {
		Token string
		User  struct{ ID string }
	}
	if st := call(t, "POST", base+"/api/v1/login", "", map[string]string{"code": code.Code}, &login); st != 200 {
		t.Fatalf("login: %d", st)
	}
	return login.Token, login.User.ID
}

func TestServeDemoEndToEnd(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, filepath.Join(dir, "luckbox.db"))
	if !strings.Contains(s.stdout.String(), "Admin token") {
		t.Fatalf("first start did not print the admin token: %q", s.stdout.String())
	}
	var health struct{ Status string }
	if st := call(t, "GET", s.URL+"/healthz", "", nil, &health); st != 200 || health.Status != "ok" {
		t.Fatalf("healthz: %d %+v", st, health)
	}
	// Many users log in at once through the fake WeChat, over real HTTP.
	const n = 50
	var wg sync.WaitGroup
	tokens := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); tokens[i], _ = demoLogin(t, s.URL, fmt.Sprintf("e2e-%d", i)) }()
	}
	wg.Wait()
	for i, tok := range tokens {
		var me struct{ ID, Nickname string }
		if st := call(t, "GET", s.URL+"/api/v1/me", tok, nil, &me); st != 200 || me.Nickname != fmt.Sprintf("e2e-%d", i) {
			t.Fatalf("me of user %d: %d %+v", i, st, me)
		}
	}
	var e struct{ Error struct{ Code string } }
	if st := call(t, "GET", s.URL+"/api/v1/me", "", nil, &e); st != 401 || e.Error.Code != "unauthenticated" {
		t.Fatalf("no token: %d %+v", st, e)
	}

	// A second server on the same file fails fast instead of hanging.
	start := time.Now()
	err := Run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "luckbox.db")},
		noEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "another") || time.Since(start) > 10*time.Second {
		t.Fatalf("second server: %v after %s", err, time.Since(start))
	}

	// Sessions survive a restart; the admin token is not printed again.
	s.stop(t)
	s2 := startServer(t, filepath.Join(dir, "luckbox.db"))
	if strings.Contains(s2.stdout.String(), "Admin token") {
		t.Fatal("admin token printed again on the second start")
	}
	if st := call(t, "GET", s2.URL+"/api/v1/me", tokens[0], nil, nil); st != 200 {
		t.Fatalf("session after restart: %d", st)
	}
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--addr", "nope"}, nil, "--addr"},
		{[]string{"--session-ttl", "5s"}, nil, "--session-ttl"},
		{[]string{"--checkpoint-interval", "0s"}, nil, "--checkpoint-interval"},
		{nil, map[string]string{"LUCKBOX_SESSION_TTL": "soon"}, "LUCKBOX_SESSION_TTL"},
		{[]string{"--log-format", "xml"}, nil, "--log-format"},
		{[]string{"--wechat-app-id", "wx1"}, nil, "--wechat-secret"},
		{[]string{"--admin-token", "short"}, nil, "--admin-token"},
		{[]string{"--admin-token", "twenty-five-characters-xx"}, nil, "at least 32 characters"},
		{[]string{"--max-streams-user", "0"}, nil, "--max-streams-user"},
		{nil, map[string]string{"LUCKBOX_MAX_STREAMS_IP": "-1"}, "--max-streams-ip"},
		{[]string{"--max-streams", "many"}, nil, "max-streams"},
		{[]string{"--rate-auth-failures", "lots"}, nil, "rate-auth-failures"},
		{[]string{"--no-such-flag"}, nil, "no-such-flag"},
		{[]string{"--rate-login", "lots"}, nil, "rate-login"},
		{[]string{"--rate-grab", "5/x"}, nil, "rate-grab"},
		{[]string{"--rate-create", "5/s,burst=0"}, nil, "rate-create"},
		{nil, map[string]string{"LUCKBOX_RATE_JOIN": "fast"}, "LUCKBOX_RATE_JOIN"},
		{[]string{"--rate-limit", "maybe"}, nil, "--rate-limit"},
		{[]string{"--tls-cert", "cert.pem"}, nil, "--tls-key"},
		{[]string{"--tls-key", "key.pem"}, nil, "--tls-cert"},
		{[]string{"--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"}, nil, "--tls-cert"},
		{[]string{"--trust-proxy=maybe"}, nil, "trust-proxy"},
		{[]string{"--config", "/nonexistent/luckbox.json"}, nil, "--config"},
	}
	for _, c := range cases {
		var stderr bytes.Buffer
		err := Run(context.Background(), append([]string{"serve", "--data", filepath.Join(t.TempDir(), "x.db")}, c.args...),
			func(k string) string { return c.env[k] }, io.Discard, &stderr)
		if err == nil || !strings.Contains(err.Error()+stderr.String(), c.want) {
			t.Errorf("%v %v: error %v / %q does not name %s", c.args, c.env, err, stderr.String(), c.want)
		}
	}
}
