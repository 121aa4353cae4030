package fake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Subscribe-message templates the fake knows by default. Real deployments
// configure the template ids they got from the WeChat console; the data keys
// here mirror what luckbox sends.
const (
	// TemplateLotteryResult announces a draw: thing1 lottery title, phrase2
	// result ("中奖" or "未中奖"), thing3 prize or note, time4 draw time.
	TemplateLotteryResult = "luckbox_lottery_result"
	// TemplateExchangeReminder reminds a gift-exchange participant: thing1
	// exchange title, thing2 text.
	TemplateExchangeReminder = "luckbox_exchange_reminder"
	// TemplateLotteryCanceled tells a participant a lottery was canceled:
	// thing1 lottery title, thing2 note.
	TemplateLotteryCanceled = "luckbox_lottery_canceled"
	// TemplatePacketResult tells a sender their packet finished or expired:
	// thing1 what happened, amount2 refunded amount, thing3 shares taken.
	TemplatePacketResult = "luckbox_packet_result"
)

// DefaultTemplates returns the templates the fake knows without options:
// template id → data key → field type.
func DefaultTemplates() map[string]map[string]string {
	return map[string]map[string]string{
		TemplateLotteryResult: {
			"thing1": "thing", "phrase2": "phrase", "thing3": "thing", "time4": "time",
		},
		TemplateExchangeReminder: {"thing1": "thing", "thing2": "thing"},
		TemplateLotteryCanceled:  {"thing1": "thing", "thing2": "thing"},
		TemplatePacketResult:     {"thing1": "thing", "amount2": "amount", "thing3": "thing"},
	}
}

// mergeTemplates returns the defaults with extra added over them; an empty
// field type becomes the key's prefix ("thing12" → "thing").
func mergeTemplates(extra map[string]map[string]string) map[string]map[string]string {
	out := DefaultTemplates()
	for id, fields := range extra {
		m := make(map[string]string, len(fields))
		for k, t := range fields {
			if t == "" {
				t = strings.TrimRightFunc(k, unicode.IsDigit)
			}
			m[k] = t
		}
		out[id] = m
	}
	return out
}

// Message is a subscribe message the fake accepted.
type Message struct {
	MsgID            int64             `json:"msgid"`
	ToUser           string            `json:"touser"`
	TemplateID       string            `json:"template_id"`
	Page             string            `json:"page"`
	MiniprogramState string            `json:"miniprogram_state"`
	Lang             string            `json:"lang"`
	Data             map[string]string `json:"data"`
	SentAt           time.Time         `json:"sent_at"`
}

// Grant records count one-time subscriptions of openid to templateID, as
// wx.requestSubscribeMessage does when the user accepts. It returns the
// grants now remaining.
func (f *Fake) Grant(openid, templateID string, count int) (int, error) {
	if !validOpenID(openid) {
		return 0, errBadOpenID
	}
	if count < 1 || count > 1000 {
		return 0, errors.New("fake: count must be 1..1000")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.core.templates[templateID]; !ok {
		return 0, fmt.Errorf("fake: unknown template id %q", templateID)
	}
	f.user(openid)
	k := mpGrantKey{openid, templateID}
	f.core.grants[k] += count
	return f.core.grants[k], nil
}

// Messages returns the subscribe messages sent to openid (all messages when
// openid is empty), in send order.
func (f *Fake) Messages(openid string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []Message{}
	for _, m := range f.core.messages {
		if openid == "" || m.ToUser == openid {
			m.Data = maps.Clone(m.Data)
			out = append(out, m)
		}
	}
	return out
}

// handleSubscribe serves the control route POST /subscribe
// {"openid","template_id","count"} → {"openid","template_id","remaining"}.
// count defaults to 1.
func (f *Fake) handleSubscribe(w http.ResponseWriter, r *http.Request) {
	var in struct {
		OpenID     string `json:"openid"`
		TemplateID string `json:"template_id"`
		Count      *int   `json:"count"`
	}
	if !ctlDecode(w, r, &in) {
		return
	}
	n := 1
	if in.Count != nil {
		n = *in.Count
	}
	left, err := f.Grant(in.OpenID, in.TemplateID, n)
	if err != nil {
		ctlErr(w, http.StatusBadRequest, "invalid_argument", strings.TrimPrefix(err.Error(), "fake: "))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"openid": in.OpenID, "template_id": in.TemplateID, "remaining": left})
}

// handleMessages serves the control route GET /messages?openid= →
// {"items":[...]}.
func (f *Fake) handleMessages(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"items": f.Messages(r.URL.Query().Get("openid"))})
}

// handleSubscribeSend serves POST /cgi-bin/message/subscribe/send, checking
// in WeChat's terms: 40003 unknown openid, 40037 unknown template, 47003 data
// breaking the template's rules, 43101 no grant left. Only a successful send
// consumes a grant.
func (f *Fake) handleSubscribeSend(w http.ResponseWriter, r *http.Request) {
	if !f.checkToken(w, r) {
		return
	}
	var in struct {
		ToUser           string                                     `json:"touser"`
		TemplateID       string                                     `json:"template_id"`
		Page             string                                     `json:"page"`
		MiniprogramState string                                     `json:"miniprogram_state"`
		Lang             string                                     `json:"lang"`
		Data             map[string]struct{ Value json.RawMessage } `json:"data"`
	}
	if !f.wxDecode(w, r, &in) {
		return
	}
	f.mu.Lock()
	_, seen := f.core.users[in.ToUser]
	fields, known := f.core.templates[in.TemplateID]
	f.mu.Unlock()
	switch {
	case in.ToUser == "" || !seen:
		f.wxErr(w, 40003, "invalid openid")
		return
	case in.TemplateID == "" || !known:
		f.wxErr(w, 40037, "invalid template_id")
		return
	}
	switch in.MiniprogramState {
	case "", "developer", "trial", "formal":
	default:
		f.wxErr(w, 47003, "argument invalid! miniprogram_state is invalid")
		return
	}
	switch in.Lang {
	case "", "zh_CN", "en_US", "zh_HK", "zh_TW":
	default:
		f.wxErr(w, 47003, "argument invalid! lang is invalid")
		return
	}
	data := make(map[string]string, len(fields))
	for _, key := range slices.Sorted(maps.Keys(fields)) {
		v, ok := in.Data[key]
		val, isText := rawText(v.Value)
		switch {
		case !ok || isText && strings.TrimSpace(val) == "":
			f.wxErr(w, 47003, fmt.Sprintf("argument invalid! data.%s.value is empty", key))
			return
		case !isText || !ValidFieldValue(fields[key], val):
			f.wxErr(w, 47003, fmt.Sprintf("argument invalid! data.%s.value invalid", key))
			return
		}
		data[key] = val
	}
	now := f.now()
	f.mu.Lock()
	k := mpGrantKey{in.ToUser, in.TemplateID}
	if f.core.grants[k] < 1 {
		f.mu.Unlock()
		f.wxErr(w, 43101, "user refuse to accept the msg")
		return
	}
	f.core.grants[k]--
	if f.core.grants[k] == 0 {
		delete(f.core.grants, k)
	}
	f.core.msgSeq++
	id := f.core.msgSeq
	f.core.messages = append(f.core.messages, Message{
		MsgID: id, ToUser: in.ToUser, TemplateID: in.TemplateID, Page: in.Page,
		MiniprogramState: in.MiniprogramState, Lang: in.Lang, Data: data, SentAt: now.UTC(),
	})
	f.mu.Unlock()
	wxJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": id})
}

// rawText returns the text of a JSON string or number value.
func rawText(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return s, true
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return "", false
		}
		return n.String(), true
	}
	return "", false
}

// Field-value rules of subscribe-message templates, per WeChat's table of
// parameter types.
var (
	numberRe  = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
	letterRe  = regexp.MustCompile(`^[A-Za-z]+$`)
	charStrRe = regexp.MustCompile(`^[!-~]+$`) // visible ASCII: digits, letters, symbols
	amountRe  = regexp.MustCompile(`^(?:[¥￥$€£]|[A-Z]{3} ?)?[0-9]{1,10}(?:\.[0-9]{1,2})?元?$`)
	phoneNoRe = regexp.MustCompile(`^[0-9+\-() ]+$`)
	clockPart = `(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?`
	datePart  = `(?:[0-9]{4}年)?[0-9]{1,2}月[0-9]{1,2}日|[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}`
	timeRe    = regexp.MustCompile(`^(?:(?:` + datePart + `) ?)?` + clockPart + `$`)
	dateRe    = regexp.MustCompile(`^(?:` + datePart + `)(?: ?` + clockPart + `)?$`)
	carRe     = regexp.MustCompile(`^\p{Han}?[A-Za-z0-9]{1,7}\p{Han}?$`)
)

// ValidFieldValue reports whether value satisfies WeChat's rule for a
// subscribe-message field of type typ ("thing", "number", "letter",
// "symbol", "character_string", "time", "date", "amount", "phone_number",
// "car_number", "name", "phrase"). Unknown types accept up to 20
// characters. Lengths count characters, not bytes.
func ValidFieldValue(typ, value string) bool {
	n := utf8.RuneCountInString(value)
	if n == 0 || !utf8.ValidString(value) {
		return false
	}
	switch typ {
	case "thing":
		return n <= 20
	case "number":
		return n <= 32 && numberRe.MatchString(value)
	case "letter":
		return n <= 32 && letterRe.MatchString(value)
	case "symbol":
		return n <= 5 && !strings.ContainsFunc(value, func(r rune) bool {
			return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsSpace(r)
		})
	case "character_string":
		return n <= 32 && charStrRe.MatchString(value)
	case "time":
		return eachRange(value, timeRe)
	case "date":
		return eachRange(value, dateRe)
	case "amount":
		return amountRe.MatchString(value)
	case "phone_number":
		return n <= 17 && phoneNoRe.MatchString(value)
	case "car_number":
		return n <= 8 && carRe.MatchString(value)
	case "name":
		if strings.ContainsFunc(value, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
			return n <= 10 && !strings.ContainsFunc(value, unicode.IsDigit)
		}
		return n <= 20 && !strings.ContainsFunc(value, func(r rune) bool {
			return unicode.IsDigit(r) || r > unicode.MaxASCII
		})
	case "phrase":
		return n <= 5 && !strings.ContainsFunc(value, func(r rune) bool { return !unicode.Is(unicode.Han, r) })
	default:
		return n <= 20
	}
}

// eachRange checks a time or date, or a range of two joined by "~".
func eachRange(value string, re *regexp.Regexp) bool {
	parts := strings.Split(value, "~")
	if len(parts) > 2 {
		return false
	}
	for _, p := range parts {
		if !re.MatchString(strings.TrimSpace(p)) {
			return false
		}
	}
	return true
}
