package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"luckbox/data"
	"luckbox/wechat/fake"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key, and
// returns their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "luckbox test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return certFile, keyFile, pool
}

// TestServeTLS starts the real server with a generated self-signed
// certificate: HTTPS answers, plain HTTP does not, and demo mode's calls to
// itself (login through the fake WeChat, a payment notification) work over
// TLS too. A hot backup over HTTPS trusts the certificate with --ca-cert.
func TestServeTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	const admin = "tls-admin-token-0123456789abcdefghijkl"
	s := startServer(t, filepath.Join(t.TempDir(), "luckbox.db"), "--tls-cert", certFile, "--tls-key", keyFile, "--admin-token", admin)
	if !strings.HasPrefix(s.URL, "https://127.0.0.1:") {
		t.Fatalf("server URL %q is not https", s.URL)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	var health struct{ Status string }
	if st := callWith(t, hc, "GET", s.URL+"/healthz", "", nil, &health); st != 200 || health.Status != "ok" {
		t.Fatalf("GET /healthz over https: %d %+v", st, health)
	}
	res, err := hc.Get(s.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.TLS == nil || res.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("connection state %+v", res.TLS)
	}
	// Plain HTTP on the TLS port gets Go's 400 "client sent an HTTP request to an HTTPS server".
	if r, err := http.Get("http://" + strings.TrimPrefix(s.URL, "https://") + "/healthz"); err == nil {
		r.Body.Close()
		if r.StatusCode != 400 {
			t.Fatalf("plain HTTP on the TLS port: %d, want 400", r.StatusCode)
		}
	}

	// Demo login: the WeChat client calls the fake over https on loopback.
	var code struct{ Code string }
	if st := callWith(t, hc, "POST", s.URL+"/_fake/wechat/login-code", "", map[string]string{"openid": "alice"}, &code); st != 200 {
		t.Fatalf("login-code: %d", st)
	}
	var login struct{ Token string }
	if st := callWith(t, hc, "POST", s.URL+"/api/v1/login", "", map[string]string{"code": code.Code}, &login); st != 200 || login.Token == "" {
		t.Fatalf("login over TLS: %d", st)
	}
	// A top-up: the fake's payment notification comes back over https.
	var o e2eOrder
	if st := callWith(t, hc, "POST", s.URL+"/api/v1/wallet/topups", login.Token, map[string]int64{"amount": 500}, &o); st != 201 {
		t.Fatalf("top-up: %d", st)
	}
	var paid struct{ Delivered []int }
	if st := callWith(t, hc, "POST", s.URL+"/_fake/wechat/pay/"+o.OutTradeNo+"/succeed", "", nil, &paid); st != 200 || len(paid.Delivered) != 1 || paid.Delivered[0] != 204 {
		t.Fatalf("payment notification over TLS: %d %+v", st, paid)
	}
	var w struct{ Balance int64 }
	if st := callWith(t, hc, "GET", s.URL+"/api/v1/wallet", login.Token, nil, &w); st != 200 || w.Balance != 500 {
		t.Fatalf("wallet after the notification: %d %+v", st, w)
	}

	out := filepath.Join(t.TempDir(), "tls-backup.db")
	env := func(k string) string { return map[string]string{"LUCKBOX_ADMIN_TOKEN": admin}[k] }
	if err := Run(context.Background(), []string{"backup", "--server", s.URL, "--out", out}, env, io.Discard, io.Discard); err == nil {
		t.Fatal("backup over https trusted a self-signed certificate without --ca-cert")
	}
	var stdout bytes.Buffer
	if err := Run(context.Background(), []string{"backup", "--server", s.URL, "--ca-cert", certFile, "--out", out}, env, &stdout, io.Discard); err != nil {
		t.Fatalf("backup over https with --ca-cert: %v", err)
	}
	if !strings.Contains(stdout.String(), "balances 500 + escrow 0 fen") {
		t.Fatalf("backup report: %s", stdout.String())
	}
}

// TestServeTLSRefusesABadPair: a key that is not the certificate's is
// refused at start, naming the settings.
func TestServeTLSRefusesABadPair(t *testing.T) {
	certFile, _, _ := selfSigned(t)
	_, otherKey, _ := selfSigned(t)
	err := Run(context.Background(), []string{"serve", "--data", filepath.Join(t.TempDir(), "x.db"), "--tls-cert", certFile, "--tls-key", otherKey},
		noEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--tls-cert/--tls-key") {
		t.Fatalf("mismatched pair: %v", err)
	}
	garbage := writeTestFile(t, "garbage.pem", "not a certificate")
	err = Run(context.Background(), []string{"serve", "--data", filepath.Join(t.TempDir(), "x.db"), "--tls-cert", garbage, "--tls-key", garbage},
		noEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--tls-cert") {
		t.Fatalf("garbage pair: %v", err)
	}
}

// productionArgs are the settings of a complete production configuration
// whose WeChat endpoints are a closed loopback port (nothing is called at
// start), with key files written for the test.
func productionArgs(t *testing.T) []string {
	t.Helper()
	args, _ := productionSetup(t)
	return args
}

// productionSetup is productionArgs and the keys they name.
func productionSetup(t *testing.T) ([]string, fake.DemoKeys) {
	t.Helper()
	keys, err := fake.NewDemoKeys(nil)
	if err != nil {
		t.Fatal(err)
	}
	mch, err := x509.MarshalPKCS8PrivateKey(keys.MchKey)
	if err != nil {
		t.Fatal(err)
	}
	mchFile := writeTestFile(t, "apiclient_key.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: mch})))
	platFile := writePublicKeyPEM(t, "pub_key.pem", &keys.PlatformKey.PublicKey)
	return []string{
		"--wechat-app-id", "wxprod000000001", "--wechat-secret", "prod-secret",
		"--wechat-base-url", "http://127.0.0.1:1", "--wechat-pay-base-url", "http://127.0.0.1:1",
		"--wechat-mch-id", "1900000109", "--wechat-mch-serial", keys.MchSerial, "--wechat-mch-key-file", mchFile,
		"--wechat-apiv3-key", keys.APIv3Key, "--wechat-platform-serial", keys.PlatformSerial, "--wechat-platform-key-file", platFile,
		"--public-url", "https://luck.example",
	}, keys
}

// writePublicKeyPEM writes key as a PKIX "PUBLIC KEY" PEM file (the form of
// the WeChat Pay public key file) and returns its path.
func writePublicKeyPEM(t *testing.T, name string, key *rsa.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return writeTestFile(t, name, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
}

// withArg returns args with the value of flag replaced.
func withArg(args []string, flag, value string) []string {
	out := append([]string{}, args...)
	for i := 0; i+1 < len(out); i++ {
		if out[i] == flag {
			out[i+1] = value
			return out
		}
	}
	return append(out, flag, value)
}

// TestProductionRefusesTheFake: with WeChat credentials the fake WeChat is
// not mounted, a configuration pointing at the fake is refused, and so are a
// missing or unreadable pay key file and a non-https public URL, each error
// naming its setting.
func TestProductionRefusesTheFake(t *testing.T) {
	prod := productionArgs(t)
	missing := filepath.Join(t.TempDir(), "missing.pem")
	garbage := writeTestFile(t, "garbage.pem", "-----BEGIN NOTHING-----\n-----END NOTHING-----\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{withArg(prod, "--wechat-base-url", "http://127.0.0.1:8080/_fake/wechat"), "--wechat-base-url"},
		{withArg(prod, "--wechat-pay-base-url", "https://luck.example/_fake/wechat"), "--wechat-pay-base-url"},
		{withArg(prod, "--wechat-mch-key-file", missing), "--wechat-mch-key-file"},
		{withArg(prod, "--wechat-mch-key-file", garbage), "--wechat-mch-key-file"},
		{withArg(prod, "--wechat-platform-key-file", missing), "--wechat-platform-key-file"},
		{withArg(prod, "--wechat-platform-key-file", garbage), "--wechat-platform-key-file"},
		{withArg(prod, "--public-url", "http://luck.example"), "--public-url"},
		{withArg(prod, "--public-url", ""), "--public-url"},
	} {
		err := Run(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "x.db")}, c.args...),
			noEnv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v does not name %s", err, c.want)
		}
	}

	// The complete configuration starts, without the fake.
	s := startServer(t, filepath.Join(t.TempDir(), "luckbox.db"), prod...)
	if st := call(t, "GET", s.URL+"/healthz", "", nil, nil); st != 200 {
		t.Fatalf("healthz: %d", st)
	}
	for _, p := range []string{"/_fake/wechat/login-code", "/_fake/wechat/messages?openid=a"} {
		if st := call(t, "POST", s.URL+p, "", map[string]string{"openid": "alice"}, nil); st != 404 {
			t.Errorf("POST %s in production: %d, want 404", p, st)
		}
		if st := call(t, "GET", s.URL+p, "", nil, nil); st != 404 {
			t.Errorf("GET %s in production: %d, want 404", p, st)
		}
	}
}

// setSchemaVersion rewrites the schema version recorded in a stopped file.
func setSchemaVersion(t *testing.T, file string, v uint64) {
	t.Helper()
	b, err := bolt.Open(file, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), data.U64(v)) }); err != nil {
		t.Fatal(err)
	}
}

// TestServeRefusesNewerSchema: a file written by a newer luckbox is refused
// by serve (with what to do), backup --data and restore; the file is left
// as it was.
func TestServeRefusesNewerSchema(t *testing.T) {
	file := filepath.Join(t.TempDir(), "newer.db")
	db, err := data.Open(file, data.Options{Buckets: buckets(), Migrations: migrations()})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	newer := uint64(data.SchemaVersion + 1)
	setSchemaVersion(t, file, newer)

	err = Run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--data", file}, noEnv, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("serve started on a file with a newer schema")
	}
	for _, want := range []string{"newer luckbox", fmt.Sprintf("file schema %d", newer), fmt.Sprintf("knows up to %d", data.SchemaVersion), "run the newer luckbox binary"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("serve error %q lacks %q", err, want)
		}
	}
	err = Run(context.Background(), []string{"backup", "--data", file, "--out", filepath.Join(t.TempDir(), "b.db")}, noEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "newer luckbox") {
		t.Errorf("backup --data of a newer file: %v", err)
	}
	err = Run(context.Background(), []string{"restore", "--from", file, "--data", filepath.Join(t.TempDir(), "r.db")}, noEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "newer luckbox") {
		t.Errorf("restore of a newer file: %v", err)
	}
	b, err := bolt.Open(file, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_ = b.View(func(tx *bolt.Tx) error {
		if v := data.ParseU64(tx.Bucket([]byte("meta")).Get([]byte("schema_version"))); v != newer {
			t.Errorf("schema version after the refusals = %d, want %d", v, newer)
		}
		return nil
	})
}

// TestCertReloader: renewed certificate files are served after the next
// check (once a minute), and files that do not load keep the old pair.
func TestCertReloader(t *testing.T) {
	certFile, keyFile, _ := selfSigned(t)
	var logs strings.Builder
	r, err := newCertReloader(certFile, keyFile, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	r.now = func() time.Time { return now }
	first := r.current().Leaf.Raw

	// certbot renews: new files in place (a later modification time).
	newCert, newKey, _ := selfSigned(t)
	for _, f := range [][2]string{{newCert, certFile}, {newKey, keyFile}} {
		b, err := os.ReadFile(f[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f[1], b, 0o600); err != nil {
			t.Fatal(err)
		}
		later := time.Now().Add(time.Second)
		if err := os.Chtimes(f[1], later, later); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(r.current().Leaf.Raw, first) {
		t.Fatal("reloaded before the minute was up")
	}
	now = now.Add(certCheckEvery)
	second := r.current().Leaf.Raw
	if bytes.Equal(second, first) {
		t.Fatal("renewed files not picked up")
	}
	// A half-written renewal (garbage key) keeps serving the current pair.
	if err := os.WriteFile(keyFile, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(2 * time.Second)
	_ = os.Chtimes(keyFile, later, later)
	now = now.Add(certCheckEvery)
	if !bytes.Equal(r.current().Leaf.Raw, second) {
		t.Fatal("a broken renewal replaced the served certificate")
	}
	if !strings.Contains(logs.String(), "do not load") || !strings.Contains(logs.String(), "expires soon") {
		t.Fatalf("log:\n%s", logs.String())
	}
}
