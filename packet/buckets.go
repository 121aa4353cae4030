package packet

// The buckets of this package. Numbers in keys are 8-byte big-endian (data.U64)
// unless noted, so cursors scan them in order.
var (
	// bucketWallets: user seq → balance (8-byte big-endian two's complement).
	bucketWallets = []byte("wallets")
	// bucketLedger: user seq ‖ ledger seq → ledger row JSON (append-only).
	bucketLedger = []byte("ledger")
	// bucketCounters: name → int64 (money in and out, for the audit).
	bucketCounters = []byte("packet_counters")
	// bucketPackets: packet seq → the packet's hot state (small, binary; see state.go).
	bucketPackets = []byte("packets")
	// bucketPacketInfo: packet seq → the packet's cold record JSON (greeting,
	// split commitment, ...), written when the packet is created.
	bucketPacketInfo = []byte("packet_info")
	// bucketShares: packet seq → the share list (count × 8 bytes), written once.
	bucketShares = []byte("packet_shares")
	// bucketGrabs: packet seq ‖ grab index (4 bytes) → grab record (append-only).
	bucketGrabs = []byte("packet_grabs")
	// bucketGrabbers: packet seq ‖ user seq → grab index (4 bytes).
	bucketGrabbers = []byte("packet_grabbers")
	// bucketUserPackets: user seq ‖ role ('s' sent, 'r' received) ‖ packet seq → nothing.
	bucketUserPackets = []byte("packets_by_user")
	// bucketOrders: order seq → payment order JSON.
	bucketOrders = []byte("pay_orders")
	// bucketOrdersByNo: out_trade_no → order seq.
	bucketOrdersByNo = []byte("pay_orders_by_no")
)

// Buckets lists the buckets this package uses; pass them to data.Open.
var Buckets = [][]byte{
	bucketWallets, bucketLedger, bucketCounters,
	bucketPackets, bucketPacketInfo, bucketShares, bucketGrabs, bucketGrabbers, bucketUserPackets,
	bucketOrders, bucketOrdersByNo,
}

// Due and outbox kinds of this package.
const (
	dueExpire   = "packet.expire"    // ref: packet seq
	duePayQuery = "packet.pay_query" // ref: order seq
)
