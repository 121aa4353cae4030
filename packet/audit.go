package packet

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"

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
	MoneyOut   int64 `json:"money_out"` // withdrawals and successful refunds
	PaidOrders int64 `json:"paid_orders"`
	// RefundsInFlight is the money of refunds not finished (requested,
	// processing, closed, abnormal): out of escrow or balances, not out of
	// the system yet. RefundedOut is that of successful refunds.
	Refunds         int   `json:"refunds"`
	RefundsInFlight int64 `json:"refunds_in_flight"`
	RefundedOut     int64 `json:"refunded_out"`
	// Withdrawals (audit_withdraw.go): records, the money held for the
	// pending ones, and what the succeeded ones paid out.
	Withdrawals     int   `json:"withdrawals"`
	WithdrawHeld    int64 `json:"withdraw_held"`
	PaidWithdrawals int64 `json:"paid_withdrawals"`
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
	err := db.View(func(tx data.Tx) error {
		var err error
		r, err = AuditTx(tx)
		return err
	})
	return r, err
}

// Audit runs the audit on the service's database.
func (s *Service) Audit(ctx context.Context) (Report, error) { return Audit(s.db) }

// forEach visits a bucket's keys in order; a missing bucket is empty.
func forEach(tx data.Tx, name []byte, fn func(k, v []byte) error) error {
	b := tx.Bucket(name)
	if b == nil {
		return nil
	}
	return b.ForEach(fn)
}

// grabAgg is what the audit learns of one packet's grab records.
type grabAgg struct {
	n   int
	sum int64
	bad []string
	at  map[uint32]bool // indices seen
}

// walletRec is a wallet as the audit read it.
type walletRec struct {
	user uint64
	w    wallet
}

// ledgerAgg is what the audit learns of one user's ledger rows.
type ledgerAgg struct {
	sum          int64
	newest       uint64 // seq of the newest row
	balanceAfter int64  // of the newest row
}

// auditor holds one audit's read view and the facts its checks share,
// gathered in one pass over each big bucket (accounts, the ledger log).
type auditor struct {
	tx      data.Tx
	tot     Totals
	grabs   map[uint64]*grabAgg   // packet seq → its grab records
	ledger  map[uint64]*ledgerAgg // user seq → their ledger rows
	wallets []walletRec
	badRows []string // ledger rows that break their user's chain
	// withdrawRows sums the withdrawal ledger rows per withdrawal seq.
	withdrawRows map[uint64]int64
	withdrawals  []withdrawRec
}

// AuditTx checks, inside tx: every packet's grabs + remaining + refunded
// equal its amount (and its grab records match its counters); lucky splits
// match their commitments; each packet's grabs chain through distinct
// grabbers; every balance equals the sum of its ledger rows and the
// balance_after of its newest row; no balance is negative; paid orders add
// up to the money-in counter; each withdrawal's ledger rows match its
// status and succeeded withdrawals add up to the money-out counter; and
// money is conserved: balances + escrow + refunds in flight + held for
// withdrawals == money in − money out. Each invariant is one check function; malformed
// keys are errors, and so is a file of an older schema (opened read-only,
// not migrated).
func AuditTx(tx data.Tx) (Report, error) {
	if err := data.CheckSchemaCurrent(tx); err != nil {
		return Report{}, fmt.Errorf("audit: %w", err)
	}
	a := &auditor{tx: tx}
	if err := a.gather(); err != nil {
		return Report{}, err
	}
	checks := []func() (Check, error){a.checkAmounts, a.checkCommitments, a.checkChains,
		a.checkLedger, a.checkNegative, a.checkOrders, a.checkRefunds, a.checkWithdrawals, a.checkConservation}
	r := Report{OK: true}
	for _, check := range checks {
		c, err := check()
		if err != nil {
			return Report{}, err
		}
		if c.Failures == nil {
			c.Failures = []string{}
		}
		r.OK = r.OK && c.OK
		r.Checks = append(r.Checks, c)
	}
	r.Totals = a.tot
	return r, nil
}

// gather reads the facts the checks share: wallets and grab records (one
// pass over the accounts), ledger sums per user (one pass over the log), and
// the totals (balances, escrow, orders, counters).
func (a *auditor) gather() error {
	if err := a.gatherAccounts(); err != nil {
		return fmt.Errorf("audit accounts: %w", err)
	}
	if err := a.gatherLedger(); err != nil {
		return fmt.Errorf("audit ledger: %w", err)
	}
	if err := a.gatherWithdrawals(); err != nil {
		return fmt.Errorf("audit withdrawals: %w", err)
	}
	err := a.packets(func(_ uint64, _ []byte, st state, _ string) {
		a.tot.Packets++
		if st.Funded {
			a.tot.Escrow += st.RemainingAmount
		}
	}, nil)
	if err != nil {
		return err
	}
	if c := a.tx.Bucket(bucketCounters); c != nil {
		a.tot.MoneyIn, a.tot.MoneyOut = getInt(c, counterMoneyIn), getInt(c, counterMoneyOut)
	}
	return nil
}

// gatherAccounts streams bucketAccounts: wallets (user keys) and grab
// records (user ‖ 'r' ‖ packet), whose amounts are their shares.
func (a *auditor) gatherAccounts() error {
	a.grabs = map[uint64]*grabAgg{}
	shares := data.MustBucket(a.tx, bucketShares)
	return forEach(a.tx, bucketAccounts, func(k, v []byte) error {
		switch {
		case len(k) == 8:
			w, err := parseWallet(v)
			if err != nil {
				return fmt.Errorf("user %d: %w", data.ParseU64(k), err)
			}
			a.wallets = append(a.wallets, walletRec{data.ParseU64(k), w})
			a.tot.Wallets++
			a.tot.Balances += w.Balance
		case len(k) == 17 && k[8] == roleReceived:
			user, seq := data.ParseU64(k), data.ParseU64(k[9:])
			g := a.grabs[seq]
			if g == nil {
				g = &grabAgg{at: map[uint32]bool{}}
				a.grabs[seq] = g
			}
			rec, err := parseGrabRec(v)
			if err != nil {
				return fmt.Errorf("packet %d, user %d: %w", seq, user, err)
			}
			sh := shares.Get(data.U64(seq))
			switch i := rec.Index; {
			case g.at[i]:
				g.bad = append(g.bad, fmt.Sprintf("grab index %d twice (user %d)", i, user))
			case len(sh) < int(i+1)*8:
				g.bad = append(g.bad, fmt.Sprintf("grab index %d (user %d) has no share", i, user))
			default:
				g.sum += int64(binary.BigEndian.Uint64(sh[i*8:]))
			}
			g.at[rec.Index] = true
			g.n++
		case len(k) == 17 && k[8] == roleSent:
		default:
			return fmt.Errorf("account key %x is malformed", k)
		}
		return nil
	})
}

// gatherLedger streams the ledger log in order, summing each user's rows
// and checking that each row continues its user's chain: it names the
// user's previous row and its balance_after is the sum so far.
func (a *auditor) gatherLedger() error {
	a.ledger = map[uint64]*ledgerAgg{}
	a.withdrawRows = map[uint64]int64{}
	return forEach(a.tx, bucketLedgerLog, func(k, v []byte) error {
		if len(k) != 8 {
			return fmt.Errorf("ledger key %x is malformed", k)
		}
		seq := data.ParseU64(k)
		r, err := parseLedgerRow(v)
		if err != nil {
			a.badRows = append(a.badRows, fmt.Sprintf("row %d: %v", seq, err))
			return nil
		}
		l := a.ledger[r.User]
		if l == nil {
			l = &ledgerAgg{}
			a.ledger[r.User] = l
		}
		l.sum += r.Delta
		if isWithdrawKind(r.Kind) {
			a.withdrawRows[r.RefSeq] += r.Delta
		}
		if r.Prev != l.newest {
			a.badRows = append(a.badRows, fmt.Sprintf("user %d row %d: names row %d as the previous, which is %d", r.User, seq, r.Prev, l.newest))
		}
		if r.BalanceAfter != l.sum {
			a.badRows = append(a.badRows, fmt.Sprintf("user %d row %d: balance_after %d, but the rows so far sum to %d", r.User, seq, r.BalanceAfter, l.sum))
		}
		l.newest, l.balanceAfter = seq, r.BalanceAfter
		return nil
	})
}

// packets visits every packet's state; one that does not decode goes to
// bad (if not nil) and is skipped.
func (a *auditor) packets(fn func(seq uint64, k []byte, st state, id string), bad *Check) error {
	fixed := data.MustBucket(a.tx, bucketPacketFixed)
	err := forEach(a.tx, bucketPackets, func(k, v []byte) error {
		seq := data.ParseU64(k)
		var st state
		if err := st.unmarshal(v, fixed.Get(k)); err != nil {
			if bad != nil {
				bad.fail("packet %d: %v", seq, err)
			}
			return nil
		}
		fn(seq, k, st, data.EncodeID(seq, st.Tag))
		return nil
	})
	if err != nil {
		return fmt.Errorf("audit packets: %w", err)
	}
	return nil
}

// grabsOf is the aggregate of packet seq's grabs (zero if it has none).
func (a *auditor) grabsOf(seq uint64) *grabAgg {
	if g := a.grabs[seq]; g != nil {
		return g
	}
	return &grabAgg{}
}

// hexBytes decodes a hex string (nil if malformed).
func hexBytes(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}
