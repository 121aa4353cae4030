package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"luckbox/wechat/fake"
)

// certSerial is the serial of the made-up platform certificate.
const certSerial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"

// writePlatformCert writes a self-signed platform certificate with serial
// certSerial for key and returns its path.
func writePlatformCert(t *testing.T, key *rsa.PrivateKey) string {
	t.Helper()
	serial, _ := new(big.Int).SetString(certSerial, 16)
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "Tenpay.com Root CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return writeTestFile(t, "wechatpay_cert.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
}

// argValue returns the value of flag in args.
func argValue(args []string, flag string) string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag {
			return args[i+1]
		}
	}
	return ""
}

// TestPlatformKeyLists: --wechat-platform-serial and
// --wechat-platform-key-file take comma-separated lists of the same length
// (the public key and the platform certificate while WeChat Pay switches
// between them); a mismatch, a repeated serial, an empty item or an
// unreadable file stops the server at start, naming the setting. Started
// with both keys, the server accepts a notification signature under either
// serial and refuses any other serial.
func TestPlatformKeyLists(t *testing.T) {
	prod, keys := productionSetup(t)
	certKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubFile, certFile := argValue(prod, "--wechat-platform-key-file"), writePlatformCert(t, certKey)
	missing := filepath.Join(t.TempDir(), "missing.pem")
	garbage := writeTestFile(t, "garbage.pem", "-----BEGIN NOTHING-----\n-----END NOTHING-----\n")
	two := func(serials, files string) []string {
		return withArg(withArg(prod, "--wechat-platform-serial", serials), "--wechat-platform-key-file", files)
	}
	pub := keys.PlatformSerial
	for _, c := range []struct {
		args []string
		want []string
	}{
		{two(pub+","+certSerial, pubFile), []string{"--wechat-platform-serial/--wechat-platform-key-file", "2 serial(s) but 1 key file(s)"}},
		{two(pub, pubFile+","+certFile), []string{"--wechat-platform-serial/--wechat-platform-key-file", "1 serial(s) but 2 key file(s)"}},
		{two(pub+","+pub, pubFile+","+certFile), []string{"--wechat-platform-serial", "listed twice"}},
		{two(pub+",", pubFile+","+certFile), []string{"--wechat-platform-serial", "empty item"}},
		{two(pub+","+certSerial, pubFile+", "), []string{"--wechat-platform-key-file", "empty item"}},
		{two(pub+","+certSerial, pubFile+","+missing), []string{"--wechat-platform-key-file", certSerial}},
		{two(pub+","+certSerial, pubFile+","+garbage), []string{"--wechat-platform-key-file", certSerial}},
	} {
		err := Run(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "x.db")}, c.args...),
			noEnv, io.Discard, io.Discard)
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s / %s: error %v does not say %q", argValue(c.args, "--wechat-platform-serial"),
					argValue(c.args, "--wechat-platform-key-file"), err, w)
			}
		}
	}

	// Both keys, spaces after the commas allowed.
	s := startServer(t, filepath.Join(t.TempDir(), "luckbox.db"), two(pub+", "+certSerial, pubFile+", "+certFile)...)
	wechatPay := fake.New(fake.Options{Pay: &fake.PayOptions{PlatformSerial: pub, PlatformKey: keys.PlatformKey,
		OtherPlatformKeys: map[string]*rsa.PrivateKey{certSerial: certKey, "PUB_KEY_ID_0144444444444444444444444444": certKey}}})
	// The body is no notification: a good signature gets 400 (it could not
	// be read), a refused one 401.
	body := []byte(`{}`)
	for serial, want := range map[string]int{pub: 400, certSerial: 400, "PUB_KEY_ID_0144444444444444444444444444": 401} {
		h, err := wechatPay.SignNotificationAs(serial, body)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/v1/pay/notify", bytes.NewReader(body))
		req.Header = h
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("notification signed under %s: %d %s, want %d", serial, resp.StatusCode, b, want)
		}
	}
}
