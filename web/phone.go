package web

import (
	"context"
	"net/http"

	"luckbox/data"
	"luckbox/exchange"
)

// PhoneResolver turns what WeChat's getPhoneNumber button gives a
// mini-program into the user's phone number (main adapts the WeChat client).
type PhoneResolver interface {
	// PhoneFromCode exchanges a getPhoneNumber code (single use).
	PhoneFromCode(ctx context.Context, code string) (countryCode, number string, err error)
	// PhoneFromEncrypted decrypts the legacy encryptedData and iv with the
	// user's WeChat session key (checking the watermark's app id).
	PhoneFromEncrypted(ctx context.Context, sessionKey, encryptedData, iv string) (countryCode, number string, err error)
	// BadInput reports whether err means the client's code or data is bad
	// (unknown, expired or used code; data that does not decrypt or names
	// another app) rather than WeChat being unreachable.
	BadInput(err error) bool
}

// Limits of /me/phone input.
const (
	maxPhoneCode      = 128
	maxEncryptedPhone = 4096
)

// phoneNumber renders a WeChat phone in luckbox's stored form (digits for
// mainland numbers, + and the country code otherwise).
func phoneNumber(countryCode, number string) (string, error) {
	if countryCode != "" && countryCode != "86" {
		number = "+" + countryCode + number
	}
	p, err := exchange.NormalizePhone(number)
	if err != nil {
		return "", data.Errorf(data.EInvalid, "WeChat answered a phone number luckbox does not support: %s", err)
	}
	return p, nil
}

// handleMePhone binds the caller's phone number from a getPhoneNumber code
// ({"code"}) or from legacy encrypted data ({"encrypted_data","iv"}).
func (s *Server) handleMePhone(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Code          *string `json:"code"`
		EncryptedData *string `json:"encrypted_data"`
		IV            *string `json:"iv"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	byCode, byData := in.Code != nil, in.EncryptedData != nil || in.IV != nil
	if byCode == byData {
		s.writeError(w, r, data.Invalid("code", "send either code (from the getPhoneNumber button) or encrypted_data and iv"))
		return
	}
	if s.Phones == nil {
		s.writeError(w, r, data.Errorf(data.EConflict, "phone binding is not configured on this server"))
		return
	}
	u := currentUser(r)
	var cc, number string
	var err error
	if byCode {
		if *in.Code == "" || len(*in.Code) > maxPhoneCode {
			s.writeError(w, r, data.Invalid("code", "must be the code from the getPhoneNumber button"))
			return
		}
		cc, number, err = s.Phones.PhoneFromCode(r.Context(), *in.Code)
		if err != nil && s.Phones.BadInput(err) {
			s.writeError(w, r, data.Invalid("code", "the phone code is invalid, expired or already used"))
			return
		}
	} else {
		if in.EncryptedData == nil || in.IV == nil || *in.EncryptedData == "" || *in.IV == "" ||
			len(*in.EncryptedData) > maxEncryptedPhone || len(*in.IV) > 64 {
			s.writeError(w, r, data.Invalid("encrypted_data", "send both encrypted_data and iv from the getPhoneNumber button"))
			return
		}
		if u.SessionKey == "" {
			s.writeError(w, r, data.Invalid("encrypted_data", "no WeChat session to decrypt with: log in again, then retry"))
			return
		}
		cc, number, err = s.Phones.PhoneFromEncrypted(r.Context(), u.SessionKey, *in.EncryptedData, *in.IV)
		if err != nil && s.Phones.BadInput(err) {
			s.writeError(w, r, data.Invalid("encrypted_data",
				"could not be decrypted with the session of your latest login (tampered, from another app, or from an older login): call wx.login, log in again and retry"))
			return
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	phone, err := phoneNumber(cc, number)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.Auth.SetPhone(r.Context(), u.ID(), phone); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Phone string `json:"phone"`
	}{phone})
}
