package wechat_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"luckbox/wechat"
)

// payPaidNotification places and pays an order without delivering its
// notification, and returns a freshly signed notification for it.
func payPaidNotification(t *testing.T, e *payEnv, no string) (http.Header, []byte) {
	t.Helper()
	e.prepay(t, paySampleOrder(no))
	if status, _ := e.succeed(t, no, ""); status != http.StatusOK {
		t.Fatalf("succeed %s: status %d", no, status)
	}
	h, body, err := e.fake.Notification(no)
	if err != nil {
		t.Fatalf("Notification: %v", err)
	}
	return h, body
}

// payResign replaces the signature headers with a signature of body by key.
func payResign(t *testing.T, h http.Header, body []byte, key *rsa.PrivateKey) http.Header {
	t.Helper()
	h = h.Clone()
	sum := sha256.Sum256([]byte(h.Get("Wechatpay-Timestamp") + "\n" + h.Get("Wechatpay-Nonce") + "\n" + string(body) + "\n"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	h.Set("Wechatpay-Signature", base64.StdEncoding.EncodeToString(sig))
	return h
}

// payEditEnvelope decodes a notification body, applies edit and encodes it again.
func payEditEnvelope(t *testing.T, body []byte, edit func(map[string]any)) []byte {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	edit(env)
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseNotificationAccepts(t *testing.T) {
	e := newPayEnv(t)
	h, body := payPaidNotification(t, e, "ORDER_NOTE01")
	o, _ := e.fake.Order("ORDER_NOTE01")
	for _, skew := range []time.Duration{0, 4 * time.Minute, -4 * time.Minute} {
		p := e.client(t, func(c *wechat.PayConfig) {
			c.Now = func() time.Time { return e.clock.Now().Add(skew) }
		})
		tx, err := p.ParseNotification(h, body)
		if err != nil {
			t.Fatalf("skew %v: ParseNotification: %v", skew, err)
		}
		want := wechat.Transaction{AppID: payAppID, MchID: payMchID, OutTradeNo: "ORDER_NOTE01",
			TransactionID: o.TransactionID, TradeType: "JSAPI", TradeState: "SUCCESS", TradeStateDesc: "支付成功",
			BankType: "OTHERS", Attach: "topup:42", PayerOpenID: "o-alice", Currency: "CNY", Total: 1234,
			PayerTotal: 1234, SuccessTime: tx.SuccessTime}
		if tx != want || !tx.SuccessTime.Equal(o.SuccessTime) {
			t.Errorf("skew %v: transaction = %+v\nwant %+v (success %v)", skew, tx, want, o.SuccessTime)
		}
	}
	if !bytes.Contains(body, []byte(`"event_type":"TRANSACTION.SUCCESS"`)) ||
		!bytes.Contains(body, []byte(`"algorithm":"AEAD_AES_256_GCM"`)) ||
		!bytes.Contains(body, []byte(`"resource_type":"encrypt-resource"`)) ||
		bytes.Contains(body, []byte("o-alice")) {
		t.Errorf("notification body has the wrong shape or leaks plaintext: %s", body)
	}
}

func TestParseNotificationRejects(t *testing.T) {
	e := newPayEnv(t)
	h, body := payPaidNotification(t, e, "ORDER_NOTE02")

	badTag := payEditEnvelope(t, body, func(env map[string]any) {
		res := env["resource"].(map[string]any)
		ct, _ := base64.StdEncoding.DecodeString(res["ciphertext"].(string))
		ct[len(ct)-1] ^= 1
		res["ciphertext"] = base64.StdEncoding.EncodeToString(ct)
	})
	badTagHdr, err := e.fake.SignNotification(badTag)
	if err != nil {
		t.Fatal(err)
	}
	otherAD := payEditEnvelope(t, body, func(env map[string]any) {
		env["resource"].(map[string]any)["associated_data"] = "refund"
	})
	otherADHdr, _ := e.fake.SignNotification(otherAD)
	notPaidEvent := payEditEnvelope(t, body, func(env map[string]any) { env["event_type"] = "TRANSACTION.CLOSED" })
	notPaidEventHdr, _ := e.fake.SignNotification(notPaidEvent)

	probe := h.Clone()
	probe.Set("Wechatpay-Signature", "WECHATPAY/SIGNTEST/"+h.Get("Wechatpay-Signature"))
	wrongSerial := h.Clone()
	wrongSerial.Set("Wechatpay-Serial", "PUB_KEY_ID_0000000000000000000000000000000")
	noSig := h.Clone()
	noSig.Del("Wechatpay-Signature")
	tampered := bytes.Replace(body, []byte("支付成功"), []byte("支付失败"), 1)
	if bytes.Equal(tampered, body) {
		t.Fatal("tampering changed nothing")
	}

	later := e.client(t, func(c *wechat.PayConfig) {
		c.Now = func() time.Time { return e.clock.Now().Add(5*time.Minute + time.Second) }
	})
	earlier := e.client(t, func(c *wechat.PayConfig) {
		c.Now = func() time.Time { return e.clock.Now().Add(-6 * time.Minute) }
	})
	otherV3 := e.client(t, func(c *wechat.PayConfig) { c.APIv3Key = strings.Repeat("k", 32) })
	otherApp := e.client(t, func(c *wechat.PayConfig) { c.AppID = "wxffffffffffffffff" })

	cases := []struct {
		name   string
		pay    *wechat.Pay
		h      http.Header
		body   []byte
		is     error // nil: any error that is not a signature error
		notIs  error
		reason string
	}{
		{"forged with other key", e.pay, payResign(t, h, body, e.keys.MchKey), body, wechat.ErrBadSignature, nil, ""},
		{"tampered body", e.pay, h, tampered, wechat.ErrBadSignature, nil, ""},
		{"missing signature", e.pay, noSig, body, wechat.ErrBadSignature, nil, ""},
		{"wrong serial", e.pay, wrongSerial, body, wechat.ErrBadSignature, nil, ""},
		{"signature probe", e.pay, probe, body, wechat.ErrSignatureProbe, nil, ""},
		{"stale", later, h, body, wechat.ErrStaleNotification, wechat.ErrBadSignature, ""},
		{"from the future", earlier, h, body, wechat.ErrStaleNotification, wechat.ErrBadSignature, ""},
		{"bad AEAD tag", e.pay, badTagHdr, badTag, nil, wechat.ErrBadSignature, "decrypt"},
		{"other associated data", e.pay, otherADHdr, otherAD, nil, wechat.ErrBadSignature, "decrypt"},
		{"other APIv3 key", otherV3, h, body, nil, wechat.ErrBadSignature, "decrypt"},
		{"event disagrees", e.pay, notPaidEventHdr, notPaidEvent, nil, wechat.ErrBadSignature, "disagrees"},
		{"other app", otherApp, h, body, nil, wechat.ErrBadSignature, "not this one"},
	}
	for _, c := range cases {
		tx, err := c.pay.ParseNotification(c.h, c.body)
		if err == nil {
			t.Errorf("%s: accepted: %+v", c.name, tx)
			continue
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.is)
		}
		if c.notIs != nil && errors.Is(err, c.notIs) {
			t.Errorf("%s: err %v should not be %v", c.name, err, c.notIs)
		}
		if c.reason != "" && !strings.Contains(err.Error(), c.reason) {
			t.Errorf("%s: err %q does not mention %q", c.name, err, c.reason)
		}
		if tx != (wechat.Transaction{}) {
			t.Errorf("%s: returned a transaction with the error: %+v", c.name, tx)
		}
		if strings.Contains(err.Error(), e.keys.APIv3Key) {
			t.Errorf("%s: error leaks the APIv3 key", c.name)
		}
	}
	// The probe is also a bad signature, so a handler answering 401 for
	// ErrBadSignature handles it.
	if !errors.Is(wechat.ErrSignatureProbe, wechat.ErrBadSignature) {
		t.Error("ErrSignatureProbe does not match ErrBadSignature")
	}
}

func TestFakeNotificationNeedsPaidOrder(t *testing.T) {
	e := newPayEnv(t)
	if _, _, err := e.fake.Notification("ORDER_NONE99"); err == nil {
		t.Error("Notification of an unknown order succeeded")
	}
	e.prepay(t, paySampleOrder("ORDER_UNPAID"))
	if _, _, err := e.fake.Notification("ORDER_UNPAID"); err == nil {
		t.Error("Notification of an unpaid order succeeded")
	}
}
