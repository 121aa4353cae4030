package wechat

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// ParsePrivateKeyPEM parses an RSA private key from PEM: PKCS#1
// ("RSA PRIVATE KEY") or PKCS#8 ("PRIVATE KEY", as in apiclient_key.pem).
// The first key block is used; other blocks are skipped.
func ParsePrivateKeyPEM(b []byte) (*rsa.PrivateKey, error) {
	for rest := b; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("wechat pay: no RSA private key PEM block found")
		}
		switch block.Type {
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("wechat pay: parse PKCS#1 private key: %w", err)
			}
			return k, nil
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("wechat pay: parse PKCS#8 private key: %w", err)
			}
			rk, ok := k.(*rsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("wechat pay: private key is %T, not RSA", k)
			}
			return rk, nil
		}
	}
}

// ParsePublicKeyPEM parses an RSA public key from PEM: PKIX ("PUBLIC KEY",
// as in the WeChat Pay public key file), PKCS#1 ("RSA PUBLIC KEY") or an X.509
// certificate ("CERTIFICATE", a platform certificate). The first key or
// certificate block is used.
func ParsePublicKeyPEM(b []byte) (*rsa.PublicKey, error) {
	for rest := b; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("wechat pay: no RSA public key or certificate PEM block found")
		}
		var k any
		switch block.Type {
		case "PUBLIC KEY":
			pk, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("wechat pay: parse PKIX public key: %w", err)
			}
			k = pk
		case "RSA PUBLIC KEY":
			pk, err := x509.ParsePKCS1PublicKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("wechat pay: parse PKCS#1 public key: %w", err)
			}
			k = pk
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("wechat pay: parse certificate: %w", err)
			}
			k = c.PublicKey
		default:
			continue
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("wechat pay: public key is %T, not RSA", k)
		}
		return rk, nil
	}
}

// CertificateSerialPEM returns the serial number of the first certificate in
// a PEM file, as WeChat Pay writes it (upper-case hex), e.g. for
// PayConfig.MchSerial from apiclient_cert.pem.
func CertificateSerialPEM(b []byte) (string, error) {
	for rest := b; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return "", errors.New("wechat pay: no certificate PEM block found")
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return "", fmt.Errorf("wechat pay: parse certificate: %w", err)
		}
		hex := strings.ToUpper(c.SerialNumber.Text(16))
		if len(hex)%2 == 1 {
			hex = "0" + hex // whole bytes, as openssl prints it
		}
		return hex, nil
	}
}

// payPlatformKeys checks the platform keys of cfg and returns them by serial
// (a copy: the caller's map may change afterwards).
func payPlatformKeys(cfg PayConfig) (map[string]*rsa.PublicKey, error) {
	keys := make(map[string]*rsa.PublicKey, 1+len(cfg.OtherPlatformKeys))
	keys[cfg.PlatformSerial] = cfg.PlatformKey
	for serial, k := range cfg.OtherPlatformKeys {
		switch {
		case serial == "":
			return nil, errors.New("wechat pay: config: OtherPlatformKeys has an empty serial")
		case k == nil:
			return nil, fmt.Errorf("wechat pay: config: OtherPlatformKeys[%q] is nil", serial)
		case serial == cfg.PlatformSerial:
			return nil, fmt.Errorf("wechat pay: config: platform serial %q is both PlatformSerial and in OtherPlatformKeys", serial)
		}
		keys[serial] = k
	}
	for serial, k := range keys {
		if n := k.N.BitLen(); n < payMinKeyBits {
			return nil, fmt.Errorf("wechat pay: config: platform key %q is %d bits, need at least %d", serial, n, payMinKeyBits)
		}
	}
	return keys, nil
}
