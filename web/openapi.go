package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"regexp"
	"sort"
	"sync"
)

// The OpenAPI document is assembled from fragments in openapi/: base.json
// holds info, security schemes and shared components; every other file holds
// the paths and schemas of one area of the API (auth.json, lotteries.json,
// ...). Keeping one file per area lets each feature document itself. The
// fragments are merged at start-up; duplicated paths or schemas are an error.
// What the route table (routes.go) and the error table (errors.go) decide
// is then written into the document by documentPolicies (openapi_policy.go):
// the fragments do not repeat it.
//
//go:embed openapi/*.json
var openapiFS embed.FS

var (
	openapiOnce sync.Once
	openapiDoc  []byte
	openapiErr  error
)

// OpenAPI returns the merged OpenAPI 3 document as JSON.
func OpenAPI() ([]byte, error) {
	openapiOnce.Do(func() { openapiDoc, openapiErr = buildOpenAPI(openapiFS) })
	return openapiDoc, openapiErr
}

func buildOpenAPI(fsys fs.FS) ([]byte, error) {
	names, err := fs.Glob(fsys, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var doc map[string]any
	if err := readJSON(fsys, "openapi/base.json", &doc); err != nil {
		return nil, err
	}
	paths := ensureMap(doc, "paths")
	components := ensureMap(doc, "components")
	for _, name := range names {
		if name == "openapi/base.json" {
			continue
		}
		var frag map[string]any
		if err := readJSON(fsys, name, &frag); err != nil {
			return nil, err
		}
		for p, item := range asMap(frag["paths"]) {
			if _, dup := paths[p]; dup {
				// Two fragments may document different methods of one path.
				existing := asMap(paths[p])
				for m, op := range asMap(item) {
					if _, dup := existing[m]; dup {
						return nil, fmt.Errorf("openapi: %s documents %s %s again", name, m, p)
					}
					existing[m] = op
				}
				continue
			}
			paths[p] = item
		}
		for section, entries := range asMap(frag["components"]) {
			dst := ensureMap(components, section)
			for k, v := range asMap(entries) {
				if _, dup := dst[k]; dup {
					return nil, fmt.Errorf("openapi: %s defines components.%s.%s again", name, section, k)
				}
				dst[k] = v
			}
		}
		if tags, ok := frag["tags"].([]any); ok {
			existing, _ := doc["tags"].([]any)
			doc["tags"] = append(existing, tags...)
		}
	}
	documentPolicies(doc)
	addSharedResponses(doc, paths) // after the policies: 429 where a token is checked, 507/503 on writes
	return json.MarshalIndent(doc, "", "  ")
}

// writeMethods are the methods of operations that write (and so may meet a
// full or failing disk).
var writeMethods = map[string]bool{"post": true, "put": true, "patch": true, "delete": true}

// addSharedResponses documents the answers every operation of a kind may
// give, so fragments need not repeat them: 429 on every authenticated
// operation (an address with too many failed authentications, authfail.go),
// and 507 insufficient_storage and 503 unavailable on every write (a commit
// the disk refused, data/health.go).
func addSharedResponses(doc, paths map[string]any) {
	globalAuth := len(asSlice(doc["security"])) > 0
	for _, item := range paths {
		for m, op := range asMap(item) {
			o := asMap(op)
			if o == nil {
				continue
			}
			responses := ensureMap(o, "responses")
			add := func(status, ref string) {
				if _, ok := responses[status]; !ok {
					responses[status] = map[string]any{"$ref": "#/components/responses/" + ref}
				}
			}
			sec, own := o["security"]
			if (own && len(asSlice(sec)) > 0) || (!own && globalAuth) {
				add("429", "RateLimited")
			}
			if writeMethods[m] {
				add("507", "InsufficientStorage")
				add("503", "Unavailable")
			}
		}
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// pathParam matches a {param} of an OpenAPI path.
var pathParam = regexp.MustCompile(`\{[^/{}]+\}`)

func readJSON(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("openapi: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("openapi: %s: %w", name, err)
	}
	return nil
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func ensureMap(m map[string]any, key string) map[string]any {
	if sub, ok := m[key].(map[string]any); ok {
		return sub
	}
	sub := map[string]any{}
	m[key] = sub
	return sub
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	doc, err := OpenAPI()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(doc)
}
