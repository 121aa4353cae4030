package fake

import (
	"net/http"
	"strings"
)

// DefaultRiskyWords are the words the fake's text security check calls risky
// unless Options.RiskyWords says otherwise: obviously bad test words, so tests
// and the demo can show a refusal.
var DefaultRiskyWords = []string{"badword", "scamlink", "违禁词"}

// DefaultReviewWords are the words the fake's text security check answers
// "review" for.
var DefaultReviewWords = []string{"doubtful"}

// Failure modes of the fake's text security check (SecCheckConfig.Fail).
const (
	SecFailNone    = ""        // answer normally
	SecFailErrcode = "errcode" // answer errcode -1 (system busy)
	SecFailHTTP    = "http"    // answer HTTP 500
)

// SecCheckConfig is how the fake's text security check (POST
// /wxa/msg_sec_check) answers: content holding one of Risky (case-insensitive)
// is "risky" (label 20001), one of Review "review" (label 21000), anything
// else "pass"; Fail makes every call fail instead.
type SecCheckConfig struct {
	Risky  []string `json:"risky"`
	Review []string `json:"review"`
	Fail   string   `json:"fail"`
}

// secCheckState is the fake's text security check (guarded by Fake.mu).
type secCheckState struct {
	cfg   SecCheckConfig
	calls int
}

// registerSecCheck mounts the text security check and its control route.
func (f *Fake) registerSecCheck(mux *http.ServeMux) {
	risky := f.opts.RiskyWords
	if risky == nil {
		risky = DefaultRiskyWords
	}
	f.sec = secCheckState{cfg: SecCheckConfig{Risky: risky, Review: DefaultReviewWords}}
	mux.HandleFunc("POST /wxa/msg_sec_check", f.handleMsgSecCheck)
	mux.HandleFunc("POST /seccheck", f.handleSecCheckControl)
}

// SetSecCheck replaces the configuration of the text security check.
func (f *Fake) SetSecCheck(c SecCheckConfig) {
	f.mu.Lock()
	f.sec.cfg = c
	f.mu.Unlock()
}

// SecCheck returns the current configuration of the text security check.
func (f *Fake) SecCheck() SecCheckConfig {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sec.cfg
}

// SecCheckCalls is how many text security checks the fake has answered.
func (f *Fake) SecCheckCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sec.calls
}

// handleMsgSecCheck answers POST /wxa/msg_sec_check (version 2).
func (f *Fake) handleMsgSecCheck(w http.ResponseWriter, r *http.Request) {
	if !f.checkToken(w, r) {
		return
	}
	var in struct {
		Content string `json:"content"`
		Version int    `json:"version"`
		Scene   int    `json:"scene"`
		OpenID  string `json:"openid"`
	}
	if !f.wxDecode(w, r, &in) {
		return
	}
	f.mu.Lock()
	f.sec.calls++
	cfg := f.sec.cfg
	f.mu.Unlock()
	switch cfg.Fail {
	case SecFailHTTP:
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	case SecFailErrcode:
		f.wxErr(w, -1, "system error")
		return
	}
	switch {
	case in.Version != 2 || in.Scene < 1 || in.Scene > 4 || in.Content == "":
		f.wxErr(w, 47001, "data format error: version must be 2, scene 1..4, content non-empty")
		return
	case !validOpenID(in.OpenID):
		f.wxErr(w, 40003, "invalid openid")
		return
	}
	suggest, label := "pass", 100
	switch {
	case containsAny(in.Content, cfg.Risky):
		suggest, label = "risky", 20001
	case containsAny(in.Content, cfg.Review):
		suggest, label = "review", 21000
	}
	wxJSON(w, map[string]any{
		"errcode": 0, "errmsg": "ok",
		"result":   map[string]any{"suggest": suggest, "label": label},
		"detail":   []map[string]any{{"strategy": "keyword", "errcode": 0, "suggest": suggest, "label": label}},
		"trace_id": f.traceID(),
	})
}

// traceID is a request id such as WeChat puts on its answers.
func (f *Fake) traceID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.randomHex(4) + "-" + f.randomHex(4) + "-" + f.randomHex(4)
}

// handleSecCheckControl is POST /seccheck: replace the configuration of the
// text security check (the demo and tests use it to add words or to make the
// check fail).
func (f *Fake) handleSecCheckControl(w http.ResponseWriter, r *http.Request) {
	var in SecCheckConfig
	if !ctlDecode(w, r, &in) {
		return
	}
	switch in.Fail {
	case SecFailNone, SecFailErrcode, SecFailHTTP:
	default:
		ctlErr(w, http.StatusBadRequest, "invalid_argument", `fail: must be "", "errcode" or "http"`)
		return
	}
	f.SetSecCheck(in)
	writeJSON(w, http.StatusOK, in)
}

// containsAny reports whether s holds one of words, ignoring case.
func containsAny(s string, words []string) bool {
	s = strings.ToLower(s)
	for _, wd := range words {
		if wd != "" && strings.Contains(s, strings.ToLower(wd)) {
			return true
		}
	}
	return false
}
