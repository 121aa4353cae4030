package web

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"luckbox/lottery"
)

// testUIFieldErrors: a refused form shows each reason under its input, in
// the page's language, amounts in yuan; no Line/Field/Reason table.
func testUIFieldErrors(t *testing.T, b *testBrowser) {
	h := newHarness(t, allFeatures...)
	alice := b.newTab(t, "alice-zh", h.ts.URL)
	alice.login("alice", "zh")
	noTable := func(tb *tab, where string) {
		t.Helper()
		if eval[bool](tb, `!!document.querySelector('table.details')`) {
			t.Errorf("%s: field errors shown as a Line/Field/Reason table", where)
		}
	}

	alice.route("#/wallet")
	alice.fill("#topup-amount", "99999")
	alice.click("#topup-create")
	alice.waitVisible(`#topup-form .field-error[data-field="amount"]`)
	if msg := alice.text(`#topup-form .field-error`); !regexp.MustCompile(`^金额须在 ¥0\.01 到 ¥\d+\.\d\d 之间$`).MatchString(msg) {
		t.Errorf("top-up of ¥99999: %q", msg)
	}
	noTable(alice, "top-up")
	alice.shot("field-error-topup")

	alice.route("#/packets/new")
	alice.click("#packet-kind-lucky")
	alice.fill("#packet-count", "3")
	alice.fill("#packet-amount", "0.02")
	alice.fill("#packet-paywith", "wechat")
	alice.click("#packet-send")
	alice.waitVisible(`#packet-form .field-error[data-field="amount"]`)
	if msg := alice.text(`#packet-form .field-error`); !strings.Contains(msg, "¥0.03") || strings.Contains(msg, "fen") {
		t.Errorf("lucky packet of ¥0.02 in 3 shares: %q", msg)
	}
	noTable(alice, "packet")

	alice.route("#/lotteries/new")
	alice.fill("#new-title", "abc\u202etxt")
	alice.fill("#prize-rows .prize-row:nth-child(2) .prize-name", "\u200b")
	alice.click("#lottery-create")
	alice.waitVisible(`#lottery-form .field-error[data-field="prizes[1].name"]`)
	if msg := alice.text(`.prize-row:nth-child(2) .field-error`); msg != "不能只有空白或看不见的字符" {
		t.Errorf("zero-width prize name: %q", msg)
	}
	if msg := alice.text(`#lottery-form .field-error[data-field="title"]`); msg != "不能包含改变文字方向的控制字符" || alice.attr("#new-title", "aria-invalid") != "true" {
		t.Errorf("title with U+202E: %q", msg)
	}
	noTable(alice, "lottery")
	alice.shot("field-error-lottery")

	bob := b.newTab(t, "bob-en", h.ts.URL)
	bob.login("bob", "en")
	bob.fill("#nickname", "a\u202eb")
	bob.click("#nickname-save")
	bob.waitVisible(`#nickname-form .field-error[data-field="nickname"]`)
	if msg := bob.text(`#nickname-form .field-error`); msg != "Must not contain characters that change the text direction" {
		t.Errorf("nickname with U+202E: %q", msg)
	}
}

// testUIProofWords: the English proof page counts in words ("2 entries",
// "1 winner"), numbers winners from 1, and names people by nickname.
func testUIProofWords(t *testing.T, b *testBrowser) {
	h := newHarness(t, allFeatures...)
	aliceTok, _ := h.login("alice")
	bobTok, _ := h.login("bob")
	wantStatus(t, h.do("PATCH", "/api/v1/me", aliceTok, map[string]string{"nickname": "Alice Zhang"}), 200, "")
	wantStatus(t, h.do("PATCH", "/api/v1/me", bobTok, map[string]string{"nickname": "Bob Li"}), 200, "")
	l := h.createLottery(t, aliceTok, manualLottery(lottery.Prize{Name: "Tea", Quantity: 1}))
	for _, tok := range []string{aliceTok, bobTok} {
		wantStatus(t, h.do("POST", "/api/v1/lotteries/"+l.ID+"/entries", tok, nil), 201, "")
	}
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+l.ID+"/draw", aliceTok, nil), 200, "")

	p := b.newTab(t, "proof-en", h.ts.URL)
	p.login("alice", "en")
	p.route("#/lottery/" + l.ID + "/proof")
	p.click("#proof-verify")
	p.waitVisible("#proof-verdict")
	checks := eval[[]string](p, `[...document.querySelectorAll('#proof-verdict li')].map((li) => li.textContent)`)
	joined := strings.Join(checks, "\n")
	for _, want := range []string{"2 entries, nobody twice", "1 winner, as recomputed", "The winner matches the recomputation"} {
		if !strings.Contains(joined, want) {
			t.Errorf("proof checks lack %q:\n%s", want, joined)
		}
	}
	if bad := regexp.MustCompile(`\b1 (entries|winners|prizes)\b`).FindString(joined); bad != "" {
		t.Errorf("proof checks say %q:\n%s", bad, joined)
	}
	who := p.text("#proof-recomputed tbody td.person .person-name")
	if who != "Alice Zhang" && who != "Bob Li" {
		t.Errorf("the recomputed winner is shown as %q, not a nickname", who)
	}
	p.shot("proof-en")

	// Tampered: the loser swapped in as the winner. The failing check counts
	// from 1 and names the recomputed winner (the proof's entries are ids;
	// only the winners' nicknames are public).
	eval[chromedp.Void](p, `(() => {
		const ta = document.querySelector('#proof-json');
		const pr = JSON.parse(ta.value);
		pr.winners[0].user_id = pr.entries.find((e) => e !== pr.winners[0].user_id);
		ta.value = JSON.stringify(pr, null, 2);
		document.querySelector('#proof-result').replaceChildren();
	})()`)
	p.click("#proof-verify")
	p.waitVisible("#proof-verdict li.bad")
	bad := p.text("#proof-verdict li.bad")
	if !strings.Contains(bad, "Winner 1:") || !strings.Contains(bad, "recomputed "+who+" won") {
		t.Errorf("tampered proof says %q; want Winner 1 and the recomputed %s", bad, who)
	}
}

// testUIDocs: /docs renders the Markdown of descriptions (no raw
// backticks) and fits a phone screen; /favicon.ico is served.
func testUIDocs(t *testing.T, b *testBrowser) {
	h := newHarness(t, allFeatures...)
	d := b.newTab(t, "docs", h.ts.URL)
	d.do("open /docs", chromedp.Navigate(h.ts.URL+"/docs"))
	d.waitFor("operations", `document.querySelectorAll('article.op').length > 20`)
	if raw := eval[[]string](d, "[...document.querySelectorAll('.desc')].map((e) => e.textContent).filter((s) => s.includes('`')).slice(0, 3)"); len(raw) > 0 {
		t.Errorf("descriptions show raw Markdown: %q", raw)
	}
	if n := eval[int](d, `document.querySelectorAll('.desc code').length`); n == 0 {
		t.Error("no inline code rendered in the descriptions")
	}
	d.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	if w := eval[int](d, `new Promise((r) => requestAnimationFrame(() => r(document.documentElement.scrollWidth)))`); w > 390 {
		t.Errorf("/docs is %d px wide on a 390 px phone screen", w)
	}
	d.do("viewport reset", chromedp.EmulateViewport(1280, 800))
	t.Logf("docs on a phone: %s", d.b.sideBySide(t, "docs-phone", d.phoneView()))
	if got := eval[string](d, `fetch('/favicon.ico').then((r) => r.status + ' ' + r.headers.get('content-type'))`); got != "200 image/x-icon" {
		t.Errorf("/favicon.ico: %s", got)
	}
}

// testUIAdminCharts: the console's overview draws the activity of the
// last minutes and the money flow from GET /admin/stats.
func testUIAdminCharts(t *testing.T, b *testBrowser) {
	h := newHarness(t, allFeatures...)
	alice, _ := h.login("alice")
	bob, _ := h.login("bob")
	carol, _ := h.login("carol")
	h.topup(alice, 5000)
	l := h.createLottery(t, alice, manualLottery(lottery.Prize{Name: "P", Quantity: 1}))
	for _, tok := range []string{alice, bob, carol} {
		wantStatus(t, h.do("POST", "/api/v1/lotteries/"+l.ID+"/entries", tok, nil), 201, "")
	}
	pk := h.createPacket(alice, map[string]any{"kind": "lucky", "count": 2, "amount": 300})
	for _, tok := range []string{bob, carol} {
		wantStatus(t, h.do("POST", "/api/v1/packets/"+pk.ID+"/grabs", tok, nil), 201, "")
	}

	admin := b.newTab(t, "admin-charts", h.ts.URL)
	admin.open("/admin?lang=en#/stats")
	admin.fill("#admin-token", testAdminToken)
	admin.click("#admin-signin")
	admin.waitVisible("#stats-activity .chart-line")
	totals := func() string {
		return eval[string](admin, `[...document.querySelectorAll('#stats-activity .legend-item')].map((e) => e.dataset.series + '=' + e.dataset.total).join(' ')`)
	}
	if got := totals(); got != "joins=3 grabs=2 topups=1" {
		t.Errorf("activity totals %q, want joins=3 grabs=2 topups=1", got)
	}
	if n := eval[int](admin, `document.querySelectorAll('#stats-activity polyline').length`); n != 3 {
		t.Errorf("%d lines in the activity chart", n)
	}
	if money := eval[string](admin, `[...document.querySelectorAll('#stats-money .bar-row')].map((e) => e.dataset.value).join(' ')`); money != "5000 5000 0" {
		t.Errorf("money flow bars %q, want paid in 5000, held 5000, paid out 0", money)
	}
	admin.shot("admin-stats")
	eval[chromedp.Void](admin, `(() => { const s = document.querySelector('#stats-window'); s.value = '15m'; s.dispatchEvent(new Event('change')); })()`)
	admin.waitFor("15-minute window", `document.querySelector('#stats-activity polyline') && document.querySelector('#stats-activity polyline').getAttribute('points').split(' ').length === 15`)
	if got := totals(); got != "joins=3 grabs=2 topups=1" {
		t.Errorf("15-minute totals %q", got)
	}
}
