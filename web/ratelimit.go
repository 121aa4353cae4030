package web

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"luckbox/data"
)

// Rate is a token-bucket limit: up to Burst requests at once, refilled at N
// requests per Per. The zero Rate is off.
type Rate struct {
	N     int
	Per   time.Duration
	Burst int
}

// Off reports whether r imposes no limit.
func (r Rate) Off() bool { return r.N <= 0 }

var rateUnits = map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}

// String formats r the way ParseRate reads it.
func (r Rate) String() string {
	if r.Off() {
		return "off"
	}
	unit := "s"
	for u, d := range rateUnits {
		if d == r.Per {
			unit = u
		}
	}
	return fmt.Sprintf("%d/%s,burst=%d", r.N, unit, r.Burst)
}

// maxRate bounds N and Burst of a Rate.
const maxRate = 1_000_000

// ParseRate reads "N/s", "N/m" or "N/h" (N requests per second, minute or
// hour), optionally followed by ",burst=B" (requests allowed at once; default
// N), or "off".
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" {
		return Rate{}, nil
	}
	spec, burst, hasBurst := strings.Cut(s, ",")
	n, unit, ok := strings.Cut(strings.TrimSpace(spec), "/")
	per, known := rateUnits[strings.TrimSpace(unit)]
	if !ok || !known {
		return Rate{}, fmt.Errorf("%q is not N/s, N/m or N/h (optionally ,burst=B), or off", s)
	}
	r := Rate{Per: per}
	var err error
	if r.N, err = strconv.Atoi(strings.TrimSpace(n)); err != nil || r.N < 1 || r.N > maxRate {
		return Rate{}, fmt.Errorf("%q: the rate must be a whole number 1..%d", s, maxRate)
	}
	r.Burst = r.N
	if hasBurst {
		b, ok := strings.CutPrefix(strings.TrimSpace(burst), "burst=")
		if r.Burst, err = strconv.Atoi(b); !ok || err != nil || r.Burst < 1 || r.Burst > maxRate {
			return Rate{}, fmt.Errorf("%q: burst must be burst=B with B a whole number 1..%d", s, maxRate)
		}
	}
	return r, nil
}

// RateLimits are the token buckets of the API, one per rate class of the
// route table (routes.go): Login is per client IP; Join, Grab, Create and
// Write are per user (or admin) after authentication, and per client IP on
// public routes (POST /pay/notify); IP limits join, grab and create per
// client IP as well; AuthFailures counts failed authentications per client
// IP (authfail.go). Requests from loopback addresses are never limited per
// IP (a local load generator, or a reverse proxy on the same host without
// TrustProxy). Reads are never limited. The zero value is off.
type RateLimits struct {
	Login  Rate // POST /api/v1/login, per client IP
	Join   Rate // POST /api/v1/lotteries/{id}/entries, per user
	Grab   Rate // POST /api/v1/packets/{id}/grabs, per user
	Create Rate // POST /api/v1/lotteries, /packets, /wallet/topups, /admin/exchanges, per user
	Write  Rate // every other write (POST, PATCH, DELETE), per user; per client IP for /pay/notify
	IP     Rate // join, grab and create per client IP (off by default: many users may share one)
	// AuthFailures: bad or unknown tokens, wrong admin tokens and refused
	// login codes per client IP; an address out of tokens gets 429 for every
	// authenticated request and login until its bucket refills.
	AuthFailures Rate
}

// DefaultRateLimits are generous enough for real use and benchmark runs.
func DefaultRateLimits() RateLimits {
	return RateLimits{
		Login:        Rate{N: 20, Per: time.Second, Burst: 200},
		Join:         Rate{N: 20, Per: time.Second, Burst: 100},
		Grab:         Rate{N: 20, Per: time.Second, Burst: 100},
		Create:       Rate{N: 10, Per: time.Second, Burst: 100},
		Write:        Rate{N: 30, Per: time.Second, Burst: 60},
		AuthFailures: Rate{N: 20, Per: time.Minute, Burst: 20},
	}
}

// rateClass is the rate limit of a route (routes.go).
type rateClass string

// The rate classes.
const (
	noRate      rateClass = ""       // reads: never limited
	classLogin  rateClass = "login"  // RateLimits.Login
	classJoin   rateClass = "join"   // RateLimits.Join
	classGrab   rateClass = "grab"   // RateLimits.Grab
	classCreate rateClass = "create" // RateLimits.Create
	classWrite  rateClass = "write"  // RateLimits.Write
)

var classMessage = map[rateClass]string{
	classLogin:       "too many login attempts from this address",
	classJoin:        "too many lottery entries",
	classGrab:        "too many grabs",
	classCreate:      "too many new items",
	classWrite:       "too many changes",
	classAuthFailure: "too many failed authentications from this address",
	classStreamUser:  "too many live event streams open for this user; close one",
	classStreamIP:    "too many live event streams open from this address; close one",
	classStreamTotal: "too many live event streams open on this server",
}

// perIP reports whether RateLimits.IP applies to the class as well.
func (c rateClass) perIP() bool { return c == classJoin || c == classGrab || c == classCreate }

// rate is the configured Rate of class c.
func (rl RateLimits) rate(c rateClass) Rate {
	switch c {
	case classLogin:
		return rl.Login
	case classJoin:
		return rl.Join
	case classGrab:
		return rl.Grab
	case classCreate:
		return rl.Create
	case classWrite:
		return rl.Write
	}
	return Rate{}
}

// maxBuckets bounds the keys one limiter remembers.
const maxBuckets = 100_000

// limiter is a set of token buckets, one per key. Memory is bounded: a
// bucket that has refilled is the same as no bucket and is forgotten at the
// next sweep, which runs whenever the map doubles and at maxBuckets at the
// latest; if more than maxBuckets/2 remain, arbitrary partly used ones are
// dropped down to that (lenient rather than unbounded), so sweeps stay
// rare and the map never exceeds maxBuckets.
type limiter struct {
	rate     Rate
	interval float64 // seconds per token

	mu      sync.Mutex
	buckets map[string]*bucket
	sweepAt int
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(r Rate) *limiter {
	if r.Off() {
		return nil
	}
	return &limiter{rate: r, interval: r.Per.Seconds() / float64(r.N), buckets: map[string]*bucket{}, sweepAt: 1024}
}

// take spends one token of key's bucket; if there is none it reports how
// long until there is.
func (l *limiter) take(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.sweepAt {
			l.sweep(now)
		}
		b = &bucket{tokens: float64(l.rate.Burst), at: now}
		l.buckets[key] = b
	} else {
		l.refill(b, now)
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, l.wait(b)
}

// wait is how long until b, which has less than a token, has one.
func (l *limiter) wait(b *bucket) time.Duration {
	return time.Duration((1 - b.tokens) * l.interval * float64(time.Second))
}

func (l *limiter) refill(b *bucket, now time.Time) {
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.tokens = math.Min(float64(l.rate.Burst), b.tokens+el/l.interval)
		b.at = now
	}
}

func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= float64(l.rate.Burst) {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) <= maxBuckets/2 {
			break
		}
		delete(l.buckets, k)
	}
	l.sweepAt = min(maxBuckets, max(1024, 2*len(l.buckets)))
}

// peek reports whether key's bucket has a token, without spending it or
// remembering the key; if not, how long until it has.
func (l *limiter) peek(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		return true, 0
	}
	l.refill(b, now)
	if b.tokens >= 1 {
		return true, 0
	}
	return false, l.wait(b)
}

// size is the number of remembered buckets (tests).
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// rateLimiters are the server's limiters; missing or nil ones are off.
type rateLimiters struct {
	class    map[rateClass]*limiter // per caller (or per IP on public routes), by class
	ip       *limiter               // per IP and class: join, grab, create
	authFail *limiter               // failed authentications per IP (authfail.go)
}

func newRateLimiters(rl RateLimits) *rateLimiters {
	l := &rateLimiters{ip: newLimiter(rl.IP), class: map[rateClass]*limiter{}, authFail: newLimiter(rl.AuthFailures)}
	for c := range classMessage {
		if lim := newLimiter(rl.rate(c)); lim != nil {
			l.class[c] = lim
		}
	}
	return l
}

// limitByIP is the per-IP bucket of RateLimits.IP on join, grab and create
// (none when off or for other classes). It runs before authentication.
func (s *Server) limitByIP(class rateClass) []func(http.Handler) http.Handler {
	if s.rl.ip == nil || !class.perIP() {
		return nil
	}
	return []func(http.Handler) http.Handler{func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ip := s.clientIP(r); ip != nil && !ip.IsLoopback() {
				if ok, wait := s.rl.ip.take(string(class)+" "+ipKey(ip), s.now()); !ok {
					s.tooManyRequests(w, r, class, wait)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}}
}

// limitRate is the bucket of the class (none when off): per principal after
// authentication, per client IP on public routes (where loopback addresses
// are not limited). It runs before idempotency, so a 429 is never stored as
// a reply.
func (s *Server) limitRate(class rateClass) []func(http.Handler) http.Handler {
	l := s.rl.class[class]
	if l == nil {
		return nil
	}
	return []func(http.Handler) http.Handler{func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key := ""
			if p, ok := principalOf(r); ok && p.Admin {
				key = "admin"
			} else if ok {
				key = strconv.FormatUint(p.User.Seq, 10)
			} else if ip := s.clientIP(r); ip != nil && !ip.IsLoopback() {
				key = ipKey(ip)
			}
			if key != "" {
				if ok, wait := l.take(key, s.now()); !ok {
					s.tooManyRequests(w, r, class, wait)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}}
}

// tooManyRequests answers 429 rate_limited with Retry-After in whole seconds.
func (s *Server) tooManyRequests(w http.ResponseWriter, r *http.Request, class rateClass, wait time.Duration) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	if s.metrics != nil {
		s.metrics.rateLimited.WithLabelValues(string(class)).Inc()
	}
	s.writeError(w, r, data.Errorf(data.ERateLimited, "%s; retry in %d s", classMessage[class], secs))
}

// clientIP is the address of the client: the connection's peer, or, with
// Options.TrustProxy and a peer on a loopback or private address (the
// reverse proxy), the last X-Forwarded-For entry: the one the proxy
// appended (nginx's $proxy_add_x_forwarded_for). Earlier entries, and any
// X-Real-IP, are the client's word: a client could pick a fresh address
// for every request and escape the per-IP limits.
func (s *Server) clientIP(r *http.Request) net.IP {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer := net.ParseIP(host)
	if s.opts.TrustProxy && peer != nil && (peer.IsLoopback() || peer.IsPrivate()) {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if ip := net.ParseIP(strings.TrimSpace(last)); ip != nil {
				return ip
			}
		}
	}
	return peer
}

// ipKey is the bucket key of an address: IPv4 as is, IPv6 by its /64 (one
// subscriber usually holds a whole /64).
func ipKey(ip net.IP) string {
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}
