package cli

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"luckbox/web"
)

func writeTestFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConfigPrecedence: flag > environment > config file > default, for
// every kind of setting (duration, string, bool, list, rate).
func TestConfigPrecedence(t *testing.T) {
	file := writeTestFile(t, "luckbox.json", `{
		"session-ttl": "2h",
		"log-level": "debug",
		"packet-ttl": "3h",
		"topup-max": 5000,
		"cors-origins": ["https://a.example", "https://b.example"],
		"trust-proxy": true,
		"rate-login": "5/m,burst=2",
		"rate-grab": "off",
		"max-streams": 500,
		"max-streams-ip": 40
	}`)
	env := map[string]string{"LUCKBOX_CONFIG": file, "LUCKBOX_SESSION_TTL": "90m", "LUCKBOX_LOG_LEVEL": "error", "LUCKBOX_TOPUP_MAX": "7000",
		"LUCKBOX_MAX_STREAMS_IP": "5", "LUCKBOX_RATE_AUTH_FAILURES": "5/m"}
	var cfg serveConfig
	fs := newFlagSet("serve", io.Discard)
	cfg.register(fs)
	if err := parseFlags(fs, []string{"--log-level", "warn", "--topup-max", "9000", "--max-streams-user", "2"}, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	def := web.DefaultRateLimits()
	checks := []struct {
		name      string
		got, want any
	}{
		{"log-level (flag over env and file)", cfg.LogLevel, "warn"},
		{"topup-max (flag over env and file)", cfg.TopupMax, int64(9000)},
		{"session-ttl (env over file)", cfg.SessionTTL, 90 * time.Minute},
		{"packet-ttl (file over default)", cfg.PacketTTL, 3 * time.Hour},
		{"cors-origins (file list)", cfg.CORSOrigins, "https://a.example,https://b.example"},
		{"trust-proxy (file bool)", cfg.TrustProxy, true},
		{"rate-login (file)", cfg.Rates.Login, web.Rate{N: 5, Per: time.Minute, Burst: 2}},
		{"rate-grab (file off)", cfg.Rates.Grab.Off(), true},
		{"rate-join (default)", cfg.Rates.Join, def.Join},
		{"addr (default)", cfg.Addr, "127.0.0.1:8080"},
		{"max-streams-user (flag), max-streams-ip (env over file), max-streams (file)", cfg.Streams, web.StreamLimits{PerUser: 2, PerIP: 5, Total: 500}},
		{"rate-auth-failures (env)", cfg.Rates.AuthFailures, web.Rate{N: 5, Per: time.Minute, Burst: 5}},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	var dflt serveConfig
	dflt.register(newFlagSet("serve", io.Discard))
	if dflt.Streams != web.DefaultStreamLimits() || dflt.Streams != (web.StreamLimits{PerUser: 8, PerIP: 32, Total: 10_000}) ||
		dflt.Rates.AuthFailures != (web.Rate{N: 20, Per: time.Minute, Burst: 20}) {
		t.Errorf("defaults: streams %+v, auth failures %v", dflt.Streams, dflt.Rates.AuthFailures)
	}
	if got := cfg.rateLimits(); got.Login != cfg.Rates.Login || !got.Grab.Off() {
		t.Errorf("rateLimits() = %+v", got)
	}
	cfg.RateLimit = "off"
	if got := cfg.rateLimits(); got != (web.RateLimits{}) {
		t.Errorf("--rate-limit off gives %+v, want no limits", got)
	}
}

// TestConfigFileStartsServer: a server configured only through its file
// (here the admin token and the rate limits) uses those settings.
func TestConfigFileStartsServer(t *testing.T) {
	const token = "file-admin-token-0123456789abcdefghijkl"
	file := writeTestFile(t, "luckbox.json", `{"admin-token": "`+token+`", "rate-login": "off", "log-format": "json"}`)
	s := startServer(t, filepath.Join(t.TempDir(), "luckbox.db"), "--config", file)
	if strings.Contains(s.stdout.String(), "Admin token") {
		t.Fatal("an admin token was generated although the file sets one")
	}
	if st := call(t, "GET", s.URL+"/api/v1/admin/exchanges", token, nil, nil); st != 200 {
		t.Fatalf("admin call with the file's token: %d", st)
	}
}

// TestConfigFileErrors: each broken file is refused with an error naming the
// key or the setting; a wrong --config names --config.
func TestConfigFileErrors(t *testing.T) {
	cases := []struct{ body, want string }{
		{`{"addr": "127.0.0.1:0", "no-such-setting": 1}`, `"no-such-setting"`},
		{`{"session-ttl": "soon"}`, `"session-ttl"`},
		{`{"session-ttl": "5s"}`, "--session-ttl"},
		{`{"trust-proxy": "yes"}`, `"trust-proxy"`},
		{`{"rate-join": "lots"}`, `"rate-join"`},
		{`{"log-level": "loud"}`, "--log-level"},
		{`{"packet-max-count": {"n": 1}}`, `"packet-max-count"`},
		{`{"addr": "a", "addr": "b"}`, `"addr" appears twice`},
		{`{"config": "other.json"}`, `"config"`},
		{`["addr"]`, "one JSON object"},
		{`{"addr": "127.0.0.1:0"`, "malformed JSON"},
	}
	for _, c := range cases {
		file := writeTestFile(t, "c.json", c.body)
		err := Run(context.Background(), []string{"serve", "--data", filepath.Join(t.TempDir(), "x.db"), "--config", file},
			noEnv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("config %s: error %v does not name %s", c.body, err, c.want)
		}
	}
	err := Run(context.Background(), []string{"serve", "--config", filepath.Join(t.TempDir(), "missing.json")},
		noEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--config") {
		t.Errorf("missing config file: %v", err)
	}
}

// TestServeHelpListsEverySetting: --help shows each new setting with its
// variable and default.
func TestServeHelpListsEverySetting(t *testing.T) {
	var out strings.Builder
	err := Run(context.Background(), []string{"serve", "--help"}, noEnv, &out, io.Discard)
	if err == nil {
		t.Fatal("--help returned nil")
	}
	for _, want := range []string{
		"--config (LUCKBOX_CONFIG", "--tls-cert (LUCKBOX_TLS_CERT", "--tls-key (LUCKBOX_TLS_KEY",
		"--trust-proxy (LUCKBOX_TRUST_PROXY, default false)", "--rate-limit (LUCKBOX_RATE_LIMIT, default on)",
		"--rate-login (LUCKBOX_RATE_LOGIN, default 20/s,burst=200)", "--rate-join (LUCKBOX_RATE_JOIN",
		"--rate-grab (LUCKBOX_RATE_GRAB", "--rate-create (LUCKBOX_RATE_CREATE", "--rate-write (LUCKBOX_RATE_WRITE, default 30/s,burst=60)", "--rate-ip (LUCKBOX_RATE_IP, default off)",
		"--rate-auth-failures (LUCKBOX_RATE_AUTH_FAILURES, default 20/m,burst=20)",
		"--max-streams-user (LUCKBOX_MAX_STREAMS_USER, default 8)", "--max-streams-ip (LUCKBOX_MAX_STREAMS_IP, default 32)",
		"--max-streams (LUCKBOX_MAX_STREAMS, default 10000)",
		"flag > environment > file > default",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve --help lacks %q", want)
		}
	}
}

// TestDeployFilesMatchTheFlags keeps deploy/ in step with the binary: the
// example config file parses with every key a serve flag, and the settings
// the systemd unit and the Dockerfile pass (flags, LUCKBOX_* variables) are
// settings serve knows.
func TestDeployFilesMatchTheFlags(t *testing.T) {
	var cfg serveConfig
	fs := newFlagSet("serve", io.Discard)
	cfg.register(fs)
	if err := parseFlags(fs, []string{"--config", "../../deploy/luckbox.example.json"}, noEnv); err != nil {
		t.Fatalf("../../deploy/luckbox.example.json: %v", err)
	}
	if cfg.PublicURL != "https://luck.example.com" || !cfg.TrustProxy || cfg.Data != "/var/lib/luckbox/luckbox.db" {
		t.Errorf("example config read as %+v", cfg)
	}
	known := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { known[envName(f.Name)] = true })

	unit, err := os.ReadFile("../../deploy/luckbox.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(unit), "\n") {
		if cmd, ok := strings.CutPrefix(line, "ExecStart="); ok {
			args := strings.Fields(cmd)
			if len(args) < 2 || args[1] != "serve" {
				t.Fatalf("ExecStart %q does not run serve", cmd)
			}
			var c serveConfig
			fs := newFlagSet("serve", io.Discard)
			c.register(fs)
			if err := fs.Parse(args[2:]); err != nil {
				t.Errorf("ExecStart flags: %v", err)
			}
		}
		for _, m := range regexp.MustCompile(`LUCKBOX_[A-Z0-9_]+`).FindAllString(line, -1) {
			if !known[m] {
				t.Errorf("../../deploy/luckbox.service names %s, which is no setting", m)
			}
		}
	}
	docker, err := os.ReadFile("../../deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`LUCKBOX_[A-Z0-9_]+`).FindAllString(string(docker), -1) {
		if !known[m] {
			t.Errorf("../../deploy/Dockerfile names %s, which is no setting", m)
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "USER 65532", `VOLUME ["/data"]`, "AS build"} {
		if !strings.Contains(string(docker), want) {
			t.Errorf("../../deploy/Dockerfile lacks %q", want)
		}
	}
	nginx, err := os.ReadFile("../../deploy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"server 127.0.0.1:8080", "proxy_buffering off", "proxy_read_timeout 1h", "--trust-proxy",
		// The server trusts the last X-Forwarded-For entry: nginx must append the peer.
		"proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"} {
		if !strings.Contains(string(nginx), want) {
			t.Errorf("../../deploy/nginx.conf lacks %q", want)
		}
	}
	// X-Real-IP is not what the server reads: setting it would suggest otherwise.
	if regexp.MustCompile(`(?m)^\s*proxy_set_header\s+X-Real-IP\s`).Match(nginx) {
		t.Error("../../deploy/nginx.conf sets X-Real-IP, which luckbox ignores (it reads the last X-Forwarded-For entry)")
	}
}
