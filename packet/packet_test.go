package packet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"luckbox/data"
)

var ctx = context.Background()

func TestCreateRejectsBadInputAndWritesNothing(t *testing.T) {
	e := newEnv(t, Options{})
	alice, bob := e.user("alice"), e.user("bob")
	e.fund(alice, 50000)
	packetsBefore, ledgerBefore := e.keyCount(bucketPackets), len(e.ledger(alice))
	long := strings.Repeat("福", 41)
	cases := []struct {
		name  string
		in    CreateInput
		code  string
		field string
	}{
		{"no kind", CreateInput{Count: 1, Amount: 100}, data.EInvalid, "kind"},
		{"bad kind", CreateInput{Kind: "huge", Count: 1, Amount: 100}, data.EInvalid, "kind"},
		{"zero amount", CreateInput{Kind: KindLucky, Count: 1, Amount: 0}, data.EInvalid, "amount"},
		{"negative amount", CreateInput{Kind: KindLucky, Count: 1, Amount: -5}, data.EInvalid, "amount"},
		{"amount over limit", CreateInput{Kind: KindLucky, Count: 1, Amount: 20001}, data.EInvalid, "amount"},
		{"huge amount", CreateInput{Kind: KindLucky, Count: 1, Amount: math.MaxInt64}, data.EInvalid, "amount"},
		{"count 0", CreateInput{Kind: KindLucky, Count: 0, Amount: 100}, data.EInvalid, "count"},
		{"count 101", CreateInput{Kind: KindLucky, Count: 101, Amount: 1000}, data.EInvalid, "count"},
		{"negative count", CreateInput{Kind: KindEqual, Count: -1, AmountEach: 1}, data.EInvalid, "count"},
		{"lucky under 1 fen a share", CreateInput{Kind: KindLucky, Count: 10, Amount: 9}, data.EInvalid, "amount"},
		{"equal over limit", CreateInput{Kind: KindEqual, Count: 100, AmountEach: 201}, data.EInvalid, "amount_each"},
		{"equal overflow", CreateInput{Kind: KindEqual, Count: 100, AmountEach: math.MaxInt64 / 50}, data.EInvalid, "amount_each"},
		{"equal zero each", CreateInput{Kind: KindEqual, Count: 3, AmountEach: 0}, data.EInvalid, "amount_each"},
		{"equal wrong amount", CreateInput{Kind: KindEqual, Count: 3, AmountEach: 10, Amount: 31}, data.EInvalid, "amount"},
		{"lucky with amount_each", CreateInput{Kind: KindLucky, Count: 3, Amount: 30, AmountEach: 10}, data.EInvalid, "amount_each"},
		{"personal without to_user_id", CreateInput{Kind: KindPersonal, Amount: 100}, data.EInvalid, "to_user_id"},
		{"personal to self", CreateInput{Kind: KindPersonal, Amount: 100, ToUserID: alice.ID()}, data.EInvalid, "to_user_id"},
		{"personal to nobody", CreateInput{Kind: KindPersonal, Amount: 100, ToUserID: "aaaaaaaaaaaaaaaaaaaaaaaaaa"}, data.EInvalid, "to_user_id"},
		{"personal count 2", CreateInput{Kind: KindPersonal, Count: 2, Amount: 100, ToUserID: bob.ID()}, data.EInvalid, "count"},
		{"to_user_id on lucky", CreateInput{Kind: KindLucky, Count: 2, Amount: 100, ToUserID: bob.ID()}, data.EInvalid, "to_user_id"},
		{"greeting too long", CreateInput{Kind: KindLucky, Count: 1, Amount: 100, Greeting: long}, data.EInvalid, "greeting"},
		{"greeting control", CreateInput{Kind: KindLucky, Count: 1, Amount: 100, Greeting: "a\x00b"}, data.EInvalid, "greeting"},
		{"bad pay_with", CreateInput{Kind: KindLucky, Count: 1, Amount: 100, PayWith: "cash"}, data.EInvalid, "pay_with"},
	}
	for _, c := range cases {
		_, err := e.svc.Create(ctx, alice, c.in)
		wantCode(t, err, c.code)
		de, _ := data.AsError(err)
		if fe, ok := de.Details.([]data.FieldError); !ok || len(fe) != 1 || fe[0].Field != c.field {
			t.Errorf("%s: details %+v, want field %s", c.name, de.Details, c.field)
		}
	}
	// 40 characters is fine (runes, not bytes).
	e.create(alice, CreateInput{Kind: KindLucky, Count: 1, Amount: 1, Greeting: strings.Repeat("福", 40)})
	packetsBefore++
	if got := e.balance(alice); got != 50000-1 {
		t.Fatalf("balance %d", got)
	}
	// Insufficient balance is a conflict, but input errors come first.
	carol := e.user("carol")
	_, err := e.svc.Create(ctx, carol, CreateInput{Kind: KindLucky, Count: 101, Amount: 100})
	wantCode(t, err, data.EInvalid)
	_, err = e.svc.Create(ctx, carol, CreateInput{Kind: KindLucky, Count: 2, Amount: 100})
	wantCode(t, err, data.EConflict)
	if got := e.keyCount(bucketPackets); got != packetsBefore {
		t.Fatalf("%d packets, want %d", got, packetsBefore)
	}
	if got := len(e.ledger(alice)); got != ledgerBefore+1 {
		t.Fatalf("%d ledger rows, want %d", got, ledgerBefore+1)
	}
	if e.balance(carol) != 0 || len(e.ledger(carol)) != 0 {
		t.Fatal("carol's wallet changed")
	}
	e.audit()
}

func TestLuckyPacketGrabsFinishAndReveal(t *testing.T) {
	e := newEnv(t, Options{})
	alice := e.user("alice")
	e.fund(alice, 1000)
	p := e.create(alice, CreateInput{Kind: KindLucky, Count: 5, Amount: 777, Greeting: "新年快乐"})
	if p.Status != StatusActive || p.RemainingCount != 5 || p.RemainingAmount != 777 || p.Split == nil || p.Split.Salt != nil || p.Split.Shares != nil {
		t.Fatalf("new packet %+v", p)
	}
	if e.balance(alice) != 223 {
		t.Fatalf("sender balance %d", e.balance(alice))
	}
	us := users(e, 5, "u")
	us[4] = alice // the sender may grab her own lucky packet
	var got []int64
	for i, u := range us {
		r, err := e.svc.Grab(ctx, u.Seq, p.ID)
		if err != nil || r.Again || !r.Credited || r.Amount < 1 {
			t.Fatalf("grab %d: %+v %v", i, r, err)
		}
		got = append(got, r.Amount)
		again, err := e.svc.Grab(ctx, u.Seq, p.ID)
		if err != nil || !again.Again || again.Amount != r.Amount {
			t.Fatalf("grab again %d: %+v %v", i, again, err)
		}
	}
	late := e.user("late")
	_, err := e.svc.Grab(ctx, late.Seq, p.ID)
	wantCode(t, err, data.EExhausted)

	f := e.get(us[0], p.ID)
	if f.Status != StatusFinished || f.RemainingCount != 0 || f.RemainingAmount != 0 || f.FinishedAt == nil || len(f.Grabs) != 5 {
		t.Fatalf("finished packet %+v", f)
	}
	// The revealed list is the grabs in order, and matches the commitment.
	if !slices.Equal(f.Split.Shares, got) {
		t.Fatalf("revealed %v, grabbed %v", f.Split.Shares, got)
	}
	salt, _ := hex.DecodeString(*f.Split.Salt)
	buf := append([]byte{}, salt...)
	for i, s := range f.Split.Shares {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendInt(buf, s, 10)
	}
	if sum := sha256.Sum256(buf); hex.EncodeToString(sum[:]) != p.Split.Commit {
		t.Fatal("revealed split does not match the commitment published at creation")
	}
	// Best luck: the largest share, earliest on ties; shown in grabs and to the grabber.
	best := bestIndex(got)
	for i, g := range f.Grabs {
		if g.BestLuck != (i == best) || g.Amount != got[i] || !g.Credited {
			t.Fatalf("grab %d: %+v (best %d)", i, g, best)
		}
	}
	if r, _ := e.svc.Grab(ctx, us[best].Seq, p.ID); !r.BestLuck {
		t.Fatal("best luck grabber not told")
	}
	var sum int64
	for i, u := range us {
		if u.Seq == alice.Seq {
			continue
		}
		if e.balance(u) != got[i] {
			t.Fatalf("user %d balance %d, grabbed %d", i, e.balance(u), got[i])
		}
		sum += got[i]
	}
	if sum+got[4] != 777 || e.balance(alice) != 223+got[4] {
		t.Fatalf("sum %d, alice %d", sum+got[4], e.balance(alice))
	}
	e.audit()
}

func TestPersonalAndEqualPackets(t *testing.T) {
	e := newEnv(t, Options{})
	alice, bob, carol := e.user("alice"), e.user("bob"), e.user("carol")
	e.fund(alice, 1000)
	p := e.create(alice, CreateInput{Kind: KindPersonal, Amount: 300, ToUserID: bob.ID()})
	if p.Count != 1 || p.ToUserID == nil || *p.ToUserID != bob.ID() || p.Split != nil {
		t.Fatalf("personal packet %+v", p)
	}
	for _, u := range []uint64{carol.Seq, alice.Seq} {
		_, err := e.svc.Grab(ctx, u, p.ID)
		wantCode(t, err, data.EForbidden)
	}
	_, err := e.svc.Get(ctx, carol.Seq, p.ID)
	wantCode(t, err, data.EForbidden)
	if r, err := e.svc.Grab(ctx, bob.Seq, p.ID); err != nil || r.Amount != 300 {
		t.Fatalf("bob: %+v %v", r, err)
	}
	// Authorization before state: still 403 once it is finished.
	_, err = e.svc.Grab(ctx, carol.Seq, p.ID)
	wantCode(t, err, data.EForbidden)
	if q := e.get(bob, p.ID); q.Status != StatusFinished || *q.Me.Amount != 300 || q.Grabs[0].BestLuck {
		t.Fatalf("personal after grab %+v", q)
	}

	eq := e.create(alice, CreateInput{Kind: KindEqual, Count: 3, AmountEach: 100})
	if eq.Amount != 300 || *eq.AmountEach != 100 {
		t.Fatalf("equal packet %+v", eq)
	}
	for _, u := range []uint64{bob.Seq, carol.Seq} {
		if r, err := e.svc.Grab(ctx, u, eq.ID); err != nil || r.Amount != 100 {
			t.Fatalf("equal grab: %+v %v", r, err)
		}
	}
	_, err = e.svc.Grab(ctx, bob.Seq, "aaaaaaaaaaaaaaaaaaaaaaaaaa")
	wantCode(t, err, data.ENotFound)
	_, err = e.svc.Grab(ctx, bob.Seq, eq.ID[:25]+"x")
	wantCode(t, err, data.ENotFound)
	if e.balance(bob) != 400 || e.balance(carol) != 100 || e.balance(alice) != 400 {
		t.Fatalf("balances %d %d %d", e.balance(alice), e.balance(bob), e.balance(carol))
	}
	sent, next, err := e.svc.ListMine(ctx, alice.Seq, RoleSent, "")
	if err != nil || next != "" || len(sent) != 2 || sent[0].ID != eq.ID {
		t.Fatalf("sent %v %q %v", len(sent), next, err)
	}
	recv, _, err := e.svc.ListMine(ctx, bob.Seq, RoleReceived, "")
	if err != nil || len(recv) != 2 {
		t.Fatalf("received %d %v", len(recv), err)
	}
	e.audit()
}

func TestConcurrentGrabsTakeEachShareOnce(t *testing.T) {
	e := newEnv(t, Options{})
	alice := e.user("alice")
	e.fund(alice, 20000)
	p := e.create(alice, CreateInput{Kind: KindLucky, Count: 50, Amount: 12345})
	us := users(e, 200, "g")
	var mu sync.Mutex
	codes := map[string]int{}
	var sum int64
	var wg sync.WaitGroup
	for _, u := range us {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := e.svc.Grab(ctx, u.Seq, p.ID)
			mu.Lock()
			defer mu.Unlock()
			codes[data.ErrorCode(err)]++
			if err == nil {
				codes["ok"]++
				sum += r.Amount
			}
		}()
	}
	wg.Wait()
	if codes["ok"] != 50 || codes[data.EExhausted] != 150 || sum != 12345 {
		t.Fatalf("outcomes %v, sum %d", codes, sum)
	}
	e.audit()
}

func TestPendingPacketCreditedByPayment(t *testing.T) {
	e := newEnv(t, Options{})
	alice, bob, carol := e.user("alice"), e.user("bob"), e.user("carol")
	p := e.create(alice, CreateInput{Kind: KindLucky, Count: 3, Amount: 600, PayWith: PayWeChat})
	if p.Status != StatusUnpaid || p.PayParams == nil || !strings.HasPrefix(p.PayParams.Package, "prepay_id=") {
		t.Fatalf("wechat packet %+v", p)
	}
	if q := e.get(bob, p.ID); q.PayParams != nil {
		t.Fatal("pay_params shown to someone other than the sender")
	}
	_, err := e.svc.Grab(ctx, bob.Seq, p.ID)
	wantCode(t, err, data.EConflict)
	_, err = e.svc.MarkPaid(ctx, bob.Seq, p.ID)
	wantCode(t, err, data.EForbidden)
	q, err := e.svc.MarkPaid(ctx, alice.Seq, p.ID)
	if err != nil || q.Status != StatusPending {
		t.Fatalf("paid: %+v %v", q, err)
	}
	r1, err := e.svc.Grab(ctx, bob.Seq, p.ID)
	if err != nil || r1.Credited {
		t.Fatalf("pending grab %+v %v", r1, err)
	}
	if e.balance(bob) != 0 {
		t.Fatal("pending grab credited before the payment")
	}
	e.audit()

	var no string
	for k := range e.pay.orders {
		no = k
	}
	tx := e.pay.pay(t, no)
	if applied, err := e.svc.ApplyPayment(ctx, tx); err != nil || !applied {
		t.Fatalf("apply: %v %v", applied, err)
	}
	if applied, err := e.svc.ApplyPayment(ctx, tx); err != nil || applied {
		t.Fatalf("duplicate apply: %v %v", applied, err)
	}
	if e.balance(bob) != r1.Amount || len(e.ledger(bob)) != 1 {
		t.Fatalf("bob %d, ledger %v", e.balance(bob), e.ledger(bob))
	}
	if q := e.get(alice, p.ID); q.Status != StatusActive || !q.Grabs[0].Credited || q.PayParams != nil {
		t.Fatalf("after payment %+v", q)
	}
	if e.balance(alice) != 0 || len(e.ledger(alice)) != 0 {
		t.Fatal("a WeChat-paid packet touched the sender's wallet")
	}
	r2, err := e.svc.Grab(ctx, carol.Seq, p.ID)
	if err != nil || !r2.Credited || e.balance(carol) != r2.Amount {
		t.Fatalf("active grab %+v %v", r2, err)
	}
	rep := e.audit()
	if rep.Totals.MoneyIn != 600 || rep.Totals.Escrow != 600-r1.Amount-r2.Amount {
		t.Fatalf("totals %+v", rep.Totals)
	}
}

func TestPendingPacketFinishesOnPayment(t *testing.T) {
	e := newEnv(t, Options{})
	alice := e.user("alice")
	p := e.create(alice, CreateInput{Kind: KindLucky, Count: 3, Amount: 90, PayWith: PayWeChat})
	if _, err := e.svc.MarkPaid(ctx, alice.Seq, p.ID); err != nil {
		t.Fatal(err)
	}
	us := users(e, 4, "x")
	for _, u := range us[:3] {
		if _, err := e.svc.Grab(ctx, u.Seq, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.svc.Grab(ctx, us[3].Seq, p.ID)
	wantCode(t, err, data.EExhausted)
	if q := e.get(alice, p.ID); q.Status != StatusPending || q.RemainingCount != 0 || q.Split.Shares != nil {
		t.Fatalf("exhausted pending %+v", q)
	}
	e.audit()
	for no := range e.pay.orders {
		if _, err := e.svc.ApplyPayment(ctx, e.pay.pay(t, no)); err != nil {
			t.Fatal(err)
		}
	}
	q := e.get(alice, p.ID)
	if q.Status != StatusFinished || q.FinishedAt == nil || q.Split.Shares == nil {
		t.Fatalf("after payment %+v", q)
	}
	var total int64
	for _, u := range us[:3] {
		total += e.balance(u)
	}
	if total != 90 {
		t.Fatalf("credited %d", total)
	}
	e.audit()
}

func TestPaymentRejectsChangeNothing(t *testing.T) {
	e := newEnv(t, Options{})
	alice := e.user("alice")
	o, err := e.svc.Topup(ctx, alice, 500)
	if err != nil || o.Status != OrderPending || o.PayParams == nil {
		t.Fatalf("topup %+v %v", o, err)
	}
	good := e.pay.pay(t, o.OutTradeNo)
	for _, c := range []struct {
		tx   Transaction
		code string
	}{
		{Transaction{AppID: good.AppID, OutTradeNo: "LBNOSUCHORDER0000", TradeState: TradeSuccess, Total: 500}, data.ENotFound},
		{Transaction{AppID: good.AppID, OutTradeNo: good.OutTradeNo, TradeState: TradeSuccess, Total: 5000}, data.EInvalid},
		{Transaction{AppID: "wxother", OutTradeNo: good.OutTradeNo, TradeState: TradeSuccess, Total: 500}, data.EInvalid},
	} {
		_, err := e.svc.ApplyPayment(ctx, c.tx)
		wantCode(t, err, c.code)
	}
	if applied, err := e.svc.ApplyPayment(ctx, Transaction{AppID: good.AppID, OutTradeNo: good.OutTradeNo, TradeState: "NOTPAY", Total: 500}); applied || err != nil {
		t.Fatalf("unpaid transaction: %v %v", applied, err)
	}
	if e.balance(alice) != 0 || len(e.ledger(alice)) != 0 {
		t.Fatal("a rejected payment changed the wallet")
	}
	got, err := e.svc.TopupOrder(ctx, alice.Seq, o.ID)
	if err != nil || got.Status != OrderPending {
		t.Fatalf("order %+v %v", got, err)
	}
	if _, err := e.svc.ApplyPayment(ctx, good); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.svc.TopupOrder(ctx, alice.Seq, o.ID); got.Status != OrderPaid || got.PaidAt == nil || got.PayParams != nil {
		t.Fatalf("paid order %+v", got)
	}
	bob := e.user("bob")
	_, err = e.svc.TopupOrder(ctx, bob.Seq, o.ID)
	wantCode(t, err, data.ENotFound)
	_, err = e.svc.Topup(ctx, alice, 0)
	wantCode(t, err, data.EInvalid)
	_, err = e.svc.Topup(ctx, alice, DefaultMaxTopup+1)
	wantCode(t, err, data.EInvalid)
	if e.balance(alice) != 500 {
		t.Fatal("balance")
	}
	e.audit()
}

func TestExpiryRefundsOnceAcrossRestart(t *testing.T) {
	e := newEnv(t, Options{TTL: time.Hour})
	alice, bob := e.user("alice"), e.user("bob")
	e.fund(alice, 1000)
	p := e.create(alice, CreateInput{Kind: KindEqual, Count: 4, AmountEach: 100})
	if _, err := e.svc.Grab(ctx, bob.Seq, p.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Hour) // expires_at reached; the scheduler has not run
	_, err := e.svc.Grab(ctx, e.user("carol").Seq, p.ID)
	wantCode(t, err, data.EExpired)
	if r, err := e.svc.Grab(ctx, bob.Seq, p.ID); err != nil || !r.Again {
		t.Fatalf("bob again after expiry: %+v %v", r, err)
	}
	// Restart before the expiry ran: the background runner catches up.
	e.reopen()
	bg := e.db.NewBackground()
	e.svc.RegisterBackground(bg)
	bctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); bg.Run(bctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for e.get(alice, p.ID).Status != StatusExpired {
		if time.Now().After(deadline) {
			t.Fatal("overdue expiry did not run after the restart")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	// Running the expiry again (twice) changes nothing.
	seq, _, _ := data.DecodeID(p.ID)
	for range 2 {
		if did, err := e.svc.Expire(ctx, seq); err != nil || did {
			t.Fatalf("second expiry: %v %v", did, err)
		}
	}
	e.reopen()
	if did, err := e.svc.Expire(ctx, seq); err != nil || did {
		t.Fatalf("expiry after reopen: %v %v", did, err)
	}
	q := e.get(alice, p.ID)
	if q.Status != StatusExpired || q.RefundedAmount != 300 || q.RemainingAmount != 0 || q.RemainingCount != 3 {
		t.Fatalf("expired packet %+v", q)
	}
	refunds := 0
	for _, l := range e.ledger(alice) {
		if l.Kind == LedgerPacketRefund {
			refunds++
			if l.Delta != 300 || l.Ref != p.ID {
				t.Fatalf("refund row %+v", l)
			}
		}
	}
	if refunds != 1 || e.balance(alice) != 900 {
		t.Fatalf("%d refunds, balance %d", refunds, e.balance(alice))
	}
	_, err = e.svc.Grab(ctx, e.user("dave").Seq, p.ID)
	wantCode(t, err, data.EExpired)
	e.audit()
}

func TestExpiryBeforeDueIsRetried(t *testing.T) {
	e := newEnv(t, Options{TTL: time.Hour})
	alice := e.user("alice")
	e.fund(alice, 100)
	p := e.create(alice, CreateInput{Kind: KindLucky, Count: 2, Amount: 100})
	seq, _, _ := data.DecodeID(p.ID)
	if err := e.svc.handleExpire(ctx, data.Due{Kind: dueExpire, Ref: data.U64(seq)}); err == nil {
		t.Fatal("an early expiry must fail so the scheduler retries it")
	}
	if e.get(alice, p.ID).Status != StatusActive || e.balance(alice) != 0 {
		t.Fatal("early expiry changed the packet")
	}
}

func TestPaymentAfterExpiryRefundsTheSender(t *testing.T) {
	e := newEnv(t, Options{TTL: time.Hour})
	alice, bob := e.user("alice"), e.user("bob")
	p := e.create(alice, CreateInput{Kind: KindEqual, Count: 3, AmountEach: 50, PayWith: PayWeChat})
	if _, err := e.svc.MarkPaid(ctx, alice.Seq, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Grab(ctx, bob.Seq, p.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Hour)
	seq, _, _ := data.DecodeID(p.ID)
	if did, err := e.svc.Expire(ctx, seq); err != nil || !did {
		t.Fatalf("expire: %v %v", did, err)
	}
	if q := e.get(alice, p.ID); q.Status != StatusExpired || q.RefundedAmount != 0 || e.balance(alice) != 0 {
		t.Fatalf("unfunded expiry refunded something: %+v", q)
	}
	e.audit()
	for no := range e.pay.orders {
		if _, err := e.svc.ApplyPayment(ctx, e.pay.pay(t, no)); err != nil {
			t.Fatal(err)
		}
	}
	q := e.get(alice, p.ID)
	if q.Status != StatusExpired || q.RefundedAmount != 100 || e.balance(alice) != 100 || e.balance(bob) != 50 {
		t.Fatalf("late payment: %+v, alice %d, bob %d", q, e.balance(alice), e.balance(bob))
	}
	e.audit()
}

func TestOverdueOrderIsQueriedThenClosed(t *testing.T) {
	e := newEnv(t, Options{})
	alice := e.user("alice")
	paid, err := e.svc.Topup(ctx, alice, 700)
	if err != nil {
		t.Fatal(err)
	}
	unpaid, err := e.svc.Topup(ctx, alice, 300)
	if err != nil {
		t.Fatal(err)
	}
	e.pay.pay(t, paid.OutTradeNo) // paid, but the notification was lost
	e.clock.Add(2 * time.Minute)
	for _, no := range []string{paid.OutTradeNo, unpaid.OutTradeNo} {
		if err := e.svc.QueryOrder(ctx, no); err != nil {
			t.Fatal(err)
		}
	}
	if e.balance(alice) != 700 {
		t.Fatalf("balance %d after the query", e.balance(alice))
	}
	// The unpaid one was rescheduled for later; running it again past the
	// pay window closes it at WeChat Pay and here.
	e.clock.Add(3 * time.Hour)
	if err := e.svc.QueryOrder(ctx, unpaid.OutTradeNo); err != nil {
		t.Fatal(err)
	}
	if o, _ := e.svc.TopupOrder(ctx, alice.Seq, unpaid.ID); o.Status != OrderClosed || e.pay.orders[unpaid.OutTradeNo].state != "CLOSED" {
		t.Fatalf("unpaid order %+v", o)
	}
	// A query that finds it paid again changes nothing.
	if err := e.svc.QueryOrder(ctx, paid.OutTradeNo); err != nil {
		t.Fatal(err)
	}
	if e.balance(alice) != 700 || len(e.ledger(alice)) != 1 {
		t.Fatal("query applied twice")
	}
	e.audit()
}

func TestFailedPrepayClosesOrder(t *testing.T) {
	e := newEnv(t, Options{})
	alice := e.user("alice")
	e.pay.prepayErr = errors.New("wechat down")
	if _, err := e.svc.Topup(ctx, alice, 100); err == nil || data.ErrorCode(err) != data.EInternal {
		t.Fatalf("topup with failing prepay: %v", err)
	}
	n := 0
	_ = e.db.View(func(tx data.Tx) error {
		return tx.Bucket(bucketOrders).ForEach(func(k, v []byte) error {
			o, _, _ := loadOrder(tx, data.ParseU64(k))
			if o.Status != OrderClosed {
				t.Errorf("order %s is %s", o.OutTradeNo, o.Status)
			}
			n++
			return nil
		})
	})
	if n != 1 {
		t.Fatalf("%d orders", n)
	}
}

func TestLedgerPages(t *testing.T) {
	e := newEnv(t, Options{})
	alice := e.user("alice")
	for i := range 5 {
		e.fund(alice, int64(i+1))
	}
	var deltas []int64
	cursor := ""
	for pages := 0; ; pages++ {
		items, next, err := e.svc.Ledger(ctx, alice.Seq, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			deltas = append(deltas, it.Delta)
		}
		if next == "" {
			if pages != 2 {
				t.Fatalf("%d pages", pages+1)
			}
			break
		}
		cursor = next
	}
	if !slices.Equal(deltas, []int64{5, 4, 3, 2, 1}) {
		t.Fatalf("ledger newest first: %v", deltas)
	}
	_, _, err := e.svc.Ledger(ctx, alice.Seq, "junk", 2)
	wantCode(t, err, data.EInvalid)
}

func TestAuditDetectsTampering(t *testing.T) {
	e := newEnv(t, Options{})
	alice, bob := e.user("alice"), e.user("bob")
	e.fund(alice, 1000)
	p := e.create(alice, CreateInput{Kind: KindLucky, Count: 2, Amount: 500})
	if _, err := e.svc.Grab(ctx, bob.Seq, p.ID); err != nil {
		t.Fatal(err)
	}
	e.audit()
	seq, _, _ := data.DecodeID(p.ID)
	failing := e.tamperFails
	// A fen created out of nothing in bob's wallet.
	setBalance := func(tx data.Tx, delta int64) error {
		w, err := loadWallet(tx, bob.Seq)
		if err != nil {
			return err
		}
		w.Balance += delta
		return tx.Bucket(bucketAccounts).Put(walletKey(bob.Seq), w.marshal())
	}
	failing(t, func(tx data.Tx) error { return setBalance(tx, 1) }, "ledger rows", "money in")
	e.reopen()
	failing(t, func(tx data.Tx) error { // undo, then a second grab by bob in the chain
		if err := setBalance(tx, -1); err != nil {
			return err
		}
		st, _, _ := loadState(tx, seq)
		if err := tx.Bucket(bucketAccounts).Put(grabKey(bob.Seq, seq), grabRec{Index: 1, Prev: bob.Seq}.marshal()); err != nil {
			return err
		}
		st.Next++
		return putState(tx, seq, &st)
	}, "twice", "grabs + remaining")
	e.reopen()
	failing(t, func(tx data.Tx) error { // a ledger row whose balance_after does not follow
		w, _ := loadWallet(tx, bob.Seq)
		log := tx.Bucket(bucketLedgerLog)
		r, err := parseLedgerRow(log.Get(data.U64(w.Last)))
		if err != nil {
			return err
		}
		r.BalanceAfter++
		return log.Put(data.U64(w.Last), r.marshal())
	}, "ledger rows")
}
