package wechat_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"luckbox/wechat"
)

func TestGetPhoneNumberByCode(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var out struct{ Code string }
	e.control(t, "/phone-code", map[string]string{"openid": "alice", "phone": "13800000000"}, &out)
	p, err := e.client.GetPhoneNumber(ctx, out.Code)
	if err != nil {
		t.Fatal(err)
	}
	if p != (wechat.Phone{PhoneNumber: "13800000000", PurePhoneNumber: "13800000000", CountryCode: "86"}) {
		t.Fatalf("phone %+v", p)
	}
	_, err = e.client.GetPhoneNumber(ctx, out.Code)
	wantCode(t, err, 40029)
	_, err = e.client.GetPhoneNumber(ctx, "unknown")
	wantCode(t, err, 40029)
	tok, _ := e.client.AccessToken(ctx)
	noSecrets(t, err, tok)
}

// phoneServer answers every token request and phone request with body.
func phoneServer(t *testing.T, body string) *wechat.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cgi-bin/stable_token" {
			fmt.Fprint(w, `{"access_token":"tok","expires_in":7200}`)
			return
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return wechat.New(wechat.Config{AppID: appID, Secret: secret, BaseURL: srv.URL})
}

func TestGetPhoneNumberCountryCodeAsNumber(t *testing.T) {
	c := phoneServer(t, `{"errcode":0,"errmsg":"ok","phone_info":{"phoneNumber":"13800000000","purePhoneNumber":"13800000000","countryCode":86,"watermark":{"timestamp":1,"appid":"`+appID+`"}}}`)
	p, err := c.GetPhoneNumber(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if p.CountryCode != "86" || p.PurePhoneNumber != "13800000000" {
		t.Fatalf("phone %+v", p)
	}
}

func TestGetPhoneNumberChecksAnswer(t *testing.T) {
	c := phoneServer(t, `{"errcode":0,"errmsg":"ok","phone_info":{"phoneNumber":"13800000000","countryCode":"86","watermark":{"timestamp":1,"appid":"wxother"}}}`)
	if _, err := c.GetPhoneNumber(context.Background(), "x"); !errors.Is(err, wechat.ErrWatermark) {
		t.Fatalf("foreign watermark: %v", err)
	}
	c = phoneServer(t, `{"errcode":0,"errmsg":"ok"}`)
	if _, err := c.GetPhoneNumber(context.Background(), "x"); err == nil {
		t.Fatal("answer without phone_info accepted")
	}
	c = phoneServer(t, `{"phone_info":{"phoneNumber":"13800000000","countryCode":[1]}}`)
	if _, err := c.GetPhoneNumber(context.Background(), "x"); err == nil {
		t.Fatal("countryCode array accepted")
	}
}
