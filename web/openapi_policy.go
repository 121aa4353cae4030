package web

import (
	"maps"
	"strings"
)

// documentPolicies writes into the merged document what the route table and
// the error table decide, so the document follows the code rather than each
// fragment repeating it:
//
//   - the error codes of the Error schema are ErrorCodes;
//   - public routes need no security; the others answer 401 and 403;
//   - routes that read a body answer 400 and 413;
//   - rate-limited routes answer 429 (with Retry-After) and name their class
//     in x-rate-class;
//   - idempotent routes take Idempotency-Key, answer 409 (the key is in use)
//     and 422 (idempotency_mismatch), and the answers that may be replays
//     carry Idempotent-Replayed;
//   - every operation may answer 500 and takes X-Request-Id, and every
//     response carries X-Request-Id.
//
// A path asked with a method it does not route is 405 with Allow (the
// MethodNotAllowed response); OpenAPI has no place for it in an operation,
// so the document's description says it.
func documentPolicies(doc map[string]any) {
	components := ensureMap(doc, "components")
	code := asMap(asMap(asMap(asMap(asMap(asMap(components["schemas"])["Error"])["properties"])["error"])["properties"])["code"])
	if code != nil {
		enum := []any{}
		for _, c := range ErrorCodes() {
			enum = append(enum, c)
		}
		code["enum"] = enum
	}
	paths := ensureMap(doc, "paths")
	for _, rt := range routeTable() {
		op := asMap(asMap(paths[rt.pattern])[strings.ToLower(rt.method)])
		if op == nil {
			continue // TestOpenAPIComplete names the undocumented route
		}
		responses := ensureMap(op, "responses")
		add := func(status, name string) {
			if _, ok := responses[status]; !ok {
				responses[status] = componentRef("responses", name)
			}
		}
		if rt.auth == public {
			op["security"] = []any{}
		} else {
			add("401", "Unauthenticated")
			add("403", "Forbidden")
		}
		if rt.body != noBody {
			add("400", "BadRequest")
			add("413", "TooLarge")
		}
		if rt.rate != noRate {
			add("429", "RateLimited")
			op["x-rate-class"] = string(rt.rate)
		}
		if rt.opts&idempotent != 0 {
			addParameter(op, "IdempotencyKey")
			add("400", "BadRequest")
			add("409", "Conflict")
			add("422", "IdempotencyMismatch")
		}
		add("500", "Internal")
		addParameter(op, "RequestId")
		if rt.opts&idempotent != 0 {
			// Replays of stored answers: what the handler answered, 5xx
			// aside. A $ref takes no siblings, so shared responses are
			// copied inline here.
			for status, res := range responses {
				if status < "500" && !notReplayed[status] {
					r := inline(components, res)
					addHeader(r, "Idempotent-Replayed", "IdempotentReplayed")
					responses[status] = r
				}
			}
		}
	}
	// X-Request-Id on every response: the inline ones and the shared ones.
	for _, item := range paths {
		for _, op := range asMap(item) {
			for _, res := range asMap(asMap(op)["responses"]) {
				if _, shared := asMap(res)["$ref"]; !shared {
					addHeader(asMap(res), "X-Request-Id", "RequestId")
				}
			}
		}
	}
	for _, res := range asMap(components["responses"]) {
		addHeader(asMap(res), "X-Request-Id", "RequestId")
	}
}

// notReplayed are the statuses an idempotent route answers before its
// Idempotency-Key is looked at (or instead of a replay), never as a replay.
var notReplayed = map[string]bool{"401": true, "403": true, "413": true, "422": true, "429": true}

// componentRef is a $ref to components.<section>.<name>.
func componentRef(section, name string) map[string]any {
	return map[string]any{"$ref": "#/components/" + section + "/" + name}
}

// addParameter adds the shared parameter name to op unless it is there.
func addParameter(op map[string]any, name string) {
	params, _ := op["parameters"].([]any)
	ref := componentRef("parameters", name)
	for _, p := range params {
		if asMap(p)["$ref"] == ref["$ref"] {
			return
		}
	}
	op["parameters"] = append(params, ref)
}

// inline returns response res, a copy of the shared response if res is a
// $ref to one (with its own headers, so the shared one stays unchanged).
func inline(components map[string]any, res any) map[string]any {
	r := asMap(res)
	target, _ := r["$ref"].(string)
	name, ok := strings.CutPrefix(target, "#/components/responses/")
	if !ok {
		return r
	}
	r = maps.Clone(asMap(asMap(components["responses"])[name]))
	headers := maps.Clone(asMap(r["headers"]))
	if headers == nil {
		headers = map[string]any{}
	}
	r["headers"] = headers
	return r
}

// addHeader adds the shared header components.headers.<ref> to response r
// as header, unless r has it.
func addHeader(r map[string]any, header, ref string) {
	if r == nil {
		return
	}
	headers := ensureMap(r, "headers")
	if _, ok := headers[header]; !ok {
		headers[header] = componentRef("headers", ref)
	}
}
