package auth

import (
	"context"

	"luckbox/data"
)

// PhoneResolver turns what WeChat's getPhoneNumber button gives a
// mini-program into the user's phone number (the commands package adapts
// the WeChat client).
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

// Limits of phone proofs.
const (
	maxPhoneCode      = 128
	maxEncryptedPhone = 4096
	maxPhoneIV        = 64
)

// PhoneProof is what a mini-program sends to bind the user's phone: the
// code of the getPhoneNumber button, or (legacy) its encrypted data and iv.
// Exactly one of the two forms is set.
type PhoneProof struct {
	Code          *string `json:"code"`
	EncryptedData *string `json:"encrypted_data"`
	IV            *string `json:"iv"`
}

// BindPhone resolves proof with WeChat and binds the phone number to user u,
// returning the number in luckbox's stored form. Malformed proofs, codes
// WeChat refuses and data that does not decrypt with the session of the
// user's latest login are invalid_argument; a server without a resolver is
// a conflict.
func (s *Service) BindPhone(ctx context.Context, u User, proof PhoneProof) (string, error) {
	byCode, byData := proof.Code != nil, proof.EncryptedData != nil || proof.IV != nil
	if byCode == byData {
		return "", data.Invalid("code", "send either code (from the getPhoneNumber button) or encrypted_data and iv")
	}
	if s.opts.Phones == nil {
		return "", data.Errorf(data.EConflict, "phone binding is not configured on this server")
	}
	cc, number, err := s.resolvePhone(ctx, u, proof, byCode)
	if err != nil {
		return "", err
	}
	if countryCode := cc; countryCode != "" && countryCode != "86" {
		number = "+" + countryCode + number
	}
	phone, err := NormalizePhone(number)
	if err != nil {
		return "", data.Errorf(data.EInvalid, "WeChat answered a phone number luckbox does not support: %s", err)
	}
	if _, err := s.SetPhone(ctx, u.ID(), phone); err != nil {
		return "", err
	}
	return phone, nil
}

// resolvePhone asks WeChat for the number behind a proof.
func (s *Service) resolvePhone(ctx context.Context, u User, proof PhoneProof, byCode bool) (cc, number string, err error) {
	ph := s.opts.Phones
	if byCode {
		if *proof.Code == "" || len(*proof.Code) > maxPhoneCode {
			return "", "", data.Invalid("code", "must be the code from the getPhoneNumber button")
		}
		cc, number, err = ph.PhoneFromCode(ctx, *proof.Code)
		if err != nil && ph.BadInput(err) {
			return "", "", data.Invalid("code", "the phone code is invalid, expired or already used")
		}
		return cc, number, err
	}
	if proof.EncryptedData == nil || proof.IV == nil || *proof.EncryptedData == "" || *proof.IV == "" ||
		len(*proof.EncryptedData) > maxEncryptedPhone || len(*proof.IV) > maxPhoneIV {
		return "", "", data.Invalid("encrypted_data", "send both encrypted_data and iv from the getPhoneNumber button")
	}
	if u.SessionKey == "" {
		return "", "", data.Invalid("encrypted_data", "no WeChat session to decrypt with: log in again, then retry")
	}
	cc, number, err = ph.PhoneFromEncrypted(ctx, u.SessionKey, *proof.EncryptedData, *proof.IV)
	if err != nil && ph.BadInput(err) {
		return "", "", data.Invalid("encrypted_data",
			"could not be decrypted with the session of your latest login (tampered, from another app, or from an older login): call wx.login, log in again and retry")
	}
	return cc, number, err
}
