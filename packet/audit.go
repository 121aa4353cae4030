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

// grabAgg is what the audit learns of one packet's grab records.
type grabAgg struct {
	n, dupes int
	sum      int64
	bad      []string
}

// auditor holds one audit's read view and the facts its checks share,
// gathered in one pass over the big buckets (grabs, ledger rows).
type auditor struct {
	tx        *bolt.Tx
	tot       Totals
	grabs     map[uint64]*grabAgg // packet seq → its grab records
	ledgerSum map[uint64]int64    // user seq → sum of their ledger rows
	newest    map[uint64]int64    // user seq → balance_after of their newest row
	badRows   []string            // ledger rows whose balance_after breaks the chain
}

// AuditTx checks, inside tx: every packet's grabs + remaining + refunded
// equal its amount (and its grabs match its shares); lucky splits match their
// commitments; no user grabbed a packet twice; every balance equals the sum
// of its ledger rows and the balance_after of its newest row; no balance is
// negative; paid orders add up to the money-in counter; and money is
// conserved: balances + escrow == money in − money out. Each invariant is one
// check function; malformed keys are errors.
func AuditTx(tx *bolt.Tx) (Report, error) {
	a := &auditor{tx: tx}
	if err := a.gather(); err != nil {
		return Report{}, err
	}
	checks := []func() (Check, error){a.checkAmounts, a.checkCommitments, a.checkOnce,
		a.checkLedger, a.checkNegative, a.checkOrders, a.checkConservation}
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

// gather reads the facts the checks share: grab records per packet, ledger
// sums per user, and the totals (wallets, balances, escrow, orders, counters).
func (a *auditor) gather() error {
	if err := a.gatherGrabs(); err != nil {
		return fmt.Errorf("audit grabs: %w", err)
	}
	if err := a.gatherLedger(); err != nil {
		return fmt.Errorf("audit ledger: %w", err)
	}
	err := forEach(a.tx, bucketWallets, func(k, _ []byte) error {
		a.tot.Wallets++
		a.tot.Balances += getInt(a.tx.Bucket(bucketWallets), k)
		return nil
	})
	if err != nil {
		return fmt.Errorf("audit wallets: %w", err)
	}
	err = a.packets(func(_ uint64, _ []byte, st state, _ string) {
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

// gatherGrabs streams the grab records packet by packet (keys are packet
// seq ‖ index), noting repeated grabbers and grabs that are not their share.
func (a *auditor) gatherGrabs() error {
	a.grabs = map[uint64]*grabAgg{}
	var users map[uint64]bool
	var cur uint64
	var shares []int64
	return forEach(a.tx, bucketGrabs, func(k, v []byte) error {
		if len(k) != 12 {
			return fmt.Errorf("grab key %x is malformed", k)
		}
		seq, i := data.ParseU64(k[:8]), binary.BigEndian.Uint32(k[8:])
		g := a.grabs[seq]
		if g == nil || seq != cur {
			g, cur, users = &grabAgg{}, seq, map[uint64]bool{}
			a.grabs[seq] = g
			shares = loadShares(a.tx, seq)
		}
		rec, err := parseGrab(v)
		if err != nil {
			return fmt.Errorf("packet %d grab %d: %w", seq, i, err)
		}
		if users[rec.User] {
			g.dupes++
		}
		users[rec.User] = true
		if i != uint32(g.n) {
			g.bad = append(g.bad, fmt.Sprintf("grab index %d out of sequence", i))
		} else if int(i) >= len(shares) || shares[i] != rec.Amount {
			g.bad = append(g.bad, fmt.Sprintf("grab %d of %d fen is not share %d", i, rec.Amount, i))
		}
		g.n++
		g.sum += rec.Amount
		return nil
	})
}

// gatherLedger streams the ledger user by user (keys are user seq ‖ row
// seq), summing each user's rows and checking the balance_after chain.
func (a *auditor) gatherLedger() error {
	a.ledgerSum, a.newest = map[uint64]int64{}, map[uint64]int64{}
	var running int64
	var curUser uint64
	return forEach(a.tx, bucketLedger, func(k, v []byte) error {
		if len(k) != 16 {
			return fmt.Errorf("ledger key %x is malformed", k)
		}
		user := data.ParseU64(k[:8])
		if user != curUser {
			curUser, running = user, 0
		}
		var e LedgerEntry
		if err := json.Unmarshal(v, &e); err != nil {
			a.badRows = append(a.badRows, fmt.Sprintf("user %d row %d: %v", user, data.ParseU64(k[8:]), err))
			return nil
		}
		running += e.Delta
		if e.BalanceAfter != running {
			a.badRows = append(a.badRows, fmt.Sprintf("user %d row %d: balance_after %d, but the rows so far sum to %d", user, data.ParseU64(k[8:]), e.BalanceAfter, running))
		}
		a.ledgerSum[user] = running
		a.newest[user] = e.BalanceAfter
		return nil
	})
}

// packets visits every packet's state; one that does not decode goes to
// bad (if not nil) and is skipped.
func (a *auditor) packets(fn func(seq uint64, k []byte, st state, id string), bad *Check) error {
	err := forEach(a.tx, bucketPackets, func(k, v []byte) error {
		seq := data.ParseU64(k)
		var st state
		if err := st.unmarshal(v); err != nil {
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
