package fake_test

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"luckbox/wechat/fake"

	"github.com/google/uuid"
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

func payDemoKeys(t testing.TB) fake.DemoKeys {
	t.Helper()
	payKeysOnce.Do(func() { payKeys, payKeysErr = fake.NewDemoKeys(nil) })
	if payKeysErr != nil {
		t.Fatalf("NewDemoKeys: %v", payKeysErr)
	}
	return payKeys
}

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

// env is the fake served at the root of a test server, with a notify server
// recording what it receives.
type payEnv struct {
	keys   fake.DemoKeys
	clock  *payClock
	fake   *fake.Fake
	srv    *httptest.Server
	notify *httptest.Server

	mu       sync.Mutex
	received []http.Header
	bodies   [][]byte
}

func newPayEnv(t *testing.T) *payEnv {
	t.Helper()
	e := &payEnv{keys: payDemoKeys(t), clock: &payClock{t: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)}}
	e.fake = fake.New(fake.Options{AppID: payAppID, Secret: "s", Now: e.clock.Now,
		Pay: e.keys.PayOptions(payAppID, payMchID, nil)})
	e.srv = httptest.NewServer(e.fake)
	t.Cleanup(e.srv.Close)
	e.notify = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.received = append(e.received, r.Header.Clone())
		e.bodies = append(e.bodies, b)
		e.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(e.notify.Close)
	return e
}

// payResponse is a decoded, signature-checked answer of the fake.
type payResponse struct {
	status int
	body   []byte
	json   map[string]any
}

// call sends a request signed with key (nil: the merchant key) and checks
// that the answer is signed by the platform key.
func (e *payEnv) call(t *testing.T, method, path, body string, key *rsa.PrivateKey, ts time.Time) payResponse {
	t.Helper()
	if key == nil {
		key = e.keys.MchKey
	}
	if ts.IsZero() {
		ts = e.clock.Now()
	}
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	tss := strconv.FormatInt(ts.Unix(), 10)
	nonce := "593BEC0C930BF1AFEB40B4A08C8FB242"
	req.Header.Set("Authorization", fmt.Sprintf(
		`WECHATPAY2-SHA256-RSA2048 mchid="%s",nonce_str="%s",signature="%s",timestamp="%s",serial_no="%s"`,
		payMchID, nonce, paySign(t, key, method+"\n"+path+"\n"+tss+"\n"+nonce+"\n"+body+"\n"), tss, e.keys.MchSerial))
	req.Header.Set("Content-Type", "application/json")
	return e.do(t, req)
}

func (e *payEnv) do(t *testing.T, req *http.Request) payResponse {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	e.checkSigned(t, resp.Header, b)
	r := payResponse{status: resp.StatusCode, body: b}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &r.json); err != nil {
			t.Fatalf("answer %q: %v", b, err)
		}
	}
	return r
}

// checkSigned verifies a Wechatpay-* signature made by the platform key.
func (e *payEnv) checkSigned(t *testing.T, h http.Header, body []byte) {
	t.Helper()
	if h.Get("Wechatpay-Serial") != e.keys.PlatformSerial || h.Get("Wechatpay-Signature-Type") != "WECHATPAY2-SHA256-RSA2048" {
		t.Fatalf("serial %q type %q", h.Get("Wechatpay-Serial"), h.Get("Wechatpay-Signature-Type"))
	}
	if h.Get("Wechatpay-Timestamp") != strconv.FormatInt(e.clock.Now().Unix(), 10) {
		t.Errorf("Wechatpay-Timestamp %q", h.Get("Wechatpay-Timestamp"))
	}
	if id, err := uuid.Parse(h.Get("Request-ID")); h.Get("Request-ID") != "" && (err != nil || id.Version() != 4 || id.Variant() != uuid.RFC4122) {
		t.Errorf("Request-ID %q is not a version-4 UUID: %v", h.Get("Request-ID"), err)
	}
	msg := h.Get("Wechatpay-Timestamp") + "\n" + h.Get("Wechatpay-Nonce") + "\n" + string(body) + "\n"
	sig, err := base64.StdEncoding.DecodeString(h.Get("Wechatpay-Signature"))
	if err != nil {
		t.Fatalf("signature: %v", err)
	}
	sum := sha256.Sum256([]byte(msg))
	if err := rsa.VerifyPKCS1v15(&e.keys.PlatformKey.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("answer %q not signed by the platform key: %v", body, err)
	}
}

func paySign(t *testing.T, key *rsa.PrivateKey, msg string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(msg))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// prepayBody is a valid JSAPI prepay body with edits applied.
func (e *payEnv) prepayBody(t *testing.T, edit func(map[string]any)) string {
	t.Helper()
	m := map[string]any{
		"appid": payAppID, "mchid": payMchID, "description": "红包", "out_trade_no": "PKT_000001",
		"attach": "packet:7", "notify_url": e.notify.URL + "/notify",
		"amount": map[string]any{"total": 500, "currency": "CNY"}, "payer": map[string]any{"openid": "o-bob"},
	}
	if edit != nil {
		edit(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (e *payEnv) succeed(t *testing.T, no, query string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(e.srv.URL+"/pay/"+no+"/succeed"+query, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, m
}

func TestPrepayValidation(t *testing.T) {
	e := newPayEnv(t)
	cases := []struct {
		name string
		edit func(map[string]any)
		code string
	}{
		{"zero total", func(m map[string]any) { m["amount"] = map[string]any{"total": 0} }, "PARAM_ERROR"},
		{"negative total", func(m map[string]any) { m["amount"] = map[string]any{"total": -5} }, "PARAM_ERROR"},
		{"USD", func(m map[string]any) { m["amount"] = map[string]any{"total": 5, "currency": "USD"} }, "PARAM_ERROR"},
		{"5-char out_trade_no", func(m map[string]any) { m["out_trade_no"] = "PKT01" }, "PARAM_ERROR"},
		{"33-char out_trade_no", func(m map[string]any) { m["out_trade_no"] = strings.Repeat("A", 33) }, "PARAM_ERROR"},
		{"bad character", func(m map[string]any) { m["out_trade_no"] = "PKT 00001" }, "PARAM_ERROR"},
		{"no description", func(m map[string]any) { delete(m, "description") }, "PARAM_ERROR"},
		{"no openid", func(m map[string]any) { m["payer"] = map[string]any{} }, "PARAM_ERROR"},
		{"notify with query", func(m map[string]any) { m["notify_url"] = "https://x.example/n?a=1" }, "PARAM_ERROR"},
		{"long attach", func(m map[string]any) { m["attach"] = strings.Repeat("a", 129) }, "PARAM_ERROR"},
		{"past expiry", func(m map[string]any) { m["time_expire"] = "2025-03-04T13:00:00+08:00" }, "PARAM_ERROR"},
		{"bad expiry", func(m map[string]any) { m["time_expire"] = "tomorrow" }, "PARAM_ERROR"},
		{"other appid", func(m map[string]any) { m["appid"] = "wxffffffffffffffff" }, "APPID_MCHID_NOT_MATCH"},
		{"other mchid", func(m map[string]any) { m["mchid"] = "1900000999" }, "APPID_MCHID_NOT_MATCH"},
	}
	for _, c := range cases {
		r := e.call(t, "POST", "/v3/pay/transactions/jsapi", e.prepayBody(t, c.edit), nil, time.Time{})
		if r.status != 400 || r.json["code"] != c.code || r.json["message"] == "" {
			t.Errorf("%s: %d %s, want 400 %s", c.name, r.status, r.body, c.code)
		}
	}
	if r := e.call(t, "POST", "/v3/pay/transactions/jsapi", "{", nil, time.Time{}); r.status != 400 || r.json["code"] != "PARAM_ERROR" {
		t.Errorf("bad JSON: %d %s", r.status, r.body)
	}
	if _, ok := e.fake.Order("PKT_000001"); ok {
		t.Error("an invalid prepay created an order")
	}

	// 6 and 32 characters of every allowed kind are fine.
	for _, no := range []string{"Ab_-|*", "0123456789abcdefghijABCDEFGHIJ_-"} {
		r := e.call(t, "POST", "/v3/pay/transactions/jsapi", e.prepayBody(t, func(m map[string]any) {
			m["out_trade_no"] = no
			m["time_expire"] = "2025-03-04T13:36:07+08:00"
		}), nil, time.Time{})
		if r.status != 200 {
			t.Errorf("out_trade_no %q: %d %s", no, r.status, r.body)
		}
	}
}

func TestPrepayIdempotence(t *testing.T) {
	e := newPayEnv(t)
	body := e.prepayBody(t, nil)
	r1 := e.call(t, "POST", "/v3/pay/transactions/jsapi", body, nil, time.Time{})
	if r1.status != 200 || !regexp.MustCompile(`^wx20250304130607[0-9a-f]{20}$`).MatchString(fmt.Sprint(r1.json["prepay_id"])) {
		t.Fatalf("prepay: %d %s", r1.status, r1.body)
	}
	e.clock.Add(time.Second)
	r2 := e.call(t, "POST", "/v3/pay/transactions/jsapi", body, nil, time.Time{})
	if r2.status != 200 || r2.json["prepay_id"] != r1.json["prepay_id"] {
		t.Errorf("same order again: %d %s, want %s", r2.status, r2.body, r1.body)
	}
	for name, edit := range map[string]func(map[string]any){
		"total":  func(m map[string]any) { m["amount"] = map[string]any{"total": 501} },
		"openid": func(m map[string]any) { m["payer"] = map[string]any{"openid": "o-eve"} },
		"attach": func(m map[string]any) { m["attach"] = "packet:8" },
		"notify": func(m map[string]any) { m["notify_url"] = "https://evil.example/n" },
	} {
		r := e.call(t, "POST", "/v3/pay/transactions/jsapi", e.prepayBody(t, edit), nil, time.Time{})
		if r.status != 400 || r.json["code"] != "INVALID_REQUEST" {
			t.Errorf("other %s: %d %s, want 400 INVALID_REQUEST", name, r.status, r.body)
		}
	}
	o, _ := e.fake.Order("PKT_000001")
	if o.Total != 500 || o.PayerOpenID != "o-bob" || o.NotifyURL != e.notify.URL+"/notify" {
		t.Errorf("order changed: %+v", o)
	}
	// A paid order cannot be placed again.
	if status, _ := e.succeed(t, "PKT_000001", ""); status != 200 {
		t.Fatalf("succeed: %d", status)
	}
	if r := e.call(t, "POST", "/v3/pay/transactions/jsapi", body, nil, time.Time{}); r.status != 403 || r.json["code"] != "ORDERPAID" {
		t.Errorf("prepay paid order: %d %s", r.status, r.body)
	}
}

func TestRequestAuthentication(t *testing.T) {
	e := newPayEnv(t)
	body := e.prepayBody(t, nil)
	check := func(name string, r payResponse) {
		t.Helper()
		if r.status != 401 || r.json["code"] != "SIGN_ERROR" {
			t.Errorf("%s: %d %s, want 401 SIGN_ERROR", name, r.status, r.body)
		}
	}
	check("other key", e.call(t, "POST", "/v3/pay/transactions/jsapi", body, e.keys.PlatformKey, time.Time{}))
	check("stale timestamp", e.call(t, "POST", "/v3/pay/transactions/jsapi", body, nil, e.clock.Now().Add(-6*time.Minute)))
	check("future timestamp", e.call(t, "POST", "/v3/pay/transactions/jsapi", body, nil, e.clock.Now().Add(6*time.Minute)))

	// A valid signature over another body or path does not transfer.
	req, _ := http.NewRequest("POST", e.srv.URL+"/v3/pay/transactions/jsapi", strings.NewReader(body))
	check("no Authorization", e.do(t, req))
	tss := strconv.FormatInt(e.clock.Now().Unix(), 10)
	auth := func(msg, serial, mch string) string {
		return fmt.Sprintf(`WECHATPAY2-SHA256-RSA2048 mchid="%s",nonce_str="N1",signature="%s",timestamp="%s",serial_no="%s"`,
			mch, paySign(t, e.keys.MchKey, msg), tss, serial)
	}
	for name, h := range map[string]string{
		"signed other body":  auth("POST\n/v3/pay/transactions/jsapi\n"+tss+"\nN1\n{}\n", e.keys.MchSerial, payMchID),
		"signed other path":  auth("POST\n/v3/pay/transactions/h5\n"+tss+"\nN1\n"+body+"\n", e.keys.MchSerial, payMchID),
		"other serial":       auth("POST\n/v3/pay/transactions/jsapi\n"+tss+"\nN1\n"+body+"\n", "00", payMchID),
		"other mchid":        auth("POST\n/v3/pay/transactions/jsapi\n"+tss+"\nN1\n"+body+"\n", e.keys.MchSerial, "1"),
		"other scheme":       strings.Replace(auth("POST\n/v3/pay/transactions/jsapi\n"+tss+"\nN1\n"+body+"\n", e.keys.MchSerial, payMchID), "RSA2048", "RSA1024", 1),
		"garbled parameters": `WECHATPAY2-SHA256-RSA2048 mchid=1900000109`,
	} {
		req, _ := http.NewRequest("POST", e.srv.URL+"/v3/pay/transactions/jsapi", strings.NewReader(body))
		req.Header.Set("Authorization", h)
		check(name, e.do(t, req))
	}
	// The same header, correct, is accepted (the checks above are not vacuous).
	req, _ = http.NewRequest("POST", e.srv.URL+"/v3/pay/transactions/jsapi", strings.NewReader(body))
	req.Header.Set("Authorization", auth("POST\n/v3/pay/transactions/jsapi\n"+tss+"\nN1\n"+body+"\n", e.keys.MchSerial, payMchID))
	if r := e.do(t, req); r.status != 200 {
		t.Errorf("correct header: %d %s", r.status, r.body)
	}
}

func TestQueryCloseAndSucceed(t *testing.T) {
	e := newPayEnv(t)
	if r := e.call(t, "GET", "/v3/pay/transactions/out-trade-no/PKT_000001?mchid="+payMchID, "", nil, time.Time{}); r.status != 404 || r.json["code"] != "ORDER_NOT_EXIST" {
		t.Errorf("query unknown: %d %s", r.status, r.body)
	}
	e.call(t, "POST", "/v3/pay/transactions/jsapi", e.prepayBody(t, nil), nil, time.Time{})
	for name, path := range map[string]string{
		"no mchid":    "/v3/pay/transactions/out-trade-no/PKT_000001",
		"other mchid": "/v3/pay/transactions/out-trade-no/PKT_000001?mchid=1",
	} {
		if r := e.call(t, "GET", path, "", nil, time.Time{}); r.status != 400 || r.json["code"] != "PARAM_ERROR" {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	r := e.call(t, "GET", "/v3/pay/transactions/out-trade-no/PKT_000001?mchid="+payMchID, "", nil, time.Time{})
	want := map[string]any{"appid": payAppID, "mchid": payMchID, "out_trade_no": "PKT_000001", "trade_state": "NOTPAY",
		"trade_state_desc": "订单未支付", "attach": "packet:7", "payer": map[string]any{},
		"amount": map[string]any{"total": 500.0, "currency": "CNY", "payer_currency": "CNY"}}
	if r.status != 200 || !reflect.DeepEqual(r.json, want) {
		t.Errorf("query NOTPAY: %d %v\nwant %v", r.status, r.json, want)
	}

	for q, code := range map[string]int{"?times=0": 400, "?times=21": 400, "?times=x": 400} {
		if status, _ := e.succeed(t, "PKT_000001", q); status != code {
			t.Errorf("succeed%s: %d, want %d", q, status, code)
		}
	}
	if status, m := e.succeed(t, "PKT_NOPE01", ""); status != 404 || m["code"] != "ORDER_NOT_EXIST" {
		t.Errorf("succeed unknown: %d %v", status, m)
	}
	e.clock.Add(90 * time.Second)
	status, m := e.succeed(t, "PKT_000001", "?times=3")
	if status != 200 || !reflect.DeepEqual(m["delivered"], []any{204.0, 204.0, 204.0}) || m["out_trade_no"] != "PKT_000001" {
		t.Fatalf("succeed?times=3: %d %v", status, m)
	}
	o, _ := e.fake.Order("PKT_000001")
	if o.TradeState != "SUCCESS" || m["transaction_id"] != o.TransactionID || !o.SuccessTime.Equal(e.clock.Now()) ||
		!reflect.DeepEqual(o.Delivered, []int{204, 204, 204}) {
		t.Errorf("order after succeed: %+v", o)
	}
	o.Delivered[0] = 999
	if again, _ := e.fake.Order("PKT_000001"); again.Delivered[0] != 204 {
		t.Error("Order returns a slice shared with the fake")
	}

	r = e.call(t, "GET", "/v3/pay/transactions/out-trade-no/PKT_000001?mchid="+payMchID, "", nil, time.Time{})
	want = map[string]any{"appid": payAppID, "mchid": payMchID, "out_trade_no": "PKT_000001", "trade_state": "SUCCESS",
		"trade_state_desc": "支付成功", "attach": "packet:7", "transaction_id": o.TransactionID, "trade_type": "JSAPI",
		"bank_type": "OTHERS", "success_time": "2025-03-04T13:07:37+08:00", "payer": map[string]any{"openid": "o-bob"},
		"amount": map[string]any{"total": 500.0, "payer_total": 500.0, "currency": "CNY", "payer_currency": "CNY"}}
	if r.status != 200 || !reflect.DeepEqual(r.json, want) {
		t.Errorf("query SUCCESS: %d %v\nwant %v", r.status, r.json, want)
	}
	if r := e.call(t, "POST", "/v3/pay/transactions/out-trade-no/PKT_000001/close", `{"mchid":"`+payMchID+`"}`, nil, time.Time{}); r.status != 403 || r.json["code"] != "ORDERPAID" {
		t.Errorf("close paid: %d %s", r.status, r.body)
	}

	// Close an unpaid order: 204 with a signed empty body, then succeed is refused.
	e.call(t, "POST", "/v3/pay/transactions/jsapi", e.prepayBody(t, func(m map[string]any) { m["out_trade_no"] = "PKT_000002" }), nil, time.Time{})
	if r := e.call(t, "POST", "/v3/pay/transactions/out-trade-no/PKT_000002/close", `{"mchid":"1"}`, nil, time.Time{}); r.status != 400 {
		t.Errorf("close with other mchid: %d %s", r.status, r.body)
	}
	if r := e.call(t, "POST", "/v3/pay/transactions/out-trade-no/PKT_000002/close", `{"mchid":"`+payMchID+`"}`, nil, time.Time{}); r.status != 204 || len(r.body) != 0 {
		t.Errorf("close: %d %q", r.status, r.body)
	}
	if status, m := e.succeed(t, "PKT_000002", ""); status != 409 || m["code"] != "ORDER_CLOSED" {
		t.Errorf("succeed closed: %d %v", status, m)
	}
	if r := e.call(t, "POST", "/v3/pay/transactions/out-trade-no/PKT_NOPE01/close", `{"mchid":"`+payMchID+`"}`, nil, time.Time{}); r.status != 404 {
		t.Errorf("close unknown: %d %s", r.status, r.body)
	}
}

func TestNotificationsDelivered(t *testing.T) {
	e := newPayEnv(t)
	e.call(t, "POST", "/v3/pay/transactions/jsapi", e.prepayBody(t, nil), nil, time.Time{})
	if status, m := e.succeed(t, "PKT_000001", "?times=2"); status != 200 || !reflect.DeepEqual(m["delivered"], []any{204.0, 204.0}) {
		t.Fatalf("succeed: %d %v", status, m)
	}
	o, _ := e.fake.Order("PKT_000001")
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.bodies) != 2 {
		t.Fatalf("notify server got %d notifications, want 2", len(e.bodies))
	}
	var ids []string
	for i, body := range e.bodies {
		e.checkSigned(t, e.received[i], body)
		var env struct {
			ID           string `json:"id"`
			CreateTime   string `json:"create_time"`
			ResourceType string `json:"resource_type"`
			EventType    string `json:"event_type"`
			Resource     struct {
				OriginalType   string `json:"original_type"`
				Algorithm      string `json:"algorithm"`
				Ciphertext     string `json:"ciphertext"`
				AssociatedData string `json:"associated_data"`
				Nonce          string `json:"nonce"`
			} `json:"resource"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatal(err)
		}
		if env.ResourceType != "encrypt-resource" || env.EventType != "TRANSACTION.SUCCESS" ||
			env.Resource.Algorithm != "AEAD_AES_256_GCM" || env.Resource.OriginalType != "transaction" ||
			env.Resource.AssociatedData != "transaction" || len(env.Resource.Nonce) != 12 ||
			env.CreateTime != "2025-03-04T13:06:07+08:00" {
			t.Errorf("notification %d envelope: %+v", i, env)
		}
		ids = append(ids, env.ID)
		block, _ := aes.NewCipher([]byte(e.keys.APIv3Key))
		gcm, _ := cipher.NewGCM(block)
		ct, _ := base64.StdEncoding.DecodeString(env.Resource.Ciphertext)
		plain, err := gcm.Open(nil, []byte(env.Resource.Nonce), ct, []byte(env.Resource.AssociatedData))
		if err != nil {
			t.Fatalf("notification %d: decrypt: %v", i, err)
		}
		var tx map[string]any
		_ = json.Unmarshal(plain, &tx)
		if tx["out_trade_no"] != "PKT_000001" || tx["trade_state"] != "SUCCESS" || tx["transaction_id"] != o.TransactionID ||
			tx["payer"].(map[string]any)["openid"] != "o-bob" || tx["amount"].(map[string]any)["total"] != 500.0 {
			t.Errorf("notification %d resource: %s", i, plain)
		}
	}
	if ids[0] == "" || ids[0] != ids[1] {
		t.Errorf("retries should keep the notification id: %v", ids)
	}
}

func TestSucceedUndeliverableAndExpired(t *testing.T) {
	e := newPayEnv(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL + "/notify"
	dead.Close()
	e.call(t, "POST", "/v3/pay/transactions/jsapi", e.prepayBody(t, func(m map[string]any) { m["notify_url"] = deadURL }), nil, time.Time{})
	if status, m := e.succeed(t, "PKT_000001", "?times=2"); status != 200 || !reflect.DeepEqual(m["delivered"], []any{0.0, 0.0}) {
		t.Errorf("succeed with dead notify_url: %d %v", status, m)
	}

	e.call(t, "POST", "/v3/pay/transactions/jsapi", e.prepayBody(t, func(m map[string]any) {
		m["out_trade_no"] = "PKT_000002"
		m["time_expire"] = "2025-03-04T13:10:07+08:00" // 4 minutes from now
	}), nil, time.Time{})
	e.clock.Add(4 * time.Minute)
	if status, m := e.succeed(t, "PKT_000002", ""); status != 409 || m["code"] != "ORDER_EXPIRED" {
		t.Errorf("succeed expired: %d %v", status, m)
	}
}

func TestWithoutPay(t *testing.T) {
	f := fake.New(fake.Options{AppID: payAppID, Secret: "s"})
	srv := httptest.NewServer(f)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/v3/pay/transactions/jsapi", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("pay route without Pay options: %d, want 404", resp.StatusCode)
	}
	if _, _, err := f.Notification("PKT_000001"); err == nil {
		t.Error("Notification without Pay options succeeded")
	}
	if _, ok := f.Order("PKT_000001"); ok {
		t.Error("Order without Pay options found something")
	}
}

func TestNewDemoKeys(t *testing.T) {
	k := payDemoKeys(t)
	if k.MchKey.N.BitLen() != 2048 || k.PlatformKey.N.BitLen() != 2048 || k.MchKey.Equal(k.PlatformKey) {
		t.Errorf("keys: %d and %d bits", k.MchKey.N.BitLen(), k.PlatformKey.N.BitLen())
	}
	if !regexp.MustCompile(`^[0-9A-F]{40}$`).MatchString(k.MchSerial) ||
		!regexp.MustCompile(`^PUB_KEY_ID_\d{32}$`).MatchString(k.PlatformSerial) ||
		!regexp.MustCompile(`^[0-9A-Za-z]{32}$`).MatchString(k.APIv3Key) {
		t.Errorf("serials/key: %q %q %q", k.MchSerial, k.PlatformSerial, k.APIv3Key)
	}
	opts := k.PayOptions(payAppID, payMchID, http.DefaultClient)
	if opts.AppID != payAppID || opts.MchID != payMchID || !opts.MchPublicKey.Equal(&k.MchKey.PublicKey) ||
		opts.PlatformKey != k.PlatformKey || opts.MchSerial != k.MchSerial || opts.PlatformSerial != k.PlatformSerial ||
		opts.APIv3Key != k.APIv3Key || opts.HTTPClient != http.DefaultClient {
		t.Errorf("PayOptions = %+v", opts)
	}
}
