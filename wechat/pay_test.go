package wechat_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"luckbox/wechat"
	"luckbox/wechat/fake"
)

const (
	payAppID = "wx0123456789abcdef"
	payMchID = "1900000109"
)

var (
	payKeysOnce sync.Once
	payKeys     fake.DemoKeys
	payKeysErr  error
)

// payDemoKeys returns key material generated once per test binary.
func payDemoKeys(t testing.TB) fake.DemoKeys {
	t.Helper()
	payKeysOnce.Do(func() { payKeys, payKeysErr = fake.NewDemoKeys(nil) })
	if payKeysErr != nil {
		t.Fatalf("NewDemoKeys: %v", payKeysErr)
	}
	return payKeys
}

// payClock is a settable clock shared by the fake and the client.
type payClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *payClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *payClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// paySeenRequest is a request that reached the fake WeChat Pay.
type paySeenRequest struct {
	Method, URI string
	Header      http.Header
	Body        []byte
}

// payEnv is a fake WeChat Pay mounted under /_fake/wechat (as the server
// mounts it), a notify endpoint and a client configured for both.
type payEnv struct {
	keys   fake.DemoKeys
	clock  *payClock
	fake   *fake.Fake
	srv    *httptest.Server
	cfg    wechat.PayConfig
	pay    *wechat.Pay
	notify *httptest.Server

	mu       sync.Mutex
	seen     []paySeenRequest
	notified []wechat.Transaction
	notifErr []error
}

// newPayEnv starts the fake (its pay options changed by edits) and a notify
// endpoint whose handler parses notifications with the env's client,
// answering 204 or 401.
func newPayEnv(t *testing.T, edits ...func(*fake.PayOptions)) *payEnv {
	t.Helper()
	e := &payEnv{keys: payDemoKeys(t), clock: &payClock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}}
	opts := e.keys.PayOptions(payAppID, payMchID, nil)
	for _, edit := range edits {
		edit(opts)
	}
	e.fake = fake.New(fake.Options{AppID: payAppID, Secret: "secret", Now: e.clock.Now, Pay: opts})
	mux := http.NewServeMux()
	mux.Handle("/_fake/wechat/", http.StripPrefix("/_fake/wechat", e.fake))
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.seen = append(e.seen, paySeenRequest{r.Method, r.RequestURI, r.Header.Clone(), body})
		e.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	e.notify = payNotifyServer(t, &e.mu, &e.notified, &e.notifErr, func(r *http.Request) (wechat.Transaction, error) {
		body, _ := io.ReadAll(r.Body)
		return e.pay.ParseNotification(r.Header, body)
	})
	e.cfg = wechat.PayConfig{
		AppID: payAppID, MchID: payMchID,
		MchSerial: e.keys.MchSerial, MchKey: e.keys.MchKey, APIv3Key: e.keys.APIv3Key,
		PlatformSerial: e.keys.PlatformSerial, PlatformKey: &e.keys.PlatformKey.PublicKey,
		NotifyURL: e.notify.URL + "/api/v1/pay/notify",
		BaseURL:   e.srv.URL + "/_fake/wechat",
		Now:       e.clock.Now,
	}
	e.pay = e.client(t, func(*wechat.PayConfig) {})
	return e
}

// payNotifyServer is a notify URL that reads each notification with parse,
// appends what it read to got or the error to errs (under mu), and answers
// 204, or 401 when parse refused it.
func payNotifyServer[T any](t *testing.T, mu *sync.Mutex, got *[]T, errs *[]error, parse func(*http.Request) (T, error)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := parse(r)
		mu.Lock()
		if err != nil {
			*errs = append(*errs, err)
		} else {
			*got = append(*got, v)
		}
		mu.Unlock()
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// client returns a client with the env's config changed by edit.
func (e *payEnv) client(t *testing.T, edit func(*wechat.PayConfig)) *wechat.Pay {
	t.Helper()
	cfg := e.cfg
	edit(&cfg)
	p, err := wechat.NewPay(cfg)
	if err != nil {
		t.Fatalf("NewPay: %v", err)
	}
	return p
}

// succeed calls the fake's control route and returns the delivered statuses.
func (e *payEnv) succeed(t *testing.T, outTradeNo, query string) (int, []int) {
	t.Helper()
	resp, err := http.Post(e.srv.URL+"/_fake/wechat/pay/"+outTradeNo+"/succeed"+query, "application/json", nil)
	if err != nil {
		t.Fatalf("succeed: %v", err)
	}
	defer resp.Body.Close()
	var out struct {
		OutTradeNo string `json:"out_trade_no"`
		Delivered  []int  `json:"delivered"`
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("succeed: decode: %v", err)
		}
		if out.OutTradeNo != outTradeNo {
			t.Fatalf("succeed: out_trade_no = %q, want %q", out.OutTradeNo, outTradeNo)
		}
	}
	return resp.StatusCode, out.Delivered
}

func (e *payEnv) prepay(t *testing.T, r wechat.PrepayRequest) string {
	t.Helper()
	id, err := e.pay.JSAPIPrepay(context.Background(), r)
	if err != nil {
		t.Fatalf("JSAPIPrepay(%s): %v", r.OutTradeNo, err)
	}
	return id
}

func paySampleOrder(no string) wechat.PrepayRequest {
	return wechat.PrepayRequest{OutTradeNo: no, Description: "luckbox 充值", PayerOpenID: "o-alice",
		Attach: "topup:42", Total: 1234}
}

func payVerifySHA256(t *testing.T, pub *rsa.PublicKey, msg, sigB64 string) {
	t.Helper()
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		t.Fatalf("signature not base64: %v", err)
	}
	sum := sha256.Sum256([]byte(msg))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("signature over %q does not verify: %v", msg, err)
	}
}

func TestPrepayAndPaymentParams(t *testing.T) {
	e := newPayEnv(t)
	req := paySampleOrder("ORDER_000001")
	req.TimeExpire = e.clock.Now().Add(30 * time.Minute)
	id := e.prepay(t, req)
	if !regexp.MustCompile(`^wx\d{14}[0-9a-f]{20}$`).MatchString(id) {
		t.Errorf("prepay_id = %q, want wx + 14 digits + 20 hex", id)
	}
	if again := e.prepay(t, req); again != id {
		t.Errorf("same order again: prepay_id %q, want %q", again, id)
	}

	o, ok := e.fake.Order("ORDER_000001")
	if !ok {
		t.Fatal("fake has no order ORDER_000001")
	}
	want := fake.FakeOrder{OutTradeNo: "ORDER_000001", PrepayID: id, AppID: payAppID, MchID: payMchID,
		Description: "luckbox 充值", Attach: "topup:42", PayerOpenID: "o-alice", NotifyURL: e.cfg.NotifyURL,
		Total: 1234, TradeState: "NOTPAY", CreatedAt: e.clock.Now()}
	if !o.TimeExpire.Equal(req.TimeExpire) {
		t.Errorf("TimeExpire = %v, want %v", o.TimeExpire, req.TimeExpire)
	}
	o.TimeExpire = time.Time{}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("order = %+v\nwant    %+v", o, want)
	}

	// The request body is the v3 JSON the real API expects.
	e.mu.Lock()
	first := e.seen[0]
	e.mu.Unlock()
	var body map[string]any
	if err := json.Unmarshal(first.Body, &body); err != nil {
		t.Fatalf("request body: %v", err)
	}
	wantBody := map[string]any{
		"appid": payAppID, "mchid": payMchID, "description": "luckbox 充值", "out_trade_no": "ORDER_000001",
		"time_expire": "2025-01-02T11:34:05+08:00", "attach": "topup:42", "notify_url": e.cfg.NotifyURL,
		"amount": map[string]any{"total": 1234.0, "currency": "CNY"}, "payer": map[string]any{"openid": "o-alice"},
	}
	if !reflect.DeepEqual(body, wantBody) {
		t.Errorf("request body = %v\nwant %v", body, wantBody)
	}

	pp, err := e.pay.PaymentParams(id)
	if err != nil {
		t.Fatalf("PaymentParams: %v", err)
	}
	ts := strconv.FormatInt(e.clock.Now().Unix(), 10)
	if pp.AppID != payAppID || pp.TimeStamp != ts || pp.Package != "prepay_id="+id || pp.SignType != "RSA" {
		t.Errorf("PaymentParams = %+v", pp)
	}
	if !regexp.MustCompile(`^[0-9A-F]{32}$`).MatchString(pp.NonceStr) {
		t.Errorf("nonceStr = %q", pp.NonceStr)
	}
	payVerifySHA256(t, &e.keys.MchKey.PublicKey, payAppID+"\n"+ts+"\n"+pp.NonceStr+"\nprepay_id="+id+"\n", pp.PaySign)
	js, _ := json.Marshal(pp)
	for _, k := range []string{`"appId"`, `"timeStamp"`, `"nonceStr"`, `"package"`, `"signType"`, `"paySign"`} {
		if !bytes.Contains(js, []byte(k)) {
			t.Errorf("PaymentParams JSON %s lacks %s", js, k)
		}
	}
	if _, err := e.pay.PaymentParams(""); err == nil {
		t.Error("PaymentParams(\"\") succeeded")
	}
}

func TestAuthorizationHeader(t *testing.T) {
	e := newPayEnv(t)
	e.prepay(t, paySampleOrder("ORDER_AUTH01"))
	if _, err := e.pay.QueryOrder(context.Background(), "ORDER_AUTH01"); err != nil {
		t.Fatalf("QueryOrder: %v", err)
	}
	e.mu.Lock()
	seen := append([]paySeenRequest(nil), e.seen...)
	e.mu.Unlock()
	if len(seen) != 2 {
		t.Fatalf("fake saw %d requests, want 2", len(seen))
	}
	re := regexp.MustCompile(`^WECHATPAY2-SHA256-RSA2048 mchid="(\d+)",nonce_str="([0-9A-F]{32})",signature="([A-Za-z0-9+/=]+)",timestamp="(\d+)",serial_no="([0-9A-F]{40})"$`)
	wantURL := []string{"/v3/pay/transactions/jsapi", "/v3/pay/transactions/out-trade-no/ORDER_AUTH01?mchid=" + payMchID}
	for i, s := range seen {
		m := re.FindStringSubmatch(s.Header.Get("Authorization"))
		if m == nil {
			t.Fatalf("request %d: Authorization %q has the wrong form", i, s.Header.Get("Authorization"))
		}
		if m[1] != payMchID || m[5] != e.keys.MchSerial || m[4] != strconv.FormatInt(e.clock.Now().Unix(), 10) {
			t.Errorf("request %d: mchid %s serial %s timestamp %s", i, m[1], m[5], m[4])
		}
		if s.URI != "/_fake/wechat"+wantURL[i] {
			t.Errorf("request %d: URI %q", i, s.URI)
		}
		// The signature covers the request URI as sent, the base URL's path
		// included (the official SDK signs request.URL.RequestURI()).
		payVerifySHA256(t, &e.keys.MchKey.PublicKey, s.Method+"\n"+s.URI+"\n"+m[4]+"\n"+m[2]+"\n"+string(s.Body)+"\n", m[3])
		if s.Header.Get("Accept") != "application/json" {
			t.Errorf("request %d: Accept = %q", i, s.Header.Get("Accept"))
		}
		// Every request names the platform key answers should be signed with.
		if got := s.Header.Get("Wechatpay-Serial"); got != e.keys.PlatformSerial {
			t.Errorf("request %d: Wechatpay-Serial = %q, want %q", i, got, e.keys.PlatformSerial)
		}
	}
	if seen[0].Header.Get("Content-Type") != "application/json" || len(seen[1].Body) != 0 {
		t.Errorf("POST Content-Type %q, GET body %q", seen[0].Header.Get("Content-Type"), seen[1].Body)
	}
}

func TestQueryNotPayThenSuccess(t *testing.T) {
	e := newPayEnv(t)
	ctx := context.Background()
	e.prepay(t, paySampleOrder("ORDER_QUERY1"))
	tx, err := e.pay.QueryOrder(ctx, "ORDER_QUERY1")
	if err != nil {
		t.Fatalf("QueryOrder: %v", err)
	}
	want := wechat.Transaction{AppID: payAppID, MchID: payMchID, OutTradeNo: "ORDER_QUERY1",
		TradeState: "NOTPAY", TradeStateDesc: "订单未支付", Attach: "topup:42", Currency: "CNY", Total: 1234}
	if tx != want {
		t.Errorf("NOTPAY query = %+v\nwant %+v", tx, want)
	}
	if tx.Paid() {
		t.Error("NOTPAY transaction reports Paid")
	}

	e.clock.Add(time.Minute)
	status, delivered := e.succeed(t, "ORDER_QUERY1", "")
	if status != http.StatusOK || !reflect.DeepEqual(delivered, []int{204}) {
		t.Fatalf("succeed: status %d delivered %v, want 200 [204]", status, delivered)
	}
	o, _ := e.fake.Order("ORDER_QUERY1")
	if !regexp.MustCompile(`^42000\d{23}$`).MatchString(o.TransactionID) {
		t.Errorf("transaction id %q, want 28 digits starting 42000", o.TransactionID)
	}
	tx, err = e.pay.QueryOrder(ctx, "ORDER_QUERY1")
	if err != nil {
		t.Fatalf("QueryOrder after succeed: %v", err)
	}
	want = wechat.Transaction{AppID: payAppID, MchID: payMchID, OutTradeNo: "ORDER_QUERY1",
		TransactionID: o.TransactionID, TradeType: "JSAPI", TradeState: "SUCCESS", TradeStateDesc: "支付成功",
		BankType: "OTHERS", Attach: "topup:42", PayerOpenID: "o-alice", Currency: "CNY", Total: 1234, PayerTotal: 1234}
	gotTime := tx.SuccessTime
	tx.SuccessTime = time.Time{}
	if tx != want {
		t.Errorf("SUCCESS query = %+v\nwant %+v", tx, want)
	}
	if !gotTime.Equal(e.clock.Now()) {
		t.Errorf("SuccessTime = %v, want %v", gotTime, e.clock.Now())
	}

	_, err = e.pay.QueryOrder(ctx, "ORDER_NOPE01")
	var pe *wechat.PayError
	if !errors.As(err, &pe) || pe.Status != 404 || pe.Code != "ORDER_NOT_EXIST" {
		t.Errorf("unknown order: err %v, want 404 ORDER_NOT_EXIST", err)
	}
	if _, err := e.pay.QueryOrder(ctx, "bad/no"); err == nil {
		t.Error("QueryOrder accepted an invalid out_trade_no")
	}
}

func TestSucceedDeliversEveryTime(t *testing.T) {
	e := newPayEnv(t)
	e.prepay(t, paySampleOrder("ORDER_TWICE1"))
	status, delivered := e.succeed(t, "ORDER_TWICE1", "?times=2")
	if status != http.StatusOK || !reflect.DeepEqual(delivered, []int{204, 204}) {
		t.Fatalf("succeed?times=2: status %d delivered %v, want 200 [204 204]", status, delivered)
	}
	first, _ := e.fake.Order("ORDER_TWICE1")
	e.clock.Add(time.Minute) // a retry later keeps the payment's own time and id
	status, delivered = e.succeed(t, "ORDER_TWICE1", "")
	if status != http.StatusOK || !reflect.DeepEqual(delivered, []int{204}) {
		t.Fatalf("succeed again: status %d delivered %v, want 200 [204]", status, delivered)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.notifErr) != 0 {
		t.Fatalf("notify handler errors: %v", e.notifErr)
	}
	if len(e.notified) != 3 {
		t.Fatalf("notify handler parsed %d notifications, want 3", len(e.notified))
	}
	for i, tx := range e.notified {
		if !tx.Paid() || tx.OutTradeNo != "ORDER_TWICE1" || tx.TransactionID != first.TransactionID ||
			tx.Total != 1234 || tx.PayerTotal != 1234 || tx.PayerOpenID != "o-alice" || tx.Attach != "topup:42" ||
			!tx.SuccessTime.Equal(first.SuccessTime) {
			t.Errorf("notification %d = %+v", i, tx)
		}
	}
	o, _ := e.fake.Order("ORDER_TWICE1")
	if !reflect.DeepEqual(o.Delivered, []int{204, 204, 204}) {
		t.Errorf("order Delivered = %v, want [204 204 204]", o.Delivered)
	}
}

func TestCloseOrder(t *testing.T) {
	e := newPayEnv(t)
	ctx := context.Background()
	e.prepay(t, paySampleOrder("ORDER_CLOSE1"))
	if err := e.pay.CloseOrder(ctx, "ORDER_CLOSE1"); err != nil {
		t.Fatalf("CloseOrder: %v", err)
	}
	if err := e.pay.CloseOrder(ctx, "ORDER_CLOSE1"); err != nil {
		t.Fatalf("CloseOrder again: %v", err)
	}
	tx, err := e.pay.QueryOrder(ctx, "ORDER_CLOSE1")
	if err != nil || tx.TradeState != "CLOSED" {
		t.Fatalf("query closed order: %+v, %v", tx, err)
	}
	if status, _ := e.succeed(t, "ORDER_CLOSE1", ""); status != http.StatusConflict {
		t.Errorf("succeed on closed order: status %d, want 409", status)
	}
	_, err = e.pay.JSAPIPrepay(ctx, paySampleOrder("ORDER_CLOSE1"))
	var pe *wechat.PayError
	if !errors.As(err, &pe) || pe.Code != "ORDER_CLOSED" {
		t.Errorf("prepay closed order: %v, want ORDER_CLOSED", err)
	}

	e.prepay(t, paySampleOrder("ORDER_PAID01"))
	e.succeed(t, "ORDER_PAID01", "")
	err = e.pay.CloseOrder(ctx, "ORDER_PAID01")
	if !errors.As(err, &pe) || pe.Status != 403 || pe.Code != "ORDERPAID" {
		t.Errorf("close paid order: %v, want 403 ORDERPAID", err)
	}
	err = e.pay.CloseOrder(ctx, "ORDER_NONE01")
	if !errors.As(err, &pe) || pe.Status != 404 || pe.Code != "ORDER_NOT_EXIST" {
		t.Errorf("close unknown order: %v, want 404 ORDER_NOT_EXIST", err)
	}
}

func TestPrepayDuplicateWithOtherParams(t *testing.T) {
	e := newPayEnv(t)
	e.prepay(t, paySampleOrder("ORDER_DUP001"))
	other := paySampleOrder("ORDER_DUP001")
	other.Total = 999
	_, err := e.pay.JSAPIPrepay(context.Background(), other)
	var pe *wechat.PayError
	if !errors.As(err, &pe) || pe.Status != 400 || pe.Code != "INVALID_REQUEST" {
		t.Fatalf("duplicate with other total: %v, want 400 INVALID_REQUEST", err)
	}
	if o, _ := e.fake.Order("ORDER_DUP001"); o.Total != 1234 {
		t.Errorf("order total changed to %d", o.Total)
	}
}

func TestPrepayValidatesBeforeSending(t *testing.T) {
	e := newPayEnv(t)
	cases := map[string]func(*wechat.PrepayRequest){
		"short out_trade_no": func(r *wechat.PrepayRequest) { r.OutTradeNo = "12345" },
		"long out_trade_no":  func(r *wechat.PrepayRequest) { r.OutTradeNo = "123456789012345678901234567890123" },
		"bad character":      func(r *wechat.PrepayRequest) { r.OutTradeNo = "ORDER/00001" },
		"zero total":         func(r *wechat.PrepayRequest) { r.Total = 0 },
		"no description":     func(r *wechat.PrepayRequest) { r.Description = "" },
		"no openid":          func(r *wechat.PrepayRequest) { r.PayerOpenID = "" },
	}
	for name, edit := range cases {
		r := paySampleOrder("ORDER_VALID1")
		edit(&r)
		if _, err := e.pay.JSAPIPrepay(context.Background(), r); err == nil {
			t.Errorf("%s: JSAPIPrepay succeeded", name)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.seen) != 0 {
		t.Errorf("invalid orders reached the fake: %d requests", len(e.seen))
	}
}

func TestFakeRejectsWrongMerchantKey(t *testing.T) {
	e := newPayEnv(t)
	for name, edit := range map[string]func(*wechat.PayConfig){
		"other key":    func(c *wechat.PayConfig) { c.MchKey = e.keys.PlatformKey },
		"other serial": func(c *wechat.PayConfig) { c.MchSerial = "0123456789ABCDEF0123456789ABCDEF01234567" },
		"other mchid":  func(c *wechat.PayConfig) { c.MchID = "1900000999" },
		"clock skewed": func(c *wechat.PayConfig) { c.Now = func() time.Time { return e.clock.Now().Add(-6 * time.Minute) } },
	} {
		p := e.client(t, edit)
		_, err := p.JSAPIPrepay(context.Background(), paySampleOrder("ORDER_SIGN01"))
		var pe *wechat.PayError
		if !errors.As(err, &pe) || pe.Status != 401 || pe.Code != "SIGN_ERROR" {
			t.Errorf("%s: err %v, want 401 SIGN_ERROR", name, err)
		}
	}
	if _, ok := e.fake.Order("ORDER_SIGN01"); ok {
		t.Error("a badly signed prepay created an order")
	}
}

func TestResponseSignatureVerified(t *testing.T) {
	e := newPayEnv(t)
	for name, edit := range map[string]func(*wechat.PayConfig){
		"other platform key":    func(c *wechat.PayConfig) { c.PlatformKey = &e.keys.MchKey.PublicKey },
		"other platform serial": func(c *wechat.PayConfig) { c.PlatformSerial = "PUB_KEY_ID_0000" },
	} {
		p := e.client(t, edit)
		id, err := p.JSAPIPrepay(context.Background(), paySampleOrder("ORDER_RESP01"))
		if !errors.Is(err, wechat.ErrBadSignature) || id != "" {
			t.Errorf("%s: prepay = %q, %v; want ErrBadSignature", name, id, err)
		}
		_, err = p.QueryOrder(context.Background(), "ORDER_RESP01")
		if !errors.Is(err, wechat.ErrBadSignature) {
			t.Errorf("%s: query err %v, want ErrBadSignature", name, err)
		}
	}
}

func TestNewPayValidatesConfig(t *testing.T) {
	e := newPayEnv(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	cases := map[string]func(*wechat.PayConfig){
		"no appid":          func(c *wechat.PayConfig) { c.AppID = "" },
		"no mchid":          func(c *wechat.PayConfig) { c.MchID = "" },
		"no mch serial":     func(c *wechat.PayConfig) { c.MchSerial = "" },
		"no platform":       func(c *wechat.PayConfig) { c.PlatformKey = nil },
		"no key":            func(c *wechat.PayConfig) { c.MchKey = nil },
		"short v3 key":      func(c *wechat.PayConfig) { c.APIv3Key = "0123456789abcdef" },
		"1024-bit mch key":  func(c *wechat.PayConfig) { c.MchKey = small },
		"1024-bit platform": func(c *wechat.PayConfig) { c.PlatformKey = &small.PublicKey },
		"notify with query": func(c *wechat.PayConfig) { c.NotifyURL = "https://example.com/n?x=1" },
		"relative notify":   func(c *wechat.PayConfig) { c.NotifyURL = "/notify" },
		"bad base":          func(c *wechat.PayConfig) { c.BaseURL = "ftp://x" },
	}
	for name, edit := range cases {
		cfg := e.cfg
		edit(&cfg)
		if _, err := wechat.NewPay(cfg); err == nil {
			t.Errorf("%s: NewPay succeeded", name)
		}
	}
	cfg := e.cfg
	cfg.BaseURL, cfg.HTTPClient, cfg.Now, cfg.Rand = "", nil, nil, nil
	if _, err := wechat.NewPay(cfg); err != nil {
		t.Errorf("defaults: NewPay: %v", err)
	}
}
