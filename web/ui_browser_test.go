package web

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"luckbox/lottery"
)

// TestBrowserUI drives the demo client and the admin console in headless
// chromium against the real router: every flow of issue 6, with console
// errors treated as failures, and screenshots of the main pages at phone and
// desktop widths saved in a temp folder (its path is printed).
func TestBrowserUI(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short: skipped with -short")
	}
	b := startBrowser(t)
	t.Run("pages", func(t *testing.T) { testUIPages(t, b) })
	t.Run("lottery", func(t *testing.T) { testUILottery(t, b) })
	t.Run("proof", func(t *testing.T) { testUIProof(t, b) })
	t.Run("packet", func(t *testing.T) { testUIPacket(t, b) })
	t.Run("exchange", func(t *testing.T) { testUIExchange(t, b) })
	t.Run("field-errors", func(t *testing.T) { testUIFieldErrors(t, b) })
	t.Run("proof-words", func(t *testing.T) { testUIProofWords(t, b) })
	t.Run("docs", func(t *testing.T) { testUIDocs(t, b) })
	t.Run("admin-charts", func(t *testing.T) { testUIAdminCharts(t, b) })
	t.Run("withdraw", func(t *testing.T) { testUIWithdraw(t, b) })
}

// testUIPages checks the serving of the pages: content types, cache
// headers, the CSP, and that a missing asset is a 404.
func testUIPages(t *testing.T, b *testBrowser) {
	h := newHarness(t, allFeatures...)
	for _, c := range []struct{ path, ctype string }{
		{"/", "text/html"}, {"/admin", "text/html"}, {"/static/app.css", "text/css"},
		{"/static/js/app.js", "text/javascript"}, {"/static/icon.svg", "image/svg+xml"},
	} {
		r := h.do("GET", c.path, "", nil)
		wantStatus(t, r, 200, "")
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, c.ctype) {
			t.Errorf("%s: Content-Type %q, want %s", c.path, ct, c.ctype)
		}
		if r.Header.Get("Cache-Control") != "no-cache" || r.Header.Get("ETag") == "" {
			t.Errorf("%s: Cache-Control %q, ETag %q", c.path, r.Header.Get("Cache-Control"), r.Header.Get("ETag"))
		}
		again := h.do("GET", c.path, "", nil, "If-None-Match", r.Header.Get("ETag"))
		wantStatus(t, again, http.StatusNotModified, "")
	}
	if csp := h.do("GET", "/", "", nil).Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	wantStatus(t, h.do("GET", "/static/nope.js", "", nil), 404, "not_found")
	wantStatus(t, h.do("GET", "/static/index.html", "", nil), 404, "not_found")
	wantStatus(t, h.do("GET", "/static/../ui.go", "", nil), 404, "")

	// Every text exists in both languages, and the JavaScript SHA-256 used
	// outside secure contexts agrees with WebCrypto.
	p := b.newTab(t, "pages", h.ts.URL)
	p.open("/?lang=en#/verify")
	missing := eval[[]string](p, `import('/static/js/i18n.js').then((m) => m.missingKeys())`)
	if len(missing) > 0 {
		t.Errorf("texts missing in one language: %v", missing)
	}
	mismatch := eval[[]int](p, `import('/static/js/sha256.js').then(async (m) => {
		const bad = [];
		for (const n of [0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 1000, 4099]) {
			const b = new Uint8Array(n);
			for (let i = 0; i < n; i++) b[i] = (i * 131 + n) & 255;
			const want = new Uint8Array(await crypto.subtle.digest('SHA-256', b));
			if (m.toHex(m.sha256js(b)) !== m.toHex(want)) bad.push(n);
		}
		return bad;
	})`)
	if len(mismatch) > 0 {
		t.Errorf("JavaScript SHA-256 differs from WebCrypto for lengths %v", mismatch)
	}

	// The language follows the browser: Chinese when it prefers zh.
	for _, c := range []struct{ accept, lang, title string }{{"zh-CN,zh;q=0.9", "zh-CN", "选择一个演示用户"}, {"en-GB,en", "en", "Pick a demo user"}} {
		v := b.newTab(t, "visitor-"+c.lang, h.ts.URL)
		ua := eval[string](v, `navigator.userAgent`)
		if _, err := chromedp.Call(v.ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: c.accept}); err != nil {
			t.Fatal(err)
		}
		v.open("/")
		if got, title := eval[string](v, `document.documentElement.lang`), v.text("#view h1"); got != c.lang || title != c.title {
			t.Errorf("Accept-Language %s: page language %q, title %q; want %q, %q", c.accept, got, title, c.lang, c.title)
		}
	}

	// Money is shown as ¥12.34 from fen, and typed yuan become exact fen.
	fmtCases := eval[[]string](p, `import('/static/js/format.js').then((f) => [
		f.money(1234), f.money(5), f.money(-5), f.money(100, {sign: true}), f.money(0),
		...['12', '12.3', '12.34', '¥ 8.88', '0.01', '12.345', 'abc', '-1', '1e3'].map((s) => String(f.parseYuan(s))),
	])`)
	wantFmt := []string{"¥12.34", "¥0.05", "-¥0.05", "+¥1.00", "¥0.00", "1200", "1230", "1234", "888", "1", "NaN", "NaN", "NaN", "NaN"}
	if !slices.Equal(fmtCases, wantFmt) {
		t.Errorf("money formatting: got %q, want %q", fmtCases, wantFmt)
	}

	// The error collection that fails these tests sees console errors,
	// uncaught exceptions and unhandled rejections (and a missing text).
	eval[chromedp.Void](p, `console.error('probe: console error');
		setTimeout(() => { throw new Error('probe: uncaught'); });
		Promise.reject(new Error('probe: rejected'));
		import('/static/js/i18n.js').then((m) => m.t('no.such.key'))`)
	errs := p.waitErrors(4)
	joined := strings.Join(errs, "\n")
	for _, want := range []string{"probe: console error", "probe: uncaught", "probe: rejected", "no text for no.such.key"} {
		if !strings.Contains(joined, want) {
			t.Errorf("console errors %q: %q not collected", errs, want)
		}
	}
}

// uiWinners reads the winners list of a lottery page: "user:prize" in order.
func uiWinners(tb *tab) []string {
	return eval[[]string](tb, `[...document.querySelectorAll('#lottery-winners li')].map((li) => li.dataset.user + ':' + li.dataset.prize)`)
}

// testUILottery: two users in two browser contexts; one creates a lottery,
// the other joins, the creator draws, and both pages show the same winners
// without reloading.
func testUILottery(t *testing.T, b *testBrowser) {
	h := newHarness(t, allFeatures...)
	alice := b.newTab(t, "alice", h.ts.URL)
	alice.login("alice", "zh")
	aliceID := alice.text("#my-id")
	alice.shot("home")

	alice.click(`[data-nav="lotteries"]`)
	alice.waitVisible("#lottery-new")
	alice.click("#lottery-new")
	alice.waitVisible("#lottery-create")
	alice.fill("#new-title", "下午茶抽奖")
	alice.fill("#new-desc", "周五下午三点开奖")
	alice.fill("#prize-rows .prize-row:nth-child(2) .prize-qty", "1") // 一等奖 ×1, 二等奖 ×1
	alice.click("#mode-time")
	alice.shot("lottery-new")
	alice.click("#mode-manual")
	alice.click("#lottery-create")
	alice.waitVisible("#lottery-title")
	id := alice.attr("#lottery", "data-id")
	if id == "" {
		t.Fatal("no lottery id on the detail page")
	}
	alice.waitFor("live", `document.querySelector('#lottery-live.on')`)
	eval[chromedp.Void](alice, `window.__noReload = 'alice'`)

	bob := b.newTab(t, "bob", h.ts.URL)
	bob.login("bob", "en")
	bobID := bob.text("#my-id")
	bob.open("/#/lottery/" + id) // the share link
	bob.waitFor("live", `document.querySelector('#lottery-live.on')`)
	eval[chromedp.Void](bob, `window.__noReload = 'bob'`)
	if got := bob.text("#lottery-title"); got != "下午茶抽奖" {
		t.Fatalf("bob sees title %q", got)
	}
	bob.click("#lottery-join")
	bob.waitVisible("#lottery-joined")
	bob.waitText("#lottery-count", "1")
	alice.waitText("#lottery-count", "1") // live, over SSE

	carolToken, carolID := h.login("carol") // a third participant through the API
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+id+"/entries", carolToken, nil), 201, "")
	alice.waitText("#lottery-count", "2")
	bob.waitText("#lottery-count", "2")
	alice.click("#lottery-join")
	bob.waitText("#lottery-count", "3")
	alice.waitText("#lottery-count", "3")
	bob.shot("lottery-open")

	// Drawing is irreversible: the page asks first. Cancel leaves it open.
	alice.click("#lottery-draw")
	alice.waitVisible("#confirm-dialog")
	if txt := alice.text("#confirm-text"); !strings.Contains(txt, "3") {
		t.Errorf("draw confirmation %q does not say how many take part", txt)
	}
	alice.click("#confirm-cancel")
	alice.waitFor("dialog closed", `!document.querySelector('#confirm-dialog')`)
	if st := h.getLottery(t, carolToken, id).Status; st != "open" {
		t.Fatalf("after Cancel the lottery is %s", st)
	}
	alice.click("#lottery-draw")
	alice.click("#confirm-ok")
	alice.waitFor("winners", `document.querySelectorAll('#lottery-winners li').length === 2`)
	bob.waitFor("winners", `document.querySelectorAll('#lottery-winners li').length === 2`)
	wa, wb := uiWinners(alice), uiWinners(bob)
	var api struct {
		Items []struct {
			UserID string `json:"user_id"`
			Prize  string `json:"prize"`
		} `json:"items"`
	}
	r := h.do("GET", "/api/v1/lotteries/"+id+"/winners", carolToken, nil)
	wantStatus(t, r, 200, "")
	r.JSON(t, &api)
	var want []string
	for _, w := range api.Items {
		want = append(want, w.UserID+":"+w.Prize)
	}
	if !slices.Equal(wa, want) || !slices.Equal(wb, want) {
		t.Fatalf("winners: alice's page %v, bob's page %v, API %v", wa, wb, want)
	}
	if len(want) != 2 || !strings.HasSuffix(want[0], ":一等奖") || !strings.HasSuffix(want[1], ":二等奖") {
		t.Fatalf("winners %v: want 一等奖 then 二等奖", want)
	}
	ids := map[string]bool{aliceID: true, bobID: true, carolID: true}
	prizeOf := map[string]string{}
	for _, w := range want {
		user, prize, _ := strings.Cut(w, ":")
		if !ids[user] {
			t.Fatalf("winner %s is not a participant", user)
		}
		prizeOf[user] = prize
	}
	// Each page tells its reader whether they won, as the API says.
	for _, c := range []struct {
		tab *tab
		id  string
	}{{alice, aliceID}, {bob, bobID}} {
		if got := c.tab.attr("#lottery-my-result", "data-prize"); got != prizeOf[c.id] {
			t.Errorf("%s's page says prize %q, want %q", c.tab.name, got, prizeOf[c.id])
		}
		if got := eval[string](c.tab, `window.__noReload || ''`); got != c.tab.name {
			t.Errorf("%s's page was reloaded (marker %q)", c.tab.name, got)
		}
	}
	alice.shot("lottery-drawn")
	bob.shot("lottery-drawn-en")
	// The README's picture of the first minute: two people, one draw.
	t.Logf("first-minute picture: %s", b.sideBySide(t, "first-minute", alice.phoneView(), bob.phoneView()))

	// The draw fills every participant's inbox (delivered by the outbox).
	bob.route("#/inbox")
	bob.waitFor("inbox item", `document.querySelector('#inbox-list li[data-kind="lottery_result"][data-ref="`+id+`"]')`)
	// Worded in bob's language (English) from the item's data, not the
	// Chinese text the server stored.
	wantInbox := "No prize for you in “"
	if prizeOf[bobID] != "" {
		wantInbox = "Congratulations: you won " + prizeOf[bobID] + " in “"
	}
	if got := bob.text(`#inbox-list li[data-kind="lottery_result"][data-ref="` + id + `"] p`); !strings.HasPrefix(got, wantInbox) {
		t.Errorf("bob's inbox item says %q, want it to start %q", got, wantInbox)
	}
	bob.shot("inbox")

	// The proof of this lottery verifies in bob's browser.
	bob.route("#/lottery/" + id + "/proof")
	bob.click("#proof-verify")
	bob.waitVisible("#proof-verdict")
	if ok := bob.attr("#proof-verdict", "data-ok"); ok != "true" {
		t.Fatalf("the proof of a real draw does not verify in the browser: %s", bob.text("#proof-verdict"))
	}
	bob.shot("proof-pass")

	// Fed a tampered proof (a loser swapped in as the first winner), the
	// page says so and names the failing check.
	eval[chromedp.Void](bob, `(() => {
		const ta = document.querySelector('#proof-json');
		const p = JSON.parse(ta.value);
		p.winners[0].user_id = p.entries.find((e) => !p.winners.some((w) => w.user_id === e));
		ta.value = JSON.stringify(p, null, 2);
		document.querySelector('#proof-result').replaceChildren();
	})()`)
	bob.click("#proof-verify")
	bob.waitVisible("#proof-verdict")
	if ok, step := bob.attr("#proof-verdict", "data-ok"), bob.attr("#proof-verdict li.bad", "data-step"); ok != "false" || step != "winners" {
		t.Fatalf("tampered proof: data-ok %q, failing step %q; want false, winners", ok, step)
	}
	bob.shot("proof-tampered")
}

// testUIProof checks the in-browser verifier against the Go implementation
// of luckbox-draw-v1 on a larger draw, and that each kind of tampering fails
// at the right check.
func testUIProof(t *testing.T, b *testBrowser) {
	h := newHarness(t, allFeatures...)
	var seed [32]byte
	for i := range seed {
		seed[i] = byte(i*37 + 11)
	}
	entries := make([]string, 57) // not a power of two: rejection sampling matters
	for i := range entries {
		entries[i] = fmt.Sprintf("user-%03d", i)
	}
	proof := lottery.NewProof("verify-page", seed, entries, []lottery.Prize{{Name: "金奖", Quantity: 3}, {Name: "Silver", Quantity: 5}, {Name: "铜奖", Quantity: 9}})
	if err := proof.Verify(); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(proof)
	if err != nil {
		t.Fatal(err)
	}
	p := b.newTab(t, "verifier", h.ts.URL)
	p.open("/?lang=en#/verify") // needs no login
	check := func(what, js, wantOK, wantStep string) {
		t.Helper()
		eval[chromedp.Void](p, `(() => {
			const p = `+string(raw)+`;
			`+js+`;
			document.querySelector('#proof-json').value = JSON.stringify(p);
			document.querySelector('#proof-result').replaceChildren();
		})()`)
		p.click("#proof-verify")
		p.waitVisible("#proof-verdict")
		ok, step := p.attr("#proof-verdict", "data-ok"), p.attr("#proof-verdict li.bad", "data-step")
		if ok != wantOK || step != wantStep {
			t.Errorf("%s: data-ok %q, failing step %q; want %q, %q (%s)", what, ok, step, wantOK, wantStep, p.text("#proof-verdict"))
		}
	}
	check("Go's proof", ``, "true", "")
	if got := eval[[]string](p, `[...document.querySelectorAll('#proof-recomputed tbody tr')].map((tr) => tr.dataset.user + ':' + tr.dataset.prize)`); len(got) != len(proof.Winners) {
		t.Errorf("recomputed %d winners, want %d", len(got), len(proof.Winners))
	} else {
		for i, w := range proof.Winners {
			if got[i] != w.UserID+":"+w.Prize {
				t.Errorf("winner %d: browser %s, Go %s:%s", i, got[i], w.UserID, w.Prize)
			}
		}
	}
	otherSeed := seed
	otherSeed[0] ^= 1
	check("another seed", `p.seed = `+jsString(hex.EncodeToString(otherSeed[:])), "false", "seed_hash")
	check("an entry removed", `p.entries.pop()`, "false", "entries_hash")
	check("entries reordered", `[p.entries[0], p.entries[1]] = [p.entries[1], p.entries[0]]`, "false", "entries_hash")
	check("prizes reordered", `p.prizes.reverse()`, "false", "winners")
	check("a winner dropped", `p.winners.pop()`, "false", "winner_count")
	check("prize names swapped", `[p.winners[0].prize, p.winners[4].prize] = [p.winners[4].prize, p.winners[0].prize]`, "false", "winners")
	check("unknown algorithm", `p.algorithm = 'luckbox-draw-v0'`, "false", "algorithm")
	// The rules of docs/fairness.md, as the Go verifier applies them.
	check("no lottery id", `delete p.lottery_id`, "false", "lottery_id")
	check("upper-case seed", `p.seed = p.seed.toUpperCase()`, "false", "seed_format")
	check("a non-ASCII entry", `p.entries[3] = 'usér-003'`, "false", "entries")
	check("a prize name twice", `p.prizes[1].name = p.prizes[0].name`, "false", "prizes")
}

// testUIPacket: a lucky packet sent by one user and grabbed by three
// others, each page showing the right amounts and best luck; a fifth user
// gets "手慢了".
func testUIPacket(t *testing.T, b *testBrowser) {
	h := newHarness(t, allFeatures...)
	alice := b.newTab(t, "sender", h.ts.URL)
	alice.login("alice", "zh")

	// Top up ¥50.00 through the fake WeChat Pay.
	alice.click(`[data-nav="wallet"]`)
	alice.waitText("#wallet-balance", "¥0.00")
	alice.fill("#topup-amount", "50")
	alice.click("#topup-create")
	alice.waitVisible("#topup-pay")
	alice.shot("wallet-topup")
	alice.click("#topup-pay")
	alice.waitFor("paid", `document.querySelector('#topup-order[data-status="paid"]')`)
	alice.waitText("#wallet-balance", "¥50.00")
	alice.waitFor("ledger", `document.querySelector('#wallet-ledger tr[data-kind="topup"]')`)

	// Send a lucky packet: ¥10.00 in 3 shares.
	alice.click(`[data-nav="packets"]`)
	alice.click("#packet-new")
	alice.waitVisible("#packet-send")
	alice.click("#packet-kind-lucky")
	alice.fill("#packet-count", "3")
	alice.fill("#packet-amount", "10.00")
	alice.fill("#packet-greeting", "新年快乐")
	alice.waitText("#packet-total", "¥10.00")
	alice.shot("packet-new")
	alice.click("#packet-send")
	alice.waitVisible("#packet-share")
	id := alice.attr("#packet", "data-id")
	share := eval[string](alice, `document.querySelector('#packet-share').value`)
	if !strings.HasSuffix(share, "#/packet/"+id) {
		t.Fatalf("share link %q for packet %s", share, id)
	}
	link := strings.TrimPrefix(share, h.ts.URL)

	// A late user opens the link now, before the packet runs out.
	erin := b.newTab(t, "erin", h.ts.URL)
	erin.login("erin", "zh")
	erin.open(link)
	erin.waitVisible("#packet-grab")

	grabbers := []string{"bob", "carol", "dave"}
	idName := map[string]string{} // user id → nickname (the openid in tests)
	tabs := map[string]*tab{}
	got := map[string]int64{} // user id → amount shown on their page
	idOf := map[string]string{}
	for i, name := range grabbers {
		tb := b.newTab(t, name, h.ts.URL)
		tabs[name] = tb
		tb.login(name, []string{"zh", "en", "zh"}[i])
		idOf[name] = tb.text("#my-id")
		idName[idOf[name]] = name
		tb.open(link)
		if i == 0 {
			tb.shot("packet-unopened")
		}
		if i == 1 { // English: the word on the coin must fit with room to spare
			tb.waitVisible("#packet-grab")
			if fill := eval[float64](tb, `(() => { const b = document.querySelector('#packet-grab'); const r = document.createRange(); r.selectNodeContents(b);
				return r.getBoundingClientRect().width / b.getBoundingClientRect().width; })()`); fill > 0.7 {
				t.Errorf("the English word on the packet coin fills %.0f%% of its width", fill*100)
			}
		}
		tb.click("#packet-grab")
		tb.waitVisible("#packet-my-amount")
		fen, err := strconv.ParseInt(tb.attr("#packet-my-amount", "data-fen"), 10, 64)
		if err != nil || fen < 1 {
			t.Fatalf("%s's page shows amount %q", name, tb.attr("#packet-my-amount", "data-fen"))
		}
		got[idOf[name]] = fen
	}

	// The packet as the API tells it.
	var pk struct {
		Status string `json:"status"`
		Amount int64  `json:"amount"`
		Grabs  []struct {
			UserID   string `json:"user_id"`
			Amount   int64  `json:"amount"`
			BestLuck bool   `json:"best_luck"`
		} `json:"grabs"`
	}
	tok, _ := h.login("bob")
	r := h.do("GET", "/api/v1/packets/"+id, tok, nil)
	wantStatus(t, r, 200, "")
	r.JSON(t, &pk)
	if pk.Status != "finished" || len(pk.Grabs) != 3 {
		t.Fatalf("packet after 3 grabs: %+v", pk)
	}
	var sum int64
	best := ""
	for _, g := range pk.Grabs {
		sum += g.Amount
		if got[g.UserID] != g.Amount {
			t.Errorf("user %s: page shows %d fen, API %d", g.UserID, got[g.UserID], g.Amount)
		}
		if g.BestLuck {
			best = g.UserID
		}
	}
	if sum != 1000 || best == "" {
		t.Fatalf("grabs add up to %d fen (want 1000), best luck %q", sum, best)
	}
	for _, g := range pk.Grabs {
		if g.Amount > got[best] {
			t.Fatalf("best luck %s got %d, but %s got %d", best, got[best], g.UserID, g.Amount)
		}
	}

	// Every page (grabbers and sender) comes to show all grabs and the best
	// luck, without a reload (the page refreshes a live packet itself).
	wantBest := `document.querySelectorAll('#packet-grabs li').length === 3 && document.querySelector('#packet-grabs li[data-best="true"]') && document.querySelector('#packet-grabs li[data-best="true"]').dataset.user === ` + jsString(best)
	for _, name := range grabbers {
		tb := tabs[name]
		tb.waitFor("best luck", wantBest)
		mine := idOf[name] == best
		if has := tb.attr("#packet-my-best", "class") != ""; has != mine {
			t.Errorf("%s's page: best-luck badge %v, want %v", name, has, mine)
		}
		for _, g := range pk.Grabs {
			if fen := tb.attr(`#packet-grabs li[data-user="`+g.UserID+`"]`, "data-fen"); fen != strconv.FormatInt(g.Amount, 10) {
				t.Errorf("%s's page lists %s with %s fen, want %d", name, g.UserID, fen, g.Amount)
			}
		}
	}
	alice.waitFor("best luck", wantBest)
	alice.waitFor("split verified", `document.querySelector('#packet-split-verdict[data-ok="true"]')`)
	// The sender never grabbed: the envelope tells how the packet went,
	// not "too slow".
	alice.waitVisible("#packet-sender-done")
	if alice.text("#packet-exhausted") != "" || !strings.Contains(alice.text("#packet-sender-done"), "3 个红包已全部领完") {
		t.Errorf("the sender's finished packet says %q / %q", alice.text("#packet-exhausted"), alice.text("#packet-sender-done"))
	}
	for _, name := range grabbers {
		if idOf[name] == best {
			tabs[name].shot("packet-best-luck")
		}
	}
	alice.shot("packet-sender")

	// The late user opened the packet while it was active; grabbing now (if
	// the page has not refreshed to the finished packet yet) is too late:
	// either way the page comes to say 手慢了.
	eval[chromedp.Void](erin, `(() => { const b = document.querySelector('#packet-grab'); if (b) b.click(); })()`)
	erin.waitVisible("#packet-exhausted")
	if txt := erin.text("#packet-exhausted"); !strings.Contains(txt, "手慢了") {
		t.Fatalf("exhausted state says %q", txt)
	}
	if erin.attr("#packet-my-amount", "data-fen") != "" {
		t.Fatal("the late user's page shows an amount")
	}
	erin.shot("packet-exhausted")

	// An equal packet paid with (fake) WeChat Pay: unpaid until the payment
	// notification comes in, then grabbed for exactly ¥1.00.
	alice.route("#/packets/new")
	alice.click("#packet-kind-equal")
	alice.fill("#packet-count", "2")
	alice.fill("#packet-amount", "1.00")
	alice.fill("#packet-paywith", "wechat")
	alice.waitText("#packet-total", "¥2.00")
	alice.click("#packet-send")
	alice.waitFor("unpaid", `document.querySelector('#packet[data-status="unpaid"]')`)
	alice.click("#packet-pay")
	alice.waitFor("active", `document.querySelector('#packet[data-status="active"]')`)
	equal := strings.TrimPrefix(eval[string](alice, `document.querySelector('#packet-share').value`), h.ts.URL)
	bob := tabs["bob"]
	bob.open(equal)
	bob.click("#packet-grab")
	bob.waitVisible("#packet-my-amount")
	if fen := bob.attr("#packet-my-amount", "data-fen"); fen != "100" {
		t.Fatalf("equal packet share: %s fen, want 100", fen)
	}

	// A personal packet for carol: only she can open it.
	alice.route("#/packets/new")
	alice.click("#packet-kind-personal")
	alice.fill("#packet-amount", "2")
	alice.fill("#packet-to", idOf["carol"])
	alice.click("#packet-send")
	alice.waitFor("active", `document.querySelector('#packet[data-status="active"]')`)
	personal := strings.TrimPrefix(eval[string](alice, `document.querySelector('#packet-share').value`), h.ts.URL)
	dave := tabs["dave"]
	dave.open(personal)
	dave.waitVisible("#packet-forbidden")
	carol := tabs["carol"]
	carol.open(personal)
	carol.click("#packet-grab")
	carol.waitVisible("#packet-my-amount")
	if fen := carol.attr("#packet-my-amount", "data-fen"); fen != "200" {
		t.Fatalf("personal packet: %s fen, want 200", fen)
	}

	// The sender's wallet: ¥50.00 − ¥10.00 − ¥2.00 (the WeChat-paid packet
	// does not touch the balance), with the sends in the ledger.
	alice.route("#/wallet")
	alice.waitText("#wallet-balance", "¥38.00")
	alice.waitFor("ledger", `document.querySelector('#wallet-ledger tr[data-kind="packet_send"]')`)
	alice.shot("wallet")

	// Bob's received packets list the lucky one with his share.
	bob.route("#/packets")
	bob.click(`[data-tab="received"]`)
	bob.waitFor("received", `document.querySelector('.packet-item[data-id="`+id+`"]')`)

	// The admin console: the packets overview, one packet's grabs, and the
	// money audit with this money in it.
	admin := b.newTab(t, "admin", h.ts.URL)
	admin.open("/admin?lang=en#/packets")
	admin.fill("#admin-token", testAdminToken)
	admin.click("#admin-signin")
	admin.waitFor("packets", `document.querySelectorAll('#admin-packets tbody tr').length === 3 && document.querySelector('#admin-packets tr[data-id="`+id+`"]')`)
	if who := admin.text(`#admin-packets tr[data-id="` + id + `"] td.person .person-name`); who != "alice" {
		t.Errorf("admin packets list shows the sender as %q, want the nickname alice", who)
	}
	admin.shot("admin-packets")
	admin.click(`#admin-packets tr[data-id="` + id + `"] a`)
	admin.waitFor("grabs", `document.querySelectorAll('#view tbody tr').length === 3 && document.querySelector('#view .best-luck')`)
	if who := admin.text("#admin-pk-sender .person-name"); who != "alice" {
		t.Errorf("admin packet page shows the sender as %q", who)
	}
	if bars := eval[[]string](admin, `[...document.querySelectorAll('#admin-pk-split .bar-row')].map((g) => g.dataset.label + '=' + g.dataset.value)`); len(bars) != 3 {
		t.Errorf("split chart bars %v, want 3 shares", bars)
	} else {
		for _, g := range pk.Grabs {
			if !slices.Contains(bars, idName[g.UserID]+"="+strconv.FormatInt(g.Amount, 10)) {
				t.Errorf("split chart %v lacks %s's %d fen", bars, idName[g.UserID], g.Amount)
			}
		}
	}
	admin.shot("admin-packet-split")
	admin.click(`[data-nav="audit"]`)
	admin.waitVisible("#audit-ok")
	if ok := admin.attr("#audit-ok", "data-ok"); ok != "true" {
		t.Fatalf("audit: %s", admin.text("#audit-result"))
	}
	admin.waitText("#audit-result", "¥52.00") // money in: the ¥50.00 top-up and the ¥2.00 WeChat-paid packet
	admin.shot("admin-audit")
}

// testUIExchange: in the admin console a CSV with a bad row shows the row
// error; a good upload starts; a user binds a phone and draws; the results
// (drawn filter) and the CSV export show the draw.
func testUIExchange(t *testing.T, b *testBrowser) {
	h := newHarness(t, allFeatures...)
	admin := b.newTab(t, "admin", h.ts.URL)
	admin.open("/admin?lang=zh")
	admin.fill("#admin-token", "wrong-token-0000000000")
	admin.click("#admin-signin")
	admin.waitVisible(".alert.error")
	admin.fill("#admin-token", testAdminToken)
	admin.click("#admin-signin")
	admin.waitVisible("#ex-title")
	admin.fill("#ex-title", "年会交换礼物")
	admin.click("#ex-create")
	admin.waitVisible("#csv-upload")
	id := strings.TrimPrefix(eval[string](admin, `location.hash`), "#/exchange/")

	// A bad row: the whole file is refused and the row error is shown.
	admin.fill("#csv-text", "name,phone,group,exclude\n张三,13800000001,研发,\n李四,12345,研发,\n")
	admin.click("#csv-upload")
	admin.waitVisible("#import-errors .detail-row")
	rows := eval[[]string](admin, `[...document.querySelectorAll('#import-errors .detail-row')].map((tr) => tr.dataset.line + ':' + tr.children[1].textContent)`)
	if len(rows) != 1 || rows[0] != "3:phone" {
		t.Fatalf("import errors %v, want [3:phone]", rows)
	}
	if n := admin.text("#ex-count"); n != "0" {
		t.Fatalf("after a refused import the exchange has %s participants", n)
	}
	admin.shot("admin-import-error")

	// A row with the wrong number of fields is a row too: 2 of 3 are bad.
	admin.fill("#csv-text", "name,phone\nAnn,13900000011\nx\nBob,1\n")
	admin.click("#csv-upload")
	admin.waitFor("import summary", `document.querySelectorAll('#import-errors .detail-row').length === 2`)
	if msg := admin.text("#import-errors .alert-msg"); !strings.Contains(msg, "3 行中有 2 行") {
		t.Errorf("import summary %q, want 3 行中有 2 行", msg)
	}
	admin.fill("#csv-text", "name,phone,group,exclude\n张三,13800000001,研发,\n李四,13800000002,研发,\n王五,13800000003,市场,\n赵六,13800000004,市场,\n")
	admin.click("#csv-upload")
	admin.waitVisible("#import-result .alert.ok")
	admin.waitText("#ex-count", "4")
	admin.waitFor("results", `document.querySelectorAll('#results-table tbody tr').length === 4`)
	admin.click("#ex-start")
	admin.waitVisible("#confirm-dialog")
	admin.click("#confirm-ok")
	admin.waitFor("started", `document.querySelector('#ex-status[data-status="started"]')`)

	// 王五 binds a phone and draws.
	dave := b.newTab(t, "dave", h.ts.URL)
	dave.login("dave", "zh")
	link := eval[string](admin, `document.querySelector('#ex-link').value`)
	dave.open(strings.TrimPrefix(link, h.ts.URL))
	dave.fill("#phone-input", "138 0000 0003")
	dave.click("#phone-bind")
	dave.waitVisible("#exchange-draw")
	dave.click("#exchange-draw")
	dave.waitVisible("#exchange-recipient")
	recipient := dave.text("#exchange-recipient")
	if recipient != "张三" && recipient != "李四" { // 王五 is in 市场: the recipient is in 研发
		t.Fatalf("王五 gives to %q", recipient)
	}
	dave.shot("exchange-drawn")

	// The admin's results, filtered to those who drew.
	eval[chromedp.Void](admin, `(() => { const s = document.querySelector('#results-filter'); s.value = 'true'; s.dispatchEvent(new Event('change')); })()`)
	admin.waitFor("drawn filter", `document.querySelectorAll('#results-table tbody tr').length === 1`)
	if phone, rcpt := admin.attr("#results-table tbody tr", "data-phone"), admin.text("#results-table tbody tr .rcpt"); phone != "13800000003" || rcpt != recipient {
		t.Fatalf("drawn results: %s gives to %q; want 13800000003 gives to %q", phone, rcpt, recipient)
	}
	admin.waitText("#ex-drawn", "1")
	admin.waitFor("progress chart", `document.querySelector('#ex-progress .chart-donut[data-done="1"][data-total="4"]')`)
	eval[chromedp.Void](admin, `(() => { const s = document.querySelector('#results-filter'); s.value = 'false'; s.dispatchEvent(new Event('change')); })()`)
	admin.waitFor("not-drawn filter", `document.querySelectorAll('#results-table tbody tr').length === 3 && ![...document.querySelectorAll('#results-table tbody tr')].some((tr) => tr.dataset.phone === '13800000003')`)

	// CSV export of the not-drawn filter, downloaded by the browser.
	dl := t.TempDir()
	admin.allowDownloads(dl)
	admin.click("#ex-export")
	csvBody := string(admin.waitFile(dl, "exchange-"+id+"-results.csv"))
	if !strings.Contains(csvBody, "name,phone") || !strings.Contains(csvBody, "13800000001") || strings.Contains(csvBody, "13800000003") {
		t.Fatalf("exported CSV (not drawn):\n%s", csvBody)
	}

	admin.click("#ex-remind")
	admin.waitVisible("#ex-action-result .alert.ok")
	eval[chromedp.Void](admin, `(() => { const s = document.querySelector('#results-filter'); s.value = ''; s.dispatchEvent(new Event('change')); })()`)
	admin.waitFor("all results", `document.querySelectorAll('#results-table tbody tr').length === 4`)
	admin.shot("admin-exchange")

	admin.click(`[data-nav="lotteries"]`)
	admin.waitVisible("#view .card")
	admin.click(`[data-nav="backup"]`)
	admin.waitVisible("#backup-download")
	admin.click("#backup-download")
	admin.waitVisible("#backup-result .alert.ok")
}
