package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Refund statuses reported by WeChat Pay (status of the refund API,
// refund_status of refund notifications).
const (
	RefundSuccess    = "SUCCESS"    // the money reached the payer
	RefundClosed     = "CLOSED"     // closed without paying out
	RefundProcessing = "PROCESSING" // accepted, not paid out yet
	RefundAbnormal   = "ABNORMAL"   // failed (the payer's card was closed...): needs handling
)

// Event types of refund notifications.
const (
	EventRefundSuccess  = "REFUND.SUCCESS"
	EventRefundAbnormal = "REFUND.ABNORMAL"
	EventRefundClosed   = "REFUND.CLOSED"
)

// RefundRequest asks WeChat Pay to refund (part of) a paid order
// (POST /v3/refund/domestic/refunds). Sending the same OutRefundNo again is
// the same refund: WeChat Pay refunds once.
type RefundRequest struct {
	OutTradeNo    string // the order, by merchant order number, or
	TransactionID string // by WeChat Pay's number (one of the two)
	OutRefundNo   string // merchant refund number, 1..64 of [0-9A-Za-z_-|*@]
	Reason        string // optional, shown to the payer, ≤ 80 characters
	NotifyURL     string // refund notification URL (optional)
	Refund        int64  // fen to refund, ≥ 1
	Total         int64  // the order's amount in fen
}

// Refund is the state of a refund, as the refund API answers it or a
// refund notification carries it.
type Refund struct {
	MchID         string // set by notifications only
	RefundID      string // WeChat Pay's refund number
	OutRefundNo   string
	TransactionID string
	OutTradeNo    string
	Status        string // one of the Refund* statuses
	Channel       string
	Account       string // user_received_account
	Refund, Total int64  // fen
	PayerRefund   int64
	Currency      string
	CreateTime    time.Time
	SuccessTime   time.Time
}

// payRefundJSON is the wire form of a refund (API answers).
type payRefundJSON struct {
	RefundID            string          `json:"refund_id"`
	OutRefundNo         string          `json:"out_refund_no"`
	TransactionID       string          `json:"transaction_id"`
	OutTradeNo          string          `json:"out_trade_no"`
	Channel             string          `json:"channel"`
	UserReceivedAccount string          `json:"user_received_account"`
	SuccessTime         string          `json:"success_time"`
	CreateTime          string          `json:"create_time"`
	Status              string          `json:"status"`
	RefundStatus        string          `json:"refund_status"` // notifications name it so
	MchID               string          `json:"mchid"`
	Amount              payRefundAmount `json:"amount"`
}

type payRefundAmount struct {
	Total       int64  `json:"total"`
	Refund      int64  `json:"refund"`
	PayerTotal  int64  `json:"payer_total"`
	PayerRefund int64  `json:"payer_refund"`
	Currency    string `json:"currency"`
}

// refund converts the wire form.
func (j payRefundJSON) refund() (Refund, error) {
	r := Refund{MchID: j.MchID, RefundID: j.RefundID, OutRefundNo: j.OutRefundNo, TransactionID: j.TransactionID,
		OutTradeNo: j.OutTradeNo, Status: j.Status, Channel: j.Channel, Account: j.UserReceivedAccount,
		Refund: j.Amount.Refund, Total: j.Amount.Total, PayerRefund: j.Amount.PayerRefund, Currency: j.Amount.Currency}
	if r.Status == "" {
		r.Status = j.RefundStatus
	}
	for _, t := range []struct {
		s   string
		dst *time.Time
	}{{j.CreateTime, &r.CreateTime}, {j.SuccessTime, &r.SuccessTime}} {
		if t.s == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339, t.s)
		if err != nil {
			return Refund{}, fmt.Errorf("refund time %q: %w", t.s, err)
		}
		*t.dst = v
	}
	switch {
	case r.OutRefundNo == "" || r.Status == "":
		return Refund{}, errors.New("refund without out_refund_no or status")
	case r.Status == RefundSuccess && r.SuccessTime.IsZero():
		return Refund{}, errors.New("successful refund without success_time")
	}
	return r, nil
}

// payValidOutRefundNo reports whether s is a valid merchant refund number.
func payValidOutRefundNo(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c == '_', c == '-', c == '|', c == '*', c == '@':
		default:
			return false
		}
	}
	return true
}

// CreateRefund asks WeChat Pay to refund a paid order
// (POST /v3/refund/domestic/refunds) and returns the refund as accepted,
// usually PROCESSING. Repeating a request with the same OutRefundNo returns
// the same refund. A refusal is a *PayError (NOT_ENOUGH, INVALID_REQUEST,
// RESOURCE_NOT_EXISTS...).
func (p *Pay) CreateRefund(ctx context.Context, r RefundRequest) (Refund, error) {
	switch {
	case !payValidOutRefundNo(r.OutRefundNo):
		return Refund{}, fmt.Errorf("wechat pay: refund: invalid out_refund_no %q", r.OutRefundNo)
	case (r.OutTradeNo == "") == (r.TransactionID == ""):
		return Refund{}, fmt.Errorf("wechat pay: refund %s: exactly one of out_trade_no and transaction_id", r.OutRefundNo)
	case r.OutTradeNo != "" && !payValidOutTradeNo(r.OutTradeNo):
		return Refund{}, fmt.Errorf("wechat pay: refund %s: invalid out_trade_no %q", r.OutRefundNo, r.OutTradeNo)
	case r.Refund < 1 || r.Refund > r.Total:
		return Refund{}, fmt.Errorf("wechat pay: refund %s: refund must be 1..total fen", r.OutRefundNo)
	case len([]rune(r.Reason)) > 80:
		return Refund{}, fmt.Errorf("wechat pay: refund %s: reason longer than 80 characters", r.OutRefundNo)
	}
	type amount struct {
		Refund   int64  `json:"refund"`
		Total    int64  `json:"total"`
		Currency string `json:"currency"`
	}
	body := struct {
		TransactionID string `json:"transaction_id,omitempty"`
		OutTradeNo    string `json:"out_trade_no,omitempty"`
		OutRefundNo   string `json:"out_refund_no"`
		Reason        string `json:"reason,omitempty"`
		NotifyURL     string `json:"notify_url,omitempty"`
		Amount        amount `json:"amount"`
	}{r.TransactionID, r.OutTradeNo, r.OutRefundNo, r.Reason, r.NotifyURL, amount{r.Refund, r.Total, "CNY"}}
	var out payRefundJSON
	if err := p.do(ctx, http.MethodPost, "/v3/refund/domestic/refunds", nil, body, &out); err != nil {
		return Refund{}, fmt.Errorf("wechat pay: refund %s: %w", r.OutRefundNo, err)
	}
	return p.checkRefund(out, r.OutRefundNo, "refund")
}

// QueryRefund returns the state of a refund by merchant refund number
// (GET /v3/refund/domestic/refunds/{out_refund_no}). An unknown refund is a
// *PayError with Code RESOURCE_NOT_EXISTS.
func (p *Pay) QueryRefund(ctx context.Context, outRefundNo string) (Refund, error) {
	if !payValidOutRefundNo(outRefundNo) {
		return Refund{}, fmt.Errorf("wechat pay: query refund: invalid out_refund_no %q", outRefundNo)
	}
	var out payRefundJSON
	if err := p.do(ctx, http.MethodGet, "/v3/refund/domestic/refunds/"+url.PathEscape(outRefundNo), nil, nil, &out); err != nil {
		return Refund{}, fmt.Errorf("wechat pay: query refund %s: %w", outRefundNo, err)
	}
	return p.checkRefund(out, outRefundNo, "query refund")
}

// checkRefund converts an answer and checks it is about outRefundNo.
func (p *Pay) checkRefund(j payRefundJSON, outRefundNo, op string) (Refund, error) {
	r, err := j.refund()
	if err != nil {
		return Refund{}, fmt.Errorf("wechat pay: %s %s: %w", op, outRefundNo, err)
	}
	if r.OutRefundNo != outRefundNo {
		return Refund{}, fmt.Errorf("wechat pay: %s %s: answer is about refund %q", op, outRefundNo, r.OutRefundNo)
	}
	return r, nil
}

// ParseRefundNotification verifies and decrypts a refund notification like
// ParseNotification does a payment notification (same signature, skew and
// decryption checks; resource original_type "refund"). The event type
// (REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED) must agree with the
// decrypted refund_status, and the refund must belong to the configured
// merchant.
func (p *Pay) ParseRefundNotification(h http.Header, body []byte) (Refund, error) {
	n, plain, err := p.openNotification(h, body, "refund")
	if err != nil {
		return Refund{}, err
	}
	var j payRefundJSON
	if err := json.Unmarshal(plain, &j); err != nil {
		return Refund{}, fmt.Errorf("wechat pay: refund notification %s: decode resource: %w", n.ID, err)
	}
	r, err := j.refund()
	if err != nil {
		return Refund{}, fmt.Errorf("wechat pay: refund notification %s: %w", n.ID, err)
	}
	if r.MchID != p.cfg.MchID {
		return Refund{}, fmt.Errorf("wechat pay: refund notification %s: for merchant %q, not this one", n.ID, r.MchID)
	}
	if want := "REFUND." + r.Status; n.EventType != want {
		return Refund{}, fmt.Errorf("wechat pay: refund notification %s: event %q disagrees with refund_status %q", n.ID, n.EventType, r.Status)
	}
	return r, nil
}
