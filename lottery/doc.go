// Package lottery runs luckbox's lotteries and gift exchanges: events, entries,
// prizes, the draw, the fairness proof anyone can check, and the secret-santa
// matching of a gift exchange (a matching is a kind of draw).
//
// The draw (Draw, Proof) and the matching (Match) are pure functions of their
// inputs: they do no I/O, read no clock and take their randomness from the
// caller, so they are tested without a database and can be re-run by anyone.
package lottery
