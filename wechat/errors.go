package wechat

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// WeChat error codes the client and its callers care about.
const (
	CodeSystemBusy         = -1    // system busy, try again
	CodeInvalidCredential  = 40001 // access token invalid or not the latest
	CodeInvalidOpenID      = 40003 // touser is not a valid openid
	CodeInvalidAppID       = 40013 // app id unknown
	CodeInvalidAccessToken = 40014 // access token malformed
	CodeInvalidCode        = 40029 // login or phone code unknown or expired
	CodeInvalidTemplateID  = 40037 // subscribe template id unknown
	CodeInvalidSecret      = 40125 // app secret wrong
	CodeInvalidScene       = 40129 // mini-program code scene has bad characters
	CodeCodeUsed           = 40163 // login code already used
	CodeSceneLength        = 40169 // mini-program code scene empty or longer than 32
	CodeHighRiskUser       = 40226 // login refused: WeChat marks the user high-risk
	CodeAccessTokenMissing = 41001 // access_token parameter missing
	CodeCodeMissing        = 41008 // js_code parameter missing
	CodeInvalidPage        = 41030 // page path invalid
	CodeTokenExpired       = 42001 // access token expired
	CodeUserRefused        = 43101 // no subscription grant for this template
	CodeRateLimited        = 45011 // API minute-quota reached
	CodeDataFormat         = 47001 // request body is not valid JSON
	CodeInvalidArgument    = 47003 // template data breaks its field rules
)

// APIError is an error answered by a WeChat API: HTTP 200 with a non-zero
// errcode. Its text never holds the app secret, an access token or a session key.
type APIError struct {
	Code int    // WeChat errcode
	Msg  string // WeChat errmsg, scrubbed of secrets
	Op   string // the client operation, e.g. "jscode2session"
}

// Error formats the error as "wechat: <op>: errcode <code>: <msg>".
func (e *APIError) Error() string {
	return fmt.Sprintf("wechat: %s: errcode %d: %s", e.Op, e.Code, e.Msg)
}

// IsBadLoginCode reports whether err means a login code is unusable (unknown,
// expired, already used, or refused for a high-risk user): the client's
// fault, not WeChat being unreachable.
func IsBadLoginCode(err error) bool {
	return IsCode(err, CodeInvalidCode, CodeCodeUsed, CodeHighRiskUser)
}

// IsBadPhoneInput reports whether err means a getPhoneNumber code or its
// legacy encrypted data is bad (unknown, expired or used code; data that does
// not decrypt or names another app).
func IsBadPhoneInput(err error) bool {
	return IsCode(err, CodeInvalidCode, CodeCodeUsed) || errors.Is(err, ErrDecrypt) || errors.Is(err, ErrWatermark)
}

// IsPermanentPush reports whether a subscribe message failed for good (no
// grant, bad openid, template or data, bad page) rather than for a moment.
func IsPermanentPush(err error) bool {
	return IsCode(err, CodeUserRefused, CodeInvalidOpenID, CodeInvalidTemplateID, CodeInvalidArgument, CodeInvalidPage)
}

// IsCode reports whether err is (or wraps) an *APIError with one of codes.
func IsCode(err error, codes ...int) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, c := range codes {
		if ae.Code == c {
			return true
		}
	}
	return false
}

// isTokenError reports whether err says the access token was rejected, so a
// fresh token may succeed.
func isTokenError(err error) bool {
	return IsCode(err, CodeInvalidCredential, CodeTokenExpired, CodeInvalidAccessToken)
}

// mpStatus is the errcode/errmsg pair every WeChat JSON answer may carry.
type mpStatus struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// mpScrub removes every non-empty secret from s.
func mpScrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

// mpTransportError rewrites an error from http.Client.Do so that it does not
// carry the request URL, whose query may hold the secret or a token.
func mpTransportError(op string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("wechat: %s: %s request: %w", op, ue.Op, ue.Err)
	}
	return fmt.Errorf("wechat: %s: %w", op, err)
}
