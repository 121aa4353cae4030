package main

import "math/rand/v2"

// splitLucky splits amount fen into count shares of at least 1 fen by the
// double-average method luckbox uses: every share but the last is uniform in
// [1, 2 × remaining/left], lowered so every later share can still get 1 fen,
// the last takes the rest; then the list is shuffled so every grab position
// has the same distribution. The caller checks 1 ≤ count ≤ amount.
func splitLucky(amount int64, count int) []int64 {
	shares := make([]int64, count)
	remaining := amount
	for i := range count - 1 {
		left := int64(count - i)
		q, r := remaining/left, remaining%left
		hi := min(2*q+2*r/left, remaining-(left-1))
		shares[i] = 1 + rand.Int64N(hi)
		remaining -= shares[i]
	}
	shares[count-1] = remaining
	rand.Shuffle(len(shares), func(i, j int) { shares[i], shares[j] = shares[j], shares[i] })
	return shares
}
