// Package packet runs luckbox's money: wallets, the ledger, red packets and
// their grabs, expiry refunds and payment orders.
//
// Amounts are int64 fen (0.01 yuan). Splitting a lucky packet (SplitLucky,
// SplitCommit) is a pure function of its inputs and a caller-seeded generator,
// tested without a database.
package packet
