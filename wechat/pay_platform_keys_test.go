package wechat_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"sync"
	"testing"
	"time"

	"luckbox/wechat"
	"luckbox/wechat/fake"
)

// payCertSerial is the serial of a made-up WeChat Pay platform certificate:
// the key a merchant verified with before moving to the public key.
const payCertSerial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"

// payCert is a platform certificate and its private key (WeChat's side).
type payCert struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

var (
	payCertOnce sync.Once
	payCertVal  payCert
	payCertErr  error
)

// payPlatformCert returns a self-signed platform certificate with serial
// payCertSerial, generated once per test binary.
func payPlatformCert(t testing.TB) payCert {
	t.Helper()
	payCertOnce.Do(func() {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			payCertErr = err
			return
		}
		serial, _ := new(big.Int).SetString(payCertSerial, 16)
		tmpl := &x509.Certificate{
			SerialNumber: serial,
			Subject:      pkix.Name{CommonName: "Tenpay.com Root CA", Organization: []string{"Tenpay.com"}},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(24 * time.Hour),
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			payCertErr = err
			return
		}
		cert, err := x509.ParseCertificate(der)
		payCertVal, payCertErr = payCert{key: key, cert: cert}, err
	})
	if payCertErr != nil {
		t.Fatalf("platform certificate: %v", payCertErr)
	}
	return payCertVal
}

// payOtherKey makes the fake hold the platform certificate too.
func payOtherKey(c payCert) func(*fake.PayOptions) {
	return func(o *fake.PayOptions) {
		o.OtherPlatformKeys = map[string]*rsa.PrivateKey{payCertSerial: c.key}
	}
}

// TestRequestsNamePlatformKey: every request names the configured platform
// key in Wechatpay-Serial, so a merchant in public-key mode gets answers
// signed with the public key even where WeChat Pay would sign with the
// platform certificate by default (here the fake's default is the
// certificate, which this client does not know).
func TestRequestsNamePlatformKey(t *testing.T) {
	c := payPlatformCert(t)
	e := newPayEnv(t, func(o *fake.PayOptions) {
		o.OtherPlatformKeys = map[string]*rsa.PrivateKey{o.PlatformSerial: o.PlatformKey}
		o.PlatformSerial, o.PlatformKey = payCertSerial, c.key
	})
	ctx := context.Background()
	e.prepay(t, paySampleOrder("ORDER_NAMED1"))
	if tx, err := e.pay.QueryOrder(ctx, "ORDER_NAMED1"); err != nil || tx.TradeState != wechat.TradeStateNotPay {
		t.Fatalf("QueryOrder: %+v, %v", tx, err)
	}
	if err := e.pay.CloseOrder(ctx, "ORDER_NAMED1"); err != nil {
		t.Fatalf("CloseOrder: %v", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, s := range e.seen {
		if got := s.Header.Get(wechat.HeaderPaySerial); got != e.keys.PlatformSerial {
			t.Errorf("request %d (%s %s): Wechatpay-Serial %q, want %q", i, s.Method, s.URI, got, e.keys.PlatformSerial)
		}
	}
}

// TestPlatformKeySet: while a merchant moves from the platform certificate
// to the public key (or certificates rotate) WeChat Pay signs with either
// key; the client accepts a notification signed under any configured serial
// with that serial's key, and refuses a serial it does not hold or a key
// that is not the serial's.
func TestPlatformKeySet(t *testing.T) {
	c := payPlatformCert(t)
	e := newPayEnv(t, payOtherKey(c))
	both := e.client(t, func(cfg *wechat.PayConfig) {
		cfg.OtherPlatformKeys = map[string]*rsa.PublicKey{payCertSerial: &c.key.PublicKey}
	})
	_, body := payPaidNotification(t, e, "ORDER_KEYS01")
	for _, serial := range []string{e.keys.PlatformSerial, payCertSerial} {
		h, err := e.fake.SignNotificationAs(serial, body)
		if err != nil {
			t.Fatal(err)
		}
		if tx, err := both.ParseNotification(h, body); err != nil || !tx.Paid() || tx.OutTradeNo != "ORDER_KEYS01" {
			t.Errorf("signed under %s: %+v, %v", serial, tx, err)
		}
		if serial == payCertSerial {
			// A client that knows only the public key refuses it.
			if _, err := e.pay.ParseNotification(h, body); !errors.Is(err, wechat.ErrBadSignature) {
				t.Errorf("client without the certificate: %v, want ErrBadSignature", err)
			}
			// The certificate's serial with the public key's signature.
			wrong := payResign(t, h, body, e.keys.PlatformKey)
			if _, err := both.ParseNotification(wrong, body); !errors.Is(err, wechat.ErrBadSignature) {
				t.Errorf("certificate serial, public key signature: %v, want ErrBadSignature", err)
			}
		}
	}
	h, _ := e.fake.SignNotification(body)
	third := payResign(t, h, body, e.keys.MchKey)
	third.Set(wechat.HeaderPaySerial, "PUB_KEY_ID_0199999999999999999999999999")
	if _, err := both.ParseNotification(third, body); !errors.Is(err, wechat.ErrBadSignature) {
		t.Errorf("third serial: %v, want ErrBadSignature", err)
	}

	// Answers: a client whose first key is the certificate names it, and
	// the fake signs with it.
	certFirst := e.client(t, func(cfg *wechat.PayConfig) {
		cfg.PlatformSerial, cfg.PlatformKey = payCertSerial, &c.key.PublicKey
		cfg.OtherPlatformKeys = map[string]*rsa.PublicKey{e.keys.PlatformSerial: &e.keys.PlatformKey.PublicKey}
	})
	if _, err := certFirst.QueryOrder(context.Background(), "ORDER_KEYS01"); err != nil {
		t.Errorf("QueryOrder naming the certificate: %v", err)
	}
}

// TestNewPayValidatesPlatformKeys: every extra platform key needs a serial
// of its own and a key of at least 2048 bits.
func TestNewPayValidatesPlatformKeys(t *testing.T) {
	e := newPayEnv(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	good := &payPlatformCert(t).key.PublicKey
	for name, keys := range map[string]map[string]*rsa.PublicKey{
		"empty serial":    {"": good},
		"nil key":         {payCertSerial: nil},
		"primary again":   {e.keys.PlatformSerial: good},
		"1024-bit key":    {payCertSerial: &small.PublicKey},
		"one of two bad":  {payCertSerial: good, "PUB_KEY_ID_2": &small.PublicKey},
		"nil among valid": {payCertSerial: good, "PUB_KEY_ID_2": nil},
	} {
		cfg := e.cfg
		cfg.OtherPlatformKeys = keys
		if _, err := wechat.NewPay(cfg); err == nil {
			t.Errorf("%s: NewPay succeeded", name)
		}
	}
	cfg := e.cfg
	cfg.OtherPlatformKeys = map[string]*rsa.PublicKey{payCertSerial: good}
	if _, err := wechat.NewPay(cfg); err != nil {
		t.Errorf("valid extra key: %v", err)
	}
	// The client keeps its own copy: a key added to the map afterwards is
	// not accepted.
	p, _ := wechat.NewPay(cfg)
	cfg.OtherPlatformKeys["PUB_KEY_ID_LATE"] = &e.keys.MchKey.PublicKey
	h, body := payPaidNotification(t, e, "ORDER_KEYS02")
	h = payResign(t, h, body, e.keys.MchKey)
	h.Set(wechat.HeaderPaySerial, "PUB_KEY_ID_LATE")
	if _, err := p.ParseNotification(h, body); !errors.Is(err, wechat.ErrBadSignature) {
		t.Errorf("key added after NewPay: %v, want ErrBadSignature", err)
	}
}
