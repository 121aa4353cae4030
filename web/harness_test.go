package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/data/datatest"
	"luckbox/exchange"
	"luckbox/lottery"
	"luckbox/packet"
	"luckbox/wechat"
	"luckbox/wechat/fake"
)

// testAdminToken is the admin token of every harness.
const testAdminToken = "test-admin-token-0123456789abcdef"

// harness is a real router over a temp database, with the fake WeChat mounted
// and the real WeChat client pointed at it, served by httptest.
type harness struct {
	t          testing.TB
	webOptions []func(*Options) // adjust the server's Options (set by harnessOptions)
	db         *data.DB
	fake       *fake.Fake
	wx         *wechat.Client
	auth       *auth.Service
	srv        *Server
	ts         *httptest.Server
	clock      *datatest.Clock
	bg         *data.Background
	stop       context.CancelFunc
	done       chan struct{}
	contract   *contractReport // violations of the OpenAPI document (contract_test.go)
}

// harnessOption adjusts a harness before it is built (features add their
// services to deps here).
type harnessOption func(h *harness, deps *Deps)

func newHarness(t testing.TB, opts ...harnessOption) *harness {
	t.Helper()
	return newHarnessData(t, nil, opts...)
}

// newHarnessData is newHarness with the database's options adjusted by
// dataOpts (nil: none) before it is opened.
func newHarnessData(t testing.TB, dataOpts func(*data.Options), opts ...harnessOption) *harness {
	t.Helper()
	h := &harness{t: t, clock: datatest.NewClock(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC))}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// Commits are synced as in production: benchmarks run on this harness.
	dopts := data.Options{Buckets: testBuckets(), Logger: log, Now: h.clock.Now}
	if dataOpts != nil {
		dataOpts(&dopts)
	}
	db := datatest.Open(t, filepath.Join(t.TempDir(), "test.db"), dopts)
	h.db = db
	var handler http.Handler
	h.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	const appID, secret = "wxtestapp00000001", "test-secret"
	h.fake = fake.New(fake.Options{AppID: appID, Secret: secret})
	h.wx = wechat.New(wechat.Config{AppID: appID, Secret: secret, BaseURL: h.ts.URL + "/_fake/wechat"})
	h.auth = auth.New(db, testLogin{h.wx}, auth.Options{Now: h.clock.Now, DefaultNickname: func(o string) string { return o }, Pusher: testPusher{h.wx}, Phones: testPhones{h.wx}, Groups: testGroups{h.wx}})
	if _, err := h.auth.SetupAdminToken(context.Background(), testAdminToken); err != nil {
		t.Fatal(err)
	}
	h.bg = db.NewBackground()
	h.auth.RegisterBackground(h.bg)
	deps := Deps{DB: db, Auth: h.auth, Fake: h.fake}
	for _, o := range opts {
		o(h, &deps)
	}
	wopts := Options{Logger: log, Now: h.clock.Now}
	for _, f := range h.webOptions {
		f(&wopts)
	}
	h.srv = New(deps, wopts)
	handler = h.withContract(h.srv.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	h.stop, h.done = cancel, make(chan struct{})
	go func() { defer close(h.done); h.bg.Run(ctx) }()
	t.Cleanup(func() {
		h.stop()
		<-h.done
		h.ts.Close()
		db.Close()
		h.reportContract()
	})
	return h
}

// testBuckets lists the buckets of every domain package (features add theirs).
func testBuckets() [][]byte {
	var all [][]byte
	all = append(all, auth.Buckets...)
	all = append(all, lottery.Buckets...)
	all = append(all, exchange.Buckets...)
	all = append(all, packet.Buckets...)
	return all
}

type testLogin struct{ c *wechat.Client }

func (l testLogin) Code2Session(ctx context.Context, code string) (auth.Identity, error) {
	s, err := l.c.Code2Session(ctx, code)
	return auth.Identity{OpenID: s.OpenID, UnionID: s.UnionID, SessionKey: s.SessionKey}, err
}

func (testLogin) BadCode(err error) bool { return wechat.IsBadLoginCode(err) }

type testPusher struct{ c *wechat.Client }

func (p testPusher) SendSubscribe(ctx context.Context, openid, tmpl, page string, fields map[string]string) error {
	return p.c.SendSubscribeMessage(ctx, wechat.SubscribeMessage{ToUser: openid, TemplateID: tmpl, Page: page, Data: fields})
}

func (testPusher) Permanent(err error) bool { return wechat.IsPermanentPush(err) }

// response is a finished request.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// ErrorCode returns the error code of a JSON error body ("" if none).
func (r response) ErrorCode() string {
	var e errorBody
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// do sends a request. body may be nil, a string/[]byte (sent raw) or a value
// (sent as JSON). headers are name, value pairs.
func (h *harness) do(method, path, token string, body any, headers ...string) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, h.ts.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := h.ts.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// loginCode mints a wx.login code for openid from the fake.
func (h *harness) loginCode(openid string) string {
	h.t.Helper()
	r := h.do("POST", "/_fake/wechat/login-code", "", map[string]string{"openid": openid})
	var out struct{ Code string }
	r.JSON(h.t, &out)
	if r.Status != 200 || out.Code == "" {
		h.t.Fatalf("login-code: %d %s", r.Status, r.Body)
	}
	return out.Code
}

// login logs openid in and returns the session token and user id.
func (h *harness) login(openid string) (token, userID string) {
	h.t.Helper()
	r := h.do("POST", "/api/v1/login", "", map[string]string{"code": h.loginCode(openid)})
	var out struct {
		Token string
		User  struct{ ID string }
	}
	r.JSON(h.t, &out)
	if r.Status != 200 || out.Token == "" {
		h.t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	return out.Token, out.User.ID
}

// wantStatus fails the test unless r has the status (and error code, if given).
func wantStatus(t testing.TB, r response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if code != "" && r.ErrorCode() != code {
		t.Fatalf("error code %q, want %q: %s", r.ErrorCode(), code, r.Body)
	}
}
