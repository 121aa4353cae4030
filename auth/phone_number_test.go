package auth

import "testing"

func TestNormalizePhone(t *testing.T) {
	good := map[string]string{
		"13800000000":       "13800000000",
		"138 0000 0000":     "13800000000",
		"138-0000-0000":     "13800000000",
		"+86 138 0000 0000": "13800000000",
		"+8613800000000":    "13800000000",
		"008613800000000":   "13800000000",
		"8613800000000":     "13800000000",
		" (138)00000000 ":   "13800000000",
		"+1 415 555 0100":   "+14155550100",
		"+44 20 7946 0958":  "+442079460958",
	}
	for in, want := range good {
		if got, err := NormalizePhone(in); err != nil || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1380000000", "138000000000", "23800000000", "+86 2380000000", "+1 23", "+0 4155550100",
		"1380000000x", "13８00000000", "+1 415 555 0100 0000 0000", "138+00000000"} {
		if got, err := NormalizePhone(in); err == nil {
			t.Errorf("NormalizePhone(%q) = %q, want an error", in, got)
		}
	}
}
