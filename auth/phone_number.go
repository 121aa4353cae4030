package auth

import (
	"errors"
	"strings"
)

// errPhone explains what NormalizePhone accepts.
var errPhone = errors.New("must be an 11-digit mainland mobile number (optionally with +86), or + and a country code and number")

// NormalizePhone turns a phone number as people write it into the form
// luckbox stores and compares: mainland China mobiles as their 11 digits
// ("13800000000"; a leading +86, 0086 or 86 is dropped), other countries as
// "+" followed by the country code and number ("+14155550100"). Spaces,
// dashes, dots and parentheses are ignored. Mainland numbers must be 11
// digits starting with 1; international ones 6..15 digits in all (E.164).
func NormalizePhone(s string) (string, error) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '\u00a0':
		default:
			return "", errPhone
		}
	}
	p := b.String()
	switch {
	case strings.HasPrefix(p, "+86"):
		p = p[3:]
	case strings.HasPrefix(p, "+"):
		if n := len(p) - 1; n < 6 || n > 15 || p[1] == '0' {
			return "", errPhone
		}
		return p, nil
	case strings.HasPrefix(p, "0086"):
		p = p[4:]
	case len(p) == 13 && strings.HasPrefix(p, "861"):
		p = p[2:]
	}
	if len(p) != 11 || p[0] != '1' {
		return "", errPhone
	}
	return p, nil
}
