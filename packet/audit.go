package packet

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"luckbox/data"
)

// Check is one invariant the audit checked.
type Check struct {
	Name     string   `json:"name"`
	OK       bool     `json:"ok"`
	Checked  int      `json:"checked"`  // records it looked at
	Failures []string `json:"failures"` // the first few violations
}

// maxFailures bounds the violations a check lists.
const maxFailures = 20

func (c *Check) fail(format string, args ...any) {
	c.OK = false
	if len(c.Failures) < maxFailures {
		c.Failures = append(c.Failures, fmt.Sprintf(format, args...))
	}
}

// Totals are the sums behind the conservation check, in fen.
type Totals struct {
	Wallets    int   `json:"wallets"`
	Packets    int   `json:"packets"`
	Orders     int   `json:"orders"`
	Balances   int64 `json:"balances"`  // sum of all balances
	Escrow     int64 `json:"escrow"`    // money in funded packets, not grabbed or refunded
	MoneyIn    int64 `json:"money_in"`  // paid payment orders
	MoneyOut   int64 `json:"money_out"` // withdrawals
	PaidOrders int64 `json:"paid_orders"`
}

// Report is the result of an audit. OK is true only when every check holds.
type Report struct {
	OK     bool    `json:"ok"`
	Checks []Check `json:"checks"`
	Totals Totals  `json:"totals"`
}

// Audit checks the money invariants in a consistent read view of db (also of
// a read-only file: a backup, or a stopped server's database).
func Audit(db *data.DB) (Report, error) {
	var r Report
	err := db.View(func(tx *bolt.Tx) error {
		var err error
		r, err = AuditTx(tx)
		return err
	})
	return r, err
}

// Audit runs the audit on the service's database.
func (s *Service) Audit(ctx context.Context) (Report, error) { return Audit(s.db) }

// forEach visits a bucket's keys in order; a missing bucket is empty.
func forEach(tx *bolt.Tx, name []byte, fn func(k, v []byte) error) error {
	b := tx.Bucket(name)
	if b == nil {
		return nil
	}
	return b.ForEach(fn)
}

type grabAgg struct {
	n, dupes int
	sum      int64
	bad      []string
}

// AuditTx checks, inside tx: every packet's grabs + remaining + refunded
// equal its amount (and its grabs match its shares); lucky splits match their
// commitments; no user grabbed a packet twice; every balance equals the sum
// of its ledger rows and the balance_after of its newest row; no balance is
// negative; paid orders add up to the money-in counter; and money is
// conserved: balances + escrow == money in − money out.
func AuditTx(tx *bolt.Tx) (Report, error) {
	amounts := Check{Name: "each packet's grabs + remaining + refunded == amount", OK: true}
	commits := Check{Name: "each lucky packet's share list matches its published commitment", OK: true}
	once := Check{Name: "no user grabbed a packet twice", OK: true}
	ledger := Check{Name: "each balance == sum of its ledger rows == balance_after of its newest row", OK: true}
	negative := Check{Name: "no balance is negative", OK: true}
	orders := Check{Name: "paid payment orders add up to the money-in counter", OK: true}
	conserve := Check{Name: "balances + escrow == money in - money out", OK: true}
	var tot Totals

	// Grabs, streamed packet by packet (keys are packet seq ‖ index).
	grabs := map[uint64]*grabAgg{}
	var users map[uint64]bool
	var cur uint64
	var shares []int64
	err := forEach(tx, bucketGrabs, func(k, v []byte) error {
		if len(k) != 12 {
			return fmt.Errorf("grab key %x is malformed", k)
		}
		seq, i := data.ParseU64(k[:8]), binary.BigEndian.Uint32(k[8:])
		a := grabs[seq]
		if a == nil || seq != cur {
			a, cur, users = &grabAgg{}, seq, map[uint64]bool{}
			grabs[seq] = a
			shares = loadShares(tx, seq)
		}
		g, err := parseGrab(v)
		if err != nil {
			return fmt.Errorf("packet %d grab %d: %w", seq, i, err)
		}
		if users[g.User] {
			a.dupes++
		}
		users[g.User] = true
		if i != uint32(a.n) {
			a.bad = append(a.bad, fmt.Sprintf("grab index %d out of sequence", i))
		} else if int(i) >= len(shares) || shares[i] != g.Amount {
			a.bad = append(a.bad, fmt.Sprintf("grab %d of %d fen is not share %d", i, g.Amount, i))
		}
		a.n++
		a.sum += g.Amount
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("audit grabs: %w", err)
	}
	grabbers := map[uint64]int{}
	err = forEach(tx, bucketGrabbers, func(k, v []byte) error {
		if len(k) != 16 || len(v) != 4 {
			return fmt.Errorf("grabber key %x is malformed", k)
		}
		seq, user, i := data.ParseU64(k[:8]), data.ParseU64(k[8:]), binary.BigEndian.Uint32(v)
		grabbers[seq]++
		if g, err := loadGrab(tx, seq, i); err != nil || g.User != user {
			once.fail("packet %d: user %d's index points at grab %d, which is not theirs", seq, user, i)
		}
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("audit grabbers: %w", err)
	}

	// Packets.
	err = forEach(tx, bucketPackets, func(k, v []byte) error {
		seq := data.ParseU64(k)
		var st state
		if err := st.unmarshal(v); err != nil {
			amounts.fail("packet %d: %v", seq, err)
			return nil
		}
		tot.Packets++
		amounts.Checked++
		a := grabs[seq]
		if a == nil {
			a = &grabAgg{}
		}
		id := data.EncodeID(seq, st.Tag)
		if a.sum+st.RemainingAmount+st.Refunded != st.Amount {
			amounts.fail("packet %s: grabs %d + remaining %d + refunded %d != amount %d", id, a.sum, st.RemainingAmount, st.Refunded, st.Amount)
		}
		if a.n != int(st.Next) || st.Next > st.Count || st.Credited > st.Next || (st.Funded && st.Credited != st.Next) {
			amounts.fail("packet %s: %d grab records, next %d, credited %d, count %d, funded %v", id, a.n, st.Next, st.Credited, st.Count, st.Funded)
		}
		for _, b := range a.bad {
			amounts.fail("packet %s: %s", id, b)
		}
		sh := loadShares(tx, seq)
		var sum int64
		for _, x := range sh {
			if x < 1 {
				amounts.fail("packet %s: share of %d fen", id, x)
			}
			sum += x
		}
		if len(sh) != int(st.Count) || sum != st.Amount {
			amounts.fail("packet %s: %d shares summing to %d for count %d, amount %d", id, len(sh), sum, st.Count, st.Amount)
		}
		once.Checked++
		if a.dupes > 0 || grabbers[seq] != a.n {
			once.fail("packet %s: %d repeated grabbers, %d index entries for %d grabs", id, a.dupes, grabbers[seq], a.n)
		}
		if st.Funded {
			tot.Escrow += st.RemainingAmount
		}
		if st.Kind == KindLucky {
			commits.Checked++
			var inf info
			if _, err := data.GetJSON(tx.Bucket(bucketPacketInfo), k, &inf); err != nil {
				commits.fail("packet %s: %v", id, err)
				return nil
			}
			var salt [32]byte
			copy(salt[:], hexBytes(inf.Salt))
			if c := SplitCommit(salt, sh); hex.EncodeToString(c[:]) != inf.Commit {
				commits.fail("packet %s: SplitCommit(salt, shares) is not the published commitment", id)
			}
		}
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("audit packets: %w", err)
	}

	// Ledger, streamed user by user (keys are user seq ‖ row seq).
	ledgerSum := map[uint64]int64{}
	newest := map[uint64]int64{}
	var running int64
	var curUser uint64
	err = forEach(tx, bucketLedger, func(k, v []byte) error {
		if len(k) != 16 {
			return fmt.Errorf("ledger key %x is malformed", k)
		}
		user := data.ParseU64(k[:8])
		if user != curUser {
			curUser, running = user, 0
		}
		var e LedgerEntry
		if err := json.Unmarshal(v, &e); err != nil {
			ledger.fail("user %d row %d: %v", user, data.ParseU64(k[8:]), err)
			return nil
		}
		running += e.Delta
		if e.BalanceAfter != running {
			ledger.fail("user %d row %d: balance_after %d, but the rows so far sum to %d", user, data.ParseU64(k[8:]), e.BalanceAfter, running)
		}
		ledgerSum[user] = running
		newest[user] = e.BalanceAfter
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("audit ledger: %w", err)
	}
	seen := map[uint64]bool{}
	err = forEach(tx, bucketWallets, func(k, v []byte) error {
		user := data.ParseU64(k)
		bal := getInt(tx.Bucket(bucketWallets), k)
		seen[user] = true
		tot.Wallets++
		tot.Balances += bal
		ledger.Checked++
		negative.Checked++
		if bal < 0 {
			negative.fail("user %d: balance %d", user, bal)
		}
		if ledgerSum[user] != bal || newest[user] != bal {
			ledger.fail("user %d: balance %d, ledger rows sum to %d, newest balance_after %d", user, bal, ledgerSum[user], newest[user])
		}
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("audit wallets: %w", err)
	}
	for user, sum := range ledgerSum {
		if !seen[user] {
			ledger.Checked++
			ledger.fail("user %d: ledger rows sum to %d but there is no wallet", user, sum)
		}
	}

	// Orders and counters.
	err = forEach(tx, bucketOrders, func(k, v []byte) error {
		var o order
		if err := json.Unmarshal(v, &o); err != nil {
			orders.fail("order %d: %v", data.ParseU64(k), err)
			return nil
		}
		tot.Orders++
		orders.Checked++
		if o.Status == OrderPaid {
			tot.PaidOrders += o.Amount
		}
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("audit orders: %w", err)
	}
	if c := tx.Bucket(bucketCounters); c != nil {
		tot.MoneyIn, tot.MoneyOut = getInt(c, counterMoneyIn), getInt(c, counterMoneyOut)
	}
	if tot.PaidOrders != tot.MoneyIn {
		orders.fail("paid orders sum to %d, money in is %d", tot.PaidOrders, tot.MoneyIn)
	}
	conserve.Checked = 1
	if tot.Balances+tot.Escrow != tot.MoneyIn-tot.MoneyOut {
		conserve.fail("balances %d + escrow %d = %d, money in %d - money out %d = %d",
			tot.Balances, tot.Escrow, tot.Balances+tot.Escrow, tot.MoneyIn, tot.MoneyOut, tot.MoneyIn-tot.MoneyOut)
	}

	r := Report{OK: true, Totals: tot, Checks: []Check{amounts, commits, once, ledger, negative, orders, conserve}}
	for i := range r.Checks {
		if r.Checks[i].Failures == nil {
			r.Checks[i].Failures = []string{}
		}
		r.OK = r.OK && r.Checks[i].OK
	}
	return r, nil
}

// hexBytes decodes a hex string (nil if malformed).
func hexBytes(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}
