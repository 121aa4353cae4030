package fake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Refund statuses of the fake.
const (
	refundProcessing = "PROCESSING"
	refundSuccess    = "SUCCESS"
	refundClosed     = "CLOSED"
	refundAbnormal   = "ABNORMAL"
)

// payRefundRequestJSON is the body of POST /v3/refund/domestic/refunds. A
// refund with the same out_refund_no must repeat it exactly.
type payRefundRequestJSON struct {
	TransactionID string `json:"transaction_id"`
	OutTradeNo    string `json:"out_trade_no"`
	OutRefundNo   string `json:"out_refund_no"`
	Reason        string `json:"reason"`
	NotifyURL     string `json:"notify_url"`
	FundsAccount  string `json:"funds_account"`
	Amount        struct {
		Refund   int64  `json:"refund"`
		Total    int64  `json:"total"`
		Currency string `json:"currency"`
	} `json:"amount"`
}

// payRefund is a refund the fake knows.
type payRefund struct {
	req            payRefundRequestJSON
	outTradeNo     string
	transactionID  string
	refundID       string
	status         string
	createdAt      time.Time
	successTime    time.Time
	notificationID string
	delivered      []int
}

// FakeRefund is a snapshot of a refund in the fake WeChat Pay.
type FakeRefund struct {
	OutRefundNo, RefundID     string
	OutTradeNo, TransactionID string
	Reason, NotifyURL         string
	Refund, Total             int64 // fen
	Status                    string
	CreatedAt, SuccessTime    time.Time
	Delivered                 []int // HTTP status of every notification POST so far
}

// snapshot copies r; the caller holds f.mu.
func (r *payRefund) snapshot() FakeRefund {
	return FakeRefund{OutRefundNo: r.req.OutRefundNo, RefundID: r.refundID, OutTradeNo: r.outTradeNo,
		TransactionID: r.transactionID, Reason: r.req.Reason, NotifyURL: r.req.NotifyURL,
		Refund: r.req.Amount.Refund, Total: r.req.Amount.Total, Status: r.status,
		CreatedAt: r.createdAt, SuccessTime: r.successTime, Delivered: append([]int(nil), r.delivered...)}
}

// Refund returns a snapshot of the refund with this out_refund_no.
func (f *Fake) Refund(outRefundNo string) (FakeRefund, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.pay.refunds[outRefundNo]
	if !ok {
		return FakeRefund{}, false
	}
	return r.snapshot(), true
}

// Refunds returns snapshots of every refund, in no particular order.
func (f *Fake) Refunds() []FakeRefund {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]FakeRefund, 0, len(f.pay.refunds))
	for _, r := range f.pay.refunds {
		out = append(out, r.snapshot())
	}
	return out
}

// registerRefunds adds the refund routes of WeChat Pay v3 and the refund
// control route.
func (f *Fake) registerRefunds(mux *http.ServeMux) {
	f.pay.refunds = make(map[string]*payRefund)
	mux.HandleFunc("POST /v3/refund/domestic/refunds", f.refundCreate)
	mux.HandleFunc("GET /v3/refund/domestic/refunds/{no}", f.refundQuery)
	mux.HandleFunc("POST /refunds/{no}/complete", f.refundComplete)
}

// payRefundAnswerJSON is a refund as the refund API answers it.
type payRefundAnswerJSON struct {
	RefundID            string              `json:"refund_id"`
	OutRefundNo         string              `json:"out_refund_no"`
	TransactionID       string              `json:"transaction_id"`
	OutTradeNo          string              `json:"out_trade_no"`
	Channel             string              `json:"channel"`
	UserReceivedAccount string              `json:"user_received_account"`
	SuccessTime         string              `json:"success_time,omitempty"`
	CreateTime          string              `json:"create_time"`
	Status              string              `json:"status"`
	FundsAccount        string              `json:"funds_account"`
	Amount              payRefundAmountJSON `json:"amount"`
	PromotionDetail     []struct{}          `json:"promotion_detail"`
}

// payRefundAmountJSON is the amount of a refund.
type payRefundAmountJSON struct {
	Total            int64  `json:"total"`
	Refund           int64  `json:"refund"`
	PayerTotal       int64  `json:"payer_total"`
	PayerRefund      int64  `json:"payer_refund"`
	SettlementRefund int64  `json:"settlement_refund"`
	SettlementTotal  int64  `json:"settlement_total"`
	DiscountRefund   int64  `json:"discount_refund"`
	Currency         string `json:"currency"`
}

// payRefundNotifyJSON is the decrypted resource of a refund notification.
type payRefundNotifyJSON struct {
	MchID               string `json:"mchid"`
	OutTradeNo          string `json:"out_trade_no"`
	TransactionID       string `json:"transaction_id"`
	OutRefundNo         string `json:"out_refund_no"`
	RefundID            string `json:"refund_id"`
	RefundStatus        string `json:"refund_status"`
	SuccessTime         string `json:"success_time,omitempty"`
	UserReceivedAccount string `json:"user_received_account"`
	Amount              struct {
		Total       int64 `json:"total"`
		Refund      int64 `json:"refund"`
		PayerTotal  int64 `json:"payer_total"`
		PayerRefund int64 `json:"payer_refund"`
	} `json:"amount"`
}

// answer renders r as the refund API reports it; the caller holds f.mu.
func (r *payRefund) answer() payRefundAnswerJSON {
	a := payRefundAnswerJSON{RefundID: r.refundID, OutRefundNo: r.req.OutRefundNo, TransactionID: r.transactionID,
		OutTradeNo: r.outTradeNo, Channel: "ORIGINAL", UserReceivedAccount: "支付用户零钱",
		CreateTime: r.createdAt.In(payCST).Format(time.RFC3339), Status: r.status, FundsAccount: "AVAILABLE",
		Amount: payRefundAmountJSON{Total: r.req.Amount.Total, Refund: r.req.Amount.Refund,
			PayerTotal: r.req.Amount.Total, PayerRefund: r.req.Amount.Refund,
			SettlementRefund: r.req.Amount.Refund, SettlementTotal: r.req.Amount.Total, Currency: "CNY"},
		PromotionDetail: []struct{}{}}
	if r.status == refundSuccess {
		a.SuccessTime = r.successTime.In(payCST).Format(time.RFC3339)
	}
	return a
}

// notification renders r as the resource of its refund notification.
func (r *payRefund) notification(mchID string) payRefundNotifyJSON {
	n := payRefundNotifyJSON{MchID: mchID, OutTradeNo: r.outTradeNo, TransactionID: r.transactionID,
		OutRefundNo: r.req.OutRefundNo, RefundID: r.refundID, RefundStatus: r.status,
		UserReceivedAccount: "支付用户零钱"}
	if r.status == refundSuccess {
		n.SuccessTime = r.successTime.In(payCST).Format(time.RFC3339)
	}
	n.Amount.Total, n.Amount.Refund = r.req.Amount.Total, r.req.Amount.Refund
	n.Amount.PayerTotal, n.Amount.PayerRefund = r.req.Amount.Total, r.req.Amount.Refund
	return n
}

// refundValidate checks a refund request like WeChat Pay does and returns a
// PARAM_ERROR message, or "".
func refundValidate(req payRefundRequestJSON) string {
	switch {
	case (req.OutTradeNo == "") == (req.TransactionID == ""):
		return "transaction_id和out_trade_no必须二选一"
	case req.OutRefundNo == "" || len(req.OutRefundNo) > 64 || strings.Trim(req.OutRefundNo, payAlnum+"_-|*@") != "":
		return "out_refund_no须为1到64位数字、大小写字母或_-|*@"
	case utf8.RuneCountInString(req.Reason) > 80:
		return "reason长度不能超过80个字符"
	case req.Amount.Refund < 1 || req.Amount.Total < 1:
		return "amount.refund和amount.total须大于等于1"
	case req.Amount.Currency != "CNY":
		return "amount.currency只支持CNY"
	}
	if req.NotifyURL != "" {
		u, err := url.Parse(req.NotifyURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return "notify_url须为不带参数的绝对http(s)地址"
		}
	}
	return ""
}

// refundCreate serves POST /v3/refund/domestic/refunds: a refund of a paid
// order, at most what is left of it (refunds that closed give their amount
// back). The same out_refund_no with the same body answers the same refund.
func (f *Fake) refundCreate(w http.ResponseWriter, r *http.Request) {
	body, ok := f.payAuthenticate(w, r)
	if !ok {
		return
	}
	var req payRefundRequestJSON
	if err := json.Unmarshal(body, &req); err != nil {
		f.payError(w, r, http.StatusBadRequest, "PARAM_ERROR", "请求体不是合法的JSON: "+err.Error())
		return
	}
	if req.Amount.Currency == "" {
		req.Amount.Currency = "CNY"
	}
	if msg := refundValidate(req); msg != "" {
		f.payError(w, r, http.StatusBadRequest, "PARAM_ERROR", msg)
		return
	}
	now := f.now()
	refundID := "50" + now.In(payCST).Format("20060102") + f.payRandom(18, "0123456789")
	f.mu.Lock()
	status, code, msg, ans := f.refundCreateLocked(req, refundID, now)
	f.mu.Unlock()
	if code != "" {
		f.payError(w, r, status, code, msg)
		return
	}
	f.payReply(w, r, http.StatusOK, ans)
}

// refundCreateLocked records the refund (or finds the same one); the caller
// holds f.mu. It returns the answer, or an error status, code and message.
func (f *Fake) refundCreateLocked(req payRefundRequestJSON, refundID string, now time.Time) (int, string, string, payRefundAnswerJSON) {
	if old, ok := f.pay.refunds[req.OutRefundNo]; ok {
		if old.req != req {
			return http.StatusBadRequest, "INVALID_REQUEST", "退款单号重复，且退款参数与原退款单不一致", payRefundAnswerJSON{}
		}
		return 0, "", "", old.answer()
	}
	var o *payOrder
	if req.OutTradeNo != "" {
		o = f.pay.orders[req.OutTradeNo]
	} else {
		for _, c := range f.pay.orders {
			if c.transactionID != "" && c.transactionID == req.TransactionID {
				o = c
			}
		}
	}
	switch {
	case o == nil:
		return http.StatusNotFound, "RESOURCE_NOT_EXISTS", "订单不存在", payRefundAnswerJSON{}
	case o.state != paySuccess:
		return http.StatusBadRequest, "INVALID_REQUEST", "订单未支付，不能退款", payRefundAnswerJSON{}
	case req.Amount.Total != o.req.Amount.Total:
		return http.StatusBadRequest, "PARAM_ERROR", "订单金额与原订单金额不一致", payRefundAnswerJSON{}
	}
	left := o.req.Amount.Total
	for _, x := range f.pay.refunds {
		if x.outTradeNo == o.req.OutTradeNo && x.status != refundClosed {
			left -= x.req.Amount.Refund
		}
	}
	if req.Amount.Refund > left {
		return http.StatusBadRequest, "INVALID_REQUEST", "申请退款金额超过订单可退金额", payRefundAnswerJSON{}
	}
	x := &payRefund{req: req, outTradeNo: o.req.OutTradeNo, transactionID: o.transactionID, refundID: refundID,
		status: refundProcessing, createdAt: now.Truncate(time.Second)}
	f.pay.refunds[req.OutRefundNo] = x
	return 0, "", "", x.answer()
}

// refundQuery serves GET /v3/refund/domestic/refunds/{no}.
func (f *Fake) refundQuery(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.payAuthenticate(w, r); !ok {
		return
	}
	f.mu.Lock()
	x, ok := f.pay.refunds[r.PathValue("no")]
	var ans payRefundAnswerJSON
	if ok {
		ans = x.answer()
	}
	f.mu.Unlock()
	if !ok {
		f.payError(w, r, http.StatusNotFound, "RESOURCE_NOT_EXISTS", "退款单不存在")
		return
	}
	f.payReply(w, r, http.StatusOK, ans)
}

// refundComplete serves the control route
// POST /refunds/{no}/complete?status=SUCCESS|CLOSED|ABNORMAL[&times=N]: it
// moves a PROCESSING refund to status (once) and POSTs the refund
// notification to its notify_url N times (default 1; 0 sends none, for the
// query path), answering the HTTP statuses it got.
func (f *Fake) refundComplete(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	status := q.Get("status")
	if status != refundSuccess && status != refundClosed && status != refundAbnormal {
		writeJSON(w, http.StatusBadRequest, map[string]string{"code": "PARAM_ERROR", "message": "status must be SUCCESS, CLOSED or ABNORMAL"})
		return
	}
	times, ok := payTimes(w, r, 0)
	if !ok {
		return
	}
	no := r.PathValue("no")
	now := f.now()
	f.mu.Lock()
	x, ok := f.pay.refunds[no]
	var snap payRefund
	switch {
	case !ok:
	case x.status == refundProcessing:
		x.status = status
		if status == refundSuccess {
			x.successTime = now.Truncate(time.Second)
		}
		x.notificationID = f.payUUID()
		snap = *x
	default:
		snap = *x
	}
	f.mu.Unlock()
	switch {
	case !ok:
		writeJSON(w, http.StatusNotFound, map[string]string{"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"})
		return
	case snap.status != status:
		writeJSON(w, http.StatusConflict, map[string]string{"code": "REFUND_FINAL", "message": "退款单已是" + snap.status})
		return
	}
	delivered := make([]int, 0, times)
	for range times {
		h, body, err := f.refundBuildNotification(&snap)
		status := 0
		if err == nil && snap.req.NotifyURL != "" {
			status = f.payPost(r, snap.req.NotifyURL, h, body)
		}
		delivered = append(delivered, status)
	}
	f.mu.Lock()
	x.delivered = append(x.delivered, delivered...)
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"out_refund_no": no, "refund_id": snap.refundID, "status": status, "delivered": delivered})
}

// refundBuildNotification builds the signed notification of a finished refund.
func (f *Fake) refundBuildNotification(x *payRefund) (http.Header, []byte, error) {
	summary := map[string]string{refundSuccess: "退款成功", refundClosed: "退款关闭", refundAbnormal: "退款异常"}[x.status]
	return f.paySealNotification(x.notificationID, "REFUND."+x.status, summary, "refund", x.notification(f.opts.Pay.MchID))
}

// RefundNotification builds the signed notification (headers and body) the
// fake would POST for a finished refund, without sending it, so tests can
// deliver, replay or tamper with it.
func (f *Fake) RefundNotification(outRefundNo string) (http.Header, []byte, error) {
	if f.opts.Pay == nil {
		return nil, nil, errPayNotConfigured
	}
	f.mu.Lock()
	x, ok := f.pay.refunds[outRefundNo]
	var snap payRefund
	if ok {
		snap = *x
	}
	f.mu.Unlock()
	switch {
	case !ok:
		return nil, nil, fmt.Errorf("fake: refund %q does not exist", outRefundNo)
	case snap.status == refundProcessing:
		return nil, nil, fmt.Errorf("fake: refund %q is still processing", outRefundNo)
	}
	return f.refundBuildNotification(&snap)
}
