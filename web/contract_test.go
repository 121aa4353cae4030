package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"luckbox/auth"
)

// The contract check: every request the handler tests make, and every
// answer, is validated against the OpenAPI document the server serves
// (openapi.go). The harness's server runs its handler behind
// contract.check, so a status, header or body the document does not
// describe fails the test that caused it. Paths the document does not
// cover (the UI, /_fake) are not checked; an unknown /api/ path must be
// 404 and a documented path asked with another method must be 405 with the
// documented methods in Allow.

// contract is the parsed document and its router.
type contract struct {
	doc    *openapi3.T
	router routers.Router
}

var (
	contractOnce sync.Once
	theContract  *contract
	contractErr  error
)

// loadContract parses and validates the served document once per test binary.
func loadContract() (*contract, error) {
	contractOnce.Do(func() {
		// Bodies that are not JSON: checked as strings or files.
		for ct, dec := range map[string]openapi3filter.BodyDecoder{
			"text/event-stream": openapi3filter.PlainBodyDecoder, "text/html": openapi3filter.PlainBodyDecoder,
			"text/javascript": openapi3filter.PlainBodyDecoder, "text/css": openapi3filter.PlainBodyDecoder,
			"image/png": openapi3filter.FileBodyDecoder, "image/jpeg": openapi3filter.FileBodyDecoder,
		} {
			openapi3filter.RegisterBodyDecoder(ct, dec)
		}
		raw, err := OpenAPI()
		if err != nil {
			contractErr = err
			return
		}
		doc, err := openapi3.NewLoader().LoadFromData(raw)
		if err != nil {
			contractErr = fmt.Errorf("load the OpenAPI document: %w", err)
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			contractErr = fmt.Errorf("the OpenAPI document is not valid OpenAPI 3: %w", err)
			return
		}
		router, err := legacy.NewRouter(doc)
		if err != nil {
			contractErr = fmt.Errorf("route the OpenAPI document: %w", err)
			return
		}
		theContract = &contract{doc: doc, router: router}
	})
	return theContract, contractErr
}

// contractReport collects the violations of one harness; they are reported
// when its server has stopped and every check has finished. The checks run
// after the answer is sent, so they do not slow the exchanges down.
type contractReport struct {
	checks sync.WaitGroup
	mu     sync.Mutex
	errors []string
}

func (c *contractReport) add(msg string) {
	c.mu.Lock()
	c.errors = append(c.errors, msg)
	c.mu.Unlock()
}

// check serves next and validates the exchange against the document.
func (c *contract) check(report *contractReport, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.covers(r) {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			report.add(fmt.Sprintf("%s %s: read the request body: %v", r.Method, r.URL.Path, err))
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rw := wrapWriter(w) // the server's own wrapper, shared with its middleware
		var answer bytes.Buffer
		stop := rw.tee(&answer)
		next.ServeHTTP(rw, r)
		stop()
		status := rw.status
		if status == 0 {
			status = http.StatusOK
		}
		req, header := r.Clone(context.Background()), rw.Header().Clone()
		report.checks.Go(func() {
			if err := c.validate(req, body, status, header, answer.Bytes()); err != nil {
				report.add(fmt.Sprintf("%s %s → %d %s: %v", req.Method, req.URL.RequestURI(), status, snippet(answer.Bytes()), err))
			}
		})
	})
}

// snippet is the start of a body, for messages.
func snippet(b []byte) string {
	const n = 300
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// covers reports whether the document speaks about r: every /api/ path, and
// the documented paths outside it (/healthz, /docs, ...).
func (c *contract) covers(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || len(c.methods(r)) > 0
}

// methods lists the documented methods of r's path, in the order of Allow.
func (c *contract) methods(r *http.Request) []string {
	var out []string
	for _, m := range routeMethods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, _, err := c.router.FindRoute(probe); err == nil {
			out = append(out, m)
		}
	}
	return out
}

// validate checks one exchange: a documented operation's request and
// answer against it; otherwise the 405 (documented path) or 404 (unknown
// path) the document promises.
func (c *contract) validate(r *http.Request, body []byte, status int, header http.Header, answer []byte) error {
	req := r.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return c.validateUnrouted(r, status, header, answer)
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		SkipSettingDefaults:   true,
		MultiError:            true,
		AuthenticationFunc:    credentialsPresent,
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if reqErr := openapi3filter.ValidateRequest(context.Background(), in); reqErr != nil && (status < 400 || status >= 500) {
		return fmt.Errorf("the document says the request is invalid (%v), yet the server answered %d", reqErr, status)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header, Options: opts}
	out.SetBodyBytes(answer)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("the answer is not the documented one: %w", err)
	}
	return nil
}

// validateUnrouted checks the answer to a path or method the document has
// no operation for: 405 with Allow = the documented methods, or 404.
func (c *contract) validateUnrouted(r *http.Request, status int, header http.Header, answer []byte) error {
	documented := c.methods(r)
	want, component := http.StatusNotFound, "NotFound"
	if len(documented) > 0 {
		want, component = http.StatusMethodNotAllowed, "MethodNotAllowed"
		if got := header.Get("Allow"); got != strings.Join(documented, ", ") {
			return fmt.Errorf("Allow %q, but the document has %s for this path", got, strings.Join(documented, ", "))
		}
	}
	if status != want {
		return fmt.Errorf("the document has no %s %s (documented methods: %v), so the answer must be %d", r.Method, r.URL.Path, documented, want)
	}
	res := c.doc.Components.Responses[component]
	if res == nil || res.Value == nil {
		return fmt.Errorf("the document has no components.responses.%s", component)
	}
	for name, h := range res.Value.Headers {
		if h.Value != nil && h.Value.Required && header.Get(name) == "" {
			return fmt.Errorf("%s: no %s header", component, name)
		}
	}
	if r.Method == http.MethodHead {
		return nil // no body
	}
	mt := res.Value.Content.Get(header.Get("Content-Type"))
	if mt == nil || mt.Schema == nil {
		return fmt.Errorf("%s: Content-Type %q is not documented", component, header.Get("Content-Type"))
	}
	v, err := decodeJSONValue(answer)
	if err != nil {
		return fmt.Errorf("%s: %w", component, err)
	}
	if err := mt.Schema.Value.VisitJSON(v); err != nil {
		return fmt.Errorf("%s: %w", component, err)
	}
	return nil
}

// decodeJSONValue decodes b the way kin-openapi's schemas expect.
func decodeJSONValue(b []byte) (any, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("the body is not JSON: %w", err)
	}
	return v, nil
}

// credentialsPresent is the document's security check: the credential a
// scheme names is present (whether it is valid is the server's business,
// and a 401 is documented).
func credentialsPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	switch s := in.SecurityScheme; {
	case s.Type == "http" && strings.EqualFold(s.Scheme, "bearer"):
		if auth.BearerToken(r.Header.Get("Authorization")) == "" {
			return errors.New("no bearer token")
		}
	case s.Type == "apiKey" && s.In == "query":
		if r.URL.Query().Get(s.Name) == "" {
			return fmt.Errorf("no ?%s=", s.Name)
		}
	case s.Type == "apiKey" && s.In == "header":
		if r.Header.Get(s.Name) == "" {
			return fmt.Errorf("no %s header", s.Name)
		}
	default:
		return fmt.Errorf("security scheme %s %s is not checked by the tests", s.Type, s.Scheme)
	}
	return nil
}

// withContract puts the contract check in front of the harness's handler,
// reporting the violations when the harness stops.
func (h *harness) withContract(next http.Handler) http.Handler {
	if _, bench := h.t.(*testing.B); bench {
		return next // benchmarks measure the server, not the checker
	}
	c, err := loadContract()
	if err != nil {
		h.t.Fatal(err)
	}
	report := &contractReport{}
	h.contract = report
	return c.check(report, next)
}

// reportContract waits for the checks and fails the test with every
// violation seen (the harness calls it after its server has stopped).
func (h *harness) reportContract() {
	if h.contract == nil {
		return
	}
	h.contract.checks.Wait()
	h.contract.mu.Lock()
	defer h.contract.mu.Unlock()
	for _, e := range h.contract.errors {
		h.t.Errorf("OpenAPI contract: %s", e)
	}
	h.contract.errors = nil
}
