package wechat_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"luckbox/wechat"
)

// WeChat's published sample for decrypting open data (the demo shipped with
// the "服务端获取开放数据" documentation, WXBizDataCrypt).
const (
	sampleAppID      = "wx4f4bc4dec97d474b"
	sampleSessionKey = "tiihtNczf5v6AKRyjwEUhQ=="
	sampleIV         = "r7BXXKkLb8qrSNn05n0qiA=="
	sampleData       = "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew=="
	samplePlain      = `{"openId":"oGZUI0egBJY1zhBYw2KhdUfwVJJE","nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/aSKcBBPpibyKNicHNTMM0qJVh8Kjgiak2AHWr8MHM4WgMEm7GFhsf8OYrySdbvAMvTsw3mo8ibKicsnfN5pRjl1p8HQ/0","unionId":"ocMvos6NjeKLIBqg5Mr9QjxrP1FA","watermark":{"timestamp":1477314187,"appid":"wx4f4bc4dec97d474b"}}`
)

func TestDecryptDataOfficialSample(t *testing.T) {
	pt, err := wechat.DecryptData(sampleAppID, sampleSessionKey, sampleData, sampleIV)
	if err != nil {
		t.Fatal(err)
	}
	if string(pt) != samplePlain {
		t.Fatalf("plaintext\n%s\nwant\n%s", pt, samplePlain)
	}
}

// flip returns b64 with one bit of byte i of the decoded data flipped.
func flip(t *testing.T, b64 string, i int) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	if i < 0 {
		i += len(b)
	}
	b[i] ^= 0x01
	return base64.StdEncoding.EncodeToString(b)
}

// encryptRaw encrypts pt (already padded by the caller) with AES-128-CBC.
func encryptRaw(t *testing.T, key, iv string, pt []byte) string {
	t.Helper()
	k, _ := base64.StdEncoding.DecodeString(key)
	v, _ := base64.StdEncoding.DecodeString(iv)
	block, err := aes.NewCipher(k)
	if err != nil {
		t.Fatal(err)
	}
	ct := make([]byte, len(pt))
	cipher.NewCBCEncrypter(block, v).CryptBlocks(ct, pt)
	return base64.StdEncoding.EncodeToString(ct)
}

// pad appends PKCS#7 padding.
func pad(b []byte) []byte {
	n := 16 - len(b)%16
	return append(b, []byte(strings.Repeat(string(rune(n)), n))...)
}

func TestDecryptDataRejects(t *testing.T) {
	body := []byte(`{"phoneNumber":"13800000000","watermark":{"appid":"` + sampleAppID + `","timestamp":1}}`)
	badPad := func(mutate func([]byte)) string {
		p := pad(append([]byte(nil), body...))
		mutate(p)
		return encryptRaw(t, sampleSessionKey, sampleIV, p)
	}
	for _, c := range []struct {
		name, appID, key, data, iv string
		want                       error
	}{
		{"tampered last block", sampleAppID, sampleSessionKey, flip(t, sampleData, -1), sampleIV, wechat.ErrDecrypt},
		{"tampered first block", sampleAppID, sampleSessionKey, flip(t, sampleData, 3), sampleIV, wechat.ErrDecrypt},
		{"tampered iv", sampleAppID, sampleSessionKey, sampleData, flip(t, sampleIV, 0), wechat.ErrDecrypt},
		{"wrong key", sampleAppID, "AAAAAAAAAAAAAAAAAAAAAA==", sampleData, sampleIV, wechat.ErrDecrypt},
		{"wrong app id", "wx0000000000000000", sampleSessionKey, sampleData, sampleIV, wechat.ErrWatermark},
		{"key not 16 bytes", sampleAppID, "dGlpaHQ=", sampleData, sampleIV, wechat.ErrDecrypt},
		{"key not base64", sampleAppID, "!!!!", sampleData, sampleIV, wechat.ErrDecrypt},
		{"iv not 16 bytes", sampleAppID, sampleSessionKey, sampleData, "cjdCWA==", wechat.ErrDecrypt},
		{"partial block", sampleAppID, sampleSessionKey, sampleData[:len(sampleData)-24] + "AAAAAAAAAAAAAAAAAAAA", sampleIV, wechat.ErrDecrypt},
		{"empty data", sampleAppID, sampleSessionKey, "", sampleIV, wechat.ErrDecrypt},
		{"pad byte mismatch", sampleAppID, sampleSessionKey, badPad(func(p []byte) { p[len(p)-2] ^= 0xFF }), sampleIV, wechat.ErrDecrypt},
		{"pad byte 0", sampleAppID, sampleSessionKey, badPad(func(p []byte) { p[len(p)-1] = 0 }), sampleIV, wechat.ErrDecrypt},
		{"pad byte 17", sampleAppID, sampleSessionKey, badPad(func(p []byte) { p[len(p)-1] = 17 }), sampleIV, wechat.ErrDecrypt},
		{"no watermark", sampleAppID, sampleSessionKey, encryptRaw(t, sampleSessionKey, sampleIV, pad([]byte(`{"a":1}`))), sampleIV, wechat.ErrWatermark},
		{"not JSON", sampleAppID, sampleSessionKey, encryptRaw(t, sampleSessionKey, sampleIV, pad([]byte(`hello`))), sampleIV, wechat.ErrDecrypt},
	} {
		pt, err := wechat.DecryptData(c.appID, c.key, c.data, c.iv)
		if !errors.Is(err, c.want) || pt != nil {
			t.Errorf("%s: %q, %v; want %v", c.name, pt, err, c.want)
			continue
		}
		noSecrets(t, err, c.key)
	}
	// The well-padded control case decrypts, so the failures above are the mutations'.
	if _, err := wechat.DecryptData(sampleAppID, sampleSessionKey, badPad(func([]byte) {}), sampleIV); err != nil {
		t.Fatalf("control case: %v", err)
	}
}

func TestDecryptPhoneCountryCodeNumber(t *testing.T) {
	body := `{"phoneNumber":"+1 4155550100","purePhoneNumber":"4155550100","countryCode":1,"watermark":{"appid":"` + sampleAppID + `","timestamp":1}}`
	p, err := wechat.DecryptPhone(sampleAppID, sampleSessionKey, encryptRaw(t, sampleSessionKey, sampleIV, pad([]byte(body))), sampleIV)
	if err != nil {
		t.Fatal(err)
	}
	if p != (wechat.Phone{PhoneNumber: "+1 4155550100", PurePhoneNumber: "4155550100", CountryCode: "1"}) {
		t.Fatalf("phone %+v", p)
	}
}

func TestDecryptPhoneFromFakeLegacyFlow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s, err := e.client.Code2Session(ctx, e.loginCode(t, "alice"))
	if err != nil {
		t.Fatal(err)
	}
	var enc struct {
		EncryptedData string `json:"encrypted_data"`
		IV            string `json:"iv"`
	}
	e.control(t, "/phone-encrypted", map[string]string{"openid": "alice", "phone": "13800000000"}, &enc)
	p, err := wechat.DecryptPhone(appID, s.SessionKey, enc.EncryptedData, enc.IV)
	if err != nil {
		t.Fatal(err)
	}
	if p != (wechat.Phone{PhoneNumber: "13800000000", PurePhoneNumber: "13800000000", CountryCode: "86"}) {
		t.Fatalf("phone %+v", p)
	}
	if _, err := wechat.DecryptPhone("wxsomeoneelse", s.SessionKey, enc.EncryptedData, enc.IV); !errors.Is(err, wechat.ErrWatermark) {
		t.Fatalf("other app id: %v", err)
	}
	// A new login replaces the session key: data encrypted now needs the new key.
	s2, err := e.client.Code2Session(ctx, e.loginCode(t, "alice"))
	if err != nil {
		t.Fatal(err)
	}
	e.control(t, "/phone-encrypted", map[string]string{"openid": "alice", "phone": "13800000000"}, &enc)
	if _, err := wechat.DecryptPhone(appID, s2.SessionKey, enc.EncryptedData, enc.IV); err != nil {
		t.Fatalf("latest key: %v", err)
	}
	if _, err := wechat.DecryptPhone(appID, s.SessionKey, enc.EncryptedData, enc.IV); err == nil {
		t.Fatal("old session key still decrypts")
	}
}
