package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"luckbox/data"
)

// routes is the route table: every endpoint of the server, in one place.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(withRequestID, s.logAndRecover, s.cors, s.limitBody)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, data.Errorf(data.ENotFound, "no such endpoint"))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, data.Errorf(data.ENotFound, "no such endpoint for method %s", r.Method))
	})

	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)
	r.Method(http.MethodGet, "/metrics", s.handleMetrics())
	if s.Fake != nil {
		r.Mount("/_fake/wechat", http.StripPrefix("/_fake/wechat", s.Fake))
	}

	r.Route("/api/v1", func(r chi.Router) {
		// Public endpoints.
		r.Get("/openapi.json", s.handleOpenAPI)
		r.Post("/login", s.handleLogin)

		// Everything else needs a token.
		r.Group(func(r chi.Router) {
			r.Use(s.authenticate, s.idempotent)

			r.Group(func(r chi.Router) {
				r.Use(s.requireUser)
				r.Post("/logout", s.handleLogout)
				r.Get("/me", s.handleMe)
				r.Patch("/me", s.handlePatchMe)
				r.Post("/me/subscriptions", s.handleSubscriptions)
				r.Get("/me/inbox", s.handleInbox)
				r.Post("/me/inbox/{itemID}/read", s.handleInboxRead)
			})

			r.Route("/admin", func(r chi.Router) {
				r.Use(s.requireAdmin)
			})
		})
	})
	return r
}
