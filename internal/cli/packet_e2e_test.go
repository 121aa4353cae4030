package cli

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

type e2eOrder struct {
	OrderID    string `json:"order_id"`
	OutTradeNo string `json:"out_trade_no"`
	Status     string `json:"status"`
	PayParams  *struct {
		Package, PaySign string
	} `json:"pay_params"`
}

type e2ePacket struct {
	ID             string  `json:"id"`
	Status         string  `json:"status"`
	RemainingCount int     `json:"remaining_count"`
	OutTradeNo     *string `json:"out_trade_no"`
	Grabs          []struct {
		Amount   int64 `json:"amount"`
		Credited bool  `json:"credited"`
	} `json:"grabs"`
}

func balanceOf(t *testing.T, base, token string) int64 {
	t.Helper()
	var w struct{ Balance int64 }
	if st := call(t, "GET", base+"/api/v1/wallet", token, nil, &w); st != 200 {
		t.Fatalf("wallet: %d", st)
	}
	return w.Balance
}

// TestPacketsEndToEnd runs the demo flow against the real binary: a top-up
// paid through the fake WeChat Pay (notification over loopback, signed and
// encrypted), a lucky packet paid from the balance, a WeChat-paid packet,
// grabs, a restart, and `luckbox audit` on the stopped server's file.
func TestPacketsEndToEnd(t *testing.T) {
	file := filepath.Join(t.TempDir(), "luckbox.db")
	s := startServer(t, file)
	alice, _ := demoLogin(t, s.URL, "alice")
	bob, _ := demoLogin(t, s.URL, "bob")
	carol, _ := demoLogin(t, s.URL, "carol")

	var o e2eOrder
	if st := call(t, "POST", s.URL+"/api/v1/wallet/topups", alice, map[string]int64{"amount": 10000}, &o); st != 201 || o.PayParams == nil || o.Status != "pending" {
		t.Fatalf("top-up: %d %+v", st, o)
	}
	var paid struct{ Delivered []int }
	if st := call(t, "POST", s.URL+"/_fake/wechat/pay/"+o.OutTradeNo+"/succeed?times=2", "", nil, &paid); st != 200 || len(paid.Delivered) != 2 || paid.Delivered[0] != 204 || paid.Delivered[1] != 204 {
		t.Fatalf("pay: %d %+v", st, paid)
	}
	if b := balanceOf(t, s.URL, alice); b != 10000 {
		t.Fatalf("balance after a twice-notified top-up: %d", b)
	}

	var p e2ePacket
	if st := call(t, "POST", s.URL+"/api/v1/packets", alice, map[string]any{"kind": "lucky", "count": 2, "amount": 888, "greeting": "恭喜"}, &p); st != 201 || p.Status != "active" {
		t.Fatalf("create: %d %+v", st, p)
	}
	var g1, g2 struct{ Amount int64 }
	if st := call(t, "POST", s.URL+"/api/v1/packets/"+p.ID+"/grabs", bob, nil, &g1); st != 201 {
		t.Fatalf("bob grab: %d", st)
	}
	if st := call(t, "POST", s.URL+"/api/v1/packets/"+p.ID+"/grabs", carol, nil, &g2); st != 201 {
		t.Fatalf("carol grab: %d", st)
	}
	if g1.Amount+g2.Amount != 888 {
		t.Fatalf("grabs %d + %d", g1.Amount, g2.Amount)
	}

	var w e2ePacket
	if st := call(t, "POST", s.URL+"/api/v1/packets", bob, map[string]any{"kind": "equal", "count": 2, "amount_each": 50, "pay_with": "wechat"}, &w); st != 201 || w.Status != "unpaid" || w.OutTradeNo == nil {
		t.Fatalf("wechat packet: %d %+v", st, w)
	}
	if st := call(t, "POST", s.URL+"/api/v1/packets/"+w.ID+"/paid", bob, nil, &w); st != 200 || w.Status != "pending" {
		t.Fatalf("paid: %d %+v", st, w)
	}
	if st := call(t, "POST", s.URL+"/api/v1/packets/"+w.ID+"/grabs", carol, nil, nil); st != 201 {
		t.Fatalf("grab pending: %d", st)
	}
	if b := balanceOf(t, s.URL, carol); b != g2.Amount {
		t.Fatalf("carol credited before the payment: %d", b)
	}
	if st := call(t, "POST", s.URL+"/_fake/wechat/pay/"+*w.OutTradeNo+"/succeed", "", nil, nil); st != 200 {
		t.Fatalf("pay packet: %d", st)
	}
	if b := balanceOf(t, s.URL, carol); b != g2.Amount+50 {
		t.Fatalf("carol after the payment: %d", b)
	}

	// A restart keeps everything.
	s.stop(t)
	s2 := startServer(t, file)
	if b := balanceOf(t, s2.URL, alice); b != 10000-888 {
		t.Fatalf("alice after restart: %d", b)
	}
	var q e2ePacket
	if st := call(t, "GET", s2.URL+"/api/v1/packets/"+w.ID, bob, nil, &q); st != 200 || q.Status != "active" || len(q.Grabs) != 1 || !q.Grabs[0].Credited {
		t.Fatalf("wechat packet after restart: %d %+v", st, q)
	}
	var rep struct{ OK bool }
	s2.stop(t)

	var out, errOut bytes.Buffer
	if err := Run(context.Background(), []string{"audit", "--data", file}, noEnv, &out, &errOut); err != nil {
		t.Fatalf("audit: %v\n%s%s", err, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "all invariants hold") || strings.Contains(out.String(), "FAIL") ||
		!strings.Contains(out.String(), "money in 10100") {
		t.Fatalf("audit output:\n%s", out.String())
	}
	out.Reset()
	if err := Run(context.Background(), []string{"audit", "--json", "--data", file}, noEnv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := jsonUnmarshal(out.Bytes(), &rep); err != nil || !rep.OK {
		t.Fatalf("audit --json: %v %s", err, out.String())
	}

	// A fen appearing out of nowhere fails the audit.
	db, err := bolt.Open(file, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("accounts")) // user seq → balance ‖ newest ledger row, among others
		c := b.Cursor()
		k, v := c.First()
		for ; k != nil && len(k) != 8; k, v = c.Next() {
		}
		bumped := binary.BigEndian.AppendUint64(nil, binary.BigEndian.Uint64(v)+1)
		return b.Put(append([]byte{}, k...), append(bumped, v[8:]...))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = Run(context.Background(), []string{"audit", "--data", file}, noEnv, &out, io.Discard)
	if err == nil || !strings.Contains(out.String(), "FAIL") || !strings.Contains(out.String(), "AUDIT FAILED") {
		t.Fatalf("audit of a tampered file: %v\n%s", err, out.String())
	}
}

func TestProductionNeedsWeChatPaySettings(t *testing.T) {
	base := []string{"serve", "--data", filepath.Join(t.TempDir(), "x.db"), "--wechat-app-id", "wx1234", "--wechat-secret", "s"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "--wechat-mch-id"},
		{[]string{"--wechat-mch-id", "1900000109"}, "--wechat-mch-serial"},
		{[]string{"--wechat-mch-id", "1", "--wechat-mch-serial", "AB", "--wechat-mch-key-file", "k.pem"}, "--wechat-apiv3-key"},
		{[]string{"--wechat-mch-id", "1", "--wechat-mch-serial", "AB", "--wechat-mch-key-file", "k.pem", "--wechat-apiv3-key", "short",
			"--wechat-platform-serial", "P", "--wechat-platform-key-file", "p.pem", "--public-url", "https://luck.example"}, "--wechat-apiv3-key"},
		{[]string{"--wechat-mch-id", "1", "--wechat-mch-serial", "AB", "--wechat-mch-key-file", filepath.Join(t.TempDir(), "missing.pem"),
			"--wechat-apiv3-key", strings.Repeat("k", 32), "--wechat-platform-serial", "P", "--wechat-platform-key-file", "p.pem",
			"--public-url", "https://luck.example", "--addr", "127.0.0.1:0"}, "--wechat-mch-key-file"},
		{[]string{"--packet-max-count", "0"}, "--packet-max-count"},
		{[]string{"--packet-ttl", "1s"}, "--packet-ttl"},
	} {
		err := Run(context.Background(), append(append([]string{}, base...), c.args...), noEnv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v does not name %s", c.args, err, c.want)
		}
	}
}
