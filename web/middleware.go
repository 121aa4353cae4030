package web

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"

	"luckbox/auth"
	"luckbox/data"
)

// requestState is what the server keeps of one request: its id, the
// caller once authenticate has run, and the response writer wrapper. One
// allocation and one context value per request carry all of it (serve).
type requestState struct {
	id        string
	idHeader  [1]string // X-Request-Id's value slice in the response header
	principal auth.Principal
	authed    bool
	rw        responseWriter
}

type requestStateKey struct{}

// stateOf returns the request's state, or nil outside serve.
func stateOf(ctx context.Context) *requestState {
	st, _ := ctx.Value(requestStateKey{}).(*requestState)
	return st
}

// requestID returns the id of the request ctx belongs to ("" outside one).
func requestID(ctx context.Context) string {
	if st := stateOf(ctx); st != nil {
		return st.id
	}
	return ""
}

// principalOf returns the caller authenticate found for r, if any.
func principalOf(r *http.Request) (auth.Principal, bool) {
	if st := stateOf(r.Context()); st != nil && st.authed {
		return st.principal, true
	}
	return auth.Principal{}, false
}

// validRequestID accepts a client's id if it is short and printable ASCII.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// requestIDs makes the server's request ids: 24 hex digits, a random
// prefix drawn once per process and a counter, so ids are unique across
// restarts and nodes without a random draw per request.
var requestIDs = func() *requestIDSource {
	src := &requestIDSource{}
	rand.Read(src.prefix[:])
	return src
}()

type requestIDSource struct {
	prefix [6]byte
	seq    atomic.Uint64
}

// next returns a new id.
func (s *requestIDSource) next() string {
	var b [12]byte // the prefix, then the counter's low 6 bytes
	binary.BigEndian.PutUint64(b[4:], s.seq.Add(1))
	copy(b[:6], s.prefix[:])
	return hex.EncodeToString(b[:])
}

// unmatchedRoute is the route label of requests no route matched (404, 405).
const unmatchedRoute = "unmatched"

// routePattern is the pattern of the route that served r, or
// unmatchedRoute: the table's routes are registered flat on one router, so
// the pattern is a route of the table (or a UI or fake mount), never a path.
func routePattern(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		if p := rc.RoutePattern(); p != "" {
			return p
		}
	}
	return unmatchedRoute
}

// serve starts every request: it gives the request its id (the client's
// X-Request-Id if it sent a valid one), echoed in the response header, and
// its state; when the request is done it records the metrics and writes the
// access-log line, and it turns a panic into a logged 500.
func (s *Server) serve(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st := &requestState{id: r.Header.Get("X-Request-Id")}
		if !validRequestID(st.id) {
			st.id = requestIDs.next()
		}
		st.idHeader[0] = st.id
		w.Header()["X-Request-Id"] = st.idHeader[:]
		sw, ok := w.(*responseWriter) // a test's wrapper may come first
		if !ok {
			st.rw.ResponseWriter = w
			sw = &st.rw
		}
		r = r.WithContext(context.WithValue(r.Context(), requestStateKey{}, st))
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.LogAttrs(r.Context(), slog.LevelError, "panic",
					slog.String("request_id", st.id),
					slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
				if sw.status == 0 {
					s.writeError(sw, r, data.Errorf(data.EInternal, "internal error; the request id identifies it in the server log"))
				}
			}
			d := time.Since(start)
			route := routePattern(r)
			s.observe(r.Method, route, sw.status, d)
			if s.log.Enabled(r.Context(), slog.LevelInfo) {
				s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
					slog.String("request_id", st.id),
					slog.String("method", r.Method), slog.String("path", r.URL.Path),
					slog.String("route", route), slog.Int("status", sw.status),
					slog.Int64("bytes", sw.bytes), slog.Duration("duration", d))
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// cors answers CORS for the configured origins only (off by default).
func (s *Server) cors(next http.Handler) http.Handler {
	allowed := map[string]bool{}
	for _, o := range s.opts.CORSOrigins {
		allowed[o] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && (allowed[origin] || allowed["*"]) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After, Idempotent-Replayed, Allow")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key, X-Request-Id")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate resolves the bearer token into a principal (user or admin).
// Requests without a valid token get 401; an address with too many failed
// authentications gets 429 (authfail.go).
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.authThrottled(w, r) {
			return
		}
		token := auth.BearerToken(r.Header.Get("Authorization"))
		if token == "" {
			s.writeError(w, r, data.Errorf(data.EUnauthenticated, "missing bearer token"))
			return
		}
		var p auth.Principal
		if s.Auth.IsAdminToken(token) {
			p.Admin = true
		} else {
			u, err := s.Auth.Authenticate(r.Context(), token)
			if err != nil {
				s.noteAuthFailure(r, err)
				s.writeError(w, r, err)
				return
			}
			p.User = u
		}
		st := stateOf(r.Context()) // every route runs behind serve (routes)
		st.principal, st.authed = p, true
		next.ServeHTTP(w, r)
	})
}

// requireUser lets only user principals through (the admin token is 403).
func (s *Server) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := principalOf(r); !ok || p.Admin {
			s.writeError(w, r, data.Errorf(data.EForbidden, "this endpoint needs a user token"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireAdmin lets only the admin through (user tokens are 403).
func (s *Server) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := principalOf(r); !ok || !p.Admin {
			s.writeError(w, r, data.Errorf(data.EForbidden, "this endpoint needs the admin token"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// currentUser returns the authenticated user of a requireUser route.
func currentUser(r *http.Request) auth.User {
	p, _ := principalOf(r)
	return p.User
}
