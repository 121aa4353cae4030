package wechat

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// tokenRefreshMargin is how long before its expiry a cached access token is
// replaced. WeChat's stable_token hands out a new token in the last five
// minutes of the old one's life, and both stay valid meanwhile.
const tokenRefreshMargin = 5 * time.Minute

// tokenFetchTimeout bounds one token fetch, which runs detached from the
// caller's context so one impatient caller cannot fail the others waiting.
const tokenFetchTimeout = 30 * time.Second

// tokenCache holds the access token and the fetch in flight, if any.
type tokenCache struct {
	mu       sync.Mutex
	token    string
	expires  time.Time
	inflight *tokenCall
}

// tokenCall is one fetch that concurrent callers share.
type tokenCall struct {
	done  chan struct{}
	token string
	err   error
}

// AccessToken returns the app's access token from POST /cgi-bin/stable_token
// (normal mode, force_refresh false). The token is cached and fetched again
// five minutes before it expires; only one fetch runs at a time and concurrent
// callers wait for it. The token is a secret: never log it.
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	return c.token(ctx, "")
}

// token returns a usable access token. When rejected is non-empty, WeChat has
// just refused that token, so a cached copy of it is not used; if a
// normal-mode fetch hands it back again, the fetch is repeated with
// force_refresh true.
func (c *Client) token(ctx context.Context, rejected string) (string, error) {
	for attempt := 0; ; attempt++ {
		c.tok.mu.Lock()
		if c.tok.token != "" && c.tok.token != rejected && c.now().Before(c.tok.expires.Add(-tokenRefreshMargin)) {
			tok := c.tok.token
			c.tok.mu.Unlock()
			return tok, nil
		}
		call := c.tok.inflight
		if call == nil {
			call = &tokenCall{done: make(chan struct{})}
			c.tok.inflight = call
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tokenFetchTimeout)
			go func() {
				defer cancel()
				c.runFetch(fctx, call, rejected)
			}()
		}
		c.tok.mu.Unlock()

		select {
		case <-call.done:
		case <-ctx.Done():
			return "", fmt.Errorf("wechat: access token: %w", ctx.Err())
		}
		if call.err != nil {
			return "", call.err
		}
		// A shared fetch started by a caller who did not know the token was
		// rejected may have brought the rejected token back: fetch once more.
		if rejected != "" && call.token == rejected && attempt == 0 {
			continue
		}
		return call.token, nil
	}
}

// runFetch performs call, stores its result in the cache and releases the
// waiters.
func (c *Client) runFetch(ctx context.Context, call *tokenCall, rejected string) {
	tok, exp, err := c.fetchToken(ctx, false)
	if err == nil && rejected != "" && tok == rejected {
		tok, exp, err = c.fetchToken(ctx, true)
	}
	c.tok.mu.Lock()
	if err == nil {
		c.tok.token, c.tok.expires = tok, exp
	}
	c.tok.inflight = nil
	call.token, call.err = tok, err
	c.tok.mu.Unlock()
	close(call.done)
}

// fetchToken calls POST /cgi-bin/stable_token once.
func (c *Client) fetchToken(ctx context.Context, force bool) (string, time.Time, error) {
	const op = "stable_token"
	start := c.now()
	in := struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}{"client_credential", c.appID, c.secret, force}
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	data, _, err := c.send(ctx, op, http.MethodPost, "/cgi-bin/stable_token", in, mpMaxJSON)
	if err != nil {
		return "", time.Time{}, err
	}
	if err := c.decode(op, data, &out); err != nil {
		return "", time.Time{}, err
	}
	if out.AccessToken == "" || out.ExpiresIn <= 0 {
		return "", time.Time{}, fmt.Errorf("wechat: %s: answer lacks access_token or expires_in", op)
	}
	return out.AccessToken, start.Add(time.Duration(out.ExpiresIn) * time.Second), nil
}
