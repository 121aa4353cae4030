package fake_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"luckbox/wechat/fake"
)

// payCertSerial is the serial of a made-up platform certificate, the key a
// merchant held before moving to the WeChat Pay public key.
const payCertSerial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"

var (
	payCertKeyOnce sync.Once
	payCertKey     *rsa.PrivateKey
	payCertKeyErr  error
)

// payCertPlatformKey returns a second platform key, generated once per binary.
func payCertPlatformKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	payCertKeyOnce.Do(func() { payCertKey, payCertKeyErr = rsa.GenerateKey(rand.Reader, 2048) })
	if payCertKeyErr != nil {
		t.Fatalf("GenerateKey: %v", payCertKeyErr)
	}
	return payCertKey
}

// signedRequest returns a request to srvURL+uri signed by the merchant key
// over signURI, naming platformSerial in Wechatpay-Serial when not empty.
func (e *payEnv) signedRequest(t *testing.T, srvURL, uri, signURI, platformSerial string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", srvURL+uri, nil)
	if err != nil {
		t.Fatal(err)
	}
	tss := strconv.FormatInt(e.clock.Now().Unix(), 10)
	req.Header.Set("Authorization", fmt.Sprintf(
		`WECHATPAY2-SHA256-RSA2048 mchid="%s",nonce_str="N2",signature="%s",timestamp="%s",serial_no="%s"`,
		payMchID, paySign(t, e.keys.MchKey, "GET\n"+signURI+"\n"+tss+"\nN2\n\n"), tss, e.keys.MchSerial))
	if platformSerial != "" {
		req.Header.Set("Wechatpay-Serial", platformSerial)
	}
	return req
}

// TestAnswersSignedWithTheNamedKey: like WeChat Pay, the fake signs an
// answer with the platform key the request names in Wechatpay-Serial (the
// platform certificate or the public key of a merchant in between), and with
// the default key when the request names none or a key it does not hold.
func TestAnswersSignedWithTheNamedKey(t *testing.T) {
	e := newPayEnv(t)
	certKey := payCertPlatformKey(t)
	opts := e.keys.PayOptions(payAppID, payMchID, nil)
	opts.OtherPlatformKeys = map[string]*rsa.PrivateKey{payCertSerial: certKey}
	srv := httptest.NewServer(fake.New(fake.Options{AppID: payAppID, Secret: "s", Now: e.clock.Now, Pay: opts}))
	t.Cleanup(srv.Close)

	const uri = "/v3/pay/transactions/out-trade-no/PKT_NONE01?mchid=" + payMchID
	for _, c := range []struct {
		named, wantSerial string
		wantKey           *rsa.PrivateKey
	}{
		{payCertSerial, payCertSerial, certKey},
		{e.keys.PlatformSerial, e.keys.PlatformSerial, e.keys.PlatformKey},
		{"", e.keys.PlatformSerial, e.keys.PlatformKey},
		{"PUB_KEY_ID_UNKNOWN", e.keys.PlatformSerial, e.keys.PlatformKey},
	} {
		resp, err := http.DefaultClient.Do(e.signedRequest(t, srv.URL, uri, uri, c.named))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 { // the order does not exist; the answer is signed all the same
			t.Errorf("named %q: %d %s", c.named, resp.StatusCode, body)
		}
		h := resp.Header
		if got := h.Get("Wechatpay-Serial"); got != c.wantSerial {
			t.Errorf("named %q: answer under serial %q, want %q", c.named, got, c.wantSerial)
		}
		sig, _ := base64.StdEncoding.DecodeString(h.Get("Wechatpay-Signature"))
		sum := sha256.Sum256([]byte(h.Get("Wechatpay-Timestamp") + "\n" + h.Get("Wechatpay-Nonce") + "\n" + string(body) + "\n"))
		if err := rsa.VerifyPKCS1v15(&c.wantKey.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
			t.Errorf("named %q: answer not signed by the key of %s: %v", c.named, c.wantSerial, err)
		}
	}

	// Notifications can be signed under either key, and under no other.
	f := fake.New(fake.Options{AppID: payAppID, Secret: "s", Now: e.clock.Now, Pay: opts})
	for serial, key := range map[string]*rsa.PrivateKey{"": e.keys.PlatformKey, e.keys.PlatformSerial: e.keys.PlatformKey, payCertSerial: certKey} {
		h, err := f.SignNotificationAs(serial, []byte(`{}`))
		if err != nil {
			t.Fatalf("SignNotificationAs(%q): %v", serial, err)
		}
		sig, _ := base64.StdEncoding.DecodeString(h.Get("Wechatpay-Signature"))
		sum := sha256.Sum256([]byte(h.Get("Wechatpay-Timestamp") + "\n" + h.Get("Wechatpay-Nonce") + "\n{}\n"))
		if rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig) != nil || (serial != "" && h.Get("Wechatpay-Serial") != serial) {
			t.Errorf("SignNotificationAs(%q): serial %q, signature by the wrong key", serial, h.Get("Wechatpay-Serial"))
		}
	}
	if _, err := f.SignNotificationAs("PUB_KEY_ID_UNKNOWN", []byte(`{}`)); err == nil {
		t.Error("SignNotificationAs an unknown serial succeeded")
	}
}

// TestSignedURLIsTheRequestURI: mounted under a prefix with
// http.StripPrefix, as the server mounts it, the fake checks the signature
// over the URI the client requested, prefix included (what the official SDK
// signs), not over the stripped path.
func TestSignedURLIsTheRequestURI(t *testing.T) {
	e := newPayEnv(t)
	mux := http.NewServeMux()
	mux.Handle("/_fake/wechat/", http.StripPrefix("/_fake/wechat", e.fake))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	const uri = "/v3/pay/transactions/out-trade-no/PKT_NONE01?mchid=" + payMchID
	for _, c := range []struct {
		signed string
		want   int
	}{
		{"/_fake/wechat" + uri, 404}, // authenticated; the order does not exist
		{uri, 401},
		{"/_fake/wechat/v3/pay/transactions/out-trade-no/PKT_NONE01", 401}, // query left out
	} {
		resp, err := http.DefaultClient.Do(e.signedRequest(t, srv.URL, "/_fake/wechat"+uri, c.signed, ""))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want || (c.want == 401 && !strings.Contains(string(body), "SIGN_ERROR")) {
			t.Errorf("signed over %s: %d %s, want %d", c.signed, resp.StatusCode, body, c.want)
		}
	}
}
