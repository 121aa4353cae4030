package fake

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Lifetimes the fake applies, as WeChat documents them.
const (
	// TokenTTL is the lifetime of an access token (expires_in 7200).
	TokenTTL = 7200 * time.Second
	// CodeTTL is the lifetime of a login or phone code.
	CodeTTL = 5 * time.Minute
	// tokenOverlap: a stable token is replaced in its last five minutes, and a
	// token replaced by /cgi-bin/token stays valid five more minutes.
	tokenOverlap = 5 * time.Minute
	// forgetAfter is how long expired codes and tokens are remembered (so a
	// reused code says 40163, an old token 42001) before being dropped.
	forgetAfter = time.Hour
	// maxControlBody bounds control and API request bodies.
	maxControlBody = 1 << 20
)

// coreState is the mini-program part of the fake: tokens, codes, users,
// subscriptions and sent messages. It is guarded by Fake.mu.
type coreState struct {
	tokens     map[string]time.Time // access token → expiry
	stable     string               // current stable_token token
	plain      string               // latest /cgi-bin/token token
	loginCodes map[string]*mpCode
	phoneCodes map[string]*mpCode
	users      map[string]*mpUser           // openid → user
	grants     map[mpGrantKey]int           // remaining one-time grants
	messages   []Message                    // sent subscribe messages, in order
	templates  map[string]map[string]string // template id → key → field type
	msgSeq     int64                        // last msgid

	// loginSwept and phoneSwept are the last sweeps of the code maps.
	loginSwept, phoneSwept time.Time
}

// mpCode is a login or phone code.
type mpCode struct {
	openid string
	phone  string // phone codes only
	issued time.Time
	used   bool
}

// mpUser is what the fake knows of an openid.
type mpUser struct {
	sessionKey string // latest session key, base64; empty before the first login
}

// mpGrantKey identifies one-time subscribe grants.
type mpGrantKey struct{ openid, templateID string }

// registerCore mounts the mini-program endpoints and their control routes.
func (f *Fake) registerCore(mux *http.ServeMux) {
	f.core = coreState{
		tokens:     map[string]time.Time{},
		loginCodes: map[string]*mpCode{},
		phoneCodes: map[string]*mpCode{},
		users:      map[string]*mpUser{},
		grants:     map[mpGrantKey]int{},
		templates:  mergeTemplates(f.opts.Templates),
	}
	// WeChat endpoints.
	mux.HandleFunc("GET /cgi-bin/token", f.handleToken)
	mux.HandleFunc("POST /cgi-bin/stable_token", f.handleStableToken)
	mux.HandleFunc("GET /sns/jscode2session", f.handleCode2Session)
	mux.HandleFunc("POST /wxa/business/getuserphonenumber", f.handleGetPhone)
	mux.HandleFunc("POST /cgi-bin/message/subscribe/send", f.handleSubscribeSend)
	mux.HandleFunc("POST /wxa/getwxacodeunlimit", f.handleWxaCode)
	// Control routes.
	mux.HandleFunc("POST /login-code", f.handleLoginCode)
	mux.HandleFunc("POST /phone-code", f.handlePhoneCode)
	mux.HandleFunc("POST /phone-encrypted", f.handlePhoneEncrypted)
	mux.HandleFunc("POST /subscribe", f.handleSubscribe)
	mux.HandleFunc("GET /messages", f.handleMessages)
}

// ---- answers -------------------------------------------------------------

// writeJSON writes v as an unsigned JSON answer with status: every answer
// of the fake but WeChat Pay's signed ones (payReply).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// wxJSON writes a WeChat answer: always HTTP 200 with a JSON body.
func wxJSON(w http.ResponseWriter, v any) { writeJSON(w, http.StatusOK, v) }

// wxErr writes a WeChat error answer {"errcode","errmsg"} with a request id
// appended to the message, as WeChat does.
func (f *Fake) wxErr(w http.ResponseWriter, code int, msg string) {
	f.mu.Lock()
	rid := f.randomHex(4) + "-" + f.randomHex(4) + "-" + f.randomHex(4)
	f.mu.Unlock()
	wxJSON(w, map[string]any{"errcode": code, "errmsg": msg + " rid: " + rid})
}

// ctlErr writes a control-route error in luckbox's API shape.
func ctlErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// ctlDecode reads a control request body strictly (no unknown fields, one
// value); on failure it answers 400 and returns false.
func ctlDecode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		ctlErr(w, http.StatusBadRequest, "invalid_argument", "malformed JSON: "+err.Error())
		return false
	}
	if dec.More() {
		ctlErr(w, http.StatusBadRequest, "invalid_argument", "malformed JSON: trailing data")
		return false
	}
	return true
}

// wxDecode reads a WeChat API request body; on failure it answers errcode
// 47001 and returns false.
func (f *Fake) wxDecode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlBody)).Decode(v); err != nil {
		f.wxErr(w, 47001, "data format error")
		return false
	}
	return true
}

// ---- randomness (call with f.mu held) -------------------------------------

// randomBytes returns n bytes from Options.Rand. The fake cannot work
// without randomness, so a failing reader panics.
func (f *Fake) randomBytes(n int) []byte {
	r := f.opts.Rand
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		panic(fmt.Sprintf("fake: read randomness: %v", err))
	}
	return b
}

func (f *Fake) randomHex(n int) string { return hex.EncodeToString(f.randomBytes(n)) }

// randomCode returns a 32-character code shaped like wx.login's.
func (f *Fake) randomCode() string {
	return base64.RawURLEncoding.EncodeToString(f.randomBytes(24))
}

// ---- access tokens --------------------------------------------------------

// checkApp validates appid and secret; on failure it answers like WeChat and
// returns false.
func (f *Fake) checkApp(w http.ResponseWriter, appid, secret string) bool {
	switch {
	case appid == "" || appid != f.opts.AppID:
		f.wxErr(w, 40013, "invalid appid")
		return false
	case secret == "" || secret != f.opts.Secret:
		f.wxErr(w, 40125, "invalid appsecret")
		return false
	}
	return true
}

// mintToken issues a new access token valid TokenTTL from now (f.mu held).
func (f *Fake) mintToken(now time.Time) string {
	for tok, exp := range f.core.tokens {
		if now.Sub(exp) > forgetAfter {
			delete(f.core.tokens, tok)
		}
	}
	tok := "fake_" + base64.RawURLEncoding.EncodeToString(f.randomBytes(48))
	f.core.tokens[tok] = now.Add(TokenTTL)
	return tok
}

// handleToken serves GET /cgi-bin/token: every call issues a new token; the
// previous one stays valid five more minutes.
func (f *Fake) handleToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("grant_type") != "client_credential" {
		f.wxErr(w, 40002, "invalid grant_type")
		return
	}
	if !f.checkApp(w, q.Get("appid"), q.Get("secret")) {
		return
	}
	now := f.now()
	f.mu.Lock()
	if old, ok := f.core.tokens[f.core.plain]; ok && old.After(now.Add(tokenOverlap)) {
		f.core.tokens[f.core.plain] = now.Add(tokenOverlap)
	}
	tok := f.mintToken(now)
	f.core.plain = tok
	f.mu.Unlock()
	wxJSON(w, map[string]any{"access_token": tok, "expires_in": int64(TokenTTL / time.Second)})
}

// handleStableToken serves POST /cgi-bin/stable_token. Normal mode returns
// the current token until its last five minutes, then a new one (the old one
// living on until it expires); force_refresh revokes the current token.
func (f *Fake) handleStableToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if !f.wxDecode(w, r, &in) {
		return
	}
	if in.GrantType != "client_credential" {
		f.wxErr(w, 40002, "invalid grant_type")
		return
	}
	if !f.checkApp(w, in.AppID, in.Secret) {
		return
	}
	now := f.now()
	f.mu.Lock()
	exp, ok := f.core.tokens[f.core.stable]
	switch {
	case in.ForceRefresh:
		delete(f.core.tokens, f.core.stable)
		f.core.stable = f.mintToken(now)
	case !ok || !now.Before(exp.Add(-tokenOverlap)):
		f.core.stable = f.mintToken(now)
	}
	tok := f.core.stable
	left := f.core.tokens[tok].Sub(now)
	f.mu.Unlock()
	wxJSON(w, map[string]any{"access_token": tok, "expires_in": int64(left / time.Second)})
}

// checkToken validates the access_token query parameter of a protected
// endpoint; on failure it answers 41001, 40001 or 42001 and returns false.
func (f *Fake) checkToken(w http.ResponseWriter, r *http.Request) bool {
	tok := r.URL.Query().Get("access_token")
	if tok == "" {
		f.wxErr(w, 41001, "access_token missing")
		return false
	}
	now := f.now()
	f.mu.Lock()
	exp, ok := f.core.tokens[tok]
	f.mu.Unlock()
	switch {
	case !ok:
		f.wxErr(w, 40001, "invalid credential, access_token is invalid or not latest")
		return false
	case !now.Before(exp):
		f.wxErr(w, 42001, "access_token expired")
		return false
	}
	return true
}

// ---- login ------------------------------------------------------------------

// LoginCode mints a single-use wx.login code for openid, valid CodeTTL.
func (f *Fake) LoginCode(openid string) (string, error) {
	if !validOpenID(openid) {
		return "", errBadOpenID
	}
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	pruneCodes(f.core.loginCodes, &f.core.loginSwept, now)
	code := f.randomCode()
	f.core.loginCodes[code] = &mpCode{openid: openid, issued: now}
	return code, nil
}

// pruneCodes forgets codes long expired (f.mu held). It sweeps at most once
// a minute (last is when it last did), so minting a code stays cheap however
// many codes were minted before: a sweep on every mint made logins slow down
// linearly with the number of codes still remembered.
func pruneCodes(m map[string]*mpCode, last *time.Time, now time.Time) {
	if d := now.Sub(*last); d >= 0 && d < time.Minute {
		return
	}
	*last = now
	for k, c := range m {
		if now.Sub(c.issued) > CodeTTL+forgetAfter {
			delete(m, k)
		}
	}
}

// UnionID returns the unionid the fake reports for openid.
func UnionID(openid string) string { return "union_" + openid }

// handleCode2Session serves GET /sns/jscode2session.
func (f *Fake) handleCode2Session(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !f.checkApp(w, q.Get("appid"), q.Get("secret")) {
		return
	}
	if q.Get("grant_type") != "authorization_code" {
		f.wxErr(w, 40002, "invalid grant_type")
		return
	}
	code := q.Get("js_code")
	if code == "" {
		f.wxErr(w, 41008, "missing code")
		return
	}
	now := f.now()
	f.mu.Lock()
	c, ok := f.core.loginCodes[code]
	switch {
	case !ok || !now.Before(c.issued.Add(CodeTTL)) && !c.used:
		f.mu.Unlock()
		f.wxErr(w, 40029, "invalid code")
		return
	case c.used:
		f.mu.Unlock()
		f.wxErr(w, 40163, "code been used")
		return
	}
	c.used = true
	key := base64.StdEncoding.EncodeToString(f.randomBytes(16))
	u := f.user(c.openid)
	u.sessionKey = key
	f.mu.Unlock()
	wxJSON(w, map[string]any{"openid": c.openid, "session_key": key, "unionid": UnionID(c.openid)})
}

// user returns openid's record, creating it: the fake has now seen openid
// (f.mu held).
func (f *Fake) user(openid string) *mpUser {
	u := f.core.users[openid]
	if u == nil {
		u = &mpUser{}
		f.core.users[openid] = u
	}
	return u
}

// SessionKey returns the latest session key issued to openid, if any.
func (f *Fake) SessionKey(openid string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.core.users[openid]
	if u == nil || u.sessionKey == "" {
		return "", false
	}
	return u.sessionKey, true
}

// handleLoginCode serves the control route POST /login-code {"openid"} →
// {"code"}.
func (f *Fake) handleLoginCode(w http.ResponseWriter, r *http.Request) {
	var in struct {
		OpenID string `json:"openid"`
	}
	if !ctlDecode(w, r, &in) {
		return
	}
	code, err := f.LoginCode(in.OpenID)
	if err != nil {
		ctlErr(w, http.StatusBadRequest, "invalid_argument", strings.TrimPrefix(err.Error(), "fake: "))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"code": code})
}

var errBadOpenID = errors.New("fake: openid must be 1..64 letters, digits, '_' or '-'")

var openIDRe = regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)

func validOpenID(s string) bool { return openIDRe.MatchString(s) }

// ---- phone --------------------------------------------------------------------

// phoneRe accepts a mainland number ("13800000000") or an international one
// written "+<country code> <number>" (a space or '-' after the country code).
var phoneRe = regexp.MustCompile(`^(?:\+([1-9][0-9]{0,3})[ -])?([0-9]{5,15})$`)

// splitPhone returns WeChat's phoneNumber, purePhoneNumber and countryCode
// for a control-route phone.
func splitPhone(phone string) (full, pure, country string, ok bool) {
	m := phoneRe.FindStringSubmatch(phone)
	if m == nil {
		return "", "", "", false
	}
	if m[1] == "" {
		return m[2], m[2], "86", true
	}
	return "+" + m[1] + " " + m[2], m[2], m[1], true
}

// PhoneCode mints a single-use getPhoneNumber code for openid and phone.
func (f *Fake) PhoneCode(openid, phone string) (string, error) {
	if !validOpenID(openid) {
		return "", errBadOpenID
	}
	if _, _, _, ok := splitPhone(phone); !ok {
		return "", errors.New(`fake: phone must be digits like "13800000000" or "+1 4155550100"`)
	}
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	pruneCodes(f.core.phoneCodes, &f.core.phoneSwept, now)
	code := f.randomCode()
	f.core.phoneCodes[code] = &mpCode{openid: openid, phone: phone, issued: now}
	return code, nil
}

// phoneInfo is the phone JSON object WeChat returns (phone_info, and the
// legacy decrypted payload).
func (f *Fake) phoneInfo(phone string, now time.Time) map[string]any {
	full, pure, country, _ := splitPhone(phone)
	return map[string]any{
		"phoneNumber":     full,
		"purePhoneNumber": pure,
		"countryCode":     country,
		"watermark":       map[string]any{"timestamp": now.Unix(), "appid": f.opts.AppID},
	}
}

// handleGetPhone serves POST /wxa/business/getuserphonenumber {"code"}.
func (f *Fake) handleGetPhone(w http.ResponseWriter, r *http.Request) {
	if !f.checkToken(w, r) {
		return
	}
	var in struct {
		Code string `json:"code"`
	}
	if !f.wxDecode(w, r, &in) {
		return
	}
	now := f.now()
	f.mu.Lock()
	c, ok := f.core.phoneCodes[in.Code]
	if !ok || c.used || !now.Before(c.issued.Add(CodeTTL)) {
		f.mu.Unlock()
		f.wxErr(w, 40029, "invalid code")
		return
	}
	c.used = true
	f.user(c.openid)
	f.mu.Unlock()
	wxJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "phone_info": f.phoneInfo(c.phone, now)})
}

// handlePhoneCode serves the control route POST /phone-code
// {"openid","phone"} → {"code"}.
func (f *Fake) handlePhoneCode(w http.ResponseWriter, r *http.Request) {
	var in struct {
		OpenID string `json:"openid"`
		Phone  string `json:"phone"`
	}
	if !ctlDecode(w, r, &in) {
		return
	}
	code, err := f.PhoneCode(in.OpenID, in.Phone)
	if err != nil {
		ctlErr(w, http.StatusBadRequest, "invalid_argument", strings.TrimPrefix(err.Error(), "fake: "))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"code": code})
}

// EncryptedPhone returns phone encrypted for openid exactly as the legacy
// getPhoneNumber button did: AES-128-CBC with openid's latest session key,
// a random iv and PKCS#7 padding, over the phone JSON with a watermark of the
// fake's app id. openid must have logged in.
func (f *Fake) EncryptedPhone(openid, phone string) (encryptedData, iv string, err error) {
	if _, _, _, ok := splitPhone(phone); !ok {
		return "", "", errors.New(`fake: phone must be digits like "13800000000" or "+1 4155550100"`)
	}
	pt, err := json.Marshal(f.phoneInfo(phone, f.now()))
	if err != nil {
		return "", "", fmt.Errorf("fake: encode phone: %w", err)
	}
	return f.encryptFor(openid, pt)
}

// encryptFor encrypts pt for openid as WeChat's legacy open data:
// AES-128-CBC with openid's latest session key, a random iv and PKCS#7
// padding, both base64. openid must have logged in.
func (f *Fake) encryptFor(openid string, pt []byte) (encryptedData, iv string, err error) {
	f.mu.Lock()
	u := f.core.users[openid]
	if u == nil || u.sessionKey == "" {
		f.mu.Unlock()
		return "", "", errNoSession
	}
	key, _ := base64.StdEncoding.DecodeString(u.sessionKey)
	ivb := f.randomBytes(aes.BlockSize)
	f.mu.Unlock()
	ct, err := encryptCBC(key, ivb, pt)
	if err != nil {
		return "", "", err
	}
	return base64.StdEncoding.EncodeToString(ct), base64.StdEncoding.EncodeToString(ivb), nil
}

// errNoSession: EncryptedPhone needs a session key, which a login creates.
var errNoSession = errors.New("fake: openid has no session: exchange a login code first")

// encryptCBC encrypts pt with AES-CBC and PKCS#7 padding.
func encryptCBC(key, iv, pt []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("fake: aes key: %w", err)
	}
	n := aes.BlockSize - len(pt)%aes.BlockSize
	buf := make([]byte, len(pt)+n)
	copy(buf, pt)
	for i := len(pt); i < len(buf); i++ {
		buf[i] = byte(n)
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(buf, buf)
	return buf, nil
}

// handlePhoneEncrypted serves the control route POST /phone-encrypted
// {"openid","phone"} → {"encrypted_data","iv"}.
func (f *Fake) handlePhoneEncrypted(w http.ResponseWriter, r *http.Request) {
	var in struct {
		OpenID string `json:"openid"`
		Phone  string `json:"phone"`
	}
	if !ctlDecode(w, r, &in) {
		return
	}
	if !validOpenID(in.OpenID) {
		ctlErr(w, http.StatusBadRequest, "invalid_argument", "openid must be 1..64 letters, digits, '_' or '-'")
		return
	}
	data, iv, err := f.EncryptedPhone(in.OpenID, in.Phone)
	if err != nil {
		status, code := http.StatusBadRequest, "invalid_argument"
		if errors.Is(err, errNoSession) {
			status, code = http.StatusConflict, "conflict"
		}
		ctlErr(w, status, code, strings.TrimPrefix(err.Error(), "fake: "))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"encrypted_data": data, "iv": iv})
}
