package fake

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
)

// This file holds a small QR Code encoder (ISO/IEC 18004: byte mode, error
// correction level M, versions 1..10, all eight masks scored by the four
// penalty rules) and the fake's mini-program code endpoint, which answers a
// real, scannable PNG QR code of the scene text. (WeChat draws round "sun
// codes"; any phone camera reads these.)

// qrMaxVersion is the largest version the encoder supports.
const qrMaxVersion = 10

// qrBlocks describes level M error correction per version: EC codewords per
// block, then (blocks, data codewords each) for the two block groups.
var qrBlocks = [qrMaxVersion + 1]struct{ ec, n1, d1, n2, d2 int }{
	1:  {10, 1, 16, 0, 0},
	2:  {16, 1, 28, 0, 0},
	3:  {26, 1, 44, 0, 0},
	4:  {18, 2, 32, 0, 0},
	5:  {24, 2, 43, 0, 0},
	6:  {16, 4, 27, 0, 0},
	7:  {18, 4, 31, 0, 0},
	8:  {22, 2, 38, 2, 39},
	9:  {22, 3, 36, 2, 37},
	10: {26, 4, 43, 1, 44},
}

// qrAlign lists the alignment pattern centre coordinates per version.
var qrAlign = [qrMaxVersion + 1][]int{
	2: {6, 18}, 3: {6, 22}, 4: {6, 26}, 5: {6, 30}, 6: {6, 34},
	7: {6, 22, 38}, 8: {6, 24, 42}, 9: {6, 26, 46}, 10: {6, 28, 50},
}

// qrDataCodewords is the number of data codewords of a version at level M.
func qrDataCodewords(v int) int {
	b := qrBlocks[v]
	return b.n1*b.d1 + b.n2*b.d2
}

// qrCountBits is the width of the byte-mode character count field.
func qrCountBits(v int) int {
	if v <= 9 {
		return 8
	}
	return 16
}

// qrCode is an encoded symbol: modules[y][x], true = dark.
type qrCode struct {
	version, mask int
	size          int
	modules       [][]bool
	function      [][]bool // function patterns and format/version areas
}

var errQRTooLong = errors.New("fake: data too long for a version 10-M QR code")

// qrEncode encodes data in byte mode at level M with the smallest version
// that fits and the mask with the lowest penalty.
func qrEncode(data []byte) (*qrCode, error) {
	for v := 1; v <= qrMaxVersion; v++ {
		if 4+qrCountBits(v)+8*len(data) <= 8*qrDataCodewords(v) {
			return qrEncodeWith(data, v, -1)
		}
	}
	return nil, errQRTooLong
}

// qrEncodeWith encodes data at version v with the given mask (0..7), or with
// the best mask when mask is -1.
func qrEncodeWith(data []byte, v, mask int) (*qrCode, error) {
	if v < 1 || v > qrMaxVersion || mask < -1 || mask > 7 {
		return nil, fmt.Errorf("fake: bad QR version %d or mask %d", v, mask)
	}
	cw, err := qrCodewords(data, v)
	if err != nil {
		return nil, err
	}
	q := newQRCode(v)
	q.drawFunctionPatterns()
	q.drawCodewords(cw)
	if mask >= 0 {
		q.applyMask(mask)
		q.drawFormat(mask)
		q.mask = mask
		return q, nil
	}
	best, bestScore := 0, -1
	for m := 0; m < 8; m++ {
		q.applyMask(m)
		q.drawFormat(m)
		if s := q.penalty(); bestScore < 0 || s < bestScore {
			best, bestScore = m, s
		}
		q.applyMask(m) // XOR again undoes the mask
	}
	q.applyMask(best)
	q.drawFormat(best)
	q.mask = best
	return q, nil
}

// qrCodewords builds the data bit stream (mode, count, bytes, terminator,
// padding), splits it into blocks, adds Reed-Solomon codewords and
// interleaves everything into the final codeword sequence.
func qrCodewords(data []byte, v int) ([]byte, error) {
	capBits := 8 * qrDataCodewords(v)
	var bits qrBits
	bits.put(0b0100, 4)
	bits.put(len(data), qrCountBits(v))
	for _, b := range data {
		bits.put(int(b), 8)
	}
	if bits.n > capBits {
		return nil, errQRTooLong
	}
	bits.put(0, min(4, capBits-bits.n))
	bits.put(0, (8-bits.n%8)%8)
	for pad := 0xEC; bits.n < capBits; pad ^= 0xEC ^ 0x11 {
		bits.put(pad, 8)
	}
	stream := bits.bytes()

	b := qrBlocks[v]
	div := rsDivisor(b.ec)
	var dataBlocks, ecBlocks [][]byte
	off := 0
	for i := 0; i < b.n1+b.n2; i++ {
		n := b.d1
		if i >= b.n1 {
			n = b.d2
		}
		blk := stream[off : off+n]
		off += n
		dataBlocks = append(dataBlocks, blk)
		ecBlocks = append(ecBlocks, rsRemainder(blk, div))
	}
	out := make([]byte, 0, capBits/8+b.ec*(b.n1+b.n2))
	for i := 0; i < max(b.d1, b.d2); i++ {
		for _, blk := range dataBlocks {
			if i < len(blk) {
				out = append(out, blk[i])
			}
		}
	}
	for i := 0; i < b.ec; i++ {
		for _, blk := range ecBlocks {
			out = append(out, blk[i])
		}
	}
	return out, nil
}

// qrBits is a big-endian bit buffer.
type qrBits struct {
	buf []byte
	n   int
}

func (b *qrBits) put(v, width int) {
	for i := width - 1; i >= 0; i-- {
		if b.n%8 == 0 {
			b.buf = append(b.buf, 0)
		}
		if v>>i&1 == 1 {
			b.buf[b.n/8] |= 0x80 >> (b.n % 8)
		}
		b.n++
	}
}

func (b *qrBits) bytes() []byte { return b.buf }

// ---- Reed-Solomon over GF(2^8) with polynomial x^8+x^4+x^3+x^2+1 -----------

// gfMul multiplies in GF(256) modulo 0x11D.
func gfMul(x, y byte) byte {
	z := 0
	for i := 7; i >= 0; i-- {
		z = z<<1 ^ (z>>7)*0x11D
		z ^= int(y>>i&1) * int(x)
	}
	return byte(z)
}

// rsDivisor returns the generator polynomial (x-α^0)(x-α^1)…(x-α^(n-1))
// without its leading 1, highest degree first.
func rsDivisor(n int) []byte {
	g := make([]byte, n)
	g[n-1] = 1
	root := byte(1)
	for i := 0; i < n; i++ {
		for j := range g {
			g[j] = gfMul(g[j], root)
			if j+1 < n {
				g[j] ^= g[j+1]
			}
		}
		root = gfMul(root, 2)
	}
	return g
}

// rsRemainder returns the error correction codewords of data.
func rsRemainder(data, div []byte) []byte {
	r := make([]byte, len(div))
	for _, b := range data {
		f := b ^ r[0]
		copy(r, r[1:])
		r[len(r)-1] = 0
		for i := range r {
			r[i] ^= gfMul(div[i], f)
		}
	}
	return r
}

// ---- module placement -------------------------------------------------------

func newQRCode(v int) *qrCode {
	size := 17 + 4*v
	q := &qrCode{version: v, size: size}
	q.modules = make([][]bool, size)
	q.function = make([][]bool, size)
	for y := range size {
		q.modules[y] = make([]bool, size)
		q.function[y] = make([]bool, size)
	}
	return q
}

// setFunc sets a function module at column x, row y.
func (q *qrCode) setFunc(x, y int, dark bool) {
	q.modules[y][x] = dark
	q.function[y][x] = true
}

// drawFunctionPatterns draws finders, separators, timing and alignment
// patterns, the dark module, and reserves the format and version areas.
func (q *qrCode) drawFunctionPatterns() {
	n := q.size
	for i := 0; i < n; i++ {
		q.setFunc(6, i, i%2 == 0)
		q.setFunc(i, 6, i%2 == 0)
	}
	q.drawFinder(3, 3)
	q.drawFinder(n-4, 3)
	q.drawFinder(3, n-4)
	al := qrAlign[q.version]
	for i, cx := range al {
		for j, cy := range al {
			last := len(al) - 1
			if i == 0 && j == 0 || i == 0 && j == last || i == last && j == 0 {
				continue // these overlap finder patterns
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					q.setFunc(cx+dx, cy+dy, max(abs(dx), abs(dy)) != 1)
				}
			}
		}
	}
	q.drawFormat(0) // reserve; overwritten once the mask is known
	q.drawVersion()
}

// drawFinder draws a finder pattern centred on (cx, cy) with its separator.
func (q *qrCode) drawFinder(cx, cy int) {
	for dy := -4; dy <= 4; dy++ {
		for dx := -4; dx <= 4; dx++ {
			x, y := cx+dx, cy+dy
			if x < 0 || y < 0 || x >= q.size || y >= q.size {
				continue
			}
			d := max(abs(dx), abs(dy))
			q.setFunc(x, y, d != 2 && d != 4)
		}
	}
}

// qrFormatBits returns the 15-bit format information for level M and mask.
func qrFormatBits(mask int) int {
	data := 0b00<<3 | mask // level M is 00
	rem := data
	for range 10 {
		rem = rem<<1 ^ (rem>>9)*0x537
	}
	return (data<<10 | rem) ^ 0x5412
}

// drawFormat writes both copies of the format information and the dark module.
func (q *qrCode) drawFormat(mask int) {
	bits := qrFormatBits(mask)
	bit := func(i int) bool { return bits>>i&1 == 1 }
	n := q.size
	for i := 0; i <= 5; i++ {
		q.setFunc(8, i, bit(i))
	}
	q.setFunc(8, 7, bit(6))
	q.setFunc(8, 8, bit(7))
	q.setFunc(7, 8, bit(8))
	for i := 9; i < 15; i++ {
		q.setFunc(14-i, 8, bit(i))
	}
	for i := 0; i < 8; i++ {
		q.setFunc(n-1-i, 8, bit(i))
	}
	for i := 8; i < 15; i++ {
		q.setFunc(8, n-15+i, bit(i))
	}
	q.setFunc(8, n-8, true) // the dark module
}

// qrVersionBits returns the 18-bit version information (versions ≥ 7).
func qrVersionBits(v int) int {
	rem := v
	for range 12 {
		rem = rem<<1 ^ (rem>>11)*0x1F25
	}
	return v<<12 | rem
}

// drawVersion writes both copies of the version information (versions ≥ 7).
func (q *qrCode) drawVersion() {
	if q.version < 7 {
		return
	}
	bits := qrVersionBits(q.version)
	for i := 0; i < 18; i++ {
		dark := bits>>i&1 == 1
		a, b := q.size-11+i%3, i/3
		q.setFunc(a, b, dark)
		q.setFunc(b, a, dark)
	}
}

// drawCodewords places the codeword bits in the zigzag order: two-module
// columns from the right, alternately upwards and downwards, skipping the
// vertical timing pattern and every function module. Leftover modules (the
// remainder bits) stay light.
func (q *qrCode) drawCodewords(cw []byte) {
	i, total := 0, len(cw)*8
	for right := q.size - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		upward := (right+1)&2 == 0
		for vert := 0; vert < q.size; vert++ {
			y := vert
			if upward {
				y = q.size - 1 - vert
			}
			for j := 0; j < 2; j++ {
				x := right - j
				if q.function[y][x] || i >= total {
					continue
				}
				q.modules[y][x] = cw[i/8]>>(7-i%8)&1 == 1
				i++
			}
		}
	}
}

// qrMaskBit reports whether mask m inverts the module at column x, row y.
func qrMaskBit(m, x, y int) bool {
	switch m {
	case 0:
		return (x+y)%2 == 0
	case 1:
		return y%2 == 0
	case 2:
		return x%3 == 0
	case 3:
		return (x+y)%3 == 0
	case 4:
		return (x/3+y/2)%2 == 0
	case 5:
		return x*y%2+x*y%3 == 0
	case 6:
		return (x*y%2+x*y%3)%2 == 0
	default:
		return ((x+y)%2+x*y%3)%2 == 0
	}
}

// applyMask XORs mask m onto every non-function module.
func (q *qrCode) applyMask(m int) {
	for y := 0; y < q.size; y++ {
		for x := 0; x < q.size; x++ {
			if !q.function[y][x] && qrMaskBit(m, x, y) {
				q.modules[y][x] = !q.modules[y][x]
			}
		}
	}
}

// penalty scores the symbol by the four rules of ISO/IEC 18004 §7.8.3:
// runs of five or more same-colour modules (3 + run-5), 2×2 same-colour
// blocks (3 each), finder-like 1:1:3:1:1 patterns with four light modules on
// one side (40 each; outside the symbol counts as light), and the deviation
// of the dark share from 50 % (10 per 5 %).
func (q *qrCode) penalty() int {
	n := q.size
	at := func(x, y int, horizontal bool) bool {
		if horizontal {
			return q.modules[y][x]
		}
		return q.modules[x][y]
	}
	score := 0
	for _, horiz := range []bool{true, false} {
		for line := 0; line < n; line++ {
			run := 1
			for i := 1; i <= n; i++ {
				if i < n && at(i, line, horiz) == at(i-1, line, horiz) {
					run++
					continue
				}
				if run >= 5 {
					score += 3 + run - 5
				}
				run = 1
			}
			// Rule 3 over the line padded with four light modules each side.
			get := func(i int) bool {
				if i < 0 || i >= n {
					return false
				}
				return at(i, line, horiz)
			}
			for i := -4; i+6 < n+4; i++ {
				if !(get(i) && !get(i+1) && get(i+2) && get(i+3) && get(i+4) && !get(i+5) && get(i+6)) {
					continue
				}
				before := !get(i-1) && !get(i-2) && !get(i-3) && !get(i-4)
				after := !get(i+7) && !get(i+8) && !get(i+9) && !get(i+10)
				if before || after {
					score += 40
				}
			}
		}
	}
	dark := 0
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			c := q.modules[y][x]
			if c {
				dark++
			}
			if x+1 < n && y+1 < n && c == q.modules[y][x+1] && c == q.modules[y+1][x] && c == q.modules[y+1][x+1] {
				score += 3
			}
		}
	}
	total := n * n
	k := (abs(dark*20-total*10)+total-1)/total - 1
	score += k * 10
	return score
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// ---- rendering and the endpoint -------------------------------------------------

// qrPNG renders q as a width×width PNG with a quiet zone of at least four
// modules, whole-pixel modules and the symbol centred.
func qrPNG(q *qrCode, width int) ([]byte, error) {
	scale := width / (q.size + 8)
	if scale < 1 {
		return nil, fmt.Errorf("fake: width %d too small for a %d-module QR code", width, q.size)
	}
	off := (width - scale*q.size) / 2
	img := image.NewPaletted(image.Rect(0, 0, width, width), color.Palette{color.White, color.Black})
	for y := 0; y < q.size; y++ {
		for x := 0; x < q.size; x++ {
			if !q.modules[y][x] {
				continue
			}
			for py := 0; py < scale; py++ {
				row := img.Pix[(off+y*scale+py)*img.Stride:]
				for px := 0; px < scale; px++ {
					row[off+x*scale+px] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("fake: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// sceneChars are the characters WeChat allows in a scene besides letters and
// digits.
const sceneChars = "!#$&'()*+,/:;=?@-._~"

// handleWxaCode serves POST /wxa/getwxacodeunlimit: scene 1..32 characters
// (else 40169) of letters, digits and !#$&'()*+,/:;=?@-._~ (else 40129);
// page without a leading slash or query (else 41030); width clamped to
// 280..1280, default 430. Success is an image/png QR code of the scene.
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
	q, err := qrEncode([]byte(scene))
	if err == nil {
		var img []byte
		if img, err = qrPNG(q, width); err == nil {
			w.Header().Set("Content-Type", "image/png")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(img)
			return
		}
	}
	f.wxErr(w, -1, "system error")
}
