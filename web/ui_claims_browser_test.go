package web

import (
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"luckbox/lottery"
)

// TestBrowserClaimWindow drives the claim form of a lottery with a claim
// window in headless chromium: the winner sees the form with its countdown
// and claims; with the page's clock moved past the deadline the countdown
// says claiming has closed and the form cannot be sent; after the server's
// (injected) clock passes the deadline and the redraw runs, the winner who
// did not claim sees the lapse, and the creator sees who claimed, who
// lapsed and who was redrawn. No step waits for the window: both clocks are
// moved.
func TestBrowserClaimWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short: skipped with -short")
	}
	b := startBrowser(t)
	h := newHarness(t, allFeatures...)
	h.clock.Set(time.Now().UTC()) // the page's countdown runs on the browser's clock
	creator, _ := h.login("cw-creator")
	body := manualLottery(lottery.Prize{Name: "一等奖", Quantity: 1}, lottery.Prize{Name: "二等奖", Quantity: 1})
	body["claim_window_seconds"] = 120
	body["redraw_rounds"] = 1
	l := h.createLottery(t, creator, body)
	openids := map[string]string{}
	for i := range 5 {
		openid := "cw-" + strconv.Itoa(i)
		tok, id := h.login(openid)
		openids[id] = openid
		wantStatus(t, h.do("POST", "/api/v1/lotteries/"+l.ID+"/entries", tok, nil), 201, "")
	}
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+l.ID+"/draw", creator, nil), 200, "")
	p := h.proof(t, creator, l.ID)
	claimer, lapser := p.Winners[0].UserID, p.Winners[1].UserID

	a := b.newTab(t, "claimer", h.ts.URL)
	a.login(openids[claimer], "en")
	a.route("#/lottery/" + l.ID)
	a.waitVisible("#claim-form")
	a.waitText("#claim-countdown", "left to claim")
	if left, _ := strconv.Atoi(a.attr("#claim-countdown", "data-left")); left < 1 || left > 120 {
		t.Fatalf("countdown shows %d s left of a 120 s window", left)
	}
	a.waitText("#lottery-claim-window", "Claim within")
	a.fill("#claim-name", "张三")
	a.fill("#claim-phone", "13800000000")
	a.fill("#claim-address", "上海市")
	a.click("#claim-submit")
	a.waitText("#claim-form", "Sent.")
	a.shot("claim-form")
	// The page's clock passes the deadline: the form closes by itself.
	eval[chromedp.Void](a, `(() => { const now = Date.now; Date.now = () => now() + 121000; })()`)
	a.waitText("#claim-countdown", "Claiming has closed")
	a.waitFor("the submit button disabled", `document.querySelector('#claim-submit').disabled`)

	h.clock.Add(121 * time.Second)
	h.db.Poke()
	waitFor(t, "the redraw", func() bool { return len(h.proof(t, creator, l.ID).Redraws) == 1 })
	redrawn := h.proof(t, creator, l.ID).Redraws[0].Winners[0].UserID

	bt := b.newTab(t, "lapsed", h.ts.URL)
	bt.login(openids[lapser], "en")
	eval[chromedp.Void](bt, `(() => { const now = Date.now; Date.now = () => now() + 121000; })()`)
	bt.route("#/lottery/" + l.ID)
	bt.waitText("#claim-lapsed", "was redrawn")
	if bt.attr("#claim-form", "id") != "" {
		t.Fatal("a lapsed winner still sees the claim form")
	}
	bt.route("#/inbox")
	bt.waitText(`li[data-kind="lottery_claim_lapsed"]`, "Claim lapsed")

	c := b.newTab(t, "creator", h.ts.URL)
	c.login("cw-creator", "en")
	eval[chromedp.Void](c, `(() => { const now = Date.now; Date.now = () => now() + 121000; })()`)
	c.route("#/lottery/" + l.ID)
	c.waitFor("three winners", `document.querySelectorAll('#lottery-winners li').length === 3`)
	status := func(user string) string {
		return c.attr(`#lottery-winners li[data-user="`+user+`"] [data-status]`, "data-status")
	}
	if s := [3]string{status(claimer), status(lapser), status(redrawn)}; s != [3]string{"claimed", "lapsed", "pending"} {
		t.Fatalf("creator sees statuses %v, want claimed, lapsed, pending", s)
	}
	if r := c.attr(`#lottery-winners li[data-user="`+redrawn+`"] [data-round]`, "data-round"); r != "1" {
		t.Fatalf("redraw winner's round %q", r)
	}
	c.shot("claim-statuses")
}
