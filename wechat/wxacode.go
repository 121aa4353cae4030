package wechat

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// GetUnlimitedQRCode returns an image of a mini-program code that opens page
// with scene as its parameter (POST /wxa/getwxacodeunlimit, check_path false).
// scene is at most 32 visible characters (errcode 40169 otherwise, 40129 for
// characters WeChat does not allow); page is like "pages/index/index" without
// a leading slash, empty for the home page; width is the image width in
// pixels (280..1280), 0 for WeChat's default 430. WeChat answers a JPEG (a
// PNG has been seen too) and so does the fake: callers should sniff the bytes.
func (c *Client) GetUnlimitedQRCode(ctx context.Context, scene, page string, width int) ([]byte, error) {
	const op = "getwxacodeunlimit"
	in := struct {
		Scene     string `json:"scene"`
		Page      string `json:"page,omitempty"`
		Width     int    `json:"width,omitempty"`
		CheckPath bool   `json:"check_path"`
	}{scene, page, width, false}
	var img []byte
	err := c.withToken(ctx, func(tok string) error {
		data, ctype, err := c.send(ctx, op, http.MethodPost, tokenPath("/wxa/getwxacodeunlimit", tok), in, mpMaxImage)
		if err != nil {
			return err
		}
		if mpIsJSON(ctype, data) {
			if err := c.decode(op, data, nil, tok); err != nil {
				return err
			}
			return fmt.Errorf("wechat: %s: got JSON without errcode instead of an image", op)
		}
		if len(data) == 0 {
			return fmt.Errorf("wechat: %s: empty answer", op)
		}
		img = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	return img, nil
}

// mpIsJSON reports whether an answer that should be an image is a JSON error.
func mpIsJSON(ctype string, data []byte) bool {
	if mt, _, err := mime.ParseMediaType(ctype); err == nil {
		if mt == "application/json" || strings.HasPrefix(mt, "text/") {
			return true
		}
		if strings.HasPrefix(mt, "image/") {
			return false
		}
	}
	t := bytes.TrimLeft(data, " \t\r\n")
	return len(t) > 0 && t[0] == '{'
}
