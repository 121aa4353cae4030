package wechat

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultPayBaseURL is the WeChat Pay API host used when PayConfig.BaseURL is empty.
const DefaultPayBaseURL = "https://api.mch.weixin.qq.com"

// Trade states reported by WeChat Pay (trade_state).
const (
	TradeStateSuccess    = "SUCCESS"    // paid
	TradeStateRefund     = "REFUND"     // refund started
	TradeStateNotPay     = "NOTPAY"     // not paid yet
	TradeStateClosed     = "CLOSED"     // closed
	TradeStateRevoked    = "REVOKED"    // revoked (micropay only)
	TradeStateUserPaying = "USERPAYING" // waiting for the user's password
	TradeStatePayError   = "PAYERROR"   // payment failed
)

// Limits of the v3 API that the client checks before sending.
const (
	payMaxResponse    = 1 << 20 // bytes of response body read at most
	payMinKeyBits     = 2048
	payDefaultMaxSkew = 5 * time.Minute
	payDefaultTimeout = 15 * time.Second
)

// payCST is the time zone WeChat Pay uses in its timestamps.
var payCST = time.FixedZone("CST", 8*60*60)

// PayConfig configures a Pay client for WeChat Pay API v3.
type PayConfig struct {
	AppID, MchID   string
	MchSerial      string          // merchant API certificate serial number
	MchKey         *rsa.PrivateKey // merchant API private key (signs requests and paySign)
	APIv3Key       string          // 32-byte APIv3 key (decrypts notifications)
	PlatformSerial string          // serial / public key id of the platform key requests name (see below)
	PlatformKey    *rsa.PublicKey  // verifies answers and notifications signed under PlatformSerial
	NotifyURL      string          // payment notification URL sent with each prepay
	BaseURL        string          // default "https://api.mch.weixin.qq.com"
	HTTPClient     *http.Client    // default: a client with a 15 s timeout
	Now            func() time.Time
	Rand           io.Reader     // nonces; default crypto/rand
	MaxSkew        time.Duration // notification and response timestamp tolerance, default 5 min

	// Every request names PlatformSerial (a platform certificate serial or a
	// public key id, PUB_KEY_ID_…) in its Wechatpay-Serial header, as the
	// official SDK does, so that WeChat Pay signs the answer with that key.
	//
	// OtherPlatformKeys are further platform keys by serial that answers and
	// notifications may be signed with: the platform certificate while the
	// merchant moves to the WeChat Pay public key (WeChat signs notifications
	// with either during the switch), or the other certificate while
	// certificates rotate. A signature under a serial that is neither
	// PlatformSerial nor listed here is refused.
	OtherPlatformKeys map[string]*rsa.PublicKey
}

// Pay is a WeChat Pay API v3 client for JSAPI (mini-program) payments. It is
// safe for concurrent use.
type Pay struct {
	cfg  PayConfig
	base string
	keys map[string]*rsa.PublicKey // platform keys by serial, PlatformSerial's included
}

// NewPay validates cfg and returns a client. Every RSA key must be at least
// 2048 bits and the APIv3 key exactly 32 bytes.
func NewPay(cfg PayConfig) (*Pay, error) {
	switch {
	case cfg.AppID == "":
		return nil, errors.New("wechat pay: config: AppID is required")
	case cfg.MchID == "":
		return nil, errors.New("wechat pay: config: MchID is required")
	case cfg.MchSerial == "":
		return nil, errors.New("wechat pay: config: MchSerial is required")
	case cfg.PlatformSerial == "":
		return nil, errors.New("wechat pay: config: PlatformSerial is required")
	case cfg.MchKey == nil:
		return nil, errors.New("wechat pay: config: MchKey is required")
	case cfg.PlatformKey == nil:
		return nil, errors.New("wechat pay: config: PlatformKey is required")
	case len(cfg.APIv3Key) != 32:
		return nil, fmt.Errorf("wechat pay: config: APIv3Key must be 32 bytes, got %d", len(cfg.APIv3Key))
	case cfg.MaxSkew < 0:
		return nil, errors.New("wechat pay: config: MaxSkew must not be negative")
	}
	if n := cfg.MchKey.N.BitLen(); n < payMinKeyBits {
		return nil, fmt.Errorf("wechat pay: config: MchKey is %d bits, need at least %d", n, payMinKeyBits)
	}
	if err := cfg.MchKey.Validate(); err != nil {
		return nil, fmt.Errorf("wechat pay: config: MchKey: %w", err)
	}
	keys, err := payPlatformKeys(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.NotifyURL != "" {
		u, err := url.Parse(cfg.NotifyURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
			return nil, errors.New("wechat pay: config: NotifyURL must be an absolute http(s) URL without query")
		}
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultPayBaseURL
	}
	if u, err := url.Parse(base); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("wechat pay: config: bad BaseURL %q", cfg.BaseURL)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: payDefaultTimeout}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.MaxSkew == 0 {
		cfg.MaxSkew = payDefaultMaxSkew
	}
	return &Pay{cfg: cfg, base: base, keys: keys}, nil
}

// PrepayRequest is a JSAPI order to place with WeChat Pay.
type PrepayRequest struct {
	OutTradeNo  string    // merchant order number, 6..32 of [0-9A-Za-z_-|*]
	Description string    // shown to the payer, 1..127 characters
	PayerOpenID string    // the payer's openid under AppID
	Attach      string    // optional, returned in queries and notifications, ≤ 128 bytes
	Total       int64     // amount in fen, ≥ 1
	TimeExpire  time.Time // optional payment deadline
}

// Transaction is the state of a WeChat Pay order, as returned by a query or
// carried by a payment notification.
type Transaction struct {
	AppID, MchID   string
	OutTradeNo     string
	TransactionID  string // WeChat Pay's order number, empty until paid
	TradeType      string // JSAPI
	TradeState     string // one of the TradeState constants
	TradeStateDesc string
	BankType       string
	Attach         string
	PayerOpenID    string
	Currency       string
	Total          int64 // order amount in fen
	PayerTotal     int64 // amount the payer paid in fen
	SuccessTime    time.Time
}

// Paid reports whether the transaction has been paid.
func (t Transaction) Paid() bool { return t.TradeState == TradeStateSuccess }

// PayError is an error answer of the WeChat Pay v3 API (body {"code","message"}),
// such as 404 ORDER_NOT_EXIST or 401 SIGN_ERROR.
type PayError struct {
	Status  int    // HTTP status
	Code    string // v3 error code
	Message string // human-readable message from WeChat Pay
}

// Error implements error.
func (e *PayError) Error() string {
	return fmt.Sprintf("wechat pay: %d %s: %s", e.Status, e.Code, e.Message)
}

// payTransactionJSON is the v3 wire form of a transaction.
type payTransactionJSON struct {
	AppID          string `json:"appid"`
	MchID          string `json:"mchid"`
	OutTradeNo     string `json:"out_trade_no"`
	TransactionID  string `json:"transaction_id"`
	TradeType      string `json:"trade_type"`
	TradeState     string `json:"trade_state"`
	TradeStateDesc string `json:"trade_state_desc"`
	BankType       string `json:"bank_type"`
	Attach         string `json:"attach"`
	SuccessTime    string `json:"success_time"`
	Payer          struct {
		OpenID string `json:"openid"`
	} `json:"payer"`
	Amount struct {
		Total         int64  `json:"total"`
		PayerTotal    int64  `json:"payer_total"`
		Currency      string `json:"currency"`
		PayerCurrency string `json:"payer_currency"`
	} `json:"amount"`
}

// transaction converts the wire form.
func (j payTransactionJSON) transaction() (Transaction, error) {
	t := Transaction{
		AppID: j.AppID, MchID: j.MchID, OutTradeNo: j.OutTradeNo, TransactionID: j.TransactionID,
		TradeType: j.TradeType, TradeState: j.TradeState, TradeStateDesc: j.TradeStateDesc,
		BankType: j.BankType, Attach: j.Attach, PayerOpenID: j.Payer.OpenID,
		Currency: j.Amount.Currency, Total: j.Amount.Total, PayerTotal: j.Amount.PayerTotal,
	}
	if t.Currency == "" {
		t.Currency = j.Amount.PayerCurrency
	}
	if j.SuccessTime != "" {
		st, err := time.Parse(time.RFC3339, j.SuccessTime)
		if err != nil {
			return Transaction{}, fmt.Errorf("success_time %q: %w", j.SuccessTime, err)
		}
		t.SuccessTime = st
	}
	if t.OutTradeNo == "" || t.TradeState == "" {
		return Transaction{}, errors.New("transaction without out_trade_no or trade_state")
	}
	return t, nil
}

// payValidOutTradeNo reports whether s is a valid merchant order number:
// 6..32 characters of digits, letters and _-|*.
func payValidOutTradeNo(s string) bool {
	if len(s) < 6 || len(s) > 32 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c == '_', c == '-', c == '|', c == '*':
		default:
			return false
		}
	}
	return true
}

// JSAPIPrepay places a JSAPI order (POST /v3/pay/transactions/jsapi) and
// returns its prepay_id, valid for two hours. Placing the same order again
// returns the same prepay_id.
func (p *Pay) JSAPIPrepay(ctx context.Context, r PrepayRequest) (prepayID string, err error) {
	switch {
	case !payValidOutTradeNo(r.OutTradeNo):
		return "", fmt.Errorf("wechat pay: prepay: invalid out_trade_no %q", r.OutTradeNo)
	case r.Total < 1:
		return "", fmt.Errorf("wechat pay: prepay %s: total must be at least 1 fen", r.OutTradeNo)
	case r.Description == "" || len([]rune(r.Description)) > 127:
		return "", fmt.Errorf("wechat pay: prepay %s: description must be 1..127 characters", r.OutTradeNo)
	case r.PayerOpenID == "":
		return "", fmt.Errorf("wechat pay: prepay %s: payer openid is required", r.OutTradeNo)
	case len(r.Attach) > 128:
		return "", fmt.Errorf("wechat pay: prepay %s: attach longer than 128 bytes", r.OutTradeNo)
	case p.cfg.NotifyURL == "":
		return "", fmt.Errorf("wechat pay: prepay %s: config has no NotifyURL", r.OutTradeNo)
	}
	type amount struct {
		Total    int64  `json:"total"`
		Currency string `json:"currency"`
	}
	type payer struct {
		OpenID string `json:"openid"`
	}
	body := struct {
		AppID       string `json:"appid"`
		MchID       string `json:"mchid"`
		Description string `json:"description"`
		OutTradeNo  string `json:"out_trade_no"`
		TimeExpire  string `json:"time_expire,omitempty"`
		Attach      string `json:"attach,omitempty"`
		NotifyURL   string `json:"notify_url"`
		Amount      amount `json:"amount"`
		Payer       payer  `json:"payer"`
	}{
		AppID: p.cfg.AppID, MchID: p.cfg.MchID, Description: r.Description,
		OutTradeNo: r.OutTradeNo, Attach: r.Attach, NotifyURL: p.cfg.NotifyURL,
		Amount: amount{Total: r.Total, Currency: "CNY"}, Payer: payer{OpenID: r.PayerOpenID},
	}
	if !r.TimeExpire.IsZero() {
		body.TimeExpire = r.TimeExpire.In(payCST).Format(time.RFC3339)
	}
	var out struct {
		PrepayID string `json:"prepay_id"`
	}
	if err := p.do(ctx, http.MethodPost, "/v3/pay/transactions/jsapi", nil, body, &out); err != nil {
		return "", fmt.Errorf("wechat pay: prepay %s: %w", r.OutTradeNo, err)
	}
	if out.PrepayID == "" {
		return "", fmt.Errorf("wechat pay: prepay %s: response without prepay_id", r.OutTradeNo)
	}
	return out.PrepayID, nil
}

// PaymentParams is what the mini-program passes to wx.requestPayment.
type PaymentParams struct {
	AppID     string `json:"appId"`
	TimeStamp string `json:"timeStamp"`
	NonceStr  string `json:"nonceStr"`
	Package   string `json:"package"`
	SignType  string `json:"signType"`
	PaySign   string `json:"paySign"`
}

// PaymentParams returns the wx.requestPayment parameters for a prepay_id,
// signed with the merchant key (RSA, SHA-256) over
// "appId\ntimeStamp\nnonceStr\npackage\n".
func (p *Pay) PaymentParams(prepayID string) (PaymentParams, error) {
	if prepayID == "" {
		return PaymentParams{}, errors.New("wechat pay: payment params: empty prepay_id")
	}
	nonce, err := p.nonce()
	if err != nil {
		return PaymentParams{}, fmt.Errorf("wechat pay: payment params: %w", err)
	}
	pp := PaymentParams{
		AppID:     p.cfg.AppID,
		TimeStamp: strconv.FormatInt(p.cfg.Now().Unix(), 10),
		NonceStr:  nonce,
		Package:   "prepay_id=" + prepayID,
		SignType:  "RSA",
	}
	sig, err := paySign(p.cfg.MchKey, payMessage(pp.AppID, pp.TimeStamp, pp.NonceStr, pp.Package))
	if err != nil {
		return PaymentParams{}, fmt.Errorf("wechat pay: payment params: %w", err)
	}
	pp.PaySign = sig
	return pp, nil
}

// QueryOrder returns the state of an order by merchant order number
// (GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=). An unknown
// order is a *PayError with Code ORDER_NOT_EXIST.
func (p *Pay) QueryOrder(ctx context.Context, outTradeNo string) (Transaction, error) {
	if !payValidOutTradeNo(outTradeNo) {
		return Transaction{}, fmt.Errorf("wechat pay: query: invalid out_trade_no %q", outTradeNo)
	}
	var out payTransactionJSON
	path := "/v3/pay/transactions/out-trade-no/" + url.PathEscape(outTradeNo)
	if err := p.do(ctx, http.MethodGet, path, url.Values{"mchid": {p.cfg.MchID}}, nil, &out); err != nil {
		return Transaction{}, fmt.Errorf("wechat pay: query %s: %w", outTradeNo, err)
	}
	t, err := out.transaction()
	if err != nil {
		return Transaction{}, fmt.Errorf("wechat pay: query %s: %w", outTradeNo, err)
	}
	if t.OutTradeNo != outTradeNo || t.MchID != p.cfg.MchID {
		return Transaction{}, fmt.Errorf("wechat pay: query %s: response is for order %q of merchant %q", outTradeNo, t.OutTradeNo, t.MchID)
	}
	return t, nil
}

// CloseOrder closes an unpaid order
// (POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close). Closing a
// closed order succeeds; closing a paid one is a *PayError.
func (p *Pay) CloseOrder(ctx context.Context, outTradeNo string) error {
	if !payValidOutTradeNo(outTradeNo) {
		return fmt.Errorf("wechat pay: close: invalid out_trade_no %q", outTradeNo)
	}
	path := "/v3/pay/transactions/out-trade-no/" + url.PathEscape(outTradeNo) + "/close"
	body := struct {
		MchID string `json:"mchid"`
	}{p.cfg.MchID}
	if err := p.do(ctx, http.MethodPost, path, nil, body, nil); err != nil {
		return fmt.Errorf("wechat pay: close %s: %w", outTradeNo, err)
	}
	return nil
}

// do sends a signed request to path (relative to the base URL) and verifies
// the signature of a successful response before decoding it into out. The
// signature covers the request URI as sent, the base URL's own path
// included (a proxy or the fake under /_fake/wechat), as the official SDK
// signs request.URL.RequestURI(). A non-2xx answer is returned as a
// *PayError.
func (p *Pay) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	var body []byte
	if in != nil {
		b, err := marshalJSON(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = b
	}
	target := p.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	h, respBody, err := p.send(ctx, method, target, path, body)
	if err != nil {
		return err
	}
	if err := p.verify(h, respBody); err != nil {
		return fmt.Errorf("%s %s: response: %w", method, path, err)
	}
	if out != nil {
		if err := json.Unmarshal(respBody, out); err != nil {
			return fmt.Errorf("%s %s: decode response: %w", method, path, err)
		}
	}
	return nil
}

// send sends a signed request to the absolute URL target (named label in
// errors) and returns a successful answer's headers and body, unverified;
// a non-2xx answer is a *PayError.
func (p *Pay) send(ctx context.Context, method, target, label string, body []byte) (http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("new request: %w", err)
	}
	auth, err := p.authorization(method, req.URL.RequestURI(), body)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set(HeaderPaySerial, p.cfg.PlatformSerial)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "luckbox-wechatpay/1")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, label, err)
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, payMaxResponse+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: read response: %w", method, label, err)
	}
	if len(respBody) > payMaxResponse {
		return nil, nil, fmt.Errorf("%s %s: response larger than %d bytes", method, label, payMaxResponse)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		pe := &PayError{Status: resp.StatusCode}
		var eb struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}
		if json.Unmarshal(respBody, &eb) == nil {
			pe.Code, pe.Message = eb.Code, eb.Message
		}
		if pe.Code == "" {
			pe.Code = http.StatusText(resp.StatusCode)
		}
		return nil, nil, pe
	}
	return resp.Header, respBody, nil
}
