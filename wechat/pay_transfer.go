package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"
)

// Merchant transfer (商家转账, the version where the user confirms the
// transfer in the mini-program with wx.requestMerchantTransfer): states of a
// transfer bill.
const (
	TransferAccepted        = "ACCEPTED"          // accepted, being checked
	TransferProcessing      = "PROCESSING"        // being processed
	TransferWaitUserConfirm = "WAIT_USER_CONFIRM" // package_info issued; the user must confirm
	TransferTransfering     = "TRANSFERING"       // confirmed, being transferred
	TransferSuccess         = "SUCCESS"           // final: the money reached the user's change
	TransferFail            = "FAIL"              // final: failed
	TransferCanceling       = "CANCELING"         // the merchant asked to cancel
	TransferCancelled       = "CANCELLED"         // final: cancelled (by the merchant or expired)
)

// EventTransferFinished is the event type of the notification WeChat Pay
// sends when a transfer bill reaches a final state.
const EventTransferFinished = "MCHTRANSFER.BILL.FINISHED"

// transferBillsPath is the API path of transfer bills.
const transferBillsPath = "/v3/fund-app/mch-transfer/transfer-bills"

// TransferSceneReport is one transfer_scene_report_infos item: what the
// transfer scene requires the merchant to report (for the scene 1000,
// 现金营销, "活动名称" and "奖励说明").
type TransferSceneReport struct {
	InfoType    string `json:"info_type"`
	InfoContent string `json:"info_content"`
}

// TransferRequest is a transfer to a user's WeChat change.
type TransferRequest struct {
	OutBillNo   string // merchant bill number, 5..32 of [0-9A-Za-z]
	SceneID     string // transfer_scene_id, e.g. "1000" (现金营销)
	OpenID      string // the payee's openid under AppID
	Amount      int64  // fen, ≥ 1
	Remark      string // transfer_remark shown to the user, 1..32 characters
	NotifyURL   string // where the final-state notification goes
	UserRecvPer string // optional user_recv_perception (e.g. "活动奖励")
	Reports     []TransferSceneReport
}

// TransferBill is a transfer bill as WeChat Pay reports it: the answer to a
// transfer, a query or a cancel, or the resource of a notification.
type TransferBill struct {
	MchID          string
	AppID          string
	OutBillNo      string
	TransferBillNo string // WeChat Pay's bill number
	State          string // one of the Transfer* constants
	Amount         int64  // fen (0 in the answers to a transfer or a cancel)
	OpenID         string
	Remark         string
	FailReason     string
	PackageInfo    string // for wx.requestMerchantTransfer while WAIT_USER_CONFIRM
	CreateTime     time.Time
	UpdateTime     time.Time
}

// Final reports whether the bill's state can no longer change.
func (b TransferBill) Final() bool {
	return b.State == TransferSuccess || b.State == TransferFail || b.State == TransferCancelled
}

// transferBillJSON is the wire form of a transfer bill (answers and the
// notification resource; the notification names the merchant mch_id).
type transferBillJSON struct {
	MchID          string `json:"mch_id"`
	AppID          string `json:"appid"`
	OutBillNo      string `json:"out_bill_no"`
	TransferBillNo string `json:"transfer_bill_no"`
	State          string `json:"state"`
	Amount         int64  `json:"transfer_amount"`
	OpenID         string `json:"openid"`
	Remark         string `json:"transfer_remark"`
	FailReason     string `json:"fail_reason"`
	PackageInfo    string `json:"package_info"`
	CreateTime     string `json:"create_time"`
	UpdateTime     string `json:"update_time"`
}

// bill converts the wire form.
func (j transferBillJSON) bill() (TransferBill, error) {
	b := TransferBill{MchID: j.MchID, AppID: j.AppID, OutBillNo: j.OutBillNo, TransferBillNo: j.TransferBillNo,
		State: j.State, Amount: j.Amount, OpenID: j.OpenID, Remark: j.Remark, FailReason: j.FailReason,
		PackageInfo: j.PackageInfo}
	for _, t := range []struct {
		s   string
		dst *time.Time
	}{{j.CreateTime, &b.CreateTime}, {j.UpdateTime, &b.UpdateTime}} {
		if t.s == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339, t.s)
		if err != nil {
			return TransferBill{}, fmt.Errorf("time %q: %w", t.s, err)
		}
		*t.dst = v
	}
	if b.OutBillNo == "" || b.State == "" {
		return TransferBill{}, errors.New("transfer bill without out_bill_no or state")
	}
	return b, nil
}

// transferValidOutBillNo reports whether s is a valid out_bill_no: 5..32
// letters and digits.
func transferValidOutBillNo(s string) bool {
	if len(s) < 5 || len(s) > 32 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// Transfer creates a transfer bill (POST
// /v3/fund-app/mch-transfer/transfer-bills). Sending the same out_bill_no
// again returns the same bill. The answer carries package_info while the
// bill waits for the user's confirmation (WAIT_USER_CONFIRM).
func (p *Pay) Transfer(ctx context.Context, r TransferRequest) (TransferBill, error) {
	switch {
	case !transferValidOutBillNo(r.OutBillNo):
		return TransferBill{}, fmt.Errorf("wechat pay: transfer: invalid out_bill_no %q", r.OutBillNo)
	case r.Amount < 1:
		return TransferBill{}, fmt.Errorf("wechat pay: transfer %s: amount must be at least 1 fen", r.OutBillNo)
	case r.OpenID == "":
		return TransferBill{}, fmt.Errorf("wechat pay: transfer %s: openid is required", r.OutBillNo)
	case r.SceneID == "":
		return TransferBill{}, fmt.Errorf("wechat pay: transfer %s: transfer_scene_id is required", r.OutBillNo)
	case r.Remark == "" || utf8.RuneCountInString(r.Remark) > 32:
		return TransferBill{}, fmt.Errorf("wechat pay: transfer %s: remark must be 1..32 characters", r.OutBillNo)
	}
	if r.NotifyURL != "" {
		if u, err := url.Parse(r.NotifyURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
			return TransferBill{}, fmt.Errorf("wechat pay: transfer %s: notify_url must be an absolute http(s) URL without query", r.OutBillNo)
		}
	}
	body := struct {
		AppID       string                `json:"appid"`
		OutBillNo   string                `json:"out_bill_no"`
		SceneID     string                `json:"transfer_scene_id"`
		OpenID      string                `json:"openid"`
		Amount      int64                 `json:"transfer_amount"`
		Remark      string                `json:"transfer_remark"`
		NotifyURL   string                `json:"notify_url,omitempty"`
		UserRecvPer string                `json:"user_recv_perception,omitempty"`
		Reports     []TransferSceneReport `json:"transfer_scene_report_infos,omitempty"`
	}{p.cfg.AppID, r.OutBillNo, r.SceneID, r.OpenID, r.Amount, r.Remark, r.NotifyURL, r.UserRecvPer, r.Reports}
	var out transferBillJSON
	if err := p.do(ctx, http.MethodPost, transferBillsPath, nil, body, &out); err != nil {
		return TransferBill{}, fmt.Errorf("wechat pay: transfer %s: %w", r.OutBillNo, err)
	}
	return p.transferAnswer("transfer", r.OutBillNo, out)
}

// QueryTransfer returns a transfer bill by out_bill_no (GET
// /v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{out_bill_no}). An
// unknown bill is a *PayError with Code NOT_FOUND.
func (p *Pay) QueryTransfer(ctx context.Context, outBillNo string) (TransferBill, error) {
	if !transferValidOutBillNo(outBillNo) {
		return TransferBill{}, fmt.Errorf("wechat pay: query transfer: invalid out_bill_no %q", outBillNo)
	}
	var out transferBillJSON
	if err := p.do(ctx, http.MethodGet, transferBillsPath+"/out-bill-no/"+url.PathEscape(outBillNo), nil, nil, &out); err != nil {
		return TransferBill{}, fmt.Errorf("wechat pay: query transfer %s: %w", outBillNo, err)
	}
	b, err := p.transferAnswer("query transfer", outBillNo, out)
	if err == nil && b.MchID != p.cfg.MchID {
		return TransferBill{}, fmt.Errorf("wechat pay: query transfer %s: bill of merchant %q", outBillNo, b.MchID)
	}
	return b, err
}

// CancelTransfer asks WeChat Pay to cancel a transfer the user has not
// confirmed (POST .../out-bill-no/{out_bill_no}/cancel); the answer's state
// is CANCELING, and CANCELLED follows (notification or query). A bill the
// user confirmed or that is final cannot be cancelled (a *PayError).
func (p *Pay) CancelTransfer(ctx context.Context, outBillNo string) (TransferBill, error) {
	if !transferValidOutBillNo(outBillNo) {
		return TransferBill{}, fmt.Errorf("wechat pay: cancel transfer: invalid out_bill_no %q", outBillNo)
	}
	var out transferBillJSON
	path := transferBillsPath + "/out-bill-no/" + url.PathEscape(outBillNo) + "/cancel"
	if err := p.do(ctx, http.MethodPost, path, nil, struct{}{}, &out); err != nil {
		return TransferBill{}, fmt.Errorf("wechat pay: cancel transfer %s: %w", outBillNo, err)
	}
	return p.transferAnswer("cancel transfer", outBillNo, out)
}

// transferAnswer converts an answer about bill outBillNo and checks that it
// is about that bill.
func (p *Pay) transferAnswer(op, outBillNo string, out transferBillJSON) (TransferBill, error) {
	b, err := out.bill()
	if err != nil {
		return TransferBill{}, fmt.Errorf("wechat pay: %s %s: %w", op, outBillNo, err)
	}
	if b.OutBillNo != outBillNo {
		return TransferBill{}, fmt.Errorf("wechat pay: %s %s: answer is about bill %q", op, outBillNo, b.OutBillNo)
	}
	return b, nil
}

// ParseTransferNotification verifies and decrypts a merchant transfer
// notification (MCHTRANSFER.BILL.FINISHED, resource mch_payment) like
// ParseNotification does a payment's: signature (ErrBadSignature), timestamp
// (ErrStaleNotification), AEAD_AES_256_GCM resource. The bill must be of the
// configured merchant and in a final state.
func (p *Pay) ParseTransferNotification(h http.Header, body []byte) (TransferBill, error) {
	n, plain, err := p.openNotification(h, body, "mch_payment")
	if err != nil {
		return TransferBill{}, err
	}
	if n.EventType != EventTransferFinished {
		return TransferBill{}, fmt.Errorf("wechat pay: notification %s: event %q is not %s", n.ID, n.EventType, EventTransferFinished)
	}
	var j transferBillJSON
	if err := json.Unmarshal(plain, &j); err != nil {
		return TransferBill{}, fmt.Errorf("wechat pay: notification %s: decode resource: %w", n.ID, err)
	}
	b, err := j.bill()
	if err != nil {
		return TransferBill{}, fmt.Errorf("wechat pay: notification %s: %w", n.ID, err)
	}
	if b.MchID != p.cfg.MchID {
		return TransferBill{}, fmt.Errorf("wechat pay: notification %s: for merchant %q, not this one", n.ID, b.MchID)
	}
	if !b.Final() {
		return TransferBill{}, fmt.Errorf("wechat pay: notification %s: state %q is not final", n.ID, b.State)
	}
	return b, nil
}

// MchID returns the merchant id the client is configured with.
func (p *Pay) MchID() string { return p.cfg.MchID }
