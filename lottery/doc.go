// Package lottery runs luckbox's lotteries: events, entries, prizes, the draw,
// the fairness proof anyone can check, prize claims and result notifications.
//
// The draw (Draw, DrawPicks, Proof) is a pure function of its inputs: it does
// no I/O, reads no clock and takes its randomness from the caller's seed, so
// it is tested without a database and can be re-run by anyone.
package lottery
