package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestRunTotal(t *testing.T) {
	var mu sync.Mutex
	seen := map[int64]bool{}
	res := Run(context.Background(), Load{Workers: 4, Total: 100}, func(_ context.Context, w int, n int64) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if seen[n] {
			return "", fmt.Errorf("step %d twice", n)
		}
		seen[n] = true
		switch {
		case n%10 == 0:
			return "", errors.New("boom")
		case n%2 == 0:
			return "even", nil
		}
		return "odd", nil
	})
	if len(seen) != 100 || res.Count("odd") != 50 || res.Count("even") != 40 || res.Errors != 10 || res.Count("error") != 10 {
		t.Fatalf("seen %d, odd %d even %d errors %d/%d", len(seen), res.Count("odd"), res.Count("even"), res.Errors, res.Count("error"))
	}
	if res.All.Count() != 100 || len(res.ErrorSamples) != maxErrorSamples || res.ErrorSamples[0] != "boom" {
		t.Errorf("all %d, samples %q", res.All.Count(), res.ErrorSamples)
	}
	if got := res.Names(); fmt.Sprint(got) != "[even odd error]" {
		t.Errorf("names %v", got)
	}
}

func TestRunStopsAtErrStop(t *testing.T) {
	res := Run(context.Background(), Load{Workers: 3, Duration: time.Minute}, func(_ context.Context, _ int, n int64) (string, error) {
		if n >= 30 {
			return "", ErrStop
		}
		return "ok", nil
	})
	if !res.Stopped || res.Count("ok") != 30 || res.Errors != 0 {
		t.Fatalf("stopped %v ok %d errors %d", res.Stopped, res.Count("ok"), res.Errors)
	}
}

func TestRunDuration(t *testing.T) {
	res := Run(context.Background(), Load{Workers: 2, Duration: 30 * time.Millisecond}, func(context.Context, int, int64) (string, error) {
		time.Sleep(time.Millisecond)
		return "ok", nil
	})
	if res.Elapsed < 30*time.Millisecond || res.Count("ok") == 0 || res.Stopped {
		t.Fatalf("elapsed %s ok %d stopped %v", res.Elapsed, res.Count("ok"), res.Stopped)
	}
}

func TestParallelReturnsFirstError(t *testing.T) {
	err := parallel(context.Background(), 100, 4, func(_ context.Context, i int) error {
		if i == 7 {
			return errors.New("seven")
		}
		return nil
	})
	if err == nil || err.Error() != "seven" {
		t.Fatalf("err %v", err)
	}
	count := 0
	var mu sync.Mutex
	if err := parallel(context.Background(), 50, 8, func(context.Context, int) error { mu.Lock(); count++; mu.Unlock(); return nil }); err != nil || count != 50 {
		t.Fatalf("err %v count %d", err, count)
	}
}
