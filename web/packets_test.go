package web

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"luckbox/data"
	"luckbox/packet"
	"luckbox/wechat"
	"luckbox/wechat/fake"
)

// The harness's mini-program credentials (see newHarness) and the test merchant.
const (
	testAppID  = "wxtestapp00000001"
	testSecret = "test-secret"
	testMchID  = "1900000109"
)

// testPayKeys are generated once per test binary (RSA key generation is slow).
var testPayKeys = sync.OnceValues(func() (fake.DemoKeys, error) { return fake.NewDemoKeys(nil) })

// withPacketOptions wires wallets and red packets into a harness, with the
// fake WeChat Pay (real signatures and encryption) and the real client.
func withPacketOptions(o packet.Options) harnessOption {
	return withPacketConfig(o, "/api/v1/pay/notify")
}

// withPacketConfig is withPacketOptions with the notify_url path given to
// WeChat Pay (another path loses every notification).
func withPacketConfig(o packet.Options, notifyPath string) harnessOption {
	return withPayConfig(o, notifyPath, false)
}

// withPayConfig is withPacketConfig, with money out or without. With it
// (refunds), an expired WeChat-paid packet goes back to its payer, bills
// are reconciled, and the fake WeChat Pay and the client run on the
// harness's clock (the bills of a day are those of the clock's days).
func withPayConfig(o packet.Options, notifyPath string, refunds bool) harnessOption {
	return func(h *harness, d *Deps) {
		keys, err := testPayKeys()
		if err != nil {
			h.t.Fatal(err)
		}
		var now func() time.Time
		if refunds {
			now = h.clock.Now
		}
		f := fake.New(fake.Options{AppID: testAppID, Secret: testSecret, Now: now, Pay: keys.PayOptions(testAppID, testMchID, nil)})
		h.fake, d.Fake = f, f
		pay, err := wechat.NewPay(wechat.PayConfig{
			AppID: testAppID, MchID: testMchID, MchSerial: keys.MchSerial, MchKey: keys.MchKey, APIv3Key: keys.APIv3Key,
			PlatformSerial: keys.PlatformSerial, PlatformKey: &keys.PlatformKey.PublicKey,
			NotifyURL: h.ts.URL + notifyPath, BaseURL: h.ts.URL + "/_fake/wechat", Now: now,
		})
		if err != nil {
			h.t.Fatal(err)
		}
		o.Now, o.Payments = h.clock.Now, testPayments{pay}
		if refunds {
			o.Refunds, o.Bills = testRefunds{pay, h.ts.URL + "/api/v1/pay/refunds/notify"}, testBills{pay}
		}
		o.Withdraw.Transfers = testTransfers{pay, h.ts.URL + "/api/v1/pay/transfer-notify"}
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		o.Notifier, o.Template = h.auth, fake.TemplatePacketResult
		svc := packet.New(h.db, o)
		svc.RegisterBackground(h.bg)
		d.Packets, d.PayNotify, d.RefundNotify, d.TransferNotify = svc, testPayNotify{pay}, testPayNotify{pay}, testTransferNotify{pay}
	}
}

func withPackets(h *harness, d *Deps) { withPacketOptions(packet.Options{})(h, d) }

func init() { allFeatures = append(allFeatures, withPackets) }

// testPayments adapts the WeChat Pay client to packet.Payments (as main does).
type testPayments struct{ p *wechat.Pay }

func (testPayments) AppID() string { return testAppID }

func (w testPayments) Prepay(ctx context.Context, r packet.PrepayRequest) (string, error) {
	return w.p.JSAPIPrepay(ctx, wechat.PrepayRequest{OutTradeNo: r.OutTradeNo, Description: r.Description,
		PayerOpenID: r.PayerOpenID, Attach: r.Attach, Total: r.Total})
}

func (w testPayments) PayParams(id string) (packet.PayParams, error) {
	pp, err := w.p.PaymentParams(id)
	return packet.PayParams(pp), err
}

func (w testPayments) Query(ctx context.Context, no string) (packet.Transaction, error) {
	t, err := w.p.QueryOrder(ctx, no)
	var pe *wechat.PayError
	if errors.As(err, &pe) && pe.Code == "ORDER_NOT_EXIST" {
		return packet.Transaction{}, packet.ErrOrderNotExist
	}
	return packet.Transaction{AppID: t.AppID, OutTradeNo: t.OutTradeNo, TransactionID: t.TransactionID,
		TradeState: t.TradeState, Total: t.Total}, err
}

func (w testPayments) Close(ctx context.Context, no string) error { return w.p.CloseOrder(ctx, no) }

type testPayNotify struct{ p *wechat.Pay }

func (w testPayNotify) ParseNotification(h http.Header, body []byte) (packet.Transaction, error) {
	t, err := w.p.ParseNotification(h, body)
	switch {
	case errors.Is(err, wechat.ErrBadSignature):
		return packet.Transaction{}, fmt.Errorf("%w: %v", packet.ErrBadSignature, err)
	case errors.Is(err, wechat.ErrStaleNotification):
		return packet.Transaction{}, fmt.Errorf("%w: %v", packet.ErrStaleNotification, err)
	case err != nil:
		return packet.Transaction{}, err
	}
	return packet.Transaction{AppID: t.AppID, OutTradeNo: t.OutTradeNo, TransactionID: t.TransactionID,
		TradeState: t.TradeState, Total: t.Total}, nil
}

// packetOut is the packet object as a client reads it.
type packetOut struct {
	ID              string  `json:"id"`
	Kind            string  `json:"kind"`
	Status          string  `json:"status"`
	Count           int     `json:"count"`
	Amount          int64   `json:"amount"`
	AmountEach      *int64  `json:"amount_each"`
	ToUserID        *string `json:"to_user_id"`
	RemainingCount  int     `json:"remaining_count"`
	RemainingAmount int64   `json:"remaining_amount"`
	FinishedAt      *string `json:"finished_at"`
	RefundedAmount  int64   `json:"refunded_amount"`
	OutTradeNo      *string `json:"out_trade_no"`
	PayParams       *struct {
		Package string `json:"package"`
		PaySign string `json:"paySign"`
	} `json:"pay_params"`
	Grabs []struct {
		UserID   string `json:"user_id"`
		Amount   int64  `json:"amount"`
		BestLuck bool   `json:"best_luck"`
		Credited bool   `json:"credited"`
	} `json:"grabs"`
	Me *struct {
		Amount *int64 `json:"amount"`
	} `json:"me"`
	Split *struct {
		Commit string  `json:"commit"`
		Salt   *string `json:"salt"`
		Shares []int64 `json:"shares"`
	} `json:"split"`
}

type ledgerOut struct {
	Items []struct {
		Delta        int64  `json:"delta"`
		Kind         string `json:"kind"`
		Ref          string `json:"ref"`
		BalanceAfter int64  `json:"balance_after"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func (h *harness) balance(token string) int64 {
	h.t.Helper()
	var out struct{ Balance int64 }
	r := h.do("GET", "/api/v1/wallet", token, nil)
	wantStatus(h.t, r, 200, "")
	r.JSON(h.t, &out)
	return out.Balance
}

func (h *harness) ledger(token string) ledgerOut {
	h.t.Helper()
	var out ledgerOut
	r := h.do("GET", "/api/v1/wallet/ledger", token, nil)
	wantStatus(h.t, r, 200, "")
	r.JSON(h.t, &out)
	return out
}

// topup tops the user up through the fake WeChat Pay and returns the order.
func (h *harness) topup(token string, amount int64) (orderID, outTradeNo string) {
	h.t.Helper()
	r := h.do("POST", "/api/v1/wallet/topups", token, map[string]int64{"amount": amount})
	wantStatus(h.t, r, 201, "")
	var o struct {
		OrderID    string `json:"order_id"`
		OutTradeNo string `json:"out_trade_no"`
		Status     string `json:"status"`
		PayParams  *struct {
			Package string `json:"package"`
		} `json:"pay_params"`
	}
	r.JSON(h.t, &o)
	if o.Status != "pending" || o.PayParams == nil || !strings.HasPrefix(o.PayParams.Package, "prepay_id=") {
		h.t.Fatalf("top-up order %s", r.Body)
	}
	h.paySucceed(o.OutTradeNo, 1)
	return o.OrderID, o.OutTradeNo
}

// paySucceed pays an order at the fake, which delivers the notification times times.
func (h *harness) paySucceed(outTradeNo string, times int) []int {
	h.t.Helper()
	r := h.do("POST", "/_fake/wechat/pay/"+outTradeNo+"/succeed?times="+strconv.Itoa(times), "", nil)
	var out struct{ Delivered []int }
	r.JSON(h.t, &out)
	if r.Status != 200 {
		h.t.Fatalf("pay succeed: %d %s", r.Status, r.Body)
	}
	return out.Delivered
}

func (h *harness) createPacket(token string, in map[string]any) packetOut {
	h.t.Helper()
	r := h.do("POST", "/api/v1/packets", token, in)
	wantStatus(h.t, r, 201, "")
	var p packetOut
	r.JSON(h.t, &p)
	return p
}

func (h *harness) packet(token, id string) packetOut {
	h.t.Helper()
	r := h.do("GET", "/api/v1/packets/"+id, token, nil)
	wantStatus(h.t, r, 200, "")
	var p packetOut
	r.JSON(h.t, &p)
	return p
}

func (h *harness) auditOK() {
	h.t.Helper()
	r := h.do("GET", "/api/v1/admin/audit", testAdminToken, nil)
	wantStatus(h.t, r, 200, "")
	var rep struct {
		OK     bool
		Checks []struct {
			Name     string
			OK       bool
			Failures []string
		}
	}
	r.JSON(h.t, &rep)
	if !rep.OK || len(rep.Checks) < 7 {
		h.t.Fatalf("audit: %s", r.Body)
	}
}

// rawPost sends a POST without failing the test (for use in goroutines).
func rawPost(c *http.Client, url, token string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// loginMany logs n users in concurrently and returns their tokens.
func loginMany(t testing.TB, h *harness, n int, prefix string) []string {
	t.Helper()
	tokens := make([]string, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	c := h.client()
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			body, _ := json.Marshal(map[string]string{"openid": fmt.Sprintf("%s%d", prefix, i)})
			st, b, err := rawPost(c, h.ts.URL+"/_fake/wechat/login-code", "", body)
			var code struct{ Code string }
			if err != nil || st != 200 || json.Unmarshal(b, &code) != nil {
				errs <- fmt.Errorf("login-code %d: %d %v", i, st, err)
				return
			}
			body, _ = json.Marshal(map[string]string{"code": code.Code})
			st, b, err = rawPost(c, h.ts.URL+"/api/v1/login", "", body)
			var l struct{ Token string }
			if err != nil || st != 200 || json.Unmarshal(b, &l) != nil {
				errs <- fmt.Errorf("login %d: %d %v", i, st, err)
				return
			}
			tokens[i] = l.Token
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return tokens
}

// client is an HTTP client that keeps many connections to the harness open.
func (h *harness) client() *http.Client {
	tr := h.ts.Client().Transport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 1024
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

type stormResult struct {
	status   map[string]int // "201", "410 exhausted", ...
	won      map[int]int64  // token index → amount
	credited map[bool]int   // 201 answers by their credited flag
	errs     []error
}

// storm has every token grab packet id. Without during, all start at once.
// With it, the first `wave` tokens start; once `after` of them were answered,
// during runs (concurrently with the rest of the wave), and when it returns
// the other tokens start.
func storm(h *harness, tokens []string, id string, wave, after int, during func() error) stormResult {
	res := stormResult{status: map[string]int{}, won: map[int]int64{}, credited: map[bool]int{}}
	var mu sync.Mutex
	var answered atomic.Int64
	c := h.client()
	start, second := make(chan struct{}), make(chan struct{})
	if during == nil {
		close(second)
	} else {
		go func() {
			for answered.Load() < int64(after) {
				time.Sleep(100 * time.Microsecond)
			}
			if err := during(); err != nil {
				mu.Lock()
				res.errs = append(res.errs, err)
				mu.Unlock()
			}
			close(second)
		}()
	}
	var wg sync.WaitGroup
	for i, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if during != nil && i >= wave {
				<-second
			}
			st, b, err := rawPost(c, h.ts.URL+"/api/v1/packets/"+id+"/grabs", tok, nil)
			answered.Add(1)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.errs = append(res.errs, err)
				return
			}
			key := strconv.Itoa(st)
			if st >= 400 {
				var e errorBody
				_ = json.Unmarshal(b, &e)
				key += " " + e.Error.Code
			}
			res.status[key]++
			if st == 201 {
				var g struct {
					Amount   int64
					Credited bool
				}
				if err := json.Unmarshal(b, &g); err != nil {
					res.errs = append(res.errs, err)
				}
				res.won[i] = g.Amount
				res.credited[g.Credited]++
			}
		}()
	}
	close(start)
	wg.Wait()
	<-second
	return res
}

// TestGrabStorm: 1,000 users grab one 100-share lucky packet at once through
// the real HTTP handler, first a packet paid from the balance, then a
// WeChat-paid pending packet whose payment notification arrives mid-storm.
func TestGrabStorm(t *testing.T) {
	h := newHarness(t, withPackets)
	tokens := loginMany(t, h, 1000, "storm")
	sender, _ := h.login("sender")
	h.topup(sender, 20000)
	expected := map[int]int64{} // token index → total credited

	check := func(t *testing.T, id string, amount int64, res stormResult) {
		t.Helper()
		if len(res.errs) > 0 {
			t.Fatalf("%d transport errors, first %v", len(res.errs), res.errs[0])
		}
		if res.status["201"] != 100 || res.status["410 exhausted"] != 900 || len(res.status) != 2 {
			t.Fatalf("outcomes %v, want 100 × 201 and 900 × 410 exhausted", res.status)
		}
		var sum int64
		for i, a := range res.won {
			if a < 1 {
				t.Fatalf("share of %d fen", a)
			}
			sum += a
			expected[i] += a
		}
		if sum != amount {
			t.Fatalf("grabs sum to %d, want %d", sum, amount)
		}
		p := h.packet(sender, id)
		if p.Status != "finished" || p.RemainingCount != 0 || p.RemainingAmount != 0 || len(p.Grabs) != 100 || p.FinishedAt == nil {
			t.Fatalf("packet after the storm: status %s, remaining %d/%d, %d grabs", p.Status, p.RemainingCount, p.RemainingAmount, len(p.Grabs))
		}
		best := 0
		for i, g := range p.Grabs {
			if !g.Credited {
				t.Fatalf("grab %d not credited", i)
			}
			if g.Amount > p.Grabs[best].Amount {
				best = i
			}
		}
		for i, g := range p.Grabs {
			if g.BestLuck != (i == best) {
				t.Fatalf("best luck on grab %d, want %d", i, best)
			}
		}
		// The revealed split is the grabs in order and matches the commitment.
		if p.Split == nil || p.Split.Salt == nil || len(p.Split.Shares) != 100 {
			t.Fatalf("split not revealed: %+v", p.Split)
		}
		salt, _ := hex.DecodeString(*p.Split.Salt)
		var s [32]byte
		copy(s[:], salt)
		for i, sh := range p.Split.Shares {
			if sh != p.Grabs[i].Amount {
				t.Fatalf("share %d is %d, grab got %d", i, sh, p.Grabs[i].Amount)
			}
		}
		if c := packet.SplitCommit(s, p.Split.Shares); hex.EncodeToString(c[:]) != p.Split.Commit {
			t.Fatal("revealed split does not match its commitment")
		}
		// Every winner's wallet and ledger agree.
		for i := range res.won {
			if got := h.balance(tokens[i]); got != expected[i] {
				t.Fatalf("user %d balance %d, want %d", i, got, expected[i])
			}
			var grabbed int64
			for _, l := range h.ledger(tokens[i]).Items {
				if l.Kind == "packet_grab" && l.Ref == id {
					grabbed += l.Delta
				}
			}
			if grabbed != res.won[i] {
				t.Fatalf("user %d ledger has %d from the packet, grabbed %d", i, grabbed, res.won[i])
			}
		}
		h.auditOK()
	}

	t.Run("balance", func(t *testing.T) {
		p := h.createPacket(sender, map[string]any{"kind": "lucky", "count": 100, "amount": 20000})
		if h.balance(sender) != 0 {
			t.Fatalf("sender balance %d", h.balance(sender))
		}
		res := storm(h, tokens, p.ID, 0, 0, nil)
		check(t, p.ID, 20000, res)
		if res.credited[true] != 100 {
			t.Fatalf("credited flags %v", res.credited)
		}
	})
	t.Run("pending", func(t *testing.T) {
		p := h.createPacket(sender, map[string]any{"kind": "lucky", "count": 100, "amount": 9999, "pay_with": "wechat"})
		if p.Status != "unpaid" || p.PayParams == nil || p.OutTradeNo == nil {
			t.Fatalf("wechat packet %+v", p)
		}
		r := h.do("POST", "/api/v1/packets/"+p.ID+"/paid", sender, nil)
		wantStatus(t, r, 200, "")
		// 60 grab first; when 30 were answered (recorded, not credited) the
		// notification is delivered while the other 30 are in flight; the
		// other 940 start once it was applied (and are credited at once).
		res := storm(h, tokens, p.ID, 60, 30, func() error {
			r, b, err := rawPost(h.client(), h.ts.URL+"/_fake/wechat/pay/"+*p.OutTradeNo+"/succeed", "", nil)
			if err != nil || r != 200 || !strings.Contains(string(b), "[204]") {
				return fmt.Errorf("notification mid-storm: %d %s %v", r, b, err)
			}
			return nil
		})
		check(t, p.ID, 9999, res)
		if res.credited[false] < 30 || res.credited[true] < 40 {
			t.Fatalf("credited flags %v: want ≥ 30 grabs before the payment and ≥ 40 after", res.credited)
		}
		if h.balance(sender) != 0 {
			t.Fatal("a WeChat-paid packet touched the sender's balance")
		}
	})
}

// notification builds a WeChat Pay notification for a transaction, encrypted
// with the APIv3 key and signed with key at time ts (as the fake would, but
// with every part under the test's control).
func notification(t *testing.T, key *rsa.PrivateKey, ts time.Time, tx map[string]any) (http.Header, []byte) {
	t.Helper()
	return notificationOf(t, key, ts, "TRANSACTION.SUCCESS", "支付成功", "transaction", tx)
}

// notificationOf builds a notification of event whose resource (of
// originalType, also its associated data) is encrypted with the APIv3 key,
// signed with key at time ts.
func notificationOf(t *testing.T, key *rsa.PrivateKey, ts time.Time, event, summary, originalType string, resource map[string]any) (http.Header, []byte) {
	t.Helper()
	keys, _ := testPayKeys()
	plain, _ := json.Marshal(resource)
	block, _ := aes.NewCipher([]byte(keys.APIv3Key))
	aead, _ := cipher.NewGCM(block)
	nonce := "0123456789ab"
	ct := aead.Seal(nil, []byte(nonce), plain, []byte(originalType))
	body, _ := json.Marshal(map[string]any{
		"id": "n-" + strconv.FormatInt(ts.UnixNano(), 36), "create_time": ts.Format(time.RFC3339),
		"resource_type": "encrypt-resource", "event_type": event, "summary": summary,
		"resource": map[string]string{"original_type": originalType, "algorithm": "AEAD_AES_256_GCM",
			"ciphertext": base64.StdEncoding.EncodeToString(ct), "associated_data": originalType, "nonce": nonce},
	})
	return signed(t, key, ts, body), body
}

func signed(t *testing.T, key *rsa.PrivateKey, ts time.Time, body []byte) http.Header {
	t.Helper()
	keys, _ := testPayKeys()
	sec, nonce := strconv.FormatInt(ts.Unix(), 10), "abcdef0123456789"
	sum := sha256.Sum256([]byte(sec + "\n" + nonce + "\n" + string(body) + "\n"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Wechatpay-Timestamp", sec)
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Serial", keys.PlatformSerial)
	h.Set("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048")
	h.Set("Wechatpay-Signature", base64.StdEncoding.EncodeToString(sig))
	return h
}

func paidTx(no string, total int64, appID string) map[string]any {
	return map[string]any{"appid": appID, "mchid": testMchID, "out_trade_no": no, "transaction_id": "4200000000202611220000000001",
		"trade_type": "JSAPI", "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "bank_type": "OTHERS",
		"success_time": time.Now().Format(time.RFC3339), "payer": map[string]string{"openid": "alice"},
		"amount": map[string]any{"total": total, "payer_total": total, "currency": "CNY", "payer_currency": "CNY"}}
}

func (h *harness) notify(hdr http.Header, body []byte) response {
	h.t.Helper()
	return h.notifyTo("/api/v1/pay/notify", hdr, body)
}

// notifyTo POSTs a WeChat Pay notification (headers and body) to path.
func (h *harness) notifyTo(path string, hdr http.Header, body []byte) response {
	h.t.Helper()
	headers := make([]string, 0, 2*len(hdr))
	for k := range hdr {
		headers = append(headers, k, hdr.Get(k))
	}
	return h.do("POST", path, "", body, headers...)
}

func wantPayFail(t *testing.T, r response, status int) {
	t.Helper()
	var out struct{ Code, Message string }
	_ = json.Unmarshal(r.Body, &out)
	if r.Status != status || out.Code != "FAIL" || out.Message == "" {
		t.Fatalf("notification answered %d %s, want %d {\"code\":\"FAIL\",...}", r.Status, r.Body, status)
	}
}

func TestPayNotifications(t *testing.T) {
	h := newHarness(t, withPackets)
	keys, _ := testPayKeys()
	alice, _ := h.login("alice")
	r := h.do("POST", "/api/v1/wallet/topups", alice, map[string]int64{"amount": 500})
	wantStatus(t, r, 201, "")
	var o struct {
		OrderID    string `json:"order_id"`
		OutTradeNo string `json:"out_trade_no"`
	}
	r.JSON(t, &o)
	now := time.Now()
	unchanged := func(t *testing.T) {
		t.Helper()
		if b, l := h.balance(alice), h.ledger(alice); b != 0 || len(l.Items) != 0 {
			t.Fatalf("balance %d, ledger %v after a refused notification", b, l.Items)
		}
		var st struct{ Status string }
		r := h.do("GET", "/api/v1/wallet/topups/"+o.OrderID, alice, nil)
		r.JSON(t, &st)
		if st.Status != "pending" {
			t.Fatalf("order status %s", st.Status)
		}
	}

	t.Run("forged signature", func(t *testing.T) {
		hdr, body := notification(t, keys.MchKey, now, paidTx(o.OutTradeNo, 500, testAppID)) // not the platform key
		wantPayFail(t, h.notify(hdr, body), 401)
		unchanged(t)
	})
	t.Run("tampered body", func(t *testing.T) {
		hdr, body := notification(t, keys.PlatformKey, now, paidTx(o.OutTradeNo, 500, testAppID))
		wantPayFail(t, h.notify(hdr, bytes.Replace(body, []byte(`"summary":"`), []byte(`"summary":"x`), 1)), 401)
		unchanged(t)
	})
	t.Run("tampered amount", func(t *testing.T) {
		hdr, body := notification(t, keys.PlatformKey, now, paidTx(o.OutTradeNo, 50000, testAppID))
		wantPayFail(t, h.notify(hdr, body), 400)
		unchanged(t)
	})
	t.Run("stale timestamp", func(t *testing.T) {
		hdr, body := notification(t, keys.PlatformKey, now.Add(-10*time.Minute), paidTx(o.OutTradeNo, 500, testAppID))
		wantPayFail(t, h.notify(hdr, body), 401)
		unchanged(t)
	})
	t.Run("signature probe", func(t *testing.T) {
		hdr, body := notification(t, keys.PlatformKey, now, paidTx(o.OutTradeNo, 500, testAppID))
		hdr.Set("Wechatpay-Signature", "WECHATPAY/SIGNTEST/"+hdr.Get("Wechatpay-Signature"))
		wantPayFail(t, h.notify(hdr, body), 401)
		unchanged(t)
	})
	t.Run("other app", func(t *testing.T) {
		hdr, body := notification(t, keys.PlatformKey, now, paidTx(o.OutTradeNo, 500, "wxsomeoneelse0001"))
		wantPayFail(t, h.notify(hdr, body), 400)
		unchanged(t)
	})
	t.Run("unknown order", func(t *testing.T) {
		hdr, body := notification(t, keys.PlatformKey, now, paidTx("LBNOSUCHORDER000000", 500, testAppID))
		wantPayFail(t, h.notify(hdr, body), 404)
		unchanged(t)
	})
	t.Run("duplicate", func(t *testing.T) {
		if got := h.paySucceed(o.OutTradeNo, 2); len(got) != 2 || got[0] != 204 || got[1] != 204 {
			t.Fatalf("deliveries %v", got)
		}
		// WeChat's later retry, and the real notification replayed by hand.
		if got := h.paySucceed(o.OutTradeNo, 1); got[0] != 204 {
			t.Fatalf("retry %v", got)
		}
		hdr, body, err := h.fake.Notification(o.OutTradeNo)
		if err != nil {
			t.Fatal(err)
		}
		wantStatus(t, h.notify(hdr, body), 204, "")
		l := h.ledger(alice)
		if h.balance(alice) != 500 || len(l.Items) != 1 || l.Items[0].Kind != "topup" || l.Items[0].Ref != o.OrderID || l.Items[0].Delta != 500 {
			t.Fatalf("balance %d, ledger %+v", h.balance(alice), l.Items)
		}
		var st struct{ Status string }
		h.do("GET", "/api/v1/wallet/topups/"+o.OrderID, alice, nil).JSON(t, &st)
		if st.Status != "paid" {
			t.Fatalf("order %s", st.Status)
		}
	})
	h.auditOK()
}

func TestPacketsRejectBadInput(t *testing.T) {
	h := newHarness(t, withPackets)
	alice, aliceID := h.login("alice")
	h.topup(alice, 30000)
	ledgerBefore := len(h.ledger(alice).Items)
	bad := []string{
		`{"kind":"lucky","count":5,"amount":0}`,
		`{"kind":"lucky","count":5,"amount":-100}`,
		`{"kind":"lucky","count":5,"amount":99999999999999999999}`,
		`{"kind":"lucky","count":5,"amount":20001}`,
		`{"kind":"lucky","count":0,"amount":100}`,
		`{"kind":"lucky","count":101,"amount":1000}`,
		`{"kind":"lucky","count":10,"amount":9}`,
		`{"kind":"equal","count":100,"amount_each":201}`,
		`{"kind":"equal","count":100,"amount_each":92233720368547758}`,
		`{"kind":"equal","count":2,"amount_each":"10"}`,
		`{"kind":"personal","amount":100}`,
		`{"kind":"personal","amount":100,"to_user_id":"` + aliceID + `"}`,
		`{"kind":"personal","amount":100,"to_user_id":"nosuchuser"}`,
		`{"kind":"lucky","count":2,"amount":100,"greeting":"` + strings.Repeat("好", 41) + `"}`,
		`{"kind":"lucky","count":2,"amount":100,"colour":"red"}`,
		`{"kind":"red","count":2,"amount":100}`,
		`{"kind":"lucky","count":2,"amount":100,"pay_with":"card"}`,
		`{"kind":"lucky"`,
	}
	for _, body := range bad {
		r := h.do("POST", "/api/v1/packets", alice, body)
		if r.Status != 400 || r.ErrorCode() != "invalid_argument" {
			t.Errorf("%s: %d %s", body, r.Status, r.Body)
		}
	}
	for _, body := range []string{`{"amount":0}`, `{"amount":1000001}`, `{"amount":-1}`} {
		wantStatus(t, h.do("POST", "/api/v1/wallet/topups", alice, body), 400, "invalid_argument")
	}
	// 409 when the balance is short, and input errors still come first.
	wantStatus(t, h.do("POST", "/api/v1/packets", alice, `{"kind":"lucky","count":2,"amount":20000}`), 201, "")
	wantStatus(t, h.do("POST", "/api/v1/packets", alice, `{"kind":"lucky","count":2,"amount":10001}`), 409, "conflict")
	wantStatus(t, h.do("POST", "/api/v1/packets", alice, `{"kind":"lucky","count":200,"amount":10001}`), 400, "invalid_argument")
	if b := h.balance(alice); b != 10000 {
		t.Fatalf("balance %d", b)
	}
	if n := len(h.ledger(alice).Items); n != ledgerBefore+1 {
		t.Fatalf("%d ledger rows, want %d", n, ledgerBefore+1)
	}
	var sent struct{ Items []packetOut }
	h.do("GET", "/api/v1/me/packets?role=sent", alice, nil).JSON(t, &sent)
	if len(sent.Items) != 1 {
		t.Fatalf("%d packets sent", len(sent.Items))
	}
	wantStatus(t, h.do("GET", "/api/v1/me/packets?role=everyone", alice, nil), 400, "invalid_argument")
	h.auditOK()
}

func TestPacketAuthorization(t *testing.T) {
	h := newHarness(t, withPackets)
	alice, _ := h.login("alice")
	bob, bobID := h.login("bob")
	carol, _ := h.login("carol")
	orderID, _ := h.topup(alice, 1000)
	p := h.createPacket(alice, map[string]any{"kind": "personal", "amount": 300, "to_user_id": bobID, "greeting": "给你的"})
	wantStatus(t, h.do("POST", "/api/v1/packets/"+p.ID+"/grabs", carol, nil), 403, "forbidden")
	wantStatus(t, h.do("GET", "/api/v1/packets/"+p.ID, carol, nil), 403, "forbidden")
	wantStatus(t, h.do("POST", "/api/v1/packets/"+p.ID+"/grabs", alice, nil), 403, "forbidden")
	wantStatus(t, h.do("POST", "/api/v1/packets/"+p.ID+"/grabs", bob, nil), 201, "")
	wantStatus(t, h.do("POST", "/api/v1/packets/"+p.ID+"/grabs", bob, nil), 200, "")
	wantStatus(t, h.do("POST", "/api/v1/packets/"+p.ID+"/grabs", carol, nil), 403, "forbidden")
	if h.balance(carol) != 0 || h.balance(bob) != 300 {
		t.Fatal("balances")
	}
	w := h.createPacket(alice, map[string]any{"kind": "equal", "count": 2, "amount_each": 5, "pay_with": "wechat"})
	wantStatus(t, h.do("POST", "/api/v1/packets/"+w.ID+"/paid", bob, nil), 403, "forbidden")
	wantStatus(t, h.do("POST", "/api/v1/packets/"+w.ID+"/grabs", bob, nil), 409, "conflict")
	if q := h.packet(bob, w.ID); q.PayParams != nil || q.OutTradeNo != nil || q.Status != "unpaid" {
		t.Fatalf("bob sees %+v", q)
	}
	wantStatus(t, h.do("GET", "/api/v1/wallet/topups/"+orderID, bob, nil), 404, "not_found")
	wantStatus(t, h.do("GET", "/api/v1/wallet/topups/"+orderID, alice, nil), 200, "")
	wantStatus(t, h.do("GET", "/api/v1/packets/nosuchpacket", bob, nil), 404, "not_found")
	wantStatus(t, h.do("GET", "/api/v1/admin/audit", bob, nil), 403, "forbidden")
	wantStatus(t, h.do("GET", "/api/v1/admin/packets", bob, nil), 403, "forbidden")
	wantStatus(t, h.do("GET", "/api/v1/wallet", testAdminToken, nil), 403, "forbidden")
	wantStatus(t, h.do("GET", "/api/v1/wallet", "", nil), 401, "unauthenticated")
	var list struct {
		Items      []packetOut
		NextCursor string `json:"next_cursor"`
	}
	h.do("GET", "/api/v1/admin/packets", testAdminToken, nil).JSON(t, &list)
	if len(list.Items) != 2 || list.Items[0].ID != w.ID || list.Items[0].OutTradeNo == nil {
		t.Fatalf("admin list %+v", list)
	}
	h.auditOK()
}

func TestPacketExpiryRefund(t *testing.T) {
	h := newHarness(t, withPackets)
	alice, _ := h.login("alice")
	bob, _ := h.login("bob")
	carol, _ := h.login("carol")
	h.topup(alice, 1000)
	p := h.createPacket(alice, map[string]any{"kind": "lucky", "count": 3, "amount": 600})
	wantStatus(t, h.do("POST", "/api/v1/packets/"+p.ID+"/grabs", bob, nil), 201, "")
	var g struct{ Amount int64 }
	h.do("POST", "/api/v1/packets/"+p.ID+"/grabs", bob, nil).JSON(t, &g)
	h.clock.Add(24 * time.Hour)
	wantStatus(t, h.do("POST", "/api/v1/packets/"+p.ID+"/grabs", carol, nil), 410, "expired")
	h.db.Poke()
	deadline := time.Now().Add(10 * time.Second)
	var q packetOut
	for q = h.packet(alice, p.ID); q.Status != "expired"; q = h.packet(alice, p.ID) {
		if time.Now().After(deadline) {
			t.Fatal("the scheduler did not expire the packet")
		}
		time.Sleep(5 * time.Millisecond)
	}
	seq, _, _ := data.DecodeID(p.ID)
	if did, err := h.srv.Packets.Expire(context.Background(), seq); err != nil || did {
		t.Fatalf("expiring again: %v %v", did, err)
	}
	if q.RefundedAmount != 600-g.Amount || q.RemainingAmount != 0 || q.Split.Salt == nil {
		t.Fatalf("expired packet %+v", q)
	}
	refunds := 0
	for _, l := range h.ledger(alice).Items {
		if l.Kind == "packet_refund" && l.Ref == p.ID && l.Delta == 600-g.Amount {
			refunds++
		}
	}
	if refunds != 1 || h.balance(alice) != 400+600-g.Amount {
		t.Fatalf("%d refunds, balance %d", refunds, h.balance(alice))
	}
	h.auditOK()
}

// TestLostNotificationIsQueried: WeChat Pay's notifications never arrive
// (notify_url is wrong); the scheduler queries the order after 2 minutes,
// through the real client and the fake's signed answers, and credits it once.
func TestLostNotificationIsQueried(t *testing.T) {
	h := newHarness(t, withPacketConfig(packet.Options{}, "/nowhere"))
	alice, _ := h.login("alice")
	r := h.do("POST", "/api/v1/wallet/topups", alice, map[string]int64{"amount": 1234})
	wantStatus(t, r, 201, "")
	var o struct {
		OrderID    string `json:"order_id"`
		OutTradeNo string `json:"out_trade_no"`
	}
	r.JSON(t, &o)
	if got := h.paySucceed(o.OutTradeNo, 1); got[0] != 404 {
		t.Fatalf("delivered %v", got)
	}
	if h.balance(alice) != 0 {
		t.Fatal("credited without a notification or a query")
	}
	h.clock.Add(2 * time.Minute)
	h.db.Poke()
	deadline := time.Now().Add(10 * time.Second)
	for h.balance(alice) != 1234 {
		if time.Now().After(deadline) {
			t.Fatal("the overdue order was not queried")
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.clock.Add(time.Hour)
	h.db.Poke()
	var st struct{ Status string }
	h.do("GET", "/api/v1/wallet/topups/"+o.OrderID, alice, nil).JSON(t, &st)
	if st.Status != "paid" || len(h.ledger(alice).Items) != 1 {
		t.Fatalf("order %s, ledger %+v", st.Status, h.ledger(alice).Items)
	}
	h.auditOK()
}

// benchHarness is a harness with raised limits, users logged in and a funded sender.
func benchHarness(b *testing.B, users int) (*harness, []string, string) {
	h := newHarness(b, withPacketOptions(packet.Options{MaxCount: 1 << 20, MaxAmount: 1 << 50, MaxTopup: 1 << 50}))
	tokens := loginMany(b, h, users, "bench")
	sender, _ := h.login("sender")
	h.topup(sender, 1<<40)
	return h, tokens, sender
}

// grabAll runs n grabs through the HTTP handler with workers concurrent
// clients; next(i) names the token and packet of grab i.
func grabAll(b *testing.B, h *harness, n, workers int, next func(i int) (token, id string)) {
	c := h.client()
	var i atomic.Int64
	var bad atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(i.Add(1)) - 1
				if k >= n {
					return
				}
				tok, id := next(k)
				if st, _, err := rawPost(c, h.ts.URL+"/api/v1/packets/"+id+"/grabs", tok, nil); err != nil || st != 201 {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if bad.Load() > 0 {
		b.Fatalf("%d grabs failed", bad.Load())
	}
}

// BenchmarkGrabHotPacket: every grab goes to one packet (a new one whenever
// the users ran out), 64 concurrent clients through the real HTTP stack.
func BenchmarkGrabHotPacket(b *testing.B) {
	const users = 2000
	h, tokens, sender := benchHarness(b, users)
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(b.N-done, users)
		b.StopTimer()
		p := h.createPacket(sender, map[string]any{"kind": "lucky", "count": n, "amount": 10 * n})
		b.StartTimer()
		grabAll(b, h, n, 64, func(i int) (string, string) { return tokens[i], p.ID })
		done += n
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "grabs/s")
}

// BenchmarkGrab1000Packets: grabs spread over 1,000 packets.
func BenchmarkGrab1000Packets(b *testing.B) {
	const users, packets = 2000, 1000
	h, tokens, sender := benchHarness(b, users)
	ids := make([]string, packets)
	for i := range ids {
		ids[i] = h.createPacket(sender, map[string]any{"kind": "lucky", "count": users, "amount": 10 * users}).ID
	}
	if b.N > users*packets {
		b.Fatalf("b.N %d is more than %d distinct grabs", b.N, users*packets)
	}
	b.ResetTimer()
	// Grab i is user i%users on packet (user + round) % packets: no pair repeats.
	grabAll(b, h, b.N, 64, func(i int) (string, string) {
		u, round := i%users, i/users
		return tokens[u], ids[(u+round)%packets]
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "grabs/s")
}
