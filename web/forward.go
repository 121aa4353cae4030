package web

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"

	"luckbox/data"
)

// Leadership tells a node of a cluster whether it is the writer and, if
// not, where the writer is (cluster.Node implements it).
type Leadership interface {
	IsLeader() bool
	LeaderURL() string // "" when no writer is known
}

// ForwardedHeader marks a request forwarded by another node to the one it
// believed the writer. A node that is not the writer refuses such a request
// (503) rather than forwarding it again: two nodes with stale ideas of the
// writer never bounce a request between them.
const ForwardedHeader = "X-Luckbox-Forwarded"

// RevisionHeader carries, on the writer's answer to a forwarded write, the
// etcd revision its local copy had when it answered: at or past the commit
// of that write. The forwarding node waits until its own copy has reached
// that revision before it answers (and drops the header), so a client that
// sent a write to a node reads it back from that node.
const RevisionHeader = "X-Luckbox-Revision"

// Replica is a node's local copy of the cluster's data (etcdstore.Store).
type Replica interface {
	// CommittedRevision is the revision the local copy reflects.
	CommittedRevision() int64
	// WaitRevision returns once the local copy reflects rev.
	WaitRevision(ctx context.Context, rev int64) error
}

// revisionWait bounds how long a follower holds a forwarded answer for its
// copy to catch up; past it the answer goes out anyway (logged).
const revisionWait = 2 * time.Second

// forwardWrites sends writes (POST, PUT, PATCH, DELETE, payment
// notifications included) arriving at a node that is not the writer to the
// writer, body intact, and returns its answer; reads are served locally.
// The writer applies every policy (authentication, rate limits, body
// limits, idempotency) as for a request it received itself; the client's
// address (clientIP, through the trusted-proxy logic) travels as the only
// X-Forwarded-For entry, so a writer running with --trust-proxy limits the
// client, not the node. Without Options.Leadership it does nothing.
func (s *Server) forwardWrites(next http.Handler) http.Handler {
	if s.opts.Leadership == nil {
		return next
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			target := pr.In.Context().Value(forwardTargetKey{}).(*url.URL)
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host // the writer sees the host the client used
			pr.Out.Header.Set(ForwardedHeader, "1")
			pr.Out.Header.Set("X-Request-Id", requestID(pr.In.Context()))
			pr.Out.Header["X-Forwarded-For"] = []string{s.clientIP(pr.In).String()}
		},
		Transport: forwardTransport,
		ModifyResponse: func(res *http.Response) error {
			res.Header.Del("X-Request-Id") // this node already answers the same id
			s.awaitRevision(res)
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			s.log.LogAttrs(r.Context(), slog.LevelWarn, "forward to the writer failed",
				slog.String("request_id", requestID(r.Context())), slog.String("err", err.Error()))
			s.unavailable(w, r, "the writer did not answer; retry shortly")
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := s.opts.Leadership
		// The fake WeChat of demo mode keeps its state in memory: the
		// writer's answers all of it.
		fake := strings.HasPrefix(r.URL.Path, "/_fake/")
		if !(writeMethods[strings.ToLower(r.Method)] || fake) || l.IsLeader() {
			if rep := s.opts.Replica; rep != nil && r.Header.Get(ForwardedHeader) != "" {
				wrapWriter(w).beforeHeader = func(h http.Header) {
					h.Set(RevisionHeader, strconv.FormatInt(rep.CommittedRevision(), 10))
				}
			}
			next.ServeHTTP(w, r)
			return
		}
		if r.Header.Get(ForwardedHeader) != "" {
			s.unavailable(w, r, "the writer is changing; retry shortly")
			return
		}
		leader := l.LeaderURL()
		target, err := url.Parse(leader)
		if leader == "" || err != nil || target.Host == "" {
			s.unavailable(w, r, "no writer is elected; retry shortly")
			return
		}
		proxy.ServeHTTP(w, r.WithContext(withForwardTarget(r.Context(), target)))
	})
}

// awaitRevision holds the writer's answer to a forwarded write until this
// node's copy reflects the revision the writer stamped on it.
func (s *Server) awaitRevision(res *http.Response) {
	v := res.Header.Get(RevisionHeader)
	res.Header.Del(RevisionHeader)
	rep := s.opts.Replica
	rev, err := strconv.ParseInt(v, 10, 64)
	if rep == nil || err != nil || rev <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(res.Request.Context(), revisionWait)
	defer cancel()
	if err := rep.WaitRevision(ctx, rev); err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "answering a forwarded write before this node's copy caught up",
			slog.String("request_id", requestID(res.Request.Context())), slog.Int64("revision", rev), slog.String("err", err.Error()))
	}
}

// forwardTransport keeps connections to the writer open between requests.
var forwardTransport = &http.Transport{
	DialContext:           (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	MaxIdleConnsPerHost:   256,
	IdleConnTimeout:       90 * time.Second,
	ResponseHeaderTimeout: 30 * time.Second,
	ExpectContinueTimeout: time.Second,
	TLSHandshakeTimeout:   5 * time.Second,
}

// unavailable answers 503 unavailable with Retry-After: 1.
func (s *Server) unavailable(w http.ResponseWriter, r *http.Request, msg string) {
	w.Header().Set("Retry-After", "1")
	s.writeError(w, r, data.Errorf(data.EUnavailable, "%s", msg))
}

// forwardTargetKey carries the writer's URL from forwardWrites to the
// proxy's Rewrite.
type forwardTargetKey struct{}

func withForwardTarget(ctx context.Context, u *url.URL) context.Context {
	return context.WithValue(ctx, forwardTargetKey{}, u)
}
