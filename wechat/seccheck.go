package wechat

import (
	"context"
	"fmt"
)

// Scenes of MsgSecCheck: where the text will be shown.
const (
	SceneProfile   = 1 // a profile (nickname, signature)
	SceneComment   = 2 // a comment
	SceneForum     = 3 // a forum post (titles, descriptions)
	SceneSocialLog = 4 // a social log (greetings, blessings)
)

// Suggestions of MsgSecCheck.
const (
	SuggestPass   = "pass"   // nothing found
	SuggestReview = "review" // doubtful: a person should look
	SuggestRisky  = "risky"  // must not be shown
)

// SecVerdict is WeChat's overall verdict on a text.
type SecVerdict struct {
	Suggest string // SuggestPass, SuggestReview or SuggestRisky
	// Label is the category hit: 100 normal, 10001 advertising, 20001
	// politics, 20002 porn, 20003 abuse, 20006 crime, 20008 fraud, 20012
	// vulgar, 20013 copyright, 21000 other.
	Label int
}

// MsgSecCheck asks WeChat's text security check (version 2, POST
// /wxa/msg_sec_check) about content written by openid for scene. A non-zero
// errcode is an *APIError; an answer without a suggestion is an error too, so
// a caller never mistakes a malformed answer for a pass.
func (c *Client) MsgSecCheck(ctx context.Context, openid string, scene int, content string) (SecVerdict, error) {
	const op = "msg_sec_check"
	in := struct {
		Content string `json:"content"`
		Version int    `json:"version"`
		Scene   int    `json:"scene"`
		OpenID  string `json:"openid"`
	}{content, 2, scene, openid}
	var out struct {
		Result *struct {
			Suggest string `json:"suggest"`
			Label   int    `json:"label"`
		} `json:"result"`
	}
	if err := c.postJSON(ctx, op, "/wxa/msg_sec_check", in, &out); err != nil {
		return SecVerdict{}, err
	}
	if out.Result == nil {
		return SecVerdict{}, fmt.Errorf("wechat: %s: answer lacks result", op)
	}
	switch out.Result.Suggest {
	case SuggestPass, SuggestReview, SuggestRisky:
	default:
		return SecVerdict{}, fmt.Errorf("wechat: %s: unknown suggest %q", op, out.Result.Suggest)
	}
	return SecVerdict{Suggest: out.Result.Suggest, Label: out.Result.Label}, nil
}
