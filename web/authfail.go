package web

import (
	"net/http"

	"luckbox/data"
)

// Throttling of failed authentications. Every bad or unknown bearer token
// (a wrong admin token is one), and every login code WeChat refuses, spends
// a token of the client address's bucket (RateLimits.AuthFailures, default
// 20 a minute); successes spend nothing. While an address's bucket is empty
// every authenticated request and login from it is answered 429 with
// Retry-After, whether its token is good or not, so guessing tokens or
// codes goes no faster than the bucket refills. Loopback addresses are not
// counted (as for every per-IP limit). The buckets are a limiter, so the
// addresses remembered are bounded.

// classAuthFailure is the rate class of the failed-authentication throttle.
const classAuthFailure rateClass = "auth"

// authFailKey is the bucket key of the request's address ("" when it is not
// counted: the throttle is off or the address is loopback).
func (s *Server) authFailKey(r *http.Request) string {
	if s.rl.authFail == nil {
		return ""
	}
	ip := s.clientIP(r)
	if ip == nil || ip.IsLoopback() {
		return ""
	}
	return ipKey(ip)
}

// authThrottled answers 429 and reports true when the request's address has
// failed to authenticate too often.
func (s *Server) authThrottled(w http.ResponseWriter, r *http.Request) bool {
	key := s.authFailKey(r)
	if key == "" {
		return false
	}
	if ok, wait := s.rl.authFail.peek(key, s.now()); !ok {
		s.tooManyRequests(w, r, classAuthFailure, wait)
		return true
	}
	return false
}

// noteAuthFailure counts err against the request's address if it is a
// failed authentication (unauthenticated).
func (s *Server) noteAuthFailure(r *http.Request, err error) {
	if data.ErrorCode(err) != data.EUnauthenticated {
		return
	}
	if key := s.authFailKey(r); key != "" {
		s.rl.authFail.take(key, s.now())
	}
}
