package web

import (
	"testing"

	"luckbox/internal/safety"
	"luckbox/wechat/fake"
)

// TestBrowserContentSafety: in the demo client a risky title is refused next
// to its field, in the reader's language; with the check service failing
// under the allow policy the lottery is saved and the admin console lists it
// for review.
func TestBrowserContentSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short: skipped with -short")
	}
	b := startBrowser(t)
	h := newHarness(t, append(allFeatures, withSafety(safety.PolicyAllow, safety.PolicyFlag))...)
	alice := b.newTab(t, "alice-zh", h.ts.URL)
	alice.login("alice", "zh")

	alice.route("#/lotteries/new")
	alice.fill("#new-title", "badword 年会")
	alice.click("#lottery-create")
	alice.waitVisible(`#lottery-form .field-error[data-field="title"]`)
	if msg := alice.text(`#lottery-form .field-error[data-field="title"]`); msg != "内容未通过安全检查，请修改措辞" {
		t.Errorf("risky title: %q", msg)
	}
	alice.shot("content-refused")

	// The check service fails: the lottery is saved and flagged.
	h.fake.SetSecCheck(fake.SecCheckConfig{Fail: fake.SecFailHTTP})
	alice.fill("#new-title", "检查失败时的抽奖")
	alice.click("#lottery-create")
	alice.waitFor("the lottery page", `location.hash.startsWith('#/lottery/')`)

	admin := b.newTab(t, "admin", h.ts.URL)
	admin.open("/admin?lang=en#/flags")
	admin.fill("#admin-token", testAdminToken)
	admin.click("#admin-signin")
	admin.waitFor("flagged title", `[...document.querySelectorAll('#admin-flags tbody tr[data-kind="lottery"][data-reason="check_failed"]')].some((tr) => tr.textContent.includes('检查失败时的抽奖'))`)
	admin.shot("admin-flags")
}
