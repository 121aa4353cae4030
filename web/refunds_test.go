package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"luckbox/data"
	"luckbox/packet"
	"luckbox/wechat"
)

// testRefunds adapts the WeChat Pay client to packet.Refunds (as main does).
type testRefunds struct {
	p         *wechat.Pay
	notifyURL string
}

func (w testRefunds) Refund(ctx context.Context, r packet.RefundRequest) (packet.RefundState, error) {
	ref, err := w.p.CreateRefund(ctx, wechat.RefundRequest{OutTradeNo: r.OutTradeNo, OutRefundNo: r.OutRefundNo,
		Reason: r.Reason, NotifyURL: w.notifyURL, Refund: r.Refund, Total: r.Total})
	var pe *wechat.PayError
	if errors.As(err, &pe) && pe.Status == http.StatusBadRequest {
		return packet.RefundState{}, fmt.Errorf("%w: %v", packet.ErrRefundRejected, err)
	}
	return testRefundState(ref), err
}

func (w testRefunds) QueryRefund(ctx context.Context, no string) (packet.RefundState, error) {
	ref, err := w.p.QueryRefund(ctx, no)
	var pe *wechat.PayError
	if errors.As(err, &pe) && pe.Code == "RESOURCE_NOT_EXISTS" {
		return packet.RefundState{}, packet.ErrRefundNotExist
	}
	return testRefundState(ref), err
}

func testRefundState(r wechat.Refund) packet.RefundState {
	return packet.RefundState{OutRefundNo: r.OutRefundNo, RefundID: r.RefundID, Status: r.Status, Refund: r.Refund}
}

func (w testPayNotify) ParseRefundNotification(h http.Header, body []byte) (packet.RefundState, error) {
	r, err := w.p.ParseRefundNotification(h, body)
	switch {
	case errors.Is(err, wechat.ErrBadSignature):
		return packet.RefundState{}, fmt.Errorf("%w: %v", packet.ErrBadSignature, err)
	case errors.Is(err, wechat.ErrStaleNotification):
		return packet.RefundState{}, fmt.Errorf("%w: %v", packet.ErrStaleNotification, err)
	}
	return testRefundState(r), err
}

// withRefunds wires packets with WeChat Pay refunds.
func withRefunds(h *harness, d *Deps) {
	withPayConfig(packet.Options{}, "/api/v1/pay/notify", true)(h, d)
}

// refundOut is a refund as the admin API shows it.
type refundOut struct {
	ID          string  `json:"refund_id"`
	Kind        string  `json:"kind"`
	Status      string  `json:"status"`
	Amount      int64   `json:"amount"`
	OrderID     string  `json:"order_id"`
	OutTradeNo  string  `json:"out_trade_no"`
	PacketID    *string `json:"packet_id"`
	Attempt     int     `json:"attempt"`
	OutRefundNo string  `json:"out_refund_no"`
	WxRefundID  string  `json:"wx_refund_id"`
	Retryable   bool    `json:"retryable"`
	History     []struct {
		Status, Source string
	} `json:"history"`
}

// refunds lists the refunds (newest first) through the admin API.
func (h *harness) refunds() []refundOut {
	h.t.Helper()
	var out struct{ Items []refundOut }
	r := h.do("GET", "/api/v1/admin/refunds", testAdminToken, nil)
	wantStatus(h.t, r, 200, "")
	r.JSON(h.t, &out)
	return out.Items
}

// waitRefund waits until the newest refund is in status (the outbox and the
// scheduler work in the background) and returns it.
func (h *harness) waitRefund(status string) refundOut {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if rs := h.refunds(); len(rs) > 0 && rs[0].Status == status {
			return rs[0]
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("no refund became %s: %+v", status, h.refunds())
		}
		h.db.Poke()
		time.Sleep(5 * time.Millisecond)
	}
}

// completeRefund finishes a refund at the fake, which delivers its
// notification times times; it returns the delivered statuses.
func (h *harness) completeRefund(no, status string, times int) []int {
	h.t.Helper()
	r := h.do("POST", "/_fake/wechat/refunds/"+no+"/complete?status="+status+"&times="+strconv.Itoa(times), "", nil)
	var out struct{ Delivered []int }
	r.JSON(h.t, &out)
	if r.Status != 200 {
		h.t.Fatalf("complete refund: %d %s", r.Status, r.Body)
	}
	return out.Delivered
}

func (h *harness) refundNotify(hdr http.Header, body []byte) response {
	h.t.Helper()
	headers := make([]string, 0, 2*len(hdr))
	for k := range hdr {
		headers = append(headers, k, hdr.Get(k))
	}
	return h.do("POST", "/api/v1/pay/refunds/notify", "", body, headers...)
}

// auditTotals runs the audit, fails unless it holds, and returns its totals.
func (h *harness) auditTotals() map[string]int64 {
	h.t.Helper()
	h.auditOK()
	var rep struct{ Totals map[string]int64 }
	h.do("GET", "/api/v1/admin/audit", testAdminToken, nil).JSON(h.t, &rep)
	return rep.Totals
}

// expiredWeChatPacket creates a lucky packet of 600 paid through WeChat Pay,
// lets bob grab a share and expires it; it returns the packet and the share.
func expiredWeChatPacket(t *testing.T, h *harness, alice, bob string) (packetOut, int64) {
	t.Helper()
	p := h.createPacket(alice, map[string]any{"kind": "lucky", "count": 3, "amount": 600, "pay_with": "wechat"})
	if got := h.paySucceed(*p.OutTradeNo, 1); got[0] != 204 {
		t.Fatalf("pay: %v", got)
	}
	var g struct{ Amount int64 }
	r := h.do("POST", "/api/v1/packets/"+p.ID+"/grabs", bob, nil)
	wantStatus(t, r, 201, "")
	r.JSON(t, &g)
	h.clock.Add(24 * time.Hour)
	h.db.Poke()
	return p, g.Amount
}

// processingRefund is a harness with refunds where alice's WeChat-paid
// packet of 600 expired after bob grabbed a share and its refund reached
// WeChat Pay (processing).
func processingRefund(t *testing.T) (h *harness, alice string, p packetOut, share int64, rf refundOut) {
	t.Helper()
	h = newHarness(t, withRefunds)
	alice, _ = h.login("alice")
	bob, _ := h.login("bob")
	p, share = expiredWeChatPacket(t, h, alice, bob)
	return h, alice, p, share, h.waitRefund("processing")
}

// TestRefundExpiredWeChatPacket: the remainder of an expired packet paid
// through WeChat Pay goes back to the payer as a refund of the original
// order, through the real client and the fake over HTTP: requested after the
// expiry, processing once WeChat Pay accepted it (the money held, the audit
// passing), success on the notification (delivered twice: applied once),
// the sender's balance never touched; a forged, a tampered and a stale
// notification are refused and change nothing; a notification behind the
// known state changes nothing.
func TestRefundExpiredWeChatPacket(t *testing.T) {
	h, alice, p, share, rf := processingRefund(t)
	if rf.Kind != "packet" || rf.Amount != 600-share || rf.PacketID == nil || *rf.PacketID != p.ID || rf.OutTradeNo != *p.OutTradeNo || rf.Attempt != 1 {
		t.Fatalf("refund %+v", rf)
	}
	fr, ok := h.fake.Refund(rf.OutRefundNo)
	if !ok || fr.Refund != 600-share || fr.Total != 600 || fr.OutTradeNo != *p.OutTradeNo || fr.Status != "PROCESSING" || fr.RefundID != rf.WxRefundID {
		t.Fatalf("the fake has %+v (ok %v)", fr, ok)
	}
	if q := h.packet(alice, p.ID); q.Status != "expired" || q.RefundedAmount != 600-share || q.RemainingAmount != 0 {
		t.Fatalf("packet %+v", q)
	}
	if tot := h.auditTotals(); tot["refunds_in_flight"] != 600-share || tot["money_out"] != 0 {
		t.Fatalf("totals while in flight %v", tot)
	}

	if got := h.completeRefund(rf.OutRefundNo, "SUCCESS", 2); got[0] != 204 || got[1] != 204 {
		t.Fatalf("delivered %v", got)
	}
	if rf = h.refunds()[0]; rf.Status != "success" || len(rf.History) != 3 {
		t.Fatalf("after the notification %+v", rf)
	}
	tot := h.auditTotals()
	if tot["refunds_in_flight"] != 0 || tot["refunded_out"] != 600-share || tot["money_out"] != 600-share || tot["balances"] != share {
		t.Fatalf("totals %v", tot)
	}
	if h.balance(alice) != 0 || len(h.ledger(alice).Items) != 0 {
		t.Fatalf("the sender's balance moved: %d %+v", h.balance(alice), h.ledger(alice))
	}

	// Refused notifications change nothing.
	hdr, body, err := h.fake.RefundNotification(rf.OutRefundNo)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, h.refundNotify(hdr, body), 204, "") // a late duplicate
	keys, _ := testPayKeys()
	wantPayFail(t, h.refundNotify(signed(t, keys.MchKey, h.clock.Now(), body), body), 401)                           // forged: another key
	wantPayFail(t, h.refundNotify(signed(t, keys.PlatformKey, h.clock.Now().Add(-10*time.Minute), body), body), 401) // stale
	tampered := append([]byte(nil), body...)
	tampered[len(tampered)/2] ^= 1
	wantPayFail(t, h.refundNotify(hdr, tampered), 401)
	hdr.Set("Wechatpay-Signature", "WECHATPAY/SIGNTEST/"+hdr.Get("Wechatpay-Signature"))
	wantPayFail(t, h.refundNotify(hdr, body), 401)

	// Out of order: a PROCESSING state after SUCCESS does not move it back.
	applied, err := h.srv.Packets.ApplyRefund(context.Background(), packet.RefundState{OutRefundNo: rf.OutRefundNo, Status: "PROCESSING"})
	if err != nil || applied {
		t.Fatalf("processing after success: %v %v", applied, err)
	}
	applied, err = h.srv.Packets.ApplyRefund(context.Background(), packet.RefundState{OutRefundNo: rf.OutRefundNo, Status: "CLOSED"})
	if err != nil || applied {
		t.Fatalf("closed after success: %v %v", applied, err)
	}
	_, err = h.srv.Packets.ApplyRefund(context.Background(), packet.RefundState{OutRefundNo: "RFNOSUCHREFUND", Status: "SUCCESS"})
	if data.ErrorCode(err) != "not_found" {
		t.Fatalf("unknown refund: %v", err)
	}
	if rs := h.refunds(); len(rs) != 1 || rs[0].Status != "success" || len(rs[0].History) != 3 {
		t.Fatalf("refunds %+v", rs)
	}
	h.auditTotals()
}

// TestRefundQueriedWithoutNotification: no notification arrives; the
// scheduler queries the refund after QueryAfter and finds it successful.
func TestRefundQueriedWithoutNotification(t *testing.T) {
	h, _, _, share, rf := processingRefund(t)
	if got := h.completeRefund(rf.OutRefundNo, "SUCCESS", 0); len(got) != 0 {
		t.Fatalf("delivered %v", got)
	}
	if h.refunds()[0].Status != "processing" {
		t.Fatal("changed without a notification or a query")
	}
	h.clock.Add(2 * time.Minute)
	rf = h.waitRefund("success")
	if rf.History[len(rf.History)-1].Source != "query" {
		t.Fatalf("history %+v", rf.History)
	}
	if tot := h.auditTotals(); tot["refunded_out"] != 600-share {
		t.Fatalf("totals %v", tot)
	}
}

// TestRefundClosedRetriedAndCredited: a refund WeChat Pay closes is shown to
// the admin with its money held; the admin retries it under a new
// out_refund_no; a replay of the first attempt's notification changes
// nothing; the second attempt closes too (abnormal) and the admin credits
// it to the sender's balance instead. Nothing else can be done to a credited
// refund.
func TestRefundClosedRetriedAndCredited(t *testing.T) {
	h, alice, _, share, rf := processingRefund(t)
	first := rf.OutRefundNo
	if got := h.completeRefund(first, "CLOSED", 1); got[0] != 204 {
		t.Fatalf("delivered %v", got)
	}
	if rf = h.refunds()[0]; rf.Status != "closed" || !rf.Retryable {
		t.Fatalf("closed refund %+v", rf)
	}
	if tot := h.auditTotals(); tot["refunds_in_flight"] != 600-share {
		t.Fatalf("a closed refund's money is not held: %v", tot)
	}
	wantStatus(t, h.do("POST", "/api/v1/admin/refunds/"+rf.ID+"/retry", alice, nil), 403, "forbidden")
	wantStatus(t, h.do("POST", "/api/v1/admin/refunds/nosuchrefund/retry", testAdminToken, nil), 404, "not_found")
	r := h.do("POST", "/api/v1/admin/refunds/"+rf.ID+"/retry", testAdminToken, nil)
	wantStatus(t, r, 200, "")
	rf = h.waitRefund("processing")
	if rf.Attempt != 2 || rf.OutRefundNo != first+"-2" {
		t.Fatalf("retried refund %+v", rf)
	}
	if fr, ok := h.fake.Refund(rf.OutRefundNo); !ok || fr.Status != "PROCESSING" || fr.Refund != 600-share {
		t.Fatalf("the fake has %+v", fr)
	}
	wantStatus(t, h.do("POST", "/api/v1/admin/refunds/"+rf.ID+"/retry", testAdminToken, nil), 409, "conflict")
	hdr, body, err := h.fake.RefundNotification(first)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, h.refundNotify(hdr, body), 204, "") // the first attempt's CLOSED: stale
	if h.refunds()[0].Status != "processing" {
		t.Fatal("a notification of an earlier attempt moved the refund")
	}

	h.completeRefund(rf.OutRefundNo, "ABNORMAL", 1)
	rf = h.waitRefund("abnormal")
	r = h.do("POST", "/api/v1/admin/refunds/"+rf.ID+"/credit", testAdminToken, nil)
	wantStatus(t, r, 200, "")
	var out refundOut
	r.JSON(t, &out)
	if out.Status != "credited" || out.Retryable || h.balance(alice) != 600-share {
		t.Fatalf("credited %+v, balance %d", out, h.balance(alice))
	}
	if l := h.ledger(alice).Items; len(l) != 1 || l[0].Kind != "refund_return" || l[0].Delta != 600-share || l[0].Ref != rf.ID {
		t.Fatalf("ledger %+v", l)
	}
	wantStatus(t, h.do("POST", "/api/v1/admin/refunds/"+rf.ID+"/credit", testAdminToken, nil), 409, "conflict")
	wantStatus(t, h.do("POST", "/api/v1/admin/refunds/"+rf.ID+"/retry", testAdminToken, nil), 409, "conflict")
	if tot := h.auditTotals(); tot["refunds_in_flight"] != 0 || tot["money_out"] != 0 {
		t.Fatalf("totals %v", tot)
	}
}

// TestAdminTopupRefund: an admin refunds part of a top-up; only the unspent
// part can go (409 otherwise, nothing changed); the amount leaves the
// balance at once and comes back if WeChat Pay closes the refund; bad input
// is a clear 4xx that changes nothing.
func TestAdminTopupRefund(t *testing.T) {
	h := newHarness(t, withRefunds)
	alice, _ := h.login("alice")
	orderID, outTradeNo := h.topup(alice, 1000)
	h.createPacket(alice, map[string]any{"kind": "equal", "count": 3, "amount_each": 100}) // spends 300
	path := "/api/v1/admin/topups/" + orderID + "/refunds"
	for _, c := range []struct {
		body   any
		status int
		code   string
	}{
		{map[string]any{"amount": 0, "reason": "x"}, 400, "invalid_argument"},
		{map[string]any{"amount": 100}, 400, "invalid_argument"},
		{map[string]any{"amount": 100, "reason": "x", "extra": 1}, 400, "invalid_argument"},
		{map[string]any{"amount": 800, "reason": "用户申请退款"}, 409, "conflict"},  // 300 of it were spent
		{map[string]any{"amount": 1001, "reason": "用户申请退款"}, 409, "conflict"}, // more than the top-up
	} {
		wantStatus(t, h.do("POST", path, testAdminToken, c.body), c.status, c.code)
	}
	wantStatus(t, h.do("POST", "/api/v1/admin/topups/nosuchorder/refunds", testAdminToken, map[string]any{"amount": 1, "reason": "x"}), 404, "not_found")
	wantStatus(t, h.do("POST", path, alice, map[string]any{"amount": 1, "reason": "x"}), 403, "forbidden")
	if h.balance(alice) != 700 || len(h.refunds()) != 0 {
		t.Fatal("a refused refund changed something")
	}

	r := h.do("POST", "/api/v1/admin/topups/"+outTradeNo+"/refunds", testAdminToken, map[string]any{"amount": 500, "reason": "用户申请退款"})
	wantStatus(t, r, 201, "")
	var rf refundOut
	r.JSON(t, &rf)
	if rf.Kind != "topup" || rf.Amount != 500 || rf.OrderID != orderID || rf.Status != "requested" || h.balance(alice) != 200 {
		t.Fatalf("refund %+v, balance %d", rf, h.balance(alice))
	}
	wantStatus(t, h.do("POST", path, testAdminToken, map[string]any{"amount": 600, "reason": "again"}), 409, "conflict")
	rf = h.waitRefund("processing")
	h.auditTotals()
	h.completeRefund(rf.OutRefundNo, "CLOSED", 1)
	rf = h.waitRefund("credited")
	if h.balance(alice) != 700 {
		t.Fatalf("a closed top-up refund did not return: balance %d", h.balance(alice))
	}
	kinds := []string{}
	for _, l := range h.ledger(alice).Items {
		kinds = append(kinds, l.Kind)
	}
	if fmt.Sprint(kinds) != "[refund_return refund_hold packet_send topup]" {
		t.Fatalf("ledger kinds %v", kinds)
	}

	wantStatus(t, h.do("POST", path, testAdminToken, map[string]any{"amount": 700, "reason": "全部退回"}), 201, "")
	rf = h.waitRefund("processing")
	h.completeRefund(rf.OutRefundNo, "SUCCESS", 1)
	h.waitRefund("success")
	if h.balance(alice) != 0 {
		t.Fatalf("balance %d", h.balance(alice))
	}
	if tot := h.auditTotals(); tot["money_out"] != 700 || tot["money_in"] != 1000 || tot["escrow"] != 300 {
		t.Fatalf("totals %v", tot)
	}
	wantStatus(t, h.do("POST", path, testAdminToken, map[string]any{"amount": 1, "reason": "x"}), 409, "conflict")
	wantStatus(t, h.do("GET", "/api/v1/admin/refunds?status=bogus", testAdminToken, nil), 400, "invalid_argument")
	var page struct {
		Items      []refundOut
		NextCursor string `json:"next_cursor"`
	}
	h.do("GET", "/api/v1/admin/refunds?status=credited&limit=1", testAdminToken, nil).JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].Status != "credited" {
		t.Fatalf("credited page %+v", page)
	}
}
