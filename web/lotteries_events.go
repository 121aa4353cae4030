package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"luckbox/auth"
)

// tokenFromQuery lets a request carry its bearer token as ?access_token=
// when it has no Authorization header. Browsers' EventSource cannot send
// headers, so only the event-stream route is mounted behind it. The access
// log records the path without the query, so the token is not logged.
func tokenFromQuery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t := r.URL.Query().Get("access_token"); t != "" && r.Header.Get("Authorization") == "" {
			r = r.Clone(r.Context())
			r.Header.Set("Authorization", "Bearer "+t)
		}
		next.ServeHTTP(w, r)
	})
}

// handleLotteryEvents streams a lottery's live updates as Server-Sent
// Events: first a `state` event with the lottery as the caller sees it, then
// `count`, `locked`, `drawn` and `canceled` events as they commit, and a
// comment every heartbeat (Options.StreamHeartbeat). It ends when the
// client goes away, when it falls too far behind (it reconnects and gets a
// fresh state), when the server shuts down, or at the first heartbeat after
// its session was logged out or expired (the session is checked again at
// every heartbeat). Open streams are bounded per user, per address and in
// all (Options.Streams); over a limit the answer is 429. The server's
// WriteTimeout is extended before each write.
func (s *Server) handleLotteryEvents(w http.ResponseWriter, r *http.Request) {
	release := s.acquireStream(w, r)
	if release == nil {
		return
	}
	defer release()
	token := auth.BearerToken(r.Header.Get("Authorization"))
	state, events, cancel, err := s.Lotteries.Watch(r.Context(), chi.URLParam(r, "id"), currentUser(r).Seq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer cancel()
	stateJSON, err := json.Marshal(state)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	send := func(chunk string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(s.heartbeat + 15*time.Second))
		if _, err := fmt.Fprint(w, chunk); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: 3000\n\nevent: state\ndata: " + string(stateJSON) + "\n\n") {
		return
	}
	tick := time.NewTicker(s.heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if !send("event: " + ev.Name + "\ndata: " + string(ev.Data) + "\n\n") {
				return
			}
		case <-tick.C:
			if _, err := s.Auth.Authenticate(r.Context(), token); err != nil {
				return // logged out or expired (or storage trouble): the client reconnects and is told
			}
			if !send(": ping\n\n") {
				return
			}
		}
	}
}
