package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"luckbox/packet"
	"luckbox/wechat"
)

// testBills adapts the WeChat Pay client to packet.Bills (as main does).
type testBills struct{ p *wechat.Pay }

func (w testBills) TradeBill(ctx context.Context, date string) ([]packet.BillRecord, error) {
	b, err := w.p.TradeBill(ctx, date)
	out := make([]packet.BillRecord, 0, len(b.Rows))
	for _, r := range b.Rows {
		if r.TradeState == wechat.TradeStateRefund {
			out = append(out, packet.BillRecord{OutTradeNo: r.OutTradeNo, OutRefundNo: r.OutRefundNo, Amount: r.Refund, State: r.RefundStatus})
		} else {
			out = append(out, packet.BillRecord{OutTradeNo: r.OutTradeNo, Amount: r.Total, State: r.TradeState})
		}
	}
	return out, err
}

type reconOut struct {
	Date       string
	BillRows   int `json:"bill_rows"`
	Payments   int
	Refunds    int
	Error      string
	Mismatches []struct {
		Kind, Ref     string
		BillAmount    int64 `json:"bill_amount"`
		LuckboxAmount int64 `json:"luckbox_amount"`
	}
}

func (h *harness) reconcile(date string) reconOut {
	h.t.Helper()
	r := h.do("POST", "/api/v1/admin/reconciliations", testAdminToken, map[string]string{"date": date})
	wantStatus(h.t, r, 200, "")
	var out reconOut
	r.JSON(h.t, &out)
	return out
}

// TestReconcileWithFakeBills: the fake's trade bill of a day (downloaded,
// hash-checked and parsed by the real client) matches luckbox's orders and
// refunds of that day: no mismatch on a clean day; a payment dropped from
// the bill and a refund amount altered are found, stored, listed and
// exported as metrics; a day whose bill is not ready is recorded as failed;
// the daily job reconciles the day before on its own.
func TestReconcileWithFakeBills(t *testing.T) {
	h := newHarness(t, withRefunds)
	alice, _ := h.login("alice")
	bob, _ := h.login("bob")
	day := "2026-11-22" // the clock is at 16:00 Beijing time that day
	aliceOrder, _ := h.topup(alice, 1000)
	_, bobNo := h.topup(bob, 500)
	r := h.do("POST", "/api/v1/admin/topups/"+aliceOrder+"/refunds", testAdminToken, map[string]any{"amount": 200, "reason": "对账测试"})
	wantStatus(t, r, 201, "")
	rf := h.waitRefund("processing")
	h.completeRefund(rf.OutRefundNo, "SUCCESS", 1)
	h.waitRefund("success")

	h.clock.Add(24 * time.Hour)
	rec := h.reconcile(day)
	if rec.Error != "" || rec.BillRows != 3 || rec.Payments != 2 || rec.Refunds != 1 || len(rec.Mismatches) != 0 {
		t.Fatalf("a clean day: %+v", rec)
	}
	wantStatus(t, h.do("POST", "/_fake/wechat/bills/"+day+"/drop?no="+bobNo, "", nil), 204, "")
	wantStatus(t, h.do("POST", "/_fake/wechat/bills/"+day+"/alter?no="+rf.OutRefundNo+"&amount=150", "", nil), 204, "")
	rec = h.reconcile(day)
	got := map[string]string{}
	for _, m := range rec.Mismatches {
		got[m.Kind] = m.Ref
	}
	if rec.Error != "" || len(rec.Mismatches) != 2 || got["missing_in_bill"] != bobNo || got["amount"] != rf.OutRefundNo {
		t.Fatalf("tampered bill: %+v", rec)
	}
	metrics := string(h.do("GET", "/metrics", "", nil).Body)
	for _, want := range []string{`luckbox_reconcile_mismatches{kind="amount"} 1`, `luckbox_reconcile_mismatches{kind="missing_in_bill"} 1`,
		`luckbox_reconcile_mismatches{kind="state"} 0`, "luckbox_reconcile_failed 0"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	if rec = h.reconcile("2026-11-23"); rec.Error == "" { // today: the bill is not ready
		t.Fatalf("today's bill: %+v", rec)
	}
	if !strings.Contains(string(h.do("GET", "/metrics", "", nil).Body), "luckbox_reconcile_failed 1") {
		t.Error("a failed reconciliation is not in the metrics")
	}
	wantStatus(t, h.do("POST", "/api/v1/admin/reconciliations", testAdminToken, map[string]string{"date": "22/11/2026"}), 400, "invalid_argument")
	wantStatus(t, h.do("GET", "/api/v1/admin/reconciliations", alice, nil), 403, "forbidden")

	// The daily job: after 10:30 Beijing time the day before is reconciled.
	h.clock.Set(time.Date(2026, 11, 24, 2, 31, 0, 0, time.UTC)) // 10:31 in Beijing
	if err := h.srv.Packets.StartReconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var list struct{ Items []reconOut }
		h.do("GET", "/api/v1/admin/reconciliations", testAdminToken, nil).JSON(t, &list)
		if len(list.Items) == 2 && list.Items[0].Date == "2026-11-23" && list.Items[0].Error == "" {
			if list.Items[1].Date != day || len(list.Items[1].Mismatches) != 2 {
				t.Fatalf("stored %+v", list.Items)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the daily job did not reconcile 2026-11-23: %+v", list.Items)
		}
		h.db.Poke()
		time.Sleep(5 * time.Millisecond)
	}
}
