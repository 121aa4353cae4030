package fake

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
)

// The reference matrices below were produced by libqrencode 4.1.1, an
// independent implementation, with
//
//	qrencode -8 -l M -m 0 -t ASCII '<input>'
//
// ('#' dark, '.' light). libqrencode chose mask 3 for "HELLO WORLD"
// (version 1) and mask 2 for "luckbox-" ×14 (version 7: two-group
// interleaving and version information). During development every PNG of
// versions 1..10 and all eight masks was also read back with zbarimg.
var refHelloWorld = []string{
	"#######.#...#.#######",
	"#.....#.#...#.#.....#",
	"#.###.#.......#.###.#",
	"#.###.#.#.#.#.#.###.#",
	"#.###.#..###..#.###.#",
	"#.....#...###.#.....#",
	"#######.#.#.#.#######",
	"........#####........",
	"#.##.###.#.##.#..#.##",
	".##....#.#######.##..",
	".....#####.#.#.#...##",
	"#.#.##.##..#...#.#.#.",
	"#...#.##.##.##....#.#",
	"........#.##..##..#.#",
	"#######.#.#######....",
	"#.....#.###..#.#.####",
	"#.###.#..#..#.#..#...",
	"#.###.#.###...#..###.",
	"#.###.#.##..#..#..#..",
	"#.....#..###.####...#",
	"#######.##.#.#.#.....",
}

var refLuckboxV7 = []string{
	"#######.....#..##..#.##..#.#.####...#.#######",
	"#.....#...#.#...######.####.##.###.#..#.....#",
	"#.###.#.#..#.######..#.######.#.##.#..#.###.#",
	"#.###.#.#.#...#.###.####.#.....#...##.#.###.#",
	"#.###.#.#..###.#...######....###..###.#.###.#",
	"#.....#.###.##...#..#...#......#.#....#.....#",
	"#######.#.#.#.#.#.#.#.#.#.#.#.#.#.#.#.#######",
	"........###...###..##...#.###...#.#.#........",
	"#.#####........#.#.########..#.#.#.#..#####..",
	"######.#.#....#.#.#.#.####..#####..###.###.##",
	"#.#...#....#..#.#.##..#.#.##......##..##.###.",
	"...##...#.##..#........##..##.#.#.##..#.###..",
	"....#.#.###..#.#####..#.####.#.#.....##....##",
	"#....#.#..##.##.#.....#..#.#.####...##.#....#",
	"#.##..#.####.#.#...######.###...###.#.#.#.##.",
	".#.##...#.###.##.#.#..#..#.##...###....##.#.#",
	"###.#.##.#.#.######..#..##....##.#...##......",
	"..##...#####.#.##..##.##.#....#.##.###...#.##",
	".##.#.###.##.#....#.##.##.#.#....####.#..#.#.",
	".#.....##..#.##.##.#...#.##.##.##.##.#.######",
	".########.#.##.##########.#..#.#..#.######.##",
	"...##...##.#..###...#...####.##....##...###.#",
	"#.###.#.#...###...###.#.#...##.##.###.#.###..",
	".#.##...#..####..##.#...#..##.#.#...#...###..",
	"##.#######.#..#.#.#.#####.#....#...######...#",
	".##..#.#.##.##...####.##.#...###...###...#..#",
	"##....###..#..#..##.#.#...#....#.#####..#.##.",
	"###..#....#.#...#.##....#.#.#...#.##..##.##..",
	"..##.##..#.######.#.....###..#.#.#..######...",
	"#.......###.#.##.#..###..#..#####..####..#..#",
	"#.....##..#.###.##.#.##.#.#.#.....#..#..####.",
	"..#.##.#.#..##...#.###.#...###..#.##.########",
	"#.##.##..##.##....##.#...###.###.......##...#",
	"....##.##.#..###.#.#####.#.#.####..#..#.....#",
	"....#.####.###..#...##....###...######....##.",
	".####...##....#.#...#..##..##...#####.#.#.#.#",
	"#..##.###.#....##..#######....##.#..#####....",
	"........#..######..##...#.....##.#..#...#.###",
	"#######...####.######.#.##..#..####.#.#.##.#.",
	"#.....#.###.#.#..#.##...###.##.###..#...#####",
	"#.###.#.##.#.#..##..#######..#.#..#######..##",
	"#.###.#.#.#....###...#.#.#.#.##.......#.#####",
	"#.###.#.#...#.#.##.##....##.##.########..###.",
	"#.....#.....#..####.#......##.#.#..#.#.#.##..",
	"#######.####...#####...##.#....#....#.#.#..#.",
}

func matrixString(q *qrCode) []string {
	out := make([]string, q.size)
	for y := range q.size {
		var b strings.Builder
		for x := range q.size {
			if q.modules[y][x] {
				b.WriteByte('#')
			} else {
				b.WriteByte('.')
			}
		}
		out[y] = b.String()
	}
	return out
}

func compareMatrix(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("size %d, want %d", len(got), len(want))
	}
	for y := range want {
		if got[y] != want[y] {
			t.Errorf("row %2d: got  %s\n        want %s", y, got[y], want[y])
		}
	}
}

func TestQRMatchesReferenceEncoder(t *testing.T) {
	q, err := qrEncodeWith([]byte("HELLO WORLD"), 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	compareMatrix(t, matrixString(q), refHelloWorld)

	q, err = qrEncodeWith([]byte(strings.Repeat("luckbox-", 14)), 7, 2)
	if err != nil {
		t.Fatal(err)
	}
	compareMatrix(t, matrixString(q), refLuckboxV7)

	// With automatic choice, version 1 and the same mask as libqrencode.
	q, err = qrEncode([]byte("HELLO WORLD"))
	if err != nil {
		t.Fatal(err)
	}
	if q.version != 1 || q.mask != 3 {
		t.Errorf("auto: version %d mask %d, want 1 and 3", q.version, q.mask)
	}
}

func TestReedSolomonVectors(t *testing.T) {
	// ISO/IEC 18004 annex I: "01234567" in numeric mode, 1-M.
	iso := []byte{0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11}
	wantISO := []byte{0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55}
	if got := rsRemainder(iso, rsDivisor(10)); !bytes.Equal(got, wantISO) {
		t.Errorf("ISO example EC = % X, want % X", got, wantISO)
	}
	// The widely used "HELLO WORLD" alphanumeric 1-M walkthrough.
	hello := []byte{32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17}
	wantHello := []byte{196, 35, 39, 119, 235, 215, 231, 226, 93, 23}
	if got := rsRemainder(hello, rsDivisor(10)); !bytes.Equal(got, wantHello) {
		t.Errorf("HELLO WORLD EC = %v, want %v", got, wantHello)
	}
}

func TestFormatAndVersionBitsTable(t *testing.T) {
	// Level M rows of the format information table (ISO/IEC 18004 table C.1)
	// and version 7 and 10 of the version information table (table D.1).
	wantFormat := []string{
		"101010000010010", "101000100100101", "101111001111100", "101101101001011",
		"100010111111001", "100000011001110", "100111110010111", "100101010100000",
	}
	for m, want := range wantFormat {
		if got := fmtBits(qrFormatBits(m), 15); got != want {
			t.Errorf("format M/%d = %s, want %s", m, got, want)
		}
	}
	if got := fmtBits(qrVersionBits(7), 18); got != "000111110010010100" {
		t.Errorf("version 7 = %s", got)
	}
	if got := fmtBits(qrVersionBits(10), 18); got != "001010010011010011" {
		t.Errorf("version 10 = %s", got)
	}
}

func fmtBits(v, n int) string {
	var b strings.Builder
	for i := n - 1; i >= 0; i-- {
		b.WriteByte('0' + byte(v>>i&1))
	}
	return b.String()
}

func TestQRVersionChoice(t *testing.T) {
	for _, c := range []struct{ n, version int }{
		{1, 1}, {14, 1}, {15, 2}, {26, 2}, {32, 3}, {42, 3}, {43, 4}, {122, 7}, {180, 9}, {181, 10}, {213, 10},
	} {
		q, err := qrEncode(bytes.Repeat([]byte("x"), c.n))
		if err != nil {
			t.Fatalf("%d bytes: %v", c.n, err)
		}
		if q.version != c.version || q.size != 17+4*c.version {
			t.Errorf("%d bytes: version %d size %d, want version %d", c.n, q.version, q.size, c.version)
		}
	}
	if _, err := qrEncode(bytes.Repeat([]byte("x"), 214)); err == nil {
		t.Error("214 bytes: no error")
	}
}

// readFormat reads both copies of the format information, by the positions
// of ISO/IEC 18004 figure 25, most significant bit first.
func readFormat(q *qrCode) (int, int) {
	n := q.size
	at := func(x, y int) int {
		if q.modules[y][x] {
			return 1
		}
		return 0
	}
	var a, b int
	// Copy 1, bit 14 first: row 8 columns 0..5, 7, 8; then column 8 rows 7, 5..0.
	for _, p := range [][2]int{{0, 8}, {1, 8}, {2, 8}, {3, 8}, {4, 8}, {5, 8}, {7, 8}, {8, 8}, {8, 7}, {8, 5}, {8, 4}, {8, 3}, {8, 2}, {8, 1}, {8, 0}} {
		a = a<<1 | at(p[0], p[1])
	}
	// Copy 2, bit 14 first: column 8 rows n-1..n-7; then row 8 columns n-8..n-1.
	for i := 1; i <= 7; i++ {
		b = b<<1 | at(8, n-i)
	}
	for i := 8; i >= 1; i-- {
		b = b<<1 | at(n-i, 8)
	}
	return a, b
}

func TestQRStructure(t *testing.T) {
	for v := 1; v <= qrMaxVersion; v++ {
		for m := 0; m < 8; m++ {
			data := bytes.Repeat([]byte{byte('a' + v)}, 10*v)
			q, err := qrEncodeWith(data, v, m)
			if err != nil {
				t.Fatal(err)
			}
			n := q.size
			// Finder patterns: 7×7 rings with a 3×3 centre, light separators.
			for _, c := range [][2]int{{0, 0}, {n - 7, 0}, {0, n - 7}} {
				for dy := -1; dy <= 7; dy++ {
					for dx := -1; dx <= 7; dx++ {
						x, y := c[0]+dx, c[1]+dy
						if x < 0 || y < 0 || x >= n || y >= n {
							continue
						}
						d := max(abs(dx-3), abs(dy-3))
						if want := d <= 1 || d == 3; q.modules[y][x] != want {
							t.Fatalf("v%d m%d: finder at %v module (%d,%d) = %v", v, m, c, x, y, q.modules[y][x])
						}
					}
				}
			}
			// Timing patterns between the finders.
			for i := 8; i < n-8; i++ {
				if q.modules[6][i] != (i%2 == 0) || q.modules[i][6] != (i%2 == 0) {
					t.Fatalf("v%d m%d: timing module %d wrong", v, m, i)
				}
			}
			if !q.modules[n-8][8] {
				t.Fatalf("v%d m%d: dark module missing", v, m)
			}
			a, b := readFormat(q)
			if a != b || a != qrFormatBits(m) {
				t.Fatalf("v%d m%d: format copies %015b %015b, want %015b", v, m, a, b, qrFormatBits(m))
			}
			// Unmasked, the top two bits are the level (00 = M), the next three the mask.
			if raw := a ^ 0x5412; raw>>13 != 0 || raw>>10&7 != m {
				t.Fatalf("v%d m%d: format decodes to level %b mask %d", v, m, raw>>13, raw>>10&7)
			}
			if v >= 7 {
				var tr, bl int
				for i := 17; i >= 0; i-- {
					bit := func(x, y int) int {
						if q.modules[y][x] {
							return 1
						}
						return 0
					}
					tr = tr<<1 | bit(n-11+i%3, i/3)
					bl = bl<<1 | bit(i/3, n-11+i%3)
				}
				if tr != bl || tr>>12 != v {
					t.Fatalf("v%d: version info %018b / %018b", v, tr, bl)
				}
			}
		}
	}
}

func TestQRPNGRendersModules(t *testing.T) {
	q, err := qrEncode([]byte("lottery:42"))
	if err != nil {
		t.Fatal(err)
	}
	for _, width := range []int{280, 430, 1280} {
		b, err := qrPNG(q, width)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if r := img.Bounds(); r.Dx() != width || r.Dy() != width {
			t.Fatalf("size %v, want %dx%d", r, width, width)
		}
		scale := width / (q.size + 8)
		off := (width - scale*q.size) / 2
		if off < 4*scale {
			t.Fatalf("width %d: quiet zone %d px < 4 modules of %d px", width, off, scale)
		}
		dark := func(x, y int) bool { r, _, _, _ := img.At(x, y).RGBA(); return r < 0x8000 }
		for y := range q.size {
			for x := range q.size {
				if got := dark(off+x*scale+scale/2, off+y*scale+scale/2); got != q.modules[y][x] {
					t.Fatalf("width %d: module (%d,%d) renders %v", width, x, y, got)
				}
			}
		}
		for i := 0; i < width; i++ {
			if dark(i, off-1) || dark(off-1, i) || dark(i, 0) {
				t.Fatalf("width %d: quiet zone not light at %d", width, i)
			}
		}
	}
}
