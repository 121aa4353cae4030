package packet

import (
	"context"
	"strings"
	"testing"
	"time"

	"luckbox/data"
)

// memRefunds is an in-memory Refunds: every refund is accepted PROCESSING.
type memRefunds struct{ asked []RefundRequest }

func (m *memRefunds) Refund(_ context.Context, r RefundRequest) (RefundState, error) {
	m.asked = append(m.asked, r)
	return RefundState{OutRefundNo: r.OutRefundNo, RefundID: "50" + r.OutRefundNo, Status: WxRefundProcessing, Refund: r.Refund}, nil
}

func (m *memRefunds) QueryRefund(_ context.Context, no string) (RefundState, error) {
	return RefundState{}, ErrRefundNotExist
}

// refundedPacket expires a WeChat-paid packet of 500 with no grabs and sends
// its refund; it returns the refund.
func refundedPacket(t *testing.T) (*env, *memRefunds, Refund) {
	t.Helper()
	m := &memRefunds{}
	e := newEnv(t, Options{Refunds: m})
	alice := e.user("alice")
	p := e.create(alice, CreateInput{Kind: KindEqual, Count: 5, AmountEach: 100, PayWith: PayWeChat})
	if _, err := e.svc.ApplyPayment(context.Background(), e.pay.pay(t, *p.OutTradeNo)); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(DefaultTTL)
	seq, _, _ := data.DecodeID(p.ID)
	if did, err := e.svc.Expire(context.Background(), seq); err != nil || !did {
		t.Fatalf("expire: %v %v", did, err)
	}
	rs, _, err := e.svc.Refunds(context.Background(), "", "", 0)
	if err != nil || len(rs) != 1 || rs[0].Status != RefundRequested || rs[0].Amount != 500 {
		t.Fatalf("refunds %+v, %v", rs, err)
	}
	if e.balance(alice) != 0 {
		t.Fatal("a WeChat-paid packet refunded to the balance")
	}
	e.audit()
	msg := data.Message{Payload: mustJSON(refundMsg{Seq: 1, OutRefundNo: rs[0].OutRefundNo})}
	for range 2 { // a redelivery after a crash sends the same number
		if err := e.svc.handleRefundSend(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
	}
	if len(m.asked) != 1 || m.asked[0].OutRefundNo != rs[0].OutRefundNo || m.asked[0].Total != 500 || m.asked[0].OutTradeNo != *p.OutTradeNo {
		t.Fatalf("asked %+v", m.asked)
	}
	rs, _, _ = e.svc.Refunds(context.Background(), "", "", 0)
	return e, m, rs[0]
}

// TestAuditCountsRefundsInFlight: a refund in flight is part of the money
// equation; a refund record lost, or its money counted twice, fails the
// audit.
func TestAuditCountsRefundsInFlight(t *testing.T) {
	e, _, rf := refundedPacket(t)
	if rf.Status != RefundProcessing {
		t.Fatalf("refund %+v", rf)
	}
	r := e.audit()
	if r.Totals.RefundsInFlight != 500 || r.Totals.Escrow != 0 || r.Totals.MoneyIn != 500 {
		t.Fatalf("totals %+v", r.Totals)
	}
	breakDB := func(f func(tx data.Tx) error) Report {
		t.Helper()
		if err := e.db.Update(context.Background(), f); err != nil {
			t.Fatal(err)
		}
		r, err := Audit(e.db)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// The counter says 500 more are in flight than the records hold.
	r = breakDB(func(tx data.Tx) error { return addCounter(tx, counterRefundsHeld, 500) })
	if r.OK || failing(r) != "refunds in flight and refunded add up to their counters, within their orders" {
		t.Fatalf("a wrong counter passed: %+v", r.Checks)
	}
	// The refund record is lost: the money vanished.
	r = breakDB(func(tx data.Tx) error {
		if err := addCounter(tx, counterRefundsHeld, -500); err != nil {
			return err
		}
		return putRefund(tx, 1, refundRec{Amount: 500, OrderTotal: 500, Status: RefundSuccess})
	})
	if r.OK || !strings.Contains(failing(r), "balances + escrow + refunds in flight") {
		t.Fatalf("a lost refund passed: %+v", r.Checks)
	}
}

// failing names the checks that failed.
func failing(r Report) string {
	var names []string
	for _, c := range r.Checks {
		if !c.OK {
			names = append(names, c.Name)
		}
	}
	return strings.Join(names, "; ")
}

// TestRefundStatesNeverMoveBack: duplicates, states behind the known one,
// another amount and unknown numbers change nothing.
func TestRefundStatesNeverMoveBack(t *testing.T) {
	e, _, rf := refundedPacket(t)
	ctx := context.Background()
	apply := func(st RefundState) bool {
		t.Helper()
		applied, err := e.svc.ApplyRefund(ctx, st)
		if err != nil {
			t.Fatalf("%+v: %v", st, err)
		}
		return applied
	}
	if apply(RefundState{OutRefundNo: rf.OutRefundNo, Status: WxRefundProcessing}) {
		t.Fatal("processing twice")
	}
	_, err := e.svc.ApplyRefund(ctx, RefundState{OutRefundNo: rf.OutRefundNo, Status: WxRefundSuccess, Refund: 499})
	wantCode(t, err, data.EInvalid)
	_, err = e.svc.ApplyRefund(ctx, RefundState{OutRefundNo: "RFNONE", Status: WxRefundSuccess})
	wantCode(t, err, data.ENotFound)
	_, err = e.svc.ApplyRefund(ctx, RefundState{OutRefundNo: rf.OutRefundNo, Status: "REFUNDING"})
	wantCode(t, err, data.EInvalid)
	e.clock.Add(time.Minute)
	if !apply(RefundState{OutRefundNo: rf.OutRefundNo, Status: WxRefundSuccess, Refund: 500}) {
		t.Fatal("success not applied")
	}
	for _, s := range []string{WxRefundSuccess, WxRefundClosed, WxRefundAbnormal, WxRefundProcessing} {
		if apply(RefundState{OutRefundNo: rf.OutRefundNo, Status: s}) {
			t.Fatalf("%s after success applied", s)
		}
	}
	if r := e.audit(); r.Totals.RefundedOut != 500 || r.Totals.MoneyOut != 500 || r.Totals.RefundsInFlight != 0 {
		t.Fatalf("totals %+v", r.Totals)
	}
	_, err = e.svc.CreditRefund(ctx, rf.ID)
	wantCode(t, err, data.EConflict)
}
