package web

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"luckbox/data"
)

// route is one endpoint of routeTable and its policy: who may call it, its
// rate class, how much body it reads and its options. enforce turns the
// policy into middleware; the OpenAPI builder documents it.
type route struct {
	method, pattern string
	auth            access
	rate            rateClass
	body            bodyLimit
	opts            routeOpts
	handle          func(*Server, http.ResponseWriter, *http.Request)
}

// access is who may call a route.
type access uint8

const (
	public access = iota // anyone, without a token
	user                 // a user's session token; the admin token is 403
	admin                // the admin token; user tokens are 403
)

// bodyLimit is how much request body a route reads.
type bodyLimit uint8

const (
	noBody     bodyLimit = iota // none: the body is not read (reads)
	jsonBody                    // up to Options.MaxBody (1 MiB)
	importBody                  // up to Options.MaxImport (16 MiB): participant imports
)

// routeOpts are the optional behaviours of a route.
type routeOpts uint8

const (
	// idempotent: an Idempotency-Key header makes the POST safe to retry
	// (idempotency.go).
	idempotent routeOpts = 1 << iota
	// queryToken: the token may come as ?access_token= (EventSource cannot
	// send headers).
	queryToken
)

// enforce is the middleware of one route's policy, in order: the body
// limit, the per-IP rate limit (before any work), authentication and the
// principal check, the per-caller rate limit, and idempotency (last, so a
// refused request is never stored as the reply of its key).
func (s *Server) enforce(rt route) []func(http.Handler) http.Handler {
	mw := []func(http.Handler) http.Handler{s.limitBody(rt.body)}
	if rt.rate != noRate {
		mw = append(mw, s.limitByIP(rt.rate)...)
	}
	if rt.opts&queryToken != 0 {
		mw = append(mw, tokenFromQuery)
	}
	switch rt.auth {
	case user:
		mw = append(mw, s.authenticate, s.requireUser)
	case admin:
		mw = append(mw, s.authenticate, s.requireAdmin)
	}
	if rt.rate != noRate {
		mw = append(mw, s.limitRate(rt.rate)...)
	}
	if rt.opts&idempotent != 0 {
		mw = append(mw, s.idempotent)
	}
	return mw
}

// limitBody caps request bodies at the route's limit; a declared length
// over it is refused before reading. A route that takes no body does not
// see one.
func (s *Server) limitBody(b bodyLimit) func(http.Handler) http.Handler {
	limit := s.opts.MaxBody
	if b == importBody {
		limit = s.opts.MaxImport
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if b == noBody {
				r.Body, r.ContentLength = http.NoBody, 0
				next.ServeHTTP(w, r)
				return
			}
			if r.ContentLength > limit {
				s.writeError(w, r, data.Errorf(data.ETooLarge, "request body is over %d bytes", limit))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			next.ServeHTTP(w, r)
		})
	}
}

// routeMethods are the methods the route table uses, in the order Allow lists them.
var routeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// allowedMethods lists the methods routed for path (none: an unknown path).
func (s *Server) allowedMethods(path string) []string {
	var out []string
	for _, m := range routeMethods {
		if s.mux.Find(chi.NewRouteContext(), m, path) != "" {
			out = append(out, m)
		}
	}
	return out
}

// handleMethodNotAllowed answers a known path asked with another method:
// 405 method_not_allowed with the Allow header. A method chi does not know
// on an unknown path is 404, like any unknown path.
func (s *Server) handleMethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	path := r.URL.RawPath
	if path == "" {
		path = r.URL.Path
	}
	allowed := s.allowedMethods(path)
	if len(allowed) == 0 {
		s.writeError(w, r, data.Errorf(data.ENotFound, "no such endpoint"))
		return
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	s.writeError(w, r, data.Errorf(codeMethodNotAllowed, "%s is not allowed here; use %s", safeMethod(r.Method), strings.Join(allowed, " or ")))
}

// safeMethod is a method as it may appear in a message: a standard one, or
// "this method" (the client's word is not echoed).
func safeMethod(m string) string {
	if methodLabel(m) == otherMethod {
		return "this method"
	}
	return m
}
