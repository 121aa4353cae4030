package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"luckbox/packet"
)

// RefundNotifier verifies and decrypts WeChat Pay refund notifications (main
// adapts the wechat client). Errors are answered as PayNotifier's are.
type RefundNotifier interface {
	ParseRefundNotification(h http.Header, body []byte) (packet.RefundState, error)
}

// handleRefundNotify is the notify_url of refunds: it verifies the
// signature, decrypts the refund and applies its state exactly once, never
// moving a refund back. Answers as handlePayNotify.
func (s *Server) handleRefundNotify(w http.ResponseWriter, r *http.Request) {
	s.handleWxNotify(w, r, s.RefundNotify != nil && s.Packets != nil, func(h http.Header, body []byte) (error, error) {
		st, err := s.RefundNotify.ParseRefundNotification(h, body)
		if err != nil {
			return err, nil
		}
		_, err = s.Packets.ApplyRefund(r.Context(), st)
		return nil, err
	})
}

func (s *Server) handleAdminRefunds(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	items, next, err := s.Packets.Refunds(r.Context(), q.Get("status"), q.Get("cursor"), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handleRetryRefund(w http.ResponseWriter, r *http.Request) {
	s.resolveRefund(w, r, s.Packets.RetryRefund)
}

func (s *Server) handleCreditRefund(w http.ResponseWriter, r *http.Request) {
	s.resolveRefund(w, r, s.Packets.CreditRefund)
}

// resolveRefund answers an admin's retry or credit of a refund.
func (s *Server) resolveRefund(w http.ResponseWriter, r *http.Request, resolve func(ctx context.Context, id string) (packet.Refund, error)) {
	var in struct{}
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := resolve(r.Context(), chi.URLParam(r, "refundID"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleRefundTopup(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Amount int64  `json:"amount"`
		Reason string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.Packets.RefundTopup(r.Context(), chi.URLParam(r, "orderID"), in.Amount, in.Reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}
