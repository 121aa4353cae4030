package packet

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
)

// SplitLucky splits amount fen into count random shares of at least 1 fen each
// for a lucky red packet, by the double-average method: every share but the
// last is uniform in [1, 2 × remaining/remainingCount] (integer division),
// lowered if needed so every later share can still get 1 fen, and the last
// share takes what is left. The list is then shuffled (Fisher–Yates), because
// the double-average method gives later shares more spread: after the shuffle
// every grab position has the same distribution and expected amount,
// amount/count.
//
// Callers pass rand.New(rand.NewChaCha8(seed)) with a seed from crypto/rand.
// It returns an error if count < 1, amount < count or rng is nil.
func SplitLucky(amount int64, count int, rng *rand.Rand) ([]int64, error) {
	shares, err := splitOrdered(amount, count, rng)
	if err != nil {
		return nil, err
	}
	for i := len(shares) - 1; i > 0; i-- {
		j := rng.IntN(i + 1)
		shares[i], shares[j] = shares[j], shares[i]
	}
	return shares, nil
}

// splitOrdered returns the double-average shares in the order drawn.
func splitOrdered(amount int64, count int, rng *rand.Rand) ([]int64, error) {
	switch {
	case count < 1:
		return nil, fmt.Errorf("split lucky packet: count %d, want at least 1", count)
	case amount < int64(count):
		return nil, fmt.Errorf("split lucky packet: %d fen cannot give %d shares at least 1 fen each", amount, count)
	case rng == nil:
		return nil, errors.New("split lucky packet: nil random generator")
	}
	shares := make([]int64, count)
	remaining := amount
	for i := range count - 1 {
		left := int64(count - i) // shares still to draw, this one included
		// 2 × remaining / left without overflowing for huge amounts.
		q, r := remaining/left, remaining%left
		hi := 2*q + 2*r/left
		hi = min(hi, remaining-(left-1)) // leave 1 fen for each later share
		// remaining ≥ left holds throughout, so hi ≥ 1.
		shares[i] = 1 + rng.Int64N(hi)
		remaining -= shares[i]
	}
	shares[count-1] = remaining
	return shares, nil
}

// SplitCommit returns the commitment to a split list that a lucky packet
// publishes when it is created:
//
//	SHA-256(salt ‖ decimal(shares[0]) "," decimal(shares[1]) "," … decimal(shares[n-1]))
//
// salt is 32 random bytes (raw, not hex), and each share is written in base-10
// ASCII digits without padding or spaces, joined by "," with no trailing comma
// (e.g. "12,1,387").
// The salt is revealed together with the list, so anyone can check the
// commitment afterwards, while before that nobody can recover a small split
// from the hash by trying every possible list.
func SplitCommit(salt [32]byte, shares []int64) [32]byte {
	buf := make([]byte, 0, len(salt)+len(shares)*6)
	buf = append(buf, salt[:]...)
	for i, s := range shares {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendInt(buf, s, 10)
	}
	return sha256.Sum256(buf)
}
