package wechat_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"luckbox/wechat"
	"luckbox/wechat/fake"
)

func lotteryMessage(to string) wechat.SubscribeMessage {
	return wechat.SubscribeMessage{
		ToUser:           to,
		TemplateID:       fake.TemplateLotteryResult,
		Page:             "pages/lottery/detail?id=L1",
		MiniprogramState: wechat.StateTrial,
		Lang:             "zh_CN",
		Data: map[string]string{
			"thing1":  "年会抽奖",
			"phrase2": "中奖",
			"thing3":  "一等奖 扫地机器人",
			"time4":   "2025-01-02 20:00",
		},
	}
}

func TestSendSubscribeMessage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.client.Code2Session(ctx, e.loginCode(t, "alice")); err != nil {
		t.Fatal(err)
	}

	// Logged in but no grant yet.
	err := e.client.SendSubscribeMessage(ctx, lotteryMessage("alice"))
	wantCode(t, err, 43101)

	var granted struct{ Remaining int }
	e.control(t, "/subscribe", map[string]any{"openid": "alice", "template_id": fake.TemplateLotteryResult, "count": 1}, &granted)
	if granted.Remaining != 1 {
		t.Fatalf("remaining %d", granted.Remaining)
	}
	if err := e.client.SendSubscribeMessage(ctx, lotteryMessage("alice")); err != nil {
		t.Fatal(err)
	}
	// The grant was one-time.
	wantCode(t, e.client.SendSubscribeMessage(ctx, lotteryMessage("alice")), 43101)

	// Unknown openid, unknown template, rule-breaking data.
	wantCode(t, e.client.SendSubscribeMessage(ctx, lotteryMessage("mallory")), 40003)
	m := lotteryMessage("alice")
	m.TemplateID = "no-such-template"
	wantCode(t, e.client.SendSubscribeMessage(ctx, m), 40037)

	e.control(t, "/subscribe", map[string]any{"openid": "alice", "template_id": fake.TemplateLotteryResult, "count": 2}, &granted)
	m = lotteryMessage("alice")
	m.Data["thing1"] = strings.Repeat("抽", 21)
	err = e.client.SendSubscribeMessage(ctx, m)
	wantCode(t, err, 47003)
	if !strings.Contains(err.Error(), "data.thing1.value") {
		t.Fatalf("47003 should name the field: %v", err)
	}
	m = lotteryMessage("alice")
	delete(m.Data, "time4")
	wantCode(t, e.client.SendSubscribeMessage(ctx, m), 47003)
	m = lotteryMessage("alice")
	m.Data["phrase2"] = "winner"
	wantCode(t, e.client.SendSubscribeMessage(ctx, m), 47003)

	// Rejected sends consumed nothing: the two grants are still there.
	e.clock.Add(time.Minute)
	second := lotteryMessage("alice")
	second.Data["phrase2"] = "未中奖"
	for range 2 {
		if err := e.client.SendSubscribeMessage(ctx, second); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, e.client.SendSubscribeMessage(ctx, second), 43101)

	// The control listing shows the three accepted messages in send order.
	resp, err := e.srv.Client().Get(e.srv.URL + "/messages?openid=alice")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Items []struct {
			ToUser     string            `json:"touser"`
			TemplateID string            `json:"template_id"`
			Page       string            `json:"page"`
			Data       map[string]string `json:"data"`
			SentAt     time.Time         `json:"sent_at"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 3 {
		t.Fatalf("%d messages, want 3: %+v", len(list.Items), list.Items)
	}
	first := list.Items[0]
	if first.ToUser != "alice" || first.TemplateID != fake.TemplateLotteryResult || first.Page != "pages/lottery/detail?id=L1" ||
		first.Data["phrase2"] != "中奖" || first.Data["thing3"] != "一等奖 扫地机器人" || !first.SentAt.Equal(newClock().Now()) {
		t.Fatalf("first message %+v", first)
	}
	if list.Items[1].Data["phrase2"] != "未中奖" || !list.Items[2].SentAt.Equal(newClock().Now().Add(time.Minute)) {
		t.Fatalf("later messages %+v", list.Items[1:])
	}
	if got := e.fake.Messages("bob"); len(got) != 0 {
		t.Fatalf("bob has %d messages", len(got))
	}
}

func TestSendExchangeReminder(t *testing.T) {
	e := newEnv(t)
	if _, err := e.fake.Grant("bob", fake.TemplateExchangeReminder, 1); err != nil {
		t.Fatal(err)
	}
	err := e.client.SendSubscribeMessage(context.Background(), wechat.SubscribeMessage{
		ToUser: "bob", TemplateID: fake.TemplateExchangeReminder,
		Data: map[string]string{"thing1": "圣诞礼物交换", "thing2": "还没抽签，快来看看"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.fake.Messages("bob"); len(got) != 1 || got[0].Data["thing2"] != "还没抽签，快来看看" || got[0].Page != "" {
		t.Fatalf("messages %+v", got)
	}
}

func TestFitThing(t *testing.T) {
	long := strings.Repeat("抽", 25)
	got := wechat.FitThing(long)
	if got != strings.Repeat("抽", 19)+"…" || !fake.ValidFieldValue("thing", got) {
		t.Fatalf("FitThing(25 chars) = %q", got)
	}
	if s := strings.Repeat("a", 20); wechat.FitThing(s) != s {
		t.Fatal("20 characters changed")
	}
}
