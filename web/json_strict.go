package web

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"luckbox/data"
)

// checkJSONStrict refuses what encoding/json would quietly accept in a
// request body meant for a value of type t: invalid UTF-8 and lone UTF-16
// surrogate escapes (json replaces both with U+FFFD), object keys that match
// a field only when case is ignored ({"Amount":1} for amount), and keys that
// appear twice in one object (json keeps the last). The error is
// invalid_argument naming the field. Malformed JSON is left to the decoder,
// which reports it as such.
func checkJSONStrict(body []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		object  bool
		typ     reflect.Type // the container's Go type; nil when not known
		path    string
		keys    map[string]bool
		key     string // the key whose value comes next (objects)
		wantKey bool
		index   int // the next element's index (arrays)
	}
	var stack []*frame
	// next returns the path and Go type of the value about to be read.
	next := func() (string, reflect.Type) {
		if len(stack) == 0 {
			return "", t
		}
		f := stack[len(stack)-1]
		if f.object {
			return joinPath(f.path, f.key), memberType(f.typ, f.key)
		}
		return f.path + "[" + strconv.Itoa(f.index) + "]", elemType(f.typ)
	}
	// done moves past a value just read.
	done := func() {
		if len(stack) == 0 {
			return
		}
		if f := stack[len(stack)-1]; f.object {
			f.wantKey = true
		} else {
			f.index++
		}
	}
	prev := int64(0)
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF, or malformed JSON: the decoder says what is wrong
		}
		end := dec.InputOffset()
		start := prev
		for start < end && strings.IndexByte(" \t\r\n,:", body[start]) >= 0 {
			start++
		}
		prev = end
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{', '[':
				path, typ := next()
				stack = append(stack, &frame{object: tok == '{', typ: typ, path: path, keys: map[string]bool{}, wantKey: true})
			default:
				stack = stack[:len(stack)-1]
				done()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
				f := stack[n-1]
				path := joinPath(f.path, strings.ToValidUTF8(tok, "\uFFFD"))
				if err := checkRawString(path, body[start:end]); err != nil {
					return err
				}
				if f.keys[tok] {
					return data.Invalid(path, "appears twice in the object; each field may be given once")
				}
				f.keys[tok] = true
				if err := checkFieldName(path, f.typ, tok); err != nil {
					return err
				}
				f.key, f.wantKey = tok, false
				continue
			}
			path, _ := next()
			if err := checkRawString(path, body[start:end]); err != nil {
				return err
			}
			done()
		default:
			done()
		}
	}
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// checkRawString checks one JSON string token as it is in the body
// (quotes included): valid UTF-8, and every \u escape of a surrogate half
// part of a pair.
func checkRawString(path string, raw []byte) error {
	if path == "" {
		path = "body"
	}
	s := raw[1 : len(raw)-1]
	for i := 0; i < len(s); {
		if s[i] != '\\' {
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				return data.Invalid(path, "is not valid UTF-8")
			}
			i += size
			continue
		}
		if i+1 >= len(s) || s[i+1] != 'u' {
			i += 2
			continue
		}
		r := hex4(s[i+2:])
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return data.Invalid(path, "holds a lone UTF-16 surrogate (\\u%04x)", r)
		case r >= 0xD800 && r <= 0xDBFF:
			if i+12 > len(s) || s[i+6] != '\\' || s[i+7] != 'u' {
				return data.Invalid(path, "holds a lone UTF-16 surrogate (\\u%04x)", r)
			}
			if lo := hex4(s[i+8:]); lo < 0xDC00 || lo > 0xDFFF {
				return data.Invalid(path, "holds a lone UTF-16 surrogate (\\u%04x)", r)
			}
			i += 12
		default:
			i += 6
		}
	}
	return nil
}

// hex4 reads the four hex digits of a \u escape the decoder already
// accepted (-1 if they are not there).
func hex4(b []byte) int {
	if len(b) < 4 {
		return -1
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 32)
	if err != nil {
		return -1
	}
	return int(n)
}

// checkFieldName refuses a key of an object read into struct type t that
// names no field exactly (encoding/json would match it ignoring case).
func checkFieldName(path string, t reflect.Type, key string) error {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	fields := jsonFields(t)
	if _, ok := fields[key]; ok {
		return nil
	}
	for name := range fields {
		if strings.EqualFold(name, key) {
			return data.Invalid(path, "unknown field; field names are case-sensitive: did you mean %q?", name)
		}
	}
	return data.Invalid(path, "unknown field")
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	fieldCache      sync.Map // reflect.Type → map[string]reflect.Type
)

// plain follows pointers and returns nil for a type that decodes itself
// (time.Time, json.RawMessage) or whose shape is not known (any).
func plain(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	return t
}

// memberType is the type of the value under key in an object of type t.
func memberType(t reflect.Type, key string) reflect.Type {
	switch t = plain(t); {
	case t == nil:
		return nil
	case t.Kind() == reflect.Map:
		return plain(t.Elem())
	case t.Kind() == reflect.Struct:
		return plain(jsonFields(t)[key])
	}
	return nil
}

// elemType is the type of the elements of an array of type t.
func elemType(t reflect.Type) reflect.Type {
	if t = plain(t); t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		return plain(t.Elem())
	}
	return nil
}

// jsonFields maps the JSON names of struct type t (embedded structs'
// fields included) to their types, as encoding/json names them.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" && f.Tag.Get("json") == "-" {
			continue
		}
		if f.Anonymous && tag == "" {
			if ft := plain(f.Type); ft != nil && ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					if _, ok := m[k]; !ok {
						m[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		m[tag] = f.Type
	}
	fieldCache.Store(t, m)
	return m
}

// bodyType is the type decodeJSON fills through v (a pointer).
func bodyType(v any) reflect.Type {
	t := reflect.TypeOf(v)
	if t != nil && t.Kind() == reflect.Pointer {
		return t.Elem()
	}
	return t
}
