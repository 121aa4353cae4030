package web

import (
	"slices"
	"testing"

	"luckbox/lottery"
)

// TestAdminStats: joins, grabs and paid top-ups show up in the current
// minute of their series, the money totals follow the top-up, the window
// is checked, and only the admin may ask.
func TestAdminStats(t *testing.T) {
	h := newHarness(t, allFeatures...)
	alice, _ := h.login("alice")
	bob, _ := h.login("bob")
	type stats struct {
		WindowMinutes int `json:"window_minutes"`
		Series        struct {
			Joins, Grabs, Topups []uint64
		}
		Money struct {
			PaidIn  int64 `json:"paid_in"`
			Held    int64 `json:"held"`
			PaidOut int64 `json:"paid_out"`
		}
	}
	get := func(query string) stats {
		t.Helper()
		r := h.do("GET", "/api/v1/admin/stats"+query, testAdminToken, nil)
		wantStatus(t, r, 200, "")
		var s stats
		r.JSON(t, &s)
		return s
	}
	if s := get(""); s.WindowMinutes != 60 || len(s.Series.Joins) != 60 || slices.Max(s.Series.Joins) != 0 || s.Money.PaidIn != 0 {
		t.Fatalf("fresh server: %+v", s)
	}

	l := h.createLottery(t, alice, manualLottery(lottery.Prize{Name: "P", Quantity: 1}))
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+l.ID+"/entries", alice, nil), 201, "")
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+l.ID+"/entries", bob, nil), 201, "")
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+l.ID+"/entries", bob, nil), 200, "") // again: no new entry
	h.topup(alice, 500)
	r := h.do("POST", "/api/v1/packets", alice, map[string]any{"kind": "lucky", "count": 2, "amount": 200})
	wantStatus(t, r, 201, "")
	var p struct{ ID string }
	r.JSON(t, &p)
	wantStatus(t, h.do("POST", "/api/v1/packets/"+p.ID+"/grabs", bob, nil), 201, "")

	s := get("?window=5m")
	last := func(xs []uint64) uint64 { return xs[len(xs)-1] + xs[len(xs)-2] } // the test may straddle a minute
	if s.WindowMinutes != 5 || len(s.Series.Grabs) != 5 || last(s.Series.Joins) != 2 || last(s.Series.Grabs) != 1 || last(s.Series.Topups) != 1 {
		t.Fatalf("after 2 joins, 1 grab, 1 top-up: %+v", s)
	}
	if s.Money.PaidIn != 500 || s.Money.Held != 500 || s.Money.PaidOut != 0 {
		t.Fatalf("money %+v, want 500 in and held", s.Money)
	}
	for _, bad := range []string{"0m", "30s", "90s", "25h", "abc", "-5m"} {
		wantStatus(t, h.do("GET", "/api/v1/admin/stats?window="+bad, testAdminToken, nil), 400, "invalid_argument")
	}
	wantStatus(t, h.do("GET", "/api/v1/admin/stats", alice, nil), 403, "forbidden")
}
