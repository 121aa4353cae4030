package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// TestOpenAPIComplete fails when a route is missing from the OpenAPI document
// (every feature must document its endpoints), or a documented path has no route.
func TestOpenAPIComplete(t *testing.T) {
	h := newHarness(t, allFeatures...)
	raw, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	routes := map[string]bool{}
	err = chi.Walk(h.srv.Handler().(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.TrimSuffix(strings.ReplaceAll(route, "/*/", "/"), "/*")
		if strings.HasPrefix(route, "/_fake/") || route == "/_fake/wechat" || route == "/" || route == "/admin" || strings.HasPrefix(route, "/static") {
			return nil
		}
		key := strings.ToLower(method) + " " + route
		routes[key] = true
		if doc.Paths[route][strings.ToLower(method)] == nil {
			t.Errorf("route %s %s is not in the OpenAPI document", method, route)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, ops := range doc.Paths {
		for m, op := range ops {
			if m == "parameters" {
				continue
			}
			if !routes[m+" "+p] {
				t.Errorf("OpenAPI documents %s %s, which has no route", strings.ToUpper(m), p)
			}
			if op["responses"] == nil {
				t.Errorf("%s %s documents no responses", m, p)
			}
		}
	}
	for _, code := range ErrorCodes() {
		if !strings.Contains(string(raw), `"`+code+`"`) {
			t.Errorf("error code %s is not in the OpenAPI document", code)
		}
	}
	r := h.do("GET", "/api/v1/openapi.json", "", nil)
	wantStatus(t, r, 200, "")
}
