package web

import (
	"fmt"
	"strings"
	"testing"

	"luckbox/lottery"
)

func TestAdminLotteriesList(t *testing.T) {
	h := newHarness(t, withLotteries)
	token, _ := h.login("admin-list-creator")
	var ids []string
	for i := range 5 {
		body := manualLottery(lottery.Prize{Name: "奖", Quantity: 1})
		body["title"] = fmt.Sprintf("L%d", i)
		ids = append(ids, h.createLottery(t, token, body).ID)
	}
	// Users may not list everything.
	wantStatus(t, h.do("GET", "/api/v1/admin/lotteries", token, nil), 403, "forbidden")
	wantStatus(t, h.do("GET", "/api/v1/admin/lotteries", "", nil), 401, "unauthenticated")
	wantStatus(t, h.do("GET", "/api/v1/admin/lotteries?cursor=nope", testAdminToken, nil), 400, "invalid_argument")

	var got []string
	cursor := ""
	for page := 0; page < 10; page++ {
		r := h.do("GET", "/api/v1/admin/lotteries?limit=2&cursor="+cursor, testAdminToken, nil)
		wantStatus(t, r, 200, "")
		if strings.Contains(string(r.Body), `"seed":"`) {
			t.Fatalf("admin list reveals a seed before the draw: %s", r.Body)
		}
		var out struct {
			Items      []lottery.Lottery
			NextCursor string `json:"next_cursor"`
		}
		r.JSON(t, &out)
		for _, l := range out.Items {
			got = append(got, l.ID)
		}
		if out.NextCursor == "" {
			break
		}
		cursor = out.NextCursor
	}
	want := []string{ids[4], ids[3], ids[2], ids[1], ids[0]}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("admin list over pages of 2 = %v, want newest first %v", got, want)
	}
}
