package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
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

// openapiJSON returns the merged document as generic JSON.
func openapiJSON(t *testing.T) map[string]any {
	t.Helper()
	raw, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// resolvePointer follows a local JSON reference ("#/components/schemas/X").
func resolvePointer(doc map[string]any, ref string) (any, bool) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, false
	}
	var cur any = doc
	for _, tok := range strings.Split(rest, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// deref resolves v if it is a {"$ref": ...} object.
func deref(doc map[string]any, v any) map[string]any {
	m := asMap(v)
	if ref, ok := m["$ref"].(string); ok {
		r, _ := resolvePointer(doc, ref)
		return asMap(r)
	}
	return m
}

var (
	openapiMethods   = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true}
	pathItemFields   = map[string]bool{"parameters": true, "summary": true, "description": true, "servers": true, "$ref": true}
	parameterIn      = map[string]bool{"query": true, "header": true, "path": true, "cookie": true}
	responseCodeForm = regexp.MustCompile(`^([1-5][0-9][0-9]|[1-5]XX|default)$`)
)

// TestOpenAPIWellFormed checks the document against the rules of OpenAPI 3
// that a generator or a validator would trip on: the required top-level
// fields, known keys in path items, responses on every operation, every
// $ref resolving, every {param} of a path declared as a required path
// parameter (and no path parameter without its {param}), unique operation
// ids, the 429 answer on every rate-limited or authenticated operation, and
// 507 and 503 on every write.
func TestOpenAPIWellFormed(t *testing.T) {
	doc := openapiJSON(t)
	if v, _ := doc["openapi"].(string); !regexp.MustCompile(`^3\.[01]\.\d+$`).MatchString(v) {
		t.Errorf("openapi = %q, want 3.0.x or 3.1.x", v)
	}
	info := asMap(doc["info"])
	for _, k := range []string{"title", "version"} {
		if s, _ := info[k].(string); s == "" {
			t.Errorf("info.%s is missing", k)
		}
	}
	paths := asMap(doc["paths"])
	if len(paths) == 0 {
		t.Fatal("no paths")
	}

	// Every $ref anywhere resolves.
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if _, found := resolvePointer(doc, ref); !found {
					t.Errorf("%s: $ref %q does not resolve", at, ref)
				}
			}
			for k, e := range v {
				walk(at+"/"+k, e)
			}
		case []any:
			for i, e := range v {
				walk(fmt.Sprintf("%s/%d", at, i), e)
			}
		}
	}
	walk("#", doc)

	table := map[string]route{}
	for _, rt := range routeTable() {
		table[rt.method+" "+rt.pattern] = rt
	}
	opIDs := map[string]string{}
	for p, item := range paths {
		if !strings.HasPrefix(p, "/") {
			t.Errorf("path %q does not start with /", p)
		}
		inPath := map[string]bool{}
		for _, m := range pathParam.FindAllString(p, -1) {
			inPath[strings.Trim(m, "{}")] = true
		}
		common := asMap(item)["parameters"]
		for k, op := range asMap(item) {
			if !openapiMethods[k] {
				if !pathItemFields[k] {
					t.Errorf("%s: unknown path item field %q", p, k)
				}
				continue
			}
			where := strings.ToUpper(k) + " " + p
			o := asMap(op)
			responses := asMap(o["responses"])
			if len(responses) == 0 {
				t.Errorf("%s documents no responses", where)
			}
			for code, resp := range responses {
				if !responseCodeForm.MatchString(code) {
					t.Errorf("%s: response key %q is not a status code", where, code)
				}
				if r := deref(doc, resp); r == nil || r["description"] == nil {
					t.Errorf("%s: response %s has no description", where, code)
				}
			}
			if id, _ := o["operationId"].(string); id != "" {
				if prev, dup := opIDs[id]; dup {
					t.Errorf("operationId %q used by %s and %s", id, prev, where)
				}
				opIDs[id] = where
			}
			declared := map[string]bool{}
			params, _ := common.([]any)
			own, _ := o["parameters"].([]any)
			for _, pv := range append(append([]any{}, params...), own...) {
				prm := deref(doc, pv)
				name, _ := prm["name"].(string)
				in, _ := prm["in"].(string)
				if name == "" || !parameterIn[in] {
					t.Errorf("%s: parameter %v needs a name and in: query, header, path or cookie", where, pv)
					continue
				}
				if in != "path" {
					continue
				}
				declared[name] = true
				if req, _ := prm["required"].(bool); !req {
					t.Errorf("%s: path parameter %q must be required", where, name)
				}
				if !inPath[name] {
					t.Errorf("%s: path parameter %q is not in the path", where, name)
				}
			}
			for name := range inPath {
				if !declared[name] {
					t.Errorf("%s: {%s} is not declared as a path parameter", where, name)
				}
			}
			if rt, ok := table[where]; ok && rt.rate != noRate && responses["429"] == nil {
				t.Errorf("%s is rate-limited but does not document 429", where)
			}
			sec, _ := o["security"].([]any)
			if _, own := o["security"]; (len(sec) > 0 || !own) && responses["429"] == nil {
				t.Errorf("%s authenticates (failures are throttled) but does not document 429", where)
			}
			if writeMethods[k] && (responses["507"] == nil || responses["503"] == nil) {
				t.Errorf("%s writes but does not document 507 and 503 (storage failures)", where)
			}
		}
	}
}

// apiMDPath is the HTTP contract, beside the repository (absent outside CI
// and the shared workspace).
const apiMDPath = "../../shared/API.md"

var (
	apiMDRoute = regexp.MustCompile("(?:((?:GET|POST|PUT|PATCH|DELETE)(?:\\|(?:GET|POST|PUT|PATCH|DELETE))*) )?(/api/v1/[A-Za-z0-9_{}/.-]+)")
	apiMDError = regexp.MustCompile("^\\|\\s*(\\d{3})\\s*\\|\\s*`([a-z_]+)`")
)

// TestOpenAPICoversAPIMd: every /api/v1 path of the HTTP contract (with its
// methods, where the contract names them) and every error code of its
// table is in the OpenAPI document. Path parameters compare by position,
// not by name ({id} in the contract, {packetID} in the document).
func TestOpenAPICoversAPIMd(t *testing.T) {
	md, err := os.ReadFile(apiMDPath)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s (the contract, outside this repository) is absent", apiMDPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	doc := openapiJSON(t)
	norm := func(p string) string { return pathParam.ReplaceAllString(strings.TrimRight(p, "/."), "{}") }
	documented := map[string]map[string]bool{}
	for p, item := range asMap(doc["paths"]) {
		ms := map[string]bool{}
		for m := range asMap(item) {
			ms[strings.ToUpper(m)] = true
		}
		documented[norm(p)] = ms
	}
	routes, codes := 0, 0
	for _, m := range apiMDRoute.FindAllStringSubmatch(string(md), -1) {
		routes++
		p := norm(m[2])
		ms, ok := documented[p]
		if !ok {
			t.Errorf("API.md names %s, which the OpenAPI document lacks", m[2])
			continue
		}
		for _, method := range strings.Split(m[1], "|") {
			if method != "" && !ms[method] {
				t.Errorf("API.md names %s %s, which the OpenAPI document lacks", method, m[2])
			}
		}
	}
	raw, _ := OpenAPI()
	for _, line := range strings.Split(string(md), "\n") {
		m := apiMDError.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		codes++
		if !strings.Contains(string(raw), `"`+m[2]+`"`) {
			t.Errorf("API.md error code %s (%s) is not in the OpenAPI document", m[2], m[1])
		}
		if !slices.Contains(ErrorCodes(), m[2]) {
			t.Errorf("API.md error code %s is not one the server answers (ErrorCodes)", m[2])
		}
	}
	if routes < 30 || codes < 10 {
		t.Fatalf("read only %d routes and %d error codes from %s: has its format changed?", routes, codes, apiMDPath)
	}
	t.Logf("%d route mentions and %d error codes of %s are documented", routes, codes, apiMDPath)
}
