package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Client talks to one luckbox server over keep-alive connections: one
// http.Transport keeps up to conns idle connections, so every worker of a
// measured phase reuses its own connection.
type Client struct {
	base atomic.Pointer[string]
	http *http.Client
	// AdminToken authenticates admin calls (exchanges, audit); empty skips them.
	AdminToken string
}

// NewClient returns a client of the server at base (http://host:port) that
// keeps up to conns connections open.
func NewClient(base string, conns int) *Client {
	conns = max(conns, 1)
	tr := &http.Transport{
		Proxy:               nil, // loopback benchmarks never go through a proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		WriteBufferSize:     8 << 10,
		ReadBufferSize:      16 << 10,
	}
	c := &Client{http: &http.Client{Transport: tr, Timeout: 5 * time.Minute}}
	c.SetBase(base)
	return c
}

// SetBase points the client at another address (a restarted server listens
// on a new port) and drops the idle connections to the old one.
func (c *Client) SetBase(base string) {
	b := strings.TrimRight(base, "/")
	c.base.Store(&b)
	c.http.CloseIdleConnections()
}

// Base is the server's base URL.
func (c *Client) Base() string { return *c.base.Load() }

// CloseIdle closes idle connections.
func (c *Client) CloseIdle() { c.http.CloseIdleConnections() }

// Response is a raw answer of the server.
type Response struct {
	Status int
	Body   []byte
}

// Error is an answer with an unexpected status.
type Error struct {
	Method, Path string
	Status       int
	Code         string // the API error code, if the body carried one
	Body         string // the start of the body
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: status %d %s", e.Method, e.Path, e.Status, e.Body)
}

// IsStatus reports whether err is an *Error with the given status.
func IsStatus(err error, status int) bool {
	e, ok := err.(*Error)
	return ok && e.Status == status
}

func newError(method, path string, r Response) *Error {
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &body)
	b := string(r.Body)
	if len(b) > 300 {
		b = b[:300] + "…"
	}
	return &Error{Method: method, Path: path, Status: r.Status, Code: body.Error.Code, Body: strings.TrimSpace(b)}
}

// Do sends one request. token, if not empty, goes in the Authorization
// header; body, if not nil, is sent with contentType (application/json when
// empty). Any status is a Response; only transport failures are errors.
func (c *Client) Do(ctx context.Context, method, path, token string, body []byte, contentType string) (Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base()+path, rd)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		if contentType == "" {
			contentType = "application/json"
		}
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	return Response{Status: res.StatusCode, Body: b}, nil
}

// Call sends in (JSON, when not nil) and decodes a 2xx answer into out (when
// not nil). A status not listed in want (any 2xx when want is empty) is an
// *Error. It returns the status.
func (c *Client) Call(ctx context.Context, method, path, token string, in, out any, want ...int) (int, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
	}
	r, err := c.Do(ctx, method, path, token, body, "")
	if err != nil {
		return 0, err
	}
	ok := r.Status >= 200 && r.Status < 300
	if len(want) > 0 {
		ok = false
		for _, s := range want {
			ok = ok || s == r.Status
		}
	}
	if !ok {
		return r.Status, newError(method, path, r)
	}
	if out != nil && r.Status >= 200 && r.Status < 300 && len(r.Body) > 0 {
		if err := json.Unmarshal(r.Body, out); err != nil {
			return r.Status, fmt.Errorf("%s %s: decode %.200q: %w", method, path, r.Body, err)
		}
	}
	return r.Status, nil
}

// User is a logged-in user of the benchmark.
type User struct {
	OpenID string
	ID     string
	Token  string
}

// Login logs openid in through the fake WeChat of a demo-mode server, as a
// mini-program does: a login code from wx.login, then POST /api/v1/login.
func (c *Client) Login(ctx context.Context, openid string) (User, error) {
	var code struct {
		Code string `json:"code"`
	}
	if _, err := c.Call(ctx, "POST", "/_fake/wechat/login-code", "", map[string]string{"openid": openid}, &code, 200); err != nil {
		return User{}, fmt.Errorf("login %s (is the server in demo mode?): %w", openid, err)
	}
	var login struct {
		Token string `json:"token"`
		User  struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if _, err := c.Call(ctx, "POST", "/api/v1/login", "", map[string]string{"code": code.Code}, &login, 200); err != nil {
		return User{}, fmt.Errorf("login %s: %w", openid, err)
	}
	return User{OpenID: openid, ID: login.User.ID, Token: login.Token}, nil
}

// Topup is a top-up order.
type Topup struct {
	OrderID    string `json:"order_id"`
	OutTradeNo string `json:"out_trade_no"`
	Status     string `json:"status"`
}

// CreateTopup opens a top-up order of amount fen for u (POST /wallet/topups).
func (c *Client) CreateTopup(ctx context.Context, u User, amount int64) (Topup, error) {
	var t Topup
	_, err := c.Call(ctx, "POST", "/api/v1/wallet/topups", u.Token, map[string]int64{"amount": amount}, &t, 201)
	return t, err
}

// PaySucceed has the fake WeChat Pay mark the order paid and deliver its
// payment notification times times. It returns nil only when the server
// accepted a notification (2xx): the credit is then committed.
func (c *Client) PaySucceed(ctx context.Context, outTradeNo string, times int) error {
	var out struct {
		Delivered []int `json:"delivered"`
	}
	path := "/_fake/wechat/pay/" + outTradeNo + "/succeed"
	if times > 1 {
		path += fmt.Sprintf("?times=%d", times)
	}
	if _, err := c.Call(ctx, "POST", path, "", nil, &out, 200); err != nil {
		return err
	}
	for _, s := range out.Delivered {
		if s >= 200 && s < 300 {
			return nil
		}
	}
	return fmt.Errorf("pay %s: the server answered the notifications with %v", outTradeNo, out.Delivered)
}

// TopUp credits amount fen to u's wallet through the fake WeChat Pay and
// returns the order id once the credit is committed.
func (c *Client) TopUp(ctx context.Context, u User, amount int64) (string, error) {
	t, err := c.CreateTopup(ctx, u, amount)
	if err != nil {
		return "", err
	}
	if err := c.PaySucceed(ctx, t.OutTradeNo, 1); err != nil {
		return "", err
	}
	return t.OrderID, nil
}

// Balance is u's wallet balance in fen.
func (c *Client) Balance(ctx context.Context, u User) (int64, error) {
	var w struct {
		Balance int64 `json:"balance"`
	}
	_, err := c.Call(ctx, "GET", "/api/v1/wallet", u.Token, nil, &w, 200)
	return w.Balance, err
}

// BindPhone binds phone to u through the fake WeChat's getPhoneNumber code.
func (c *Client) BindPhone(ctx context.Context, u User, phone string) error {
	var code struct {
		Code string `json:"code"`
	}
	if _, err := c.Call(ctx, "POST", "/_fake/wechat/phone-code", "", map[string]string{"openid": u.OpenID, "phone": phone}, &code, 200); err != nil {
		return err
	}
	_, err := c.Call(ctx, "POST", "/api/v1/me/phone", u.Token, map[string]string{"code": code.Code}, nil, 200)
	return err
}

// AuditReport is the answer of GET /api/v1/admin/audit.
type AuditReport struct {
	OK     bool `json:"ok"`
	Checks []struct {
		Name     string   `json:"name"`
		OK       bool     `json:"ok"`
		Checked  int      `json:"checked"`
		Failures []string `json:"failures"`
	} `json:"checks"`
}

// Failed lists the failed checks with their first failures.
func (a AuditReport) Failed() string {
	var b strings.Builder
	for _, c := range a.Checks {
		if !c.OK {
			fmt.Fprintf(&b, "%s: %s; ", c.Name, strings.Join(c.Failures, ", "))
		}
	}
	return strings.TrimSuffix(b.String(), "; ")
}

// ErrNoAudit is returned by Audit when it cannot run: no admin token, or the
// server has no audit endpoint.
var ErrNoAudit = errors.New("audit not available")

// Audit runs the server's audit (admin). It returns ErrNoAudit when it cannot
// and an error naming the failed checks when the audit fails.
func (c *Client) Audit(ctx context.Context) (AuditReport, error) {
	var a AuditReport
	if c.AdminToken == "" {
		return a, fmt.Errorf("%w: no admin token", ErrNoAudit)
	}
	st, err := c.Call(ctx, "GET", "/api/v1/admin/audit", c.AdminToken, nil, &a, 200)
	if st == http.StatusNotFound {
		return a, fmt.Errorf("%w: the server has no audit endpoint", ErrNoAudit)
	}
	if err != nil {
		return a, err
	}
	if !a.OK {
		return a, fmt.Errorf("audit failed: %s", a.Failed())
	}
	return a, nil
}
