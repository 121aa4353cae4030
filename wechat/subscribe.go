package wechat

import (
	"context"
	"unicode/utf8"
)

// Values for SubscribeMessage.MiniprogramState.
const (
	StateDeveloper = "developer"
	StateTrial     = "trial"
	StateFormal    = "formal"
)

// SubscribeMessage is a one-time subscribe message to one user.
type SubscribeMessage struct {
	ToUser     string // the recipient's openid
	TemplateID string // the subscribe template id
	// Page is the mini-program page the card opens (may carry a query); empty
	// means the card does not jump.
	Page string
	// MiniprogramState is "developer", "trial" or "formal"; empty means formal.
	MiniprogramState string
	// Lang is zh_CN, en_US, zh_HK or zh_TW; empty means zh_CN.
	Lang string
	// Data maps template keys ("thing1", "time4") to values. Each value must
	// follow its key's rules (thing ≤ 20 characters, phrase ≤ 5 Chinese
	// characters, ...) or WeChat answers errcode 47003.
	Data map[string]string
}

// mpSubscribeValue is one {"value": "..."} entry of the data object.
type mpSubscribeValue struct {
	Value string `json:"value"`
}

// SendSubscribeMessage sends m (POST /cgi-bin/message/subscribe/send). Each
// send consumes one of the user's one-time grants for the template: none left
// is errcode 43101; an unknown openid 40003; an unknown template 40037; data
// breaking the template's rules 47003.
func (c *Client) SendSubscribeMessage(ctx context.Context, m SubscribeMessage) error {
	const op = "subscribe_send"
	data := make(map[string]mpSubscribeValue, len(m.Data))
	for k, v := range m.Data {
		data[k] = mpSubscribeValue{Value: v}
	}
	in := struct {
		ToUser           string                      `json:"touser"`
		TemplateID       string                      `json:"template_id"`
		Page             string                      `json:"page,omitempty"`
		MiniprogramState string                      `json:"miniprogram_state,omitempty"`
		Lang             string                      `json:"lang,omitempty"`
		Data             map[string]mpSubscribeValue `json:"data"`
	}{m.ToUser, m.TemplateID, m.Page, m.MiniprogramState, m.Lang, data}
	return c.postJSON(ctx, op, "/cgi-bin/message/subscribe/send", in, nil)
}

// FitThing shortens s to the 20 characters a "thing" field allows, ending a
// shortened value with "…", so a long title does not make WeChat refuse the
// whole message with errcode 47003.
func FitThing(s string) string {
	const limit = 20
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return string(r[:limit-1]) + "…"
}
