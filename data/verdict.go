package data

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// RuleFormat is the rule a record breaks when it is not the JSON object its
// specification describes (DecodeRecord).
const RuleFormat = "format"

// RuleError is the verdict on a published record that does not hold (a
// lottery's fairness proof, a lucky packet's split): Rule names the rule of
// the specification (docs/fairness.md) it breaks first, the message gives
// both values.
type RuleError struct {
	Rule string
	msg  string
}

func (e *RuleError) Error() string { return e.msg }

// Broken returns a *RuleError for rule with a formatted message.
func Broken(rule, format string, args ...any) error {
	return &RuleError{Rule: rule, msg: fmt.Sprintf(format, args...)}
}

// RuleOf returns the rule a verification error names ("" for an error that
// is not a *RuleError).
func RuleOf(err error) string {
	var re *RuleError
	if errors.As(err, &re) {
		return re.Rule
	}
	return ""
}

// DecodeRecord decodes raw, a JSON object that must have every member of
// required (not null, unless listed in nullable), into v. Unknown members
// are ignored. A record that is not such an object, or whose members have
// the wrong types, breaks RuleFormat; what names it in the message.
func DecodeRecord(raw []byte, v any, what string, required []string, nullable ...string) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return Broken(RuleFormat, "%s is not a JSON object: %v", what, err)
	}
	for _, name := range required {
		m, ok := members[name]
		if !ok || string(m) == "null" && !slices.Contains(nullable, name) {
			return Broken(RuleFormat, "the %s has no %s", what, name)
		}
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return Broken(RuleFormat, "malformed %s: %v", what, err)
	}
	return nil
}

// RequireItems checks that every element of the array member list of the
// JSON object raw has the members names, none null (RuleFormat otherwise):
// DecodeRecord's check one level down, where a missing member would
// otherwise decode as a zero value.
func RequireItems(raw []byte, list, item string, names ...string) error {
	var doc map[string]json.RawMessage
	var items []map[string]json.RawMessage
	if json.Unmarshal(raw, &doc) != nil || json.Unmarshal(doc[list], &items) != nil {
		return Broken(RuleFormat, "%s is not a list of objects", list)
	}
	for i, it := range items {
		for _, name := range names {
			if v, ok := it[name]; !ok || string(v) == "null" {
				return Broken(RuleFormat, "%s %d has no %s", item, i, name)
			}
		}
	}
	return nil
}
