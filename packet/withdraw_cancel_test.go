package packet

import (
	"context"
	"encoding/json"
	"testing"

	"luckbox/data"
)

// absentTransfers is a WeChat Pay that never received any transfer: every
// bill is unknown, and sending one is recorded (and refused transiently,
// so a test calls the handler by hand).
type absentTransfers struct {
	stubTransfers
	sent *int
}

func (a absentTransfers) Transfer(context.Context, TransferRequest) (TransferBill, error) {
	*a.sent++
	return TransferBill{}, context.DeadlineExceeded
}

// TestWithdrawExpiryWithoutBill: past confirm_by the query job finds no
// bill at WeChat Pay; the request may still be on its way (the outbox
// holds it), so the job only records a cancel request and the money stays
// held. The transfer's sender then queries instead of sending, finds no
// bill and settles the withdrawal cancelled: the money returns once.
func TestWithdrawExpiryWithoutBill(t *testing.T) {
	ctx := context.Background()
	sent := 0
	e := newEnv(t, Options{Withdraw: WithdrawOptions{Transfers: absentTransfers{sent: &sent}}})
	alice := e.user("alice")
	e.fund(alice, 1000)
	w, err := e.svc.Withdraw(ctx, alice, 300)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(DefaultWithdrawConfirmWindow)
	if err := e.svc.CheckWithdrawal(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.GetWithdrawal(ctx, alice.Seq, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != WithdrawPending || !got.CancelRequested || e.balance(alice) != 700 {
		t.Fatalf("expired without a bill: %+v, balance %d (want pending, cancel requested, 700 held)", got, e.balance(alice))
	}
	seq, _, _ := data.DecodeID(w.ID)
	payload, _ := json.Marshal(transferMessage{Seq: seq})
	for range 2 { // the outbox's attempt, and a retry of it
		if err := e.svc.deliverTransfer(ctx, data.Message{Kind: outboxTransfer, Payload: payload}); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ = e.svc.GetWithdrawal(ctx, alice.Seq, w.ID); got.Status != WithdrawCancelled || sent != 0 || e.balance(alice) != 1000 {
		t.Fatalf("after the sender's attempt: %+v, sent %d, balance %d", got, sent, e.balance(alice))
	}
	if r := e.audit(); !r.OK || r.Totals.WithdrawHeld != 0 {
		t.Fatalf("audit %+v", r.Totals)
	}
}
