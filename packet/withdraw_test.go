package packet

import (
	"context"
	"strings"
	"testing"

	"luckbox/data"
)

// stubTransfers is a Transfers that is never called in these tests (they
// apply bill states directly).
type stubTransfers struct{}

func (stubTransfers) MchID() string { return "1900000109" }
func (stubTransfers) AppID() string { return "wxtest" }
func (stubTransfers) Transfer(context.Context, TransferRequest) (TransferBill, error) {
	return TransferBill{}, ErrTransferNotExist
}
func (stubTransfers) QueryTransfer(context.Context, string) (TransferBill, error) {
	return TransferBill{}, ErrTransferNotExist
}
func (stubTransfers) CancelTransfer(context.Context, string) (TransferBill, error) {
	return TransferBill{}, ErrTransferNotCancelable
}

// TestAuditCountsWithdrawals: money held for a pending withdrawal is part
// of the conservation (balances + escrow + held == in − out), a succeeded
// one is money out; tampering with a withdrawal's status or amount, or
// with the money-out counter, fails the audit.
func TestAuditCountsWithdrawals(t *testing.T) {
	e := newEnv(t, Options{Withdraw: WithdrawOptions{Transfers: stubTransfers{}}})
	alice := e.user("alice")
	e.fund(alice, 1000)
	held, err := e.svc.Withdraw(context.Background(), alice, 300)
	if err != nil {
		t.Fatal(err)
	}
	paid, err := e.svc.Withdraw(context.Background(), alice, 200)
	if err != nil {
		t.Fatal(err)
	}
	if applied, err := e.svc.ApplyTransfer(context.Background(), TransferBill{OutBillNo: paid.OutBillNo, State: TransferSuccess, Amount: 200}); err != nil || !applied {
		t.Fatalf("apply: %v %v", applied, err)
	}
	r := e.audit()
	if r.Totals.WithdrawHeld != 300 || r.Totals.MoneyOut != 200 || r.Totals.Balances != 500 {
		t.Fatalf("totals %+v", r.Totals)
	}
	failing := e.tamperFails
	rewrite := func(id string, edit func(*withdrawal)) func(tx data.Tx) error {
		return func(tx data.Tx) error {
			seq, _, _ := data.DecodeID(id)
			w, _, err := loadWithdrawal(tx, seq)
			if err != nil {
				return err
			}
			edit(&w)
			return putWithdrawal(tx, seq, w)
		}
	}
	// The held withdrawal marked failed without returning the money: 300
	// fen vanish.
	failing(t, rewrite(held.ID, func(w *withdrawal) { w.Status = WithdrawFailed }), "withdrawal", "held for withdrawals")
	e.reopen()
	failing(t, rewrite(held.ID, func(w *withdrawal) { w.Status = WithdrawPending; w.Amount = 301 }), "withdrawal", "held for withdrawals")
	e.reopen()
	failing(t, func(tx data.Tx) error { // undo; money out counted twice
		if err := rewrite(held.ID, func(w *withdrawal) { w.Amount = 300 })(tx); err != nil {
			return err
		}
		return addCounter(tx, counterMoneyOut, 200)
	}, "money-out", "held for withdrawals")
}

// tamperFails changes the database with mutate and checks that the audit
// fails, and that each check whose name contains one of want fails.
func (e *env) tamperFails(t *testing.T, mutate func(tx data.Tx) error, want ...string) {
	t.Helper()
	if err := e.db.UpdateLocal(mutate); err != nil {
		t.Fatal(err)
	}
	r, err := Audit(e.db)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK {
		t.Fatal("audit passed tampered data")
	}
	for _, w := range want {
		for _, c := range r.Checks {
			if strings.Contains(c.Name, w) && c.OK {
				t.Errorf("check %q passed", c.Name)
			}
		}
	}
}
