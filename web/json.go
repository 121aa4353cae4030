package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"luckbox/data"
)

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"internal error"}}`, http.StatusInternalServerError)
		return
	}
	writeJSONBody(w, status, append(buf, '\n'))
}

// The header values of every JSON answer, shared (never written into:
// Set replaces a value, Add appends to a full slice, which copies it).
var (
	jsonContentType = []string{"application/json; charset=utf-8"}
	noStore         = []string{"no-store"}
)

// writeJSONBody sends body, an encoded JSON document ending in a newline.
func writeJSONBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	w.WriteHeader(status)
	w.Write(body)
}

// decodeJSON reads the request body into v. An empty body (or `{}`) leaves v
// as it is, so endpoints without input accept both. Unknown fields, malformed
// JSON, wrong types and trailing data are invalid_argument, and so are what
// encoding/json would let through (see checkJSONStrict): invalid UTF-8, lone
// surrogate escapes, keys matching a field only when case is ignored, and
// keys given twice. A body over the limit is too_large.
func decodeJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return data.Errorf(data.ETooLarge, "request body is over %d bytes", mbe.Limit)
		}
		return data.Errorf(data.EInvalid, "could not read the request body")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := checkJSONStrict(body, bodyType(v)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return data.Errorf(data.EInvalid, "request body has data after the JSON value")
	}
	return nil
}

// jsonError turns a decoding error into a clear invalid_argument error.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return data.Errorf(data.EInvalid, "malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return data.Errorf(data.EInvalid, "request body must be a JSON %s", typ.Type.Kind())
		}
		return data.Invalid(field, "must be a JSON %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return data.Errorf(data.EInvalid, "malformed JSON: unexpected end of input")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return data.Invalid(name, "unknown field")
	}
	return data.Errorf(data.EInvalid, "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func jsonKind(k string) string {
	switch k {
	case "int", "int64", "int32", "uint64", "float64":
		return "number"
	case "slice":
		return "array"
	case "struct", "map":
		return "object"
	}
	return k
}

// listOf is the shape of list responses.
type listOf[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// list returns items as a list response (never a JSON null).
func list[T any](items []T, next string) listOf[T] {
	if items == nil {
		items = []T{}
	}
	return listOf[T]{Items: items, NextCursor: next}
}

// writeResult answers err if it is not nil, else v as JSON with status: the
// tail of a handler that calls one service method.
func (s *Server) writeResult(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

// createdStatus is 201 Created when an operation created its resource and
// 200 OK when it found it already there.
func createdStatus(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

// writePage answers a paged list: page gets the ?cursor= and the checked
// ?limit= (0: the default) of r.
func writePage[T any](s *Server, w http.ResponseWriter, r *http.Request, page func(cursor string, limit int) ([]T, string, error)) {
	limit, err := queryLimit(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := page(r.URL.Query().Get("cursor"), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(items, next))
}
