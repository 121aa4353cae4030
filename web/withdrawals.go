package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"luckbox/packet"
)

// TransferNotifier verifies and decrypts WeChat Pay's merchant transfer
// notifications (main adapts the wechat client). Errors as PayNotifier's.
type TransferNotifier interface {
	ParseTransferNotification(h http.Header, body []byte) (packet.TransferBill, error)
}

// handleCreateWithdrawal withdraws part of the caller's balance to their
// WeChat change (201 with the pending withdrawal).
func (s *Server) handleCreateWithdrawal(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Amount int64 `json:"amount"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	wd, err := s.Packets.Withdraw(r.Context(), currentUser(r), in.Amount)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, wd)
}

func (s *Server) handleListWithdrawals(w http.ResponseWriter, r *http.Request) {
	items, next, err := s.Packets.Withdrawals(r.Context(), currentUser(r).Seq, r.URL.Query().Get("cursor"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handleGetWithdrawal(w http.ResponseWriter, r *http.Request) {
	wd, err := s.Packets.GetWithdrawal(r.Context(), currentUser(r).Seq, chi.URLParam(r, "withdrawalID"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wd)
}

func (s *Server) handleCancelWithdrawal(w http.ResponseWriter, r *http.Request) {
	if err := decodeJSON(r, &struct{}{}); err != nil {
		s.writeError(w, r, err)
		return
	}
	wd, err := s.Packets.CancelWithdrawal(r.Context(), currentUser(r).Seq, chi.URLParam(r, "withdrawalID"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wd)
}

func (s *Server) handleAdminWithdrawals(w http.ResponseWriter, r *http.Request) {
	items, next, err := s.Packets.AdminWithdrawals(r.Context(), r.URL.Query().Get("cursor"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(items, next))
}

// handleTransferNotify is the notify_url of merchant transfers: verified
// and decrypted like payment notifications, the bill's final state applied
// to its withdrawal exactly once (a duplicate, or a state after a final
// one, changes nothing and is answered 204).
func (s *Server) handleTransferNotify(w http.ResponseWriter, r *http.Request) {
	s.handleWxNotify(w, r, s.TransferNotify != nil && s.Packets != nil, func(h http.Header, body []byte) (error, error) {
		b, err := s.TransferNotify.ParseTransferNotification(h, body)
		if err != nil {
			return err, nil
		}
		_, err = s.Packets.ApplyTransfer(r.Context(), b)
		return nil, err
	})
}
