package packet

import (
	"encoding/binary"
	"luckbox/data"
)

// The buckets of this package (schema 2). Numbers in keys are 8-byte
// big-endian (data.U64) unless noted, so cursors scan them in order; "‖" is
// concatenation.
//
// The layout is made for what a grab writes. A B+tree commit rewrites every
// page it touched, so a grab writes one page for its user (the wallet and
// the grab record sit together under the user's seq, with the sent
// packets), a share of a page for its packet (the small fixed-size states
// of all packets are packed together) and a share of the tail page of the
// ledger log (every ledger row is appended there). A packet's grabs are not
// stored under the packet: each grab record names the previous grabber, so
// the packet's state (which names the last one) heads a chain through its
// grabbers' records. See BENCHMARKS.md for the measurements.
var (
	// bucketAccounts holds, under each user's seq:
	//
	//	user                     → wallet: balance (8, two's complement) ‖ seq of the newest ledger row (8)
	//	user ‖ 'r' ‖ packet seq  → the user's grab: index (4) ‖ time (8, Unix ns) ‖ previous grabber's seq (8; 0 for the first)
	//	user ‖ 's' ‖ packet seq  → nothing: a packet the user sent
	bucketAccounts = []byte("accounts")
	// bucketLedgerLog: ledger seq → ledger row (see ledgerRow): every balance
	// change of every user, append-only; each row names its user and that
	// user's previous row, so a user's ledger is a chain from the wallet.
	bucketLedgerLog = []byte("ledger_log")
	// bucketCounters: name → int64 (money in and out, for the audit).
	bucketCounters = []byte("packet_counters")
	// bucketPackets: packet seq → what changes of the packet's state (47
	// bytes, binary; see state.go): every grab rewrites it.
	bucketPackets = []byte("packet_states")
	// bucketPacketFixed: packet seq → what is fixed of the packet's state at
	// creation (62 bytes, binary): tag, kind, sender, count, amount, times.
	bucketPacketFixed = []byte("packet_fixed")
	// bucketPacketInfo: packet seq → the packet's cold record JSON (greeting,
	// split commitment, ...), written when the packet is created.
	bucketPacketInfo = []byte("packet_info")
	// bucketShares: packet seq → the share list (count × 8 bytes), written once.
	bucketShares = []byte("packet_shares")
	// bucketOrders: order seq → payment order JSON.
	bucketOrders = []byte("pay_orders")
	// bucketOrdersByNo: out_trade_no → order seq.
	bucketOrdersByNo = []byte("pay_orders_by_no")
	// bucketPacketGroups: packet seq → the openGId of the WeChat group a
	// group-only packet is restricted to (no key: open to everyone).
	// Written once at creation; new in schema 2, created empty at open.
	bucketPacketGroups = []byte("packet_groups")
)

// Buckets lists the buckets this package uses; pass them to data.Open.
var Buckets = [][]byte{
	bucketAccounts, bucketLedgerLog, bucketCounters,
	bucketPackets, bucketPacketFixed, bucketPacketInfo, bucketShares,
	bucketOrders, bucketOrdersByNo, bucketRefunds, bucketRefundsByNo, bucketReconcile,
	bucketWithdrawals, bucketWithdrawalsByNo, bucketWithdrawalsByUser,
	bucketPacketGroups,
}

// Due and outbox kinds of this package.
const (
	dueExpire   = "packet.expire"    // ref: packet seq
	duePayQuery = "packet.pay_query" // ref: order seq
)

// Kinds of the records under a user in bucketAccounts.
const (
	roleReceived = 'r' // a grab (the packets a user received)
	roleSent     = 's' // a packet the user sent
)

// walletKey, grabKey and sentKey are the keys of bucketAccounts.
func walletKey(user uint64) []byte { return data.U64(user) }

func grabKey(user, packet uint64) []byte { return userPacketKey(user, roleReceived, packet) }

func sentKey(user, packet uint64) []byte { return userPacketKey(user, roleSent, packet) }

func userPacketKey(user uint64, role byte, packet uint64) []byte {
	k := make([]byte, 0, 17)
	k = binary.BigEndian.AppendUint64(k, user)
	k = append(k, role)
	return binary.BigEndian.AppendUint64(k, packet)
}
