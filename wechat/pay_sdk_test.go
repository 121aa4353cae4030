package wechat_test

// The official WeChat Pay Go SDK (github.com/wechatpay-apiv3/wechatpay-go, a
// test-only dependency) as an independent judge of our client and our fake:
// the SDK's client places, queries and closes orders against the fake, the
// SDK's notify handler parses the fake's notifications, and our client
// accepts what the SDK's signer signs.

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"luckbox/wechat"
	"luckbox/wechat/fake"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/signers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"
	"github.com/wechatpay-apiv3/wechatpay-go/core/option"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/jsapi"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"
)

// sdkHostRewrite sends the SDK's requests for api.mch.weixin.qq.com to a
// test server, leaving the path (which the SDK signed) as it is.
type sdkHostRewrite struct{ target *url.URL }

func (h sdkHostRewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = h.target.Scheme, h.target.Host, h.target.Host
	return http.DefaultTransport.RoundTrip(r)
}

// sdkFake is the fake WeChat Pay at the root of a test server, on the real
// clock (the SDK checks signature timestamps against time.Now), holding the
// public key and the platform certificate, with a notify endpoint that
// parses notifications with the SDK's notify handler.
type sdkFake struct {
	keys   fake.DemoKeys
	cert   payCert
	fake   *fake.Fake
	srv    *httptest.Server
	notify *httptest.Server

	mu         sync.Mutex
	named      []string // Wechatpay-Serial of each API request
	notified   []payments.Transaction
	notifyErrs []error
}

// newSDKFake starts a fake whose default platform key is the certificate
// (certDefault) or the public key, the other one held as well.
func newSDKFake(t *testing.T, certDefault bool) *sdkFake {
	t.Helper()
	e := &sdkFake{keys: payDemoKeys(t), cert: payPlatformCert(t)}
	opts := e.keys.PayOptions(payAppID, payMchID, nil)
	opts.OtherPlatformKeys = map[string]*rsa.PrivateKey{payCertSerial: e.cert.key}
	if certDefault {
		opts.OtherPlatformKeys = map[string]*rsa.PrivateKey{opts.PlatformSerial: opts.PlatformKey}
		opts.PlatformSerial, opts.PlatformKey = payCertSerial, e.cert.key
	}
	e.fake = fake.New(fake.Options{AppID: payAppID, Secret: "secret", Pay: opts})
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v3/") {
			e.mu.Lock()
			e.named = append(e.named, r.Header.Get("Wechatpay-Serial"))
			e.mu.Unlock()
		}
		e.fake.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)

	// During the switch WeChat Pay signs notifications with either key: the
	// SDK's combined verifier takes both.
	handler := notify.NewNotifyHandler(e.keys.APIv3Key, verifiers.NewSHA256WithRSACombinedVerifier(
		core.NewCertificateMapWithList([]*x509.Certificate{e.cert.cert}),
		e.keys.PlatformSerial, e.keys.PlatformKey.PublicKey))
	e.notify = payNotifyServer(t, &e.mu, &e.notified, &e.notifyErrs, func(r *http.Request) (payments.Transaction, error) {
		var tx payments.Transaction
		_, err := handler.ParseNotifyRequest(r.Context(), r, &tx)
		return tx, err
	})
	return e
}

// sdkClient returns the SDK's client for the merchant, verifying answers
// with the public key (publicKeyMode) or the platform certificate.
func (e *sdkFake) sdkClient(t *testing.T, publicKeyMode bool) *core.Client {
	t.Helper()
	target, _ := url.Parse(e.srv.URL)
	auth := option.WithWechatPayAuthCipher(payMchID, e.keys.MchSerial, e.keys.MchKey, []*x509.Certificate{e.cert.cert})
	if publicKeyMode {
		auth = option.WithWechatPayPublicKeyAuthCipher(payMchID, e.keys.MchSerial, e.keys.MchKey,
			e.keys.PlatformSerial, &e.keys.PlatformKey.PublicKey)
	}
	c, err := core.NewClient(context.Background(), auth,
		option.WithHTTPClient(&http.Client{Transport: sdkHostRewrite{target}, Timeout: 10 * time.Second}))
	if err != nil {
		t.Fatalf("core.NewClient: %v", err)
	}
	return c
}

// succeed pays an order through the fake's control route (which delivers the
// notification) and returns the delivered statuses.
func (e *sdkFake) succeed(t *testing.T, no string) []int {
	t.Helper()
	resp, err := http.Post(e.srv.URL+"/pay/"+no+"/succeed", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Delivered []int }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
		t.Fatalf("succeed %s: status %d", no, resp.StatusCode)
	}
	return out.Delivered
}

// TestSDKClientAgainstFake: the official SDK's client, in public-key mode
// and in platform-certificate mode, places a JSAPI order, queries it, sees
// it paid and closes another against the fake: the fake accepts the SDK's
// request signatures, signs its answers with the key the SDK names (the
// fake's default is the other key) and the SDK accepts them; the SDK's
// notify handler parses and decrypts the fake's payment notification.
func TestSDKClientAgainstFake(t *testing.T) {
	for _, mode := range []struct {
		name          string
		publicKeyMode bool
	}{{"public key", true}, {"platform certificate", false}} {
		t.Run(mode.name, func(t *testing.T) {
			e := newSDKFake(t, mode.publicKeyMode)
			svc := jsapi.JsapiApiService{Client: e.sdkClient(t, mode.publicKeyMode)}
			wantSerial := payCertSerial
			if mode.publicKeyMode {
				wantSerial = e.keys.PlatformSerial
			}
			ctx := context.Background()
			no := "SDK_ORDER_" + strconv.FormatBool(mode.publicKeyMode)

			prepay, res, err := svc.Prepay(ctx, jsapi.PrepayRequest{
				Appid: core.String(payAppID), Mchid: core.String(payMchID),
				Description: core.String("Tom & Jerry <红包>"), OutTradeNo: core.String(no),
				Attach: core.String("topup:7"), NotifyUrl: core.String(e.notify.URL + "/api/v1/pay/notify"),
				Amount: &jsapi.Amount{Total: core.Int64(500)}, Payer: &jsapi.Payer{Openid: core.String("o-sdk")},
			})
			if err != nil {
				t.Fatalf("SDK Prepay: %v", err)
			}
			if got := res.Response.Header.Get("Wechatpay-Serial"); got != wantSerial {
				t.Errorf("answer signed under %q, want %q (the key the SDK named)", got, wantSerial)
			}
			o, ok := e.fake.Order(no)
			if !ok || o.PrepayID != *prepay.PrepayId || o.Description != "Tom & Jerry <红包>" || o.Total != 500 || o.PayerOpenID != "o-sdk" {
				t.Fatalf("fake order %+v (prepay_id %s)", o, *prepay.PrepayId)
			}

			query := func() *payments.Transaction {
				t.Helper()
				tx, _, err := svc.QueryOrderByOutTradeNo(ctx, jsapi.QueryOrderByOutTradeNoRequest{
					OutTradeNo: core.String(no), Mchid: core.String(payMchID)})
				if err != nil {
					t.Fatalf("SDK QueryOrderByOutTradeNo: %v", err)
				}
				return tx
			}
			if tx := query(); *tx.TradeState != "NOTPAY" || *tx.OutTradeNo != no || *tx.Amount.Total != 500 {
				t.Errorf("query unpaid: %s", tx)
			}

			if got := e.succeed(t, no); len(got) != 1 || got[0] != http.StatusNoContent {
				e.mu.Lock()
				t.Fatalf("notification delivered with %v; SDK notify handler errors: %v", got, e.notifyErrs)
			}
			o, _ = e.fake.Order(no)
			e.mu.Lock()
			n := e.notified[0]
			e.mu.Unlock()
			if *n.OutTradeNo != no || *n.TradeState != "SUCCESS" || *n.TransactionId != o.TransactionID ||
				*n.Amount.Total != 500 || *n.Amount.PayerTotal != 500 || *n.Payer.Openid != "o-sdk" || *n.Attach != "topup:7" {
				t.Errorf("notification parsed by the SDK: %s", n)
			}
			if tx := query(); *tx.TradeState != "SUCCESS" || *tx.TransactionId != o.TransactionID {
				t.Errorf("query paid: %s", tx)
			}

			// Closing the paid order is WeChat's 403 ORDERPAID; closing an
			// unpaid one is 204, its signed empty answer accepted.
			_, err = svc.CloseOrder(ctx, jsapi.CloseOrderRequest{OutTradeNo: core.String(no), Mchid: core.String(payMchID)})
			var apiErr *core.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusForbidden || apiErr.Code != "ORDERPAID" {
				t.Errorf("close paid: %v", err)
			}
			if _, _, err := svc.Prepay(ctx, jsapi.PrepayRequest{
				Appid: core.String(payAppID), Mchid: core.String(payMchID), Description: core.String("x"),
				OutTradeNo: core.String(no + "_2"), NotifyUrl: core.String(e.notify.URL + "/n"),
				Amount: &jsapi.Amount{Total: core.Int64(1)}, Payer: &jsapi.Payer{Openid: core.String("o-sdk")},
			}); err != nil {
				t.Fatalf("SDK Prepay 2: %v", err)
			}
			res, err = svc.CloseOrder(ctx, jsapi.CloseOrderRequest{OutTradeNo: core.String(no + "_2"), Mchid: core.String(payMchID)})
			if err != nil || res.Response.StatusCode != http.StatusNoContent {
				t.Fatalf("SDK CloseOrder: %v", err)
			}
			if o, _ := e.fake.Order(no + "_2"); o.TradeState != "CLOSED" {
				t.Errorf("closed order is %s", o.TradeState)
			}

			e.mu.Lock()
			defer e.mu.Unlock()
			if len(e.named) != 6 {
				t.Errorf("fake saw %d API requests, want 6", len(e.named))
			}
			for i, s := range e.named {
				if s != wantSerial {
					t.Errorf("SDK request %d named Wechatpay-Serial %q, want %q", i, s, wantSerial)
				}
			}
		})
	}
}

// TestSDKNotifyHandlerTakesFakeNotifications: the SDK's notify handler with
// a verifier holding only the key a notification is signed with (the public
// key, or the platform certificate) parses and decrypts the fake's
// notification, and one holding the other key refuses it.
func TestSDKNotifyHandlerTakesFakeNotifications(t *testing.T) {
	c := payPlatformCert(t)
	e := newSDKFake(t, false)
	byPublicKey := verifiers.NewSHA256WithRSAPubkeyVerifier(e.keys.PlatformSerial, e.keys.PlatformKey.PublicKey)
	byCert := verifiers.NewSHA256WithRSAVerifier(core.NewCertificateMapWithList([]*x509.Certificate{c.cert}))

	// An order placed and paid with our client, the notification kept.
	pay, err := wechat.NewPay(wechat.PayConfig{AppID: payAppID, MchID: payMchID, MchSerial: e.keys.MchSerial,
		MchKey: e.keys.MchKey, APIv3Key: e.keys.APIv3Key, PlatformSerial: e.keys.PlatformSerial,
		PlatformKey: &e.keys.PlatformKey.PublicKey, NotifyURL: "http://127.0.0.1:1/n", BaseURL: e.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pay.JSAPIPrepay(context.Background(), paySampleOrder("ORDER_SDKN01")); err != nil {
		t.Fatalf("JSAPIPrepay: %v", err)
	}
	e.succeed(t, "ORDER_SDKN01") // delivery fails (nothing listens); the order is paid
	_, body, err := e.fake.Notification("ORDER_SDKN01")
	if err != nil {
		t.Fatal(err)
	}
	parse := func(serial string, v auth.Verifier) (*payments.Transaction, error) {
		h, err := e.fake.SignNotificationAs(serial, body)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodPost, "/api/v1/pay/notify", bytes.NewReader(body))
		r.Header = h
		var tx payments.Transaction
		_, err = notify.NewNotifyHandler(e.keys.APIv3Key, v).ParseNotifyRequest(context.Background(), r, &tx)
		return &tx, err
	}
	o, _ := e.fake.Order("ORDER_SDKN01")
	for _, k := range []struct {
		serial      string
		right, left auth.Verifier
	}{{e.keys.PlatformSerial, byPublicKey, byCert}, {payCertSerial, byCert, byPublicKey}} {
		tx, err := parse(k.serial, k.right)
		if err != nil {
			t.Fatalf("signed under %s: SDK notify handler: %v", k.serial, err)
		}
		if *tx.OutTradeNo != "ORDER_SDKN01" || *tx.TradeState != "SUCCESS" || *tx.TransactionId != o.TransactionID ||
			*tx.Appid != payAppID || *tx.Mchid != payMchID || *tx.Amount.Total != 1234 || *tx.SuccessTime == "" {
			t.Errorf("signed under %s: SDK read %s", k.serial, tx)
		}
		if _, err := parse(k.serial, k.left); err == nil {
			t.Errorf("signed under %s: a verifier holding the other key accepted it", k.serial)
		}
	}
}

// sdkSignedHeaders signs body as WeChat Pay would, with the SDK's signer.
func sdkSignedHeaders(t *testing.T, serial string, key *rsa.PrivateKey, body []byte) http.Header {
	t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce, err := utils.GenerateNonce()
	if err != nil {
		t.Fatal(err)
	}
	signer := &signers.SHA256WithRSASigner{MchID: "wechatpay", CertificateSerialNo: serial, PrivateKey: key}
	sig, err := signer.Sign(context.Background(), ts+"\n"+nonce+"\n"+string(body)+"\n")
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Wechatpay-Timestamp", ts)
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Serial", serial)
	h.Set("Wechatpay-Signature", sig.Signature)
	h.Set("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048")
	return h
}

// sdkVerifyRequest checks a merchant request's Authorization header with
// the SDK's verifier, over the request URI as sent.
func sdkVerifyRequest(v auth.Verifier, r *http.Request, body []byte) error {
	p := map[string]string{}
	for _, kv := range strings.Split(strings.TrimPrefix(r.Header.Get("Authorization"), "WECHATPAY2-SHA256-RSA2048 "), ",") {
		k, val, _ := strings.Cut(kv, "=")
		p[k] = strings.Trim(val, `"`)
	}
	msg := r.Method + "\n" + r.RequestURI + "\n" + p["timestamp"] + "\n" + p["nonce_str"] + "\n" + string(body) + "\n"
	return v.Verify(context.Background(), p["serial_no"], msg, p["signature"])
}

// TestClientAcceptsSDKSignatures: the other direction. A stand-in for WeChat
// Pay behind a proxy path checks our client's request signatures with the
// SDK's verifier (over the request URI, proxy path included) and answers
// with the SDK's signer; our client accepts the answers, and notifications
// signed by the SDK's signer under either configured key, whose resource
// the SDK's own AES-GCM decryption opens; a third serial is refused.
func TestClientAcceptsSDKSignatures(t *testing.T) {
	keys, c := payDemoKeys(t), payPlatformCert(t)
	mchVerifier := verifiers.NewSHA256WithRSAPubkeyVerifier(keys.MchSerial, keys.MchKey.PublicKey)
	txJSON := `{"appid":"` + payAppID + `","mchid":"` + payMchID + `","out_trade_no":"ORDER_SDKS01",` +
		`"transaction_id":"4200000000202501020000000001","trade_type":"JSAPI","trade_state":"SUCCESS",` +
		`"trade_state_desc":"支付成功","bank_type":"OTHERS","attach":"a&b","success_time":"2025-01-02T11:04:05+08:00",` +
		`"payer":{"openid":"o-alice"},"amount":{"total":1234,"payer_total":1234,"currency":"CNY","payer_currency":"CNY"}}`
	var authErrs []error
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := sdkVerifyRequest(mchVerifier, r, body); err != nil {
			mu.Lock()
			authErrs = append(authErrs, fmt.Errorf("%s: %w", r.RequestURI, err))
			mu.Unlock()
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"code":"SIGN_ERROR","message":"签名错误"}`)
			return
		}
		serial, key := keys.PlatformSerial, keys.PlatformKey
		if r.Header.Get("Wechatpay-Serial") == payCertSerial {
			serial, key = payCertSerial, c.key
		}
		for k, v := range sdkSignedHeaders(t, serial, key, []byte(txJSON)) {
			w.Header()[k] = v
		}
		fmt.Fprint(w, txJSON)
	}))
	t.Cleanup(srv.Close)

	for _, first := range []string{keys.PlatformSerial, payCertSerial} {
		cfg := wechat.PayConfig{AppID: payAppID, MchID: payMchID, MchSerial: keys.MchSerial, MchKey: keys.MchKey,
			APIv3Key: keys.APIv3Key, PlatformSerial: keys.PlatformSerial, PlatformKey: &keys.PlatformKey.PublicKey,
			OtherPlatformKeys: map[string]*rsa.PublicKey{payCertSerial: &c.key.PublicKey},
			BaseURL:           srv.URL + "/proxy/wxpay"}
		if first == payCertSerial {
			cfg.PlatformSerial, cfg.PlatformKey = payCertSerial, &c.key.PublicKey
			cfg.OtherPlatformKeys = map[string]*rsa.PublicKey{keys.PlatformSerial: &keys.PlatformKey.PublicKey}
		}
		pay, err := wechat.NewPay(cfg)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := pay.QueryOrder(context.Background(), "ORDER_SDKS01")
		if err != nil || !tx.Paid() || tx.Total != 1234 || tx.Attach != "a&b" {
			t.Errorf("first key %s: QueryOrder %+v, %v", first, tx, err)
		}
	}
	mu.Lock()
	if len(authErrs) > 0 {
		t.Errorf("the SDK's verifier refused our request signatures: %v", authErrs)
	}
	mu.Unlock()

	// A notification as WeChat Pay sends it, encrypted with the APIv3 key
	// and signed with the SDK's signer.
	pay, err := wechat.NewPay(wechat.PayConfig{AppID: payAppID, MchID: payMchID, MchSerial: keys.MchSerial,
		MchKey: keys.MchKey, APIv3Key: keys.APIv3Key, PlatformSerial: keys.PlatformSerial,
		PlatformKey: &keys.PlatformKey.PublicKey, OtherPlatformKeys: map[string]*rsa.PublicKey{payCertSerial: &c.key.PublicKey}})
	if err != nil {
		t.Fatal(err)
	}
	nonce, ad := "k1X9fRzqWm2Q", "transaction"
	block, _ := aes.NewCipher([]byte(keys.APIv3Key))
	gcm, _ := cipher.NewGCM(block)
	ct := base64.StdEncoding.EncodeToString(gcm.Seal(nil, []byte(nonce), []byte(txJSON), []byte(ad)))
	if plain, err := utils.DecryptAES256GCM(keys.APIv3Key, ad, nonce, ct); err != nil || plain != txJSON {
		t.Fatalf("the SDK does not open the resource: %v", err)
	}
	body := []byte(`{"id":"EV-018e2b1c","create_time":"2025-01-02T11:04:06+08:00","resource_type":"encrypt-resource",` +
		`"event_type":"TRANSACTION.SUCCESS","summary":"支付成功","resource":{"original_type":"transaction",` +
		`"algorithm":"AEAD_AES_256_GCM","ciphertext":"` + ct + `","associated_data":"` + ad + `","nonce":"` + nonce + `"}}`)
	for serial, key := range map[string]*rsa.PrivateKey{keys.PlatformSerial: keys.PlatformKey, payCertSerial: c.key} {
		tx, err := pay.ParseNotification(sdkSignedHeaders(t, serial, key, body), body)
		if err != nil || tx.OutTradeNo != "ORDER_SDKS01" || tx.TransactionID != "4200000000202501020000000001" || !tx.Paid() {
			t.Errorf("notification signed under %s: %+v, %v", serial, tx, err)
		}
	}
	if _, err := pay.ParseNotification(sdkSignedHeaders(t, "PUB_KEY_ID_0133333333333333333333333333", keys.PlatformKey, body), body); !errors.Is(err, wechat.ErrBadSignature) {
		t.Errorf("third serial: %v, want ErrBadSignature", err)
	}
}
