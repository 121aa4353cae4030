package packet

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/data/datatest"
)

// codeLogin is an auth.WeChat whose login code is the openid itself.
type codeLogin struct{}

func (codeLogin) Code2Session(_ context.Context, code string) (auth.Identity, error) {
	return auth.Identity{OpenID: code, SessionKey: "k"}, nil
}
func (codeLogin) BadCode(error) bool { return false }

// fakePay is an in-memory Payments: orders are NOTPAY until pay marks them paid.
type fakePay struct {
	mu        sync.Mutex
	appID     string
	orders    map[string]*fakeOrder
	prepayErr error
	queries   int
}

type fakeOrder struct {
	req   PrepayRequest
	state string
}

func newFakePay() *fakePay { return &fakePay{appID: "wxtest", orders: map[string]*fakeOrder{}} }

func (f *fakePay) AppID() string { return f.appID }

func (f *fakePay) Prepay(_ context.Context, r PrepayRequest) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.prepayErr != nil {
		return "", f.prepayErr
	}
	if f.orders[r.OutTradeNo] == nil {
		f.orders[r.OutTradeNo] = &fakeOrder{req: r, state: "NOTPAY"}
	}
	return "prepay-" + r.OutTradeNo, nil
}

func (f *fakePay) PayParams(id string) (PayParams, error) {
	return PayParams{AppID: f.appID, Package: "prepay_id=" + id, SignType: "RSA", PaySign: "sig"}, nil
}

func (f *fakePay) tx(o *fakeOrder) Transaction {
	return Transaction{AppID: f.appID, OutTradeNo: o.req.OutTradeNo, TransactionID: "42" + o.req.OutTradeNo,
		TradeState: o.state, Total: o.req.Total}
}

func (f *fakePay) Query(_ context.Context, no string) (Transaction, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries++
	o := f.orders[no]
	if o == nil {
		return Transaction{}, ErrOrderNotExist
	}
	return f.tx(o), nil
}

func (f *fakePay) Close(_ context.Context, no string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.orders[no]
	if o == nil {
		return ErrOrderNotExist
	}
	if o.state == TradeSuccess {
		return ErrOrderPaid
	}
	o.state = "CLOSED"
	return nil
}

// pay marks an order paid and returns its transaction (as a notification carries it).
func (f *fakePay) pay(t testing.TB, no string) Transaction {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.orders[no]
	if o == nil {
		t.Fatalf("fake pay: no order %s", no)
	}
	o.state = TradeSuccess
	return f.tx(o)
}

// env is a packet service over a temp database, with users.
type env struct {
	t     testing.TB
	path  string
	db    *data.DB
	clock *datatest.Clock
	auth  *auth.Service
	pay   *fakePay
	svc   *Service
	opts  Options
	sync  bool // fsync on commit (benchmarks); tests skip it
	// beforeCommit is data.Options.BeforeCommit (measurements).
	beforeCommit func(tx data.Tx)
}

func newEnv(t testing.TB, opts Options) *env { return newEnvSync(t, opts, false) }

func newEnvSync(t testing.TB, opts Options, sync bool) *env { return newEnvHooked(t, opts, sync, nil) }

// newEnvHooked is newEnvSync with a data.Options.BeforeCommit hook.
func newEnvHooked(t testing.TB, opts Options, sync bool, beforeCommit func(tx data.Tx)) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "p.db"), clock: datatest.NewClock(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)),
		pay: newFakePay(), opts: opts, sync: sync, beforeCommit: beforeCommit}
	e.open()
	return e
}

func (e *env) open() {
	e.t.Helper()
	db := datatest.Open(e.t, e.path, data.Options{Buckets: append(append([][]byte{}, auth.Buckets...), Buckets...),
		Now: e.clock.Now, NoSync: !e.sync, BeforeCommit: e.beforeCommit})
	e.db = db
	e.auth = auth.New(db, codeLogin{}, auth.Options{Now: e.clock.Now})
	o := e.opts
	o.Now, o.Payments, o.Logger = e.clock.Now, e.pay, slog.New(slog.NewTextHandler(io.Discard, nil))
	e.svc = New(db, o)
}

func (e *env) reopen() {
	e.t.Helper()
	if err := e.db.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
}

func (e *env) user(openid string) auth.User {
	e.t.Helper()
	l, err := e.auth.Login(context.Background(), openid)
	if err != nil {
		e.t.Fatal(err)
	}
	return l.User
}

// fund tops user up by amount through a paid top-up order.
func (e *env) fund(u auth.User, amount int64) {
	e.t.Helper()
	o, err := e.svc.Topup(context.Background(), u, amount)
	if err != nil {
		e.t.Fatal(err)
	}
	if applied, err := e.svc.ApplyPayment(context.Background(), e.pay.pay(e.t, o.OutTradeNo)); err != nil || !applied {
		e.t.Fatalf("apply top-up: %v %v", applied, err)
	}
}

func (e *env) balance(u auth.User) int64 {
	e.t.Helper()
	b, err := e.svc.Balance(context.Background(), u.Seq)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) ledger(u auth.User) []LedgerEntry {
	e.t.Helper()
	var all []LedgerEntry
	cursor := ""
	for {
		items, next, err := e.svc.Ledger(context.Background(), u.Seq, cursor, 0)
		if err != nil {
			e.t.Fatal(err)
		}
		all = append(all, items...)
		if next == "" {
			return all
		}
		cursor = next
	}
}

func (e *env) create(u auth.User, in CreateInput) Packet {
	e.t.Helper()
	p, err := e.svc.Create(context.Background(), u, in)
	if err != nil {
		e.t.Fatalf("create %+v: %v", in, err)
	}
	return p
}

func (e *env) get(u auth.User, id string) Packet {
	e.t.Helper()
	p, err := e.svc.Get(context.Background(), u.Seq, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// audit fails the test unless every invariant holds.
func (e *env) audit() Report {
	e.t.Helper()
	r, err := Audit(e.db)
	if err != nil {
		e.t.Fatal(err)
	}
	if !r.OK {
		e.t.Fatalf("audit failed: %+v", r.Checks)
	}
	return r
}

// keyCount is the number of keys in a bucket.
func (e *env) keyCount(bucket []byte) int {
	n := 0
	_ = e.db.View(func(tx data.Tx) error { n = data.KeyCount(tx.Bucket(bucket)); return nil })
	return n
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := data.ErrorCode(err); err == nil || got != code {
		t.Fatalf("error %v (code %s), want code %s", err, got, code)
	}
}

func users(e *env, n int, prefix string) []auth.User {
	out := make([]auth.User, n)
	for i := range out {
		out[i] = e.user(fmt.Sprintf("%s%d", prefix, i))
	}
	return out
}
