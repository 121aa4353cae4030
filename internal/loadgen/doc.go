// Package loadgen is luckbox's load generator: an HTTP client of the public
// API (see API.md) that sets up users, wallets, red packets, lotteries and
// gift exchanges, drives them with many keep-alive clients at once, measures
// throughput and latency percentiles, and checks afterwards that nothing was
// lost, duplicated or miscounted.
//
// `luckbox bench` is its command-line front end; the crash test of the main
// package uses its client and its child-process helper.
package loadgen
