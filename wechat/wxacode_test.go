package wechat_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"luckbox/wechat"
)

func TestGetUnlimitedQRCode(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, c := range []struct{ width, want int }{{0, 430}, {280, 280}, {640, 640}, {5000, 1280}} {
		b, err := e.client.GetUnlimitedQRCode(ctx, "lottery=L1&from=share", "pages/lottery/detail", c.width)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatalf("not a PNG: % x", b[:8])
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if r := img.Bounds(); r.Dx() != c.want || r.Dy() != c.want {
			t.Fatalf("width %d: image %v, want %dx%d", c.width, r, c.want, c.want)
		}
	}
	_, err := e.client.GetUnlimitedQRCode(ctx, strings.Repeat("s", 33), "", 0)
	wantCode(t, err, 40169)
	if _, err := e.client.GetUnlimitedQRCode(ctx, strings.Repeat("s", 32), "", 0); err != nil {
		t.Fatalf("32-character scene: %v", err)
	}
	_, err = e.client.GetUnlimitedQRCode(ctx, "a b", "", 0)
	wantCode(t, err, 40129)
}

func TestGetUnlimitedQRCodeJSONErrorAsText(t *testing.T) {
	// WeChat has answered errors with Content-Type text/plain: the leading
	// '{' and the content type must both be recognised.
	for _, ctype := range []string{"text/plain", "application/json; charset=utf-8", ""} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/cgi-bin/stable_token" {
				fmt.Fprint(w, `{"access_token":"tok","expires_in":7200}`)
				return
			}
			w.Header()["Content-Type"] = []string{ctype}
			fmt.Fprint(w, ` {"errcode":45009,"errmsg":"reach max api daily quota limit"}`)
		}))
		c := wechat.New(wechat.Config{AppID: appID, Secret: secret, BaseURL: srv.URL})
		_, err := c.GetUnlimitedQRCode(context.Background(), "x", "", 0)
		srv.Close()
		wantCode(t, err, 45009)
	}
}
