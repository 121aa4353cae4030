package cli

import (
	"crypto/rsa"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"luckbox/auth"
	"luckbox/data"
	"luckbox/packet"
	"luckbox/web"
	"luckbox/wechat"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// The settings of `luckbox serve` and their validation, in one place: the
// flags (with LUCKBOX_* fallbacks and the --config file, flags.go) fill a
// serveConfig, and validate refuses a bad value with a message naming the
// setting before anything is opened or listened on.

// serveConfig is every setting of `luckbox serve`.
type serveConfig struct {
	Addr          string
	Data          string
	AdminToken    string
	SessionTTL    time.Duration
	GroupProofTTL time.Duration
	WeChatAppID   string
	WeChatSecret  string
	WeChatBaseURL string
	LogFormat     string
	LogLevel      string
	CORSOrigins   string
	NoSync        bool
	NoJournal     bool
	Checkpoint    time.Duration
	ShutdownGrace time.Duration
	// ExchangeTemplate is the subscribe-message template id of gift-exchange reminders.
	ExchangeTemplate string
	// LotteryTemplate is the subscribe-message template id of lottery results.
	LotteryTemplate string
	// LotteryCancelTemplate and PacketTemplate are the subscribe-message
	// template ids of cancellations and of packet results (validated in
	// notices.go).
	LotteryCancelTemplate, PacketTemplate string
	// Red packets and WeChat Pay.
	PacketMaxCount        int
	PacketMaxAmount       int64
	PacketTTL             time.Duration
	TopupMax              int64
	ReconcileAt           time.Duration
	ReconcileKeep         int
	WithdrawMin           int64
	WithdrawMax           int64
	WithdrawDailyMax      int64
	WithdrawConfirm       time.Duration
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
	// Streams bound the live event streams open at once.
	Streams web.StreamLimits
	// Store is the storage engine: "bbolt" (one node, the default) or
	// "etcd" (several nodes on an etcd cluster, store_etcd.go).
	Store string
	// AdvertiseURL is where the other nodes reach this one (etcd mode).
	AdvertiseURL string
	// Etcd is how to reach the etcd cluster (etcd mode).
	Etcd etcdConfig
	// ContentCheck* configure the content safety check (contentcheck.go).
	ContentCheck, ContentCheckFailure, ContentCheckReview string
	ContentCheckTimeout                                   time.Duration
	// FakeRiskyWords are the words the demo's fake WeChat calls risky.
	FakeRiskyWords string

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
	fs.StringVar(&c.AdminToken, "admin-token", "", "admin token (at least 32 characters); empty: generated on first start, stored hashed, printed once")
	fs.DurationVar(&c.SessionTTL, "session-ttl", 7*24*time.Hour, "how long a login session lasts")
	fs.DurationVar(&c.GroupProofTTL, "group-proof-ttl", auth.DefaultGroupProofTTL, "how long a user's proof of WeChat group membership counts for group-only packets and lotteries")
	fs.StringVar(&c.WeChatAppID, "wechat-app-id", "", "mini-program app id; empty runs demo mode with the fake WeChat")
	fs.StringVar(&c.WeChatSecret, "wechat-secret", "", "mini-program app secret")
	fs.StringVar(&c.WeChatBaseURL, "wechat-base-url", "https://api.weixin.qq.com", "WeChat API base URL")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.CORSOrigins, "cors-origins", "", "comma-separated origins allowed by CORS (empty: CORS off)")
	fs.BoolVar(&c.NoSync, "unsafe-no-sync", false, "skip fsync on commit (benchmarks only: a crash loses acknowledged writes)")
	fs.BoolVar(&c.NoJournal, "no-journal", false, "commit without the journal: every commit syncs the database file itself (slower; still durable)")
	fs.DurationVar(&c.Checkpoint, "checkpoint-interval", data.DefaultCheckpointInterval, "how often the journal syncs the database file (a checkpoint; also when the journal reaches 64 MiB)")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", 15*time.Second, "how long in-flight requests may finish on shutdown")
	fs.StringVar(&c.LotteryTemplate, "lottery-template", "luckbox_lottery_result", "subscribe-message template id of lottery results (fields thing1 title, phrase2 中奖/未中奖, thing3 prize, time4 draw time)")
	fs.StringVar(&c.LotteryCancelTemplate, "lottery-cancel-template", "luckbox_lottery_canceled", "subscribe-message template id telling participants a lottery was canceled (fields thing1 title, thing2 note); empty: inbox only")
	fs.StringVar(&c.PacketTemplate, "packet-template", "luckbox_packet_result", "subscribe-message template id telling senders their red packet finished or expired (fields thing1 what happened, amount2 refunded amount, thing3 shares taken); empty: inbox only")
	fs.StringVar(&c.ExchangeTemplate, "exchange-template", "luckbox_exchange_reminder", "subscribe-message template id of gift-exchange reminders (fields thing1 title, thing2 text)")
	fs.IntVar(&c.PacketMaxCount, "packet-max-count", packet.DefaultMaxCount, "most shares in one red packet")
	fs.Int64Var(&c.PacketMaxAmount, "packet-max-amount", packet.DefaultMaxAmount, "most fen in one red packet")
	fs.DurationVar(&c.PacketTTL, "packet-ttl", packet.DefaultTTL, "how long a red packet lives before the remainder is refunded")
	fs.Int64Var(&c.TopupMax, "topup-max", packet.DefaultMaxTopup, "most fen in one wallet top-up")
	fs.DurationVar(&c.ReconcileAt, "reconcile-at", 10*time.Hour+30*time.Minute, "time of day (Beijing time, after WeChat Pay's 10:00 bills) the daily reconciliation of the day before runs")
	fs.IntVar(&c.ReconcileKeep, "reconcile-keep", packet.DefaultReconcileKeep, "days of reconciliation results kept")
	fs.Int64Var(&c.WithdrawMin, "withdraw-min", packet.DefaultWithdrawMin, "fewest fen in one withdrawal to WeChat change")
	fs.Int64Var(&c.WithdrawMax, "withdraw-max", packet.DefaultWithdrawMax, "most fen in one withdrawal to WeChat change")
	fs.Int64Var(&c.WithdrawDailyMax, "withdraw-daily-max", packet.DefaultWithdrawDailyMax, "most fen a user withdraws per day (Beijing time; failed and cancelled withdrawals do not count)")
	fs.DurationVar(&c.WithdrawConfirm, "withdraw-confirm-window", packet.DefaultWithdrawConfirmWindow, "how long a withdrawal waits for the user's confirmation in WeChat before it is cancelled and the money returns")
	fs.StringVar(&c.WeChatMchID, "wechat-mch-id", "", "WeChat Pay merchant id (production)")
	fs.StringVar(&c.WeChatMchSerial, "wechat-mch-serial", "", "serial number of the merchant API certificate (production)")
	fs.StringVar(&c.WeChatMchKeyFile, "wechat-mch-key-file", "", "PEM file of the merchant API private key, apiclient_key.pem (production)")
	fs.StringVar(&c.WeChatAPIv3Key, "wechat-apiv3-key", "", "WeChat Pay APIv3 key, 32 characters (production; prefer the environment variable)")
	fs.StringVar(&c.WeChatPlatformSerial, "wechat-platform-serial", "", "WeChat Pay public key id or platform certificate serial; a comma-separated list accepts each (switching to the public key, rotating certificates), the first is the one requests ask answers to be signed with (production)")
	fs.StringVar(&c.WeChatPlatformKeyFile, "wechat-platform-key-file", "", "PEM file of the WeChat Pay public key or platform certificate; a comma-separated list with one file per --wechat-platform-serial, in the same order (production)")
	fs.StringVar(&c.WeChatPayBaseURL, "wechat-pay-base-url", "https://api.mch.weixin.qq.com", "WeChat Pay API base URL")
	fs.StringVar(&c.PublicURL, "public-url", "", "public https URL of this server; payment notifications go to <public-url>/api/v1/pay/notify (production)")
	fs.StringVar(&c.PprofAddr, "pprof-addr", "", "serve the Go profiler (net/http/pprof) on this address, e.g. 127.0.0.1:6060 (benchmarks and debugging; empty: off)")
	fs.StringVar(&c.Config, configFlag, "", "JSON file of settings, keys = flag names, e.g. {\"addr\": \"0.0.0.0:8080\"}; flags and LUCKBOX_* variables override it")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "PEM certificate (chain) file: serve HTTPS directly (with --tls-key; renewed files are picked up within a minute)")
	fs.StringVar(&c.TLSKey, "tls-key", "", "PEM private key file of --tls-cert")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", false, "behind a reverse proxy on a loopback or private address: take the client address of per-IP limits from the last X-Forwarded-For entry (the one the proxy appended; X-Real-IP is ignored)")
	fs.StringVar(&c.RateLimit, "rate-limit", "on", "on, or off to disable every rate limit (benchmarks)")
	c.Rates = web.DefaultRateLimits()
	fs.Var(rateValue{&c.Rates.Login}, "rate-login", "logins per client IP: N/s, N/m or N/h, optionally ,burst=B; or off")
	fs.Var(rateValue{&c.Rates.Join}, "rate-join", "lottery joins per user (same syntax)")
	fs.Var(rateValue{&c.Rates.Grab}, "rate-grab", "red-packet grabs per user (same syntax)")
	fs.Var(rateValue{&c.Rates.Create}, "rate-create", "new lotteries, packets, top-ups and exchanges per user (same syntax)")
	fs.Var(rateValue{&c.Rates.Write}, "rate-write", "every other write (POST, PATCH, DELETE) per user, and POST /pay/notify per client IP (same syntax)")
	fs.Var(rateValue{&c.Rates.IP}, "rate-ip", "joins, grabs and creations per client IP, on top of the per-user limits (same syntax; off by default: users may share an address)")
	fs.Var(rateValue{&c.Rates.AuthFailures}, "rate-auth-failures", "failed authentications (bad tokens, wrong admin tokens, refused login codes) per client IP; an address out of them gets 429 until it refills (same syntax)")
	c.Streams = web.DefaultStreamLimits()
	fs.IntVar(&c.Streams.PerUser, "max-streams-user", c.Streams.PerUser, "live event streams one user may hold open at once")
	fs.IntVar(&c.Streams.PerIP, "max-streams-ip", c.Streams.PerIP, "live event streams one client IP may hold open at once (loopback is not limited)")
	fs.IntVar(&c.Streams.Total, "max-streams", c.Streams.Total, "live event streams open at once in all")
	fs.StringVar(&c.Store, "store", storeBbolt, "storage engine: bbolt (this machine's --data file) or etcd (several nodes on an etcd cluster; --data is then the local copy)")
	fs.StringVar(&c.AdvertiseURL, "advertise-url", "", "with --store etcd: this node's URL as the other nodes reach it, e.g. http://10.0.0.2:8080 (writes arriving elsewhere are forwarded to the writer's)")
	c.Etcd.register(fs)
	fs.StringVar(&c.ContentCheck, "content-check", "wechat", "content safety check of titles, descriptions, prize names, greetings and nicknames: wechat (WeChat's msgSecCheck; the fake in demo mode) or off")
	fs.StringVar(&c.ContentCheckFailure, "content-check-failure", "refuse", "when the content check service fails (timeout, HTTP error, errcode): refuse (503, nothing saved) or allow (save, and list the field for the admin)")
	fs.StringVar(&c.ContentCheckReview, "content-check-review", "flag", "when the content check suggests a review: refuse (400 like risky text), flag (save, and list the field for the admin) or allow")
	fs.DurationVar(&c.ContentCheckTimeout, "content-check-timeout", 3*time.Second, "how long the content checks of one request may take before they count as a failure")
	fs.StringVar(&c.FakeRiskyWords, "fake-risky-words", defaultFakeRiskyWords(), "demo mode: comma-separated words the fake WeChat's content check calls risky")
}

// validate checks values the flag package can not.
func (c *serveConfig) validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("invalid --addr %q: %v", c.Addr, err)
	}
	if c.Data == "" {
		return errors.New("invalid --data: must name a file")
	}
	if c.GroupProofTTL < time.Minute {
		return fmt.Errorf("invalid --group-proof-ttl %s: must be at least 1m", c.GroupProofTTL)
	}
	if c.SessionTTL < time.Minute {
		return fmt.Errorf("invalid --session-ttl %s: must be at least 1m", c.SessionTTL)
	}
	if c.Checkpoint < 10*time.Millisecond || c.Checkpoint > time.Hour {
		return fmt.Errorf("invalid --checkpoint-interval %s: must be 10ms..1h", c.Checkpoint)
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
	if c.AdminToken != "" && len(c.AdminToken) < auth.MinAdminToken {
		return fmt.Errorf("invalid --admin-token: must be at least %d characters (got %d); leave it empty to have one generated", auth.MinAdminToken, len(c.AdminToken))
	}
	if err := c.validateStreams(); err != nil {
		return err
	}
	if err := c.validateRateLimit(); err != nil {
		return err
	}
	if err := c.validateStore(); err != nil {
		return err
	}
	if err := c.validateContentCheck(); err != nil {
		return err
	}
	if err := c.validateNotices(); err != nil {
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

// validatePackets checks the red-packet limits and, in production, that
// every WeChat Pay setting is there (the server refuses to start without).
func (c *serveConfig) validatePackets() error {
	switch {
	case c.PacketMaxCount < 1 || c.PacketMaxCount > 10000:
		return fmt.Errorf("invalid --packet-max-count %d: must be 1..10000", c.PacketMaxCount)
	case c.PacketMaxAmount < 1:
		return fmt.Errorf("invalid --packet-max-amount %d: must be at least 1 fen", c.PacketMaxAmount)
	case c.PacketTTL < time.Minute:
		return fmt.Errorf("invalid --packet-ttl %s: must be at least 1m", c.PacketTTL)
	case c.TopupMax < 1:
		return fmt.Errorf("invalid --topup-max %d: must be at least 1 fen", c.TopupMax)
	case c.ReconcileAt <= 0 || c.ReconcileAt >= 24*time.Hour:
		return fmt.Errorf("invalid --reconcile-at %s: must be a time of day between 0s and 24h", c.ReconcileAt)
	case c.ReconcileKeep < 1 || c.ReconcileKeep > 3650:
		return fmt.Errorf("invalid --reconcile-keep %d: must be 1..3650 days", c.ReconcileKeep)
	case c.WithdrawMin < 1 || c.WithdrawMax < c.WithdrawMin || c.WithdrawDailyMax < c.WithdrawMax:
		return fmt.Errorf("invalid withdrawal limits: need 1 <= --withdraw-min (%d) <= --withdraw-max (%d) <= --withdraw-daily-max (%d)", c.WithdrawMin, c.WithdrawMax, c.WithdrawDailyMax)
	case c.WithdrawConfirm < time.Minute:
		return fmt.Errorf("invalid --withdraw-confirm-window %s: must be at least 1m", c.WithdrawConfirm)
	}
	if c.demo() {
		return nil
	}
	for _, s := range []struct{ flag, value string }{
		{"--wechat-mch-id", c.WeChatMchID},
		{"--wechat-mch-serial", c.WeChatMchSerial},
		{"--wechat-mch-key-file", c.WeChatMchKeyFile},
		{"--wechat-apiv3-key", c.WeChatAPIv3Key},
		{"--wechat-platform-serial", c.WeChatPlatformSerial},
		{"--wechat-platform-key-file", c.WeChatPlatformKeyFile},
		{"--public-url", c.PublicURL},
	} {
		if strings.TrimSpace(s.value) == "" {
			return fmt.Errorf("missing %s (%s): WeChat Pay needs it in production (with --wechat-app-id set)", s.flag, envName(strings.TrimPrefix(s.flag, "--")))
		}
	}
	if len(c.WeChatAPIv3Key) != 32 {
		return fmt.Errorf("invalid --wechat-apiv3-key: must be 32 characters, got %d", len(c.WeChatAPIv3Key))
	}
	if u, err := url.Parse(c.PublicURL); err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" {
		return fmt.Errorf("invalid --public-url %q: must be an absolute https URL in production (WeChat Pay notifies only https addresses)", c.PublicURL)
	}
	return c.validateProduction()
}

// platformKey is one WeChat Pay platform key and its serial (public key id
// or platform certificate serial).
type platformKey struct {
	serial string
	key    *rsa.PublicKey
}

// payKeys reads and parses the merchant's private key and the WeChat Pay
// platform keys from their files. --wechat-platform-serial and
// --wechat-platform-key-file are comma-separated lists of the same length,
// the i-th serial naming the key in the i-th file; the keys come back in
// that order, the first being the one requests name.
func (c *serveConfig) payKeys() (*rsa.PrivateKey, []platformKey, error) {
	mch, err := os.ReadFile(c.WeChatMchKeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid --wechat-mch-key-file: %w", err)
	}
	mchKey, err := wechat.ParsePrivateKeyPEM(mch)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid --wechat-mch-key-file %s: %w", c.WeChatMchKeyFile, err)
	}
	serials, err := strictList("--wechat-platform-serial", c.WeChatPlatformSerial)
	if err != nil {
		return nil, nil, err
	}
	files, err := strictList("--wechat-platform-key-file", c.WeChatPlatformKeyFile)
	if err != nil {
		return nil, nil, err
	}
	if len(serials) != len(files) {
		return nil, nil, fmt.Errorf("invalid --wechat-platform-serial/--wechat-platform-key-file: %d serial(s) but %d key file(s); list one key file per serial, in the same order", len(serials), len(files))
	}
	keys := make([]platformKey, len(serials))
	for i, serial := range serials {
		for _, k := range keys[:i] {
			if k.serial == serial {
				return nil, nil, fmt.Errorf("invalid --wechat-platform-serial: %s is listed twice", serial)
			}
		}
		plat, err := os.ReadFile(files[i])
		if err != nil {
			return nil, nil, fmt.Errorf("invalid --wechat-platform-key-file: key of %s: %w", serial, err)
		}
		platKey, err := wechat.ParsePublicKeyPEM(plat)
		if err != nil {
			return nil, nil, fmt.Errorf("invalid --wechat-platform-key-file %s (key of %s): %w", files[i], serial, err)
		}
		keys[i] = platformKey{serial: serial, key: platKey}
	}
	return mchKey, keys, nil
}

// strictList splits the comma-separated value of flag, trimming spaces; an
// empty item is an error (unlike splitList, which drops it).
func strictList(flag, value string) ([]string, error) {
	items := strings.Split(value, ",")
	for i, it := range items {
		items[i] = strings.TrimSpace(it)
		if items[i] == "" {
			return nil, fmt.Errorf("invalid %s %q: empty item in the comma-separated list", flag, value)
		}
	}
	return items, nil
}

// validateProduction runs in production mode (WeChat credentials set), after
// every WeChat Pay setting is known to be present: the key files must be
// readable and hold keys, and no WeChat endpoint may be the fake WeChat of
// demo mode, so the server refuses to start half-configured instead of
// failing the first payment.
func (c *serveConfig) validateProduction() error {
	if _, _, err := c.payKeys(); err != nil {
		return err
	}
	for _, s := range []struct{ flag, value string }{
		{"--wechat-base-url", c.WeChatBaseURL},
		{"--wechat-pay-base-url", c.WeChatPayBaseURL},
	} {
		u, err := url.Parse(s.value)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("invalid %s %q: must be an absolute URL", s.flag, s.value)
		}
		if strings.Contains(u.Path, "/_fake/") || strings.HasSuffix(u.Path, "/_fake") {
			return fmt.Errorf("invalid %s %q: production mode (--wechat-app-id set) refuses the fake WeChat; leave out the WeChat credentials for demo mode", s.flag, s.value)
		}
	}
	return nil
}

// validateTLS checks --tls-cert and --tls-key: both or neither, both
// readable, and a certificate and key that belong together.
func (c *serveConfig) validateTLS() error {
	switch {
	case c.TLSCert == "" && c.TLSKey == "":
		return nil
	case c.TLSCert == "":
		return errors.New("invalid --tls-key: set --tls-cert as well (both or neither)")
	case c.TLSKey == "":
		return errors.New("invalid --tls-cert: set --tls-key as well (both or neither)")
	}
	for _, f := range []struct{ flag, path string }{{"--tls-cert", c.TLSCert}, {"--tls-key", c.TLSKey}} {
		if _, err := os.ReadFile(f.path); err != nil {
			return fmt.Errorf("invalid %s: %w", f.flag, err)
		}
	}
	if _, err := loadCertificate(c.TLSCert, c.TLSKey); err != nil {
		return fmt.Errorf("invalid --tls-cert/--tls-key: %w", err)
	}
	return nil
}

// servesTLS reports whether the server serves HTTPS itself.
func (c *serveConfig) servesTLS() bool { return c.TLSCert != "" }

// rateValue is a flag holding a web.Rate in ParseRate syntax: "20/s",
// "100/m,burst=20" or "off".
type rateValue struct{ r *web.Rate }

func (v rateValue) String() string {
	if v.r == nil {
		return ""
	}
	return v.r.String()
}

func (v rateValue) Set(s string) error {
	r, err := web.ParseRate(s)
	if err != nil {
		return err
	}
	*v.r = r
	return nil
}

// rateLimits are the limits the server applies: the configured ones, or none
// with --rate-limit off.
func (c *serveConfig) rateLimits() web.RateLimits {
	if c.RateLimit == "off" {
		return web.RateLimits{}
	}
	return c.Rates
}

// validateStreams checks the stream limits: each at least 1.
func (c *serveConfig) validateStreams() error {
	for _, v := range []struct {
		flag string
		n    int
	}{{"--max-streams-user", c.Streams.PerUser}, {"--max-streams-ip", c.Streams.PerIP}, {"--max-streams", c.Streams.Total}} {
		if v.n < 1 || v.n > 1_000_000 {
			return fmt.Errorf("invalid %s %d: must be 1..1000000", v.flag, v.n)
		}
	}
	return nil
}

// validateRateLimit checks the --rate-limit switch.
func (c *serveConfig) validateRateLimit() error {
	if c.RateLimit != "on" && c.RateLimit != "off" {
		return fmt.Errorf("invalid --rate-limit %q: must be on or off", c.RateLimit)
	}
	return nil
}
