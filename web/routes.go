package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"luckbox/data"
)

// routeTable is the whole API: every endpoint with its policy (policy.go),
// in one place. The middleware applies each route's policy and the OpenAPI
// document states it (openapi.go), so adding a route is one line here plus
// its handler and its OpenAPI fragment. Reads take no body and have no rate
// class; every write has a body limit and a rate class.
//
// The demo client and admin console (/, /admin, /static/*, ui.go) and the
// fake WeChat (/_fake/wechat) are not API routes and are mounted apart.
func routeTable() []route {
	return []route{
		// Health, metrics and documentation.
		{"GET", "/healthz", public, noRate, noBody, 0, (*Server).handleHealthz},
		{"GET", "/readyz", public, noRate, noBody, 0, (*Server).handleReadyz},
		{"GET", "/metrics", public, noRate, noBody, 0, (*Server).handleMetrics},
		{"GET", "/docs", public, noRate, noBody, 0, (*Server).handleDocs},
		{"GET", "/docs/{asset}", public, noRate, noBody, 0, (*Server).handleDocsAsset},
		{"GET", "/api/v1/openapi.json", public, noRate, noBody, 0, (*Server).handleOpenAPI},

		// Sessions and the caller's profile.
		{"POST", "/api/v1/login", public, classLogin, jsonBody, 0, (*Server).handleLogin},
		{"POST", "/api/v1/logout", user, classWrite, jsonBody, idempotent, (*Server).handleLogout},
		{"GET", "/api/v1/me", user, noRate, noBody, 0, (*Server).handleMe},
		{"PATCH", "/api/v1/me", user, classWrite, jsonBody, 0, (*Server).handlePatchMe},
		{"POST", "/api/v1/me/subscriptions", user, classWrite, jsonBody, idempotent, (*Server).handleSubscriptions},
		{"GET", "/api/v1/me/inbox", user, noRate, noBody, 0, (*Server).handleInbox},
		{"POST", "/api/v1/me/inbox/{itemID}/read", user, classWrite, jsonBody, idempotent, (*Server).handleInboxRead},
		{"POST", "/api/v1/me/phone", user, classWrite, jsonBody, idempotent, (*Server).handleMePhone},
		{"POST", "/api/v1/groups/proof", user, classWrite, jsonBody, idempotent, (*Server).handleGroupProof},

		// Gift exchanges, as a participant.
		{"GET", "/api/v1/exchanges/{id}", user, noRate, noBody, 0, (*Server).handleExchangeSummary},
		{"POST", "/api/v1/exchanges/{id}/draw", user, classWrite, jsonBody, idempotent, (*Server).handleExchangeDraw},
		{"GET", "/api/v1/exchanges/{id}/me", user, noRate, noBody, 0, (*Server).handleExchangeMe},

		// Wallet, payments and red packets.
		{"GET", "/api/v1/wallet", user, noRate, noBody, 0, (*Server).handleWallet},
		{"GET", "/api/v1/wallet/ledger", user, noRate, noBody, 0, (*Server).handleLedger},
		{"POST", "/api/v1/wallet/topups", user, classCreate, jsonBody, idempotent, (*Server).handleCreateTopup},
		{"GET", "/api/v1/wallet/topups/{orderID}", user, noRate, noBody, 0, (*Server).handleGetTopup},
		{"POST", "/api/v1/pay/notify", public, classWrite, jsonBody, 0, (*Server).handlePayNotify},
		{"POST", "/api/v1/pay/refunds/notify", public, classWrite, jsonBody, 0, (*Server).handleRefundNotify},
		{"POST", "/api/v1/wallet/withdrawals", user, classCreate, jsonBody, idempotent, (*Server).handleCreateWithdrawal},
		{"GET", "/api/v1/wallet/withdrawals", user, noRate, noBody, 0, (*Server).handleListWithdrawals},
		{"GET", "/api/v1/wallet/withdrawals/{withdrawalID}", user, noRate, noBody, 0, (*Server).handleGetWithdrawal},
		{"POST", "/api/v1/wallet/withdrawals/{withdrawalID}/cancel", user, classWrite, jsonBody, idempotent, (*Server).handleCancelWithdrawal},
		{"POST", "/api/v1/pay/transfer-notify", public, classWrite, jsonBody, 0, (*Server).handleTransferNotify},
		{"POST", "/api/v1/packets", user, classCreate, jsonBody, idempotent, (*Server).handleCreatePacket},
		{"GET", "/api/v1/packets/{packetID}", user, noRate, noBody, 0, (*Server).handleGetPacket},
		{"POST", "/api/v1/packets/{packetID}/paid", user, classWrite, jsonBody, idempotent, (*Server).handlePacketPaid},
		{"POST", "/api/v1/packets/{packetID}/grabs", user, classGrab, jsonBody, idempotent, (*Server).handleGrab},
		{"GET", "/api/v1/me/packets", user, noRate, noBody, 0, (*Server).handleMyPackets},

		// Lotteries.
		{"POST", "/api/v1/lotteries", user, classCreate, jsonBody, idempotent, (*Server).handleCreateLottery},
		{"GET", "/api/v1/lotteries/{id}", user, noRate, noBody, 0, (*Server).handleGetLottery},
		{"DELETE", "/api/v1/lotteries/{id}", user, classWrite, jsonBody, 0, (*Server).handleCancelLottery},
		{"POST", "/api/v1/lotteries/{id}/entries", user, classJoin, jsonBody, idempotent, (*Server).handleJoinLottery},
		{"DELETE", "/api/v1/lotteries/{id}/entries/me", user, classWrite, jsonBody, 0, (*Server).handleLeaveLottery},
		{"POST", "/api/v1/lotteries/{id}/draw", user, classWrite, jsonBody, idempotent, (*Server).handleDrawLottery},
		{"GET", "/api/v1/lotteries/{id}/winners", user, noRate, noBody, 0, (*Server).handleLotteryWinners},
		{"GET", "/api/v1/lotteries/{id}/proof", user, noRate, noBody, 0, (*Server).handleLotteryProof},
		{"POST", "/api/v1/lotteries/{id}/claim", user, classWrite, jsonBody, idempotent, (*Server).handleClaimPrize},
		{"GET", "/api/v1/lotteries/{id}/claims", user, noRate, noBody, 0, (*Server).handleLotteryClaims},
		{"GET", "/api/v1/lotteries/{id}/code.png", user, noRate, noBody, 0, (*Server).handleLotteryCode},
		// EventSource cannot send headers: this one route also takes the
		// token as ?access_token=.
		{"GET", "/api/v1/lotteries/{id}/events", user, noRate, noBody, queryToken, (*Server).handleLotteryEvents},
		{"GET", "/api/v1/me/lotteries", user, noRate, noBody, 0, (*Server).handleMyLotteries},

		// The admin console.
		{"POST", "/api/v1/admin/exchanges", admin, classCreate, jsonBody, idempotent, (*Server).handleCreateExchange},
		{"GET", "/api/v1/admin/exchanges", admin, noRate, noBody, 0, (*Server).handleListExchanges},
		{"GET", "/api/v1/admin/exchanges/{id}", admin, noRate, noBody, 0, (*Server).handleGetExchange},
		{"POST", "/api/v1/admin/exchanges/{id}/participants", admin, classWrite, importBody, idempotent, (*Server).handleImportParticipants},
		{"PATCH", "/api/v1/admin/exchanges/{id}/participants/{pid}", admin, classWrite, jsonBody, 0, (*Server).handlePatchParticipant},
		{"DELETE", "/api/v1/admin/exchanges/{id}/participants/{pid}", admin, classWrite, jsonBody, 0, (*Server).handleDeleteParticipant},
		{"POST", "/api/v1/admin/exchanges/{id}/start", admin, classWrite, jsonBody, idempotent, (*Server).handleStartExchange},
		{"GET", "/api/v1/admin/exchanges/{id}/results", admin, noRate, noBody, 0, (*Server).handleExchangeResults},
		{"POST", "/api/v1/admin/exchanges/{id}/reminders", admin, classWrite, jsonBody, idempotent, (*Server).handleExchangeReminders},
		{"GET", "/api/v1/admin/audit", admin, noRate, noBody, 0, (*Server).handleAudit},
		{"GET", "/api/v1/admin/backup", admin, noRate, noBody, 0, (*Server).handleBackup},
		{"GET", "/api/v1/admin/lotteries", admin, noRate, noBody, 0, (*Server).handleAdminLotteries},
		{"GET", "/api/v1/admin/packets", admin, noRate, noBody, 0, (*Server).handleAdminPackets},
		{"GET", "/api/v1/admin/packets/{packetID}", admin, noRate, noBody, 0, (*Server).handleAdminPacket},
		{"GET", "/api/v1/admin/stats", admin, noRate, noBody, 0, (*Server).handleAdminStats},
		{"GET", "/api/v1/admin/refunds", admin, noRate, noBody, 0, (*Server).handleAdminRefunds},
		{"POST", "/api/v1/admin/refunds/{refundID}/retry", admin, classWrite, jsonBody, idempotent, (*Server).handleRetryRefund},
		{"POST", "/api/v1/admin/refunds/{refundID}/credit", admin, classWrite, jsonBody, idempotent, (*Server).handleCreditRefund},
		{"POST", "/api/v1/admin/topups/{orderID}/refunds", admin, classCreate, jsonBody, idempotent, (*Server).handleRefundTopup},
		{"GET", "/api/v1/admin/reconciliations", admin, noRate, noBody, 0, (*Server).handleReconciliations},
		{"POST", "/api/v1/admin/reconciliations", admin, classWrite, jsonBody, idempotent, (*Server).handleReconcile},
		{"GET", "/api/v1/admin/withdrawals", admin, noRate, noBody, 0, (*Server).handleAdminWithdrawals},
		{"GET", "/api/v1/admin/content-flags", admin, noRate, noBody, 0, (*Server).handleContentFlags},
	}
}

// routes builds the router: the request id, access log, metrics and CORS for
// every request, in a cluster the forwarding of writes to the writer, then
// each route of routeTable behind its policy.
func (s *Server) routes() *chi.Mux {
	r := chi.NewRouter()
	r.Use(s.serve, s.cors, s.forwardWrites)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, data.Errorf(data.ENotFound, "no such endpoint"))
	})
	r.MethodNotAllowed(s.handleMethodNotAllowed)
	for _, rt := range routeTable() {
		handle := rt.handle
		r.With(s.enforce(rt)...).Method(rt.method, rt.pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			handle(s, w, r)
		}))
	}
	s.uiRoutes(r) // the demo client (/), the admin console (/admin) and /static/*
	if s.Fake != nil {
		r.With(s.limitBody(jsonBody)).Mount("/_fake/wechat", http.StripPrefix("/_fake/wechat", s.Fake))
	}
	return r
}
