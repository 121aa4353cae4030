package fake

import (
	"strings"
	"testing"
)

func TestValidFieldValue(t *testing.T) {
	for _, c := range []struct {
		typ, value string
		want       bool
	}{
		{"thing", "年会抽奖", true},
		{"thing", strings.Repeat("奖", 20), true},
		{"thing", strings.Repeat("a", 21), false},
		{"thing", "", false},
		{"phrase", "中奖", true},
		{"phrase", "未中奖", true},
		{"phrase", "恭喜您中奖了", false}, // 6 characters
		{"phrase", "win", false},
		{"name", "张三", true},
		{"name", "John Smith", true},
		{"name", strings.Repeat("李", 11), false},
		{"name", "R2D2", false},
		{"number", "12.5", true},
		{"number", "12a", false},
		{"number", strings.Repeat("9", 33), false},
		{"letter", "abcXYZ", true},
		{"letter", "abc1", false},
		{"symbol", "#$%", true},
		{"symbol", "#a", false},
		{"character_string", "NO_2024-0001", true},
		{"character_string", strings.Repeat("x", 33), false},
		{"character_string", "订单1", false},
		{"time", "2025-01-02 15:04", true},
		{"time", "15:01", true},
		{"time", "2019年10月1日 15:01", true},
		{"time", "2025-01-02 15:04~2025-01-02 16:00", true},
		{"time", "2025-01-02", false},
		{"time", "soon", false},
		{"date", "2019年10月1日", true},
		{"date", "2025-01-02 15:04:05", true},
		{"date", "tomorrow", false},
		{"amount", "¥12.34", true},
		{"amount", "12.34元", true},
		{"amount", "100", true},
		{"amount", "¥12.345", false},
		{"amount", "¥12345678901", false},
		{"phone_number", "+86-0766-66888866", true},
		{"phone_number", "call me", false},
		{"car_number", "粤A8Z888挂", true},
		{"car_number", "粤A8Z888888", false},
	} {
		if got := ValidFieldValue(c.typ, c.value); got != c.want {
			t.Errorf("ValidFieldValue(%q, %q) = %v, want %v", c.typ, c.value, got, c.want)
		}
	}
}

func TestSubscribeControlAndGrantAccounting(t *testing.T) {
	f, srv, clk := newTestFake(t)
	for _, body := range []string{`{"openid":"alice","template_id":"nope"}`, `{"openid":"alice","template_id":"` + TemplateLotteryResult + `","count":0}`, `{"openid":"","template_id":"` + TemplateLotteryResult + `"}`} {
		if st, m := call(t, "POST", srv.URL+"/subscribe", body); st != 400 {
			t.Errorf("subscribe %s: %d %v, want 400", body, st, m)
		}
	}
	st, m := call(t, "POST", srv.URL+"/subscribe", `{"openid":"alice","template_id":"`+TemplateExchangeReminder+`","count":2}`)
	if st != 200 || m["remaining"] != float64(2) {
		t.Fatalf("subscribe: %d %v", st, m)
	}
	tok, _ := stableToken(t, srv, false)
	send := func(data map[string]any) int {
		_, m := call(t, "POST", srv.URL+"/cgi-bin/message/subscribe/send?access_token="+tok, map[string]any{
			"touser": "alice", "template_id": TemplateExchangeReminder, "page": "pages/x?id=1", "data": data})
		return errcode(m)
	}
	// A rejected send does not consume a grant.
	if c := send(map[string]any{"thing1": map[string]any{"value": "圣诞交换"}}); c != 47003 {
		t.Fatalf("missing thing2: %d, want 47003", c)
	}
	if c := send(map[string]any{"thing1": map[string]any{"value": "圣诞交换"}, "thing2": map[string]any{"value": true}}); c != 47003 {
		t.Fatalf("boolean value: %d, want 47003", c)
	}
	ok := map[string]any{"thing1": map[string]any{"value": "圣诞交换"}, "thing2": map[string]any{"value": "别忘了抽签"}}
	clk.Add(1)
	for i := range 2 {
		if c := send(ok); c != 0 {
			t.Fatalf("send %d: %d", i, c)
		}
	}
	if c := send(ok); c != 43101 {
		t.Fatalf("third send: %d, want 43101", c)
	}
	msgs := f.Messages("alice")
	if len(msgs) != 2 || msgs[0].MsgID != 1 || msgs[1].MsgID != 2 || msgs[0].Data["thing2"] != "别忘了抽签" ||
		msgs[0].Page != "pages/x?id=1" || !msgs[0].SentAt.Equal(clk.Now()) {
		t.Fatalf("messages: %+v", msgs)
	}
	if len(f.Messages("bob")) != 0 || len(f.Messages("")) != 2 {
		t.Fatal("Messages filter wrong")
	}
}

func TestExtraTemplates(t *testing.T) {
	f := New(Options{AppID: testAppID, Secret: testSecret, Templates: map[string]map[string]string{
		"tpl_pay": {"amount1": "", "character_string2": "character_string"},
	}})
	f.mu.Lock()
	got := f.core.templates
	f.mu.Unlock()
	if got["tpl_pay"]["amount1"] != "amount" || got["tpl_pay"]["character_string2"] != "character_string" {
		t.Fatalf("tpl_pay = %v", got["tpl_pay"])
	}
	if _, ok := got[TemplateLotteryResult]; !ok {
		t.Fatal("defaults lost when adding templates")
	}
}
