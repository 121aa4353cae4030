package web

import (
	"bytes"
	"encoding/binary"
	"image/png"
	"testing"
)

// TestFavicon: /favicon.ico is an ICO holding a 32×32 PNG of the icon (the
// gold seal in the middle, transparent corners), cached by ETag.
func TestFavicon(t *testing.T) {
	h := newHarness(t)
	r := h.do("GET", "/favicon.ico", "", nil)
	wantStatus(t, r, 200, "")
	if ct := r.Header.Get("Content-Type"); ct != "image/x-icon" {
		t.Fatalf("Content-Type %q", ct)
	}
	b := r.Body
	if len(b) < 22 || binary.LittleEndian.Uint16(b[2:]) != 1 || binary.LittleEndian.Uint16(b[4:]) != 1 || b[6] != 32 {
		t.Fatalf("not a one-image 32×32 ICO: % x", b[:min(len(b), 22)])
	}
	img, err := png.Decode(bytes.NewReader(b[binary.LittleEndian.Uint32(b[18:]):]))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
		t.Errorf("corner not transparent")
	}
	if r, g, bl, _ := img.At(16, 18).RGBA(); r>>8 < 0xe0 || g>>8 < 0xa0 || bl>>8 > 0x80 {
		t.Errorf("centre %x %x %x is not the gold seal", r>>8, g>>8, bl>>8)
	}
	wantStatus(t, h.do("GET", "/favicon.ico", "", nil, "If-None-Match", r.Header.Get("ETag")), 304, "")
}
