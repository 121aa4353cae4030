package wechat_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"luckbox/wechat"
)

// htmlEscapes are what encoding/json makes of &, < and > by default.
var htmlEscapes = []string{`\u0026`, `\u003c`, `\u003e`}

// checkUnescaped fails unless body holds every want verbatim and no HTML
// escape of encoding/json.
func checkUnescaped(t *testing.T, what string, body []byte, want ...string) {
	t.Helper()
	for _, esc := range htmlEscapes {
		if bytes.Contains(body, []byte(esc)) {
			t.Errorf("%s: body escapes HTML characters (%s): %s", what, esc, body)
		}
	}
	for _, w := range want {
		if !bytes.Contains(body, []byte(w)) {
			t.Errorf("%s: body lacks %q verbatim: %s", what, w, body)
		}
	}
	if bytes.HasSuffix(body, []byte("\n")) {
		t.Errorf("%s: body ends with a newline", what)
	}
}

// TestMiniProgramBodiesUnescaped: the JSON bodies of the mini-program API
// carry &, < and > as typed (lottery titles in subscribe messages, page paths
// with a query, scenes), not as \u0026, \u003c, \u003e.
func TestMiniProgramBodiesUnescaped(t *testing.T) {
	var mu sync.Mutex
	bodies := map[string][]byte{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies[r.URL.Path] = b
		mu.Unlock()
		switch r.URL.Path {
		case "/cgi-bin/stable_token":
			fmt.Fprint(w, `{"access_token":"tok","expires_in":7200}`)
		case "/wxa/getwxacodeunlimit":
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write([]byte("\xff\xd8\xff\xe0 not really a JPEG"))
		case "/wxa/business/getuserphonenumber":
			fmt.Fprint(w, `{"errcode":0,"errmsg":"ok","phone_info":{"phoneNumber":"13800000000","purePhoneNumber":"13800000000","countryCode":"86"}}`)
		default:
			fmt.Fprint(w, `{"errcode":0,"errmsg":"ok"}`)
		}
	}))
	t.Cleanup(srv.Close)
	c := wechat.New(wechat.Config{AppID: appID, Secret: "s&<cret>", BaseURL: srv.URL})
	ctx := context.Background()

	err := c.SendSubscribeMessage(ctx, wechat.SubscribeMessage{ToUser: "o-alice", TemplateID: "tpl",
		Page: "pages/lottery/detail?id=L1&from=msg", Data: map[string]string{"thing1": "Tom & Jerry <Final>"}})
	if err != nil {
		t.Fatalf("SendSubscribeMessage: %v", err)
	}
	if _, err := c.GetUnlimitedQRCode(ctx, "l=L1&f=qr", "pages/index/index", 0); err != nil {
		t.Fatalf("GetUnlimitedQRCode: %v", err)
	}
	if _, err := c.GetPhoneNumber(ctx, "code&<1>"); err != nil {
		t.Fatalf("GetPhoneNumber: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	checkUnescaped(t, "stable_token", bodies["/cgi-bin/stable_token"], `"secret":"s&<cret>"`)
	checkUnescaped(t, "subscribe", bodies["/cgi-bin/message/subscribe/send"],
		`"page":"pages/lottery/detail?id=L1&from=msg"`, `"value":"Tom & Jerry <Final>"`)
	checkUnescaped(t, "wxacode", bodies["/wxa/getwxacodeunlimit"], `"scene":"l=L1&f=qr"`)
	checkUnescaped(t, "phone", bodies["/wxa/business/getuserphonenumber"], `"code":"code&<1>"`)
}

// TestPayBodiesUnescaped: the WeChat Pay client sends order descriptions and
// attachments as typed, and signs exactly the bytes it sends (the fake
// verifies the signature over the raw body).
func TestPayBodiesUnescaped(t *testing.T) {
	e := newPayEnv(t)
	r := paySampleOrder("ORDER_AMP001")
	r.Description, r.Attach = "Tom & Jerry <红包>", "a=1&b=<2>"
	e.prepay(t, r)
	o, ok := e.fake.Order("ORDER_AMP001")
	if !ok || o.Description != r.Description || o.Attach != r.Attach {
		t.Fatalf("fake order %+v", o)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	checkUnescaped(t, "prepay", e.seen[0].Body, `"description":"Tom & Jerry <红包>"`, `"attach":"a=1&b=<2>"`)
	if !strings.HasPrefix(string(e.seen[0].Body), `{"appid":`) {
		t.Errorf("prepay body %s", e.seen[0].Body)
	}
}
