package packet

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"luckbox/data"
)

// Migrations are the schema migrations of this package; pass them to
// data.Open (with Buckets).
var Migrations = []data.Migration{{From: 1, Name: "packet: accounts, ledger log, grab chains", Step: migrateV1}}

// The schema-1 buckets, which the migration to schema 2 reads and, in its
// last step, removes.
var (
	v1Wallets     = []byte("wallets")         // user seq → balance
	v1Ledger      = []byte("ledger")          // user seq ‖ ledger seq → ledger row JSON
	v1Packets     = []byte("packets")         // packet seq → state version 1
	v1Grabs       = []byte("packet_grabs")    // packet seq ‖ index (4) → user ‖ amount ‖ time
	v1Grabbers    = []byte("packet_grabbers") // packet seq ‖ user seq → index (4)
	v1UserPackets = []byte("packets_by_user") // user seq ‖ role ‖ packet seq → nothing
)

// migrateV1 is the step of the migration from schema 1. It writes only the
// new buckets until its last phase removes the old ones, so a schema-1
// binary can still read the file until then; it starts by emptying the new
// buckets, so a run that starts over (data.Migration) leaves nothing stale.
// The grab records and sent index come first (then a check of every old
// grab against them), then the states (they read the old grab records for
// the last grabber), the ledger, and the wallets against it.
var migrateV1 = data.Phased(
	data.Phase{Name: 'r', Run: func(tx data.Tx, _ []byte, _ int) ([]byte, error) {
		return nil, data.ResetBuckets(tx, bucketAccounts, bucketLedgerLog, bucketPackets, bucketPacketFixed)
	}},
	data.Phase{Name: 'g', Run: migrateGrabs},
	data.Phase{Name: 'c', Run: checkGrabs},
	data.Phase{Name: 'p', Run: migrateStates},
	data.Phase{Name: 'l', Run: migrateLedger},
	data.Phase{Name: 'w', Run: checkWallets},
	data.Phase{Name: 'd', Run: func(tx data.Tx, _ []byte, _ int) ([]byte, error) {
		return nil, data.DropBuckets(tx, v1Wallets, v1Ledger, v1Packets, v1Grabs, v1Grabbers, v1UserPackets)
	}},
)

// v1Grab decodes a schema-1 grab record: user, amount, time.
func v1Grab(v []byte) (user uint64, amount, at int64, err error) {
	if len(v) != 24 {
		return 0, 0, 0, errors.New("grab record is malformed")
	}
	return binary.BigEndian.Uint64(v), int64(binary.BigEndian.Uint64(v[8:])), int64(binary.BigEndian.Uint64(v[16:])), nil
}

func v1GrabKey(seq uint64, i uint32) []byte { return binary.BigEndian.AppendUint32(data.U64(seq), i) }

// migrateGrabs writes the grab records and the sent index from the
// schema-1 user index (user ‖ role ‖ packet), whose order is the order of
// the new keys (user ‖ 'r'|'s' ‖ packet), so each step appends to a few
// pages instead of scattering over the whole bucket (a 660k-grab file
// migrates in a third of the time, in a fifth of the memory). A received
// entry finds its grab through the schema-1 grabber index; the grab record
// links to the previous grab's user. The amount is not kept (it is the
// share): one that is not its share stops the migration.
func migrateGrabs(tx data.Tx, from []byte, limit int) ([]byte, error) {
	grabs, grabbers := tx.Bucket(v1Grabs), tx.Bucket(v1Grabbers)
	acc, shares := data.MustBucket(tx, bucketAccounts), data.MustBucket(tx, bucketShares)
	return data.Walk(tx, v1UserPackets, from, limit, func(k, _ []byte) error {
		if len(k) != 17 {
			return fmt.Errorf("user packet key %x is malformed", k)
		}
		user, role, seq := data.ParseU64(k), k[8], data.ParseU64(k[9:])
		switch role {
		case roleSent:
			return acc.Put(sentKey(user, seq), nil)
		case roleReceived:
		default:
			return fmt.Errorf("user packet key %x has role %q", k, role)
		}
		var iv []byte
		if grabbers != nil {
			iv = grabbers.Get(data.Key(data.U64(seq), data.U64(user)))
		}
		if len(iv) != 4 || grabs == nil {
			return fmt.Errorf("user %d received packet %d, which has no grab of theirs", user, seq)
		}
		i := binary.BigEndian.Uint32(iv)
		gu, amount, at, err := v1Grab(grabs.Get(v1GrabKey(seq, i)))
		if err != nil || gu != user {
			return fmt.Errorf("packet %d grab %d (user %d): %v", seq, i, user, err)
		}
		if sh := shares.Get(data.U64(seq)); len(sh) < int(i+1)*8 || int64(binary.BigEndian.Uint64(sh[i*8:])) != amount {
			return fmt.Errorf("packet %d grab %d of %d fen is not its share", seq, i, amount)
		}
		var prev uint64
		if i > 0 {
			if prev, _, _, err = v1Grab(grabs.Get(v1GrabKey(seq, i-1))); err != nil {
				return fmt.Errorf("packet %d grab %d: %w", seq, i-1, err)
			}
		}
		return acc.Put(grabKey(user, seq), grabRec{Index: i, At: at, Prev: prev}.marshal())
	})
}

// checkGrabs checks that every schema-1 grab was migrated (its grabber's
// index entry was there).
func checkGrabs(tx data.Tx, from []byte, limit int) ([]byte, error) {
	acc := data.MustBucket(tx, bucketAccounts)
	return data.Walk(tx, v1Grabs, from, limit, func(k, v []byte) error {
		if len(k) != 12 {
			return fmt.Errorf("grab key %x is malformed", k)
		}
		user, _, _, err := v1Grab(v)
		if err != nil || acc.Get(grabKey(user, data.ParseU64(k))) == nil {
			return fmt.Errorf("packet %d grab %d (user %d) is not in the user index (%v)", data.ParseU64(k), binary.BigEndian.Uint32(k[8:]), user, err)
		}
		return nil
	})
}

// migrateStates writes each packet's state in its two schema-2 records,
// with its last grabber, into the new buckets (the states bucket takes
// over the sequence).
func migrateStates(tx data.Tx, from []byte, limit int) ([]byte, error) {
	old := tx.Bucket(v1Packets)
	if old == nil {
		return nil, nil
	}
	states := data.AppendBucket(tx, bucketPackets)
	if from == nil {
		if err := states.SetSequence(old.Sequence()); err != nil {
			return nil, err
		}
	}
	grabs := tx.Bucket(v1Grabs)
	return data.Walk(tx, v1Packets, from, limit, func(k, v []byte) error {
		seq := data.ParseU64(k)
		var st state
		if err := st.unmarshalV1(v); err != nil {
			return fmt.Errorf("packet %d: %w", seq, err)
		}
		if st.Next > 0 {
			var err error
			if grabs == nil {
				return fmt.Errorf("packet %d: %d grabs but no grab records", seq, st.Next)
			}
			if st.Last, _, _, err = v1Grab(grabs.Get(v1GrabKey(seq, st.Next-1))); err != nil {
				return fmt.Errorf("packet %d grab %d: %w", seq, st.Next-1, err)
			}
		}
		return newState(tx, seq, &st)
	})
}

// migrateLedger appends each schema-1 ledger row (keys user ‖ seq, so a
// user's rows come together, oldest first) to the ledger log under the
// same seq, so cursors handed out before stay valid, linked to the user's
// previous row; after a user's last row it writes the wallet, whose
// balance must be that row's balance_after.
func migrateLedger(tx data.Tx, from []byte, limit int) ([]byte, error) {
	old := tx.Bucket(v1Ledger)
	if old == nil {
		return nil, nil
	}
	log, acc := data.AppendBucket(tx, bucketLedgerLog), data.MustBucket(tx, bucketAccounts)
	if from == nil {
		if err := log.SetSequence(old.Sequence()); err != nil {
			return nil, err
		}
	}
	var balances data.Bucket = tx.Bucket(v1Wallets)
	var prevUser, prevSeq uint64
	if from != nil { // the row before the chunk's first, if the same user's
		c := old.Cursor()
		c.Seek(from)
		if pk, _ := c.Prev(); len(pk) == 16 {
			prevUser, prevSeq = data.ParseU64(pk), data.ParseU64(pk[8:])
		}
	}
	peek := old.Cursor()
	return data.Walk(tx, v1Ledger, from, limit, func(k, v []byte) error {
		if len(k) != 16 {
			return fmt.Errorf("ledger key %x is malformed", k)
		}
		user, seq := data.ParseU64(k), data.ParseU64(k[8:])
		var e LedgerEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("user %d ledger row %d: %w", user, seq, err)
		}
		refSeq, refTag, ok := data.DecodeID(e.Ref)
		kind := code(ledgerKinds, e.Kind)
		if !ok || kind == 0 {
			return fmt.Errorf("user %d ledger row %d: kind %q, ref %q not understood", user, seq, e.Kind, e.Ref)
		}
		row := ledgerRow{User: user, Kind: kind, Delta: e.Delta, BalanceAfter: e.BalanceAfter, At: e.At.UnixNano(), RefSeq: refSeq, RefTag: refTag}
		if prevUser == user {
			row.Prev = prevSeq
		}
		prevUser, prevSeq = user, seq
		if err := log.Put(data.U64(seq), row.marshal()); err != nil {
			return err
		}
		// The user's last row?
		if nk, _ := peek.Seek(data.Key(data.U64(user), data.U64(seq+1))); nk != nil && len(nk) >= 8 && data.ParseU64(nk) == user {
			return nil
		}
		var bal int64
		if balances != nil {
			bal = getInt(balances, data.U64(user))
		}
		if bal != row.BalanceAfter {
			return fmt.Errorf("user %d: balance %d, but the newest ledger row says %d", user, bal, row.BalanceAfter)
		}
		return acc.Put(walletKey(user), wallet{Balance: bal, Last: seq}.marshal())
	})
}

// checkWallets checks that every schema-1 wallet is migrated: a user with
// a balance has a ledger, hence a wallet now with the same balance.
func checkWallets(tx data.Tx, from []byte, limit int) ([]byte, error) {
	return data.Walk(tx, v1Wallets, from, limit, func(k, v []byte) error {
		user, bal := data.ParseU64(k), int64(0)
		if len(v) == 8 {
			bal = int64(binary.BigEndian.Uint64(v))
		}
		w, err := loadWallet(tx, user)
		if err != nil {
			return err
		}
		if w.Balance != bal {
			return fmt.Errorf("user %d: balance %d has no ledger (migrated balance %d)", user, bal, w.Balance)
		}
		return nil
	})
}
