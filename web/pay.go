package web

import (
	"errors"
	"io"
	"log/slog"
	"net/http"

	"luckbox/data"
	"luckbox/packet"
)

// PayNotifier verifies and decrypts WeChat Pay notifications (main adapts the
// wechat client). An error wrapping packet.ErrBadSignature or
// packet.ErrStaleNotification is answered 401; any other error 400.
type PayNotifier interface {
	ParseNotification(h http.Header, body []byte) (packet.Transaction, error)
}

// payAnswer is the body WeChat Pay expects when a notification is refused.
type payAnswer struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (s *Server) payFail(w http.ResponseWriter, r *http.Request, status int, message, reason string) {
	s.log.LogAttrs(r.Context(), slog.LevelWarn, "payment notification refused",
		slog.String("request_id", requestID(r.Context())), slog.Int("status", status), slog.String("reason", reason))
	writeJSON(w, status, payAnswer{Code: "FAIL", Message: message})
}

// handlePayNotify is WeChat Pay's notify_url: it verifies the signature,
// decrypts the transaction and applies it to its order exactly once. 204 on
// success (also for a duplicate); 401 {"code":"FAIL"} for a bad or stale
// signature or the signature probe; 4xx for anything else it refuses, which
// changes nothing.
func (s *Server) handlePayNotify(w http.ResponseWriter, r *http.Request) {
	s.serveNotification(w, r, s.PayNotify != nil, func(h http.Header, body []byte) (error, error) {
		t, err := s.PayNotify.ParseNotification(h, body)
		if err != nil {
			return err, nil
		}
		_, err = s.Packets.ApplyPayment(r.Context(), t)
		return nil, err
	})
}

// serveNotification reads a WeChat Pay notification and hands it to
// parseApply, which returns the error of verifying and decrypting it
// (parseErr: 401 for a bad or stale signature, else 400) or of applying it
// (applyErr: the status of its domain error code, 500 for an internal one,
// logged and not leaked). 204 when both are nil.
func (s *Server) serveNotification(w http.ResponseWriter, r *http.Request, configured bool, parseApply func(h http.Header, body []byte) (parseErr, applyErr error)) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.payFail(w, r, http.StatusRequestEntityTooLarge, "body too large", err.Error())
		return
	}
	if !configured || s.Packets == nil {
		s.payFail(w, r, http.StatusNotFound, "payments are not configured", "no WeChat Pay configured")
		return
	}
	parseErr, err := parseApply(r.Header, body)
	if parseErr != nil {
		if errors.Is(parseErr, packet.ErrBadSignature) || errors.Is(parseErr, packet.ErrStaleNotification) {
			s.payFail(w, r, http.StatusUnauthorized, "signature verification failed", parseErr.Error())
			return
		}
		s.payFail(w, r, http.StatusBadRequest, "notification could not be read", parseErr.Error())
		return
	}
	if err != nil {
		if e, ok := data.AsError(err); ok && statusOf[e.Code] != 0 && e.Code != data.EInternal {
			s.payFail(w, r, statusOf[e.Code], e.Message, e.Message)
			return
		}
		s.log.LogAttrs(r.Context(), slog.LevelError, "payment notification failed",
			slog.String("request_id", requestID(r.Context())), slog.String("err", err.Error()))
		writeJSON(w, http.StatusInternalServerError, payAnswer{Code: "FAIL", Message: "internal error"})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
