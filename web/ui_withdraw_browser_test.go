package web

import "testing"

// testUIWithdraw: a user tops up, withdraws ¥5.00 from the wallet, confirms
// in place of wx.requestMerchantTransfer (the fake WeChat) and sees it paid
// out; a second withdrawal is declined and returns. The admin console
// lists both with their states.
func testUIWithdraw(t *testing.T, b *testBrowser) {
	h := newHarness(t, allFeatures...)
	alice := b.newTab(t, "withdraw", h.ts.URL)
	alice.login("alice", "zh")
	alice.click(`[data-nav="wallet"]`)
	alice.waitText("#wallet-balance", "¥0.00")
	alice.fill("#topup-amount", "50")
	alice.click("#topup-create")
	alice.waitVisible("#topup-pay")
	alice.click("#topup-pay")
	alice.waitText("#wallet-balance", "¥50.00")

	alice.fill("#withdraw-amount", "5")
	alice.click("#withdraw-create")
	alice.waitVisible("#withdraw-confirm")
	alice.waitText("#wallet-balance", "¥45.00")
	alice.shot("wallet-withdraw")
	alice.click("#withdraw-confirm")
	alice.waitFor("paid out", `document.querySelector('#withdrawal[data-status="succeeded"]')`)
	alice.waitFor("ledger", `document.querySelector('#wallet-ledger tr[data-kind="withdraw_paid"]')`)

	alice.fill("#withdraw-amount", "3")
	alice.click("#withdraw-create")
	alice.waitVisible("#withdraw-decline")
	alice.click("#withdraw-decline")
	alice.waitFor("declined", `document.querySelector('#withdrawal[data-status="cancelled"]')`)
	alice.waitText("#wallet-balance", "¥45.00")

	admin := b.newTab(t, "admin-withdrawals", h.ts.URL)
	admin.open("/admin?lang=en#/withdrawals")
	admin.fill("#admin-token", testAdminToken)
	admin.click("#admin-signin")
	admin.waitVisible("#admin-withdrawals")
	if got := eval[string](admin, `[...document.querySelectorAll('#admin-withdrawals tbody tr')].map((e) => e.dataset.status).join(' ')`); got != "cancelled succeeded" {
		t.Errorf("admin withdrawals %q, want cancelled succeeded", got)
	}
	h.auditOK()
}
