package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultBaseURL is the WeChat server API root.
const DefaultBaseURL = "https://api.weixin.qq.com"

// mpMaxJSON bounds a JSON answer; mpMaxImage bounds a mini-program code image.
const (
	mpMaxJSON  = 1 << 20
	mpMaxImage = 8 << 20
)

// Config configures a Client.
type Config struct {
	AppID, Secret string
	// BaseURL is the API root; empty means DefaultBaseURL. Demo mode points it
	// at the fake (…/_fake/wechat).
	BaseURL string
	// HTTPClient sends the requests; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
	// Now is the clock used for token expiry; nil means time.Now.
	Now func() time.Time
}

// Client calls the WeChat mini-program server APIs. It is safe for concurrent
// use and caches the access token.
type Client struct {
	appID, secret string
	base          string
	hc            *http.Client
	now           func() time.Time
	tok           tokenCache
}

// New returns a Client for cfg.
func New(cfg Config) *Client {
	c := &Client{
		appID:  cfg.AppID,
		secret: cfg.Secret,
		base:   strings.TrimRight(cfg.BaseURL, "/"),
		hc:     cfg.HTTPClient,
		now:    cfg.Now,
	}
	if c.base == "" {
		c.base = DefaultBaseURL
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 10 * time.Second}
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// AppID returns the mini-program app id the client was configured with.
func (c *Client) AppID() string { return c.appID }

// Session is the result of a mini-program login (wx.login code exchange).
// SessionKey is secret: String and GoString redact it.
type Session struct {
	OpenID, UnionID, SessionKey string
}

// String formats the session without its key.
func (s Session) String() string {
	return fmt.Sprintf("{OpenID:%s UnionID:%s SessionKey:[redacted]}", s.OpenID, s.UnionID)
}

// GoString formats the session without its key.
func (s Session) GoString() string { return "wechat.Session" + s.String() }

// Code2Session exchanges a wx.login code for the user's openid, unionid and
// session key (GET /sns/jscode2session). A bad or expired code is errcode
// 40029, a reused one 40163.
func (c *Client) Code2Session(ctx context.Context, code string) (Session, error) {
	const op = "jscode2session"
	q := url.Values{
		"appid":      {c.appID},
		"secret":     {c.secret},
		"js_code":    {code},
		"grant_type": {"authorization_code"},
	}
	var out struct {
		OpenID     string `json:"openid"`
		UnionID    string `json:"unionid"`
		SessionKey string `json:"session_key"`
	}
	data, _, err := c.send(ctx, op, http.MethodGet, "/sns/jscode2session?"+q.Encode(), nil, mpMaxJSON)
	if err != nil {
		return Session{}, err
	}
	if err := c.decode(op, data, &out, code); err != nil {
		return Session{}, err
	}
	if out.OpenID == "" || out.SessionKey == "" {
		return Session{}, fmt.Errorf("wechat: %s: answer lacks openid or session_key", op)
	}
	return Session{OpenID: out.OpenID, UnionID: out.UnionID, SessionKey: out.SessionKey}, nil
}

// send performs one request to pathQuery (relative to the base URL) with an
// optional JSON body and returns the answer body (at most limit bytes) and its
// content type. Errors never hold the URL, so no secret or token leaks.
func (c *Client) send(ctx context.Context, op, method, pathQuery string, body any, limit int64) ([]byte, string, error) {
	var rd io.Reader
	if body != nil {
		b, err := marshalJSON(body)
		if err != nil {
			return nil, "", fmt.Errorf("wechat: %s: encode request: %w", op, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+pathQuery, rd)
	if err != nil {
		return nil, "", mpTransportError(op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, "", mpTransportError(op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, "", mpTransportError(op+": read answer", err)
	}
	if int64(len(data)) > limit {
		return nil, "", fmt.Errorf("wechat: %s: answer larger than %d bytes", op, limit)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("wechat: %s: http status %d", op, resp.StatusCode)
	}
	return data, resp.Header.Get("Content-Type"), nil
}

// decode parses a JSON answer: a non-zero errcode becomes an *APIError (its
// message scrubbed of the secret and of extra secrets), otherwise the answer
// is decoded into out (when non-nil).
func (c *Client) decode(op string, data []byte, out any, secrets ...string) error {
	var st mpStatus
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("wechat: %s: decode answer: %w", op, err)
	}
	if st.ErrCode != 0 {
		return &APIError{
			Code: st.ErrCode,
			Msg:  mpScrub(st.ErrMsg, append([]string{c.secret}, secrets...)...),
			Op:   op,
		}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("wechat: %s: decode answer: %w", op, err)
	}
	return nil
}

// withToken runs call with the access token; if WeChat rejects the token
// (40001, 42001, 40014) it fetches a fresh one and retries exactly once.
func (c *Client) withToken(ctx context.Context, call func(token string) error) error {
	tok, err := c.AccessToken(ctx)
	if err != nil {
		return err
	}
	err = call(tok)
	if !isTokenError(err) {
		return err
	}
	fresh, terr := c.token(ctx, tok)
	if terr != nil {
		return fmt.Errorf("%w (refreshing token after rejection: %w)", err, terr)
	}
	return call(fresh)
}

// tokenPath appends the access token to path as its query.
func tokenPath(path, token string) string {
	return path + "?access_token=" + url.QueryEscape(token)
}

// postJSON POSTs in to a token-protected path and decodes the answer into out.
func (c *Client) postJSON(ctx context.Context, op, path string, in, out any) error {
	return c.withToken(ctx, func(tok string) error {
		data, _, err := c.send(ctx, op, http.MethodPost, tokenPath(path, tok), in, mpMaxJSON)
		if err != nil {
			return err
		}
		return c.decode(op, data, out, tok)
	})
}
