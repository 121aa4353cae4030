package data

import (
	"errors"
	"fmt"
	"testing"
)

func TestDecodeRecord(t *testing.T) {
	type rec struct {
		A string `json:"a"`
		B *int   `json:"b"`
	}
	for _, tc := range []struct{ raw, want string }{
		{`{"a":"x","b":1,"c":true}`, ""},
		{`{"a":"x","b":null}`, ""}, // b may be null
		{`{"b":1}`, "the thing has no a"},
		{`{"a":null,"b":1}`, "the thing has no a"},
		{`{"a":1,"b":1}`, "malformed thing: json: cannot unmarshal number into Go struct field rec.a of type string"},
		{`[1]`, "thing is not a JSON object: json: cannot unmarshal array into Go value of type map[string]json.RawMessage"},
	} {
		var r rec
		err := DecodeRecord([]byte(tc.raw), &r, "thing", []string{"a", "b"}, "b")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("DecodeRecord(%s) = %v", tc.raw, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want || RuleOf(err) != RuleFormat):
			t.Errorf("DecodeRecord(%s) = %v (rule %q), want %q", tc.raw, err, RuleOf(err), tc.want)
		}
	}
}

func TestRuleOf(t *testing.T) {
	err := fmt.Errorf("verify: %w", Broken("winners", "winner %d differs", 3))
	if RuleOf(err) != "winners" || err.Error() != "verify: winner 3 differs" {
		t.Errorf("RuleOf(%v) = %q", err, RuleOf(err))
	}
	if RuleOf(errors.New("x")) != "" || RuleOf(nil) != "" {
		t.Error("RuleOf of another error names a rule")
	}
}

func TestRequireItems(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{`{"l":[{"a":1,"b":"x"},{"a":2,"b":"y","c":0}]}`, ""},
		{`{"l":[]}`, ""},
		{`{"l":[{"a":1,"b":"x"},{"a":2}]}`, "item 1 has no b"},
		{`{"l":[{"a":null,"b":"x"}]}`, "item 0 has no a"},
		{`{"l":[1]}`, "l is not a list of objects"},
		{`{"m":[]}`, "l is not a list of objects"},
	} {
		err := RequireItems([]byte(tc.raw), "l", "item", "a", "b")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("RequireItems(%s) = %v", tc.raw, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want || RuleOf(err) != RuleFormat):
			t.Errorf("RequireItems(%s) = %v, want %q", tc.raw, err, tc.want)
		}
	}
}
