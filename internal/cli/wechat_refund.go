package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"luckbox/packet"
	"luckbox/wechat"
)

// wxRefunds adapts the WeChat Pay client to packet.Refunds.
type wxRefunds struct {
	p         *wechat.Pay
	notifyURL string // the refund notify_url (POST /api/v1/pay/refunds/notify)
}

// refundNotifyURL is the refund notify_url under a server's public base URL.
func refundNotifyURL(base string) string { return base + "/api/v1/pay/refunds/notify" }

// refundRejected lists the refusals of a refund request that sending it
// again as it is cannot change (so the refund closes, for the admin).
var refundRejected = map[string]bool{
	"PARAM_ERROR": true, "INVALID_REQUEST": true, "RESOURCE_NOT_EXISTS": true,
	"USER_ACCOUNT_ABNORMAL": true, "MCH_NOT_EXISTS": true, "NO_AUTH": true,
}

func (w wxRefunds) Refund(ctx context.Context, r packet.RefundRequest) (packet.RefundState, error) {
	ref, err := w.p.CreateRefund(ctx, wechat.RefundRequest{OutTradeNo: r.OutTradeNo, TransactionID: r.TransactionID,
		OutRefundNo: r.OutRefundNo, Reason: r.Reason, NotifyURL: w.notifyURL, Refund: r.Refund, Total: r.Total})
	var pe *wechat.PayError
	if errors.As(err, &pe) && refundRejected[pe.Code] {
		return packet.RefundState{}, fmt.Errorf("%w: %v", packet.ErrRefundRejected, err)
	}
	if err != nil {
		return packet.RefundState{}, err
	}
	return refundState(ref), nil
}

func (w wxRefunds) QueryRefund(ctx context.Context, outRefundNo string) (packet.RefundState, error) {
	ref, err := w.p.QueryRefund(ctx, outRefundNo)
	var pe *wechat.PayError
	if errors.As(err, &pe) && pe.Code == "RESOURCE_NOT_EXISTS" {
		return packet.RefundState{}, fmt.Errorf("%w: %v", packet.ErrRefundNotExist, err)
	}
	if err != nil {
		return packet.RefundState{}, err
	}
	return refundState(ref), nil
}

func refundState(r wechat.Refund) packet.RefundState {
	return packet.RefundState{OutRefundNo: r.OutRefundNo, RefundID: r.RefundID, Status: r.Status, Refund: r.Refund,
		SuccessTime: r.SuccessTime}
}

// ParseRefundNotification adapts the client's refund notifications to
// web.RefundNotifier, mapping signature errors as wxPayNotify does.
func (w wxPayNotify) ParseRefundNotification(h http.Header, body []byte) (packet.RefundState, error) {
	r, err := w.p.ParseRefundNotification(h, body)
	if err != nil {
		return packet.RefundState{}, notifyError(err)
	}
	return refundState(r), nil
}

// publicBase is where WeChat Pay reaches this server: base (loopback) in
// demo mode, --public-url in production.
func publicBase(cfg *serveConfig, base string) string {
	if cfg.demo() {
		return base
	}
	return strings.TrimRight(cfg.PublicURL, "/")
}
