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
	r.Get("/docs", s.handleDocs)
	r.Get("/docs/{asset}", s.handleDocsAsset)
	s.uiRoutes(r) // the demo client (/), the admin console (/admin) and /static/*
	if s.Fake != nil {
		r.Mount("/_fake/wechat", http.StripPrefix("/_fake/wechat", s.Fake))
	}

	r.Route("/api/v1", func(r chi.Router) {
		r.Use(s.limitByIP) // per-IP rate limits (login)
		// Public endpoints.
		r.Get("/openapi.json", s.handleOpenAPI)
		r.Post("/login", s.handleLogin)
		r.Post("/pay/notify", s.handlePayNotify)
		// Live lottery events: EventSource cannot send headers, so this one
		// route also takes the token as ?access_token=.
		r.With(tokenFromQuery, s.authenticate, s.requireUser).Get("/lotteries/{id}/events", s.handleLotteryEvents)

		// Everything else needs a token.
		r.Group(func(r chi.Router) {
			r.Use(s.authenticate, s.limitByUser, s.idempotent)

			r.Group(func(r chi.Router) {
				r.Use(s.requireUser)
				r.Post("/logout", s.handleLogout)
				r.Get("/me", s.handleMe)
				r.Patch("/me", s.handlePatchMe)
				r.Post("/me/subscriptions", s.handleSubscriptions)
				r.Get("/me/inbox", s.handleInbox)
				r.Post("/me/inbox/{itemID}/read", s.handleInboxRead)
				r.Post("/me/phone", s.handleMePhone)
				r.Get("/exchanges/{id}", s.handleExchangeSummary)
				r.Post("/exchanges/{id}/draw", s.handleExchangeDraw)
				r.Get("/exchanges/{id}/me", s.handleExchangeMe)
				r.Get("/wallet", s.handleWallet)
				r.Get("/wallet/ledger", s.handleLedger)
				r.Post("/wallet/topups", s.handleCreateTopup)
				r.Get("/wallet/topups/{orderID}", s.handleGetTopup)
				r.Post("/packets", s.handleCreatePacket)
				r.Get("/packets/{packetID}", s.handleGetPacket)
				r.Post("/packets/{packetID}/paid", s.handlePacketPaid)
				r.Post("/packets/{packetID}/grabs", s.handleGrab)
				r.Get("/me/packets", s.handleMyPackets)
				r.Post("/lotteries", s.handleCreateLottery)
				r.Get("/lotteries/{id}", s.handleGetLottery)
				r.Delete("/lotteries/{id}", s.handleCancelLottery)
				r.Post("/lotteries/{id}/entries", s.handleJoinLottery)
				r.Delete("/lotteries/{id}/entries/me", s.handleLeaveLottery)
				r.Post("/lotteries/{id}/draw", s.handleDrawLottery)
				r.Get("/lotteries/{id}/winners", s.handleLotteryWinners)
				r.Get("/lotteries/{id}/proof", s.handleLotteryProof)
				r.Post("/lotteries/{id}/claim", s.handleClaimPrize)
				r.Get("/lotteries/{id}/claims", s.handleLotteryClaims)
				r.Get("/lotteries/{id}/code.png", s.handleLotteryCode)
				r.Get("/me/lotteries", s.handleMyLotteries)
			})

			r.Route("/admin", func(r chi.Router) {
				r.Use(s.requireAdmin)
				r.Post("/exchanges", s.handleCreateExchange)
				r.Get("/exchanges", s.handleListExchanges)
				r.Get("/exchanges/{id}", s.handleGetExchange)
				r.Post("/exchanges/{id}/participants", s.handleImportParticipants)
				r.Patch("/exchanges/{id}/participants/{pid}", s.handlePatchParticipant)
				r.Delete("/exchanges/{id}/participants/{pid}", s.handleDeleteParticipant)
				r.Post("/exchanges/{id}/start", s.handleStartExchange)
				r.Get("/exchanges/{id}/results", s.handleExchangeResults)
				r.Post("/exchanges/{id}/reminders", s.handleExchangeReminders)
				r.Get("/audit", s.handleAudit)
				r.Get("/backup", s.handleBackup)
				r.Get("/lotteries", s.handleAdminLotteries)
				r.Get("/packets", s.handleAdminPackets)
				r.Get("/packets/{packetID}", s.handleAdminPacket)
				r.Get("/stats", s.handleAdminStats)
			})
		})
	})
	return r
}
