// Package packet runs luckbox's money: wallets, the ledger, red packets and
// their grabs, expiry refunds and payment orders.
//
// Amounts are int64 fen (0.01 yuan). Splitting a lucky packet (SplitLucky,
// SplitCommit) is a pure function of its inputs and a caller-seeded generator,
// tested without a database.
//
// Money flows. Money enters only through paid WeChat Pay orders (the money-in
// counter): a top-up credits the payer's balance; a WeChat-paid packet goes
// straight into escrow. A packet paid from the balance moves its amount from
// the sender's balance into escrow. A grab moves a share from escrow to the
// receiver's balance; an expiry moves the remainder back to the sender's
// balance. Every balance change is a ledger row written in the same
// transaction, so at any moment
//
//	sum of balances + escrow == money in − money out
//
// where escrow is the remaining amount of every funded packet. Audit checks it
// together with the per-packet and per-wallet invariants.
//
// Storage. A packet's hot state (status, counters, the next share index) is a
// ~100-byte binary record rewritten by each grab; its share list, its grabs
// (packet ‖ grab index) and its grabbers (packet ‖ user → index) live under
// their own keys, so a grab on a hot packet writes a few small records. A
// grab of a pending packet (reported paid, notification not in) is recorded
// but credited only when the payment is applied; the state's Credited counter
// says how many grabs, in order, were credited.
//
// Every write is one data.Op: it reads, decides and writes in one
// transaction, rejects before writing, and is safe to run twice.
package packet
