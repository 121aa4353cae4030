package wechat_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"luckbox/wechat"

	"github.com/skip2/go-qrcode"
)

func TestGetUnlimitedQRCode(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, c := range []struct{ width, want int }{{0, 430}, {280, 280}, {640, 640}, {5000, 1280}} {
		b, err := e.client.GetUnlimitedQRCode(ctx, "lottery=L1&from=share", "pages/lottery/detail", c.width)
		if err != nil {
			t.Fatal(err)
		}
		if http.DetectContentType(b) != "image/jpeg" {
			t.Fatalf("not a JPEG (WeChat answers JPEG): % x", b[:8])
		}
		img, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if r := img.Bounds(); r.Dx() != c.want || r.Dy() != c.want {
			t.Fatalf("width %d: image %v, want %dx%d", c.width, r, c.want, c.want)
		}
		checkModules(t, img, "lottery=L1&from=share")
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

// checkModules reads the module at the centre of each cell of img and
// compares it with the QR symbol of text: the picture is the code of the
// scene, drawn whole (quiet zone included) at a readable scale.
func checkModules(t *testing.T, img image.Image, text string) {
	t.Helper()
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	want := q.Bitmap()
	n, size := len(want), img.Bounds().Dx()
	wrong := 0
	for y := range n {
		for x := range n {
			px, py := (2*x+1)*size/(2*n), (2*y+1)*size/(2*n)
			r, g, b, _ := img.At(px, py).RGBA()
			if dark := (r+g+b)/3 < 0x8000; dark != want[y][x] {
				wrong++
			}
		}
	}
	if wrong > 0 {
		t.Fatalf("%d of %d modules differ from the QR code of %q", wrong, n*n, text)
	}
}
