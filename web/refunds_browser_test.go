package web

import (
	"strings"
	"testing"
	"time"
)

// TestRefundsConsoleInBrowser: the admin console's Refunds page refunds
// part of a top-up, lists the refund, credits an abnormal one to the
// balance, and shows a reconciliation with its mismatch.
func TestRefundsConsoleInBrowser(t *testing.T) {
	b := startBrowser(t)
	// Every feature (the console signs in on the exchanges list), with
	// packets replaced by packets with refunds and bills.
	h := newHarness(t, append(append([]harnessOption{}, allFeatures...), withRefunds)...)
	alice, _ := h.login("alice")
	orderID, outTradeNo := h.topup(alice, 1000)
	admin := b.newTab(t, "admin", h.ts.URL)
	admin.open("/admin?lang=en#/refunds")
	admin.fill("#admin-token", testAdminToken)
	admin.click("#admin-signin")
	admin.waitVisible("#rf-submit")
	admin.fill("#rf-order", orderID)
	admin.fill("#rf-amount", "3.00")
	admin.fill("#rf-reason", "customer asked")
	admin.click("#rf-submit")
	admin.waitFor("refund listed", `document.querySelectorAll('#admin-refunds tbody tr').length === 1`)
	if got := admin.text("#rf-result"); !strings.Contains(got, "¥3.00") {
		t.Errorf("result says %q", got)
	}
	rf := h.waitRefund("processing")
	h.completeRefund(rf.OutRefundNo, "ABNORMAL", 1)
	h.waitRefund("abnormal")
	admin.route("#/audit")
	admin.route("#/refunds")
	admin.waitVisible(`#admin-refunds tr[data-id="` + rf.ID + `"] [data-action="credit"]`)
	admin.shot("admin-refunds-abnormal")
	admin.click(`#admin-refunds tr[data-id="` + rf.ID + `"] [data-action="credit"]`)
	admin.click("#confirm-ok")
	admin.waitFor("credited", `!document.querySelector('#admin-refunds [data-action="credit"]')`)
	if bal := h.balance(alice); bal != 1000 {
		t.Fatalf("balance after the credit: %d", bal)
	}

	h.clock.Add(24 * time.Hour)
	wantStatus(t, h.do("POST", "/_fake/wechat/bills/2026-11-22/drop?no="+outTradeNo, "", nil), 204, "")
	admin.fill("#rc-date", "2026-11-22")
	admin.click("#rc-run")
	admin.waitFor("reconciliation", `document.querySelector('#admin-reconciliations tr[data-date="2026-11-22"].bad')`)
	if got := admin.text(`#admin-reconciliations tr[data-date="2026-11-22"]`); !strings.Contains(got, "Missing in the bill") || !strings.Contains(got, outTradeNo) {
		t.Errorf("reconciliation row says %q", got)
	}
	admin.shot("admin-reconciliation")
}
