package packet

import (
	"encoding/json"

	"luckbox/data"
)

// isWithdrawKind reports whether a ledger row kind code is a withdrawal's.
func isWithdrawKind(k uint8) bool {
	switch name(ledgerKinds, k) {
	case LedgerWithdraw, LedgerWithdrawPaid, LedgerWithdrawReturn:
		return true
	}
	return false
}

// withdrawRec is a withdrawal as the audit read it.
type withdrawRec struct {
	seq uint64
	w   withdrawal
	bad error
}

// gatherWithdrawals reads every withdrawal: the money held for the pending
// ones and what the succeeded ones paid out.
func (a *auditor) gatherWithdrawals() error {
	a.withdrawals = nil
	return forEach(a.tx, bucketWithdrawals, func(k, v []byte) error {
		r := withdrawRec{seq: data.ParseU64(k)}
		r.bad = json.Unmarshal(v, &r.w)
		a.withdrawals = append(a.withdrawals, r)
		a.tot.Withdrawals++
		switch {
		case r.bad != nil:
		case r.w.Status == WithdrawPending:
			a.tot.WithdrawHeld += r.w.Amount
		case r.w.Status == WithdrawSucceeded:
			a.tot.PaidWithdrawals += r.w.Amount
		}
		return nil
	})
}

// checkWithdrawals: each withdrawal's ledger rows match its status (a
// pending or succeeded one holds −amount, a failed or cancelled one nets
// to zero), no withdrawal rows name a missing withdrawal, amounts are
// positive, and the succeeded withdrawals and successful refunds add up to
// the money-out counter.
func (a *auditor) checkWithdrawals() (Check, error) {
	c := Check{Name: "each withdrawal's ledger entries match its status; succeeded withdrawals and refunds add up to the money-out counter", OK: true}
	seen := make(map[uint64]bool, len(a.withdrawals))
	for _, r := range a.withdrawals {
		c.Checked++
		seen[r.seq] = true
		if r.bad != nil {
			c.fail("withdrawal %d: %v", r.seq, r.bad)
			continue
		}
		want := -r.w.Amount
		switch r.w.Status {
		case WithdrawPending, WithdrawSucceeded:
		case WithdrawFailed, WithdrawCancelled:
			want = 0
		default:
			c.fail("withdrawal %d: unknown status %q", r.seq, r.w.Status)
		}
		if r.w.Amount < 1 {
			c.fail("withdrawal %d: amount %d", r.seq, r.w.Amount)
		}
		if got := a.withdrawRows[r.seq]; got != want {
			c.fail("withdrawal %d (%s, %d fen): its ledger rows sum to %d, want %d", r.seq, r.w.Status, r.w.Amount, got, want)
		}
	}
	for seq, sum := range a.withdrawRows {
		if !seen[seq] {
			c.fail("withdrawal %d: ledger rows summing to %d, but there is no such withdrawal", seq, sum)
		}
	}
	var refunded int64 // successful refunds, checked against their records by checkRefunds
	if b := a.tx.Bucket(bucketCounters); b != nil {
		refunded = getInt(b, counterRefundedOut)
	}
	if a.tot.PaidWithdrawals+refunded != a.tot.MoneyOut {
		c.fail("succeeded withdrawals %d + successful refunds %d = %d, money out is %d",
			a.tot.PaidWithdrawals, refunded, a.tot.PaidWithdrawals+refunded, a.tot.MoneyOut)
	}
	return c, nil
}
