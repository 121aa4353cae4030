package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"sync"
	"time"
)

// The favicon browsers ask for at /favicon.ico: the red packet of
// static/icon.svg (envelope, flap, gold seal) drawn at 32×32 when first
// asked for, PNG inside an ICO container, so the binary needs no image file.
var (
	faviconOnce sync.Once
	favicon     asset
)

func (s *Server) handleFavicon(w http.ResponseWriter, r *http.Request) {
	faviconOnce.Do(func() {
		b := faviconICO(32)
		sum := sha256.Sum256(b)
		favicon = asset{body: b, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	})
	h := w.Header()
	h.Set("Content-Type", "image/x-icon")
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("ETag", favicon.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(favicon.body))
}

// faviconICO draws the icon at size×size pixels and wraps its PNG in an ICO
// file (one image; ICO has held PNG images since Windows Vista).
func faviconICO(size int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	red := color.NRGBA{0xd9, 0x36, 0x3e, 0xff}
	dark := color.NRGBA{0xb3, 0x26, 0x2d, 0xff}
	gold := color.NRGBA{0xf5, 0xc0, 0x4a, 0xff}
	const n = 4 // samples per pixel side, for smooth edges
	for py := range size {
		for px := range size {
			var r, g, b, a float64
			for sy := range n {
				for sx := range n {
					// On the 64×64 grid of icon.svg.
					x := (float64(px) + (float64(sx)+.5)/n) * 64 / float64(size)
					y := (float64(py) + (float64(sy)+.5)/n) * 64 / float64(size)
					c, ok := faviconAt(x, y, red, dark, gold)
					if ok {
						r, g, b, a = r+float64(c.R), g+float64(c.G), b+float64(c.B), a+1
					}
				}
			}
			if a > 0 {
				img.SetNRGBA(px, py, color.NRGBA{uint8(r / a), uint8(g / a), uint8(b / a), uint8(255 * a / (n * n))})
			}
		}
	}
	var p bytes.Buffer
	_ = png.Encode(&p, img) // encoding to memory does not fail
	var ico bytes.Buffer
	le := func(v any) { _ = binary.Write(&ico, binary.LittleEndian, v) }
	le([3]uint16{0, 1, 1})   // reserved, type icon, one image
	dim := uint8(size % 256) // 0 means 256
	ico.Write([]byte{dim, dim, 0, 0})
	le([2]uint16{1, 32})               // colour planes, bits per pixel
	le([2]uint32{uint32(p.Len()), 22}) // image size, offset (6 + 16)
	ico.Write(p.Bytes())
	return ico.Bytes()
}

// faviconAt is the colour of the icon at (x, y) on the 64×64 grid, if any.
func faviconAt(x, y float64, red, dark, gold color.NRGBA) (color.NRGBA, bool) {
	if math.Hypot(x-32, y-36) <= 9 {
		return gold, true
	}
	if !inRoundRect(x, y, 6, 10, 58, 56, 8) {
		return color.NRGBA{}, false
	}
	// The flap: a 4-wide line from (6,22) to (32,36) to (58,22).
	fy := 22 + 14*(1-math.Abs(x-32)/26)
	if math.Abs(y-fy) <= 2.2 {
		return dark, true
	}
	return red, true
}

func inRoundRect(x, y, x0, y0, x1, y1, rad float64) bool {
	if x < x0 || x > x1 || y < y0 || y > y1 {
		return false
	}
	cx := math.Max(x0+rad, math.Min(x, x1-rad))
	cy := math.Max(y0+rad, math.Min(y, y1-rad))
	return math.Hypot(x-cx, y-cy) <= rad
}
