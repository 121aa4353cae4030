package web

import (
	"encoding/json"
	"strings"
	"testing"
)

// wantField checks a 400 invalid_argument answer naming field.
func wantField(t *testing.T, what string, r response, field string) {
	t.Helper()
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Details []struct {
				Field string `json:"field"`
			} `json:"details"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	if r.Status != 400 || e.Error.Code != "invalid_argument" || len(e.Error.Details) == 0 || e.Error.Details[0].Field != field {
		t.Errorf("%s: %d %s; want 400 invalid_argument naming %s", what, r.Status, r.Body, field)
	}
}

// TestStrictJSON: what encoding/json quietly accepts is refused by the
// request decoder, naming the field, and nothing is created.
func TestStrictJSON(t *testing.T) {
	h := newHarness(t, allFeatures...)
	tok, _ := h.login("alice")
	lot := func(title string) string {
		return `{"title":` + title + `,"prizes":[{"name":"P","quantity":1}],"draw":{"mode":"manual"}}`
	}
	for _, c := range []struct{ what, path, body, field string }{
		{"invalid UTF-8", "/api/v1/lotteries", lot("\"a\xff\xfeb\""), "title"},
		{"lone high surrogate", "/api/v1/lotteries", lot(`"\ud800"`), "title"},
		{"lone low surrogate", "/api/v1/lotteries", lot(`"x\udc00y"`), "title"},
		{"high surrogate then a letter", "/api/v1/lotteries", lot(`"\ud800\u0041"`), "title"},
		{"surrogate in a nested name", "/api/v1/lotteries", `{"title":"t","prizes":[{"name":"\ud83d","quantity":1}],"draw":{"mode":"manual"}}`, "prizes[0].name"},
		{"key in the wrong case", "/api/v1/wallet/topups", `{"Amount":100}`, "Amount"},
		{"nested key in the wrong case", "/api/v1/lotteries", `{"title":"t","prizes":[{"Name":"P","quantity":1}],"draw":{"mode":"manual"}}`, "prizes[0].Name"},
		{"duplicate key", "/api/v1/wallet/topups", `{"amount":100,"amount":200}`, "amount"},
		{"duplicate nested key", "/api/v1/lotteries", `{"title":"t","prizes":[{"name":"P","quantity":1}],"draw":{"mode":"manual","mode":"count"}}`, "draw.mode"},
		{"invalid UTF-8 in a key", "/api/v1/wallet/topups", "{\"amo\xffunt\":100}", "amo\uFFFDunt"},
		{"case-folded key of a profile", "/api/v1/me", `{"NickName":"x"}`, "NickName"},
	} {
		method := "POST"
		if c.path == "/api/v1/me" {
			method = "PATCH"
		}
		wantField(t, c.what, h.do(method, c.path, tok, c.body), c.field)
	}
	var list struct{ Items []any }
	h.do("GET", "/api/v1/me/lotteries?role=created", tok, nil).JSON(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("refused bodies created %d lotteries", len(list.Items))
	}
	// A proper surrogate pair (an emoji) is fine.
	r := h.do("POST", "/api/v1/lotteries", tok, lot(`"\ud83c\udf81 gifts"`))
	wantStatus(t, r, 201, "")
	var l struct{ Title string }
	r.JSON(t, &l)
	if l.Title != "🎁 gifts" {
		t.Fatalf("title %q", l.Title)
	}
}

// TestHostileText: control characters, bidi controls and invisible-only
// text are refused in every text field, naming it; text is stored in NFC,
// and prize names are unique in NFC.
func TestHostileText(t *testing.T) {
	h := newHarness(t, allFeatures...)
	tok, _ := h.login("alice")
	prizes := func(names ...string) []map[string]any {
		var out []map[string]any
		for _, n := range names {
			out = append(out, map[string]any{"name": n, "quantity": 1})
		}
		return out
	}
	lot := func(title, desc string, p []map[string]any) map[string]any {
		return map[string]any{"title": title, "description": desc, "prizes": p, "draw": map[string]any{"mode": "manual"}}
	}
	for _, c := range []struct {
		what, method, path string
		body               any
		field              string
	}{
		{"RLO in a title", "POST", "/api/v1/lotteries", lot("abc\u202Etxt.exe", "", prizes("P")), "title"},
		{"isolate in a description", "POST", "/api/v1/lotteries", lot("t", "a\u2067b", prizes("P")), "description"},
		{"zero-width-only prize", "POST", "/api/v1/lotteries", lot("t", "", prizes("P", "\u200B")), "prizes[1].name"},
		{"NFC and NFD prize", "POST", "/api/v1/lotteries", lot("t", "", prizes("caf\u00e9", "cafe\u0301")), "prizes[1].name"},
		{"control in a nickname", "PATCH", "/api/v1/me", map[string]string{"nickname": "a\x1b[31mb"}, "nickname"},
		{"bell in a nickname", "PATCH", "/api/v1/me", map[string]string{"nickname": "a\x07"}, "nickname"},
		{"RLM in a nickname", "PATCH", "/api/v1/me", map[string]string{"nickname": "x\u200F"}, "nickname"},
		{"invisible nickname", "PATCH", "/api/v1/me", map[string]string{"nickname": "\u200B\u3164"}, "nickname"},
		{"bidi greeting", "POST", "/api/v1/packets", map[string]any{"kind": "lucky", "count": 2, "amount": 100, "greeting": "\u202Dhi"}, "greeting"},
		{"invisible greeting", "POST", "/api/v1/packets", map[string]any{"kind": "lucky", "count": 2, "amount": 100, "greeting": "\u2060\uFEFF"}, "greeting"},
	} {
		wantField(t, c.what, h.do(c.method, c.path, tok, c.body), c.field)
	}

	r := h.do("POST", "/api/v1/lotteries", tok, lot("Cafe\u0301", "", prizes("e\u0301clair")))
	wantStatus(t, r, 201, "")
	var l struct {
		Title  string
		Prizes []struct{ Name string }
	}
	r.JSON(t, &l)
	if l.Title != "Caf\u00e9" || l.Prizes[0].Name != "\u00e9clair" {
		t.Fatalf("stored %+q; want NFC", l)
	}
	r = h.do("PATCH", "/api/v1/me", tok, map[string]string{"nickname": " Zoe\u0308 "})
	wantStatus(t, r, 200, "")
	if !strings.Contains(string(r.Body), `"nickname":"Zoë"`) {
		t.Fatalf("nickname stored as %s", r.Body)
	}
}
