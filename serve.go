package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/lottery"
	"luckbox/packet"
	"luckbox/web"
)

// serveConfig is every setting of `luckbox serve`.
type serveConfig struct {
	Addr          string
	Data          string
	AdminToken    string
	SessionTTL    time.Duration
	WeChatAppID   string
	WeChatSecret  string
	WeChatBaseURL string
	LogFormat     string
	LogLevel      string
	CORSOrigins   string
	NoSync        bool
	ShutdownGrace time.Duration
	// ExchangeTemplate is the subscribe-message template id of gift-exchange reminders.
	ExchangeTemplate string
	// LotteryTemplate is the subscribe-message template id of lottery results.
	LotteryTemplate string
	// Red packets and WeChat Pay.
	PacketMaxCount        int
	PacketMaxAmount       int64
	PacketTTL             time.Duration
	TopupMax              int64
	WeChatMchID           string
	WeChatMchSerial       string
	WeChatMchKeyFile      string
	WeChatAPIv3Key        string
	WeChatPlatformSerial  string
	WeChatPlatformKeyFile string
	WeChatPayBaseURL      string
	PublicURL             string
	// PprofAddr, if set, serves net/http/pprof there (benchmarks, debugging).
	PprofAddr string
	// Config is the JSON configuration file (config_file.go).
	Config string
	// TLSCert and TLSKey make the server serve HTTPS itself (serve_tls.go).
	TLSCert, TLSKey string
	// TrustProxy takes client addresses from X-Forwarded-For behind a proxy.
	TrustProxy bool
	// RateLimit is "on" or "off" (no limits at all); Rates are the limits.
	RateLimit string
	Rates     web.RateLimits

	certs *certReloader // the served certificate with TLS (set by serve, not a setting)
}

func (c *serveConfig) register(fs interface {
	StringVar(*string, string, string, string)
	DurationVar(*time.Duration, string, time.Duration, string)
	BoolVar(*bool, string, bool, string)
	IntVar(*int, string, int, string)
	Int64Var(*int64, string, int64, string)
	Var(flag.Value, string, string)
}) {
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "listen address (host:port)")
	fs.StringVar(&c.Data, "data", "./luckbox.db", "database file (created if missing)")
	fs.StringVar(&c.AdminToken, "admin-token", "", "admin token (min 16 chars); empty: generated on first start, stored hashed, printed once")
	fs.DurationVar(&c.SessionTTL, "session-ttl", 7*24*time.Hour, "how long a login session lasts")
	fs.StringVar(&c.WeChatAppID, "wechat-app-id", "", "mini-program app id; empty runs demo mode with the fake WeChat")
	fs.StringVar(&c.WeChatSecret, "wechat-secret", "", "mini-program app secret")
	fs.StringVar(&c.WeChatBaseURL, "wechat-base-url", "https://api.weixin.qq.com", "WeChat API base URL")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.CORSOrigins, "cors-origins", "", "comma-separated origins allowed by CORS (empty: CORS off)")
	fs.BoolVar(&c.NoSync, "unsafe-no-sync", false, "skip fsync on commit (benchmarks only: a crash loses acknowledged writes)")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", 15*time.Second, "how long in-flight requests may finish on shutdown")
	fs.StringVar(&c.LotteryTemplate, "lottery-template", "luckbox_lottery_result", "subscribe-message template id of lottery results (fields thing1 title, phrase2 中奖/未中奖, thing3 prize, time4 draw time)")
	fs.StringVar(&c.ExchangeTemplate, "exchange-template", "luckbox_exchange_reminder", "subscribe-message template id of gift-exchange reminders (fields thing1 title, thing2 text)")
	fs.IntVar(&c.PacketMaxCount, "packet-max-count", packet.DefaultMaxCount, "most shares in one red packet")
	fs.Int64Var(&c.PacketMaxAmount, "packet-max-amount", packet.DefaultMaxAmount, "most fen in one red packet")
	fs.DurationVar(&c.PacketTTL, "packet-ttl", packet.DefaultTTL, "how long a red packet lives before the remainder is refunded")
	fs.Int64Var(&c.TopupMax, "topup-max", packet.DefaultMaxTopup, "most fen in one wallet top-up")
	fs.StringVar(&c.WeChatMchID, "wechat-mch-id", "", "WeChat Pay merchant id (production)")
	fs.StringVar(&c.WeChatMchSerial, "wechat-mch-serial", "", "serial number of the merchant API certificate (production)")
	fs.StringVar(&c.WeChatMchKeyFile, "wechat-mch-key-file", "", "PEM file of the merchant API private key, apiclient_key.pem (production)")
	fs.StringVar(&c.WeChatAPIv3Key, "wechat-apiv3-key", "", "WeChat Pay APIv3 key, 32 characters (production; prefer the environment variable)")
	fs.StringVar(&c.WeChatPlatformSerial, "wechat-platform-serial", "", "WeChat Pay public key id or platform certificate serial (production)")
	fs.StringVar(&c.WeChatPlatformKeyFile, "wechat-platform-key-file", "", "PEM file of the WeChat Pay public key or platform certificate (production)")
	fs.StringVar(&c.WeChatPayBaseURL, "wechat-pay-base-url", "https://api.mch.weixin.qq.com", "WeChat Pay API base URL")
	fs.StringVar(&c.PublicURL, "public-url", "", "public https URL of this server; payment notifications go to <public-url>/api/v1/pay/notify (production)")
	fs.StringVar(&c.PprofAddr, "pprof-addr", "", "serve the Go profiler (net/http/pprof) on this address, e.g. 127.0.0.1:6060 (benchmarks and debugging; empty: off)")
	fs.StringVar(&c.Config, configFlag, "", "JSON file of settings, keys = flag names, e.g. {\"addr\": \"0.0.0.0:8080\"}; flags and LUCKBOX_* variables override it")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "PEM certificate (chain) file: serve HTTPS directly (with --tls-key; renewed files are picked up within a minute)")
	fs.StringVar(&c.TLSKey, "tls-key", "", "PEM private key file of --tls-cert")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", false, "behind a reverse proxy on a loopback or private address: take the client address of per-IP rate limits from X-Real-IP / X-Forwarded-For")
	fs.StringVar(&c.RateLimit, "rate-limit", "on", "on, or off to disable every rate limit (benchmarks)")
	c.Rates = web.DefaultRateLimits()
	fs.Var(rateValue{&c.Rates.Login}, "rate-login", "logins per client IP: N/s, N/m or N/h, optionally ,burst=B; or off")
	fs.Var(rateValue{&c.Rates.Join}, "rate-join", "lottery joins per user (same syntax)")
	fs.Var(rateValue{&c.Rates.Grab}, "rate-grab", "red-packet grabs per user (same syntax)")
	fs.Var(rateValue{&c.Rates.Create}, "rate-create", "new lotteries, packets, top-ups and exchanges per user (same syntax)")
	fs.Var(rateValue{&c.Rates.IP}, "rate-ip", "joins, grabs and creations per client IP, on top of the per-user limits (same syntax; off by default: users may share an address)")
}

// validate checks values the flag package can not.
func (c *serveConfig) validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("invalid --addr %q: %v", c.Addr, err)
	}
	if c.Data == "" {
		return errors.New("invalid --data: must name a file")
	}
	if c.SessionTTL < time.Minute {
		return fmt.Errorf("invalid --session-ttl %s: must be at least 1m", c.SessionTTL)
	}
	if (c.WeChatAppID == "") != (c.WeChatSecret == "") {
		return errors.New("invalid --wechat-app-id/--wechat-secret: set both (production) or neither (demo mode)")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("invalid --log-format %q: must be text or json", c.LogFormat)
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return fmt.Errorf("invalid --log-level %q: must be debug, info, warn or error", c.LogLevel)
	}
	if t := strings.TrimSpace(c.LotteryTemplate); t == "" || len(t) > 128 {
		return errors.New("invalid --lottery-template: must be a template id of 1..128 characters")
	}
	if t := strings.TrimSpace(c.ExchangeTemplate); t == "" || len(t) > 128 {
		return errors.New("invalid --exchange-template: must be a template id of 1..128 characters")
	}
	if err := c.validatePackets(); err != nil {
		return err
	}
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		return errors.New("invalid --admin-token: must be at least 16 characters")
	}
	if err := c.validateRateLimit(); err != nil {
		return err
	}
	return c.validateTLS()
}

// demo reports whether the server runs with the fake WeChat.
func (c *serveConfig) demo() bool { return c.WeChatAppID == "" }

func newLogger(c *serveConfig, w io.Writer) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: lv}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func runServe(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	var cfg serveConfig
	fs := newFlagSet("serve", stderr)
	cfg.register(fs)
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	log := newLogger(&cfg, stderr)
	return serve(ctx, &cfg, log, stdout)
}

// buckets lists every bucket the domain packages use.
func buckets() [][]byte {
	var all [][]byte
	all = append(all, auth.Buckets...)
	all = append(all, lottery.Buckets...)
	all = append(all, packet.Buckets...)
	return all
}

// serve runs the server until ctx ends, then shuts down gracefully:
// in-flight requests finish, background work stops, the writer drains and
// the database closes.
func serve(ctx context.Context, cfg *serveConfig, log *slog.Logger, stdout io.Writer) error {
	reg := prometheus.NewRegistry()
	storage := web.NewStorageMetrics(reg) // the dbCollector joins it in web.New
	db, err := data.Open(cfg.Data, data.Options{Buckets: buckets(), Logger: log, NoSync: cfg.NoSync,
		OnCommit: storage.ObserveCommit, OnDeliver: storage.ObserveDelivery})
	if errors.Is(err, data.ErrNewerSchema) {
		return fmt.Errorf("%w; run the newer luckbox binary (downgrades are not supported: to go back, restore a backup taken before the upgrade)", err)
	}
	if err != nil {
		return err
	}
	defer db.Close()
	if cfg.servesTLS() {
		if cfg.certs, err = newCertReloader(cfg.TLSCert, cfg.TLSKey, log); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	base := "http://" + loopbackAddr(ln.Addr())
	if cfg.servesTLS() {
		base = "https://" + loopbackAddr(ln.Addr())
	}

	app, err := wire(ctx, cfg, db, log, base)
	if err != nil {
		return err
	}
	srv := web.New(app.deps, web.Options{Logger: log, Registry: reg, CORSOrigins: splitList(cfg.CORSOrigins),
		RateLimits: cfg.rateLimits(), TrustProxy: cfg.TrustProxy})

	generated, err := app.auth.SetupAdminToken(ctx, cfg.AdminToken)
	if err != nil {
		return err
	}
	if generated != "" {
		fmt.Fprintf(stdout, "\nAdmin token (shown only this once; store it, or set LUCKBOX_ADMIN_TOKEN):\n\n    %s\n\n", generated)
	}
	if cfg.demo() {
		log.Warn("DEMO MODE: no WeChat credentials configured; the fake WeChat is mounted at /_fake/wechat and logins are not real",
			"open", base+"/", "fake", base+"/_fake/wechat/")
	}

	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second, // streaming handlers extend their own deadline
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if app.deps.Lotteries != nil {
		hs.RegisterOnShutdown(app.deps.Lotteries.Events().Close) // end live event streams
	}
	if cfg.PprofAddr != "" {
		if err := startPprof(ctx, cfg.PprofAddr, log); err != nil {
			return err
		}
	}
	bgCtx, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var bgDone sync.WaitGroup
	bgDone.Add(1)
	go func() { defer bgDone.Done(); app.background.Run(bgCtx) }()

	serveErr := make(chan error, 1)
	if cfg.certs != nil {
		hs.TLSConfig = cfg.certs.config()
	}
	go func() {
		if cfg.certs != nil {
			serveErr <- hs.ServeTLS(ln, "", "")
			return
		}
		serveErr <- hs.Serve(ln)
	}()
	log.Info("luckbox listening", "url", base, "data", cfg.Data)
	fmt.Fprintf(stdout, "luckbox listening on %s\n", base)

	select {
	case err := <-serveErr:
		stopBG()
		bgDone.Wait()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	if err := hs.Shutdown(shCtx); err != nil {
		log.Warn("shutdown: requests still running were cut off", "err", err)
	}
	stopBG()
	bgDone.Wait()
	if err := db.Close(); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// loopbackAddr turns a listen address into one this process can dial
// (0.0.0.0 and :: become 127.0.0.1).
func loopbackAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
