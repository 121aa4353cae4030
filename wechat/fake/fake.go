// Package fake is an in-memory fake of the WeChat mini-program server APIs and
// WeChat Pay v3, faithful enough that the real client in package wechat talks
// to it unchanged. It also offers control routes (minting login and phone codes,
// marking payments as paid, listing sent messages) used by tests and demo mode.
//
// The handler serves paths relative to its own root; the server mounts it under
// /_fake/wechat with http.StripPrefix and points the client's base URL there.
package fake

import (
	"io"
	"net/http"
	"sync"
	"time"
)

// Options configure a Fake.
type Options struct {
	AppID  string // the mini-program app id the fake accepts
	Secret string // the app secret the fake accepts
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the source of codes, tokens and session keys; nil means
	// crypto/rand.Reader.
	Rand io.Reader
	// Templates adds subscribe-message templates to (or overrides) the
	// defaults of DefaultTemplates: template id → data key → field type
	// ("thing", "phrase", "time", ...; empty means the key's prefix).
	Templates map[string]map[string]string
	// Pay configures the WeChat Pay v3 part (see pay.go); nil disables it.
	Pay *PayOptions
	// RiskyWords are the words the text security check calls risky
	// (seccheck.go); nil means DefaultRiskyWords.
	RiskyWords []string
}

// Fake is the fake WeChat. It is safe for concurrent use.
type Fake struct {
	opts Options
	mux  *http.ServeMux
	now  func() time.Time

	mu   sync.Mutex
	core coreState     // login, tokens, phone, messages, codes (core.go)
	pay  payState      // WeChat Pay orders (pay.go)
	sec  secCheckState // text security check (seccheck.go)
	// groups are the WeChat groups and share tickets (groups.go).
	groups groupState
}

// New returns a Fake with the given options.
func New(opts Options) *Fake {
	f := &Fake{opts: opts, mux: http.NewServeMux(), now: opts.Now}
	if f.now == nil {
		f.now = time.Now
	}
	f.registerCore(f.mux)
	f.registerGroups(f.mux)
	f.registerSecCheck(f.mux)
	if opts.Pay != nil {
		f.registerPay(f.mux)
	}
	return f
}

// ServeHTTP serves the fake's endpoints and control routes.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.mux.ServeHTTP(w, r) }
