package packet

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"

	"luckbox/data"
)

// Ledger row kinds.
const (
	LedgerTopup        = "topup"         // a paid top-up order credited the balance
	LedgerPacketSend   = "packet_send"   // a packet paid from the balance
	LedgerPacketGrab   = "packet_grab"   // a grabbed share
	LedgerPacketRefund = "packet_refund" // the remainder of an expired packet

	LedgerWithdraw       = "withdraw"        // a withdrawal holds the amount (withdraw.go)
	LedgerWithdrawPaid   = "withdraw_paid"   // the held amount reached the user's WeChat change (delta 0)
	LedgerWithdrawReturn = "withdraw_return" // a failed or cancelled withdrawal's amount came back
)

var ledgerKinds = []string{"", LedgerTopup, LedgerPacketSend, LedgerPacketGrab, LedgerPacketRefund,
	LedgerWithdraw, LedgerWithdrawPaid, LedgerWithdrawReturn}

// LedgerEntry is one balance change. Ref is the public id of the packet or
// payment order that caused it.
type LedgerEntry struct {
	Delta        int64     `json:"delta"`
	Kind         string    `json:"kind"`
	Ref          string    `json:"ref"`
	BalanceAfter int64     `json:"balance_after"`
	At           time.Time `json:"at"`
}

// ledgerRow is a row of bucketLedgerLog, 58 bytes: version (1), user (8),
// the user's previous row (8; 0 for the first), kind (1), delta (8),
// balance after (8), time (8, Unix ns), and the packet or order it is about
// (seq 8 ‖ tag 8: its public id).
type ledgerRow struct {
	User, Prev          uint64
	Kind                uint8
	Delta, BalanceAfter int64
	At                  int64
	RefSeq, RefTag      uint64
}

const ledgerRowVersion, ledgerRowSize = 1, 58

func (r *ledgerRow) marshal() []byte {
	b := make([]byte, 0, ledgerRowSize)
	b = append(b, ledgerRowVersion)
	b = binary.BigEndian.AppendUint64(b, r.User)
	b = binary.BigEndian.AppendUint64(b, r.Prev)
	b = append(b, r.Kind)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Delta))
	b = binary.BigEndian.AppendUint64(b, uint64(r.BalanceAfter))
	b = binary.BigEndian.AppendUint64(b, uint64(r.At))
	b = binary.BigEndian.AppendUint64(b, r.RefSeq)
	return binary.BigEndian.AppendUint64(b, r.RefTag)
}

var errBadLedgerRow = errors.New("ledger row is malformed")

func parseLedgerRow(b []byte) (ledgerRow, error) {
	if len(b) != ledgerRowSize || b[0] != ledgerRowVersion {
		return ledgerRow{}, errBadLedgerRow
	}
	u64 := func(i int) uint64 { return binary.BigEndian.Uint64(b[i:]) }
	return ledgerRow{User: u64(1), Prev: u64(9), Kind: b[17], Delta: int64(u64(18)), BalanceAfter: int64(u64(26)),
		At: int64(u64(34)), RefSeq: u64(42), RefTag: u64(50)}, nil
}

// entry is the row as the API shows it.
func (r *ledgerRow) entry() LedgerEntry {
	return LedgerEntry{Delta: r.Delta, Kind: name(ledgerKinds, r.Kind), Ref: data.EncodeID(r.RefSeq, r.RefTag),
		BalanceAfter: r.BalanceAfter, At: time.Unix(0, r.At).UTC()}
}

// wallet is a user's record in bucketAccounts: the balance and the seq of
// the newest ledger row (the head of the user's ledger chain).
type wallet struct {
	Balance int64
	Last    uint64
}

func (w wallet) marshal() []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(w.Balance))
	return binary.BigEndian.AppendUint64(b, w.Last)
}

func parseWallet(b []byte) (wallet, error) {
	if len(b) != 16 {
		return wallet{}, errors.New("wallet record is malformed")
	}
	return wallet{Balance: int64(binary.BigEndian.Uint64(b)), Last: binary.BigEndian.Uint64(b[8:])}, nil
}

// loadWallet reads user's wallet (zero for a user who never had money).
func loadWallet(tx data.Tx, user uint64) (wallet, error) {
	v := data.MustBucket(tx, bucketAccounts).Get(walletKey(user))
	if v == nil {
		return wallet{}, nil
	}
	w, err := parseWallet(v)
	if err != nil {
		return w, fmt.Errorf("user %d: %w", user, err)
	}
	return w, nil
}

// Counter names in bucketCounters.
var (
	counterMoneyIn  = []byte("money_in")  // paid payment orders
	counterMoneyOut = []byte("money_out") // successful withdrawals and refunds
)

func getInt(b data.Bucket, k []byte) int64 {
	v := b.Get(k)
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

func putInt(b data.Bucket, k []byte, v int64) error {
	return b.Put(k, binary.BigEndian.AppendUint64(nil, uint64(v)))
}

// balanceIn returns the balance of user inside tx.
func balanceIn(tx data.Tx, user uint64) (int64, error) {
	w, err := loadWallet(tx, user)
	return w.Balance, err
}

// moveMoney changes user's balance by delta and appends the ledger row
// (about the packet or order refSeq, refTag), in the caller's write
// transaction: the wallet is rewritten in the user's page of
// bucketAccounts and the row appended at the tail of the ledger log.
// Callers check a debit against the balance before they write anything;
// moveMoney refuses a negative result as a programming error.
func moveMoney(tx data.Tx, user uint64, delta int64, kind string, refSeq, refTag uint64, at time.Time) error {
	w, err := loadWallet(tx, user)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	bal := w.Balance + delta
	if bal < 0 {
		return fmt.Errorf("ledger: balance of user %d would be %d", user, bal)
	}
	log := data.AppendBucket(tx, bucketLedgerLog)
	seq, err := log.NextSequence()
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	row := ledgerRow{User: user, Prev: w.Last, Kind: code(ledgerKinds, kind), Delta: delta, BalanceAfter: bal,
		At: at.UnixNano(), RefSeq: refSeq, RefTag: refTag}
	if err := log.Put(data.U64(seq), row.marshal()); err != nil {
		return fmt.Errorf("ledger: put: %w", err)
	}
	if err := data.MustBucket(tx, bucketAccounts).Put(walletKey(user), wallet{Balance: bal, Last: seq}.marshal()); err != nil {
		return fmt.Errorf("ledger: put balance: %w", err)
	}
	return nil
}

// addCounter adds delta to a global counter inside tx.
func addCounter(tx data.Tx, name []byte, delta int64) error {
	b := data.MustBucket(tx, bucketCounters)
	if err := putInt(b, name, getInt(b, name)+delta); err != nil {
		return fmt.Errorf("counter %s: %w", name, err)
	}
	return nil
}

// Balance returns the user's wallet balance in fen (0 for a new user).
func (s *Service) Balance(ctx context.Context, userSeq uint64) (int64, error) {
	var bal int64
	err := s.db.View(func(tx data.Tx) error {
		var err error
		bal, err = balanceIn(tx, userSeq)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("balance: %w", err)
	}
	return bal, nil
}

// LedgerPage is the default and maximum page size of Ledger.
const LedgerPage = 50

// Ledger lists the user's balance changes, newest first, limit at a time;
// cursor is the next cursor of the previous page ("" for the first page):
// the seq of the row the page starts with. The rows are read along the
// user's chain, from the wallet's newest row back.
func (s *Service) Ledger(ctx context.Context, userSeq uint64, cursor string, limit int) (items []LedgerEntry, next string, err error) {
	if limit <= 0 || limit > LedgerPage {
		limit = LedgerPage
	}
	from, err := data.ParseCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	err = s.db.View(func(tx data.Tx) error {
		seq := from
		if from == data.FirstPage {
			w, err := loadWallet(tx, userSeq)
			if err != nil {
				return err
			}
			seq = w.Last
		}
		items, next, err = ledgerChain(data.MustBucket(tx, bucketLedgerLog), userSeq, seq, limit, from != data.FirstPage)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("ledger: %w", err)
	}
	return items, next, nil
}

// MoneyFlow is the money that came in through WeChat Pay and went out, in
// fen, read from two counters (cheap enough to poll). What is held, in
// wallets and in packets not yet grabbed, is paid in − paid out: the
// conservation the audit checks.
type MoneyFlow struct {
	PaidIn  int64 `json:"paid_in"`
	Held    int64 `json:"held"`
	PaidOut int64 `json:"paid_out"`
}

// Flow returns the money flow totals.
func (s *Service) Flow(ctx context.Context) (MoneyFlow, error) {
	var f MoneyFlow
	err := s.db.View(func(tx data.Tx) error {
		if c := tx.Bucket(bucketCounters); c != nil {
			f.PaidIn, f.PaidOut = getInt(c, counterMoneyIn), getInt(c, counterMoneyOut)
		}
		return nil
	})
	if err != nil {
		return MoneyFlow{}, fmt.Errorf("money flow: %w", err)
	}
	f.Held = f.PaidIn - f.PaidOut
	return f, nil
}

// ledgerChain reads up to limit rows of user's ledger from row seq back
// along the chain and returns the cursor of the row after them ("" at the
// chain's end). A cursor (fromCursor) must name a row of this user.
func ledgerChain(log data.Bucket, user, seq uint64, limit int, fromCursor bool) ([]LedgerEntry, string, error) {
	items := make([]LedgerEntry, 0, min(limit, 16))
	for ; seq != 0; limit-- {
		if limit == 0 {
			return items, strconv.FormatUint(seq, 10), nil
		}
		r, err := parseLedgerRow(log.Get(data.U64(seq)))
		if err == nil && r.User != user {
			err = errBadLedgerRow
		}
		if err != nil {
			if fromCursor && len(items) == 0 {
				return nil, "", data.Invalid("cursor", "is not a cursor this endpoint returned")
			}
			return nil, "", fmt.Errorf("user %d: ledger row %d: %w", user, seq, err)
		}
		items = append(items, r.entry())
		seq = r.Prev
	}
	return items, "", nil
}
