package stattest

import (
	"math"
	"testing"
)

func TestChi999(t *testing.T) {
	for df, want := range map[int]float64{1: 10.828, 3: 16.266, 9: 27.877, 19: 43.820, 23: 49.728, 59: 98.324} {
		if got := Chi999(df); math.Abs(got-want) > 0.001 {
			t.Errorf("Chi999(%d) = %.4f, want %.3f", df, got, want)
		}
	}
}
