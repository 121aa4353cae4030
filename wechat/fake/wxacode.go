package fake

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"net/http"
	"strings"

	"github.com/skip2/go-qrcode"
)

// sceneChars are the characters WeChat allows in a scene besides letters and
// digits.
const sceneChars = "!#$&'()*+,/:;=?@-._~"

// handleWxaCode serves POST /wxa/getwxacodeunlimit: scene 1..32 characters
// (else 40169) of letters, digits and !#$&'()*+,/:;=?@-._~ (else 40129);
// page without a leading slash or query (else 41030); width clamped to
// 280..1280, default 430. Success is an image/jpeg, as WeChat answers: a
// QR code of the scene (WeChat draws round "sun codes"; any phone camera
// reads these).
func (f *Fake) handleWxaCode(w http.ResponseWriter, r *http.Request) {
	if !f.checkToken(w, r) {
		return
	}
	var in struct {
		Scene      *string `json:"scene"`
		Page       string  `json:"page"`
		Width      int     `json:"width"`
		CheckPath  *bool   `json:"check_path"`
		EnvVersion string  `json:"env_version"`
	}
	if !f.wxDecode(w, r, &in) {
		return
	}
	if in.Scene == nil || len(*in.Scene) == 0 || len(*in.Scene) > 32 {
		f.wxErr(w, 40169, "invalid length for scene, or the data is not json string")
		return
	}
	scene := *in.Scene
	for _, c := range scene {
		if !(c < 0x80 && (c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || strings.ContainsRune(sceneChars, c))) {
			f.wxErr(w, 40129, "invalid scene")
			return
		}
	}
	if strings.HasPrefix(in.Page, "/") || strings.ContainsAny(in.Page, "?# ") {
		f.wxErr(w, 41030, "invalid page")
		return
	}
	switch in.EnvVersion {
	case "", "release", "trial", "develop":
	default:
		f.wxErr(w, 40097, "invalid args: env_version")
		return
	}
	width := in.Width
	switch {
	case width == 0:
		width = 430
	case width < 280:
		width = 280
	case width > 1280:
		width = 1280
	}
	img, err := qrJPEG(scene, width)
	if err != nil {
		f.wxErr(w, -1, "system error")
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(img)
}

// qrJPEG renders text as a width×width JPEG QR code (error correction level
// M, with its quiet zone), encoded by github.com/skip2/go-qrcode.
func qrJPEG(text string, width int) ([]byte, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("fake: encode qr: %w", err)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, q.Image(width), &jpeg.Options{Quality: 90}); err != nil {
		return nil, fmt.Errorf("fake: encode jpeg: %w", err)
	}
	return buf.Bytes(), nil
}
