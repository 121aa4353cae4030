package web

import (
	"context"
	"testing"
	"time"
)

// faultyWithdrawal tops alice up with 1000, switches the fake WeChat
// Pay's transfers to mode (hold: answers held; drop: requests never
// arrive) and withdraws 300.
func faultyWithdrawal(t *testing.T, mode string) (*harness, string, withdrawalOut) {
	h := newHarness(t, withPackets)
	alice, _ := h.login("alice")
	h.topup(alice, 1000)
	wantStatus(t, h.do("POST", "/_fake/wechat/transfer/"+mode, "", nil), 204, "")
	r := h.do("POST", "/api/v1/wallet/withdrawals", alice, map[string]int64{"amount": 300})
	wantStatus(t, r, 201, "")
	var w withdrawalOut
	r.JSON(t, &w)
	return h, alice, w
}

// heldWithdrawal is faultyWithdrawal with held answers, once the fake has
// the bill: the request arrived, its answer has not.
func heldWithdrawal(t *testing.T) (*harness, string, withdrawalOut) {
	h, alice, w := faultyWithdrawal(t, "hold")
	waitFor(t, "the transfer request to reach the fake", func() bool {
		_, ok := h.fake.Transfer(w.OutBillNo)
		return ok
	})
	return h, alice, w
}

// cancel cancels the withdrawal as its user (200) and returns the answer.
func (h *harness) cancel(token string, w withdrawalOut) withdrawalOut {
	h.t.Helper()
	r := h.do("POST", "/api/v1/wallet/withdrawals/"+w.ID+"/cancel", token, map[string]any{})
	wantStatus(h.t, r, 200, "")
	var out withdrawalOut
	r.JSON(h.t, &out)
	return out
}

// wantCancelRequested checks a cancel's answer for a withdrawal whose
// transfer was not answered: still pending, the money held, the cancel
// recorded.
func wantCancelRequested(t *testing.T, h *harness, token string, c withdrawalOut) {
	t.Helper()
	if c.Status != "pending" || !c.CancelRequested || c.TransferParams != nil {
		t.Fatalf("cancel of an unanswered withdrawal answered %+v", c)
	}
	if b := h.balance(token); b != 700 {
		t.Fatalf("balance right after the cancel request: %d, want 700 (still held)", b)
	}
}

// TestWithdrawCancelRaceConfirmed reproduces the double payout: the
// transfer request reached WeChat Pay but its answer is late, the user
// cancels, then confirms the bill in WeChat before any cancel reaches
// WeChat Pay. The transfer succeeds; the money leaves once and does not
// come back to the balance.
func TestWithdrawCancelRaceConfirmed(t *testing.T) {
	h, alice, w := heldWithdrawal(t)
	c := h.cancel(alice, w)
	// The user confirms the bill in WeChat (no notification: the late
	// answer and the query have to find out).
	wantStatus(t, h.do("POST", "/_fake/wechat/transfer/"+w.OutBillNo+"/confirm?notify=0", "", nil), 200, "")
	wantStatus(t, h.do("POST", "/_fake/wechat/transfer/release", "", nil), 204, "")
	w = h.waitWithdrawal(alice, w.ID, final)
	bill, _ := h.fake.Transfer(w.OutBillNo)
	flow, err := h.srv.Packets.Flow(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if b := h.balance(alice); bill.State != "SUCCESS" || b != 700 || flow.PaidOut != 300 || w.Status != "succeeded" {
		t.Fatalf("double payout: WeChat Pay paid %s, balance %d (want 700), money out %d, withdrawal %+v",
			bill.State, b, flow.PaidOut, w)
	}
	if k := h.ledgerKinds(alice); k != "withdraw_paid:0 withdraw:-300 topup:1000" {
		t.Fatalf("ledger %s", k)
	}
	h.auditOK()
	wantCancelRequested(t, h, alice, c)
}

// TestWithdrawCancelRaceCancelled: the same late answer, but the user does
// not confirm: when the answer arrives the bill (WAIT_USER_CONFIRM) is
// cancelled at WeChat Pay, and the money returns once, on CANCELLED.
func TestWithdrawCancelRaceCancelled(t *testing.T) {
	h, alice, w := heldWithdrawal(t)
	wantCancelRequested(t, h, alice, h.cancel(alice, w))
	// Cancelling again changes nothing.
	wantCancelRequested(t, h, alice, h.cancel(alice, w))
	wantStatus(t, h.do("POST", "/_fake/wechat/transfer/release", "", nil), 204, "")
	w = h.waitWithdrawal(alice, w.ID, final)
	if bill, _ := h.fake.Transfer(w.OutBillNo); bill.State != "CANCELLED" || w.Status != "cancelled" || h.balance(alice) != 1000 {
		t.Fatalf("bill %s, withdrawal %+v, balance %d", bill.State, w, h.balance(alice))
	}
	if k := h.ledgerKinds(alice); k != "withdraw_return:300 withdraw:-300 topup:1000" {
		t.Fatalf("ledger %s", k)
	}
	wantStatus(t, h.do("POST", "/api/v1/wallet/withdrawals/"+w.ID+"/cancel", alice, map[string]any{}), 409, "conflict")
	h.auditOK()
}

// TestWithdrawCancelBeforeArrival: the transfer request never reached
// WeChat Pay (the fake drops it); the user cancels; the outbox's next
// attempt finds no bill at WeChat Pay and, being the only sender, settles
// the withdrawal cancelled instead of sending: the money returns once and
// no bill is ever created.
func TestWithdrawCancelBeforeArrival(t *testing.T) {
	h, alice, w := faultyWithdrawal(t, "drop")
	// The outbox's first attempt is refused; its retry waits for the clock.
	waitFor(t, "the first transfer attempt", func() bool { return h.fake.DroppedTransfers() > 0 })
	wantCancelRequested(t, h, alice, h.cancel(alice, w))
	wantStatus(t, h.do("POST", "/_fake/wechat/transfer/release", "", nil), 204, "")
	h.clock.Add(10 * time.Minute) // past the outbox's backoff
	h.db.Poke()
	w = h.waitWithdrawal(alice, w.ID, final)
	if w.Status != "cancelled" || h.balance(alice) != 1000 {
		t.Fatalf("withdrawal %+v, balance %d", w, h.balance(alice))
	}
	if _, ok := h.fake.Transfer(w.OutBillNo); ok {
		t.Fatal("the transfer was sent after the cancel")
	}
	if k := h.ledgerKinds(alice); k != "withdraw_return:300 withdraw:-300 topup:1000" {
		t.Fatalf("ledger %s", k)
	}
	h.auditOK()
}
