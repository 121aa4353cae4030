package web

import (
	"context"
	"encoding/base64"
	"testing"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/wechat"
)

// testPhones adapts the harness's WeChat client to PhoneResolver, as wire.go does.
type testPhones struct{ c *wechat.Client }

func (p testPhones) PhoneFromCode(ctx context.Context, code string) (string, string, error) {
	ph, err := p.c.GetPhoneNumber(ctx, code)
	return ph.CountryCode, ph.PurePhoneNumber, err
}

func (p testPhones) PhoneFromEncrypted(_ context.Context, key, encrypted, iv string) (string, string, error) {
	ph, err := wechat.DecryptPhone(p.c.AppID(), key, encrypted, iv)
	return ph.CountryCode, ph.PurePhoneNumber, err
}

func (testPhones) BadInput(err error) bool {
	return wechat.IsBadPhoneInput(err)
}

// phoneCode mints a getPhoneNumber code from the fake.
func (h *harness) phoneCode(openid, phone string) string {
	h.t.Helper()
	r := h.do("POST", "/_fake/wechat/phone-code", "", map[string]string{"openid": openid, "phone": phone})
	var out struct{ Code string }
	r.JSON(h.t, &out)
	if r.Status != 200 || out.Code == "" {
		h.t.Fatalf("phone-code: %d %s", r.Status, r.Body)
	}
	return out.Code
}

// encryptedPhone gets legacy encrypted phone data for openid from the fake.
func (h *harness) encryptedPhone(openid, phone string) (data, iv string) {
	h.t.Helper()
	r := h.do("POST", "/_fake/wechat/phone-encrypted", "", map[string]string{"openid": openid, "phone": phone})
	var out struct {
		EncryptedData string `json:"encrypted_data"`
		IV            string `json:"iv"`
	}
	r.JSON(h.t, &out)
	if r.Status != 200 || out.EncryptedData == "" {
		h.t.Fatalf("phone-encrypted: %d %s", r.Status, r.Body)
	}
	return out.EncryptedData, out.IV
}

// bindPhone binds phone to the user of token through the fake's phone code.
func (h *harness) bindPhone(openid, token, phone string) {
	h.t.Helper()
	r := h.do("POST", "/api/v1/me/phone", token, map[string]string{"code": h.phoneCode(openid, phone)})
	wantStatus(h.t, r, 200, "")
}

func (h *harness) usersByPhone(phone string) []string {
	h.t.Helper()
	var ids []string
	err := h.db.View(func(tx data.Tx) error {
		us, err := auth.UsersByPhoneInTx(tx, phone)
		for _, u := range us {
			ids = append(ids, u.ID())
		}
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return ids
}

func TestMePhoneWithCode(t *testing.T) {
	h := newHarness(t)
	tok, id := h.login("alice")
	code := h.phoneCode("alice", "+86 13800000001")
	r := h.do("POST", "/api/v1/me/phone", tok, map[string]string{"code": code})
	wantStatus(t, r, 200, "")
	var out struct{ Phone *string }
	r.JSON(t, &out)
	if out.Phone == nil || *out.Phone != "13800000001" {
		t.Fatalf("phone %s", r.Body)
	}
	var me auth.Self
	h.do("GET", "/api/v1/me", tok, nil).JSON(t, &me)
	if me.Phone == nil || *me.Phone != "13800000001" {
		t.Fatalf("me %+v", me)
	}
	if got := h.usersByPhone("13800000001"); len(got) != 1 || got[0] != id {
		t.Fatalf("phone index %v", got)
	}
	// The code is single use; an unknown one is refused alike.
	r = h.do("POST", "/api/v1/me/phone", tok, map[string]string{"code": code})
	wantStatus(t, r, 400, "invalid_argument")
	r = h.do("POST", "/api/v1/me/phone", tok, map[string]string{"code": "no-such-code"})
	wantStatus(t, r, 400, "invalid_argument")
	// A foreign number keeps its country code; the old phone leaves the index.
	h.bindPhone("alice", tok, "+1 4155550100")
	h.do("GET", "/api/v1/me", tok, nil).JSON(t, &me)
	if *me.Phone != "+14155550100" || len(h.usersByPhone("13800000001")) != 0 || len(h.usersByPhone("+14155550100")) != 1 {
		t.Fatalf("after rebinding: %v, index %v", *me.Phone, h.usersByPhone("13800000001"))
	}
	// Exactly one form.
	for _, body := range []any{map[string]string{}, map[string]string{"code": code, "iv": "x"}, map[string]string{"iv": "abc"}, map[string]string{"code": ""}} {
		wantStatus(t, h.do("POST", "/api/v1/me/phone", tok, body), 400, "invalid_argument")
	}
	wantStatus(t, h.do("POST", "/api/v1/me/phone", testAdminToken, map[string]string{"code": "x"}), 403, "forbidden")
}

func TestMePhoneWithEncryptedData(t *testing.T) {
	h := newHarness(t)
	tok, _ := h.login("alice")
	h.login("bob")
	enc, iv := h.encryptedPhone("alice", "13800000002")
	r := h.do("POST", "/api/v1/me/phone", tok, map[string]string{"encrypted_data": enc, "iv": iv})
	wantStatus(t, r, 200, "")
	var out struct{ Phone string }
	r.JSON(t, &out)
	if out.Phone != "13800000002" {
		t.Fatalf("phone %q", out.Phone)
	}
	// Tampered ciphertext: flip a bit in the first block (garbles the JSON, or the padding).
	raw, _ := base64.StdEncoding.DecodeString(enc)
	raw[3] ^= 0x40
	tampered := base64.StdEncoding.EncodeToString(raw)
	r = h.do("POST", "/api/v1/me/phone", tok, map[string]string{"encrypted_data": tampered, "iv": iv})
	wantStatus(t, r, 400, "invalid_argument")
	// Data encrypted with another user's session key.
	benc, biv := h.encryptedPhone("bob", "13800000003")
	wantStatus(t, h.do("POST", "/api/v1/me/phone", tok, map[string]string{"encrypted_data": benc, "iv": biv}), 400, "invalid_argument")
	// Data from before the latest login no longer decrypts.
	old, oldIV := h.encryptedPhone("alice", "13800000004")
	tok2, _ := h.login("alice")
	wantStatus(t, h.do("POST", "/api/v1/me/phone", tok2, map[string]string{"encrypted_data": old, "iv": oldIV}), 400, "invalid_argument")
	// Garbage iv / data.
	wantStatus(t, h.do("POST", "/api/v1/me/phone", tok, map[string]string{"encrypted_data": "!!", "iv": iv}), 400, "invalid_argument")
	var me auth.Self
	h.do("GET", "/api/v1/me", tok, nil).JSON(t, &me)
	if me.Phone == nil || *me.Phone != "13800000002" {
		t.Fatalf("a rejected bind changed the phone: %+v", me)
	}
}
