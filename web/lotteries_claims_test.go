package web

import (
	"encoding/json"
	"testing"
	"time"

	"luckbox/lottery"
	"luckbox/wechat/fake"
)

// TestLotteryClaimWindowRedraw, over HTTP against the fake: a winner's
// claim within the window is accepted; at the deadline a claim is refused
// (410); the scheduler closes the window once, redraws the lapsed prizes
// among entrants who never won with the seed committed at the draw, and the
// proof of the whole chain holds (and fails when a redraw winner is swapped
// for an earlier winner); redraw winners get one inbox item and one
// subscribe message, lapsed winners one inbox item; the creator's winners
// list says who claimed, lapsed and was redrawn.
func TestLotteryClaimWindowRedraw(t *testing.T) {
	h := newHarness(t, withLotteries)
	creator, _ := h.login("creator")
	body := manualLottery(lottery.Prize{Name: "一等奖", Quantity: 1}, lottery.Prize{Name: "二等奖", Quantity: 1})
	body["claim_window_seconds"] = 120
	body["redraw_rounds"] = 1
	l := h.createLottery(t, creator, body)
	if l.ClaimWindow == nil || l.ClaimWindow.Seconds != 120 || l.ClaimWindow.RedrawRounds != 1 || l.ClaimWindow.Deadline != nil {
		t.Fatalf("claim_window at creation: %+v", l.ClaimWindow)
	}
	base := "/api/v1/lotteries/" + l.ID
	users := h.loginAll(t, "cw", 8)
	byID := map[string]testUser{}
	for _, u := range users {
		wantStatus(t, h.do("POST", "/_fake/wechat/subscribe", "", map[string]any{"openid": u.OpenID, "template_id": fake.TemplateLotteryResult, "count": 3}), 200, "")
		wantStatus(t, h.do("POST", "/api/v1/me/subscriptions", u.Token, map[string]any{"template_id": fake.TemplateLotteryResult, "count": 3}), 200, "")
		wantStatus(t, h.do("POST", base+"/entries", u.Token, nil), 201, "")
		byID[u.ID] = u
	}
	wantStatus(t, h.do("POST", base+"/draw", creator, nil), 200, "")
	p := h.proof(t, creator, l.ID)
	l = h.getLottery(t, creator, l.ID)
	if l.ClaimWindow.Deadline == nil || len(l.ClaimWindow.Redraws) != 1 || l.ClaimWindow.Redraws[0].Seed != nil {
		t.Fatalf("claim_window after the draw: %+v", l.ClaimWindow)
	}
	committed := l.ClaimWindow.Redraws[0].SeedHash
	claimer, lapser := byID[p.Winners[0].UserID], byID[p.Winners[1].UserID]
	details := map[string]string{"name": "张三", "phone": "13800000000", "address": "上海"}
	wantStatus(t, h.do("POST", base+"/claim", claimer.Token, details), 201, "")
	me := h.getLottery(t, lapser.Token, l.ID).Me
	if me == nil || me.ClaimStatus == nil || *me.ClaimStatus != lottery.ClaimPending || me.ClaimDeadline == nil || !me.ClaimDeadline.Equal(*l.ClaimWindow.Deadline) {
		t.Fatalf("me before the deadline: %+v", me)
	}

	h.clock.Add(120 * time.Second)
	wantStatus(t, h.do("POST", base+"/claim", lapser.Token, details), 410, "expired")
	h.db.Poke()
	waitFor(t, "the redraw", func() bool { return len(h.proof(t, creator, l.ID).Redraws) == 1 })
	p = h.proof(t, creator, l.ID)
	if err := p.VerifyAgainst(lottery.Commitment{LotteryID: l.ID, SeedHash: l.Fairness.SeedHash}); err != nil {
		t.Fatalf("the chain does not verify: %v", err)
	}
	rd := p.Redraws[0]
	if rd.SeedHash != committed || len(rd.Lapsed) != 1 || rd.Lapsed[0] != lapser.ID || len(rd.Winners) != 1 || rd.Winners[0].Prize != p.Winners[1].Prize {
		t.Fatalf("redraw = %+v", rd)
	}
	redrawn := byID[rd.Winners[0].UserID]
	if redrawn.ID == claimer.ID || redrawn.ID == lapser.ID {
		t.Fatalf("an earlier winner was redrawn: %s", redrawn.ID)
	}
	// A tampered chain: the redraw "won" by an earlier winner.
	bad := p
	bad.Redraws = []lottery.RedrawProof{rd}
	bad.Redraws[0].Winners = []lottery.Winner{{UserID: claimer.ID, Prize: rd.Winners[0].Prize}}
	raw, _ := json.Marshal(bad)
	parsed, err := lottery.ParseProof(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := parsed.Verify(); err == nil {
		t.Fatal("a redraw won by an earlier winner verifies")
	}

	// The scheduler ran the close once: nobody is told twice, even if it is poked again.
	h.db.Poke()
	h.clock.Add(time.Second)
	h.db.Poke()
	waitFor(t, "the redraw winner's subscribe message", func() bool { return len(h.fake.Messages(redrawn.OpenID)) == 2 })
	if n := inboxKinds(t, h, redrawn.Token, l.ID)[lottery.KindRedrawWon]; n != 1 {
		t.Fatalf("redraw winner has %d redraw items", n)
	}
	if n := inboxKinds(t, h, lapser.Token, l.ID)[lottery.KindClaimLapsed]; n != 1 {
		t.Fatalf("lapsed winner has %d lapse items", n)
	}
	if n := inboxKinds(t, h, claimer.Token, l.ID)[lottery.KindClaimLapsed]; n != 0 {
		t.Fatal("the winner who claimed was told of a lapse")
	}
	// The redraw winner claims within their own window.
	wantStatus(t, h.do("POST", base+"/claim", redrawn.Token, details), 201, "")

	var ws listOf[lottery.WinnerView]
	r := h.do("GET", base+"/winners", creator, nil)
	wantStatus(t, r, 200, "")
	r.JSON(t, &ws)
	got := map[string]string{}
	for _, w := range ws.Items {
		got[w.UserID] = w.Status
		if w.UserID == redrawn.ID && w.Round != 1 {
			t.Fatalf("redraw winner's round %d", w.Round)
		}
	}
	if got[claimer.ID] != "claimed" || got[lapser.ID] != "lapsed" || got[redrawn.ID] != "claimed" || len(ws.Items) != 3 {
		t.Fatalf("winners = %s", r.Body)
	}
}

// inboxKinds counts the inbox items about ref by kind.
func inboxKinds(t *testing.T, h *harness, token, ref string) map[string]int {
	t.Helper()
	r := h.do("GET", "/api/v1/me/inbox", token, nil)
	wantStatus(t, r, 200, "")
	var items listOf[struct{ Kind, Ref string }]
	r.JSON(t, &items)
	out := map[string]int{}
	for _, it := range items.Items {
		if it.Ref == ref {
			out[it.Kind]++
		}
	}
	return out
}

// TestLotteryClaimWindowInput: bad claim_window_seconds and redraw_rounds
// are 400 with the field named.
func TestLotteryClaimWindowInput(t *testing.T) {
	h := newHarness(t, withLotteries)
	creator, _ := h.login("creator")
	for _, c := range []struct {
		window, rounds any
		field          string
	}{{30, nil, "claim_window_seconds"}, {120, 9, "redraw_rounds"}, {nil, 1, "redraw_rounds"}} {
		body := manualLottery(lottery.Prize{Name: "P", Quantity: 1})
		if c.window != nil {
			body["claim_window_seconds"] = c.window
		}
		if c.rounds != nil {
			body["redraw_rounds"] = c.rounds
		}
		r := h.do("POST", "/api/v1/lotteries", creator, body)
		wantStatus(t, r, 400, "invalid_argument")
		var e struct {
			Error struct{ Details []struct{ Field string } }
		}
		r.JSON(t, &e)
		if len(e.Error.Details) != 1 || e.Error.Details[0].Field != c.field {
			t.Fatalf("%v: %s", c, r.Body)
		}
	}
}
