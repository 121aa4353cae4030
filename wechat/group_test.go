package wechat_test

import (
	"errors"
	"testing"
	"time"

	"luckbox/wechat"
)

func TestDecryptShareInfo(t *testing.T) {
	enc := func(plain string) string { return encryptRaw(t, sampleSessionKey, sampleIV, pad([]byte(plain))) }
	at := time.Unix(1764000000, 0).UTC()
	for _, c := range []struct {
		name, plain string
		want        string // openGId; "" means an error
		err         error
	}{
		{"getShareInfo", `{"openGId":"tGgroupA","watermark":{"appid":"wx4f4bc4dec97d474b","timestamp":1764000000}}`, "tGgroupA", nil},
		{"getGroupEnterInfo", `{"opengid":"tGgroupB","chat_type":3,"watermark":{"appid":"wx4f4bc4dec97d474b","timestamp":1764000000}}`, "tGgroupB", nil},
		{"other app", `{"openGId":"tGgroupA","watermark":{"appid":"wxother","timestamp":1764000000}}`, "", wechat.ErrWatermark},
		{"no group", `{"watermark":{"appid":"wx4f4bc4dec97d474b","timestamp":1764000000}}`, "", wechat.ErrDecrypt},
		{"no timestamp", `{"openGId":"tGgroupA","watermark":{"appid":"wx4f4bc4dec97d474b"}}`, "", wechat.ErrDecrypt},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := wechat.DecryptShareInfo(sampleAppID, sampleSessionKey, enc(c.plain), sampleIV)
			if c.err != nil {
				if !errors.Is(err, c.err) || !wechat.IsBadShareInfo(err) {
					t.Fatalf("err = %v, want %v", err, c.err)
				}
				return
			}
			if err != nil || got.OpenGID != c.want || !got.At.Equal(at) {
				t.Fatalf("got %+v, %v; want %s at %s", got, err, c.want, at)
			}
		})
	}
	// Tampered ciphertext does not decrypt to the group.
	good := enc(`{"openGId":"tGgroupA","watermark":{"appid":"wx4f4bc4dec97d474b","timestamp":1764000000}}`)
	if got, err := wechat.DecryptShareInfo(sampleAppID, sampleSessionKey, flip(t, good, 3), sampleIV); err == nil {
		t.Fatalf("tampered data decrypted to %+v", got)
	}
}
