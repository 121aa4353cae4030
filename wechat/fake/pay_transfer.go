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

// States of fake transfer bills (商家转账, user-confirmed version).
const (
	transferWaitUserConfirm = "WAIT_USER_CONFIRM"
	transferSuccess         = "SUCCESS"
	transferFail            = "FAIL"
	transferCanceling       = "CANCELING"
	transferCancelled       = "CANCELLED"
)

// TransferExpiry is how long a fake transfer bill waits for the user's
// confirmation before the fake cancels it on its own, as WeChat Pay does.
const TransferExpiry = 24 * time.Hour

// transferSceneReports are the transfer_scene_report_infos each scene the
// fake knows requires (1000 现金营销).
var transferSceneReports = map[string][]string{"1000": {"活动名称", "奖励说明"}}

// payTransferJSON is the body of a transfer request. Repeating an
// out_bill_no must repeat it exactly.
type payTransferJSON struct {
	AppID       string `json:"appid"`
	OutBillNo   string `json:"out_bill_no"`
	SceneID     string `json:"transfer_scene_id"`
	OpenID      string `json:"openid"`
	UserName    string `json:"user_name"`
	Amount      int64  `json:"transfer_amount"`
	Remark      string `json:"transfer_remark"`
	NotifyURL   string `json:"notify_url"`
	UserRecvPer string `json:"user_recv_perception"`
	Reports     []struct {
		InfoType    string `json:"info_type"`
		InfoContent string `json:"info_content"`
	} `json:"transfer_scene_report_infos"`
}

// transferBill is a transfer bill the fake knows.
type transferBill struct {
	req            payTransferJSON
	raw            string // the request body's canonical JSON, to compare repeats
	billNo         string
	packageInfo    string
	state          string
	failReason     string
	createdAt      time.Time
	updatedAt      time.Time
	notificationID string
	delivered      []int
}

// FakeTransfer is a snapshot of a transfer bill in the fake WeChat Pay.
type FakeTransfer struct {
	OutBillNo, TransferBillNo string
	AppID, OpenID, SceneID    string
	Amount                    int64
	Remark, NotifyURL         string
	PackageInfo               string
	State, FailReason         string
	CreatedAt, UpdatedAt      time.Time
	Delivered                 []int // HTTP status of every notification POST so far (0: not delivered)
}

// Transfer returns a snapshot of the transfer bill with this out_bill_no.
func (f *Fake) Transfer(outBillNo string) (FakeTransfer, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.pay.transfers[outBillNo]
	if !ok {
		return FakeTransfer{}, false
	}
	f.transferExpire(b)
	return FakeTransfer{OutBillNo: b.req.OutBillNo, TransferBillNo: b.billNo, AppID: b.req.AppID,
		OpenID: b.req.OpenID, SceneID: b.req.SceneID, Amount: b.req.Amount, Remark: b.req.Remark,
		NotifyURL: b.req.NotifyURL, PackageInfo: b.packageInfo, State: b.state, FailReason: b.failReason,
		CreatedAt: b.createdAt, UpdatedAt: b.updatedAt, Delivered: append([]int(nil), b.delivered...)}, true
}

// registerTransfer adds the merchant transfer routes and their control
// routes (the user's confirmation in the mini-program).
func (f *Fake) registerTransfer(mux *http.ServeMux) {
	f.pay.transfers = make(map[string]*transferBill)
	const p = "/v3/fund-app/mch-transfer/transfer-bills"
	mux.HandleFunc("POST "+p, f.transferCreate)
	mux.HandleFunc("GET "+p+"/out-bill-no/{no}", f.transferQuery)
	mux.HandleFunc("POST "+p+"/out-bill-no/{no}/cancel", f.transferCancel)
	mux.HandleFunc("POST /transfer/confirm", f.transferConfirm)
	mux.HandleFunc("POST /transfer/hold", f.transferHold)
	mux.HandleFunc("POST /transfer/drop", f.transferDrop)
	mux.HandleFunc("POST /transfer/release", f.transferRelease)
	mux.HandleFunc("GET /transfer/{no}", f.transferShow)
	mux.HandleFunc("POST /transfer/{no}/{action}", f.transferControl)
}

// transferCreate serves POST /v3/fund-app/mch-transfer/transfer-bills.
func (f *Fake) transferCreate(w http.ResponseWriter, r *http.Request) {
	body, ok := f.payAuthenticate(w, r)
	if !ok {
		return
	}
	var req payTransferJSON
	if err := json.Unmarshal(body, &req); err != nil {
		f.payError(w, r, http.StatusBadRequest, "PARAM_ERROR", "请求体不是合法的JSON: "+err.Error())
		return
	}
	if msg := transferValidate(req); msg != "" {
		f.payError(w, r, http.StatusBadRequest, "PARAM_ERROR", msg)
		return
	}
	if req.AppID != f.opts.Pay.AppID {
		f.payError(w, r, http.StatusBadRequest, "APPID_MCHID_NOT_MATCH", "appid和mchid不匹配")
		return
	}
	canon, _ := json.Marshal(req)
	now := f.now()
	f.mu.Lock()
	if f.pay.dropTransfers {
		f.pay.dropped++
		f.mu.Unlock()
		f.payError(w, r, http.StatusServiceUnavailable, "SYSTEM_ERROR", "系统繁忙，请稍后重试")
		return
	}
	b, exists := f.pay.transfers[req.OutBillNo]
	switch {
	case !exists:
		b = &transferBill{req: req, raw: string(canon), state: transferWaitUserConfirm, createdAt: now, updatedAt: now,
			billNo:      "1330000" + now.In(payCST).Format("20060102") + f.payRandom(20, "0123456789"),
			packageInfo: "ABBQO+oYAAABAAAAAAAk" + f.payRandom(40, payAlnum)}
		f.pay.transfers[req.OutBillNo] = b
	case b.raw != string(canon):
		f.mu.Unlock()
		f.payError(w, r, http.StatusBadRequest, "INVALID_REQUEST", "商户单号重复，且请求参数与原单据不一致")
		return
	}
	f.transferExpire(b)
	out := b.answer(true)
	hold, released := f.pay.holdTransfers, f.pay.released
	f.mu.Unlock()
	if hold {
		// The bill exists, but its answer waits for POST /transfer/release
		// (the crash test kills the server while its request waits here).
		// The released answer is the one of the creation: a late answer.
		select {
		case <-r.Context().Done():
			return
		case <-released:
		}
	}
	f.payReply(w, r, http.StatusOK, out)
}

// transferHold serves the control route POST /transfer/hold: from now on
// the fake creates transfer bills but holds the answers until POST
// /transfer/release (a late or lost answer; the crash test kills the
// server meanwhile).
func (f *Fake) transferHold(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if !f.pay.holdTransfers {
		f.pay.holdTransfers, f.pay.released = true, make(chan struct{})
	}
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// DroppedTransfers counts the transfer requests refused under POST
// /transfer/drop (they never created a bill).
func (f *Fake) DroppedTransfers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pay.dropped
}

// transferDrop serves the control route POST /transfer/drop: from now on
// transfer requests never arrive (answered 503 SYSTEM_ERROR, no bill is
// created), until POST /transfer/release.
func (f *Fake) transferDrop(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.pay.dropTransfers = true
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// transferRelease serves the control route POST /transfer/release: ends
// /transfer/hold and /transfer/drop; the held answers go out now (each
// still the answer of its bill's creation, as a late answer would be).
func (f *Fake) transferRelease(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if f.pay.holdTransfers {
		close(f.pay.released)
		f.pay.holdTransfers, f.pay.released = false, nil
	}
	f.pay.dropTransfers = false
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// transferShow serves the control route GET /transfer/{no}: the bill as
// the query answers it, without a signed request (tests and the demo).
func (f *Fake) transferShow(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	b, ok := f.transferBillOf(r)
	var out map[string]any
	if ok {
		out = b.resource(true)
	}
	f.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"code": "NOT_FOUND", "message": "记录不存在"})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// transferValidate checks a transfer request like WeChat Pay does and returns
// a PARAM_ERROR message, or "".
func transferValidate(req payTransferJSON) string {
	switch {
	case req.AppID == "":
		return "缺少参数appid"
	case len(req.OutBillNo) < 5 || len(req.OutBillNo) > 32 || strings.Trim(req.OutBillNo, payAlnum) != "":
		return "out_bill_no须为5到32位数字或大小写字母"
	case req.OpenID == "":
		return "缺少参数openid"
	case req.Amount < 1:
		return "transfer_amount须大于等于1"
	case req.Remark == "" || utf8.RuneCountInString(req.Remark) > 32:
		return "transfer_remark长度须为1到32个字符"
	case req.UserName != "":
		return "user_name须加密传输"
	}
	want, ok := transferSceneReports[req.SceneID]
	if !ok {
		return "transfer_scene_id不存在或未开通"
	}
	have := map[string]bool{}
	for _, ri := range req.Reports {
		if ri.InfoContent == "" {
			return "transfer_scene_report_infos." + ri.InfoType + "不能为空"
		}
		have[ri.InfoType] = true
	}
	for _, t := range want {
		if !have[t] {
			return "缺少转账场景报备信息: " + t
		}
	}
	if req.NotifyURL != "" {
		u, err := url.Parse(req.NotifyURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return "notify_url须为不带参数的绝对http(s)地址"
		}
	}
	return ""
}

// transferExpire cancels a bill left unconfirmed past TransferExpiry; the
// caller holds f.mu.
func (f *Fake) transferExpire(b *transferBill) {
	if now := f.now(); b.state == transferWaitUserConfirm && !now.Before(b.createdAt.Add(TransferExpiry)) {
		b.state, b.updatedAt, b.failReason = transferCancelled, now, "超过用户确认收款期限"
	}
}

// answer renders b as the transfer answer (created) or the query answer.
func (b *transferBill) answer(created bool) map[string]any {
	if created {
		m := map[string]any{"out_bill_no": b.req.OutBillNo, "transfer_bill_no": b.billNo,
			"create_time": b.createdAt.In(payCST).Format(time.RFC3339), "state": b.state}
		if b.state == transferWaitUserConfirm {
			m["package_info"] = b.packageInfo
		}
		if b.failReason != "" {
			m["fail_reason"] = b.failReason
		}
		return m
	}
	return b.resource(true)
}

// resource renders b as the query answer and the notification resource;
// the caller holds f.mu (or has a copy).
func (b *transferBill) resource(query bool) map[string]any {
	m := map[string]any{"out_bill_no": b.req.OutBillNo, "transfer_bill_no": b.billNo, "state": b.state,
		"transfer_amount": b.req.Amount, "openid": b.req.OpenID,
		"create_time": b.createdAt.In(payCST).Format(time.RFC3339),
		"update_time": b.updatedAt.In(payCST).Format(time.RFC3339)}
	if query {
		m["appid"] = b.req.AppID
		m["transfer_remark"] = b.req.Remark
		if b.state == transferWaitUserConfirm {
			m["package_info"] = b.packageInfo
		}
	}
	if b.failReason != "" {
		m["fail_reason"] = b.failReason
	}
	return m
}

// transferBillOf returns the bill named by the {no} path value, expired if
// its time has come; the caller holds f.mu.
func (f *Fake) transferBillOf(r *http.Request) (*transferBill, bool) {
	b, ok := f.pay.transfers[r.PathValue("no")]
	if ok {
		f.transferExpire(b)
	}
	return b, ok
}

// transferQuery serves GET .../transfer-bills/out-bill-no/{no}.
func (f *Fake) transferQuery(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.payAuthenticate(w, r); !ok {
		return
	}
	f.mu.Lock()
	b, ok := f.transferBillOf(r)
	var out map[string]any
	if ok {
		out = b.resource(true)
		out["mch_id"] = f.opts.Pay.MchID
	}
	f.mu.Unlock()
	if !ok {
		f.payError(w, r, http.StatusNotFound, "NOT_FOUND", "记录不存在")
		return
	}
	f.payReply(w, r, http.StatusOK, out)
}

// transferCancel serves POST .../out-bill-no/{no}/cancel: a bill waiting
// for the user's confirmation is cancelled (the answer says CANCELING, as
// WeChat Pay's does; the bill is CANCELLED right after and its notification
// sent once the answer is written). Anything else is refused.
func (f *Fake) transferCancel(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.payAuthenticate(w, r); !ok {
		return
	}
	now := f.now()
	f.mu.Lock()
	b, ok := f.transferBillOf(r)
	var out map[string]any
	state := ""
	if ok {
		state = b.state
		if state == transferWaitUserConfirm {
			out = map[string]any{"out_bill_no": b.req.OutBillNo, "transfer_bill_no": b.billNo,
				"state": transferCanceling, "update_time": now.In(payCST).Format(time.RFC3339)}
			b.state, b.updatedAt, b.failReason = transferCancelled, now, "商户撤销付款"
		}
	}
	f.mu.Unlock()
	switch {
	case !ok:
		f.payError(w, r, http.StatusNotFound, "NOT_FOUND", "记录不存在")
		return
	case state != transferWaitUserConfirm:
		f.payError(w, r, http.StatusBadRequest, "INVALID_REQUEST", "单据状态为"+state+"，不允许撤销")
		return
	}
	f.payReply(w, r, http.StatusOK, out)
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	f.transferNotify(r, b, 1)
}

// transferConfirm serves the control route POST /transfer/confirm, what
// the demo client calls in place of wx.requestMerchantTransfer: body
// {"mchId","appId","package"[,"decline":true]}. The user confirms (the
// transfer succeeds) or declines (it is cancelled) the bill whose
// package_info is package; the notification is delivered. Answers
// {"out_bill_no","state","delivered"}.
func (f *Fake) transferConfirm(w http.ResponseWriter, r *http.Request) {
	var in struct {
		MchID   string `json:"mchId"`
		AppID   string `json:"appId"`
		Package string `json:"package"`
		Decline bool   `json:"decline"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Package == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"code": "PARAM_ERROR", "message": "需要mchId、appId和package"})
		return
	}
	if in.AppID != f.opts.Pay.AppID || in.MchID != f.opts.Pay.MchID {
		writeJSON(w, http.StatusBadRequest, map[string]string{"code": "PARAM_ERROR", "message": "appId或mchId不正确"})
		return
	}
	f.mu.Lock()
	no := ""
	for k, b := range f.pay.transfers {
		if b.packageInfo == in.Package {
			no = k
		}
	}
	f.mu.Unlock()
	if no == "" {
		writeJSON(w, http.StatusNotFound, map[string]string{"code": "NOT_FOUND", "message": "package无效"})
		return
	}
	action := "confirm"
	if in.Decline {
		action = "decline"
	}
	f.transferAct(w, r, no, action)
}

// transferControl serves the control routes POST
// /transfer/{no}/{confirm|decline|fail}[?times=N][&notify=0]: the user
// confirms (SUCCESS) or declines (CANCELLED) the bill, or the transfer fails
// (FAIL, e.g. the user's account is restricted); the final-state
// notification is POSTed N times (none with notify=0, to test queries).
func (f *Fake) transferControl(w http.ResponseWriter, r *http.Request) {
	f.transferAct(w, r, r.PathValue("no"), r.PathValue("action"))
}

// transferAct moves bill no as action says and delivers its notification.
func (f *Fake) transferAct(w http.ResponseWriter, r *http.Request, no, action string) {
	times := 1
	if s := r.URL.Query().Get("times"); s != "" {
		if _, err := fmt.Sscanf(s, "%d", &times); err != nil || times < 1 || times > payMaxTimes {
			writeJSON(w, http.StatusBadRequest, map[string]string{"code": "PARAM_ERROR", "message": fmt.Sprintf("times must be 1..%d", payMaxTimes)})
			return
		}
	}
	if r.URL.Query().Get("notify") == "0" {
		times = 0
	}
	to, reason := "", ""
	switch action {
	case "confirm":
		to = transferSuccess
	case "decline":
		to, reason = transferCancelled, "用户拒绝收款"
	case "fail":
		to, reason = transferFail, "用户账户异常"
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"code": "NOT_FOUND", "message": "unknown action " + action})
		return
	}
	now := f.now()
	f.mu.Lock()
	b, ok := f.pay.transfers[no]
	state := ""
	if ok {
		f.transferExpire(b)
		state = b.state
		if state == transferWaitUserConfirm {
			b.state, b.failReason, b.updatedAt = to, reason, now
		}
	}
	f.mu.Unlock()
	switch {
	case !ok:
		writeJSON(w, http.StatusNotFound, map[string]string{"code": "NOT_FOUND", "message": "记录不存在"})
		return
	case state != transferWaitUserConfirm:
		writeJSON(w, http.StatusConflict, map[string]string{"code": "INVALID_REQUEST", "message": "单据状态为" + state})
		return
	}
	delivered := f.transferNotify(r, b, times)
	writeJSON(w, http.StatusOK, map[string]any{"out_bill_no": no, "state": to, "delivered": delivered})
}

// transferNotify POSTs the final-state notification of b to its notify_url
// times times (fresh signature and nonce each time) and records the
// statuses.
func (f *Fake) transferNotify(r *http.Request, b *transferBill, times int) []int {
	delivered := make([]int, 0, times)
	for range times {
		status := 0
		if h, body, err := f.TransferNotification(b.req.OutBillNo); err == nil && b.req.NotifyURL != "" {
			status = f.payPost(r, b.req.NotifyURL, h, body)
		}
		delivered = append(delivered, status)
	}
	f.mu.Lock()
	b.delivered = append(b.delivered, delivered...)
	f.mu.Unlock()
	return delivered
}

// TransferNotification builds the signed MCHTRANSFER.BILL.FINISHED
// notification (headers and body) of a bill in a final state, without
// sending it, so tests can deliver or tamper with it. Its resource
// (original_type and associated data mch_payment) carries mch_id,
// out_bill_no, transfer_bill_no, state, transfer_amount, openid,
// fail_reason, create_time and update_time.
func (f *Fake) TransferNotification(outBillNo string) (http.Header, []byte, error) {
	if f.opts.Pay == nil {
		return nil, nil, errPayNotConfigured
	}
	f.mu.Lock()
	b, ok := f.pay.transfers[outBillNo]
	var res map[string]any
	var id string
	if ok {
		f.transferExpire(b)
		if b.notificationID == "" {
			b.notificationID = f.payUUID()
		}
		id = b.notificationID
		res = b.resource(false)
		res["mch_id"] = f.opts.Pay.MchID
	}
	f.mu.Unlock()
	switch {
	case !ok:
		return nil, nil, fmt.Errorf("fake: transfer bill %q does not exist", outBillNo)
	case res["state"] != transferSuccess && res["state"] != transferFail && res["state"] != transferCancelled:
		return nil, nil, fmt.Errorf("fake: transfer bill %q is %s, not final", outBillNo, res["state"])
	}
	return f.paySealNotification(id, "MCHTRANSFER.BILL.FINISHED", "商家转账单据终态通知", "mch_payment", res)
}
