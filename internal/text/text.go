// Package text is the one validator of the free text people type into
// luckbox: titles, descriptions, names, nicknames, greetings, prize names.
// Every domain package checks its text fields here, so the rules (and their
// wording in the 400 answers) are the same everywhere.
//
// A value is trimmed of surrounding white space and normalised to Unicode
// NFC before it is checked and stored, so "é" typed as one code point and as
// "e" + a combining accent is the same text (and the same prize name).
// Refused: invalid UTF-8, control characters (a multi-line field allows line
// breaks and tabs), bidirectional controls (U+202A–U+202E, U+2066–U+2069,
// U+200E, U+200F, U+061C: they make text read differently from how it is
// stored), and text made only of invisible characters (white space,
// zero-width and other format characters).
package text

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"luckbox/data"
)

// Rule says what one field accepts: Min..Max characters (code points, after
// normalisation) and whether line breaks are allowed.
type Rule struct {
	Min, Max  int
	Multiline bool
}

// Normalize trims surrounding white space and returns s in NFC (line breaks
// as "\n" in a multi-line value). Invalid UTF-8 is returned as it is, for
// Problem to refuse.
func Normalize(s string, multiline bool) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return s
	}
	if multiline {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	return norm.NFC.String(s)
}

// Problem is why the normalised value s breaks rule r ("" if it does not),
// phrased to follow the field's name: "must be 1..64 characters".
func Problem(s string, r Rule) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8"
	}
	if n := utf8.RuneCountInString(s); n < r.Min || n > r.Max {
		if r.Min == 0 {
			return fmt.Sprintf("must be at most %d characters", r.Max)
		}
		return fmt.Sprintf("must be %d..%d characters", r.Min, r.Max)
	}
	visible := false
	for _, c := range s {
		switch {
		case IsBidiControl(c):
			return fmt.Sprintf("must not contain bidirectional control characters (U+%04X)", c)
		case unicode.IsControl(c) && !(r.Multiline && (c == '\n' || c == '\t')):
			return "must not contain control characters"
		case !visible && !isInvisible(c):
			visible = true
		}
	}
	if s != "" && !visible {
		return "must contain visible characters, not only white space or invisible ones"
	}
	return ""
}

// Clean normalises s and checks it against r: the value to store, and why
// it is refused ("" if it is not).
func Clean(s string, r Rule) (string, string) {
	s = Normalize(s, r.Multiline)
	return s, Problem(s, r)
}

// Field is Clean answering an invalid_argument error that names field.
func Field(field, s string, r Rule) (string, error) {
	s, why := Clean(s, r)
	if why != "" {
		return s, data.Invalid(field, "%s", why)
	}
	return s, nil
}

// IsBidiControl reports whether c is one of the bidirectional formatting
// characters text may not contain: embeddings and overrides (U+202A–U+202E),
// isolates (U+2066–U+2069) and the marks U+200E, U+200F and U+061C.
func IsBidiControl(c rune) bool {
	return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F || c == 0x061C
}

// isInvisible reports whether c shows nothing by itself: white space,
// controls, format characters (zero-width space and joiners, U+2060, the
// byte-order mark, ...), variation selectors and the Hangul fillers.
func isInvisible(c rune) bool {
	switch c {
	case 0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x180E:
		return true
	}
	return unicode.IsSpace(c) || unicode.IsControl(c) || unicode.Is(unicode.Cf, c) ||
		unicode.Is(unicode.Variation_Selector, c)
}
