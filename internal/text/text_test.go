package text

import (
	"strings"
	"testing"

	"luckbox/data"
)

func TestClean(t *testing.T) {
	line := Rule{Min: 1, Max: 8}
	cases := []struct {
		name, in string
		r        Rule
		want     string // the stored value
		problem  string // a part of the reason; "" when accepted
	}{
		{"plain", "  Tea  ", line, "Tea", ""},
		{"NFD becomes NFC", "Cafe\u0301", line, "Café", ""},
		{"emoji with joiners", "👨\u200d👩\u200d👧", line, "👨\u200d👩\u200d👧", ""},
		{"length counts NFC", "e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301", line, strings.Repeat("é", 8), ""},
		{"too long", "123456789", line, "", "must be 1..8 characters"},
		{"empty", "   ", line, "", "must be 1..8 characters"},
		{"empty allowed", "", Rule{Max: 8}, "", ""},
		{"invalid UTF-8", "a\xffb", line, "", "valid UTF-8"},
		{"control", "a\x07b", line, "", "control characters"},
		{"DEL", "a\x7fb", line, "", "control characters"},
		{"newline in a line", "a\nb", line, "", "control characters"},
		{"newline in multi-line", "a\r\nb", Rule{Max: 8, Multiline: true}, "a\nb", ""},
		{"lone CR in multi-line", "a\rb", Rule{Max: 8, Multiline: true}, "", "control characters"},
		{"RLO", "abc\u202Etxt", line, "", "U+202E"},
		{"LRI", "\u2066x", line, "", "U+2066"},
		{"LRM", "x\u200E", line, "", "U+200E"},
		{"ALM", "x\u061C", line, "", "U+061C"},
		{"zero-width space only", "\u200B", line, "", "visible"},
		{"invisible mix", "\u200B\u200C\u2060\uFEFF\u3164", line, "", "visible"},
		{"ideographic space only", "\u3000", line, "", "must be 1..8"},
		{"zero-width inside", "a\u200Bb", line, "a\u200Bb", ""},
	}
	for _, c := range cases {
		got, why := Clean(c.in, c.r)
		if c.problem == "" {
			if why != "" || got != c.want {
				t.Errorf("%s: Clean(%q) = %q, %q; want %q accepted", c.name, c.in, got, why, c.want)
			}
			continue
		}
		if !strings.Contains(why, c.problem) {
			t.Errorf("%s: Clean(%q) reason %q; want it to say %q", c.name, c.in, why, c.problem)
		}
	}
}

func TestFieldNamesTheField(t *testing.T) {
	_, err := Field("prizes[2].name", "\u200B", Rule{Min: 1, Max: 32})
	e, ok := data.AsError(err)
	if !ok || e.Code != data.EInvalid {
		t.Fatalf("err %v", err)
	}
	d, _ := e.Details.([]data.FieldError)
	if len(d) != 1 || d[0].Field != "prizes[2].name" || !strings.HasPrefix(e.Message, "prizes[2].name: ") {
		t.Fatalf("error %+v names the wrong field", e)
	}
	if s, err := Field("title", " ok ", Rule{Min: 1, Max: 32}); err != nil || s != "ok" {
		t.Fatalf("Field(ok) = %q, %v", s, err)
	}
}
