package fake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testAppID  = "wx0123456789abcdef"
	testSecret = "s3cr3t-0123456789abcdef"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestFake(t *testing.T) (*Fake, *httptest.Server, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	f := New(Options{AppID: testAppID, Secret: testSecret, Now: clk.Now})
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv, clk
}

// call sends a request and decodes the JSON answer into a map.
func call(t *testing.T, method, url string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: decode: %v", method, url, err)
	}
	return resp.StatusCode, out
}

func errcode(m map[string]any) int {
	v, _ := m["errcode"].(float64)
	return int(v)
}

func stableToken(t *testing.T, srv *httptest.Server, force bool) (string, int) {
	t.Helper()
	_, m := call(t, "POST", srv.URL+"/cgi-bin/stable_token", map[string]any{
		"grant_type": "client_credential", "appid": testAppID, "secret": testSecret, "force_refresh": force})
	if errcode(m) != 0 {
		t.Fatalf("stable_token: %v", m)
	}
	return m["access_token"].(string), int(m["expires_in"].(float64))
}

// useToken calls a protected endpoint with tok and returns its errcode.
func useToken(t *testing.T, srv *httptest.Server, tok string) int {
	t.Helper()
	_, m := call(t, "POST", srv.URL+"/wxa/business/getuserphonenumber?access_token="+tok, `{"code":"nope"}`)
	return errcode(m)
}

func TestStableTokenLifecycle(t *testing.T) {
	_, srv, clk := newTestFake(t)
	t1, exp := stableToken(t, srv, false)
	if exp != 7200 || !strings.HasPrefix(t1, "fake_") {
		t.Fatalf("token %q expires_in %d", t1, exp)
	}
	// Normal mode hands back the same token with the time left.
	clk.Add(time.Hour)
	if t2, exp := stableToken(t, srv, false); t2 != t1 || exp != 3600 {
		t.Fatalf("after 1h: %q/%d, want same token, 3600", t2, exp)
	}
	// In its last five minutes a new token is issued; the old one still works.
	clk.Add(time.Hour - 4*time.Minute)
	t3, exp := stableToken(t, srv, false)
	if t3 == t1 || exp != 7200 {
		t.Fatalf("in last 5 min: %q/%d, want a new token", t3, exp)
	}
	if c := useToken(t, srv, t1); c != 40029 {
		t.Fatalf("old token before its expiry: errcode %d, want 40029 (token accepted)", c)
	}
	clk.Add(4 * time.Minute)
	if c := useToken(t, srv, t1); c != 42001 {
		t.Fatalf("old token after expiry: errcode %d, want 42001", c)
	}
	// Force refresh revokes the current token at once.
	t4, _ := stableToken(t, srv, true)
	if t4 == t3 {
		t.Fatal("force_refresh returned the same token")
	}
	if c := useToken(t, srv, t3); c != 40001 {
		t.Fatalf("revoked token: errcode %d, want 40001", c)
	}
	if c := useToken(t, srv, t4); c != 40029 {
		t.Fatalf("new token: errcode %d, want 40029", c)
	}
	if c := useToken(t, srv, ""); c != 41001 {
		t.Fatalf("no token: errcode %d, want 41001", c)
	}
}

func TestTokenCredentialErrors(t *testing.T) {
	_, srv, _ := newTestFake(t)
	for _, c := range []struct {
		appid, secret, grant string
		want                 int
	}{
		{"wxother", testSecret, "client_credential", 40013},
		{testAppID, "wrong", "client_credential", 40125},
		{testAppID, testSecret, "password", 40002},
	} {
		_, m := call(t, "POST", srv.URL+"/cgi-bin/stable_token", map[string]any{
			"grant_type": c.grant, "appid": c.appid, "secret": c.secret})
		if errcode(m) != c.want {
			t.Errorf("stable_token %+v: %v, want %d", c, m, c.want)
		}
		_, m = call(t, "GET", srv.URL+"/cgi-bin/token?grant_type="+c.grant+"&appid="+c.appid+"&secret="+c.secret, nil)
		if errcode(m) != c.want {
			t.Errorf("token %+v: %v, want %d", c, m, c.want)
		}
	}
	_, m := call(t, "POST", srv.URL+"/cgi-bin/stable_token", "{not json")
	if errcode(m) != 47001 {
		t.Errorf("bad JSON: %v, want 47001", m)
	}
}

func TestGetAccessTokenReplacesPrevious(t *testing.T) {
	_, srv, clk := newTestFake(t)
	get := func() string {
		_, m := call(t, "GET", srv.URL+"/cgi-bin/token?grant_type=client_credential&appid="+testAppID+"&secret="+testSecret, nil)
		tok, _ := m["access_token"].(string)
		if tok == "" || m["expires_in"].(float64) != 7200 {
			t.Fatalf("token: %v", m)
		}
		return tok
	}
	a := get()
	b := get()
	if a == b {
		t.Fatal("GET /cgi-bin/token returned the same token twice")
	}
	clk.Add(4 * time.Minute)
	if c := useToken(t, srv, a); c != 40029 {
		t.Fatalf("replaced token within 5 min: %d, want accepted", c)
	}
	clk.Add(time.Minute)
	if c := useToken(t, srv, a); c != 42001 {
		t.Fatalf("replaced token after 5 min: %d, want 42001", c)
	}
	if c := useToken(t, srv, b); c != 40029 {
		t.Fatalf("current token: %d, want accepted", c)
	}
}

func TestLoginCodeControlRoute(t *testing.T) {
	f, srv, _ := newTestFake(t)
	for _, body := range []string{`{`, `{"openid":""}`, `{"openid":"a b"}`, `{"openid":"alice","x":1}`, `[]`} {
		st, m := call(t, "POST", srv.URL+"/login-code", body)
		e, _ := m["error"].(map[string]any)
		if st != 400 || e["code"] != "invalid_argument" {
			t.Errorf("login-code %s: %d %v, want 400 invalid_argument", body, st, m)
		}
	}
	st, m := call(t, "POST", srv.URL+"/login-code", `{"openid":"alice"}`)
	code, _ := m["code"].(string)
	if st != 200 || len(code) != 32 {
		t.Fatalf("login-code: %d %v", st, m)
	}
	q := "/sns/jscode2session?appid=" + testAppID + "&secret=" + testSecret + "&grant_type=authorization_code&js_code="
	_, m = call(t, "GET", srv.URL+q+code, nil)
	key, _ := base64.StdEncoding.DecodeString(m["session_key"].(string))
	if m["openid"] != "alice" || m["unionid"] != UnionID("alice") || len(key) != 16 {
		t.Fatalf("jscode2session: %v", m)
	}
	if k, ok := f.SessionKey("alice"); !ok || k != m["session_key"] {
		t.Fatalf("SessionKey = %q, %v", k, ok)
	}
	// A second login gives a fresh session key that becomes the latest.
	code2, _ := f.LoginCode("alice")
	_, m2 := call(t, "GET", srv.URL+q+code2, nil)
	if m2["session_key"] == m["session_key"] {
		t.Fatal("second login reused the session key")
	}
	if k, _ := f.SessionKey("alice"); k != m2["session_key"] {
		t.Fatal("SessionKey is not the latest")
	}
	_, m = call(t, "GET", srv.URL+q, nil)
	if errcode(m) != 41008 {
		t.Fatalf("missing js_code: %v", m)
	}
	_, m = call(t, "GET", srv.URL+"/sns/jscode2session?appid="+testAppID+"&secret=bad&grant_type=authorization_code&js_code="+code, nil)
	if errcode(m) != 40125 {
		t.Fatalf("bad secret: %v", m)
	}
}

func TestPhoneControlRoutes(t *testing.T) {
	f, srv, _ := newTestFake(t)
	for _, body := range []string{`{"openid":"alice","phone":""}`, `{"openid":"alice","phone":"12ab"}`, `{"openid":"","phone":"13800000000"}`} {
		if st, m := call(t, "POST", srv.URL+"/phone-code", body); st != 400 {
			t.Errorf("phone-code %s: %d %v", body, st, m)
		}
	}
	st, m := call(t, "POST", srv.URL+"/phone-encrypted", `{"openid":"bob","phone":"13800000000"}`)
	if st != 409 {
		t.Fatalf("phone-encrypted before login: %d %v, want 409", st, m)
	}
	if full, pure, cc, ok := splitPhone("+1 4155550100"); !ok || full != "+1 4155550100" || pure != "4155550100" || cc != "1" {
		t.Fatalf("splitPhone intl = %q %q %q %v", full, pure, cc, ok)
	}
	code, err := f.PhoneCode("carol", "+852 61234567")
	if err != nil {
		t.Fatal(err)
	}
	_, tokResp := call(t, "POST", srv.URL+"/cgi-bin/stable_token", map[string]any{
		"grant_type": "client_credential", "appid": testAppID, "secret": testSecret})
	tok := tokResp["access_token"].(string)
	_, m = call(t, "POST", srv.URL+"/wxa/business/getuserphonenumber?access_token="+tok, map[string]string{"code": code})
	pi, _ := m["phone_info"].(map[string]any)
	if errcode(m) != 0 || pi["purePhoneNumber"] != "61234567" || pi["countryCode"] != "852" || pi["phoneNumber"] != "+852 61234567" {
		t.Fatalf("getuserphonenumber: %v", m)
	}
	if wm, _ := pi["watermark"].(map[string]any); wm["appid"] != testAppID {
		t.Fatalf("watermark: %v", pi["watermark"])
	}
	_, m = call(t, "POST", srv.URL+"/wxa/business/getuserphonenumber?access_token="+tok, map[string]string{"code": code})
	if errcode(m) != 40029 {
		t.Fatalf("reused phone code: %v, want 40029", m)
	}
}

func TestWxaCodeValidation(t *testing.T) {
	_, srv, _ := newTestFake(t)
	tok, _ := stableToken(t, srv, false)
	u := srv.URL + "/wxa/getwxacodeunlimit?access_token=" + tok
	for _, c := range []struct {
		body any
		want int
	}{
		{map[string]any{"scene": ""}, 40169},
		{map[string]any{}, 40169},
		{map[string]any{"scene": strings.Repeat("a", 33)}, 40169},
		{map[string]any{"scene": "a b"}, 40129},
		{map[string]any{"scene": "a%20"}, 40129},
		{map[string]any{"scene": "抽奖"}, 40129},
		{map[string]any{"scene": "x", "page": "/pages/index"}, 41030},
		{"{", 47001},
	} {
		_, m := call(t, "POST", u, c.body)
		if errcode(m) != c.want {
			t.Errorf("%v: %v, want %d", c.body, m, c.want)
		}
	}
	_, m := call(t, "POST", srv.URL+"/wxa/getwxacodeunlimit?access_token=bogus", map[string]any{"scene": "x"})
	if errcode(m) != 40001 {
		t.Errorf("bogus token: %v", m)
	}
}

func TestInjectedRandomnessIsUsed(t *testing.T) {
	f := New(Options{AppID: testAppID, Secret: testSecret, Rand: bytes.NewReader(bytes.Repeat([]byte{7}, 1024))})
	code, err := f.LoginCode("alice")
	if err != nil {
		t.Fatal(err)
	}
	if want := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 24)); code != want {
		t.Fatalf("code %q, want %q", code, want)
	}
}
