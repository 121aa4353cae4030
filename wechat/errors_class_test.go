package wechat_test

import (
	"fmt"
	"testing"

	"luckbox/wechat"
)

// The classifications the server acts on: a code that is the client's
// fault is a 4xx, a push that can never succeed is dropped, anything else
// (WeChat busy, a token problem) is retried.
func TestErrorClasses(t *testing.T) {
	api := func(code int) error {
		return fmt.Errorf("call: %w", &wechat.APIError{Code: code, Op: "test"})
	}
	cases := []struct {
		err                       error
		badLogin, badPhone, final bool
	}{
		{api(wechat.CodeInvalidCode), true, true, false},
		{api(wechat.CodeCodeUsed), true, true, false},
		{api(wechat.CodeHighRiskUser), true, false, false},
		{api(wechat.CodeUserRefused), false, false, true},
		{api(wechat.CodeInvalidOpenID), false, false, true},
		{api(wechat.CodeInvalidPage), false, false, true},
		{api(wechat.CodeSystemBusy), false, false, false},
		{api(wechat.CodeTokenExpired), false, false, false},
		{fmt.Errorf("x: %w", wechat.ErrDecrypt), false, true, false},
		{fmt.Errorf("x: %w", wechat.ErrWatermark), false, true, false},
	}
	for _, c := range cases {
		if got := wechat.IsBadLoginCode(c.err); got != c.badLogin {
			t.Errorf("IsBadLoginCode(%v) = %v", c.err, got)
		}
		if got := wechat.IsBadPhoneInput(c.err); got != c.badPhone {
			t.Errorf("IsBadPhoneInput(%v) = %v", c.err, got)
		}
		if got := wechat.IsPermanentPush(c.err); got != c.final {
			t.Errorf("IsPermanentPush(%v) = %v", c.err, got)
		}
	}
}
