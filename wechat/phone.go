package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

// Phone is a user's phone number as WeChat reports it.
type Phone struct {
	PhoneNumber     string // with the country code for numbers outside mainland China
	PurePhoneNumber string // without the country code
	CountryCode     string // e.g. "86"
}

// mpWatermark is the watermark WeChat puts in phone and legacy encrypted data.
type mpWatermark struct {
	AppID     string `json:"appid"`
	Timestamp int64  `json:"timestamp"`
}

// mpPhoneJSON is phone_info in getuserphonenumber and the legacy decrypted
// getPhoneNumber payload.
type mpPhoneJSON struct {
	PhoneNumber     string       `json:"phoneNumber"`
	PurePhoneNumber string       `json:"purePhoneNumber"`
	CountryCode     mpFlexString `json:"countryCode"`
	Watermark       *mpWatermark `json:"watermark"`
}

func (p mpPhoneJSON) phone() Phone {
	return Phone{PhoneNumber: p.PhoneNumber, PurePhoneNumber: p.PurePhoneNumber, CountryCode: string(p.CountryCode)}
}

// mpFlexString accepts a JSON string or number (WeChat has sent countryCode
// both ways) and keeps its text.
type mpFlexString string

// UnmarshalJSON implements json.Unmarshaler.
func (s *mpFlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*s = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = mpFlexString(v)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or a number, got %.20s", b)
	}
	*s = mpFlexString(n.String())
	return nil
}

// GetPhoneNumber exchanges a getPhoneNumber button code for the user's phone
// number (POST /wxa/business/getuserphonenumber). A bad code is errcode 40029.
func (c *Client) GetPhoneNumber(ctx context.Context, code string) (Phone, error) {
	const op = "getuserphonenumber"
	in := struct {
		Code string `json:"code"`
	}{code}
	var out struct {
		PhoneInfo *mpPhoneJSON `json:"phone_info"`
	}
	if err := c.postJSON(ctx, op, "/wxa/business/getuserphonenumber", in, &out); err != nil {
		return Phone{}, err
	}
	if out.PhoneInfo == nil || out.PhoneInfo.PhoneNumber == "" {
		return Phone{}, fmt.Errorf("wechat: %s: answer lacks phone_info", op)
	}
	if w := out.PhoneInfo.Watermark; w != nil && w.AppID != "" && w.AppID != c.appID {
		return Phone{}, fmt.Errorf("wechat: %s: %w", op, ErrWatermark)
	}
	return out.PhoneInfo.phone(), nil
}
