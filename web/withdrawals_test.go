package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"luckbox/packet"
	"luckbox/wechat"
)

// testTransfers adapts the WeChat Pay client to packet.Transfers (as main does).
type testTransfers struct {
	p         *wechat.Pay
	notifyURL string
}

func (testTransfers) AppID() string { return testAppID }
func (testTransfers) MchID() string { return testMchID }

func (w testTransfers) Transfer(ctx context.Context, r packet.TransferRequest) (packet.TransferBill, error) {
	b, err := w.p.Transfer(ctx, wechat.TransferRequest{OutBillNo: r.OutBillNo, SceneID: "1000", OpenID: r.OpenID,
		Amount: r.Amount, Remark: r.Remark, NotifyURL: w.notifyURL, Reports: []wechat.TransferSceneReport{
			{InfoType: "活动名称", InfoContent: "test"}, {InfoType: "奖励说明", InfoContent: "test"}}})
	var pe *wechat.PayError
	if errors.As(err, &pe) && pe.Status == http.StatusBadRequest {
		return packet.TransferBill{}, fmt.Errorf("%w: %v", packet.ErrTransferRefused, err)
	}
	return testBill(b), err
}

func (w testTransfers) QueryTransfer(ctx context.Context, no string) (packet.TransferBill, error) {
	b, err := w.p.QueryTransfer(ctx, no)
	var pe *wechat.PayError
	if errors.As(err, &pe) && pe.Code == "NOT_FOUND" {
		return packet.TransferBill{}, packet.ErrTransferNotExist
	}
	return testBill(b), err
}

func (w testTransfers) CancelTransfer(ctx context.Context, no string) (packet.TransferBill, error) {
	b, err := w.p.CancelTransfer(ctx, no)
	var pe *wechat.PayError
	if errors.As(err, &pe) && pe.Code == "INVALID_REQUEST" {
		return packet.TransferBill{}, packet.ErrTransferNotCancelable
	}
	return testBill(b), err
}

func testBill(b wechat.TransferBill) packet.TransferBill {
	return packet.TransferBill{OutBillNo: b.OutBillNo, TransferBillNo: b.TransferBillNo, State: b.State,
		Amount: b.Amount, OpenID: b.OpenID, PackageInfo: b.PackageInfo, FailReason: b.FailReason}
}

type testTransferNotify struct{ p *wechat.Pay }

func (w testTransferNotify) ParseTransferNotification(h http.Header, body []byte) (packet.TransferBill, error) {
	b, err := w.p.ParseTransferNotification(h, body)
	switch {
	case errors.Is(err, wechat.ErrBadSignature):
		return packet.TransferBill{}, fmt.Errorf("%w: %v", packet.ErrBadSignature, err)
	case errors.Is(err, wechat.ErrStaleNotification):
		return packet.TransferBill{}, fmt.Errorf("%w: %v", packet.ErrStaleNotification, err)
	}
	return testBill(b), err
}

// withdrawalOut is a withdrawal as the API answers it.
type withdrawalOut struct {
	ID              string `json:"withdrawal_id"`
	OutBillNo       string `json:"out_bill_no"`
	Status          string `json:"status"`
	State           string `json:"state"`
	Amount          int64  `json:"amount"`
	CancelRequested bool   `json:"cancel_requested"`
	TransferParams  *struct {
		MchID   string `json:"mchId"`
		AppID   string `json:"appId"`
		Package string `json:"package"`
	} `json:"transfer_params"`
}

// withdraw creates a withdrawal and waits until WeChat Pay answered the
// transfer (transfer_params set).
func (h *harness) withdraw(token string, amount int64) withdrawalOut {
	h.t.Helper()
	r := h.do("POST", "/api/v1/wallet/withdrawals", token, map[string]int64{"amount": amount})
	wantStatus(h.t, r, 201, "")
	var w withdrawalOut
	r.JSON(h.t, &w)
	if w.Status != "pending" || w.Amount != amount {
		h.t.Fatalf("withdrawal %s", r.Body)
	}
	return h.waitWithdrawal(token, w.ID, func(w withdrawalOut) bool { return w.TransferParams != nil })
}

// waitWithdrawal polls the withdrawal until done holds.
func (h *harness) waitWithdrawal(token, id string, done func(withdrawalOut) bool) withdrawalOut {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var w withdrawalOut
		r := h.do("GET", "/api/v1/wallet/withdrawals/"+id, token, nil)
		wantStatus(h.t, r, 200, "")
		r.JSON(h.t, &w)
		if done(w) {
			return w
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("withdrawal %s never got there: %s", id, r.Body)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// confirm plays wx.requestMerchantTransfer at the fake: the user confirms
// (or declines) the transfer.
func (h *harness) confirm(w withdrawalOut, decline bool) []int {
	h.t.Helper()
	p := w.TransferParams
	r := h.do("POST", "/_fake/wechat/transfer/confirm", "", map[string]any{"mchId": p.MchID, "appId": p.AppID, "package": p.Package, "decline": decline})
	var out struct{ Delivered []int }
	r.JSON(h.t, &out)
	if r.Status != 200 {
		h.t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	return out.Delivered
}

func final(w withdrawalOut) bool { return w.Status != "pending" }

// ledgerKinds lists the kinds of the user's ledger rows, newest first.
func (h *harness) ledgerKinds(token string) string {
	h.t.Helper()
	var kinds []string
	for _, e := range h.ledger(token).Items {
		kinds = append(kinds, fmt.Sprintf("%s:%d", e.Kind, e.Delta))
	}
	return strings.Join(kinds, " ")
}

// TestWithdrawConfirmed: withdraw → the transfer is sent after commit →
// the user confirms → the SUCCESS notification pays the held money out
// (balance down, money out up), exactly once under a duplicate.
func TestWithdrawConfirmed(t *testing.T) {
	h := newHarness(t, withPackets)
	alice, aliceID := h.login("alice")
	h.topup(alice, 1000)
	w := h.withdraw(alice, 300)
	if h.balance(alice) != 700 {
		t.Fatalf("balance while held: %d", h.balance(alice))
	}
	if w.State != "WAIT_USER_CONFIRM" || w.TransferParams.MchID != testMchID || w.TransferParams.AppID != testAppID {
		t.Fatalf("withdrawal %+v", w)
	}
	h.auditOK()
	bill, ok := h.fake.Transfer(w.OutBillNo)
	if !ok || bill.Amount != 300 || bill.OpenID != "alice" || bill.SceneID != "1000" {
		t.Fatalf("fake bill %+v", bill)
	}
	if got := h.confirm(w, false); len(got) != 1 || got[0] != 204 {
		t.Fatalf("delivered %v", got)
	}
	w = h.waitWithdrawal(alice, w.ID, final)
	if w.Status != "succeeded" || w.State != "SUCCESS" || w.TransferParams != nil {
		t.Fatalf("after confirm: %+v", w)
	}
	if b := h.balance(alice); b != 700 {
		t.Fatalf("balance after success: %d", b)
	}
	if k := h.ledgerKinds(alice); k != "withdraw_paid:0 withdraw:-300 topup:1000" {
		t.Fatalf("ledger %s", k)
	}
	// The notification again (WeChat Pay retries): nothing changes.
	hdr, body, err := h.fake.TransferNotification(w.OutBillNo)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, h.transferNotify(hdr, body), 204, "")
	var flow packet.MoneyFlow
	flow, _ = h.srv.Packets.Flow(context.Background())
	if flow.PaidOut != 300 || len(h.ledger(alice).Items) != 3 {
		t.Fatalf("after a duplicate: flow %+v, ledger %s", flow, h.ledgerKinds(alice))
	}
	var list struct{ Items []withdrawalOut }
	h.do("GET", "/api/v1/wallet/withdrawals", alice, nil).JSON(t, &list)
	var admin struct {
		Items []struct {
			withdrawalOut
			User     string `json:"user_id"`
			Nickname string `json:"user_nickname"`
		}
	}
	h.do("GET", "/api/v1/admin/withdrawals", testAdminToken, nil).JSON(t, &admin)
	if len(list.Items) != 1 || len(admin.Items) != 1 || admin.Items[0].Status != "succeeded" ||
		admin.Items[0].User != aliceID || admin.Items[0].Nickname != "alice" {
		t.Fatalf("lists %+v %+v", list, admin)
	}
	h.auditOK()
}

// TestWithdrawDeclinedAndCancelled: a declined transfer, a user's cancel
// and an unconfirmed one past the confirm window (cancelled by the query
// job through the cancel API) each return the held money.
func TestWithdrawDeclinedAndCancelled(t *testing.T) {
	h := newHarness(t, withPackets)
	alice, _ := h.login("alice")
	h.topup(alice, 2000)

	w := h.withdraw(alice, 500)
	h.confirm(w, true)
	if w = h.waitWithdrawal(alice, w.ID, final); w.Status != "cancelled" || h.balance(alice) != 2000 {
		t.Fatalf("declined: %+v, balance %d", w, h.balance(alice))
	}

	w = h.withdraw(alice, 400)
	r := h.do("POST", "/api/v1/wallet/withdrawals/"+w.ID+"/cancel", alice, map[string]any{})
	wantStatus(t, r, 200, "")
	if w = h.waitWithdrawal(alice, w.ID, final); w.Status != "cancelled" || h.balance(alice) != 2000 {
		t.Fatalf("cancelled by the user: %+v, balance %d", w, h.balance(alice))
	}
	wantStatus(t, h.do("POST", "/api/v1/wallet/withdrawals/"+w.ID+"/cancel", alice, map[string]any{}), 409, "conflict")

	w = h.withdraw(alice, 300)
	h.clock.Add(packet.DefaultWithdrawConfirmWindow + time.Minute)
	h.db.Poke()
	if w = h.waitWithdrawal(alice, w.ID, final); w.Status != "cancelled" || h.balance(alice) != 2000 {
		t.Fatalf("expired: %+v, balance %d", w, h.balance(alice))
	}
	if b, _ := h.fake.Transfer(w.OutBillNo); b.State != "CANCELLED" {
		t.Fatalf("fake bill %+v", b)
	}
	// Nobody can confirm it any more.
	r = h.do("POST", "/_fake/wechat/transfer/"+w.OutBillNo+"/confirm", "", nil)
	wantStatus(t, r, 409, "")
	h.auditOK()
}

// TestWithdrawRefusals: amounts outside the limits (400), past the daily
// limit or the balance (409), another user's withdrawal (404), and an
// idempotent replay: none changes anything.
func TestWithdrawRefusals(t *testing.T) {
	h := newHarness(t, withPacketOptions(packet.Options{Withdraw: packet.WithdrawOptions{Min: 100, Max: 1000, DailyMax: 1500}}))
	alice, _ := h.login("alice")
	bob, _ := h.login("bob")
	h.topup(alice, 5000)
	unchanged := func(t *testing.T, n int) {
		t.Helper()
		var list struct{ Items []withdrawalOut }
		h.do("GET", "/api/v1/wallet/withdrawals", alice, nil).JSON(t, &list)
		if len(list.Items) != n {
			t.Fatalf("%d withdrawals, want %d", len(list.Items), n)
		}
	}
	for _, amount := range []int64{0, 99, 1001, -5} {
		wantStatus(t, h.do("POST", "/api/v1/wallet/withdrawals", alice, map[string]int64{"amount": amount}), 400, "invalid_argument")
	}
	wantStatus(t, h.do("POST", "/api/v1/wallet/withdrawals", alice, map[string]any{"amount": "x"}), 400, "invalid_argument")
	wantStatus(t, h.do("POST", "/api/v1/wallet/withdrawals", bob, map[string]int64{"amount": 500}), 409, "conflict")
	unchanged(t, 0)

	// An idempotent replay answers the first withdrawal again.
	key := "Idempotency-Key"
	r1 := h.do("POST", "/api/v1/wallet/withdrawals", alice, map[string]int64{"amount": 1000}, key, "wd-1")
	r2 := h.do("POST", "/api/v1/wallet/withdrawals", alice, map[string]int64{"amount": 1000}, key, "wd-1")
	wantStatus(t, r1, 201, "")
	if r2.Status != 201 || string(r1.Body) != string(r2.Body) {
		t.Fatalf("replay: %d %s vs %s", r2.Status, r2.Body, r1.Body)
	}
	unchanged(t, 1)
	if h.balance(alice) != 4000 {
		t.Fatalf("balance %d", h.balance(alice))
	}
	// 1000 + 600 > 1500 today.
	wantStatus(t, h.do("POST", "/api/v1/wallet/withdrawals", alice, map[string]int64{"amount": 600}), 409, "conflict")
	unchanged(t, 1)
	var w withdrawalOut
	r1.JSON(t, &w)
	wantStatus(t, h.do("GET", "/api/v1/wallet/withdrawals/"+w.ID, bob, nil), 404, "not_found")
	wantStatus(t, h.do("POST", "/api/v1/wallet/withdrawals/"+w.ID+"/cancel", bob, map[string]any{}), 404, "not_found")
	// The next Beijing day the limit starts again.
	h.clock.Add(24 * time.Hour)
	wantStatus(t, h.do("POST", "/api/v1/wallet/withdrawals", alice, map[string]int64{"amount": 600}), 201, "")
	h.auditOK()
}

// transferNotification builds a transfer notification with every part
// under the test's control (resource, signing key, time).
func transferNotification(t *testing.T, signKey bool, ts time.Time, res map[string]any) (http.Header, []byte) {
	t.Helper()
	keys, _ := testPayKeys()
	key := keys.PlatformKey
	if !signKey {
		key = keys.MchKey // not the platform key: a forgery
	}
	return notificationOf(t, key, ts, "MCHTRANSFER.BILL.FINISHED", "商家转账单据终态通知", "mch_payment", res)
}

func (h *harness) transferNotify(hdr http.Header, body []byte) response {
	h.t.Helper()
	return h.notifyTo("/api/v1/pay/transfer-notify", hdr, body)
}

// TestTransferNotifications: forged, stale, mismatched and non-final
// notifications are refused and change nothing; a final state never moves
// back (CANCELLED after SUCCESS, an earlier state after a later one).
func TestTransferNotifications(t *testing.T) {
	h := newHarness(t, withPackets)
	alice, _ := h.login("alice")
	h.topup(alice, 1000)
	w := h.withdraw(alice, 300)
	now := time.Now()
	res := func(state string, amount int64) map[string]any {
		return map[string]any{"mch_id": testMchID, "out_bill_no": w.OutBillNo, "transfer_bill_no": "1330000x",
			"state": state, "transfer_amount": amount, "openid": "alice",
			"create_time": now.Format(time.RFC3339), "update_time": now.Format(time.RFC3339)}
	}
	pending := func(t *testing.T) {
		t.Helper()
		var got withdrawalOut
		h.do("GET", "/api/v1/wallet/withdrawals/"+w.ID, alice, nil).JSON(t, &got)
		if got.Status != "pending" || h.balance(alice) != 700 {
			t.Fatalf("withdrawal %+v, balance %d after a refused notification", got, h.balance(alice))
		}
	}
	hdr, body := transferNotification(t, false, now, res("SUCCESS", 300))
	wantPayFail(t, h.transferNotify(hdr, body), 401)
	pending(t)
	hdr, body = transferNotification(t, true, now.Add(-10*time.Minute), res("SUCCESS", 300))
	wantPayFail(t, h.transferNotify(hdr, body), 401)
	pending(t)
	hdr, body = transferNotification(t, true, now, res("SUCCESS", 301))
	wantPayFail(t, h.transferNotify(hdr, body), 400)
	pending(t)
	hdr, body = transferNotification(t, true, now, res("TRANSFERING", 300)) // not a final state
	wantPayFail(t, h.transferNotify(hdr, body), 400)
	pending(t)
	tampered := strings.Replace(string(body), `"mch_payment","algorithm"`, `"transaction","algorithm"`, 1)
	hdr2, _ := transferNotification(t, true, now, res("SUCCESS", 300))
	wantPayFail(t, h.transferNotify(hdr2, []byte(tampered)), 401) // the signature covers the body
	pending(t)
	other := res("SUCCESS", 300)
	other["out_bill_no"] = "WDNOSUCHBILL000000000000000000"
	hdr, body = transferNotification(t, true, now, other)
	wantPayFail(t, h.transferNotify(hdr, body), 404)
	pending(t)

	hdr, body = transferNotification(t, true, now, res("SUCCESS", 300))
	wantStatus(t, h.transferNotify(hdr, body), 204, "")
	wantStatus(t, h.transferNotify(hdr, body), 204, "") // a duplicate
	hdr, body = transferNotification(t, true, now, res("CANCELLED", 300))
	wantStatus(t, h.transferNotify(hdr, body), 204, "") // out of order: never moves back
	var got withdrawalOut
	h.do("GET", "/api/v1/wallet/withdrawals/"+w.ID, alice, nil).JSON(t, &got)
	if got.Status != "succeeded" || h.balance(alice) != 700 || len(h.ledger(alice).Items) != 3 {
		t.Fatalf("after success, duplicate and a late CANCELLED: %+v, balance %d, ledger %s", got, h.balance(alice), h.ledgerKinds(alice))
	}
	// A late answer of an earlier state does not move it back either.
	if applied, err := h.srv.Packets.ApplyTransfer(context.Background(), packet.TransferBill{OutBillNo: w.OutBillNo, State: "WAIT_USER_CONFIRM", PackageInfo: "x"}); err != nil || applied {
		t.Fatalf("late WAIT_USER_CONFIRM: applied %v, %v", applied, err)
	}
	h.auditOK()
}

// TestWithdrawWithoutNotification: the user confirms but the notification
// is lost; the query job finds SUCCESS. A transfer failing at WeChat Pay
// (FAIL) returns the money, also found by the query.
func TestWithdrawWithoutNotification(t *testing.T) {
	h := newHarness(t, withPackets)
	alice, _ := h.login("alice")
	h.topup(alice, 1000)
	w := h.withdraw(alice, 300)
	r := h.do("POST", "/_fake/wechat/transfer/"+w.OutBillNo+"/confirm?notify=0", "", nil)
	wantStatus(t, r, 200, "")
	w2 := h.withdraw(alice, 200)
	wantStatus(t, h.do("POST", "/_fake/wechat/transfer/"+w2.OutBillNo+"/fail?notify=0", "", nil), 200, "")
	if got := h.waitWithdrawal(alice, w.ID, func(withdrawalOut) bool { return true }); got.Status != "pending" {
		t.Fatalf("settled without a notification or a query: %+v", got)
	}
	h.clock.Add(2 * time.Minute)
	h.db.Poke()
	if got := h.waitWithdrawal(alice, w.ID, final); got.Status != "succeeded" {
		t.Fatalf("queried: %+v", got)
	}
	if got := h.waitWithdrawal(alice, w2.ID, final); got.Status != "failed" {
		t.Fatalf("queried: %+v", got)
	}
	if b := h.balance(alice); b != 700 {
		t.Fatalf("balance %d", b)
	}
	h.auditOK()
}
