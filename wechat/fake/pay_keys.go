package fake

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// DemoKeys is a matching set of merchant and platform credentials for running
// the real WeChat Pay client against the fake (tests and demo mode). They are
// made up on the spot and good for nothing else.
type DemoKeys struct {
	MchKey         *rsa.PrivateKey // the merchant API key (the client signs with it)
	PlatformKey    *rsa.PrivateKey // the WeChat Pay platform key (the fake signs with it)
	MchSerial      string          // 40 upper-case hex digits, like a certificate serial
	PlatformSerial string          // "PUB_KEY_ID_" and 32 digits, like a WeChat Pay public key id
	APIv3Key       string          // 32 letters and digits
}

// NewDemoKeys generates two 2048-bit RSA keys, the serials and an APIv3 key,
// reading randomness from r (nil means crypto/rand). Key generation takes a
// noticeable fraction of a second: tests should generate once per binary.
func NewDemoKeys(r io.Reader) (DemoKeys, error) {
	if r == nil {
		r = rand.Reader
	}
	mch, err := rsa.GenerateKey(r, 2048)
	if err != nil {
		return DemoKeys{}, fmt.Errorf("fake: generate merchant key: %w", err)
	}
	platform, err := rsa.GenerateKey(r, 2048)
	if err != nil {
		return DemoKeys{}, fmt.Errorf("fake: generate platform key: %w", err)
	}
	mchSerial, err := payRandomString(r, 40, "0123456789ABCDEF")
	if err != nil {
		return DemoKeys{}, fmt.Errorf("fake: merchant serial: %w", err)
	}
	pubID, err := payRandomString(r, 32, "0123456789")
	if err != nil {
		return DemoKeys{}, fmt.Errorf("fake: platform serial: %w", err)
	}
	v3, err := payRandomString(r, 32, payAlnum)
	if err != nil {
		return DemoKeys{}, fmt.Errorf("fake: APIv3 key: %w", err)
	}
	return DemoKeys{
		MchKey: mch, PlatformKey: platform,
		MchSerial: mchSerial, PlatformSerial: "PUB_KEY_ID_" + pubID, APIv3Key: v3,
	}, nil
}

// PayOptions returns the fake's WeChat Pay options for these keys: it accepts
// requests signed with MchKey and signs with PlatformKey. hc sends the
// payment notifications (nil means a client with a timeout).
func (k DemoKeys) PayOptions(appID, mchID string, hc *http.Client) *PayOptions {
	return &PayOptions{
		AppID: appID, MchID: mchID,
		MchSerial: k.MchSerial, MchPublicKey: &k.MchKey.PublicKey,
		PlatformSerial: k.PlatformSerial, PlatformKey: k.PlatformKey,
		APIv3Key: k.APIv3Key, HTTPClient: hc,
	}
}

// payAlnum are the characters of nonces and keys.
const payAlnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// payRandomString returns n characters drawn uniformly from alphabet
// (at most 256 characters) using r.
func payRandomString(r io.Reader, n int, alphabet string) (string, error) {
	var sb strings.Builder
	sb.Grow(n)
	limit := 256 - 256%len(alphabet) // reject bytes above to stay uniform
	buf := make([]byte, n)
	for sb.Len() < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if int(b) < limit && sb.Len() < n {
				sb.WriteByte(alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return sb.String(), nil
}
