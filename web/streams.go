package web

import (
	"net/http"
	"sync"
	"time"
)

// StreamLimits bound the live event streams (GET
// /api/v1/lotteries/{id}/events) held open at once: each holds a
// connection, a file descriptor and a goroutine. Over a limit the request
// is answered 429 rate_limited. Zero fields take the defaults.
type StreamLimits struct {
	PerUser int // per user
	PerIP   int // per client address (IPv6 by /64; loopback is not limited, as for the rate limits)
	Total   int // in all
}

// DefaultStreamLimits: a user has a few tabs or devices open, a household
// or office shares an address, and the total stays far below the usual
// limit of open files.
func DefaultStreamLimits() StreamLimits {
	return StreamLimits{PerUser: 8, PerIP: 32, Total: 10_000}
}

// defaultHeartbeat is how often an idle stream sends a comment line (so
// proxies keep it open and a vanished client is noticed) and re-checks the
// session it was opened with.
const defaultHeartbeat = 15 * time.Second

// Rate classes of the stream limits (the class label of luckbox_rate_limited_total).
const (
	classStreamUser  rateClass = "stream_user"
	classStreamIP    rateClass = "stream_ip"
	classStreamTotal rateClass = "stream_total"
)

// streamSlots counts the open streams by user, by address and in all. Its
// maps hold only users and addresses with a stream open, so they are
// bounded by the total.
type streamSlots struct {
	limits StreamLimits

	mu    sync.Mutex
	user  map[uint64]int
	ip    map[string]int
	total int
}

func newStreamSlots(l StreamLimits) *streamSlots {
	d := DefaultStreamLimits()
	if l.PerUser <= 0 {
		l.PerUser = d.PerUser
	}
	if l.PerIP <= 0 {
		l.PerIP = d.PerIP
	}
	if l.Total <= 0 {
		l.Total = d.Total
	}
	return &streamSlots{limits: l, user: map[uint64]int{}, ip: map[string]int{}}
}

// acquire takes a slot for a stream of user from address ip ("" when not
// limited per address). It returns the release function, or the rate class
// of the limit that refused it.
func (s *streamSlots) acquire(user uint64, ip string) (release func(), refused rateClass) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.total >= s.limits.Total:
		return nil, classStreamTotal
	case s.user[user] >= s.limits.PerUser:
		return nil, classStreamUser
	case ip != "" && s.ip[ip] >= s.limits.PerIP:
		return nil, classStreamIP
	}
	s.total++
	s.user[user]++
	if ip != "" {
		s.ip[ip]++
	}
	var once sync.Once
	return func() { once.Do(func() { s.release(user, ip) }) }, ""
}

func (s *streamSlots) release(user uint64, ip string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total--
	if s.user[user]--; s.user[user] <= 0 {
		delete(s.user, user)
	}
	if ip != "" {
		if s.ip[ip]--; s.ip[ip] <= 0 {
			delete(s.ip, ip)
		}
	}
}

// open is the number of streams open now (tests).
func (s *streamSlots) open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// acquireStream takes a stream slot for the request's user and address, or
// answers 429 and returns nil.
func (s *Server) acquireStream(w http.ResponseWriter, r *http.Request) (release func()) {
	ip := ""
	if addr := s.clientIP(r); addr != nil && !addr.IsLoopback() {
		ip = ipKey(addr)
	}
	release, refused := s.streams.acquire(currentUser(r).Seq, ip)
	if release == nil {
		// A slot frees when a stream ends; a stream whose session ended
		// closes within one heartbeat.
		s.tooManyRequests(w, r, refused, s.heartbeat)
	}
	return release
}
