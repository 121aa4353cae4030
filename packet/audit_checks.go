package packet

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"luckbox/data"
)

// The invariants of the audit (AuditTx), one function each.

// checkAmounts: each packet's grabs + remaining + refunded == its amount,
// its counters agree with its grab records, and its shares are positive and
// add up to its amount.
func (a *auditor) checkAmounts() (Check, error) {
	c := Check{Name: "each packet's grabs + remaining + refunded == amount", OK: true}
	err := a.packets(func(seq uint64, _ []byte, st state, id string) {
		c.Checked++
		g := a.grabsOf(seq)
		if g.sum+st.RemainingAmount+st.Refunded != st.Amount {
			c.fail("packet %s: grabs %d + remaining %d + refunded %d != amount %d", id, g.sum, st.RemainingAmount, st.Refunded, st.Amount)
		}
		if g.n != int(st.Next) || st.Next > st.Count || st.Credited > st.Next || (st.Funded && st.Credited != st.Next) {
			c.fail("packet %s: %d grab records, next %d, credited %d, count %d, funded %v", id, g.n, st.Next, st.Credited, st.Count, st.Funded)
		}
		for _, b := range g.bad {
			c.fail("packet %s: %s", id, b)
		}
		sh := loadShares(a.tx, seq)
		var sum int64
		for _, x := range sh {
			if x < 1 {
				c.fail("packet %s: share of %d fen", id, x)
			}
			sum += x
		}
		if len(sh) != int(st.Count) || sum != st.Amount {
			c.fail("packet %s: %d shares summing to %d for count %d, amount %d", id, len(sh), sum, st.Count, st.Amount)
		}
	}, &c)
	return c, err
}

// checkCommitments: each lucky packet's share list hashes, with its salt,
// to the commitment published when it was created.
func (a *auditor) checkCommitments() (Check, error) {
	c := Check{Name: "each lucky packet's share list matches its published commitment", OK: true}
	err := a.packets(func(seq uint64, k []byte, st state, id string) {
		if st.Kind != KindLucky {
			return
		}
		c.Checked++
		var inf info
		if _, err := data.GetJSON(a.tx.Bucket(bucketPacketInfo), k, &inf); err != nil {
			c.fail("packet %s: %v", id, err)
			return
		}
		var salt [32]byte
		copy(salt[:], hexBytes(inf.Salt))
		if h := SplitCommit(salt, loadShares(a.tx, seq)); hex.EncodeToString(h[:]) != inf.Commit {
			c.fail("packet %s: SplitCommit(salt, shares) is not the published commitment", id)
		}
	}, nil)
	return c, err
}

// checkChains: each packet's grab records form one chain from its state
// (the last grabber) back to grab 0, through distinct grabbers, and the
// packet has no grab record off its chain. (A user has one record per
// packet by construction: its key is user ‖ packet.)
func (a *auditor) checkChains() (Check, error) {
	c := Check{Name: "no user grabbed a packet twice (each packet's grabs chain through distinct grabbers)", OK: true}
	packets := map[uint64]bool{}
	err := a.packets(func(seq uint64, _ []byte, st state, id string) {
		packets[seq] = true
		c.Checked++
		seen := make(map[uint64]bool, st.Next)
		err := grabChain(a.tx, seq, &st, 0, func(user uint64, _ grabRec) error {
			if seen[user] {
				return fmt.Errorf("user %d grabbed twice", user)
			}
			seen[user] = true
			return nil
		})
		if err != nil {
			c.fail("packet %s: %v", id, err)
		}
		if g := a.grabsOf(seq); g.n != int(st.Next) {
			c.fail("packet %s: %d grab records for %d grabs", id, g.n, st.Next)
		}
	}, nil)
	for seq, g := range a.grabs {
		if !packets[seq] {
			c.fail("packet %d: %d grab records, but there is no such packet", seq, g.n)
		}
	}
	return c, err
}

// checkLedger: each balance equals the sum of its ledger rows and the
// balance_after of its newest row, which the wallet names; every row
// continues its user's chain; no ledger without a wallet.
func (a *auditor) checkLedger() (Check, error) {
	c := Check{Name: "each balance == sum of its ledger rows == balance_after of its newest row", OK: true}
	for _, b := range a.badRows {
		c.fail("%s", b)
	}
	seen := map[uint64]bool{}
	for _, w := range a.wallets {
		seen[w.user] = true
		c.Checked++
		l := a.ledger[w.user]
		if l == nil {
			l = &ledgerAgg{}
		}
		if l.sum != w.w.Balance || l.balanceAfter != w.w.Balance || l.newest != w.w.Last {
			c.fail("user %d: balance %d (newest row %d), ledger rows sum to %d, newest row %d has balance_after %d",
				w.user, w.w.Balance, w.w.Last, l.sum, l.newest, l.balanceAfter)
		}
	}
	for user, l := range a.ledger {
		if !seen[user] {
			c.Checked++
			c.fail("user %d: ledger rows sum to %d but there is no wallet", user, l.sum)
		}
	}
	return c, nil
}

// checkNegative: no balance is below zero.
func (a *auditor) checkNegative() (Check, error) {
	c := Check{Name: "no balance is negative", OK: true}
	for _, w := range a.wallets {
		c.Checked++
		if w.w.Balance < 0 {
			c.fail("user %d: balance %d", w.user, w.w.Balance)
		}
	}
	return c, nil
}

// checkOrders: the paid payment orders add up to the money-in counter.
func (a *auditor) checkOrders() (Check, error) {
	c := Check{Name: "paid payment orders add up to the money-in counter", OK: true}
	err := forEach(a.tx, bucketOrders, func(k, v []byte) error {
		var o order
		if err := json.Unmarshal(v, &o); err != nil {
			c.fail("order %d: %v", data.ParseU64(k), err)
			return nil
		}
		a.tot.Orders++
		c.Checked++
		if o.Status == OrderPaid {
			a.tot.PaidOrders += o.Amount
		}
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("audit orders: %w", err)
	}
	if a.tot.PaidOrders != a.tot.MoneyIn {
		c.fail("paid orders sum to %d, money in is %d", a.tot.PaidOrders, a.tot.MoneyIn)
	}
	return c, nil
}

// checkConservation: balances + escrow + refunds in flight + held for
// withdrawals == money in − money out.
func (a *auditor) checkConservation() (Check, error) {
	c := Check{Name: "balances + escrow + refunds in flight + held for withdrawals == money in - money out", OK: true, Checked: 1}
	t := a.tot
	if held := t.Balances + t.Escrow + t.RefundsInFlight + t.WithdrawHeld; held != t.MoneyIn-t.MoneyOut {
		c.fail("balances %d + escrow %d + refunds in flight %d + held for withdrawals %d = %d, money in %d - money out %d = %d",
			t.Balances, t.Escrow, t.RefundsInFlight, t.WithdrawHeld, held, t.MoneyIn, t.MoneyOut, t.MoneyIn-t.MoneyOut)
	}
	return c, nil
}
