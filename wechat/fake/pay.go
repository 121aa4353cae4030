package fake

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// PayOptions configure the fake WeChat Pay v3.
type PayOptions struct {
	AppID, MchID   string
	MchSerial      string
	MchPublicKey   *rsa.PublicKey  // verifies the merchant's request signatures (bad ones get 401 SIGN_ERROR)
	PlatformSerial string          // the default platform key's serial, sent as Wechatpay-Serial
	PlatformKey    *rsa.PrivateKey // the default platform key: signs notifications and answers
	APIv3Key       string          // encrypts notification resources (32 bytes)
	HTTPClient     *http.Client    // sends notifications; nil means a client with a 10 s timeout
	Rand           io.Reader       // nonces and ids; nil means crypto/rand

	// OtherPlatformKeys are further platform keys by serial, as WeChat Pay
	// holds both the platform certificate and the public key of a merchant
	// moving from one to the other: the answer to a request whose
	// Wechatpay-Serial header names one of them is signed with it, any other
	// answer with the default key.
	OtherPlatformKeys map[string]*rsa.PrivateKey
}

// Trade states of fake orders.
const (
	payNotPay  = "NOTPAY"
	paySuccess = "SUCCESS"
	payClosed  = "CLOSED"
)

const (
	payAuthScheme    = "WECHATPAY2-SHA256-RSA2048"
	payMaxBody       = 64 << 10
	payMaxSkew       = 5 * time.Minute
	payMaxTimes      = 20 // notifications per succeed call at most
	payNotifyTimeout = 10 * time.Second
)

// payCST is Beijing time, which WeChat Pay uses in its timestamps.
var payCST = time.FixedZone("CST", 8*60*60)

// payState holds the fake's WeChat Pay orders; guarded by Fake.mu except
// randMu, which guards reads of PayOptions.Rand.
type payState struct {
	orders    map[string]*payOrder     // by out_trade_no
	refunds   map[string]*payRefund    // by out_refund_no (pay_refund.go)
	tamper    map[string]*billTamper   // by bill date (bills.go)
	transfers map[string]*transferBill // by out_bill_no (pay_transfer.go)
	// holdTransfers: transfer requests create their bill but get no answer
	// until transferRelease closes released.
	holdTransfers bool
	released      chan struct{}
	// dropTransfers: transfer requests never arrive (503, no bill);
	// dropped counts them.
	dropTransfers bool
	dropped       int
	randMu        sync.Mutex
}

// payPrepayJSON is the body of a JSAPI prepay request. Orders with the same
// out_trade_no must repeat it exactly.
type payPrepayJSON struct {
	AppID       string `json:"appid"`
	MchID       string `json:"mchid"`
	Description string `json:"description"`
	OutTradeNo  string `json:"out_trade_no"`
	TimeExpire  string `json:"time_expire"`
	Attach      string `json:"attach"`
	NotifyURL   string `json:"notify_url"`
	Amount      struct {
		Total    int64  `json:"total"`
		Currency string `json:"currency"`
	} `json:"amount"`
	Payer struct {
		OpenID string `json:"openid"`
	} `json:"payer"`
}

// payOrder is an order the fake knows.
type payOrder struct {
	req            payPrepayJSON
	timeExpire     time.Time
	prepayID       string
	state          string
	transactionID  string
	successTime    time.Time
	notificationID string
	createdAt      time.Time
	delivered      []int
}

// FakeOrder is a snapshot of an order in the fake WeChat Pay.
type FakeOrder struct {
	OutTradeNo, PrepayID   string
	AppID, MchID           string
	Description, Attach    string
	PayerOpenID, NotifyURL string
	Total                  int64     // fen
	TimeExpire             time.Time // zero if none was given
	TradeState             string    // NOTPAY, SUCCESS or CLOSED
	TransactionID          string    // set once paid
	SuccessTime            time.Time // set once paid
	CreatedAt              time.Time
	Delivered              []int // HTTP status of every notification POST so far (0: not delivered)
}

// snapshot copies o; the caller holds f.mu.
func (o *payOrder) snapshot() FakeOrder {
	return FakeOrder{
		OutTradeNo: o.req.OutTradeNo, PrepayID: o.prepayID,
		AppID: o.req.AppID, MchID: o.req.MchID,
		Description: o.req.Description, Attach: o.req.Attach,
		PayerOpenID: o.req.Payer.OpenID, NotifyURL: o.req.NotifyURL,
		Total: o.req.Amount.Total, TimeExpire: o.timeExpire,
		TradeState: o.state, TransactionID: o.transactionID, SuccessTime: o.successTime,
		CreatedAt: o.createdAt, Delivered: append([]int(nil), o.delivered...),
	}
}

// Order returns a snapshot of the order with this out_trade_no.
func (f *Fake) Order(outTradeNo string) (FakeOrder, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.pay.orders[outTradeNo]
	if !ok {
		return FakeOrder{}, false
	}
	return o.snapshot(), true
}

// registerPay adds the WeChat Pay v3 routes and the pay control route.
func (f *Fake) registerPay(mux *http.ServeMux) {
	f.pay.orders = make(map[string]*payOrder)
	mux.HandleFunc("POST /v3/pay/transactions/jsapi", f.payPrepay)
	mux.HandleFunc("GET /v3/pay/transactions/out-trade-no/{no}", f.payQuery)
	mux.HandleFunc("POST /v3/pay/transactions/out-trade-no/{no}/close", f.payClose)
	mux.HandleFunc("POST /pay/{no}/succeed", f.paySucceed)
	f.registerRefunds(mux)
	f.registerBills(mux)
	f.registerTransfer(mux)
}

// payPrepay serves POST /v3/pay/transactions/jsapi.
func (f *Fake) payPrepay(w http.ResponseWriter, r *http.Request) {
	body, ok := f.payAuthenticate(w, r)
	if !ok {
		return
	}
	var req payPrepayJSON
	if err := json.Unmarshal(body, &req); err != nil {
		f.payError(w, r, http.StatusBadRequest, "PARAM_ERROR", "请求体不是合法的JSON: "+err.Error())
		return
	}
	if req.Amount.Currency == "" {
		req.Amount.Currency = "CNY"
	}
	now := f.now()
	expire, msg := payValidatePrepay(req, now)
	if msg != "" {
		f.payError(w, r, http.StatusBadRequest, "PARAM_ERROR", msg)
		return
	}
	opts := f.opts.Pay
	if req.AppID != opts.AppID || req.MchID != opts.MchID {
		f.payError(w, r, http.StatusBadRequest, "APPID_MCHID_NOT_MATCH", "appid和mchid不匹配")
		return
	}
	prepayID := "wx" + now.In(payCST).Format("20060102150405") + f.payRandom(20, "0123456789abcdef")

	f.mu.Lock()
	o, exists := f.pay.orders[req.OutTradeNo]
	switch {
	case !exists:
		o = &payOrder{req: req, timeExpire: expire, prepayID: prepayID, state: payNotPay, createdAt: now}
		f.pay.orders[req.OutTradeNo] = o
	case o.state == paySuccess:
		f.mu.Unlock()
		f.payError(w, r, http.StatusForbidden, "ORDERPAID", "该订单已支付")
		return
	case o.state == payClosed:
		f.mu.Unlock()
		f.payError(w, r, http.StatusBadRequest, "ORDER_CLOSED", "该订单已关闭")
		return
	case o.req != req:
		f.mu.Unlock()
		f.payError(w, r, http.StatusBadRequest, "INVALID_REQUEST", "商户订单号重复，且订单参数与原订单不一致")
		return
	}
	prepayID = o.prepayID
	f.mu.Unlock()
	f.payReply(w, r, http.StatusOK, map[string]string{"prepay_id": prepayID})
}

// payValidatePrepay checks a prepay request like WeChat Pay does and returns
// the parsed time_expire, or a PARAM_ERROR message.
func payValidatePrepay(req payPrepayJSON, now time.Time) (time.Time, string) {
	switch {
	case req.AppID == "":
		return time.Time{}, "缺少参数appid"
	case req.MchID == "":
		return time.Time{}, "缺少参数mchid"
	case req.Description == "" || utf8.RuneCountInString(req.Description) > 127:
		return time.Time{}, "description长度须为1到127个字符"
	case !payValidOutTradeNo(req.OutTradeNo):
		return time.Time{}, "out_trade_no须为6到32位数字、大小写字母或_-|*"
	case len(req.Attach) > 128:
		return time.Time{}, "attach长度不能超过128字节"
	case req.Amount.Total < 1:
		return time.Time{}, "amount.total须大于等于1"
	case req.Amount.Currency != "CNY":
		return time.Time{}, "amount.currency只支持CNY"
	case req.Payer.OpenID == "":
		return time.Time{}, "缺少参数payer.openid"
	}
	u, err := url.Parse(req.NotifyURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return time.Time{}, "notify_url须为不带参数的绝对http(s)地址"
	}
	var expire time.Time
	if req.TimeExpire != "" {
		expire, err = time.Parse(time.RFC3339, req.TimeExpire)
		if err != nil {
			return time.Time{}, "time_expire格式错误，须为rfc3339格式"
		}
		if !expire.After(now) {
			return time.Time{}, "time_expire须晚于当前时间"
		}
	}
	return expire, ""
}

// payValidOutTradeNo reports whether s has 6..32 digits, letters or _-|*.
func payValidOutTradeNo(s string) bool {
	if len(s) < 6 || len(s) > 32 {
		return false
	}
	return strings.Trim(s, payAlnum+"_-|*") == ""
}

// payQuery serves GET /v3/pay/transactions/out-trade-no/{no}?mchid=.
func (f *Fake) payQuery(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.payAuthenticate(w, r); !ok {
		return
	}
	mchid := r.URL.Query().Get("mchid")
	if mchid == "" {
		f.payError(w, r, http.StatusBadRequest, "PARAM_ERROR", "缺少参数mchid")
		return
	}
	if mchid != f.opts.Pay.MchID {
		f.payError(w, r, http.StatusBadRequest, "PARAM_ERROR", "mchid与请求商户号不一致")
		return
	}
	f.mu.Lock()
	o, ok := f.pay.orders[r.PathValue("no")]
	var tx payTransactionJSON
	if ok {
		tx = o.transaction()
	}
	f.mu.Unlock()
	if !ok {
		f.payError(w, r, http.StatusNotFound, "ORDER_NOT_EXIST", "订单不存在")
		return
	}
	f.payReply(w, r, http.StatusOK, tx)
}

// payClose serves POST /v3/pay/transactions/out-trade-no/{no}/close.
func (f *Fake) payClose(w http.ResponseWriter, r *http.Request) {
	body, ok := f.payAuthenticate(w, r)
	if !ok {
		return
	}
	var req struct {
		MchID string `json:"mchid"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.MchID == "" {
		f.payError(w, r, http.StatusBadRequest, "PARAM_ERROR", "缺少参数mchid")
		return
	}
	if req.MchID != f.opts.Pay.MchID {
		f.payError(w, r, http.StatusBadRequest, "PARAM_ERROR", "mchid与请求商户号不一致")
		return
	}
	f.mu.Lock()
	o, ok := f.pay.orders[r.PathValue("no")]
	state := ""
	if ok {
		state = o.state
		if state == payNotPay {
			o.state = payClosed
		}
	}
	f.mu.Unlock()
	switch {
	case !ok:
		f.payError(w, r, http.StatusNotFound, "ORDER_NOT_EXIST", "订单不存在")
	case state == paySuccess:
		f.payError(w, r, http.StatusForbidden, "ORDERPAID", "该订单已支付")
	default:
		f.payReply(w, r, http.StatusNoContent, nil)
	}
}

// paySucceed serves the control route POST /pay/{no}/succeed[?times=N]: it
// marks the order paid (once) and POSTs the payment notification to the
// order's notify_url N times, answering the HTTP statuses it got.
func (f *Fake) paySucceed(w http.ResponseWriter, r *http.Request) {
	times, ok := payTimes(w, r, 1)
	if !ok {
		return
	}
	no := r.PathValue("no")
	now := f.now()
	f.mu.Lock()
	o, ok := f.pay.orders[no]
	var snap payOrder
	code, msg := "", ""
	switch {
	case !ok:
		code, msg = "ORDER_NOT_EXIST", "订单不存在"
	case o.state == payClosed:
		code, msg = "ORDER_CLOSED", "该订单已关闭"
	case o.state == payNotPay && !o.timeExpire.IsZero() && !now.Before(o.timeExpire):
		code, msg = "ORDER_EXPIRED", "订单已过支付期限"
	case o.state == payNotPay:
		o.state = paySuccess
		o.successTime = now.Truncate(time.Second)
		o.transactionID = "42000" + now.In(payCST).Format("20060102") + f.payRandom(15, "0123456789")
		o.notificationID = f.payUUID()
	}
	if code == "" {
		snap = *o
	}
	f.mu.Unlock()
	if code != "" {
		status := http.StatusConflict
		if code == "ORDER_NOT_EXIST" {
			status = http.StatusNotFound
		}
		writeJSON(w, status, map[string]string{"code": code, "message": msg})
		return
	}

	delivered := make([]int, 0, times)
	for range times {
		delivered = append(delivered, f.payDeliver(r, &snap))
	}
	f.mu.Lock()
	o.delivered = append(o.delivered, delivered...)
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"out_trade_no": no, "transaction_id": snap.transactionID, "delivered": delivered})
}

// payTimes reads the times=N parameter of a control route (default 1,
// least..payMaxTimes); on a bad value it answers 400 and returns false.
func payTimes(w http.ResponseWriter, r *http.Request, least int) (int, bool) {
	s := r.URL.Query().Get("times")
	if s == "" {
		return 1, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < least || n > payMaxTimes {
		writeJSON(w, http.StatusBadRequest, map[string]string{
			"code": "PARAM_ERROR", "message": fmt.Sprintf("times must be %d..%d", least, payMaxTimes)})
		return 0, false
	}
	return n, true
}

// payAuthenticate reads the request body and checks the merchant's
// Authorization header like WeChat Pay: scheme, mchid, serial_no, timestamp
// within 5 minutes and the signature over
// "METHOD\nURL\ntimestamp\nnonce\nbody\n". On failure it answers 401
// SIGN_ERROR (or 400 for an unreadable body) and returns false.
func (f *Fake) payAuthenticate(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, payMaxBody))
	if err != nil {
		f.payError(w, r, http.StatusBadRequest, "PARAM_ERROR", "请求体过大或无法读取")
		return nil, false
	}
	if err := f.payCheckAuthorization(r, body); err != nil {
		f.payError(w, r, http.StatusUnauthorized, "SIGN_ERROR", "签名错误: "+err.Error())
		return nil, false
	}
	return body, true
}

// payCheckAuthorization verifies the Authorization header of r. The signed
// URL is the request URI the client sent (r.RequestURI), not r.URL: when the
// fake is mounted under a prefix with http.StripPrefix, r.URL.Path has lost
// the prefix the client signed.
func (f *Fake) payCheckAuthorization(r *http.Request, body []byte) error {
	opts := f.opts.Pay
	h := r.Header.Get("Authorization")
	params, ok := strings.CutPrefix(h, payAuthScheme+" ")
	if !ok {
		return errors.New("Authorization不是" + payAuthScheme)
	}
	p, err := payParseAuthParams(params)
	if err != nil {
		return err
	}
	switch {
	case p["mchid"] != opts.MchID:
		return errors.New("mchid不正确")
	case p["serial_no"] != opts.MchSerial:
		return errors.New("商户证书序列号不正确")
	case p["nonce_str"] == "":
		return errors.New("缺少nonce_str")
	}
	ts, err := strconv.ParseInt(p["timestamp"], 10, 64)
	if err != nil {
		return errors.New("timestamp格式错误")
	}
	if d := f.now().Sub(time.Unix(ts, 0)); d > payMaxSkew || d < -payMaxSkew {
		return errors.New("timestamp已过期")
	}
	signedURL := r.RequestURI
	if signedURL == "" { // a request built in a test rather than received
		signedURL = r.URL.RequestURI()
	}
	msg := r.Method + "\n" + signedURL + "\n" + p["timestamp"] + "\n" + p["nonce_str"] + "\n" + string(body) + "\n"
	sig, err := base64.StdEncoding.DecodeString(p["signature"])
	if err != nil {
		return errors.New("signature不是base64")
	}
	sum := sha256.Sum256([]byte(msg))
	if rsa.VerifyPKCS1v15(opts.MchPublicKey, crypto.SHA256, sum[:], sig) != nil {
		return errors.New("签名验证失败")
	}
	return nil
}

// payParseAuthParams parses `k1="v1",k2="v2"` into a map.
func payParseAuthParams(s string) (map[string]string, error) {
	m := make(map[string]string)
	for s != "" {
		k, rest, ok := strings.Cut(s, `="`)
		if !ok {
			return nil, errors.New("Authorization参数格式错误")
		}
		v, rest, ok := strings.Cut(rest, `"`)
		if !ok {
			return nil, errors.New("Authorization参数格式错误")
		}
		k = strings.TrimSpace(k)
		if _, dup := m[k]; dup {
			return nil, errors.New("Authorization参数重复: " + k)
		}
		m[k] = v
		s = strings.TrimLeft(rest, ", ")
	}
	return m, nil
}

// payReply writes a JSON answer (none for nil v) to r signed with a platform
// key, as WeChat Pay signs every answer: the key r names in its
// Wechatpay-Serial header if the fake holds it, else the default key.
func (f *Fake) payReply(w http.ResponseWriter, r *http.Request, status int, v any) {
	var body []byte
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			http.Error(w, "fake: encode answer: "+err.Error(), http.StatusInternalServerError)
			return
		}
		body = b
	}
	serial := r.Header.Get("Wechatpay-Serial")
	if _, ok := f.opts.Pay.OtherPlatformKeys[serial]; !ok {
		serial = ""
	}
	h, err := f.SignNotificationAs(serial, body)
	if err != nil {
		http.Error(w, "fake: sign answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	for k, vs := range h {
		w.Header()[k] = vs
	}
	w.Header().Set("Request-ID", f.payUUID())
	if v != nil {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// payError writes a signed v3 error answer {"code","message"}.
func (f *Fake) payError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	f.payReply(w, r, status, map[string]string{"code": code, "message": message})
}

// SignNotification returns the Wechatpay-* headers (timestamp, nonce, serial,
// signature type and signature over "timestamp\nnonce\nbody\n") that the fake,
// as WeChat Pay, would send with body, signed with the default platform key.
// Tests use it to re-sign tampered notifications.
func (f *Fake) SignNotification(body []byte) (http.Header, error) {
	return f.SignNotificationAs("", body)
}

// SignNotificationAs is SignNotification with the platform key of serial:
// PlatformSerial, one of OtherPlatformKeys, or "" for the default. Tests use
// it for notifications signed during a switch of platform keys.
func (f *Fake) SignNotificationAs(serial string, body []byte) (http.Header, error) {
	opts := f.opts.Pay
	if opts == nil || opts.PlatformKey == nil {
		return nil, errPayNotConfigured
	}
	key := opts.PlatformKey
	switch other, ok := opts.OtherPlatformKeys[serial]; {
	case serial == "" || serial == opts.PlatformSerial:
		serial = opts.PlatformSerial
	case ok && other != nil:
		key = other
	default:
		return nil, fmt.Errorf("fake: no platform key with serial %q", serial)
	}
	ts := strconv.FormatInt(f.now().Unix(), 10)
	nonce := f.payRandom(32, "0123456789abcdef")
	sum := sha256.Sum256([]byte(ts + "\n" + nonce + "\n" + string(body) + "\n"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return nil, fmt.Errorf("fake: sign: %w", err)
	}
	h := make(http.Header)
	h.Set("Wechatpay-Timestamp", ts)
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Serial", serial)
	h.Set("Wechatpay-Signature-Type", payAuthScheme)
	h.Set("Wechatpay-Signature", base64.StdEncoding.EncodeToString(sig))
	return h, nil
}

// payRandom returns n characters of alphabet from PayOptions.Rand.
func (f *Fake) payRandom(n int, alphabet string) string {
	var s string
	f.withPayRand(func(r io.Reader) (err error) {
		s, err = payRandomString(r, n, alphabet)
		return err
	})
	return s
}

// payUUID returns a random (version 4) UUID, as WeChat Pay's request and
// notification ids are, drawn from PayOptions.Rand.
func (f *Fake) payUUID() string {
	var id uuid.UUID
	f.withPayRand(func(r io.Reader) (err error) {
		id, err = uuid.NewRandomFromReader(r)
		return err
	})
	return id.String()
}

// withPayRand runs read with PayOptions.Rand (crypto/rand by default), one
// reader at a time. The fake cannot work without randomness, so a failing
// reader panics.
func (f *Fake) withPayRand(read func(io.Reader) error) {
	r := io.Reader(rand.Reader)
	if f.opts.Pay != nil && f.opts.Pay.Rand != nil {
		r = f.opts.Pay.Rand
	}
	f.pay.randMu.Lock()
	defer f.pay.randMu.Unlock()
	if err := read(r); err != nil {
		panic(fmt.Sprintf("fake: read randomness: %v", err))
	}
}
