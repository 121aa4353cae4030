package packet

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"luckbox/data"
)

// Ledger row kinds.
const (
	LedgerTopup        = "topup"         // a paid top-up order credited the balance
	LedgerPacketSend   = "packet_send"   // a packet paid from the balance
	LedgerPacketGrab   = "packet_grab"   // a grabbed share
	LedgerPacketRefund = "packet_refund" // the remainder of an expired packet
)

// LedgerEntry is one balance change. Ref is the public id of the packet or
// payment order that caused it.
type LedgerEntry struct {
	Delta        int64     `json:"delta"`
	Kind         string    `json:"kind"`
	Ref          string    `json:"ref"`
	BalanceAfter int64     `json:"balance_after"`
	At           time.Time `json:"at"`
}

// Counter names in bucketCounters.
var (
	counterMoneyIn  = []byte("money_in")  // paid payment orders
	counterMoneyOut = []byte("money_out") // withdrawals (none yet)
)

func getInt(b *bolt.Bucket, k []byte) int64 {
	v := b.Get(k)
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

func putInt(b *bolt.Bucket, k []byte, v int64) error {
	return b.Put(k, binary.BigEndian.AppendUint64(nil, uint64(v)))
}

// balanceIn returns the balance of user inside tx.
func balanceIn(tx *bolt.Tx, user uint64) int64 {
	return getInt(data.MustBucket(tx, bucketWallets), data.U64(user))
}

// moveMoney changes user's balance by delta and appends the ledger row, in
// the caller's write transaction. Callers check a debit against the balance
// before they write anything; moveMoney refuses a negative result as a
// programming error.
func moveMoney(tx *bolt.Tx, user uint64, delta int64, kind, ref string, at time.Time) error {
	wallets := data.MustBucket(tx, bucketWallets)
	key := data.U64(user)
	bal := getInt(wallets, key) + delta
	if bal < 0 {
		return fmt.Errorf("ledger: balance of user %d would be %d", user, bal)
	}
	if err := putInt(wallets, key, bal); err != nil {
		return fmt.Errorf("ledger: put balance: %w", err)
	}
	ledger := data.AppendBucket(tx, bucketLedger)
	seq, err := ledger.NextSequence()
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	row, err := json.Marshal(LedgerEntry{Delta: delta, Kind: kind, Ref: ref, BalanceAfter: bal, At: at})
	if err != nil {
		return fmt.Errorf("ledger: encode: %w", err)
	}
	if err := ledger.Put(data.Key(key, data.U64(seq)), row); err != nil {
		return fmt.Errorf("ledger: put: %w", err)
	}
	return nil
}

// addCounter adds delta to a global counter inside tx.
func addCounter(tx *bolt.Tx, name []byte, delta int64) error {
	b := data.MustBucket(tx, bucketCounters)
	if err := putInt(b, name, getInt(b, name)+delta); err != nil {
		return fmt.Errorf("counter %s: %w", name, err)
	}
	return nil
}

// Balance returns the user's wallet balance in fen (0 for a new user).
func (s *Service) Balance(ctx context.Context, userSeq uint64) (int64, error) {
	var bal int64
	err := s.db.View(func(tx *bolt.Tx) error { bal = balanceIn(tx, userSeq); return nil })
	if err != nil {
		return 0, fmt.Errorf("balance: %w", err)
	}
	return bal, nil
}

// LedgerPage is the default and maximum page size of Ledger.
const LedgerPage = 50

// Ledger lists the user's balance changes, newest first, limit at a time;
// cursor is the next cursor of the previous page ("" for the first page).
func (s *Service) Ledger(ctx context.Context, userSeq uint64, cursor string, limit int) (items []LedgerEntry, next string, err error) {
	if limit <= 0 || limit > LedgerPage {
		limit = LedgerPage
	}
	from, err := data.ParseCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		c := data.MustBucket(tx, bucketLedger).Cursor()
		next, err = data.NewestFirst(c, data.U64(userSeq), from, limit, func(_ uint64, v []byte) (bool, error) {
			var e LedgerEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return false, fmt.Errorf("decode ledger row: %w", err)
			}
			e.At = e.At.UTC()
			items = append(items, e)
			return true, nil
		})
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
	err := s.db.View(func(tx *bolt.Tx) error {
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
