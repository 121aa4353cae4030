package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

func (s *Server) handleWallet(w http.ResponseWriter, r *http.Request) {
	bal, err := s.Packets.Balance(r.Context(), currentUser(r).Seq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Balance int64 `json:"balance"`
	}{bal})
}

func (s *Server) handleLedger(w http.ResponseWriter, r *http.Request) {
	items, next, err := s.Packets.Ledger(r.Context(), currentUser(r).Seq, r.URL.Query().Get("cursor"), 0)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handleCreateTopup(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Amount int64 `json:"amount"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	o, err := s.Packets.Topup(r.Context(), currentUser(r), in.Amount)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, o)
}

func (s *Server) handleGetTopup(w http.ResponseWriter, r *http.Request) {
	o, err := s.Packets.TopupOrder(r.Context(), currentUser(r).Seq, chi.URLParam(r, "orderID"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}
