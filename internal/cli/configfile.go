package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// The optional configuration file of `luckbox serve --config FILE`: one JSON
// object whose keys are the flag names and whose values are what the flag
// would take, for example
//
//	{"addr": "0.0.0.0:8080", "data": "/var/lib/luckbox/luckbox.db",
//	 "session-ttl": "72h", "rate-login": "10/s,burst=50", "trust-proxy": true,
//	 "cors-origins": ["https://a.example", "https://b.example"]}
//
// Precedence: command-line flag > LUCKBOX_* variable > file > default. JSON
// needs no dependency (encoding/json); TOML would need one for a flat list of
// settings that JSON writes just as well.

// configFlag is the name of the flag that names the configuration file.
const configFlag = "config"

// applyConfigFile sets every flag named in the JSON file at path that is not
// already set (explicit reports the flags given on the command line or in
// the environment). An unknown key, a duplicated key or a value the flag
// refuses is an error naming the key.
func applyConfigFile(fs *flag.FlagSet, path string, explicit func(name string) bool) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--%s: %w", configFlag, err)
	}
	settings, err := parseConfigJSON(raw)
	if err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	for _, s := range settings {
		f := fs.Lookup(s.key)
		switch {
		case s.key == configFlag:
			return fmt.Errorf("config file %s: %q cannot be set in a config file", path, s.key)
		case f == nil:
			return fmt.Errorf("config file %s: unknown setting %q (the keys are the flag names of 'luckbox %s --help')", path, s.key, fs.Name())
		case explicit(s.key):
			continue // the flag or the environment wins
		}
		if err := f.Value.Set(s.value); err != nil {
			return fmt.Errorf("config file %s: invalid value for %q: %v", path, s.key, err)
		}
	}
	return nil
}

// configSetting is one key of the file with its value as flag text.
type configSetting struct{ key, value string }

// parseConfigJSON reads one JSON object of settings, in file order. Values
// may be strings, numbers, booleans, or arrays of strings (joined with
// commas, for list settings such as cors-origins).
func parseConfigJSON(raw []byte) ([]configSetting, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("must hold one JSON object of settings, {\"flag-name\": value, ...}")
	}
	var out []configSetting
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("malformed JSON: %w", err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return nil, fmt.Errorf("setting %q appears twice", key)
		}
		seen[key] = true
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("malformed JSON at %q: %w", key, err)
		}
		text, err := configText(v)
		if err != nil {
			return nil, fmt.Errorf("invalid value for %q: %w", key, err)
		}
		out = append(out, configSetting{key, text})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("malformed JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("malformed JSON: text after the object")
	}
	return out, nil
}

// configText turns a JSON value into the text a flag takes.
func configText(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		if v {
			return "true", nil
		}
		return "false", nil
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok || strings.Contains(s, ",") {
				return "", errors.New("a list must hold strings without commas")
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), nil
	}
	return "", errors.New("must be a string, number, boolean or list of strings")
}
