package web

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/exchange"
	"luckbox/internal/safety"
	"luckbox/lottery"
	"luckbox/packet"
)

// Deps are the services the HTTP layer calls. Fields left nil disable their
// routes' features only where noted.
type Deps struct {
	DB   *data.DB      // readiness, backups and idempotency records
	Auth *auth.Service // users, sessions, admin token, inbox
	// Fake is the fake WeChat, mounted at /_fake/wechat in demo mode (nil in production).
	Fake http.Handler
	// Exchanges runs gift exchanges (the /exchanges and /admin/exchanges routes).
	Exchanges *exchange.Service
	// Packets runs wallets, red packets and payment orders (/wallet, /packets, /pay/notify).
	Packets *packet.Service
	// PayNotify verifies and decrypts WeChat Pay notifications (POST /pay/notify).
	PayNotify PayNotifier
	// RefundNotify verifies and decrypts refund notifications (POST /pay/refunds/notify).
	RefundNotify RefundNotifier
	// TransferNotify verifies and decrypts WeChat Pay's merchant transfer
	// notifications (POST /pay/transfer-notify).
	TransferNotify TransferNotifier
	// Lotteries runs lotteries (the /lotteries and /me/lotteries routes).
	Lotteries *lottery.Service
	// LotteryCode makes the mini-program codes of GET /lotteries/{id}/code.png
	// (nil: that route answers 404).
	LotteryCode MiniCode
	// Safety checks user text before others can see it (contentcheck.go);
	// nil checks nothing.
	Safety *safety.Guard
}

// Options tune the HTTP layer.
type Options struct {
	Logger      *slog.Logger
	Now         func() time.Time
	MaxBody     int64    // default request body limit (1 MiB)
	MaxImport   int64    // body limit of import endpoints (16 MiB)
	CORSOrigins []string // allowed origins; empty disables CORS
	// Registry collects metrics; nil makes a fresh one. main registers the
	// storage and domain series on the same registry.
	Registry *prometheus.Registry
	// RateLimits are the token buckets of the rate classes of the route
	// table (ratelimit.go); the zero value is off. main passes the
	// configured ones.
	RateLimits RateLimits
	// TrustProxy takes the client address of per-IP limits from the last
	// X-Forwarded-For entry (the one the proxy appended) when the peer is a
	// loopback or private address (a reverse proxy such as nginx).
	TrustProxy bool
	// Streams bound the live event streams open at once (streams.go); zero
	// fields take DefaultStreamLimits.
	Streams StreamLimits
	// StreamHeartbeat is how often an idle event stream sends a ping and
	// re-checks its session (default 15 s).
	StreamHeartbeat time.Duration
	// Leadership, in a cluster, forwards writes arriving at a node that is
	// not the writer to the writer (forward.go); nil: a single node.
	Leadership Leadership
	// Replica, in a cluster, gives a follower read-your-writes: the writer
	// stamps the answer to a forwarded write with its copy's revision and
	// the follower answers only once its own copy has reached it.
	Replica Replica
}

// Server is the HTTP layer. Use Handler to serve it.
type Server struct {
	Deps
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	handler http.Handler
	mux     *chi.Mux // the router of handler (policy.go asks it which methods a path allows)

	registry       *prometheus.Registry
	metrics        *httpMetrics
	metricsHandler http.Handler // GET /metrics
	rl             *rateLimiters
	streams        *streamSlots  // open live event streams (streams.go)
	heartbeat      time.Duration // of event streams

	lotteryCodes codeCache // mini-program codes made, per lottery id
}

// New builds the server and its route table.
func New(deps Deps, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 1 << 20
	}
	if opts.MaxImport <= 0 {
		opts.MaxImport = 16 << 20
	}
	if opts.StreamHeartbeat <= 0 {
		opts.StreamHeartbeat = defaultHeartbeat
	}
	opts.Logger = slog.New(LogHandler(opts.Logger.Handler())) // request_id on every request's log line
	s := &Server{Deps: deps, opts: opts, log: opts.Logger, now: opts.Now, registry: opts.Registry}
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
	}
	s.metrics = newHTTPMetrics(s.registry)
	s.registerCollectors()
	s.rl = newRateLimiters(opts.RateLimits)
	s.streams, s.heartbeat = newStreamSlots(opts.Streams), opts.StreamHeartbeat
	s.metricsHandler = promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})
	s.mux = s.routes()
	s.handler = s.mux
	return s
}

// Handler returns the root HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }
