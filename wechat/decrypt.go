package wechat

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// Errors from DecryptData and DecryptPhone. Their text never holds the key.
var (
	// ErrDecrypt means the encrypted data, iv or session key is malformed, or
	// the data was not encrypted with that key (bad padding, bad JSON).
	ErrDecrypt = errors.New("wechat: cannot decrypt data")
	// ErrWatermark means the data decrypted but its watermark names another app.
	ErrWatermark = errors.New("wechat: watermark app id mismatch")
)

// DecryptData decrypts legacy mini-program encrypted data (the encryptedData
// and iv that getPhoneNumber, getUserInfo and friends gave before the code
// flows): AES-128-CBC with key = base64-decoded session key, the given iv and
// PKCS#7 padding, checked strictly. The plaintext must be a JSON object whose
// watermark.appid equals appID; it is returned as is.
func DecryptData(appID, sessionKey, encryptedData, iv string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(sessionKey)
	if err != nil || len(key) != 16 {
		return nil, fmt.Errorf("%w: session key is not 16 bytes of base64", ErrDecrypt)
	}
	ivb, err := base64.StdEncoding.DecodeString(iv)
	if err != nil || len(ivb) != aes.BlockSize {
		return nil, fmt.Errorf("%w: iv is not 16 bytes of base64", ErrDecrypt)
	}
	ct, err := base64.StdEncoding.DecodeString(encryptedData)
	if err != nil {
		return nil, fmt.Errorf("%w: encrypted data is not base64", ErrDecrypt)
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: encrypted data is not a whole number of blocks", ErrDecrypt)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, ivb).CryptBlocks(pt, ct)
	pt, ok := pkcs7Unpad(pt)
	if !ok {
		return nil, fmt.Errorf("%w: bad padding", ErrDecrypt)
	}
	var probe struct {
		Watermark *mpWatermark `json:"watermark"`
	}
	if err := json.Unmarshal(pt, &probe); err != nil {
		return nil, fmt.Errorf("%w: plaintext is not a JSON object", ErrDecrypt)
	}
	if probe.Watermark == nil || probe.Watermark.AppID != appID {
		return nil, ErrWatermark
	}
	return pt, nil
}

// DecryptPhone decrypts a legacy getPhoneNumber payload with DecryptData and
// returns the phone number it holds.
func DecryptPhone(appID, sessionKey, encryptedData, iv string) (Phone, error) {
	pt, err := DecryptData(appID, sessionKey, encryptedData, iv)
	if err != nil {
		return Phone{}, err
	}
	var p mpPhoneJSON
	if err := json.Unmarshal(pt, &p); err != nil {
		return Phone{}, fmt.Errorf("%w: phone payload: %v", ErrDecrypt, err)
	}
	if p.PhoneNumber == "" {
		return Phone{}, fmt.Errorf("%w: phone payload lacks phoneNumber", ErrDecrypt)
	}
	return p.phone(), nil
}

// pkcs7Unpad strips PKCS#7 padding for 16-byte blocks, checking every pad
// byte, and reports whether the padding was valid.
func pkcs7Unpad(b []byte) ([]byte, bool) {
	if len(b) == 0 || len(b)%aes.BlockSize != 0 {
		return nil, false
	}
	n := int(b[len(b)-1])
	if n < 1 || n > aes.BlockSize {
		return nil, false
	}
	pad := b[len(b)-n:]
	want := make([]byte, n)
	for i := range want {
		want[i] = byte(n)
	}
	if subtle.ConstantTimeCompare(pad, want) != 1 {
		return nil, false
	}
	return b[:len(b)-n], true
}
