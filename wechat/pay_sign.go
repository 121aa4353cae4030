package wechat

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// PayAuthScheme is the v3 signature scheme, used in the Authorization header
// of requests and in the Wechatpay-Signature-Type header of answers.
const PayAuthScheme = "WECHATPAY2-SHA256-RSA2048"

// SignatureProbePrefix starts the deliberately invalid signatures WeChat Pay
// sends to check that a merchant verifies notifications.
const SignatureProbePrefix = "WECHATPAY/SIGNTEST/"

// Headers WeChat Pay sets on signed answers and notifications.
const (
	HeaderPayTimestamp = "Wechatpay-Timestamp"
	HeaderPayNonce     = "Wechatpay-Nonce"
	HeaderPaySignature = "Wechatpay-Signature"
	HeaderPaySerial    = "Wechatpay-Serial"
)

// payMessage joins the parts of a v3 signature message: each part followed by
// a newline, including the last.
func payMessage(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
		b = append(b, '\n')
	}
	return b
}

// paySign signs msg with RSASSA-PKCS1-v1_5 over SHA-256 and returns the
// signature in standard base64.
func paySign(key *rsa.PrivateKey, msg []byte) (string, error) {
	sum := sha256.Sum256(msg)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// payVerifySig checks a base64 RSASSA-PKCS1-v1_5 SHA-256 signature of msg.
func payVerifySig(key *rsa.PublicKey, msg []byte, sigB64 string) bool {
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		return false
	}
	sum := sha256.Sum256(msg)
	return rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig) == nil
}

// nonce returns a 32-character random string from the configured source.
func (p *Pay) nonce() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(p.cfg.Rand, b[:]); err != nil {
		return "", fmt.Errorf("nonce: %w", err)
	}
	return strings.ToUpper(hex.EncodeToString(b[:])), nil
}

// authorization builds the Authorization header for a request: the merchant
// key signs "METHOD\nURI\ntimestamp\nnonce\nbody\n", URI being the request
// URI as sent (path and query).
func (p *Pay) authorization(method, requestURI string, body []byte) (string, error) {
	nonce, err := p.nonce()
	if err != nil {
		return "", err
	}
	ts := strconv.FormatInt(p.cfg.Now().Unix(), 10)
	sig, err := paySign(p.cfg.MchKey, payMessage(method, requestURI, ts, nonce, string(body)))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`%s mchid="%s",nonce_str="%s",signature="%s",timestamp="%s",serial_no="%s"`,
		PayAuthScheme, p.cfg.MchID, nonce, sig, ts, p.cfg.MchSerial), nil
}

// verify checks the WeChat Pay signature of an answer or notification:
// "timestamp\nnonce\nbody\n" signed with the configured platform key that
// Wechatpay-Serial names (PlatformSerial or one of OtherPlatformKeys), and a
// timestamp within MaxSkew of now. Errors wrap ErrSignatureProbe,
// ErrBadSignature or ErrStaleNotification.
func (p *Pay) verify(h http.Header, body []byte) error {
	ts := h.Get(HeaderPayTimestamp)
	nonce := h.Get(HeaderPayNonce)
	sig := h.Get(HeaderPaySignature)
	serial := h.Get(HeaderPaySerial)
	if strings.HasPrefix(sig, SignatureProbePrefix) {
		return ErrSignatureProbe
	}
	if ts == "" || nonce == "" || sig == "" || serial == "" {
		return fmt.Errorf("%w: missing Wechatpay-* signature headers", ErrBadSignature)
	}
	key, ok := p.keys[serial]
	if !ok {
		return fmt.Errorf("%w: unknown platform serial %q", ErrBadSignature, serial)
	}
	if !payVerifySig(key, payMessage(ts, nonce, string(body)), sig) {
		return ErrBadSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: bad timestamp %q", ErrBadSignature, ts)
	}
	if d := p.cfg.Now().Sub(time.Unix(sec, 0)); d > p.cfg.MaxSkew || d < -p.cfg.MaxSkew {
		return fmt.Errorf("%w: timestamp %s is %s away from now", ErrStaleNotification, ts, d.Round(time.Second))
	}
	return nil
}
