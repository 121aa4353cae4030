package wechat_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"luckbox/wechat"
)

func payPEMBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestParsePrivateKeyPEM(t *testing.T) {
	k := payDemoKeys(t).MchKey
	pkcs8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	comment := payPEMBlock("CERTIFICATE REQUEST", []byte{1, 2, 3}) // skipped
	for name, in := range map[string][]byte{
		"PKCS#1":          payPEMBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)),
		"PKCS#8":          payPEMBlock("PRIVATE KEY", pkcs8),
		"after other PEM": append(comment, payPEMBlock("PRIVATE KEY", pkcs8)...),
	} {
		got, err := wechat.ParsePrivateKeyPEM(in)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !got.Equal(k) {
			t.Errorf("%s: parsed a different key", name)
		}
	}

	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	for name, in := range map[string][]byte{
		"empty":       nil,
		"not PEM":     []byte("-----BEGIN NOTHING"),
		"public only": payPEMBlock("PUBLIC KEY", []byte{1}),
		"EC key":      payPEMBlock("PRIVATE KEY", ecDER),
		"corrupt":     payPEMBlock("RSA PRIVATE KEY", []byte{0x30, 0x01}),
	} {
		if _, err := wechat.ParsePrivateKeyPEM(in); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func TestParsePublicKeyPEMAndSerial(t *testing.T) {
	k := payDemoKeys(t).PlatformKey
	pkix1, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := new(big.Int).SetString("0ABCDEF0123456789ABCDEF0123456789ABCDEF0", 16)
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "Tenpay.com Root CA"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<32, 0),
	}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	cert := payPEMBlock("CERTIFICATE", certDER)
	for name, in := range map[string][]byte{
		"PKIX":        payPEMBlock("PUBLIC KEY", pkix1),
		"PKCS#1":      payPEMBlock("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&k.PublicKey)),
		"certificate": cert,
	} {
		got, err := wechat.ParsePublicKeyPEM(in)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !got.Equal(&k.PublicKey) {
			t.Errorf("%s: parsed a different key", name)
		}
	}
	if _, err := wechat.ParsePublicKeyPEM([]byte("junk")); err == nil {
		t.Error("junk parsed as a public key")
	}

	got, err := wechat.CertificateSerialPEM(cert)
	if err != nil {
		t.Fatal(err)
	}
	if want := "0ABCDEF0123456789ABCDEF0123456789ABCDEF0"; got != want {
		t.Errorf("serial = %s, want %s", got, want)
	}
	if _, err := wechat.CertificateSerialPEM(payPEMBlock("PUBLIC KEY", pkix1)); err == nil ||
		!strings.Contains(err.Error(), "no certificate") {
		t.Errorf("serial of a key: %v", err)
	}
}
