// Package stattest holds the statistics that the fairness tests of the draw,
// the split and the matching share: the chi-square statistic and its 99.9%
// quantile, so a test fails on a real bias and almost never by chance.
package stattest

import "math"

// Chi999 returns the 99.9% quantile of the chi-square distribution with df
// degrees of freedom, by bisection on its CDF (the regularized lower
// incomplete gamma function, summed as a series). Chi999(19) = 43.820.
func Chi999(df int) float64 {
	cdf := func(x float64) float64 {
		s, z := float64(df)/2, x/2
		term := 1 / s
		sum := term
		for n := 1.0; term > 1e-17*sum; n++ {
			term *= z / (s + n)
			sum += term
		}
		lg, _ := math.Lgamma(s)
		return sum * math.Exp(-z+s*math.Log(z)-lg)
	}
	lo, hi := 0.0, 1000.0
	for range 200 {
		mid := (lo + hi) / 2
		if cdf(mid) < 0.999 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// ChiSquare returns Σ (observed − expected)² / expected.
func ChiSquare(observed []float64, expected float64) float64 {
	x := 0.0
	for _, o := range observed {
		x += (o - expected) * (o - expected) / expected
	}
	return x
}
